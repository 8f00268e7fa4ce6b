use serde::{Deserialize, Serialize};

use crate::kpi::{Catalogue, KpiCode};
use crate::limits;
use crate::solution::validate_id;
use crate::Error;

/// One measured value of a KPI in a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// The KPI, canonical code.
    pub kpi: KpiCode,
    /// The value, in the KPI's unit.
    pub value: f64,
    /// The year it refers to.
    pub year: i32,
    /// The city's own target for this KPI, overriding the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
}

/// How far a city has taken a solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentStatus {
    /// Trialled on a limited scale.
    Piloting,
    /// In regular use.
    Deployed,
    /// Tried and stopped.
    Discontinued,
}

impl DeploymentStatus {
    /// The status as written in data and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Piloting => "piloting",
            DeploymentStatus::Deployed => "deployed",
            DeploymentStatus::Discontinued => "discontinued",
        }
    }
}

/// A solution a city has piloted, deployed or discontinued: one entry per solution, with its
/// current status and the year the city reached it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// The solution's id (a stored solution when the city is written).
    pub solution_id: String,
    /// The year the city reached `status` (started the pilot, deployed, or stopped).
    pub year: i32,
    /// Piloting, deployed or discontinued.
    pub status: DeploymentStatus,
}

/// A city with its KPI observations and stated needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    /// Stable id (slug).
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Country.
    #[serde(default)]
    pub country: String,
    /// World region.
    #[serde(default)]
    pub region: String,
    /// Inhabitants.
    #[serde(default)]
    pub population: Option<u64>,
    /// Needs in the planners' own words.
    #[serde(default)]
    pub needs: Vec<String>,
    /// KPI observations, several years per KPI allowed.
    #[serde(default)]
    pub observations: Vec<Observation>,
    /// Solutions the city has piloted, deployed or discontinued (absent in older data).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<Deployment>,
}

impl City {
    /// Every problem with this city, each naming its field; empty when valid.
    pub fn problems(&self, catalogue: &Catalogue) -> Vec<Error> {
        let mut out = Vec::new();
        if let Err(e) = validate_id(&self.id) {
            out.push(e);
        }
        for (field, text) in [
            ("name", &self.name),
            ("country", &self.country),
            ("region", &self.region),
        ] {
            if text.chars().count() > limits::MAX_TITLE_CHARS {
                out.push(Error::invalid(
                    field,
                    format!("is longer than {} characters", limits::MAX_TITLE_CHARS),
                ));
            }
        }
        if self.needs.len() > limits::MAX_NEEDS {
            out.push(Error::invalid(
                "needs",
                format!("has {} items; the limit is {}", self.needs.len(), limits::MAX_NEEDS),
            ));
        }
        for (i, need) in self.needs.iter().enumerate().take(limits::MAX_NEEDS) {
            if need.chars().count() > limits::MAX_QUERY_CHARS {
                out.push(Error::invalid(
                    format!("needs[{i}]"),
                    format!("is longer than {} characters", limits::MAX_QUERY_CHARS),
                ));
            }
        }
        if self.observations.len() > limits::MAX_OBSERVATIONS {
            out.push(Error::invalid(
                "observations",
                format!(
                    "has {} items; the limit is {}",
                    self.observations.len(),
                    limits::MAX_OBSERVATIONS
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, o) in self.observations.iter().enumerate().take(limits::MAX_OBSERVATIONS) {
            if catalogue.id_of(&o.kpi).is_none() {
                out.push(Error::UnknownKpiAt {
                    field: format!("observations[{i}].kpi"),
                    code: o.kpi.to_string(),
                });
            }
            if !o.value.is_finite() {
                out.push(Error::invalid(
                    format!("observations[{i}].value"),
                    "must be a finite number",
                ));
            }
            if !(1900..=2100).contains(&o.year) {
                out.push(Error::invalid(
                    format!("observations[{i}].year"),
                    format!("year {} is outside 1900–2100", o.year),
                ));
            }
            if let Some(t) = o.target {
                if !(t.is_finite() && t > 0.0) {
                    out.push(Error::invalid(
                        format!("observations[{i}].target"),
                        format!("target {t} must be a positive finite number"),
                    ));
                }
            }
            if !seen.insert((o.kpi.clone(), o.year)) {
                out.push(Error::invalid(
                    format!("observations[{i}]"),
                    format!("KPI '{}' is observed twice for {}", o.kpi, o.year),
                ));
            }
        }
        self.deployment_problems(&mut out);
        out
    }

    /// Problems of the deployments on their own (the solution ids are checked against the
    /// catalogue of solutions by [`crate::Engine::check_city`]).
    fn deployment_problems(&self, out: &mut Vec<Error>) {
        if self.deployments.len() > limits::MAX_DEPLOYMENTS {
            out.push(Error::invalid(
                "deployments",
                format!(
                    "has {} items; the limit is {}",
                    self.deployments.len(),
                    limits::MAX_DEPLOYMENTS
                ),
            ));
        }
        let mut first_at = std::collections::HashMap::new();
        for (i, d) in self.deployments.iter().enumerate().take(limits::MAX_DEPLOYMENTS) {
            if let Err(Error::InvalidField { message, .. }) = validate_id(&d.solution_id) {
                out.push(Error::invalid(format!("deployments[{i}].solution_id"), message));
            }
            if !(1900..=2100).contains(&d.year) {
                out.push(Error::invalid(
                    format!("deployments[{i}].year"),
                    format!("year {} is outside 1900–2100", d.year),
                ));
            }
            if let Some(&first) = first_at.get(d.solution_id.as_str()) {
                out.push(Error::invalid(
                    format!("deployments[{i}]"),
                    format!(
                        "solution '{}' is listed twice (first at deployments[{first}]); give one entry per solution with its current status",
                        d.solution_id.chars().take(80).collect::<String>()
                    ),
                ));
            } else {
                first_at.insert(d.solution_id.as_str(), i);
            }
        }
    }

    /// `Ok` when valid, else the first problem.
    pub fn validate(&self, catalogue: &Catalogue) -> crate::Result<()> {
        match self.problems(catalogue).into_iter().next() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::catalogue_tests_tiny as tiny;

    fn fields(c: &City) -> Vec<String> {
        c.problems(&tiny())
            .into_iter()
            .map(|e| match e {
                Error::InvalidField { field, .. } | Error::UnknownKpiAt { field, .. } => field,
                other => panic!("{other}"),
            })
            .collect()
    }

    /// Observations on distinct years of one KPI.
    fn observations(n: usize) -> Vec<Observation> {
        let codes = ["EC:I:WS:3C", "EC:I:WS:1C", "SC:EH:ED:4A"];
        (0..n)
            .map(|i| Observation {
                kpi: KpiCode::parse(codes[i % 3]).unwrap(),
                value: 10.0,
                year: 1900 + (i / 3) as i32,
                target: None,
            })
            .collect()
    }

    #[test]
    fn bounds_hold_at_the_limit_and_fail_one_past_it() {
        let mut c = City {
            id: "c1".into(),
            name: "n".repeat(limits::MAX_TITLE_CHARS),
            country: String::new(),
            region: String::new(),
            population: None,
            needs: vec!["w".repeat(limits::MAX_QUERY_CHARS); limits::MAX_NEEDS],
            observations: observations(limits::MAX_OBSERVATIONS.min(3 * 201)),
            deployments: Vec::new(),
        };
        assert!(fields(&c).is_empty(), "{:?}", fields(&c));
        c.name.push('n');
        c.needs[0].push('w');
        assert_eq!(fields(&c), ["name", "needs[0]"]);
        c.needs.push("one more".into());
        assert_eq!(fields(&c), ["name", "needs", "needs[0]"]);
    }

    #[test]
    fn the_observation_count_is_bounded_and_items_past_it_are_not_checked() {
        // The tiny catalogue has 3 KPIs and years span 1900–2100, so most of 2,000 observations
        // carry per-item problems (year, duplicates); only the count problem may differ.
        let mut c = City {
            id: "c1".into(),
            name: String::new(),
            country: String::new(),
            region: String::new(),
            population: None,
            needs: Vec::new(),
            observations: observations(limits::MAX_OBSERVATIONS),
            deployments: Vec::new(),
        };
        let at = fields(&c);
        assert!(!at.iter().any(|f| f == "observations"), "{at:?}");
        c.observations = observations(limits::MAX_OBSERVATIONS + 1);
        let past = fields(&c);
        assert_eq!(past[0], "observations");
        assert_eq!(&past[1..], &at[..]);
    }
}
