//! `POST /v1/feedback`: usage events tied to a match's `request_id`, stored durably.

use actix_web::{post, web, HttpRequest, HttpResponse};
use kpimatch_engine::eval::{EventKind, FeedbackEvent};

use super::write;
use crate::api::{read_body, FeedbackAck, FeedbackBody};
use crate::error::{ApiError, ApiResult, Code, Problem};
use crate::state::AppState;

/// Most events in one call.
pub const MAX_EVENTS: usize = 1_000;

/// Record feedback.
///
/// One event or a JSON array of up to 1,000: what a user did with a result of a match
/// (`impression` with its `position`, `click`, `shortlist`, `contact`, `adopted`). Events are
/// validated and stored durably before the answer. `kpimatch eval --from-feedback` turns them
/// into judgments (adopted = 2, shortlist or contact = 1, seen only = 0) and the served run.
#[utoipa::path(
    tag = "evaluation",
    request_body(content = FeedbackBody, description = "An event, or an array of events", content_type = "application/json"),
    responses(
        (status = 201, description = "Stored", body = FeedbackAck),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many events", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid event (unknown kind or solution, bad position)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; not stored", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/feedback")]
pub async fn feedback(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let bytes = read_body(&req, payload, state.limits.json, false).await?;
    let value: serde_json::Value = crate::api::parse_json_value(&bytes)?;
    let (items, many) = match value {
        serde_json::Value::Array(a) => (a, true),
        other => (vec![other], false),
    };
    if items.len() > MAX_EVENTS {
        return Err(ApiError::new(
            Code::PayloadTooLarge,
            format!("{} events; at most {MAX_EVENTS} per call", items.len()),
        ));
    }
    let mut events = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let prefix = if many { format!("[{i}].") } else { String::new() };
        let body: FeedbackBody = serde_path_to_error::deserialize(item)
            .map_err(|e| crate::api::path_error(e, "not a valid event", &prefix))?;
        if body.request_id.is_empty() || body.request_id.chars().count() > 100 {
            return Err(
                ApiError::new(Code::InvalidField, "request_id must be 1 to 100 characters")
                    .field(format!("{prefix}request_id")),
            );
        }
        let event: EventKind = serde_json::from_value(serde_json::Value::String(body.event.clone())).map_err(|_| {
            ApiError::new(
                Code::InvalidField,
                format!(
                    "event '{}' is not one of impression, click, shortlist, contact, adopted",
                    crate::error::truncate(&body.event, 40)
                ),
            )
            .field(format!("{prefix}event"))
        })?;
        if body.position.is_some_and(|p| !(1..=10_000).contains(&p)) {
            return Err(
                ApiError::new(Code::InvalidField, "position must be between 1 and 10000")
                    .field(format!("{prefix}position")),
            );
        }
        if state.engine().solution(&body.solution_id).is_none() {
            return Err(ApiError::new(
                Code::InvalidField,
                format!(
                    "solution '{}' does not exist",
                    crate::error::truncate(&body.solution_id, 80)
                ),
            )
            .field(format!("{prefix}solution_id")));
        }
        events.push(FeedbackEvent {
            request_id: body.request_id,
            solution_id: body.solution_id,
            event,
            position: body.position,
        });
    }
    let ack = write(&state, move |s| {
        let mut last = 0;
        for e in &events {
            last = s
                .store
                .put_feedback(&serde_json::to_value(e).map_err(|e| ApiError::new(Code::Internal, e.to_string()))?)?;
        }
        Ok(FeedbackAck {
            stored: events.len(),
            last_sequence: last,
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(ack))
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(feedback);
}
