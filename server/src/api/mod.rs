//! The v1 wire types: request bodies, responses, their OpenAPI schemas and the conversions
//! from and to the engine's types. The engine stays free of HTTP and OpenAPI concerns.

mod body;
mod catalogue;
mod cities;
mod evaluations;
mod facets;
mod feedback;
mod leads;
mod matching;
mod peers;
mod portfolio;
mod profiles;
mod solutions;

pub use body::{blamed_field, parse_json, parse_json_value, parse_query, path_error, read_body};
pub use catalogue::KpiView;
pub use cities::{
    CityBody, CityView, DeploymentBody, DeploymentStatusBody, GapsView, GoalStandingView, ObservationBody, SdgsView,
};
pub use evaluations::{ComparisonView, EvaluationBody, EvaluationReport, ProfileResult, TopicBody};
pub use facets::{FacetCountView, FacetsView};
pub use feedback::{FeedbackAck, FeedbackBody};
pub use leads::{LeadAdopterView, LeadView, LeadsParams, LeadsView};
pub use matching::{FiltersBody, MatchBody, MatchResponseBody, NotReturnedView, SearchParams};
pub use peers::{AdoptionView, BenchmarkParams, BenchmarkView, PeersParams, PeersView};
pub use portfolio::{BudgetBody, PortfolioBody, PortfolioView};
pub use profiles::{ProfileView, ProfilesView};
pub use solutions::{
    parse_bulk, BulkItemResult, BulkParse, BulkResponse, KpiImpactBody, ProfileEntryView, SolutionBody, SolutionView,
    MAX_BULK_ITEMS,
};

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Paging of list endpoints.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<usize>,
    /// Items skipped (default 0).
    #[param(minimum = 0, default = 0)]
    pub offset: Option<usize>,
    /// Only solutions in this category (case-insensitive; solutions only).
    pub category: Option<String>,
    /// Only solutions addressing this KPI, declared or inferred (solutions only).
    pub kpi: Option<String>,
}

/// A page of items.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Items in total (all pages).
    pub total: usize,
    /// Page size used.
    pub limit: usize,
    /// Offset used.
    pub offset: usize,
}
