//! `/v1/cities`: create or replace, read, delete, list, and the gap analysis.

use std::sync::Arc;

use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};
use kpimatch_engine::Changes;

use super::{check_id, delete_record, paging, write};
use crate::api::{parse_json, parse_query, read_body, CityBody, CityView, GapsView, Page, PageParams, SdgsView};
use crate::api::{BenchmarkParams, BenchmarkView, PeersParams, PeersView};
use crate::error::{ApiError, ApiResult, Problem};
use crate::replica;
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
        // The deployments must name stored solutions; checked here, at the door — a stored city
        // whose solution is deleted later still loads and replicates.
        s.engine().check_city(&city)?;
        let _w = s.writer();
        let c = s.store.put_city(&city)?;
        replica::apply_written(
            s,
            c.first,
            c.last,
            Changes {
                cities: vec![city],
                ..Changes::default()
            },
        )?;
        Ok(c.value)
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
    delete_record(
        &state,
        "city",
        id.into_inner(),
        |store, id| store.delete_city(id),
        |id| Changes {
            deleted_cities: vec![id],
            ..Changes::default()
        },
    )
    .await
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

/// A city's standing per Sustainable Development Goal.
///
/// The U4SSC KPIs localise the SDGs: each KPI serves one or more goals (kpimatch's goal-level
/// mapping, `goals` in `GET /v1/kpis`, which includes the goals of the KPI's SDG indicators).
/// For each goal: the U4SSC roll-up of the city's points on the KPIs serving it (share of the
/// maximum and its band), its weakest such KPIs, and how many of them the city reports. A KPI
/// serving several goals counts for each.
#[utoipa::path(
    tag = "cities",
    params(("id" = String, Path, description = "City id", example = "qasr-alwan")),
    responses(
        (status = 200, description = "The standing per goal", body = SdgsView),
        (status = 404, description = "No such city", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/cities/{id}/sdgs")]
pub async fn city_sdgs(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let engine = state.engine();
    let standing = engine.sdgs(&id).map_err(|_| ApiError::not_found("city", &id))?;
    Ok(HttpResponse::Ok().json(SdgsView::new(&id, &standing)))
}

/// Peers wanted when `limit` is omitted.
const DEFAULT_PEERS: usize = 5;
/// Size of the benchmark peer group when `peers` is omitted.
const DEFAULT_BENCHMARK_PEERS: usize = 10;

fn peer_count(value: Option<usize>, default: usize, field: &str) -> ApiResult<usize> {
    let n = value.unwrap_or(default);
    if !(1..=kpimatch_engine::peers::MAX_PEERS).contains(&n) {
        return Err(ApiError::new(
            crate::error::Code::InvalidQuery,
            format!("{field} {n} is outside 1–{}", kpimatch_engine::peers::MAX_PEERS),
        )
        .field(field));
    }
    Ok(n)
}

/// A city's most similar peers.
///
/// The stored cities most like this one, most similar first: similarity from achievement on
/// the KPIs both report (value against target, so units do not matter), population band and
/// region; how many KPIs were compared; and the KPIs where each peer is clearly ahead (by at
/// least 20 points of target), with both cities' values and targets. Two cities are compared
/// only when they report at least 8 KPIs in common: a city with no such peer gets 200 with
/// `comparable: false` and a `reason` ("too few comparable KPIs: …"), never a made-up
/// comparison.
#[utoipa::path(
    tag = "cities",
    params(("id" = String, Path, description = "City id", example = "qasr-alwan"), PeersParams),
    responses(
        (status = 200, description = "The peers, or `comparable: false` with the reason", body = PeersView),
        (status = 400, description = "Invalid `limit` (1–50)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such city", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/cities/{id}/peers")]
pub async fn city_peers(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let q: PeersParams = parse_query(req.query_string())?;
    let limit = peer_count(q.limit, DEFAULT_PEERS, "limit")?;
    let engine = state.engine();
    if engine.city(&id).is_none() {
        return Err(ApiError::not_found("city", &id));
    }
    let peers = engine.peers(&id, limit)?;
    Ok(HttpResponse::Ok().json(PeersView::from(&peers)))
}

/// A city's standing among its peers.
///
/// For every KPI the city reports (weakest first): its rank by share of target reached among
/// itself and its most similar peers that report the KPI, its percentile, the peers' median and
/// best value, and the city's own series and trend over the years it reported; for every
/// category the same standing on the U4SSC roll-up, with how many of its KPIs improve or
/// worsen. `peers` sets the size of the peer group. A city that no other city can be compared
/// with gets 200 with `comparable: false` and a `reason`.
#[utoipa::path(
    tag = "cities",
    params(("id" = String, Path, description = "City id", example = "qasr-alwan"), BenchmarkParams),
    responses(
        (status = 200, description = "The standing, or `comparable: false` with the reason", body = BenchmarkView),
        (status = 400, description = "Invalid `peers` (1–50)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such city", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/cities/{id}/benchmark")]
pub async fn city_benchmark(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let q: BenchmarkParams = parse_query(req.query_string())?;
    let peers = peer_count(q.peers, DEFAULT_BENCHMARK_PEERS, "peers")?;
    let engine = state.engine();
    if engine.city(&id).is_none() {
        return Err(ApiError::not_found("city", &id));
    }
    let benchmark = engine.benchmark(&id, peers)?;
    Ok(HttpResponse::Ok().json(BenchmarkView::from(&benchmark)))
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_cities)
        .service(city_gaps)
        .service(city_sdgs)
        .service(city_peers)
        .service(city_benchmark)
        .service(put_city)
        .service(get_city)
        .service(delete_city);
}
