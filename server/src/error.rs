//! API errors: one table gives every error its stable `code`, HTTP status and problem type;
//! every 4xx/5xx leaves as `application/problem+json` (RFC 9457).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use kpimatch_engine::{Error as EngineError, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

/// The error kinds of the API; `code()` is the stable machine-readable name clients match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The body is not valid JSON, or has the wrong shape or types.
    InvalidJson,
    /// A field has an invalid value.
    InvalidField,
    /// A KPI code that does not exist.
    UnknownKpi,
    /// A query-string parameter is invalid.
    InvalidQuery,
    /// A path parameter is invalid.
    InvalidPath,
    /// The entity does not exist.
    NotFound,
    /// The request conflicts with the current state.
    Conflict,
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// The content type is not supported.
    UnsupportedMediaType,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// No API key was sent, or the key is not known.
    Unauthorized,
    /// The key is valid but its scope does not allow this operation.
    Forbidden,
    /// The key was revoked.
    KeyRevoked,
    /// Too many requests for this key; retry after the given delay.
    RateLimited,
    /// The server is saturated; retry after the given delay.
    Overloaded,
    /// Storage is unavailable; the write was not acknowledged.
    StorageUnavailable,
    /// The service is still loading.
    NotReady,
    /// A bug; the request id is logged.
    Internal,
}

impl Code {
    /// (code, status, title) — the error table.
    pub fn spec(self) -> (&'static str, StatusCode, &'static str) {
        match self {
            Code::InvalidJson => (
                "invalid_json",
                StatusCode::BAD_REQUEST,
                "The request body is not valid JSON for this operation",
            ),
            Code::InvalidField => (
                "invalid_field",
                StatusCode::UNPROCESSABLE_ENTITY,
                "A field has an invalid value",
            ),
            Code::UnknownKpi => ("unknown_kpi", StatusCode::UNPROCESSABLE_ENTITY, "Unknown KPI code"),
            Code::InvalidQuery => ("invalid_query", StatusCode::BAD_REQUEST, "A query parameter is invalid"),
            Code::InvalidPath => ("invalid_path", StatusCode::BAD_REQUEST, "A path parameter is invalid"),
            Code::NotFound => ("not_found", StatusCode::NOT_FOUND, "Not found"),
            Code::Conflict => ("conflict", StatusCode::CONFLICT, "Conflict"),
            Code::PayloadTooLarge => (
                "payload_too_large",
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large",
            ),
            Code::UnsupportedMediaType => (
                "unsupported_media_type",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported content type",
            ),
            Code::MethodNotAllowed => (
                "method_not_allowed",
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
            ),
            Code::Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED, "A valid API key is required"),
            Code::Forbidden => (
                "forbidden",
                StatusCode::FORBIDDEN,
                "The API key's scope does not allow this operation",
            ),
            Code::KeyRevoked => ("key_revoked", StatusCode::FORBIDDEN, "The API key was revoked"),
            Code::RateLimited => (
                "rate_limited",
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests for this API key",
            ),
            Code::Overloaded => (
                "overloaded",
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is overloaded",
            ),
            Code::StorageUnavailable => (
                "storage_unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
                "Storage is unavailable",
            ),
            Code::NotReady => ("not_ready", StatusCode::SERVICE_UNAVAILABLE, "The service is starting"),
            Code::Internal => ("internal", StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://kpimatch.example/problems/invalid_field",
    "title": "A field has an invalid value",
    "status": 422,
    "detail": "invalid value for 'kpis[0].impact': impact 1.5 is outside (0, 1]",
    "code": "invalid_field",
    "field": "kpis[0].impact"
}))]
pub struct Problem {
    /// URI of the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong, as a sentence naming the offending value.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// The offending field, when one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error on its way to becoming a problem response.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Kind.
    pub code: Code,
    /// Detail sentence.
    pub detail: String,
    /// Field to blame.
    pub field: Option<String>,
    /// Seconds for `Retry-After` (503/429).
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// An error of a kind with a detail sentence.
    pub fn new(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError {
            code,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    /// Names the field to blame.
    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// Sets `Retry-After`.
    pub fn retry_after(mut self, seconds: u32) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// Not found: `<entity> '<id>' was not found`.
    pub fn not_found(entity: &str, id: &str) -> ApiError {
        ApiError::new(Code::NotFound, format!("{entity} '{}' was not found", truncate(id, 80)))
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        let (code, status, title) = self.code.spec();
        Problem {
            problem_type: format!("https://kpimatch.example/problems/{code}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: code.to_string(),
            field: self.field.clone(),
        }
    }
}

/// Cuts a string to `max` characters for messages.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.spec().0, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.spec().1
    }

    fn error_response(&self) -> HttpResponse {
        let mut b = HttpResponse::build(self.status_code());
        b.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let Some(s) = self.retry_after {
            b.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        if self.code == Code::Unauthorized {
            b.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"kpimatch\""));
        }
        b.body(serde_json::to_string(&self.problem()).unwrap_or_else(|_| "{}".into()))
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        // Exhaustive on the kind: a new kind does not compile until it has a status here.
        let code = match e.kind() {
            ErrorKind::InvalidInput => match &e {
                EngineError::UnknownKpi(_) | EngineError::UnknownKpiAt { .. } => Code::UnknownKpi,
                _ => Code::InvalidField,
            },
            ErrorKind::NotFound => Code::NotFound,
            ErrorKind::Conflict => Code::Conflict,
            ErrorKind::Unavailable => Code::StorageUnavailable,
            ErrorKind::Internal => Code::Internal,
        };
        let field = match &e {
            EngineError::InvalidField { field, .. } | EngineError::UnknownKpiAt { field, .. } => Some(field.clone()),
            EngineError::UnknownKpi(_) | EngineError::MalformedKpiCode(_) => Some("kpi".to_string()),
            _ => None,
        };
        if code == Code::Internal {
            tracing::error!(error = %e, "internal engine error");
        }
        let detail = if code == Code::Internal {
            "An internal error occurred; it has been logged.".to_string()
        } else {
            e.to_string()
        };
        ApiError {
            code,
            detail,
            field,
            retry_after: (code == Code::StorageUnavailable).then_some(5),
        }
    }
}

impl From<crate::storage::StoreError> for ApiError {
    fn from(e: crate::storage::StoreError) -> ApiError {
        tracing::error!(error = %e, "storage error");
        ApiError::new(
            Code::StorageUnavailable,
            "Storage is unavailable; the write was not acknowledged. Retry later.",
        )
        .retry_after(5)
    }
}

/// `Result` for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
