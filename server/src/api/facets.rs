//! `GET /v1/facets`: the values the match filters can ask for, with counts.

use kpimatch_engine::solution::{FacetCount, Facets};
use serde::Serialize;
use utoipa::ToSchema;

/// How many solutions carry each value of the fields a match may filter on
/// (`filters.categories`, `filters.regions`, `filters.maturity`, `filters.cost_band`,
/// `filters.provider_type`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetsView {
    /// Solutions in the catalogue.
    pub solutions: usize,
    /// Categories, most used first. Filters compare trimmed and case-insensitively; each value is
    /// spelled as the first solution that used it.
    pub categories: Vec<FacetCountView>,
    /// Regions served, most used first. A solution serving `Global` matches every region filter
    /// and is counted under `Global` only.
    pub regions: Vec<FacetCountView>,
    /// Maturity levels in order (`concept`, `pilot`, `proven`, `scaled`); levels no solution
    /// states are left out.
    pub maturity: Vec<FacetCountView>,
    /// Cost bands from `low` to `high`; bands no solution states are left out.
    pub cost_band: Vec<FacetCountView>,
    /// Provider types in order (`company`, `startup`, `expert`, `city`, `research`, `ngo`);
    /// types no solution has are left out. A solution that states none is a `company`.
    pub provider_type: Vec<FacetCountView>,
}

/// One value and how many solutions carry it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetCountView {
    /// The value, as a filter accepts it.
    #[schema(example = "Environment")]
    pub value: String,
    /// Solutions carrying it.
    pub count: usize,
}

impl From<&Facets> for FacetsView {
    fn from(f: &Facets) -> FacetsView {
        let list = |v: &[FacetCount]| {
            v.iter()
                .map(|c| FacetCountView {
                    value: c.value.clone(),
                    count: c.count,
                })
                .collect()
        };
        FacetsView {
            solutions: f.solutions,
            categories: list(&f.categories),
            regions: list(&f.regions),
            maturity: list(&f.maturity),
            cost_band: list(&f.cost_band),
            provider_type: list(&f.provider_type),
        }
    }
}
