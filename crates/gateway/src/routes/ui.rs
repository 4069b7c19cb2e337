//! The `ui/` files for browsers: the same HTML the kiosk window shows.

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::{ApiError, GatewayState};

/// The `ui/` files for browsers (any path not under `/api/`).
#[utoipa::path(get, path = "/{path}", tag = "ui",
    params(("path" = String, Path, description = "a UI file; `/` is index.html")),
    responses((status = 200, description = "the file"), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn asset(State(state): State<GatewayState>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return ApiError::MethodNotAllowed.into_response();
    }
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    // Assets are looked up by name in a fixed set, so ".." can never reach the file system; refuse
    // it anyway so the intent is plain.
    if path.split('/').any(|seg| seg == "..") {
        return ApiError::NotFound(uri.path().to_owned()).into_response();
    }
    match state.ui().get(path) {
        Some(bytes) => {
            let mime = mime_guess::from_path(path).first_or_octet_stream();
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, mime.essence_str().to_owned()),
                    (header::CACHE_CONTROL, "no-cache".to_owned()),
                ],
                bytes,
            )
                .into_response()
        }
        None => ApiError::NotFound(uri.path().to_owned()).into_response(),
    }
}
