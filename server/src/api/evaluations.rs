use std::collections::BTreeMap;

use kpimatch_engine::bundle::{Split, Topic};
use kpimatch_engine::eval::Comparison;
use kpimatch_engine::limits;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cities::CityBody;
use super::matching::FiltersBody;
use crate::error::{ApiError, Code};

/// A judged topic sent inline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicBody {
    /// Topic id, as in the qrels (1–80 characters, no spaces).
    pub id: String,
    /// A stored city.
    pub city_id: Option<String>,
    /// An inline city.
    pub city: Option<CityBody>,
    /// The needs text ("" = pure gap ranking; at most 2,000 characters).
    #[serde(default)]
    pub needs: String,
    /// Hard filters.
    #[serde(default)]
    pub filters: FiltersBody,
}

impl TopicBody {
    /// The engine's topic.
    pub fn into_topic(self, index: usize) -> Result<Topic, ApiError> {
        if self.id.is_empty() || self.id.chars().count() > limits::MAX_ID_CHARS || self.id.contains(char::is_whitespace)
        {
            return Err(ApiError::new(
                Code::InvalidField,
                format!(
                    "a topic id is 1 to {} characters without spaces (as in the qrels)",
                    limits::MAX_ID_CHARS
                ),
            )
            .field(format!("topics[{index}].id")));
        }
        let chars = self.needs.chars().count();
        if chars > limits::MAX_QUERY_CHARS {
            return Err(ApiError::new(
                Code::InvalidField,
                format!("is {chars} characters long; the limit is {}", limits::MAX_QUERY_CHARS),
            )
            .field(format!("topics[{index}].needs")));
        }
        let f = self.filters;
        Ok(Topic {
            city: match self.city {
                Some(c) => Some(Box::new(c.into_city("inline", &format!("topics[{index}].city."))?)),
                None => None,
            },
            id: self.id,
            city_id: self.city_id,
            needs: self.needs,
            split: Split::Train,
            filters: f.into(),
        })
    }
}

/// An evaluation request: inline topics and qrels, or the bundled judged topics.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"split": "heldout", "profiles": ["text-only", "kpi-only", "default"], "metrics": ["ndcg_cut_10", "recip_rank"]}))]
pub struct EvaluationBody {
    /// Topics (at most 200); omitted: the bundled judged topics.
    pub topics: Option<Vec<TopicBody>>,
    /// Judgments in TREC qrels format (`topic 0 solution grade` per line); required with `topics`.
    pub qrels: Option<String>,
    /// With the bundled topics: `all` (default), `train` or `heldout`.
    pub split: Option<String>,
    /// Ranking profiles to compare (at most 5; default text-only, kpi-only, default). The
    /// first is the baseline of the comparisons.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// trec_eval measure names, at most 20 (default ndcg_cut_5, ndcg_cut_10, recip_rank, map, P_10).
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Results ranked per topic, 1–100 (default 100).
    pub depth: Option<usize>,
}

impl EvaluationBody {
    /// The split selected for bundled topics.
    pub fn split(&self) -> Result<Option<Split>, ApiError> {
        match self.split.as_deref() {
            None | Some("all") => Ok(None),
            Some("train") => Ok(Some(Split::Train)),
            Some("heldout") => Ok(Some(Split::Heldout)),
            Some(other) => Err(ApiError::new(
                Code::InvalidField,
                format!(
                    "split '{}' is not all, train or heldout",
                    crate::error::truncate(other, 40)
                ),
            )
            .field("split")),
        }
    }
}

/// One profile's results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileResult {
    /// Profile.
    pub profile: String,
    /// Mean per measure.
    pub means: BTreeMap<String, f64>,
    /// Per topic, per measure.
    pub per_topic: BTreeMap<String, BTreeMap<String, f64>>,
}

/// A paired comparison of a profile with the baseline on one measure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComparisonView {
    /// Baseline profile.
    pub baseline: String,
    /// Compared profile.
    pub candidate: String,
    /// Measure.
    pub measure: String,
    /// Baseline mean.
    pub baseline_mean: f64,
    /// Candidate mean.
    pub candidate_mean: f64,
    /// Per-topic candidate − baseline.
    pub deltas: BTreeMap<String, f64>,
    /// Topics better / worse / tied.
    pub wins: usize,
    /// Topics worse.
    pub losses: usize,
    /// Topics tied.
    pub ties: usize,
    /// Two-sided p-value of a paired randomisation test (10,000 sign flips).
    pub p_value: f64,
}

impl From<Comparison> for ComparisonView {
    fn from(c: Comparison) -> ComparisonView {
        ComparisonView {
            baseline: c.baseline,
            candidate: c.candidate,
            measure: c.measure,
            baseline_mean: c.baseline_mean,
            candidate_mean: c.candidate_mean,
            deltas: c.deltas,
            wins: c.wins,
            losses: c.losses,
            ties: c.ties,
            p_value: c.p_value,
        }
    }
}

/// The evaluation report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvaluationReport {
    /// Topics evaluated.
    pub topics: usize,
    /// Measures, in request order.
    pub metrics: Vec<String>,
    /// Per profile.
    pub profiles: Vec<ProfileResult>,
    /// Each profile against the first, per measure.
    pub comparisons: Vec<ComparisonView>,
    /// Per-topic bars of the first measure for every profile (SVG).
    pub chart_svg: String,
}
