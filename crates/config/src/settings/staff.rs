//! The section for the staff desktop (the gateway it follows and its token) and for the
//! webhooks that tell other systems what happens at the desk.

use super::layers::Layers;
use super::values::http_url;
use crate::{ConfigError, Secret};

/// What `donna staff` needs to follow a gateway.
#[derive(Debug, Clone)]
pub struct StaffSettings {
    /// The gateway a staff desktop follows (`DONNA_GATEWAY_URL`); default: this machine's.
    pub gateway_url: Option<String>,
    /// The staff desktop's token (`DONNA_STAFF_TOKEN`, minted with `donna token mint --role staff`).
    pub token: Option<Secret>,
}

impl StaffSettings {
    pub(super) fn resolve(layers: &Layers) -> Result<Self, ConfigError> {
        Ok(Self {
            gateway_url: layers
                .env
                .get("DONNA_GATEWAY_URL")
                .map(|url| http_url("DONNA_GATEWAY_URL", url))
                .transpose()?,
            token: layers.secret("DONNA_STAFF_TOKEN"),
        })
    }
}

/// Where staff events are posted.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Webhooks that receive every staff event (`DONNA_WEBHOOKS`, comma-separated URLs).
    pub urls: Vec<String>,
    /// Signs webhook bodies (HMAC-SHA256); without it webhooks are sent unsigned.
    pub secret: Option<Secret>,
}

impl WebhookSettings {
    pub(super) fn resolve(layers: &Layers) -> Result<Self, ConfigError> {
        let urls = layers
            .list(
                "DONNA_WEBHOOKS",
                "webhooks",
                layers.file.webhooks.as_deref(),
                |name, url| {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(ConfigError::invalid(
                            name,
                            format!("\"{url}\" is not an http(s) URL"),
                        ));
                    }
                    Ok(())
                },
            )?
            .unwrap_or_default();
        Ok(Self {
            urls,
            secret: layers.secret("DONNA_WEBHOOK_SECRET"),
        })
    }
}
