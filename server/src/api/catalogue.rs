use kpimatch_engine::kpi::{Direction, Kpi};
use serde::Serialize;
use utoipa::ToSchema;

/// A U4SSC KPI with its default target.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "code": "EC:I:WS:3C", "dimension": "Economy", "subdimension": "Infrastructure",
    "category": "Water and Sanitation", "name": "Water Supply Loss", "core": true,
    "unit": "% of water supplied that is lost", "direction": "lower_better",
    "description": "…", "sdgs": ["6.4.1"], "goals": [6], "target": 10.0, "target_source": "…",
    "solutions_declared": 12, "solutions_inferred": 9
}))]
pub struct KpiView {
    /// Canonical code.
    pub code: String,
    /// Dimension.
    pub dimension: String,
    /// Sub-dimension.
    pub subdimension: String,
    /// Category.
    pub category: String,
    /// Name.
    pub name: String,
    /// Core (true) or advanced.
    pub core: bool,
    /// Unit.
    pub unit: String,
    /// `higher_better` or `lower_better`.
    pub direction: String,
    /// What it measures, in kpimatch's words.
    pub description: String,
    /// Linked SDG targets.
    pub sdgs: Vec<String>,
    /// The Sustainable Development Goals (1–17) the KPI serves: kpimatch's goal-level mapping by
    /// subject, including the goals of `sdgs`. What `GET /v1/cities/{id}/sdgs` and the `sdgs`
    /// focus of a match use.
    #[schema(example = json!([6]))]
    pub goals: Vec<u8>,
    /// Default target.
    pub target: f64,
    /// Where the default target comes from.
    pub target_source: String,
    /// How a multi-series or yes/no KPI is scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scoring_note: Option<String>,
    /// Solutions declaring an impact on it.
    pub solutions_declared: usize,
    /// Solutions with an inferred impact on it.
    pub solutions_inferred: usize,
}

impl KpiView {
    /// The view of a KPI with its solution counts.
    pub fn new(k: &Kpi, counts: (usize, usize)) -> KpiView {
        KpiView {
            code: k.code.to_string(),
            dimension: k.dimension.clone(),
            subdimension: k.subdimension.clone(),
            category: k.category.clone(),
            name: k.name.clone(),
            core: k.core,
            unit: k.unit.clone(),
            direction: match k.direction {
                Direction::HigherBetter => "higher_better",
                Direction::LowerBetter => "lower_better",
            }
            .into(),
            description: k.description.clone(),
            sdgs: k.sdgs.clone(),
            goals: k.goals.clone(),
            target: k.target,
            target_source: k.target_source.clone(),
            scoring_note: k.scoring_note.clone(),
            solutions_declared: counts.0,
            solutions_inferred: counts.1,
        }
    }
}
