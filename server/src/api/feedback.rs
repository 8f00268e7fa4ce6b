use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A feedback event tied to a match's `request_id`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"request_id": "req-6b0b1780-0", "solution_id": "clearflow-nrw-performance-contract", "event": "shortlist"}))]
pub struct FeedbackBody {
    /// `request_id` of the match or search response that showed the solution (1–100 characters).
    pub request_id: String,
    /// The solution acted on (must exist).
    pub solution_id: String,
    /// `impression`, `click`, `shortlist`, `contact` or `adopted`.
    #[schema(example = "shortlist")]
    pub event: String,
    /// For impressions: the rank shown, 1–10,000.
    pub position: Option<u32>,
}

/// What was stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackAck {
    /// Events stored (durably).
    pub stored: usize,
    /// Sequence number of the last one.
    pub last_sequence: i64,
}
