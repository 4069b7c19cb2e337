//! The gateway's section: where it listens, whom it answers, how long it waits and how often
//! a client may call.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::defaults::DEFAULT_ADDR;
use super::kinds::Overrides;
use super::layers::Layers;
use super::limits::{RATE_LIMIT_CLASSES, RateLimits};
use super::values::{http_url, parse_addr, parse_rate, validate_origin};
use crate::ConfigError;

/// What the gateway needs: its address, the browsers and host names it answers, its time
/// limits and rate limits, and the legacy marketing proxy.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    pub allowed_origins: Vec<String>,
    pub production_domain: Option<String>,
    /// Further host names the gateway answers for (`PUBLIC_HOSTS`), besides loopback, IP
    /// addresses and `PRODUCTION_DOMAIN`: a LAN name such as `frontdesk.local`.
    pub public_hosts: Vec<String>,
    /// The balancers in front of the gateway (`TRUSTED_PROXIES`: addresses or networks): a
    /// request from one of them is the client's that its `X-Forwarded-For` names.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Longest a gateway request may take, in seconds.
    pub request_timeout_s: u64,
    /// Longest a call to an upstream service (OpenAI, ElevenLabs, marketing) may take.
    pub upstream_timeout_s: u64,
    /// Per route class (see [`RATE_LIMIT_CLASSES`]).
    pub rate_limits: BTreeMap<String, RateLimits>,
    /// The legacy marketing backend `/api/marketing/*` proxies to.
    pub marketing_backend_url: Option<String>,
    /// First path segments the marketing proxy lets through.
    pub marketing_allowed_paths: Vec<String>,
}

impl ServerSettings {
    pub(super) fn resolve(layers: &Layers, overrides: &Overrides) -> Result<Self, ConfigError> {
        let file = layers.file;
        let addr = match &overrides.addr {
            Some(v) => parse_addr("--addr", v)?,
            None => layers.or_default(
                "DONNA_ADDR",
                "addr",
                file.addr.as_deref(),
                DEFAULT_ADDR,
                parse_addr,
            )?,
        };
        let allowed_origins = layers
            .list(
                "ALLOWED_ORIGINS",
                "allowed_origins",
                file.allowed_origins.as_deref(),
                validate_origin,
            )?
            .unwrap_or_default();
        let production_domain = layers.parsed(
            "PRODUCTION_DOMAIN",
            "production_domain",
            file.production_domain.as_deref(),
            |name, domain| {
                if domain.contains('/') || domain.contains(char::is_whitespace) {
                    return Err(ConfigError::invalid(
                        name,
                        format!("expected a bare host name such as desk.example.com, got \"{domain}\""),
                    ));
                }
                Ok(domain.to_owned())
            },
        )?;
        let public_hosts = layers
            .list(
                "PUBLIC_HOSTS",
                "public_hosts",
                file.public_hosts.as_deref(),
                |name, host| {
                    if host.contains(['/', ':', '@', '*']) || host.contains(char::is_whitespace) {
                        return Err(ConfigError::invalid(
                            name,
                            format!("expected bare host names such as frontdesk.local, got \"{host}\""),
                        ));
                    }
                    Ok(())
                },
            )?
            .unwrap_or_default();
        let trusted_proxies = layers
            .list(
                "TRUSTED_PROXIES",
                "trusted_proxies",
                file.trusted_proxies.as_deref(),
                |name, entry| {
                    parse_network(entry)
                        .map(|_| ())
                        .map_err(|e| ConfigError::invalid(name, e))
                },
            )?
            .unwrap_or_default()
            .iter()
            .filter_map(|entry| parse_network(entry).ok())
            .collect();
        let marketing_backend_url = layers.parsed(
            "MARKETING_BACKEND_URL",
            "marketing_backend_url",
            file.marketing_backend_url.as_deref(),
            http_url,
        )?;
        let marketing_allowed_paths = layers
            .list(
                "MARKETING_ALLOWED_PATHS",
                "marketing_allowed_paths",
                file.marketing_allowed_paths.as_deref(),
                |name, segment| {
                    if segment.is_empty()
                        || !segment
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
                    {
                        return Err(ConfigError::invalid(
                            name,
                            format!("\"{segment}\" is not a path segment (letters, digits, '-', '_')"),
                        ));
                    }
                    Ok(())
                },
            )?
            .unwrap_or_else(|| vec!["marketing".to_owned(), "simple".to_owned()]);
        Ok(Self {
            addr,
            allowed_origins,
            production_domain,
            public_hosts,
            trusted_proxies,
            request_timeout_s: layers.int("REQUEST_TIMEOUT_S", file.request_timeout_s, 1..=600, 30)?,
            upstream_timeout_s: layers.int("UPSTREAM_TIMEOUT_S", file.upstream_timeout_s, 1..=600, 20)?,
            rate_limits: rate_limits(layers)?,
            marketing_backend_url,
            marketing_allowed_paths,
        })
    }

    /// The limits of a route class; every class in [`RATE_LIMIT_CLASSES`] is present.
    pub fn rate_limits_of(&self, class: &str) -> RateLimits {
        self.rate_limits.get(class).copied().unwrap_or(RateLimits {
            per_ip: None,
            per_identity: None,
        })
    }

    /// The browser origins allowed to call: the configured ones and the production domain's.
    pub fn browser_origins(&self) -> Vec<String> {
        let mut origins = self.allowed_origins.clone();
        origins.extend(self.production_domain.iter().map(|d| format!("https://{d}")));
        origins
    }

    /// The host names the gateway answers for besides loopback and IP addresses, lower case
    /// without a trailing dot: the production domain and the public hosts.
    pub fn host_names(&self) -> Vec<String> {
        self.production_domain
            .iter()
            .chain(&self.public_hosts)
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
            .collect()
    }
}

/// `RATE_LIMIT_<CLASS>_IP` / `_IDENTITY`, else the file's `[rate_limits]` `<class>_ip` /
/// `<class>_identity`, else the class's default.
fn rate_limits(layers: &Layers) -> Result<BTreeMap<String, RateLimits>, ConfigError> {
    let file_limits = layers.file.rate_limits.clone().unwrap_or_default();
    if let Some(key) = file_limits.keys().find(|k| {
        !RATE_LIMIT_CLASSES
            .iter()
            .any(|(class, _, _)| **k == format!("{class}_ip") || **k == format!("{class}_identity"))
    }) {
        return Err(ConfigError::invalid(
            "rate_limits (config file)",
            format!("unknown key \"{key}\" (expected e.g. token_ip, token_identity)"),
        ));
    }
    let mut limits = BTreeMap::new();
    for (class, ip_default, identity_default) in RATE_LIMIT_CLASSES {
        let rate = |suffix: &str, default: &str| {
            let var = format!(
                "RATE_LIMIT_{}_{}",
                class.to_ascii_uppercase(),
                suffix.to_ascii_uppercase()
            );
            let key = format!("{class}_{suffix}");
            match layers.parsed(
                &var,
                &format!("rate_limits.{key}"),
                file_limits.get(&key),
                parse_rate,
            )? {
                Some(rate) => Ok(rate),
                None => parse_rate(&var, default),
            }
        };
        let class_limits = RateLimits {
            per_ip: rate("ip", ip_default)?,
            per_identity: rate("identity", identity_default)?,
        };
        limits.insert((*class).to_owned(), class_limits);
    }
    Ok(limits)
}

/// An address (`10.0.0.5`, `::1`) or a network (`10.0.0.0/24`).
fn parse_network(entry: &str) -> Result<ipnet::IpNet, String> {
    entry
        .parse::<ipnet::IpNet>()
        .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("expected an IP address or a network such as 10.0.0.0/24, got \"{entry}\""))
}
