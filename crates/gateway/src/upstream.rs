//! Calls to other services: one shared HTTP client, with a timeout on every call and the
//! services' error bodies turned into [`UpstreamError`]s (logged, never forwarded).

use std::time::Duration;

use serde_json::Value;

use crate::{GatewayError, UpstreamError};

/// The HTTP client the gateway calls upstream services with.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: reqwest::Client,
    timeout: Duration,
}

impl Upstream {
    pub fn new(timeout: Duration) -> Result<Self, GatewayError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // Redirects could carry the Authorization header to another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("donna-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GatewayError::HttpClient(e.to_string()))?;
        Ok(Self { client, timeout })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn timeout_s(&self) -> u64 {
        self.timeout.as_secs()
    }

    /// Send `request`; a non-2xx answer becomes [`UpstreamError::Rejected`] with the service's
    /// own error code read from an OpenAI-style `{"error": {"code", "message"}}` body (or an
    /// ElevenLabs-style `{"detail": ...}`).
    pub async fn send(
        &self,
        service: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, UpstreamError> {
        let response = request
            .send()
            .await
            .map_err(|e| UpstreamError::from_reqwest(service, self.timeout_s(), e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let error = &parsed["error"];
        let detail = &parsed["detail"];
        let code = error["code"]
            .as_str()
            .or_else(|| error["type"].as_str())
            .or_else(|| detail["status"].as_str())
            .map(str::to_owned);
        let message = error["message"]
            .as_str()
            .or_else(|| detail["message"].as_str())
            .or_else(|| detail.as_str())
            .map_or_else(
                || String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
                str::to_owned,
            );
        Err(UpstreamError::Rejected {
            service,
            status: status.as_u16(),
            code,
            message: message.chars().take(300).collect(),
        })
    }

    /// Send and read a JSON body.
    pub async fn json(
        &self,
        service: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, UpstreamError> {
        let response = self.send(service, request).await?;
        response
            .json::<Value>()
            .await
            .map_err(|e| UpstreamError::from_reqwest(service, self.timeout_s(), e))
    }
}
