//! Ranking: profiles (weights as data), match requests, the hybrid ranker and explanations.

mod explanation;
mod filter;
pub(crate) mod plan;
mod profile;
mod ranker;
pub(crate) use filter::CompiledFilters;
pub(crate) use ranker::combine;
pub(crate) use ranker::Ranker;
mod request;
mod timings;
mod why_not;
pub(crate) use why_not::{check_ids as check_explain_ids, Page};

pub use explanation::{Explanation, KpiContribution, TextMatch};
pub use filter::{FilterMiss, Filters};
pub use plan::{KpiWeight, QueryPlan, WeightSource};
pub use profile::{ProfileSet, RankingProfile};
pub use ranker::{MatchResponse, MatchResult};
pub use request::{CityInput, MatchRequest};
pub use timings::{Stage, StageTimings};
pub use why_not::{NotReturned, NotReturnedReason};
