//! `/healthz`, `/readyz`, `/metrics`.

use std::sync::atomic::Ordering;

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Code, Problem};
use crate::state::AppState;

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the process serves.
    pub status: String,
}

/// Readiness, with what is loaded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: String,
    /// Solutions indexed.
    pub solutions: usize,
    /// Cities stored.
    pub cities: usize,
    /// KPIs in the catalogue.
    pub kpis: usize,
}

/// Liveness probe.
///
/// Answers as long as the process serves HTTP; cheap enough to be the HTTP ceiling in load tests.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into() })
}

/// Readiness probe.
///
/// Ready once the engine and its index are loaded from storage.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Ready),
        (status = 503, description = "Still loading", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if !state.ready.load(Ordering::SeqCst) {
        return Err(ApiError::new(Code::NotReady, "The index is still loading.").retry_after(1));
    }
    let s = state.engine().stats();
    Ok(HttpResponse::Ok().json(Ready {
        status: "ready".into(),
        solutions: s.solutions,
        cities: s.cities,
        kpis: s.kpis,
    }))
}

/// Prometheus metrics.
///
/// Request counts and latency histograms per route, cache hits and misses, catalogue size, in
/// the Prometheus text format.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Metrics", body = String, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
