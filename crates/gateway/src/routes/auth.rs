//! `GET /api/auth/me`: lets a kiosk or staff desktop check its token before it needs it.

use axum::Json;

use crate::auth::{AnyRole, Authed, Claims};

pub async fn me(Authed(claims, ..): Authed<AnyRole>) -> Json<Claims> {
    Json(claims)
}
