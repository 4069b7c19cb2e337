//! `/api/marketing/*`: the legacy marketing endpoints, through an authenticated reverse proxy
//! that lets only allowlisted paths through to `MARKETING_BACKEND_URL`.
//!
//! The caller's token stays here: upstream gets the path, the query, the body and a few
//! content headers, plus who is asking (`X-Donna-Subject`, `X-Donna-Role`). Answers are bounded
//! in size and time; a server error upstream becomes `502` without its body.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::{AnyRole, Authed};
use crate::security;
use crate::{ApiError, GatewayState, UpstreamError};

/// Largest request body forwarded.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// Largest response body passed back.
pub const MAX_RESPONSE_BYTES: usize = 5 * 1024 * 1024;
const SERVICE: &str = "marketing backend";

/// Request headers forwarded upstream; everything else (cookies, Authorization) stays here.
const FORWARDED_REQUEST_HEADERS: &[HeaderName] =
    &[header::CONTENT_TYPE, header::ACCEPT, header::ACCEPT_LANGUAGE];
/// Response headers passed back.
const FORWARDED_RESPONSE_HEADERS: &[HeaderName] = &[
    header::CONTENT_TYPE,
    header::CACHE_CONTROL,
    header::ETAG,
    header::LAST_MODIFIED,
];

/// Proxy to the marketing backend.
#[utoipa::path(method(get, post, put, patch, delete), path = "/api/marketing/{path}", tag = "marketing",
    params(("path" = String, Path, description = "a path under an allowlisted first segment (default: marketing, simple)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the backend's answer"),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 404, description = "path not allowlisted", body = crate::error::ErrorResponse),
        (status = 502, body = crate::error::ErrorResponse),
        (status = 503, description = "no marketing backend configured", body = crate::error::ErrorResponse),
        (status = 504, body = crate::error::ErrorResponse),
    ))]
pub async fn proxy(
    State(state): State<GatewayState>,
    Path(path): Path<String>,
    parts: Parts,
    Authed(claims, ..): Authed<AnyRole>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(base) = state.config().marketing_backend_url.clone() else {
        return Err(ApiError::Unavailable {
            code: "marketing_unavailable",
            message: "no marketing backend is configured".to_owned(),
        });
    };
    // The raw path, as sent: `Path` has percent-decoded it, and encoded tricks must be seen.
    let raw = parts
        .uri
        .path()
        .strip_prefix("/api/marketing/")
        .unwrap_or_default();
    if !allowed(raw, &state.config().marketing_allowed_paths) {
        security::denied(
            &parts,
            Some(&claims),
            "path_not_allowed",
            "marketing path not on the allowlist",
        );
        return Err(ApiError::NotFound(format!(
            "/api/marketing/{}",
            path.chars().take(100).collect::<String>()
        )));
    }
    if !matches!(
        parts.method,
        Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        return Err(ApiError::MethodNotAllowed);
    }
    let mut url = format!("{base}/{raw}");
    if let Some(query) = parts.uri.query() {
        url.push('?');
        url.push_str(query);
    }
    let upstream = state.upstream()?;
    let mut request = upstream
        .client()
        .request(parts.method.clone(), url)
        .header("x-donna-subject", &claims.sub)
        .header("x-donna-role", claims.role.as_str());
    for name in FORWARDED_REQUEST_HEADERS {
        if let Some(value) = parts.headers.get(name) {
            request = request.header(name, value);
        }
    }
    if let Some(id) = parts.headers.get("x-request-id") {
        request = request.header("x-request-id", id);
    }
    if !body.is_empty() {
        request = request.body(body);
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Err(UpstreamError::from_reqwest(SERVICE, upstream.timeout_s(), e).into()),
    };
    let status = response.status();
    if status.is_server_error() {
        return Err(UpstreamError::Rejected {
            service: SERVICE,
            status: status.as_u16(),
            code: None,
            message: "server error".to_owned(),
        }
        .into());
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut collected = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if collected.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(too_large());
                }
                collected.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(UpstreamError::from_reqwest(SERVICE, upstream.timeout_s(), e).into()),
        }
    }
    let mut out = Response::new(Body::from(collected));
    *out.status_mut() = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    for name in FORWARDED_RESPONSE_HEADERS {
        if let Some(value) = response.headers().get(name)
            && let Ok(value) = HeaderValue::from_bytes(value.as_bytes())
        {
            out.headers_mut().insert(name, value);
        }
    }
    Ok(out.into_response())
}

fn too_large() -> ApiError {
    UpstreamError::BadResponse {
        service: SERVICE,
        detail: format!("response larger than {MAX_RESPONSE_BYTES} bytes"),
    }
    .into()
}

/// Whether `raw` (the path after `/api/marketing/`, still percent-encoded) may go upstream: its
/// first segment is allowlisted and no segment could climb out or be read differently upstream.
pub fn allowed(raw: &str, allowlist: &[String]) -> bool {
    let lower = raw.to_ascii_lowercase();
    // Encoded dots, slashes and backslashes are decoded differently by different servers.
    if ["%2e", "%2f", "%5c", "%00", "\\"]
        .iter()
        .any(|bad| lower.contains(bad))
    {
        return false;
    }
    let mut segments = raw.split('/');
    let first = segments.next().unwrap_or_default();
    if !allowlist.iter().any(|a| a == first) {
        return false;
    }
    segments.all(|s| !s.is_empty() && s != "." && s != "..")
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./~%".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clean_allowlisted_paths_pass() {
        let allow = vec!["marketing".to_owned(), "simple".to_owned()];
        for ok in [
            "simple",
            "marketing/campaigns",
            "simple/a-b_c/d.json",
            "marketing/x%20y",
        ] {
            assert!(allowed(ok, &allow), "{ok}");
        }
        for bad in [
            "",
            "admin",
            "simple/../admin",
            "simple/./x",
            "simple//x",
            "simple/%2e%2e/admin",
            "simple/%2F..",
            "simple\\..\\x",
            "marketingx/y",
            "simple/a b",
            "simple/x%00",
        ] {
            assert!(!allowed(bad, &allow), "{bad}");
        }
    }
}
