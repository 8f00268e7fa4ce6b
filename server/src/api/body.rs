//! Reading request bodies: size limits, content types, and JSON errors that name the field.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{truncate, ApiError, ApiResult, Code};

/// Reads a body up to `limit` bytes; a larger one is a 413 problem, a non-JSON content type a 415.
pub async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    allow_ndjson: bool,
) -> ApiResult<web::Bytes> {
    if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
        let ct = ct
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let json = ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"));
        let ndjson =
            allow_ndjson && (ct == "application/x-ndjson" || ct == "application/ndjson" || ct == "application/jsonl");
        if !(json || ndjson) {
            let accepted = if allow_ndjson {
                "application/json or application/x-ndjson"
            } else {
                "application/json"
            };
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                format!("content type '{}' is not supported; send {accepted}", truncate(&ct, 60)),
            ));
        }
    }
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > limit {
            return Err(too_large(limit));
        }
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::new(Code::InvalidJson, format!("the request body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        Code::PayloadTooLarge,
        format!("the request body is larger than the limit of {limit} bytes"),
    )
}

/// Parses a JSON object body, naming the field of a type or shape error (`kpis[0].impact`).
/// The whole body must be one object: trailing data, or an array in place of an object, is an error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => {
            return Err(ApiError::new(
                Code::InvalidJson,
                "the request body is empty; a JSON object is required",
            ))
        }
        Some(b'{') => {}
        Some(_) => {
            return Err(ApiError::new(
                Code::InvalidJson,
                "the request body must be a JSON object",
            ))
        }
    }
    parse_json_value(bytes)
}

/// Parses a JSON document of any shape (objects, arrays), naming the field of an error.
pub fn parse_json_value<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::new(
            Code::InvalidJson,
            "the request body is empty; a JSON document is required",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end()
        .map_err(|e| ApiError::new(Code::InvalidJson, format!("the request body is not valid: {e}")))?;
    Ok(value)
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    path_error(e, "the request body is not valid", "")
}

/// The field to blame: the path where deserialisation stopped, extended by the name of a
/// missing field (serde reports those one level up); none for a syntax error before any field.
pub fn blamed_field(path: &str, message: &str) -> Option<String> {
    if message.starts_with("recursion limit exceeded") {
        // The path is just the nesting itself (`[0][0]…`): no field is to blame.
        return None;
    }
    let path = if path == "." || path == "?" { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
        .map(str::to_string);
    match (path.is_empty(), missing) {
        (true, None) => None,
        (true, Some(m)) => Some(m),
        (false, None) => Some(path.to_string()),
        (false, Some(m)) => Some(format!("{path}.{m}")),
    }
}

/// Parses a query string, naming the parameter of an error.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> ApiResult<T> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let err = ApiError::new(Code::InvalidQuery, format!("invalid query string: {inner}"));
        match blamed_field(&path, &inner) {
            Some(f) => err.field(f),
            None => err,
        }
    })
}

/// A 400 `invalid_json` for a value that did not deserialise, blaming its field (with `prefix`
/// for items of a list) as [`blamed_field`] does.
pub fn path_error<E: std::fmt::Display>(e: serde_path_to_error::Error<E>, what: &str, prefix: &str) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    let err = ApiError::new(Code::InvalidJson, format!("{what}: {inner}"));
    match blamed_field(&path, &inner) {
        Some(f) => err.field(format!("{prefix}{f}")),
        None => err,
    }
}
