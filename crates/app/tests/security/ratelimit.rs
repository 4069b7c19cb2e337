//! Floods get `429` with `Retry-After` and the JSON error; limits are per IP and per identity,
//! per route class; the manual clock refills them without sleeping.

use std::time::Duration;

use donna_gateway::GatewayConfig;
use donna_gateway::auth::Role;

use super::harness::{LogCapture, Options, error_of, limits, rate, start_with_options, token};

#[tokio::test]
async fn a_flood_from_one_identity_is_429_with_retry_after_until_time_passes() {
    let (logs, _guard) = LogCapture::start();
    let mut config = GatewayConfig::default();
    config.set_limits("token", limits(None, rate(3, 60)));
    let s = start_with_options(Options {
        config,
        ..Options::default()
    })
    .await;
    let lobby = token("kiosk-lobby", Role::Kiosk);
    for _ in 0..3 {
        assert_eq!(
            s.post("/api/realtime/token", &lobby)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let resp = s.post("/api/realtime/token", &lobby).send().await.unwrap();
    assert_eq!(resp.headers()["retry-after"], "20");
    assert_eq!(error_of(resp).await, (429, "rate_limited".into()));

    // Another kiosk behind the same address is not affected: the limit is per identity.
    let garage = token("kiosk-garage", Role::Kiosk);
    assert_eq!(
        s.post("/api/realtime/token", &garage)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    s.clock.advance(Duration::from_secs(20));
    assert_eq!(
        s.post("/api/realtime/token", &lobby)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        s.post("/api/realtime/token", &lobby)
            .send()
            .await
            .unwrap()
            .status(),
        429
    );

    let denials: Vec<_> = logs
        .security()
        .into_iter()
        .filter(|e| e["fields"]["reason"] == "rate_limited_identity")
        .collect();
    assert_eq!(denials.len(), 2, "{}", logs.text());
    assert_eq!(denials[0]["fields"]["sub"], "kiosk-lobby");
}

#[tokio::test]
async fn a_flood_from_one_address_is_limited_before_authentication() {
    let mut config = GatewayConfig::default();
    config.set_limits("token", limits(rate(2, 1), None));
    let s = start_with_options(Options {
        config,
        ..Options::default()
    })
    .await;
    // Bad tokens count too: guessing is limited.
    for _ in 0..2 {
        assert_eq!(
            s.post("/api/realtime/token", "garbage")
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
    }
    let resp = s.post("/api/realtime/token", "garbage").send().await.unwrap();
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(error_of(resp).await, (429, "rate_limited".into()));
    // Other routes have their own class.
    assert_eq!(
        s.client.get(s.url("/api/health")).send().await.unwrap().status(),
        200
    );
    s.clock.advance(Duration::from_millis(500));
    let lobby = token("kiosk-lobby", Role::Kiosk);
    assert_eq!(
        s.post("/api/realtime/token", &lobby)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn the_api_class_limits_every_route() {
    let mut config = GatewayConfig::default();
    config.set_limits("api", limits(rate(5, 60), None));
    let s = start_with_options(Options {
        config,
        ..Options::default()
    })
    .await;
    for _ in 0..5 {
        assert_eq!(
            s.client.get(s.url("/api/health")).send().await.unwrap().status(),
            200
        );
    }
    let resp = s.client.get(s.url("/")).send().await.unwrap();
    assert_eq!(resp.headers()["retry-after"], "12");
    assert_eq!(error_of(resp).await, (429, "rate_limited".into()));
    let metrics = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 429);
    s.clock.advance(Duration::from_secs(12));
    assert_eq!(
        s.client.get(s.url("/metrics")).send().await.unwrap().status(),
        200
    );
}
