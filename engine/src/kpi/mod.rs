//! The U4SSC KPI catalogue: codes, KPIs and the U4SSC scoring method.

mod catalogue;
mod code;
mod scoring;

pub use catalogue::{goal_of_indicator, Catalogue, Direction, Kpi, KpiId, SDG_GOALS};
pub use code::KpiCode;
pub use scoring::{achievement, Band, RollUp};

#[cfg(test)]
pub(crate) use catalogue::tests::tiny as catalogue_tests_tiny;
