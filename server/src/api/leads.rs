//! `GET /v1/solutions/{id}/cities`: the cities a solution should approach.

use kpimatch_engine::leads::{LeadRequest, LeadResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::matching::ExplanationView;

/// `GET /v1/solutions/{id}/cities` parameters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeadsParams {
    /// Cities wanted, 1–100 (default 10).
    #[param(minimum = 1, maximum = 100, default = 10)]
    pub limit: Option<usize>,
    /// Cities skipped (default 0, at most 10,000).
    #[param(minimum = 0, maximum = 10000, default = 0)]
    pub offset: Option<usize>,
    /// Only cities in this region (case-insensitive), e.g. `Europe`.
    #[param(max_length = 200, example = "Europe")]
    pub region: Option<String>,
    /// Only cities with at least this many inhabitants (cities without a population are left out).
    pub population_min: Option<u64>,
    /// Only cities with at most this many inhabitants (cities without a population are left out).
    pub population_max: Option<u64>,
    /// Also list the cities that already pilot, deploy or discontinued the solution (they are
    /// never ranked as leads). Default false.
    pub include_adopters: Option<bool>,
    /// Include explanations (default true).
    pub explain: Option<bool>,
    /// Ranking profile (default profile when omitted).
    pub profile: Option<String>,
}

impl LeadsParams {
    /// The engine request for a solution.
    pub fn into_request(self, solution_id: &str) -> LeadRequest {
        LeadRequest {
            solution_id: solution_id.to_string(),
            limit: self.limit.unwrap_or(10),
            offset: self.offset.unwrap_or(0),
            region: self.region,
            population_min: self.population_min,
            population_max: self.population_max,
            include_adopters: self.include_adopters.unwrap_or(false),
            explain: self.explain.unwrap_or(true),
            profile: self.profile,
        }
    }
}

/// One city to approach.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeadView {
    /// 1-based rank.
    pub rank: usize,
    /// City id.
    pub city_id: String,
    /// City name.
    pub city_name: String,
    /// Region.
    pub region: String,
    /// Population, when known.
    pub population: Option<u64>,
    /// The solution's score in this city's own match (its gaps and stated needs).
    pub score: f32,
    /// The city's gaps the solution addresses, the needs words it matched and the similar
    /// cities that adopted it; `text + kpi + evidence = score`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<ExplanationView>,
}

/// A city that already records the solution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeadAdopterView {
    /// City id.
    pub city_id: String,
    /// City name.
    pub city_name: String,
    /// `piloting`, `deployed` or `discontinued`.
    pub status: String,
    /// The year it reached that status.
    pub year: i32,
}

/// The cities a solution should approach, best first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeadsView {
    /// The solution.
    pub solution_id: String,
    /// The page of leads, best first (ties by city id).
    pub results: Vec<LeadView>,
    /// Cities that passed the filters (adopters excluded); those the solution scores nothing
    /// for are not listed.
    pub candidates: usize,
    /// Of those, the cities scored exactly (the others could not reach the page).
    pub evaluated: usize,
    /// Cities that already record the solution (with `include_adopters=true`).
    pub adopters: Vec<LeadAdopterView>,
    /// Ranking profile used.
    pub profile: String,
    /// Time taken, milliseconds.
    pub took_ms: f64,
}

impl LeadsView {
    /// The view of an engine answer (timing filled in by the caller).
    pub fn new(r: &LeadResponse) -> LeadsView {
        LeadsView {
            solution_id: r.solution_id.clone(),
            results: r
                .results
                .iter()
                .map(|l| LeadView {
                    rank: l.rank,
                    city_id: l.city_id.clone(),
                    city_name: l.city_name.clone(),
                    region: l.region.clone(),
                    population: l.population,
                    score: l.score,
                    explanation: l.explanation.as_ref().map(ExplanationView::from),
                })
                .collect(),
            candidates: r.candidates,
            evaluated: r.evaluated,
            adopters: r
                .adopters
                .iter()
                .map(|a| LeadAdopterView {
                    city_id: a.city_id.clone(),
                    city_name: a.city_name.clone(),
                    status: a.status.as_str().to_string(),
                    year: a.year,
                })
                .collect(),
            profile: r.profile.clone(),
            took_ms: 0.0,
        }
    }
}
