//! Device and staff tokens: every way a token can be wrong is refused, and roles are enforced.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use donna_config::JwtAlgorithm;
use donna_gateway::auth::{Jwt, Role};
use serde_json::{Value, json};

use super::harness::{AUDIENCE, ISSUER, SECRET, error_of, hs256, start, start_with, test_key};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token with arbitrary header and claims, HMAC-signed with `secret`.
fn forge(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    let alg: jsonwebtoken::Algorithm = serde_json::from_value(header["alg"].clone()).unwrap();
    let mut h = jsonwebtoken::Header::new(alg);
    h.typ = Some("JWT".into());
    jsonwebtoken::encode(&h, claims, &key).unwrap()
}

fn claims(role: &str, exp_offset: i64) -> Value {
    json!({
        "sub": "kiosk-lobby", "role": role, "iss": ISSUER, "aud": AUDIENCE,
        "iat": now(), "exp": (now() as i64 + exp_offset) as u64,
    })
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn a_valid_token_is_accepted_and_its_claims_returned() {
    let s = start().await;
    let token = hs256().mint("kiosk-lobby", Role::Kiosk, 60).unwrap();
    let resp = s.get_with_token("/api/auth/me", &token).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["sub"], "kiosk-lobby");
    assert_eq!(body["role"], "kiosk");
    assert_eq!(body["iss"], ISSUER);
}

#[tokio::test]
async fn no_token_is_401_with_a_bearer_challenge() {
    let s = start().await;
    let resp = s.client.get(s.url("/api/auth/me")).send().await.unwrap();
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_of(resp).await, (401, "unauthorized".into()));
    let resp = s
        .client
        .get(s.url("/api/auth/me"))
        .header("authorization", "Basic a2lvc2s6cHc=")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (401, "unauthorized".into()));
}

#[tokio::test]
async fn every_kind_of_bad_token_is_401() {
    let s = start().await;
    let hs = json!({ "alg": "HS256" });
    let wrong_secret = forge(&hs, &claims("kiosk", 60), b"another-secret-another-secret-0000");
    let expired = forge(&hs, &claims("kiosk", -3600), SECRET.as_bytes());
    let mut future = claims("kiosk", 3600);
    future["nbf"] = json!(now() + 600);
    let not_yet = forge(&hs, &future, SECRET.as_bytes());
    let mut other_iss = claims("kiosk", 60);
    other_iss["iss"] = json!("someone-else");
    let wrong_iss = forge(&hs, &other_iss, SECRET.as_bytes());
    let mut other_aud = claims("kiosk", 60);
    other_aud["aud"] = json!("another-service");
    let wrong_aud = forge(&hs, &other_aud, SECRET.as_bytes());
    let mut no_exp = claims("kiosk", 60);
    no_exp.as_object_mut().unwrap().remove("exp");
    let missing_exp = forge(&hs, &no_exp, SECRET.as_bytes());
    let unknown_role = forge(&hs, &claims("janitor", 60), SECRET.as_bytes());
    // `alg: none` with no signature: the classic bypass.
    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims("admin", 60))
    );
    // A valid HS256 token whose header was edited to claim HS512.
    let good = hs256().mint("kiosk-lobby", Role::Kiosk, 60).unwrap();
    let mut parts: Vec<&str> = good.split('.').collect();
    let hs512 = b64(&json!({ "alg": "HS512", "typ": "JWT" }));
    parts[0] = &hs512;
    let relabelled = parts.join(".");
    // The signature of a kiosk token glued onto admin claims.
    let good_sig = good.rsplit('.').next().unwrap();
    let spliced = format!(
        "{}.{}.{good_sig}",
        b64(&json!({ "alg": "HS256", "typ": "JWT" })),
        b64(&claims("admin", 60))
    );
    let cases = [
        ("wrong secret", wrong_secret),
        ("expired", expired),
        ("nbf in the future", not_yet),
        ("wrong issuer", wrong_iss),
        ("wrong audience", wrong_aud),
        ("no exp", missing_exp),
        ("unknown role", unknown_role),
        ("alg none", none),
        ("relabelled alg", relabelled),
        ("spliced claims", spliced),
        ("garbage", "not.a.jwt".to_owned()),
        ("oversized", "a".repeat(5000)),
    ];
    for (what, token) in cases {
        let resp = s.get_with_token("/api/auth/me", &token).await;
        assert_eq!(error_of(resp).await, (401, "unauthorized".into()), "{what}");
    }
}

/// The gateway remembers tokens it has verified, so that a kiosk's next request skips the
/// signature; a remembered token must still expire on time.
#[tokio::test]
async fn a_token_accepted_before_is_refused_once_it_has_expired() {
    let s = start().await;
    let hs = json!({ "alg": "HS256" });
    let token = forge(&hs, &claims("kiosk", 1), SECRET.as_bytes());
    for _ in 0..3 {
        let resp = s.get_with_token("/api/auth/me", &token).await;
        assert_eq!(resp.status(), 200);
    }
    // Past `exp` and the gateway's leeway of five seconds.
    tokio::time::sleep(std::time::Duration::from_millis(7_500)).await;
    let resp = s.get_with_token("/api/auth/me", &token).await;
    assert_eq!(error_of(resp).await, (401, "unauthorized".into()));
}

#[tokio::test]
async fn roles_are_enforced_per_route() {
    let s = start().await;
    let jwt = hs256();
    let kiosk = jwt.mint("kiosk-lobby", Role::Kiosk, 60).unwrap();
    let staff = jwt.mint("anna.berg", Role::Staff, 60).unwrap();
    let admin = jwt.mint("it-admin", Role::Admin, 60).unwrap();
    let expect = [
        ("/api/test/any", &kiosk, 200),
        ("/api/test/any", &staff, 200),
        ("/api/test/staff", &kiosk, 403),
        ("/api/test/staff", &staff, 200),
        ("/api/test/staff", &admin, 200),
        ("/api/test/admin", &staff, 403),
        ("/api/test/admin", &kiosk, 403),
        ("/api/test/admin", &admin, 200),
    ];
    for (path, token, status) in expect {
        let resp = s.get_with_token(path, token).await;
        assert_eq!(resp.status().as_u16(), status, "{path}");
        if status == 403 {
            assert_eq!(error_of(resp).await, (403, "forbidden".into()));
        }
    }
}

#[tokio::test]
async fn without_a_configured_key_nothing_authenticates() {
    let s = start_with(None).await;
    let token = hs256().mint("kiosk-lobby", Role::Kiosk, 60).unwrap();
    let resp = s.get_with_token("/api/auth/me", &token).await;
    assert_eq!(error_of(resp).await, (401, "unauthorized".into()));
}

#[tokio::test]
async fn eddsa_and_rs256_deployments_verify_with_the_public_key_only() {
    for (alg, private, public) in [
        (
            JwtAlgorithm::EdDsa,
            "ed25519-test-private.pem",
            "ed25519-test-public.pem",
        ),
        (JwtAlgorithm::Rs256, "rsa-test-private.pem", "rsa-test-public.pem"),
    ] {
        let public_pem = test_key(public);
        let signer = Jwt::key_pair(alg, &test_key(private), &public_pem, ISSUER, AUDIENCE).unwrap();
        let verifier = Jwt::public_key(alg, &public_pem, ISSUER, AUDIENCE).unwrap();
        assert!(
            verifier.mint("x", Role::Kiosk, 60).is_err(),
            "a public key cannot mint"
        );
        let s = start_with(Some(verifier)).await;
        let token = signer.mint("kiosk-lobby", Role::Kiosk, 60).unwrap();
        assert_eq!(
            s.get_with_token("/api/auth/me", &token).await.status(),
            200,
            "{alg:?}"
        );
        // Algorithm confusion: an HS256 token keyed with the (public!) PEM must not pass.
        let confused = forge(
            &json!({ "alg": "HS256" }),
            &claims("admin", 60),
            public_pem.as_bytes(),
        );
        let resp = s.get_with_token("/api/auth/me", &confused).await;
        assert_eq!(error_of(resp).await, (401, "unauthorized".into()), "{alg:?}");
        // And a token from the HS256 world is refused too.
        let hs = hs256().mint("kiosk-lobby", Role::Kiosk, 60).unwrap();
        let resp = s.get_with_token("/api/auth/me", &hs).await;
        assert_eq!(error_of(resp).await, (401, "unauthorized".into()), "{alg:?}");
    }
}
