//! Solutions as the marketplace describes them, and their KPI profiles.

mod facets;
mod profile;
mod record;

pub use facets::{filter_key, FacetCount, Facets};
pub use profile::{KpiProfile, ProfileEntry, Provenance};
pub use record::{validate_id, CostBand, KpiImpact, Maturity, ProviderType, Solution, WHEEL_CATEGORIES};
