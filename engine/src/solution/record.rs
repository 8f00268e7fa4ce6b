use serde::{Deserialize, Serialize};

use crate::kpi::{Catalogue, KpiCode};
use crate::limits;
use crate::{Error, Result};

/// The six Smart City Wheel categories the marketplace files solutions under.
pub const WHEEL_CATEGORIES: [&str; 6] = ["Economy", "Environment", "Government", "Living", "Mobility", "People"];

/// How far a solution has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Maturity {
    /// An idea or prototype.
    Concept,
    /// Running in at least one pilot.
    Pilot,
    /// In production use.
    Proven,
    /// Deployed widely.
    Scaled,
}

impl Maturity {
    /// All values, in order of maturity.
    pub const ALL: [Maturity; 4] = [Maturity::Concept, Maturity::Pilot, Maturity::Proven, Maturity::Scaled];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Maturity::Concept => "concept",
            Maturity::Pilot => "pilot",
            Maturity::Proven => "proven",
            Maturity::Scaled => "scaled",
        }
    }
}

/// Rough cost to a city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CostBand {
    /// Low cost.
    Low,
    /// Medium cost.
    Medium,
    /// High cost.
    High,
}

impl CostBand {
    /// All values.
    pub const ALL: [CostBand; 3] = [CostBand::Low, CostBand::Medium, CostBand::High];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CostBand::Low => "low",
            CostBand::Medium => "medium",
            CostBand::High => "high",
        }
    }
}

/// Who offers a solution: the two sides of the marketplace are not only companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderType {
    /// An established company (the default, and what records written before this field were).
    #[default]
    Company,
    /// A young company.
    Startup,
    /// A person's or small firm's advisory service.
    Expert,
    /// A city offering what it built: open-source tools, twinning, training.
    City,
    /// A university or research institute.
    Research,
    /// A non-profit or non-governmental organisation.
    Ngo,
}

impl ProviderType {
    /// All values, in the order they are listed.
    pub const ALL: [ProviderType; 6] = [
        ProviderType::Company,
        ProviderType::Startup,
        ProviderType::Expert,
        ProviderType::City,
        ProviderType::Research,
        ProviderType::Ngo,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Company => "company",
            ProviderType::Startup => "startup",
            ProviderType::Expert => "expert",
            ProviderType::City => "city",
            ProviderType::Research => "research",
            ProviderType::Ngo => "ngo",
        }
    }
}

/// A declared effect of a solution on a KPI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiImpact {
    /// The KPI, canonical code.
    pub code: KpiCode,
    /// How strongly the solution moves it, in (0, 1].
    pub impact: f64,
}

/// A solution as listed on the marketplace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Solution {
    /// Stable id (slug).
    pub id: String,
    /// Title; required.
    pub title: String,
    /// Provider's name.
    #[serde(default)]
    pub provider: String,
    /// What kind of provider offers it (`company` when not stated).
    #[serde(default)]
    pub provider_type: ProviderType,
    /// One-sentence summary.
    #[serde(default)]
    pub summary: String,
    /// A paragraph of description.
    #[serde(default)]
    pub description: String,
    /// The language its text is written in (BCP 47, such as `es` or `pt-BR`); detected from
    /// the text when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Smart City Wheel categories (free strings on the API; the bundle uses the six).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Short tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Regions the provider serves.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Cities that use it, as the provider lists them.
    #[serde(default)]
    pub reference_cities: Vec<String>,
    /// Declared KPI impacts; empty for most marketplace profiles.
    #[serde(default)]
    pub kpis: Vec<KpiImpact>,
    /// SDGs (1–17).
    #[serde(default)]
    pub sdgs: Vec<u8>,
    /// Maturity, when known.
    #[serde(default)]
    pub maturity: Option<Maturity>,
    /// Cost band, when known.
    #[serde(default)]
    pub cost_band: Option<CostBand>,
    /// Provider's page.
    #[serde(default)]
    pub url: Option<String>,
}

impl Solution {
    /// Every problem with this solution, each naming its field; empty when valid.
    pub fn problems(&self, catalogue: &Catalogue) -> Vec<Error> {
        let mut out = Vec::new();
        if let Err(e) = validate_id(&self.id) {
            out.push(e);
        }
        if self.title.trim().is_empty() {
            out.push(Error::invalid("title", "the title is required and must not be blank"));
        }
        let texts = [
            ("title", &self.title, limits::MAX_TITLE_CHARS),
            ("provider", &self.provider, limits::MAX_TITLE_CHARS),
            ("summary", &self.summary, limits::MAX_SUMMARY_CHARS),
            ("description", &self.description, limits::MAX_DESCRIPTION_CHARS),
        ];
        for (field, text, max) in texts {
            let n = text.chars().count();
            if n > max {
                out.push(Error::invalid(
                    field,
                    format!("is {n} characters long; the limit is {max}"),
                ));
            }
        }
        if let Some(tag) = &self.lang {
            if let Err(message) = crate::lang::Lang::parse_tag(tag) {
                out.push(Error::invalid("lang", message));
            }
        }
        let lists = [
            ("categories", &self.categories),
            ("tags", &self.tags),
            ("regions", &self.regions),
            ("reference_cities", &self.reference_cities),
        ];
        for (field, list) in lists {
            if list.len() > limits::MAX_LIST_ITEMS {
                out.push(Error::invalid(
                    field,
                    format!("has {} items; the limit is {}", list.len(), limits::MAX_LIST_ITEMS),
                ));
                continue;
            }
            for (i, item) in list.iter().enumerate() {
                let n = item.chars().count();
                if item.trim().is_empty() || n > limits::MAX_LIST_ITEM_CHARS {
                    out.push(Error::invalid(
                        format!("{field}[{i}]"),
                        format!(
                            "must be a non-blank string of at most {} characters",
                            limits::MAX_LIST_ITEM_CHARS
                        ),
                    ));
                }
            }
        }
        if self.kpis.len() > catalogue.len() {
            out.push(Error::invalid(
                "kpis",
                format!(
                    "has {} items; the catalogue has {} KPIs",
                    self.kpis.len(),
                    catalogue.len()
                ),
            ));
        } else {
            let mut seen = Vec::new();
            for (i, k) in self.kpis.iter().enumerate() {
                if catalogue.id_of(&k.code).is_none() {
                    out.push(Error::UnknownKpiAt {
                        field: format!("kpis[{i}].code"),
                        code: k.code.to_string(),
                    });
                }
                if !(k.impact > 0.0 && k.impact <= 1.0) {
                    out.push(Error::invalid(
                        format!("kpis[{i}].impact"),
                        format!("impact {} is outside (0, 1]", k.impact),
                    ));
                }
                if seen.contains(&&k.code) {
                    out.push(Error::invalid(
                        format!("kpis[{i}].code"),
                        format!("KPI '{}' is listed twice", k.code),
                    ));
                }
                seen.push(&k.code);
            }
        }
        if self.sdgs.len() > limits::MAX_SDGS {
            out.push(Error::invalid(
                "sdgs",
                format!("has {} items; the limit is {}", self.sdgs.len(), limits::MAX_SDGS),
            ));
        } else {
            for (i, s) in self.sdgs.iter().enumerate() {
                if !(1..=17).contains(s) {
                    out.push(Error::invalid(
                        format!("sdgs[{i}]"),
                        format!("SDG {s} does not exist; SDGs are numbered 1 to 17"),
                    ));
                }
            }
        }
        if let Some(url) = &self.url {
            if url.chars().count() > limits::MAX_URL_CHARS {
                out.push(Error::invalid(
                    "url",
                    format!("is longer than {} characters", limits::MAX_URL_CHARS),
                ));
            }
        }
        out
    }

    /// `Ok` when valid, else the first problem.
    pub fn validate(&self, catalogue: &Catalogue) -> Result<()> {
        match self.problems(catalogue).into_iter().next() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// All searchable text, for display and analysis.
    pub fn full_text(&self) -> String {
        let mut s = String::with_capacity(self.title.len() + self.summary.len() + self.description.len() + 64);
        for part in [&self.title, &self.summary, &self.description] {
            s.push_str(part);
            s.push('\n');
        }
        s.push_str(&self.tags.join(", "));
        s
    }
}

/// Checks an entity id: 1–80 characters of `[A-Za-z0-9._-]`, starting with a letter or digit.
pub fn validate_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= limits::MAX_ID_CHARS
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        let shown: String = id.chars().take(40).collect();
        Err(Error::invalid(
            "id",
            format!(
                "'{shown}' is not a valid id: use 1 to {} letters, digits, '-', '_' or '.', starting with a letter or digit",
                limits::MAX_ID_CHARS
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::catalogue_tests_tiny as tiny;

    fn sample() -> Solution {
        serde_json::from_str(r#"{"id":"leak-1","title":"Leak finder","kpis":[{"code":"ec: i: ws: 3c","impact":0.9}]}"#)
            .unwrap()
    }

    #[test]
    fn codes_are_normalised_on_input() {
        assert_eq!(sample().kpis[0].code.as_str(), "EC:I:WS:3C");
        assert!(sample().validate(&tiny()).is_ok());
    }

    #[test]
    fn problems_name_their_fields() {
        let mut s = sample();
        s.title = " ".into();
        s.kpis.push(KpiImpact {
            code: KpiCode::parse("EN:EN:AQ:1C").unwrap(),
            impact: 1.5,
        });
        s.sdgs = vec![18];
        let fields: Vec<String> = s
            .problems(&tiny())
            .into_iter()
            .map(|e| match e {
                Error::InvalidField { field, .. } | Error::UnknownKpiAt { field, .. } => field,
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(fields, ["title", "kpis[1].code", "kpis[1].impact", "sdgs[0]"]);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<Solution>(r#"{"id":"a1","title":"x","colour":"red"}"#).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn list_and_text_bounds_hold_at_the_limit_and_fail_one_past_it() {
        let fields = |s: &Solution| -> Vec<String> {
            s.problems(&tiny())
                .into_iter()
                .map(|e| match e {
                    Error::InvalidField { field, .. } => field,
                    other => panic!("{other}"),
                })
                .collect()
        };
        let mut s = sample();
        s.sdgs = (1..=17).collect();
        s.tags = vec!["t".repeat(limits::MAX_LIST_ITEM_CHARS); limits::MAX_LIST_ITEMS];
        s.title = "t".repeat(limits::MAX_TITLE_CHARS);
        s.summary = "é".repeat(limits::MAX_SUMMARY_CHARS);
        s.description = "d".repeat(limits::MAX_DESCRIPTION_CHARS);
        s.url = Some("u".repeat(limits::MAX_URL_CHARS));
        assert!(fields(&s).is_empty(), "{:?}", fields(&s));
        s.sdgs.push(6);
        s.tags.push("x".into());
        s.categories = vec!["c".repeat(limits::MAX_LIST_ITEM_CHARS + 1)];
        s.title.push('t');
        s.summary.push('é');
        s.description.push('d');
        s.url.as_mut().unwrap().push('u');
        assert_eq!(
            fields(&s),
            [
                "title",
                "summary",
                "description",
                "categories[0]",
                "tags",
                "sdgs",
                "url"
            ]
        );
        // Hundreds of thousands of valid SDGs are one problem, not one per item.
        s.sdgs = vec![6; 500_000];
        assert_eq!(fields(&s).iter().filter(|f| f.starts_with("sdgs")).count(), 1);
    }

    #[test]
    fn ids_are_checked() {
        assert!(validate_id("abc-1_2.3").is_ok());
        for bad in ["", "-a", "a b", "a/b", &"x".repeat(81)] {
            assert!(validate_id(bad).is_err(), "{bad}");
        }
    }
}
