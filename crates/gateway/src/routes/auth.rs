//! `GET /api/auth/me`: lets a kiosk or staff desktop check its token before it needs it.

use axum::Json;

use crate::auth::{AnyRole, Authed, Claims};

/// The caller's verified token claims.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "`{sub, role, iss, aud, exp, iat, nbf}`"),
        (status = 401, body = crate::error::ErrorResponse),
    ))]
pub async fn me(Authed(claims, ..): Authed<AnyRole>) -> Json<Claims> {
    Json(claims)
}
