//! The values a setting takes when nobody sets it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Loopback only by default: a kiosk's gateway must not be reachable from the network unless an
/// operator says so.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8765);
/// The cloud model used when `OPENAI_REALTIME_MODEL` is not set.
pub const DEFAULT_REALTIME_MODEL: &str = "gpt-realtime";
/// The official SDKs' default; tests point it at the local engine.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Batch voice defaults.
pub const DEFAULT_TRANSCRIBE_MODEL: &str = "gpt-4o-mini-transcribe";
pub const DEFAULT_CHAT_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_ELEVENLABS_BASE_URL: &str = "https://api.elevenlabs.io";
/// The offline voices (flite's, as Debian ships them): a woman's (`slt`), a man's (`rms`), a
/// Scottish man's (`awb`) and a robotic but cheap man's (`kal`).
pub const OFFLINE_VOICES: [&str; 4] = ["slt", "rms", "awb", "kal"];

pub const DEFAULT_ELEVENLABS_VOICE_ID: &str = "21m00Tcm4TlvDq8ikWAM";
/// The `iss` the gateway puts in the tokens it mints and requires in the tokens it accepts.
pub const DEFAULT_JWT_ISSUER: &str = "donna";
/// The `aud` of device and staff tokens: the gateway.
pub const DEFAULT_JWT_AUDIENCE: &str = "donna-gateway";
