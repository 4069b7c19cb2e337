//! `GET /api/openapi.json` lists every route the gateway serves, and every route it lists is
//! really served.

use serde_json::Value;

use super::harness::start;

/// (method, path) of every route, as the router declares them.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/health"),
    ("post", "/api/chat"),
    ("get", "/api/chat/{conversation_id}/events"),
    ("delete", "/api/chat/{conversation_id}"),
    ("get", "/api/welcome"),
    ("get", "/api/clock"),
    ("get", "/api/auth/me"),
    ("post", "/api/realtime/token"),
    ("post", "/api/voice/chat"),
    ("get", "/api/marketing/{path}"),
    ("get", "/api/voice/events"),
    ("post", "/api/voice/fanout"),
    ("get", "/api/visits"),
    ("get", "/api/messages"),
    ("get", "/api/overview"),
    ("post", "/api/visits/{id}/ack"),
    ("post", "/api/visits/{id}/checkout"),
    ("post", "/api/marketing/{path}"),
    ("put", "/api/marketing/{path}"),
    ("patch", "/api/marketing/{path}"),
    ("delete", "/api/marketing/{path}"),
    ("get", "/api/openapi.json"),
    ("get", "/metrics"),
    ("get", "/realtime"),
    ("get", "/v1/realtime"),
    ("post", "/v1/realtime/calls"),
    ("post", "/v1/realtime/calls/{call_id}/hangup"),
    ("post", "/v1/realtime/client_secrets"),
    ("delete", "/v1/realtime/client_secrets/{value}"),
    ("get", "/{path}"),
];

#[tokio::test]
async fn the_document_lists_every_route_and_each_is_served() {
    let s = start().await;
    let doc: Value = s
        .client
        .get(s.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} missing"
        );
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        ROUTES.len(),
        "undeclared extra routes in the document"
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["ErrorResponse"].is_object());

    // Every documented /api route exists: none falls through to the "no route" answer.
    for (method, path) in ROUTES.iter().filter(|(_, p)| p.starts_with("/api/")) {
        let url = s.url(&path.replace("{path}", "simple/x"));
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
        let resp = s.client.request(method, url).send().await.unwrap();
        if resp.status() == 404 {
            let body: Value = resp.json().await.unwrap();
            assert!(
                !body["error"]["message"].as_str().unwrap().starts_with("no route"),
                "{path}"
            );
        }
    }
}
