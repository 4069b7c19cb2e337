//! Settings resolved from environment snapshots and config files, layer over layer.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::*;

fn env(pairs: &[(&str, &str)]) -> EnvSnapshot {
    let mut all = vec![("HOME", "/home/kiosk")];
    all.extend_from_slice(pairs);
    EnvSnapshot::from_pairs(all.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn resolve(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_layers(&env(pairs), &FileConfig::default(), &Overrides::default())
}

#[test]
fn defaults_are_local_and_loopback() {
    let s = resolve(&[]).unwrap();
    assert_eq!(s.server.addr, DEFAULT_ADDR);
    assert!(s.server.addr.ip().is_loopback());
    assert_eq!(s.backend.active, Backend::Local);
    assert_eq!(
        s.storage.data_dir,
        PathBuf::from("/home/kiosk/.local/share/donna")
    );
    assert_eq!(s.backend.openai_base_url, DEFAULT_OPENAI_BASE_URL);
    assert!(
        !s.voice.enable_vad
            && !s.proxy.use_ws_proxy
            && !s.proxy.enable_ws_proxy
            && !s.voice.enable_server_vad
    );
}

#[test]
fn audio_devices_by_name_env_over_file() {
    let s = resolve(&[]).unwrap();
    assert_eq!((s.voice.input_device, s.voice.output_device), (None, None));
    let file = FileConfig {
        input_device: Some("USB Mic".into()),
        output_device: Some("Speaker".into()),
        ..FileConfig::default()
    };
    let s = Settings::from_layers(
        &env(&[("DONNA_INPUT_DEVICE", "pulse")]),
        &file,
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.voice.input_device.as_deref(), Some("pulse"));
    assert_eq!(s.voice.output_device.as_deref(), Some("Speaker"));
    let s = resolve(&[("DONNA_OUTPUT_DEVICE", "  ")]).unwrap();
    assert_eq!(s.voice.output_device, None, "empty means the default device");
    let err = resolve(&[("DONNA_INPUT_DEVICE", "mic\nphone")]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("DONNA_INPUT_DEVICE: not a device name"),
        "{err}"
    );
}

#[test]
fn auto_picks_openai_when_a_key_is_set() {
    let s = resolve(&[("OPENAI_API_KEY", "sk-test")]).unwrap();
    assert_eq!(s.backend.active, Backend::OpenAi);
    let s = resolve(&[("OPENAI_API_KEY", "sk-test"), ("DONNA_BACKEND", "local")]).unwrap();
    assert_eq!(s.backend.active, Backend::Local);
}

#[test]
fn openai_without_a_key_names_the_variable() {
    let err = resolve(&[("DONNA_BACKEND", "openai")]).unwrap_err().to_string();
    assert!(err.starts_with("OPENAI_API_KEY: required"), "{err}");
}

#[test]
fn bad_values_name_their_variable() {
    let cases = [
        (
            "DONNA_BACKEND",
            "cloud",
            "DONNA_BACKEND: expected one of auto, local, openai",
        ),
        ("DONNA_ADDR", "nowhere", "DONNA_ADDR: expected HOST:PORT"),
        ("DONNA_ADDR", "127.0.0.1:99999", "DONNA_ADDR: expected HOST:PORT"),
        ("ENABLE_VAD", "maybe", "ENABLE_VAD: expected true or false"),
        (
            "NEXT_PUBLIC_USE_WS_PROXY",
            "2",
            "NEXT_PUBLIC_USE_WS_PROXY: expected true or false",
        ),
        (
            "ALLOWED_ORIGINS",
            "https://ok.example, desk.example",
            "ALLOWED_ORIGINS: \"desk.example\" is not an origin",
        ),
        (
            "OPENAI_BASE_URL",
            "api.openai.com",
            "OPENAI_BASE_URL: expected an http(s) URL",
        ),
        ("DONNA_LOG", "loud", "DONNA_LOG: expected one of"),
        (
            "DONNA_PROFILE",
            "/does/not/exist.toml",
            "DONNA_PROFILE: no profile file at /does/not/exist.toml",
        ),
        (
            "JWT_SECRET",
            "short",
            "JWT_SECRET: must be at least 32 characters",
        ),
        ("JWT_ALGORITHM", "none", "JWT_ALGORITHM: expected one of HS256"),
        ("JWT_ALGORITHM", "RS256", "JWT_PUBLIC_KEY: required when"),
        (
            "JWT_PUBLIC_KEY",
            "/no/such.pem",
            "JWT_PUBLIC_KEY: cannot read /no/such.pem",
        ),
        (
            "JWT_AUDIENCE",
            "two words",
            "JWT_AUDIENCE: expected printable ASCII",
        ),
    ];
    for (name, value, expected) in cases {
        let err = resolve(&[(name, value)]).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{name}={value}: got {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn jwt_secret_never_appears_in_errors_or_debug() {
    let err = resolve(&[("JWT_SECRET", "canary")]).unwrap_err().to_string();
    assert!(!err.contains("canary"));
    let s = resolve(&[
        ("JWT_SECRET", "canary-canary-canary-canary-canary"),
        ("OPENAI_API_KEY", "sk-canary"),
    ])
    .unwrap();
    let debug = format!("{s:?}");
    assert!(!debug.contains("canary"), "{debug}");
}

#[test]
fn ws_proxy_limits_have_defaults_and_bounds() {
    let s = resolve(&[]).unwrap();
    assert_eq!(s.proxy.limits, WsProxyLimits::default());
    let s = resolve(&[("WS_PROXY_MAX_SESSIONS", "3"), ("WS_PROXY_IDLE_TIMEOUT_S", "30")]).unwrap();
    assert_eq!(
        (s.proxy.limits.max_sessions, s.proxy.limits.idle_timeout_s),
        (3, 30)
    );
    for (name, value) in [
        ("WS_PROXY_MAX_SESSIONS", "0"),
        ("WS_PROXY_MAX_SESSIONS_PER_IDENTITY", "many"),
        ("WS_PROXY_IDLE_TIMEOUT_S", "1"),
        ("WS_PROXY_MAX_FRAME_BYTES", "1"),
    ] {
        let err = resolve(&[(name, value)]).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{name}: expected a whole number")),
            "{err}"
        );
    }
    let file = FileConfig::parse("ws_proxy_max_session_s = 5").unwrap();
    let err = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("ws_proxy_max_session_s (config file)"),
        "{err}"
    );
}

#[test]
fn the_voice_speed_and_lexicon_are_checked() {
    let s = resolve(&[
        ("DONNA_VOICE_SPEED", "1.2"),
        ("DONNA_VOICE_LEXICON", "Okafor=Oh kah for, Nguyen=Win"),
    ])
    .unwrap();
    assert_eq!(s.voice.speed, 1.2);
    assert_eq!(s.voice.offline_voice, "slt");
    assert_eq!(
        resolve(&[("DONNA_VOICE", " RMS ")]).unwrap().voice.offline_voice,
        "rms"
    );
    assert_eq!(s.voice.lexicon[1], ("Nguyen".to_owned(), "Win".to_owned()));
    for (name, value) in [
        ("DONNA_VOICE_SPEED", "9"),
        ("DONNA_VOICE_LEXICON", "Okafor"),
        ("DONNA_WHISPER_THREADS", "0"),
        ("DONNA_VOICE", "alloy"),
        ("DONNA_WHISPER_THREADS", "two"),
    ] {
        let err = resolve(&[(name, value)]).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{name}: expected")), "{err}");
    }
}

#[test]
fn whisper_threads_default_to_at_most_two_cores() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(resolve(&[]).unwrap().voice.whisper_threads, cores.min(2));
    assert_eq!(
        resolve(&[("DONNA_WHISPER_THREADS", "1")])
            .unwrap()
            .voice
            .whisper_threads,
        1
    );
    let file = FileConfig::parse("whisper_threads = 3").unwrap();
    let s = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap();
    assert_eq!(s.voice.whisper_threads, 3);
}

#[test]
fn jwt_defaults_and_public_keys() {
    let s = resolve(&[]).unwrap();
    assert_eq!(s.auth.jwt_algorithm, JwtAlgorithm::Hs256);
    assert_eq!(
        (s.auth.jwt_issuer.as_str(), s.auth.jwt_audience.as_str()),
        ("donna", "donna-gateway")
    );
    let pem = "-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEA\\n-----END PUBLIC KEY-----";
    let s = resolve(&[("JWT_ALGORITHM", "EdDSA"), ("JWT_PUBLIC_KEY", pem)]).unwrap();
    assert_eq!(s.auth.jwt_algorithm, JwtAlgorithm::EdDsa);
    assert_eq!(s.auth.jwt_public_key.unwrap().lines().count(), 3);
    let err = resolve(&[("JWT_PUBLIC_KEY", pem)]).unwrap_err().to_string();
    assert!(err.starts_with("JWT_PUBLIC_KEY: only used with"), "{err}");
}

#[test]
fn rate_limits_have_defaults_and_can_be_set_or_turned_off() {
    let s = resolve(&[]).unwrap();
    assert_eq!(
        s.server.rate_limits_of("token").per_identity,
        Some(Rate { max: 10, per_s: 60 })
    );
    assert_eq!(s.server.rate_limits_of("api").per_identity, None);
    let s = resolve(&[("RATE_LIMIT_TOKEN_IDENTITY", "3/h"), ("RATE_LIMIT_API_IP", "off")]).unwrap();
    assert_eq!(
        s.server.rate_limits_of("token").per_identity,
        Some(Rate { max: 3, per_s: 3600 })
    );
    assert_eq!(s.server.rate_limits_of("api").per_ip, None);
    let file = FileConfig {
        rate_limits: Some([("voice_ip".to_owned(), "7/s".to_owned())].into()),
        ..FileConfig::default()
    };
    let s = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap();
    assert_eq!(
        s.server.rate_limits_of("voice").per_ip,
        Some(Rate { max: 7, per_s: 1 })
    );
    let file = FileConfig {
        rate_limits: Some([("tokn_ip".to_owned(), "7/s".to_owned())].into()),
        ..FileConfig::default()
    };
    let err = Settings::from_layers(&env(&[]), &file, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("rate_limits (config file): unknown key \"tokn_ip\""),
        "{err}"
    );
}

#[test]
fn elevenlabs_key_is_a_secret() {
    let s = resolve(&[("ELEVENLABS_API_KEY", "xi-canary")]).unwrap();
    assert!(!format!("{s:?}").contains("xi-canary"));
    assert_eq!(s.logs.retention_days, 14);
    assert_eq!(s.server.marketing_allowed_paths, ["marketing", "simple"]);
}

#[test]
fn legacy_aliases_work() {
    let s = resolve(&[
        ("NEXT_PUBLIC_ENABLE_VAD", "true"),
        ("NEXT_PUBLIC_USE_WS_PROXY", "1"),
        ("ENABLE_WS_PROXY", "true"),
        ("JWT_SECRET", "a-secret-of-at-least-thirty-two-chars"),
    ])
    .unwrap();
    assert!(s.voice.enable_vad && s.proxy.use_ws_proxy);
    let err = resolve(&[("USE_WS_PROXY", "true")]).unwrap_err().to_string();
    assert!(
        err.starts_with("USE_WS_PROXY: requires ENABLE_WS_PROXY=true"),
        "{err}"
    );
}

#[test]
fn precedence_is_override_then_env_then_file_then_default() {
    let file = FileConfig {
        addr: Some("127.0.0.1:1111".into()),
        enable_vad: Some(true),
        backend: Some("local".into()),
        ..FileConfig::default()
    };
    let e = env(&[("DONNA_ADDR", "127.0.0.1:2222"), ("ENABLE_VAD", "false")]);
    let s = Settings::from_layers(&e, &file, &Overrides::default()).unwrap();
    assert_eq!(s.server.addr.port(), 2222);
    assert!(!s.voice.enable_vad);
    let o = Overrides {
        addr: Some("localhost:3333".into()),
        ..Overrides::default()
    };
    let s = Settings::from_layers(&e, &file, &o).unwrap();
    assert_eq!(s.server.addr, "127.0.0.1:3333".parse::<SocketAddr>().unwrap());
    let s = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap();
    assert_eq!(s.server.addr.port(), 1111);
    assert!(s.voice.enable_vad);
}

#[test]
fn config_file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("donna.toml");
    std::fs::write(&path, "colour = \"blue\"\n").unwrap();
    let e = env(&[("DONNA_CONFIG", path.to_str().unwrap())]);
    let err = Settings::resolve(&e, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("config file {}: line 1", path.display())),
        "{err}"
    );
    let e = env(&[("DONNA_CONFIG", "/no/such/donna.toml")]);
    let err = Settings::resolve(&e, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config file /no/such/donna.toml:"), "{err}");
}

#[test]
fn base_url_loses_its_trailing_slash() {
    let s = resolve(&[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")]).unwrap();
    assert_eq!(s.backend.openai_base_url, "http://127.0.0.1:9/v1");
}

#[test]
fn the_stopped_clock_is_an_instant_read_once() {
    let s = resolve(&[("DONNA_FIXED_TIME", "2026-11-26T10:00:00Z")]).unwrap();
    assert_eq!(s.fixed_time.map(|t| t.as_second()), Some(1_795_687_200));
    assert_eq!(resolve(&[]).unwrap().fixed_time, None);
    // Shaped like an instant but not one: refused here, not later at start-up.
    let e = resolve(&[("DONNA_FIXED_TIME", "2026-13-40T10:00:00Z")]).unwrap_err();
    assert!(e.to_string().contains("DONNA_FIXED_TIME"), "{e}");
    assert!(e.to_string().contains("2026-13-40T10:00:00Z"), "{e}");
}

#[test]
fn values_from_the_file_are_checked_and_named_by_their_key() {
    for (text, expected) in [
        ("voice = \"alloy\"", "voice (config file): expected one of slt"),
        (
            "openai_realtime_model = \"gpt realtime\"",
            "openai_realtime_model (config file): not a valid name",
        ),
        (
            "log_level = \"loud\"",
            "log_level (config file): expected one of error",
        ),
        (
            "public_hosts = [\"desk.example/x\"]",
            "public_hosts (config file): expected bare host names",
        ),
        (
            "trusted_proxies = [\"10.0.0.0/33\"]",
            "trusted_proxies (config file): expected an IP address or a network",
        ),
        (
            "[rate_limits]\ntoken_ip = \"lots\"",
            "rate_limits.token_ip (config file): expected a rate",
        ),
        (
            "log_retention_days = 0",
            "log_retention_days (config file): expected a whole number",
        ),
    ] {
        let file = FileConfig::parse(text).unwrap();
        let err = Settings::from_layers(&env(&[]), &file, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(expected), "{text}: got {err}");
    }
    // The same key from the environment names the variable, and wins over the file.
    let file = FileConfig::parse("voice = \"alloy\"").unwrap();
    let s = Settings::from_layers(&env(&[("DONNA_VOICE", "awb")]), &file, &Overrides::default()).unwrap();
    assert_eq!(s.voice.offline_voice, "awb");
}

#[test]
fn kiosk_mode_and_visit_timings_from_env_file_or_flag() {
    let s = resolve(&[]).unwrap();
    assert_eq!(
        s.kiosk,
        KioskSettings {
            mode: WindowMode::Window,
            visit_idle_s: 60,
            visit_goodbye_s: 20,
            visit_max_s: 900,
            visit_max_cost_usd: 0.5,
            watchdog: true,
        }
    );
    assert_eq!(
        resolve(&[("VISIT_MAX_COST_USD", "$0.05")])
            .unwrap()
            .kiosk
            .visit_max_cost_usd,
        0.05
    );
    let err = resolve(&[("VISIT_MAX_COST_USD", "0")]).unwrap_err().to_string();
    assert!(
        err.starts_with("VISIT_MAX_COST_USD: expected an amount of US dollars"),
        "{err}"
    );
    assert!(!resolve(&[("DONNA_WATCHDOG", "off")]).unwrap().kiosk.watchdog);
    let file: FileConfig = toml::from_str("watchdog = false\n").unwrap();
    let s = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap();
    assert!(!s.kiosk.watchdog, "the file turns it off");
    let s = Settings::from_layers(&env(&[("DONNA_WATCHDOG", "1")]), &file, &Overrides::default()).unwrap();
    assert!(s.kiosk.watchdog, "the environment wins");
    let s = resolve(&[("DONNA_MODE", "Kiosk"), ("VISIT_IDLE_S", "30")]).unwrap();
    assert_eq!((s.kiosk.mode, s.kiosk.visit_idle_s), (WindowMode::Kiosk, 30));
    let err = resolve(&[("DONNA_MODE", "fullscreen")]).unwrap_err().to_string();
    assert_eq!(err, "DONNA_MODE: expected window or kiosk, got \"fullscreen\"");
    let err = resolve(&[("VISIT_GOODBYE_S", "0")]).unwrap_err().to_string();
    assert!(
        err.starts_with("VISIT_GOODBYE_S: expected a whole number from 5 to 600"),
        "{err}"
    );
    let file: FileConfig = toml::from_str("mode = \"kiosk\"\nvisit_max_s = 600\n").unwrap();
    let s = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap();
    assert_eq!((s.kiosk.mode, s.kiosk.visit_max_s), (WindowMode::Kiosk, 600));
    let flag = Overrides {
        kiosk: true,
        ..Overrides::default()
    };
    let s = Settings::from_layers(&env(&[("DONNA_MODE", "window")]), &FileConfig::default(), &flag).unwrap();
    assert_eq!(s.kiosk.mode, WindowMode::Kiosk, "the flag wins");
}

#[test]
fn trusted_proxies_are_addresses_or_networks() {
    let settings = Settings::from_layers(
        &env(&[("TRUSTED_PROXIES", "10.0.0.0/24, 192.168.1.7,::1")]),
        &FileConfig::default(),
        &Overrides::default(),
    )
    .unwrap();
    let nets: Vec<String> = settings
        .server
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(nets, ["10.0.0.0/24", "192.168.1.7/32", "::1/128"]);
    let err = Settings::from_layers(
        &env(&[("TRUSTED_PROXIES", "nginx.internal")]),
        &FileConfig::default(),
        &Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("TRUSTED_PROXIES: expected an IP address or a network"),
        "{err}"
    );
}
