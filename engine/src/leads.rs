//! Leads: the other side of the marketplace. A provider asks "which cities should I approach
//! with this solution?"; kpimatch ranks the stored cities by the score the solution would get
//! in each city's own match (its weighted gaps and its stated needs), with the same explanation
//! parts.
//!
//! # The score
//!
//! For a solution S and a city C the lead score is exactly S's score in C's default match —
//! `POST /v1/match {"city_id": C}` with C's stated needs as the needs text and the same ranking
//! profile: `text + kpi + evidence`, where `text` is S's BM25 for C's needs terms over the best
//! BM25 any solution gets for them, `kpi` saturates `Σₖ qₖ(C)·impactₖ(S)` and `evidence` counts
//! the cities similar to C that piloted, deployed or discontinued S. Scores are therefore
//! comparable across cities, and a lead's explanation reads like a match's: the gaps of C that S
//! addresses (value, target, gap), the needs words it matched, the similar cities that adopted it.
//!
//! # Exact top-k
//!
//! The KPI part of every city is cheap: each stored city keeps its KPI weights `q(C)` for the
//! default profile (computed when the city is written), and S's profile holds a few KPIs. The
//! text and evidence parts are bounded — `text ≤ text_weight` (S's BM25 is at most the best) and
//! `evidence ≤ w·X/(1+X)` with `X = Σσ` of S's adopters × the share of S's impact on KPIs the
//! city weighs (0 when nobody adopted S) — so cities are evaluated exactly in decreasing order
//! of `kpi + bound` until the k-th best exact score beats the next city's bound. The result equals scoring every city exhaustively (tested; `benches/leads` measures
//! both).

use serde::Serialize;

use crate::city::DeploymentStatus;
use crate::limits;
use crate::ranking::Explanation;
use crate::{Error, Result};

/// Most cities one leads request may ask for.
pub const MAX_LEADS: usize = 100;

/// Which cities to rank for a solution.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeadRequest {
    /// The solution.
    pub solution_id: String,
    /// Cities wanted (1–[`MAX_LEADS`]).
    pub limit: usize,
    /// Cities skipped (at most [`crate::limits::MAX_OFFSET`]).
    pub offset: usize,
    /// Only cities in this region (trimmed, case-insensitive).
    pub region: Option<String>,
    /// Only cities with at least this population (cities without one are left out).
    pub population_min: Option<u64>,
    /// Only cities with at most this population (cities without one are left out).
    pub population_max: Option<u64>,
    /// List the cities that already record the solution (piloting, deployed or discontinued)
    /// separately; they are never ranked as leads.
    pub include_adopters: bool,
    /// Include explanations.
    pub explain: bool,
    /// Ranking profile (default when `None`).
    pub profile: Option<String>,
}

impl LeadRequest {
    /// The top 10 explained leads for a solution.
    pub fn for_solution(id: &str) -> LeadRequest {
        LeadRequest {
            solution_id: id.to_string(),
            limit: 10,
            explain: true,
            ..Default::default()
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !(1..=MAX_LEADS).contains(&self.limit) {
            return Err(Error::invalid(
                "limit",
                format!("{} is outside 1–{MAX_LEADS}", self.limit),
            ));
        }
        if self.offset > limits::MAX_OFFSET {
            return Err(Error::invalid(
                "offset",
                format!("{} is above the maximum of {}", self.offset, limits::MAX_OFFSET),
            ));
        }
        if let Some(r) = &self.region {
            if r.chars().count() > limits::MAX_LIST_ITEM_CHARS {
                return Err(Error::invalid(
                    "region",
                    format!("is longer than {} characters", limits::MAX_LIST_ITEM_CHARS),
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (self.population_min, self.population_max) {
            if lo > hi {
                return Err(Error::invalid(
                    "population_min",
                    format!("{lo} is above population_max {hi}"),
                ));
            }
        }
        Ok(())
    }
}

/// One city to approach.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lead {
    /// 1-based rank (offset included).
    pub rank: usize,
    /// City id.
    pub city_id: String,
    /// City name.
    pub city_name: String,
    /// Region.
    pub region: String,
    /// Population, when known.
    pub population: Option<u64>,
    /// The solution's score in this city's match.
    pub score: f32,
    /// Why: the city's gaps the solution addresses, the needs words it matched, similar cities
    /// that adopted it; the parts add up to `score`.
    pub explanation: Option<Explanation>,
}

/// A city that already records the solution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadAdopter {
    /// City id.
    pub city_id: String,
    /// City name.
    pub city_name: String,
    /// Piloting, deployed or discontinued.
    pub status: DeploymentStatus,
    /// The year it reached that status.
    pub year: i32,
}

/// The ranked leads of a solution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadResponse {
    /// The solution.
    pub solution_id: String,
    /// The page of leads, best first (ties by city id).
    pub results: Vec<Lead>,
    /// Cities that passed the filters (adopters excluded); those the solution scores nothing
    /// for are not listed.
    pub candidates: usize,
    /// Cities evaluated exactly (the rest were bounded out).
    pub evaluated: usize,
    /// Cities that already record the solution (only with `include_adopters`).
    pub adopters: Vec<LeadAdopter>,
    /// The profile used.
    pub profile: String,
}
