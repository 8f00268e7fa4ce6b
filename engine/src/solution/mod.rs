//! Solutions as the marketplace describes them, and their KPI profiles.

mod profile;
mod record;

pub use profile::{KpiProfile, ProfileEntry, Provenance};
pub use record::{validate_id, CostBand, KpiImpact, Maturity, Solution, WHEEL_CATEGORIES};
