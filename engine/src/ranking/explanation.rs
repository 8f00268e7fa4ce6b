use serde::Serialize;

use super::WeightSource;
use crate::kpi::KpiCode;
use crate::peers::Adoption;
use crate::solution::Provenance;

/// A query term found in a solution, with the fields it is in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextMatch {
    /// The analysed term.
    pub term: String,
    /// Whether the user wrote it or it came from the vocabulary.
    pub from_synonym: bool,
    /// Fields it occurs in (`title`, `tags`, `summary`, `description`).
    pub fields: Vec<&'static str>,
}

/// One KPI's share of a solution's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiContribution {
    /// KPI code.
    pub code: KpiCode,
    /// KPI name.
    pub name: String,
    /// Points of the score this KPI contributes.
    pub contribution: f32,
    /// The city's latest value, when observed.
    pub city_value: Option<f64>,
    /// Target used, when observed.
    pub target: Option<f64>,
    /// The unit of value and target.
    pub unit: String,
    /// The city's gap, when observed.
    pub gap: Option<f32>,
    /// How strongly the needs text asked for this KPI, [0, 1].
    pub needs: f32,
    /// Why the KPI weighs in this request.
    pub source: WeightSource,
    /// The goals of the request's SDG focus this KPI served (empty without SDG focus).
    pub sdgs: Vec<u8>,
    /// The solution's impact on the KPI.
    pub impact: f32,
    /// Declared by the provider or inferred from the text.
    pub provenance: Provenance,
    /// Confidence of the impact (1 when declared).
    pub confidence: f32,
}

/// Why a solution got its score: the parts add up to `score`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The text part.
    pub text: f32,
    /// The query terms found in the solution.
    pub matched_terms: Vec<TextMatch>,
    /// The KPI part (sum of `kpis[*].contribution`).
    pub kpi: f32,
    /// The KPIs that contribute, largest first.
    pub kpis: Vec<KpiContribution>,
    /// The adoption-evidence part (sum of `adoptions[*].contribution`; negative when similar
    /// cities discontinued the solution); 0 without evidence.
    pub evidence: f32,
    /// The peer cities' deployments behind `evidence`, largest share first.
    pub adoptions: Vec<Adoption>,
    /// The dense part: how close the needs text and the solution are in meaning (sentence
    /// embeddings), 0 without the semantic stage.
    pub dense: f32,
    /// The cosine of the two embeddings behind `dense`, when the semantic stage compared them.
    pub dense_cosine: Option<f32>,
    /// Subtracted for similarity to solutions ranked above (diversity), ≥ 0.
    pub diversity_penalty: f32,
    /// `text + kpi + evidence + dense − diversity_penalty`.
    pub score: f32,
}
