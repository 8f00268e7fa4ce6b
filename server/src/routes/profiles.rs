//! `GET /v1/profiles`.

use actix_web::{get, web, HttpResponse};

use crate::api::ProfilesView;
use crate::state::AppState;

/// The ranking profiles.
///
/// Every profile a match or evaluation request may name in `profile`, by name, with what it is
/// for and its main weights; `default` is the one used when a request names none. The
/// `text-only`, `kpi-only` and `no-evidence` ablations of the default profile are always there.
#[utoipa::path(
    tag = "matching",
    responses((status = 200, description = "The profiles, by name", body = ProfilesView))
)]
#[get("/v1/profiles")]
pub async fn list_profiles(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(ProfilesView::from(state.engine().profiles()))
}

/// Registers the route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_profiles);
}
