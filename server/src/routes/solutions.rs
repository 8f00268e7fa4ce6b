//! `/v1/solutions`: create or replace, read, delete, list, bulk import; `/v1/facets`.

use std::sync::Arc;

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use kpimatch_engine::solution::{filter_key, Solution};
use kpimatch_engine::Changes;

use super::{check_id, delete_record, paging, write};
use crate::api::{
    parse_bulk, parse_json, parse_query, read_body, BulkParse, BulkResponse, FacetsView, Page, PageParams,
    SolutionBody, SolutionView,
};
use crate::error::{ApiError, ApiResult, Code, Problem};
use crate::replica;
use crate::state::AppState;
use crate::storage::Written;

pub use crate::api::MAX_BULK_ITEMS;

/// Create or replace a solution.
///
/// Validates the body, writes it durably, then indexes it: the answer comes only once the
/// write is committed, and the very next match sees it. Solutions without declared KPI impacts
/// get a KPI profile inferred from their text, shown in the response.
#[utoipa::path(
    tag = "solutions",
    params(("id" = String, Path, description = "Solution id: 1–80 of letters, digits, '-', '_', '.'", example = "aquatrace-leak-detection")),
    request_body(content = SolutionBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = SolutionView),
        (status = 200, description = "Replaced", body = SolutionView),
        (status = 400, description = "Malformed JSON or id", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; not written", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/solutions/{id}")]
pub async fn put_solution(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    check_id(&id, "id")?;
    let bytes = read_body(&req, payload, state.limits.json, false).await?;
    let body: SolutionBody = parse_json(&bytes)?;
    let solution = body.into_solution(&id)?;
    let (written, view) = write(&state, move |s| {
        // The catalogue without the engine's lock: writers queue for the next group while a
        // commit holds it.
        solution.validate(&s.catalogue)?;
        // Committed with the single writes that arrive meanwhile (group commit).
        let written = replica::put_solution(s, solution)?;
        let engine = s.engine();
        let view = engine
            .solution(&id)
            .map(|st| SolutionView::from_stored(st, engine.catalogue()));
        Ok((written, view))
    })
    .await?;
    let view = view.ok_or_else(|| ApiError::new(Code::Internal, "the stored solution could not be read back"))?;
    Ok(match written {
        Written::Created => HttpResponse::Created().json(view),
        Written::Replaced => HttpResponse::Ok().json(view),
    })
}

/// Read a solution.
///
/// The solution as stored, with the KPI profile kpimatch ranks it by: declared impacts, or
/// impacts inferred from its text (with their confidence).
#[utoipa::path(
    tag = "solutions",
    params(("id" = String, Path, description = "Solution id")),
    responses(
        (status = 200, description = "The solution", body = SolutionView),
        (status = 404, description = "No such solution", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/solutions/{id}")]
pub async fn get_solution(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let engine = state.engine();
    let s = engine
        .solution(&id)
        .ok_or_else(|| ApiError::not_found("solution", &id))?;
    Ok(HttpResponse::Ok().json(SolutionView::from_stored(s, engine.catalogue())))
}

/// Delete a solution.
///
/// Removes it durably; it is gone from the very next match.
#[utoipa::path(
    tag = "solutions",
    params(("id" = String, Path, description = "Solution id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such solution", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; not deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/solutions/{id}")]
pub async fn delete_solution(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    delete_record(
        &state,
        "solution",
        id.into_inner(),
        |store, id| store.delete_solution(id),
        |id| Changes {
            deleted_solutions: vec![id],
            ..Changes::default()
        },
    )
    .await
}

/// List solutions.
///
/// Paginated (`limit` ≤ 100, `offset`), in the order they were first written; filter by
/// `category` (case-insensitive) or `kpi` (addressed, declared or inferred).
#[utoipa::path(
    tag = "solutions",
    params(PageParams),
    responses(
        (status = 200, description = "A page of solutions", body = Page<SolutionView>),
        (status = 400, description = "Invalid paging or filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/solutions")]
pub async fn list_solutions(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q: PageParams = parse_query(req.query_string())?;
    let (limit, offset) = paging(q.limit, q.offset)?;
    let engine = state.engine();
    let kpi = match &q.kpi {
        Some(code) => Some(
            engine
                .catalogue()
                .resolve(code)
                .map_err(|e| ApiError::new(Code::InvalidQuery, e.to_string()).field("kpi"))?,
        ),
        None => None,
    };
    let category = q.category.as_deref().map(filter_key);
    let matching: Vec<_> = engine
        .solutions()
        .filter(|s| {
            category
                .as_ref()
                .is_none_or(|c| s.solution.categories.iter().any(|x| x.to_lowercase() == *c))
        })
        .filter(|s| kpi.is_none_or(|k| s.profile.get(k).is_some()))
        .collect();
    let items = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|s| SolutionView::from_stored(s, engine.catalogue()))
        .collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        total: matching.len(),
        limit,
        offset,
    }))
}

/// Import solutions in bulk.
///
/// A JSON array or NDJSON (`application/x-ndjson`) of up to 10,000 solutions, each with its
/// `id`. Valid items are written durably in one transaction and indexed once; invalid items
/// are reported per item and skipped. The body is limited in size (see the README).
#[utoipa::path(
    tag = "solutions",
    request_body(content = Vec<SolutionBody>, description = "Solutions, each with an `id` field", content_type = "application/json"),
    responses(
        (status = 200, description = "Per-item results", body = BulkResponse),
        (status = 400, description = "Not a JSON array or NDJSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large or more than 10,000 items", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Unsupported content type", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; nothing written", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/solutions/bulk")]
pub async fn bulk_solutions(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let bytes = read_body(&req, payload, state.limits.bulk, true).await?;
    let BulkParse { mut items, valid } = parse_bulk(&bytes, &state.catalogue)?;
    let solutions: Vec<Solution> = valid.iter().map(|(_, s)| s.clone()).collect();
    let written = write(&state, move |s| {
        if solutions.is_empty() {
            return Ok(Vec::new());
        }
        let _w = s.writer();
        replica::write_solutions(s, solutions)
    })
    .await?;
    for ((index, _), w) in valid.iter().zip(written) {
        items[*index].status = match w {
            Written::Created => "created".into(),
            Written::Replaced => "replaced".into(),
        };
    }
    let stored = valid.len();
    Ok(HttpResponse::Ok().json(BulkResponse {
        stored,
        rejected: items.len() - stored,
        items,
    }))
}

/// Filter values with counts.
///
/// How many solutions carry each category, region served, maturity and cost band: the values
/// `filters` of a match (and `category` of the solution list) can ask for, most used first for
/// the free-text fields. Counted over the whole catalogue; cached until it changes.
#[utoipa::path(
    tag = "solutions",
    responses((status = 200, description = "Counts per value", body = FacetsView))
)]
#[get("/v1/facets")]
pub async fn facets(state: web::Data<AppState>) -> HttpResponse {
    // The version is read before counting: a write landing in between is then counted under an
    // older version, never an older count under a newer one.
    let version = state.versions.catalogue();
    if let Some(hit) = state.caches.facets.get(&version) {
        state.metrics.record_cache("facets", true);
        return HttpResponse::Ok().json(hit.as_ref());
    }
    state.metrics.record_cache("facets", false);
    let view = Arc::new(FacetsView::from(&state.engine().facets()));
    state.caches.facets.insert(version, Arc::clone(&view));
    HttpResponse::Ok().json(view.as_ref())
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(bulk_solutions)
        .service(list_solutions)
        .service(put_solution)
        .service(get_solution)
        .service(delete_solution)
        .service(facets);
}
