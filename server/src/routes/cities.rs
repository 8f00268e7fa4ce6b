//! `/v1/cities`: create or replace, read, delete, list, and the gap analysis.

use std::sync::Arc;

use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};

use super::{check_id, paging, write};
use crate::api::{parse_json, parse_query, read_body, CityBody, CityView, GapsView, Page, PageParams};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::storage::Written;

/// Create or replace a city.
///
/// A city with its KPI observations (several years per KPI allowed; the latest counts) and
/// its stated needs. Written durably before the answer; its gaps and matches change at once.
#[utoipa::path(
    tag = "cities",
    params(("id" = String, Path, description = "City id", example = "norrvik")),
    request_body(content = CityBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = CityView),
        (status = 200, description = "Replaced", body = CityView),
        (status = 400, description = "Malformed JSON or id", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; not written", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/cities/{id}")]
pub async fn put_city(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    check_id(&id, "id")?;
    let bytes = read_body(&req, payload, state.limits.json, false).await?;
    let body: CityBody = parse_json(&bytes)?;
    let city = body.into_city(&id, "")?;
    let view = CityView::from(&city);
    let written = write(&state, move |s| {
        let catalogue = s.engine().shared_catalogue();
        city.validate(&catalogue)?;
        let _w = s.writer();
        let written = s.store.put_city(&city)?;
        let id = city.id.clone();
        s.engine_mut().upsert_city(city)?;
        s.versions.bump_city(&id);
        s.refresh_gauges();
        Ok(written)
    })
    .await?;
    Ok(match written {
        Written::Created => HttpResponse::Created().json(view),
        Written::Replaced => HttpResponse::Ok().json(view),
    })
}

/// Read a city.
///
/// The city as stored: its stated needs and every KPI observation (codes normalised).
#[utoipa::path(
    tag = "cities",
    params(("id" = String, Path, description = "City id")),
    responses(
        (status = 200, description = "The city", body = CityView),
        (status = 404, description = "No such city", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/cities/{id}")]
pub async fn get_city(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let engine = state.engine();
    let c = engine.city(&id).ok_or_else(|| ApiError::not_found("city", &id))?;
    Ok(HttpResponse::Ok().json(CityView::from(c)))
}

/// Delete a city.
///
/// Removes the city durably; its gap analysis and matches are gone at once.
#[utoipa::path(
    tag = "cities",
    params(("id" = String, Path, description = "City id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such city", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable; not deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/cities/{id}")]
pub async fn delete_city(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let shown = id.clone();
    let deleted = write(&state, move |s| {
        let _w = s.writer();
        if s.engine().city(&id).is_none() {
            return Ok(false);
        }
        s.store.delete_city(&id)?;
        s.engine_mut().delete_city(&id);
        s.versions.bump_city(&id);
        s.refresh_gauges();
        Ok(true)
    })
    .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("city", &shown))
    }
}

/// List cities.
///
/// Paginated (`limit` ≤ 100, `offset`), by id.
#[utoipa::path(
    tag = "cities",
    params(PageParams),
    responses(
        (status = 200, description = "A page of cities", body = Page<CityView>),
        (status = 400, description = "Invalid paging", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/cities")]
pub async fn list_cities(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q: PageParams = parse_query(req.query_string())?;
    let (limit, offset) = paging(q.limit, q.offset)?;
    let engine = state.engine();
    let total = engine.cities().count();
    let items = engine.cities().skip(offset).take(limit).map(CityView::from).collect();
    Ok(HttpResponse::Ok().json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

/// A city's gap analysis.
///
/// Every observed KPI with its latest value, target (the city's own or the default), share of
/// target achieved, U4SSC band and points, distance to target and trend — weakest first — plus
/// roll-ups per category, sub-dimension and dimension, and the KPIs without data.
#[utoipa::path(
    tag = "cities",
    params(("id" = String, Path, description = "City id", example = "qasr-alwan")),
    responses(
        (status = 200, description = "The gap analysis", body = GapsView),
        (status = 404, description = "No such city", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/cities/{id}/gaps")]
pub async fn city_gaps(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let key = (id.clone(), state.versions.city(&id));
    if let Some(hit) = state.caches.gaps.get(&key) {
        state.metrics.record_cache("gaps", true);
        return Ok(HttpResponse::Ok().json(hit.as_ref()));
    }
    state.metrics.record_cache("gaps", false);
    let view = {
        let engine = state.engine();
        let gaps = engine.gaps(&id).map_err(|_| ApiError::not_found("city", &id))?;
        Arc::new(GapsView::new(&id, &gaps))
    };
    state.caches.gaps.insert(key, Arc::clone(&view));
    Ok(HttpResponse::Ok().json(view.as_ref()))
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_cities)
        .service(city_gaps)
        .service(put_city)
        .service(get_city)
        .service(delete_city);
}
