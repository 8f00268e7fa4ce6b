//! `GET /v1/kpis`, `GET /v1/kpis/{code}`.

use actix_web::{get, web, HttpResponse};

use crate::api::KpiView;
use crate::error::{ApiError, ApiResult, Code, Problem};
use crate::state::AppState;

/// The KPI catalogue.
///
/// All 91 U4SSC KPIs with their dimension, category, unit, direction, default target (and its
/// source) and how many solutions address each, declared or inferred.
#[utoipa::path(
    tag = "catalogue",
    responses((status = 200, description = "The catalogue, in U4SSC order", body = Vec<KpiView>))
)]
#[get("/v1/kpis")]
pub async fn list_kpis(state: web::Data<AppState>) -> HttpResponse {
    let engine = state.engine();
    let kpis: Vec<KpiView> = engine
        .catalogue()
        .kpis()
        .iter()
        .enumerate()
        .map(|(i, k)| KpiView::new(k, engine.kpi_solution_counts(i)))
        .collect();
    HttpResponse::Ok().json(kpis)
}

/// One KPI.
///
/// The code is accepted in any spacing and letter case (`EC: I: WS: 3C`, `ec:i:ws:3c`).
#[utoipa::path(
    tag = "catalogue",
    params(("code" = String, Path, description = "U4SSC KPI code", example = "EC:I:WS:3C")),
    responses(
        (status = 200, description = "The KPI", body = KpiView),
        (status = 404, description = "No such KPI (or a malformed code)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/kpis/{code}")]
pub async fn get_kpi(state: web::Data<AppState>, code: web::Path<String>) -> ApiResult<HttpResponse> {
    let engine = state.engine();
    let id = engine
        .catalogue()
        .resolve(&code)
        .map_err(|e| ApiError::new(Code::NotFound, e.to_string()).field("code"))?;
    Ok(HttpResponse::Ok().json(KpiView::new(engine.catalogue().get(id), engine.kpi_solution_counts(id))))
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_kpis).service(get_kpi);
}
