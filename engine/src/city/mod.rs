//! Cities, their KPI observations, and the gap analysis.

mod gaps;
mod record;

pub use gaps::{GapAnalysis, KpiGap, TargetSource, Trend, TrendDirection};
pub use record::{City, Deployment, DeploymentStatus, Observation};
