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
        for (i, need) in self.needs.iter().enumerate() {
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
        for (i, o) in self.observations.iter().enumerate() {
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
        out
    }

    /// `Ok` when valid, else the first problem.
    pub fn validate(&self, catalogue: &Catalogue) -> crate::Result<()> {
        match self.problems(catalogue).into_iter().next() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}
