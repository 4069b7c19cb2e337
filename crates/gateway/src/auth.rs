//! Who is calling: device and staff tokens (JWT), and the [`Authed`] extractor handlers use to
//! state the role they need.
//!
//! One algorithm is pinned per deployment ([`JwtAlgorithm`]): HS256 with `JWT_SECRET`, or RS256 /
//! EdDSA with a configured public key. The token's header never chooses: a token signed with any
//! other algorithm (`none` included, or HS256 keyed with an RSA public key) is refused. `exp` is
//! required; `nbf`, `iss` and `aud` are checked; `sub` names the device or staff member and
//! `role` is one of [`Role`].
//!
//! This module owns verification and minting. It does not own *where* a route sits or which
//! origin may call it: that is the router's and the layers' job.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use donna_config::{AuthSettings, JwtAlgorithm, Secret};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use crate::ApiError;
pub use crate::claims::{Claims, Role};
use crate::ratelimit::RouteLimits;
use crate::security;
use crate::verified::Verified;

/// Clock skew tolerated on `exp` and `nbf`; kiosks keep NTP time, so a few seconds suffice.
const LEEWAY_S: u64 = 5;
/// The longest a minted token may live. Device tokens are revoked by rotating the secret, so an
/// unbounded lifetime would make a lost kiosk's token valid forever.
pub const MAX_TTL_S: u64 = 366 * 24 * 3600;
/// Longest accepted token, far above any real one; stops a huge header being parsed at all.
const MAX_TOKEN_BYTES: usize = 4096;

/// Roles as an administrator names them (`donna token mint --role`).
impl std::str::FromStr for Role {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "kiosk" => Ok(Role::Kiosk),
            "staff" => Ok(Role::Staff),
            "admin" => Ok(Role::Admin),
            other => Err(AuthError::BadRequest(format!(
                "role must be kiosk, staff or admin, got \"{other}\""
            ))),
        }
    }
}

/// Why a token was refused or could not be minted. The `Display` text is the reason written to
/// the security log; clients only ever see a generic message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("token is not a well-formed JWT")]
    Malformed,
    #[error("token algorithm is not the pinned one")]
    WrongAlgorithm,
    #[error("bad signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("token not valid yet")]
    NotYetValid,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong audience")]
    WrongAudience,
    #[error("missing claim {0}")]
    MissingClaim(String),
    #[error("role {have} may not do this (needs {need})")]
    WrongRole { have: &'static str, need: &'static str },
    #[error("token authentication is not configured (set JWT_SECRET or JWT_PUBLIC_KEY)")]
    NotConfigured,
    #[error("this deployment verifies tokens with a public key; mint them where the private key is")]
    CannotMint,
    #[error("{0}")]
    BadRequest(String),
    #[error("bad key: {0}")]
    BadKey(String),
}

impl AuthError {
    /// A short stable reason for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing_token",
            AuthError::Malformed => "malformed_token",
            AuthError::WrongAlgorithm => "wrong_algorithm",
            AuthError::BadSignature => "bad_signature",
            AuthError::Expired => "expired",
            AuthError::NotYetValid => "not_yet_valid",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::MissingClaim(_) => "missing_claim",
            AuthError::WrongRole { .. } => "wrong_role",
            AuthError::NotConfigured => "auth_not_configured",
            AuthError::CannotMint => "cannot_mint",
            AuthError::BadRequest(_) => "bad_request",
            AuthError::BadKey(_) => "bad_key",
        }
    }
}

impl From<jsonwebtoken::errors::Error> for AuthError {
    fn from(e: jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature => AuthError::BadSignature,
            K::InvalidAlgorithm | K::InvalidAlgorithmName | K::MissingAlgorithm => AuthError::WrongAlgorithm,
            K::ExpiredSignature => AuthError::Expired,
            K::ImmatureSignature => AuthError::NotYetValid,
            K::InvalidIssuer => AuthError::WrongIssuer,
            K::InvalidAudience => AuthError::WrongAudience,
            K::MissingRequiredClaim(c) => AuthError::MissingClaim(c.clone()),
            K::InvalidEcdsaKey | K::InvalidEddsaKey | K::InvalidRsaKey(_) | K::InvalidKeyFormat => {
                AuthError::BadKey(e.to_string())
            }
            _ => AuthError::Malformed,
        }
    }
}

/// The token verifier (and, with HS256, minter) of one deployment.
#[derive(Clone)]
pub struct Jwt {
    algorithm: Algorithm,
    decoding: DecodingKey,
    /// Only with HS256: a public key cannot sign.
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    /// Shared by clones: one deployment's key, one set of tokens checked already.
    verified: Arc<Verified>,
}

impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl Jwt {
    /// HS256 with a shared secret: this process can verify and mint.
    pub fn hs256(secret: &Secret, issuer: &str, audience: &str) -> Self {
        let bytes = secret.expose().as_bytes();
        Self::build(
            Algorithm::HS256,
            DecodingKey::from_secret(bytes),
            Some(EncodingKey::from_secret(bytes)),
            issuer,
            audience,
        )
    }

    /// RS256 or EdDSA with a PEM public key: this process can verify only.
    pub fn public_key(
        algorithm: JwtAlgorithm,
        pem: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<Self, AuthError> {
        let (alg, key) = match algorithm {
            JwtAlgorithm::Rs256 => (Algorithm::RS256, DecodingKey::from_rsa_pem(pem.as_bytes())?),
            JwtAlgorithm::EdDsa => (Algorithm::EdDSA, DecodingKey::from_ed_pem(pem.as_bytes())?),
            JwtAlgorithm::Hs256 => {
                return Err(AuthError::BadKey(
                    "HS256 uses JWT_SECRET, not a public key".to_owned(),
                ));
            }
        };
        Ok(Self::build(alg, key, None, issuer, audience))
    }

    /// For tests and tools that sign with a private key: verify like [`Jwt::public_key`] and
    /// mint with `private_pem`.
    pub fn key_pair(
        algorithm: JwtAlgorithm,
        private_pem: &str,
        public_pem: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<Self, AuthError> {
        let mut jwt = Self::public_key(algorithm, public_pem, issuer, audience)?;
        jwt.encoding = Some(match algorithm {
            JwtAlgorithm::Rs256 => EncodingKey::from_rsa_pem(private_pem.as_bytes())?,
            JwtAlgorithm::EdDsa => EncodingKey::from_ed_pem(private_pem.as_bytes())?,
            JwtAlgorithm::Hs256 => return Err(AuthError::BadKey("HS256 has no key pair".to_owned())),
        });
        Ok(jwt)
    }

    /// The verifier `settings` describe, or `None` when no key is configured (then every
    /// authenticated route answers 401 with reason `auth_not_configured`).
    pub fn from_settings(auth: &AuthSettings) -> Result<Option<Self>, AuthError> {
        match (auth.jwt_algorithm, &auth.jwt_secret, &auth.jwt_public_key) {
            (JwtAlgorithm::Hs256, Some(secret), _) => {
                Ok(Some(Self::hs256(secret, &auth.jwt_issuer, &auth.jwt_audience)))
            }
            (JwtAlgorithm::Hs256, None, _) => Ok(None),
            (alg, _, Some(pem)) => Self::public_key(alg, pem, &auth.jwt_issuer, &auth.jwt_audience).map(Some),
            (_, _, None) => Ok(None),
        }
    }

    fn build(
        algorithm: Algorithm,
        decoding: DecodingKey,
        encoding: Option<EncodingKey>,
        issuer: &str,
        audience: &str,
    ) -> Self {
        // Exactly one algorithm: the header's `alg` must equal it, so neither `none` nor a
        // family switch (HS256 keyed with an RSA public key) can get through.
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_S;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        Self {
            algorithm,
            decoding,
            encoding,
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            verified: Arc::default(),
        }
    }

    /// Check a token's signature and claims; a token that passed before is checked against the
    /// clock alone (see the `verified` module).
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
            return Err(AuthError::Malformed);
        }
        if let Some(claims) = self.verified.get(token, unix_now(), LEEWAY_S) {
            return Ok(claims);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?;
        self.verified.insert(token, &data.claims);
        Ok(data.claims)
    }

    /// Mint a token for `sub` with `role`, valid for `ttl_s` seconds from now.
    pub fn mint(&self, sub: &str, role: Role, ttl_s: u64) -> Result<String, AuthError> {
        let encoding = self.encoding.as_ref().ok_or(AuthError::CannotMint)?;
        validate_subject(sub)?;
        if ttl_s == 0 || ttl_s > MAX_TTL_S {
            return Err(AuthError::BadRequest(format!(
                "ttl must be between 1 second and {} days",
                MAX_TTL_S / 86_400
            )));
        }
        let now = unix_now();
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + ttl_s,
            iat: now,
            nbf: Some(now),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(self.algorithm),
            &claims,
            encoding,
        )?)
    }
}

/// Device and staff ids are short and plain, so they are safe in logs and metrics labels.
pub fn validate_subject(sub: &str) -> Result<(), AuthError> {
    let ok = !sub.is_empty()
        && sub.len() <= 64
        && sub
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AuthError::BadRequest(format!(
            "sub must be 1-64 characters of letters, digits, '-', '_', '.', '@', got \"{sub}\""
        )))
    }
}

/// Parse a lifetime such as `30d`, `12h`, `15m`, `90s` or a bare number of seconds.
pub fn parse_ttl(text: &str) -> Result<u64, AuthError> {
    let text = text.trim();
    let bad = || AuthError::BadRequest(format!("ttl: expected e.g. 30d, 12h, 15m, 90s, got \"{text}\""));
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let ttl = n.checked_mul(scale).ok_or_else(bad)?;
    if ttl == 0 || ttl > MAX_TTL_S {
        return Err(AuthError::BadRequest(format!(
            "ttl: must be between 1s and {}d, got \"{text}\"",
            MAX_TTL_S / 86_400
        )));
    }
    Ok(ttl)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The gateway's verifier as handlers reach it: absent when no key is configured.
#[derive(Debug, Clone, Default)]
pub struct Authenticator(Option<Arc<Jwt>>);

impl Authenticator {
    pub fn new(jwt: Option<Jwt>) -> Self {
        Self(jwt.map(Arc::new))
    }

    /// Authenticate an `Authorization` header value.
    pub fn authenticate(&self, header: Option<&str>) -> Result<Claims, AuthError> {
        let token = header.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")));
        self.verify_token(token)
    }

    /// Authenticate a bare token.
    pub fn verify_token(&self, token: Option<&str>) -> Result<Claims, AuthError> {
        let jwt = self.0.as_deref().ok_or(AuthError::NotConfigured)?;
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        jwt.verify(token)
    }
}

/// The subprotocol prefix that carries a token on a browser's WebSocket upgrade, since browsers
/// cannot set `Authorization` there: `Sec-WebSocket-Protocol: realtime,
/// openai-insecure-api-key.<token>`, the form OpenAI's browser clients already use for keys.
pub const TOKEN_PROTOCOL: &str = "openai-insecure-api-key.";

/// The token a request presents: `Authorization: Bearer`, or on a WebSocket upgrade the
/// [`TOKEN_PROTOCOL`] subprotocol. Query-string tokens are not accepted: URLs end up in logs,
/// browser history and referrers.
pub fn presented_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    if let Some(auth) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "));
    }
    let protocols = headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?;
    protocols
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix(TOKEN_PROTOCOL))
}

/// Which roles a route accepts; implemented by the marker types below.
pub trait RoleSet: Send + Sync + 'static {
    const ALLOWED: &'static [Role];
    /// For the security log: what was needed.
    const NAME: &'static str;
}

/// Any valid token: kiosk, staff or admin.
#[derive(Debug)]
pub enum AnyRole {}
/// Staff desktops and administrators.
#[derive(Debug)]
pub enum StaffOnly {}
/// Administrators only.
#[derive(Debug)]
pub enum AdminOnly {}

impl RoleSet for AnyRole {
    const ALLOWED: &'static [Role] = &[Role::Kiosk, Role::Staff, Role::Admin];
    const NAME: &'static str = "kiosk, staff or admin";
}
impl RoleSet for StaffOnly {
    const ALLOWED: &'static [Role] = &[Role::Staff, Role::Admin];
    const NAME: &'static str = "staff or admin";
}
impl RoleSet for AdminOnly {
    const ALLOWED: &'static [Role] = &[Role::Admin];
    const NAME: &'static str = "admin";
}

/// The verified claims of the caller, extracted only when its role is in `R`.
///
/// A handler states the role it needs in its signature:
///
/// ```
/// use donna_gateway::auth::{Authed, StaffOnly};
///
/// async fn notify(Authed(claims, ..): Authed<StaffOnly>) -> String {
///     claims.sub // a staff id
/// }
/// ```
///
/// A missing or bad token is answered `401` (with `WWW-Authenticate: Bearer`), a valid token
/// with the wrong role `403`; both are written to the security log with their reason.
#[derive(Debug)]
pub struct Authed<R: RoleSet = AnyRole>(pub Claims, pub PhantomData<R>);

impl<R: RoleSet> Authed<R> {
    pub fn claims(&self) -> &Claims {
        &self.0
    }
}

impl<S, R> FromRequestParts<S> for Authed<R>
where
    S: Send + Sync,
    R: RoleSet,
    Authenticator: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Authenticator::from_ref(state);
        let claims = match auth.verify_token(presented_token(&parts.headers)) {
            Ok(claims) => claims,
            Err(e) => {
                security::denied(parts, None, e.reason(), &e.to_string());
                return Err(ApiError::Unauthorized);
            }
        };
        if !R::ALLOWED.contains(&claims.role) {
            let e = AuthError::WrongRole {
                have: claims.role.as_str(),
                need: R::NAME,
            };
            security::denied(parts, Some(&claims), e.reason(), &e.to_string());
            return Err(ApiError::Forbidden);
        }
        // The route's per-identity limit, left here by the rate-limit middleware.
        if let Some(limits) = parts.extensions.get::<RouteLimits>()
            && let Err(e) = limits.check_identity(&claims.sub).await
        {
            let detail = format!("per-identity limit of route class {}", limits.class);
            security::denied(parts, Some(&claims), "rate_limited_identity", &detail);
            return Err(e);
        }
        parts.extensions.insert(claims.clone());
        Ok(Authed(claims, PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt() -> Jwt {
        Jwt::hs256(
            &Secret::new("0123456789abcdef0123456789abcdef"),
            "donna",
            "donna-gateway",
        )
    }

    #[test]
    fn minted_tokens_verify_with_their_claims() {
        let jwt = jwt();
        let token = jwt.mint("kiosk-lobby", Role::Kiosk, 60).unwrap();
        let claims = jwt.verify(&token).unwrap();
        assert_eq!(claims.sub, "kiosk-lobby");
        assert_eq!(claims.role, Role::Kiosk);
        assert_eq!(claims.exp, claims.iat + 60);
    }

    #[test]
    fn a_different_secret_or_audience_is_refused() {
        let token = jwt().mint("kiosk-lobby", Role::Kiosk, 60).unwrap();
        let other = Jwt::hs256(
            &Secret::new("ffffffffffffffffffffffffffffffff"),
            "donna",
            "donna-gateway",
        );
        assert_eq!(other.verify(&token), Err(AuthError::BadSignature));
        let other_aud = Jwt::hs256(
            &Secret::new("0123456789abcdef0123456789abcdef"),
            "donna",
            "elsewhere",
        );
        assert_eq!(other_aud.verify(&token), Err(AuthError::WrongAudience));
    }

    #[test]
    fn ttl_and_subject_rules() {
        assert_eq!(parse_ttl("30d").unwrap(), 30 * 86_400);
        assert_eq!(parse_ttl("12h").unwrap(), 43_200);
        assert_eq!(parse_ttl("90").unwrap(), 90);
        assert_eq!(parse_ttl("2w").unwrap(), 14 * 86_400);
        for bad in ["", "0", "30x", "d", "-5m", "400d", "99999999999999999999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
        assert!(validate_subject("kiosk-lobby").is_ok());
        assert!(validate_subject("anna.berg@clinic").is_ok());
        for bad in ["", "has space", "quote\"", &"x".repeat(65)] {
            assert!(validate_subject(bad).is_err(), "{bad}");
        }
        assert!(jwt().mint("kiosk", Role::Kiosk, MAX_TTL_S + 1).is_err());
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        assert_eq!("staff".parse::<Role>().unwrap(), Role::Staff);
        assert!("root".parse::<Role>().is_err());
        assert!("Staff".parse::<Role>().is_err());
    }

    #[test]
    fn debug_hides_the_keys() {
        let debug = format!("{:?}", jwt());
        assert!(!debug.contains("0123456789abcdef"), "{debug}");
    }
}
