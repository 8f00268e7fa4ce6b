//! `/v1/keys`: create, list and revoke API keys (admin scope). A created key's secret is shown
//! once; only its hash is stored.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{check_id, write};
use crate::api::{parse_json, read_body};
use crate::auth::{self, Scope};
use crate::error::{ApiError, ApiResult, Code, Problem};
use crate::state::AppState;

/// A key to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "marketplace-backend", "scope": "read"}))]
pub struct KeyBody {
    /// A label (1–100 characters), e.g. the client it is for.
    pub name: String,
    /// `admin` (writes and key management) or `read` (reads, matching, evaluation).
    pub scope: String,
}

/// A key as listed (never the secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// Public id, used to revoke it.
    pub id: String,
    /// Label.
    pub name: String,
    /// `admin` or `read`.
    pub scope: String,
    /// When it was created.
    pub created_at: String,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// A created key, with its secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    /// Public id.
    pub id: String,
    /// Label.
    pub name: String,
    /// Scope.
    pub scope: String,
    /// The secret to send as `Authorization: Bearer <key>`; not retrievable later.
    pub key: String,
}

/// All keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    /// Keys in creation order, revoked ones included.
    pub items: Vec<KeyView>,
}

/// Create an API key.
///
/// Creates a key with the `admin` or `read` scope and returns its secret once. Every replica
/// accepts it within one poll interval.
#[utoipa::path(
    tag = "keys",
    request_body = KeyBody,
    responses(
        (status = 201, description = "Created; the secret is in `key`", body = CreatedKey),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or scope", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/keys")]
pub async fn create_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let bytes = read_body(&req, payload, state.limits.json, false).await?;
    let body: KeyBody = parse_json(&bytes)?;
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::new(Code::InvalidField, "name must be 1–100 characters").field("name"));
    }
    let scope = Scope::parse(&body.scope).ok_or_else(|| {
        ApiError::new(
            Code::InvalidField,
            format!(
                "scope '{}' is not one of admin, read",
                crate::error::truncate(&body.scope, 40)
            ),
        )
        .field("scope")
    })?;
    let created = write(&state, move |s| {
        let (id, secret) = auth::new_key();
        s.store.put_key(&auth::stored_key(&id, &name, scope, &secret))?;
        s.auth.refresh(&*s.store)?;
        Ok(CreatedKey {
            id,
            name,
            scope: scope.as_str().into(),
            key: secret,
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// List API keys.
///
/// Every key's id, label, scope, creation time and whether it was revoked; never a secret.
#[utoipa::path(
    tag = "keys",
    responses(
        (status = 200, description = "The keys", body = KeyList),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/keys")]
pub async fn list_keys(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let items = write(&state, |s| {
        Ok(s.store
            .keys()?
            .into_iter()
            .map(|k| KeyView {
                id: k.id,
                name: k.name,
                scope: k.scope,
                created_at: k.created_at,
                revoked: k.revoked,
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(KeyList { items }))
}

/// Revoke an API key.
///
/// The key answers 403 `key_revoked` from then on (on other replicas within one poll interval).
/// Keys set in the configuration are revoked by removing them there.
#[utoipa::path(
    tag = "keys",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "Malformed key id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/keys/{id}")]
pub async fn revoke_key(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    check_id(&id, "id")?;
    let shown = id.clone();
    let revoked = write(&state, move |s| {
        let revoked = s.store.revoke_key(&id)?;
        s.auth.refresh(&*s.store)?;
        Ok(revoked)
    })
    .await?;
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("key", &shown))
    }
}

/// Registers the routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_key).service(list_keys).service(revoke_key);
}
