//! Cities, their KPI observations, the gap analysis and the SDG standing.

mod gaps;
mod record;
mod sdgs;

pub use gaps::{GapAnalysis, KpiGap, TargetSource, Trend, TrendDirection};
pub use record::{City, Deployment, DeploymentStatus, Observation};
pub use sdgs::{GoalStanding, SdgStanding, WEAKEST_PER_GOAL};
