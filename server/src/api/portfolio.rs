//! `POST /v1/portfolio`: a set of solutions that together cover the most of a city's gaps.

use kpimatch_engine::portfolio::{Budget, KpiCoverage, Portfolio, PortfolioRequest};
use kpimatch_engine::ranking::CityInput;
use kpimatch_engine::solution::CostBand;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cities::CityBody;
use super::matching::FiltersBody;
use crate::error::{ApiError, Code};

/// Spending limits of a portfolio.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    /// Only solutions at or below this cost band: `low`, `medium` or `high` (solutions that
    /// state no cost band are left out when this is set).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "medium")]
    pub max_cost_band: Option<CostBand>,
    /// At most this many `high`-cost solutions (0–10).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10)]
    pub max_high_cost: Option<usize>,
}

/// A portfolio request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "city_id": "qasr-alwan",
    "size": 4,
    "budget": {"max_cost_band": "medium"},
    "one_per_category": true
}))]
pub struct PortfolioBody {
    /// A stored city.
    pub city_id: Option<String>,
    /// An inline city instead of a stored one (not stored).
    pub city: Option<CityBody>,
    /// Needs in plain words (at most 2,000 characters): they weigh KPIs as in a match. Omitted:
    /// the city's stated needs; `""`: its gaps only.
    #[schema(max_length = 2000)]
    pub needs: Option<String>,
    /// Sustainable Development Goals (1–17) to focus on, as in a match.
    #[serde(default)]
    pub sdgs: Vec<u8>,
    /// Solutions wanted, 1–10 (default 5).
    #[schema(minimum = 1, maximum = 10, default = 5)]
    pub size: Option<usize>,
    /// Hard filters, as in a match.
    #[serde(default)]
    pub filters: FiltersBody,
    /// Spending limits.
    #[serde(default)]
    pub budget: BudgetBody,
    /// No two solutions share a category (default false).
    #[serde(default)]
    pub one_per_category: bool,
    /// Ranking profile (its KPI weighting; default profile when omitted).
    pub profile: Option<String>,
}

impl PortfolioBody {
    /// The engine request.
    pub fn into_request(self) -> Result<PortfolioRequest, ApiError> {
        let city = match (self.city_id, self.city) {
            (Some(_), Some(_)) => {
                return Err(
                    ApiError::new(Code::InvalidField, "give either city_id or an inline city, not both").field("city"),
                )
            }
            (Some(id), None) => Some(CityInput::Id(id)),
            (None, Some(c)) => Some(CityInput::Inline(Box::new(c.into_city("inline", "city.")?))),
            (None, None) => None,
        };
        if self
            .budget
            .max_high_cost
            .is_some_and(|n| n > kpimatch_engine::portfolio::MAX_PORTFOLIO_SIZE)
        {
            return Err(
                ApiError::new(Code::InvalidField, "max_high_cost must be between 0 and 10")
                    .field("budget.max_high_cost"),
            );
        }
        Ok(PortfolioRequest {
            city,
            needs: self.needs,
            sdgs: self.sdgs,
            size: self.size.unwrap_or(5),
            filters: self.filters.into(),
            budget: Budget {
                max_cost_band: self.budget.max_cost_band,
                max_high_cost: self.budget.max_high_cost,
            },
            one_per_category: self.one_per_category,
            profile: self.profile,
        })
    }
}

/// What a chosen solution adds to one KPI.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiGainView {
    /// KPI code.
    pub code: String,
    /// KPI name.
    pub name: String,
    /// The solution's coverage of the KPI (its impact; inferred impacts discounted), 0–1.
    pub coverage: f32,
    /// Weighted gap it adds: `weight × (covered after − covered before)`.
    pub gain: f32,
}

/// One solution of the portfolio.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PortfolioItemView {
    /// 1-based pick order.
    pub rank: usize,
    /// Solution id.
    pub solution_id: String,
    /// Title.
    pub title: String,
    /// Provider.
    pub provider: String,
    /// `low`, `medium` or `high`, when stated.
    pub cost_band: Option<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// Its marginal gain when picked (what it adds to the covered weighted gaps).
    pub gain: f32,
    /// The gain as a share of all the request's weighted gaps; the items' shares add up to
    /// `coverage`.
    pub gain_share: f32,
    /// What it adds per KPI, largest first.
    pub kpis: Vec<KpiGainView>,
}

/// How much of one weighed KPI's gap the portfolio covers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiCoverageView {
    /// KPI code.
    pub code: String,
    /// KPI name.
    pub name: String,
    /// Its weight in the request.
    pub weight: f32,
    /// The city's latest value, when observed.
    pub city_value: Option<f64>,
    /// The target used, when observed.
    pub target: Option<f64>,
    /// Unit.
    pub unit: String,
    /// The city's gap (0–1), when observed.
    pub gap: Option<f32>,
    /// Share of the KPI covered by the portfolio, `1 − Π (1 − coverage)`, 0–1.
    pub covered: f32,
    /// The chosen solutions that address it.
    pub covered_by: Vec<String>,
}

impl From<&KpiCoverage> for KpiCoverageView {
    fn from(k: &KpiCoverage) -> KpiCoverageView {
        KpiCoverageView {
            code: k.code.to_string(),
            name: k.name.clone(),
            weight: k.weight,
            city_value: k.city_value,
            target: k.target,
            unit: k.unit.clone(),
            gap: k.gap,
            covered: k.covered,
            covered_by: k.covered_by.clone(),
        }
    }
}

/// A portfolio with its coverage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PortfolioView {
    /// The chosen solutions, in pick order.
    pub items: Vec<PortfolioItemView>,
    /// Gap coverage: the share of the request's weighted gaps the portfolio covers, 0–1.
    pub coverage: f32,
    /// Each weighed KPI's coverage, largest weight first.
    pub kpis: Vec<KpiCoverageView>,
    /// KPIs the city is weak on (below 66 % of target) that the portfolio leaves uncovered
    /// (less than 10 % of their gap covered).
    pub uncovered: Vec<KpiCoverageView>,
    /// The approximation guarantee of the greedy choice: `1 - 1/e` under the size limit alone,
    /// `1/2` with `one_per_category` or `budget.max_high_cost`.
    #[schema(example = "1 - 1/e")]
    pub guarantee: String,
    /// Solutions the filters and budget allowed that address a weighed KPI.
    pub candidates: usize,
    /// Ranking profile used.
    pub profile: String,
    /// Time taken, milliseconds.
    pub took_ms: f64,
}

impl PortfolioView {
    /// The view of a portfolio (timing filled in by the caller).
    pub fn new(p: &Portfolio) -> PortfolioView {
        PortfolioView {
            items: p
                .items
                .iter()
                .map(|i| PortfolioItemView {
                    rank: i.rank,
                    solution_id: i.solution_id.clone(),
                    title: i.title.clone(),
                    provider: i.provider.clone(),
                    cost_band: i.cost_band.map(|c| c.as_str().to_string()),
                    categories: i.categories.clone(),
                    gain: i.gain,
                    gain_share: i.gain_share,
                    kpis: i
                        .kpis
                        .iter()
                        .map(|k| KpiGainView {
                            code: k.code.to_string(),
                            name: k.name.clone(),
                            coverage: k.coverage,
                            gain: k.gain,
                        })
                        .collect(),
                })
                .collect(),
            coverage: p.coverage,
            kpis: p.kpis.iter().map(KpiCoverageView::from).collect(),
            uncovered: p.uncovered.iter().map(KpiCoverageView::from).collect(),
            guarantee: p.guarantee.to_string(),
            candidates: p.candidates,
            profile: p.profile.clone(),
            took_ms: 0.0,
        }
    }
}
