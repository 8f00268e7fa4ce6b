//! `GET /v1/solutions/{id}/cities`: the cities a solution should approach.

use std::time::Instant;

use actix_web::{get, web, HttpRequest, HttpResponse};

use super::{check_id, ranked};
use crate::api::{parse_query, LeadsParams, LeadsView};
use crate::error::{ApiError, ApiResult, Code, Problem};
use crate::state::AppState;

/// Cities to approach with a solution.
///
/// The provider's side of the marketplace: ranks the stored cities by how much this solution
/// addresses their weighted gaps and their stated needs — exactly the score the solution gets
/// in each city's own match (`POST /v1/match` with the city and its stated needs), so scores are
/// comparable across cities. Each lead is explained like a match: the city's gaps the solution
/// addresses (value, target, gap, contribution), the needs words it matched, and the cities
/// similar to it that adopted the solution; the parts add up to the score. Cities that already
/// pilot, deploy or discontinued the solution are never ranked; `include_adopters=true` lists
/// them separately. The ranking is the exact top-k of every eligible city.
#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Solution id", example = "clearflow-nrw-performance-contract"), LeadsParams),
    responses(
        (status = 200, description = "The cities to approach, best first", body = LeadsView),
        (status = 400, description = "Invalid query parameters (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such solution or profile", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Saturated; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/solutions/{id}/cities")]
pub async fn solution_cities(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let start = Instant::now();
    let id = id.into_inner();
    check_id(&id, "id")?;
    let q: LeadsParams = parse_query(req.query_string())?;
    let request = q.into_request(&id);
    let mut view = ranked(&state, move |s| {
        let leads = s.engine().leads(&request).map_err(|e| match e {
            // Every field of this request is a query parameter.
            kpimatch_engine::Error::InvalidField { field, message } => {
                ApiError::new(Code::InvalidQuery, message).field(field)
            }
            other => ApiError::from(other),
        })?;
        Ok(LeadsView::new(&leads))
    })
    .await?;
    view.took_ms = start.elapsed().as_secs_f64() * 1e3;
    Ok(HttpResponse::Ok().json(view))
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(solution_cities);
}
