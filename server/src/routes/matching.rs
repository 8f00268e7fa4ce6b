//! `POST /v1/match` and `GET /v1/search`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use kpimatch_engine::limits;

use super::ranked;
use crate::api::{parse_json, parse_query, read_body, MatchBody, MatchResponseBody, SearchParams};
use crate::error::{ApiError, ApiResult, Code, Problem};
use crate::state::AppState;

/// Requests whose cache key (the canonical body) is longer than this are not cached.
pub const MAX_CACHED_KEY_BYTES: usize = 16 * 1024;

/// Rank solutions for a city's gaps and needs.
///
/// Ranks the catalogue for a stored (`city_id`) or inline (`city`) city by its weakest KPIs
/// (distance to target) and its needs text, with optional KPI focus, hard filters, diversity
/// and paging. Every result carries an explanation whose parts add up to its score: the text
/// part (terms matched and where), the KPI part (each contributing KPI with the city's value,
/// target and gap and the solution's declared or inferred impact), the adoption evidence
/// (similar cities that piloted, deployed or discontinued it, in words and numbers) and any
/// diversity penalty.
/// Identical requests are served from a cache until a write changes what they depend on.
#[utoipa::path(
    tag = "matching",
    request_body(content = MatchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Ranked results", body = MatchResponseBody),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown city or profile", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Saturated; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/match")]
pub async fn match_solutions(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let start = Instant::now();
    let bytes = read_body(&req, payload, state.limits.json, false).await?;
    let body: MatchBody = parse_json(&bytes)?;
    respond(state, body, start, start.elapsed()).await
}

/// Ask in plain words.
///
/// The planner's question ("what fixes our water KPIs?"), optionally for a stored city whose
/// gaps then also count. Same answer shape as `POST /v1/match`.
#[utoipa::path(
    tag = "matching",
    params(SearchParams),
    responses(
        (status = 200, description = "Ranked results", body = MatchResponseBody),
        (status = 400, description = "Invalid query parameters", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown city or profile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid value", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Saturated; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/search")]
pub async fn search(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let start = Instant::now();
    let q: SearchParams = parse_query(req.query_string())?;
    if q.q.trim().is_empty() {
        return Err(ApiError::new(Code::InvalidQuery, "q must not be empty").field("q"));
    }
    let chars = q.q.chars().count();
    if chars > limits::MAX_QUERY_CHARS {
        return Err(ApiError::new(
            Code::InvalidQuery,
            format!("q is {chars} characters long; the limit is {}", limits::MAX_QUERY_CHARS),
        )
        .field("q"));
    }
    let body = MatchBody {
        city_id: q.city_id,
        needs: Some(q.q),
        lang: q.lang,
        limit: q.limit,
        offset: q.offset,
        profile: q.profile,
        explain: q.explain,
        ..Default::default()
    };
    respond(state, body, start, start.elapsed()).await
}

/// Answers a parsed match request (`parsed`: the time reading and parsing it took) from the
/// cache, or ranks it; a ranked answer records the time of each stage in `/metrics`.
async fn respond(
    state: web::Data<AppState>,
    body: MatchBody,
    start: Instant,
    parsed: Duration,
) -> ApiResult<HttpResponse> {
    let city_version = body.city_id.as_deref().map_or(0, |id| state.versions.city(id));
    // Adoption evidence also depends on the cities that record deployments.
    let evidence_version = state.engine().evidence_version();
    let key = format!(
        "{}|{}|{}|{}",
        state.versions.catalogue(),
        city_version,
        evidence_version,
        serde_json::to_string(&body).map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
    );
    let request_id = state.request_id();
    if let Some(hit) = state.caches.matches.get(&key) {
        state.metrics.record_cache("match", true);
        let mut out = (*hit).clone();
        out.request_id = request_id;
        out.cached = true;
        out.took_ms = start.elapsed().as_secs_f64() * 1e3;
        return Ok(HttpResponse::Ok().json(out));
    }
    state.metrics.record_cache("match", false);
    let request = body.into_request()?;
    let queued = Instant::now();
    // The wire body is built on the blocking pool with the ranking, off the async workers.
    let (response, waited, timings, converted) = ranked(&state, move |s| {
        let waited = queued.elapsed();
        let engine = s.engine();
        let (response, timings) = engine.match_solutions_timed(&request)?;
        let converting = Instant::now();
        let body = MatchResponseBody::new(&response);
        Ok((body, waited, timings, converting.elapsed()))
    })
    .await?;
    let serialising = Instant::now();
    let response = Arc::new(response);
    // Large requests (inline cities, long filter lists) are rarely repeated; caching them
    // would let a client fill the cache's memory with a few thousand distinct bodies.
    if key.len() <= MAX_CACHED_KEY_BYTES {
        state.caches.matches.insert(key, Arc::clone(&response));
    }
    let mut out = (*response).clone();
    out.request_id = request_id;
    out.took_ms = start.elapsed().as_secs_f64() * 1e3;
    let http = HttpResponse::Ok().json(out);
    let metrics = &state.metrics;
    metrics.record_stage("parse", parsed);
    metrics.record_stage("queue", waited);
    for (stage, spent) in timings.iter() {
        metrics.record_stage(stage.name(), spent);
    }
    metrics.record_stage("serialize", converted + serialising.elapsed());
    Ok(http)
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(match_solutions).service(search);
}
