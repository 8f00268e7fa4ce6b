//! `POST /v1/portfolio`: solutions that together cover the most of a city's gaps.

use std::time::Instant;

use actix_web::{post, web, HttpRequest, HttpResponse};

use super::ranked;
use crate::api::{parse_json, read_body, PortfolioBody, PortfolioView};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

/// Build a portfolio for a city.
///
/// Picks up to `size` solutions that together cover the most of the city's weighted gaps (its
/// KPI weights as in a match: distance to target, what its needs ask for, SDG focus), with
/// diminishing returns per KPI: a KPI already covered counts less the second time. The choice
/// is greedy on marginal coverage — within `1 − 1/e` of the best possible set under the size
/// limit alone, within 1/2 with `one_per_category` or `budget.max_high_cost` (stated in
/// `guarantee`). Each item says what it adds (in total and per KPI); each weighed KPI says
/// how much of its gap the portfolio covers and by which solutions; `uncovered` lists the weak
/// KPIs (below 66 % of target) left uncovered.
#[utoipa::path(
    tag = "matching",
    request_body(content = PortfolioBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The portfolio", body = PortfolioView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown city or profile", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Saturated; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/portfolio")]
pub async fn portfolio(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let start = Instant::now();
    let bytes = read_body(&req, payload, state.limits.json, false).await?;
    let body: PortfolioBody = parse_json(&bytes)?;
    let request = body.into_request()?;
    let mut view = ranked(&state, move |s| {
        Ok(PortfolioView::new(&s.engine().portfolio(&request)?))
    })
    .await?;
    view.took_ms = start.elapsed().as_secs_f64() * 1e3;
    Ok(HttpResponse::Ok().json(view))
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(portfolio);
}
