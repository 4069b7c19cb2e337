//! What a request's head can do before any route runs: name a host the gateway is not (DNS
//! rebinding), declare a body larger than any route takes, carry too many or too large headers,
//! or trickle in so slowly that it holds a socket for ever. Each is refused with the JSON error
//! shape, through a raw socket where a well-behaved client library would not send it.

use std::time::{Duration, Instant};

use donna_gateway::GatewayConfig;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::harness::{Options, Server, metric, start, start_with_options};

/// Send `head` (and `body`) on a fresh connection; return the status and the JSON body of the
/// response, read within 5 s.
async fn raw(server: &Server, head: &str, body: &[u8]) -> (u16, Value) {
    let addr = server.base.trim_start_matches("http://");
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(body).await.unwrap();
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 8192];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
            if let Some(end) = find(&response, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if response.len() >= end + 4 + length {
                    break;
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 5 s");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn port(server: &Server) -> &str {
    server.base.rsplit(':').next().unwrap()
}

#[tokio::test]
async fn a_host_that_is_not_the_gateways_own_is_refused_before_any_route() {
    let server = start_with_options(Options {
        config: GatewayConfig {
            public_hosts: vec!["frontdesk.local".to_owned()],
            ..GatewayConfig::default()
        },
        ..Options::default()
    })
    .await;
    let port = port(&server).to_owned();
    // A page on rebind.attacker.example whose name now resolves to 127.0.0.1 is "same-origin".
    let evil = format!("rebind.attacker.example:{port}");
    let resp = server
        .client
        .post(server.url("/api/chat"))
        .header("host", &evil)
        .header("origin", format!("http://{evil}"))
        .json(&serde_json::json!({ "message": "Who is here today?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 421);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    assert!(resp.headers().get("content-security-policy").is_some());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "host_not_allowed", "{body}");
    assert!(body["error"]["request_id"].is_string());
    // The engine's routes, served behind the same layers, and the UI are refused alike.
    for path in ["/", "/api/health", "/v1/realtime/client_secrets"] {
        let resp = server
            .client
            .get(server.url(path))
            .header("host", &evil)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 421, "{path}");
    }
    // The gateway's own names: loopback, IP addresses, configured public hosts.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost.:{port}"),
        format!("[::1]:{port}"),
        format!("192.168.1.20:{port}"),
        format!("frontdesk.local:{port}"),
        "frontdesk.local".to_owned(),
    ] {
        let resp = server
            .client
            .get(server.url("/api/health"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_at_once() {
    let server = start().await;
    for (path, declared) in [
        // Over what any route takes.
        ("/api/chat", 1_073_741_824u64),
        // Under that, but over what a chat message can be.
        ("/api/chat", 5 * 1024 * 1024),
        ("/api/realtime/token", 1024 * 1024),
    ] {
        let started = Instant::now();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
        );
        let (status, body) = raw(&server, &head, b"{\"message\"").await;
        assert_eq!(status, 413, "{path} {declared}: {body}");
        assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn too_many_or_too_large_headers_get_the_json_error() {
    let server = start().await;
    // Over the gateway's 100, under hyper's own limit.
    let many: String = (0..200).map(|i| format!("X-Filler-{i}: {i}\r\n")).collect();
    let big = format!("X-Big: {}\r\n", "a".repeat(500 * 1024));
    for extra in [many, big] {
        let head = format!("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n");
        let (status, body) = raw(&server, &head, b"").await;
        assert_eq!(status, 431, "{body}");
        assert_eq!(body["error"]["code"], "headers_too_large", "{body}");
        assert!(body["error"]["request_id"].is_string());
    }
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_closed_and_counted() {
    let server = start_with_options(Options {
        config: GatewayConfig {
            header_read_timeout: Duration::from_secs(1),
            ..GatewayConfig::default()
        },
        ..Options::default()
    })
    .await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut tcp = TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    // One byte of a never-ending header every 100 ms, for up to 10 s.
    let mut closed = false;
    let mut buf = [0u8; 64];
    while started.elapsed() < Duration::from_secs(10) {
        if tcp.write_all(b"X").await.is_err() {
            closed = true;
            break;
        }
        if let Ok(read) = tokio::time::timeout(Duration::from_millis(100), tcp.read(&mut buf)).await {
            closed = matches!(read, Ok(0) | Err(_)) || closed;
            if closed {
                break;
            }
        }
    }
    assert!(
        closed,
        "the connection was still open after {:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        metric(
            &server,
            "donna_http_connections_closed_total{reason=\"header_timeout\"}"
        )
        .await,
        Some(1.0)
    );
}
