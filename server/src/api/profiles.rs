//! `GET /v1/profiles`: the ranking profiles a request may name.

use kpimatch_engine::ranking::{ProfileSet, RankingProfile};
use serde::Serialize;
use utoipa::ToSchema;

/// The ranking profiles this deployment offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfilesView {
    /// The profile used when a request names none.
    pub default: String,
    /// Every profile, by name.
    pub items: Vec<ProfileView>,
}

/// One ranking profile: its name, what it is for and its main weights (the score of a solution
/// is `text + kpi + evidence − diversity`; see ARCHITECTURE.md, "3. Ranking").
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileView {
    /// Name used in `profile` of a match or evaluation request.
    #[schema(example = "default")]
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether requests that name no profile get this one.
    pub is_default: bool,
    /// Weight of the text part (BM25 of the needs text).
    pub text_weight: f32,
    /// Weight of the KPI part (the city's gaps and the needs-mapped KPIs).
    pub kpi_weight: f32,
    /// Weight of the adoption evidence from peer cities (0 = none).
    pub evidence_weight: f32,
    /// Weight of the gap term of the KPI part.
    pub gap_weight: f32,
    /// Weight of the needs-mapping term of the KPI part.
    pub needs_weight: f32,
    /// Multiplier for impacts inferred from a solution's text (declared ones count 1).
    pub inferred_weight: f32,
    /// Multiplier for advanced KPIs (core KPIs count 1).
    pub advanced_weight: f32,
    /// Weight of domain-vocabulary expansions relative to the user's own words.
    pub synonym_weight: f32,
}

impl ProfileView {
    fn new(p: &RankingProfile, default: &str) -> ProfileView {
        ProfileView {
            name: p.name.clone(),
            description: p.description.clone(),
            is_default: p.name == default,
            text_weight: p.text_weight,
            kpi_weight: p.kpi_weight,
            evidence_weight: p.evidence_weight,
            gap_weight: p.gap_weight,
            needs_weight: p.needs_weight,
            inferred_weight: p.inferred_weight,
            advanced_weight: p.advanced_weight,
            synonym_weight: p.synonym_weight,
        }
    }
}

impl From<&ProfileSet> for ProfilesView {
    fn from(set: &ProfileSet) -> ProfilesView {
        let default = set.default_name();
        ProfilesView {
            default: default.to_string(),
            items: set.iter().map(|p| ProfileView::new(p, default)).collect(),
        }
    }
}
