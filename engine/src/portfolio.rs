//! Portfolios: a set of solutions that together cover the most of a city's weighted gaps.
//!
//! A planner with a budget asks for a few solutions that move several weak KPIs, not ten
//! variants of one. With the request's KPI weights `qₖ` (the city's gaps and what its needs ask
//! for, exactly as in a match) and each solution's coverage of a KPI `cᵢₖ` (its impact, inferred
//! impacts discounted by the profile's `inferred_weight`, in [0, 1]), a set S covers
//!
//! `F(S) = Σₖ qₖ · (1 − Πᵢ∈S (1 − cᵢₖ))`
//!
//! — the share of KPI k's gap that at least one chosen solution addresses, read as independent
//! chances. A KPI already covered counts less the second time (diminishing returns), so F is
//! monotone submodular. kpimatch picks greedily: at each step the solution with the largest
//! marginal gain `F(S ∪ {i}) − F(S)` among those the constraints still allow (ties by id), with
//! lazy re-evaluation (a gain can only shrink as S grows). Under the size limit alone the greedy
//! set is within `1 − 1/e ≈ 0.632` of the best possible F (Nemhauser, Wolsey and Fisher, 1978);
//! with `one_per_category` or `max_high_cost` (partition-matroid constraints) the guarantee is
//! 1/2 (Fisher, Nemhauser and Wolsey, 1978). The response says which holds.
//!
//! **Gap coverage** of any set of solutions is `F(S) / Σₖ qₖ` ∈ [0, 1]: the share of the
//! request's weighted gaps the set covers. It is how `kpimatch eval-portfolio` compares a
//! portfolio with the top `size` results of a match for the same request.

use serde::Serialize;

use crate::kpi::KpiCode;
use crate::ranking::{CityInput, Filters};
use crate::solution::CostBand;
use crate::{Error, Result};

/// Most solutions in one portfolio.
pub const MAX_PORTFOLIO_SIZE: usize = 10;

/// A weighed KPI counts as left uncovered below this share of its gap covered.
pub const UNCOVERED_BELOW: f32 = 0.1;

/// Spending limits of a portfolio.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Budget {
    /// Only solutions at or below this cost band (solutions stating none are left out).
    pub max_cost_band: Option<CostBand>,
    /// At most this many `high`-cost solutions.
    pub max_high_cost: Option<usize>,
}

/// What to build a portfolio for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortfolioRequest {
    /// The city (its gaps weigh the KPIs).
    pub city: Option<CityInput>,
    /// The needs text (`None`: the city's stated needs; `""`: gaps only).
    pub needs: Option<String>,
    /// Goals to focus on, as in a match.
    pub sdgs: Vec<u8>,
    /// Solutions wanted, 1–[`MAX_PORTFOLIO_SIZE`].
    pub size: usize,
    /// Hard filters, as in a match.
    pub filters: Filters,
    /// Spending limits.
    pub budget: Budget,
    /// No two solutions of the portfolio share a category.
    pub one_per_category: bool,
    /// Ranking profile (its KPI weighting and `inferred_weight`).
    pub profile: Option<String>,
}

impl PortfolioRequest {
    pub(crate) fn validate(&self) -> Result<()> {
        if !(1..=MAX_PORTFOLIO_SIZE).contains(&self.size) {
            return Err(Error::invalid(
                "size",
                format!("{} is outside 1–{MAX_PORTFOLIO_SIZE}", self.size),
            ));
        }
        if self.city.is_none() {
            return Err(Error::invalid(
                "city_id",
                "a portfolio is built for a city: give city_id or city",
            ));
        }
        Ok(())
    }
}

/// What one chosen solution adds to a KPI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiGain {
    /// KPI code.
    pub code: KpiCode,
    /// KPI name.
    pub name: String,
    /// The solution's coverage of the KPI, `cᵢₖ`.
    pub coverage: f32,
    /// Weighted gap it adds: `qₖ · (covered after − covered before)`.
    pub gain: f32,
}

/// One solution of the portfolio, in the order it was picked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortfolioItem {
    /// 1-based pick order.
    pub rank: usize,
    /// Solution id.
    pub solution_id: String,
    /// Title.
    pub title: String,
    /// Provider.
    pub provider: String,
    /// Cost band, when stated.
    pub cost_band: Option<CostBand>,
    /// Categories.
    pub categories: Vec<String>,
    /// Its marginal gain when picked, `F(S ∪ {i}) − F(S)`.
    pub gain: f32,
    /// The gain as a share of all the request's weighted gaps, `gain / Σₖ qₖ`.
    pub gain_share: f32,
    /// What it adds per KPI, largest first.
    pub kpis: Vec<KpiGain>,
}

/// How much of one weighed KPI's gap the portfolio covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiCoverage {
    /// KPI code.
    pub code: KpiCode,
    /// KPI name.
    pub name: String,
    /// Its weight in the request, `qₖ`.
    pub weight: f32,
    /// The city's latest value, when observed.
    pub city_value: Option<f64>,
    /// The target used, when observed.
    pub target: Option<f64>,
    /// Unit.
    pub unit: String,
    /// The city's gap, when observed.
    pub gap: Option<f32>,
    /// Share of the KPI covered, `1 − Πᵢ (1 − cᵢₖ)`.
    pub covered: f32,
    /// The chosen solutions that address it.
    pub covered_by: Vec<String>,
}

/// A portfolio with its coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Portfolio {
    /// The chosen solutions in pick order.
    pub items: Vec<PortfolioItem>,
    /// Gap coverage of the whole portfolio, `F(S) / Σₖ qₖ`.
    pub coverage: f32,
    /// Each weighed KPI's coverage, largest weight first.
    pub kpis: Vec<KpiCoverage>,
    /// Weighed KPIs the city is weak on (below 66 % of target) that the portfolio leaves
    /// uncovered (less than [`UNCOVERED_BELOW`] of their gap covered), largest weight first.
    pub uncovered: Vec<KpiCoverage>,
    /// The approximation guarantee of the greedy choice for this request: `1 - 1/e` under the
    /// size limit alone, `1/2` with category or budget-count constraints.
    pub guarantee: &'static str,
    /// Solutions the filters and budget allowed that address a weighed KPI.
    pub candidates: usize,
    /// The profile used.
    pub profile: String,
}
