//! HTTP handlers, one file per resource. Each handler extracts, calls the engine or the store
//! (off the async workers), converts and responds.

pub mod cities;
pub mod evaluations;
pub mod feedback;
pub mod health;
pub mod keys;
pub mod kpis;
pub mod leads;
pub mod matching;
pub mod page;
pub mod portfolio;
pub mod profiles;
pub mod solutions;

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use kpimatch_engine::Changes;

use crate::error::{ApiError, ApiResult, Code};
use crate::replica;
use crate::state::AppState;
use crate::storage::{Store, StoreError};

/// Runs CPU-heavy work (ranking) on the blocking pool behind a bounded number of permits;
/// when none frees up within the configured wait, answers 503 with `Retry-After`.
pub async fn ranked<T, F>(state: &web::Data<AppState>, f: F) -> ApiResult<T>
where
    F: FnOnce(&AppState) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    let permit = match tokio::time::timeout(state.permit_wait, Arc::clone(&state.permits).acquire_owned()).await {
        Ok(Ok(p)) => p,
        _ => {
            state.metrics.record_overload();
            return Err(ApiError::new(Code::Overloaded, "All ranking workers are busy; retry shortly.").retry_after(1));
        }
    };
    blocking(state, move |s| {
        let _permit = permit;
        f(s)
    })
    .await
}

/// Runs a write (store then engine) on the blocking pool.
pub async fn write<T, F>(state: &web::Data<AppState>, f: F) -> ApiResult<T>
where
    F: FnOnce(&AppState) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    blocking(state, f).await
}

/// Deletes one stored record (`delete` returns the change-log sequence of the deletion, `None`
/// when there was nothing to delete) and applies it to this replica before answering, so the
/// caller's next read no longer sees it: 204, or 404 naming `entity`.
pub async fn delete_record<D, C>(
    state: &web::Data<AppState>,
    entity: &'static str,
    id: String,
    delete: D,
    changes: C,
) -> ApiResult<HttpResponse>
where
    D: FnOnce(&dyn Store, &str) -> Result<Option<u64>, StoreError> + Send + 'static,
    C: FnOnce(String) -> Changes + Send + 'static,
{
    let shown = id.clone();
    let deleted = write(state, move |s| {
        let _w = s.writer();
        let Some(seq) = delete(s.store.as_ref(), &id)? else {
            return Ok(false);
        };
        replica::apply_written(s, seq, seq, changes(id))?;
        Ok(true)
    })
    .await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(entity, &shown))
    }
}

/// Runs a closure on actix's blocking pool inside the request's tracing span.
async fn blocking<T, F>(state: &web::Data<AppState>, f: F) -> ApiResult<T>
where
    F: FnOnce(&AppState) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    let state = state.clone().into_inner();
    let span = tracing::Span::current();
    web::block(move || {
        let _enter = span.enter();
        f(&state)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        ApiError::new(Code::Internal, "An internal error occurred; it has been logged.")
    })?
}

/// Checks an id from the path.
pub fn check_id(id: &str, field: &str) -> ApiResult<()> {
    kpimatch_engine::solution::validate_id(id).map_err(|e| match e {
        kpimatch_engine::Error::InvalidField { message, .. } => {
            ApiError::new(Code::InvalidPath, message).field(field.to_string())
        }
        other => ApiError::from(other),
    })
}

/// Resolves paging parameters.
pub fn paging(limit: Option<usize>, offset: Option<usize>) -> ApiResult<(usize, usize)> {
    let limit = limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::new(Code::InvalidQuery, format!("limit {limit} is outside 1–100")).field("limit"));
    }
    let offset = offset.unwrap_or(0);
    if offset > 10_000_000 {
        return Err(ApiError::new(Code::InvalidQuery, format!("offset {offset} is too large")).field("offset"));
    }
    Ok((limit, offset))
}
