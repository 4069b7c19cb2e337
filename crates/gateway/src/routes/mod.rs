//! Route handlers, one module per route family.

pub mod auth;
pub mod chat;
pub mod events;
pub mod health;
pub mod staff;
pub mod ui;

use axum::http::Uri;

use crate::ApiError;

/// Any `/api/...` path without a route: JSON, never the UI's index page.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(uri.path().to_owned())
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
