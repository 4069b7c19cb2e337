//! Route handlers, one module per route family.

pub mod auth;
pub mod chat;
pub mod events;
pub mod health;
pub mod marketing;
pub mod realtime_token;
pub mod staff;
pub mod ui;
pub mod voice;
pub mod welcome;

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Uri};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Any `/api/...` path without a route: JSON, never the UI's index page.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(uri.path().chars().take(200).collect())
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A JSON body that may be left out entirely (all defaults); when present it must be declared
/// `application/json` and match `T` exactly.
pub fn optional_json<T: DeserializeOwned + Default>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .is_some_and(|t| t == "application/json" || t.ends_with("+json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    // With the path of the offending field, as axum's `Json` reports it.
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data if path == "." => ApiError::BadShape(inner.to_string()),
            serde_json::error::Category::Data => ApiError::BadShape(format!("{path}: {inner}")),
            _ => ApiError::BadJson(format!("invalid JSON: {inner}")),
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::BadJson(format!("invalid JSON: {e}")))?;
    Ok(value)
}
