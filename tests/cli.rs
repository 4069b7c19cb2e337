//! The `donna` binary as an operator meets it: start-up, the `listening on` line, clean errors.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

#[path = "cli/call.rs"]
mod call;

use std::time::Duration;

use serde_json::Value;
use util::{Sandbox, Served, run_with_timeout};

fn get_json(url: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
}

/// The concatenated log files whose names start with `prefix`.
fn read_logs(sandbox: &Sandbox, prefix: &str) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(sandbox.data_dir().join("logs")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_str().unwrap().starts_with(prefix) {
            text.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    text
}

/// Run `donna` with extra env and args; it must fail fast with exactly one line on stderr.
fn fails_with(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = sandbox.command();
    cmd.args(args).envs(env.iter().copied());
    let out = run_with_timeout(cmd, Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "exit status; stderr: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout, so nothing looks started: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr.trim_end().to_owned()
}

#[test]
fn serve_prints_its_address_answers_health_and_stops_on_sigterm() {
    let sandbox = Sandbox::new();
    let served = Served::start(&sandbox, &[], &[]);
    assert!(served.url.starts_with("http://127.0.0.1:"), "{}", served.url);
    let health = get_json(&format!("{}/api/health", served.url));
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"], "local");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(served.terminate(), "clean exit on SIGTERM");
    // Logs went to a daily file in the data dir as JSON lines.
    let text = read_logs(&sandbox, "donna.");
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["fields"]["message"], "starting");
}

#[test]
fn realtime_sessions_are_closed_not_dropped_when_serve_stops() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let sandbox = Sandbox::new();
    let served = Served::start(&sandbox, &[], &[("DONNA_ENGINE_KEY", "sk-cli-engine-key")]);
    let url = format!(
        "{}/v1/realtime?model=gpt-realtime",
        served.url.replacen("http://", "ws://", 1)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pid = served.child.id();
    let close = rt.block_on(async {
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Authorization", "Bearer sk-cli-engine-key".parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let Some(Ok(Message::Text(created))) = ws.next().await else {
            panic!("no session.created");
        };
        assert!(created.contains("session.created"), "{created}");
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => break frame,
                Ok(Some(Ok(_))) => {}
                other => panic!("the session ended without a close frame: {other:?}"),
            }
        }
    });
    let close = close.expect("a close frame with a code");
    assert_eq!(
        (u16::from(close.code), close.reason.as_str()),
        (1001, "server_shutting_down")
    );
    assert!(served.terminate(), "clean exit on SIGTERM");
}

#[test]
fn addr_flag_wins_over_the_environment() {
    let sandbox = Sandbox::new();
    let port = util::free_port();
    let served = Served::start(
        &sandbox,
        &["--addr", &format!("127.0.0.1:{port}")],
        &[("DONNA_ADDR", "127.0.0.1:1")],
    );
    assert_eq!(served.url, format!("http://127.0.0.1:{port}"));
    assert!(served.terminate());
}

#[test]
fn an_api_key_selects_the_cloud_backend_and_never_shows_up() {
    let sandbox = Sandbox::new();
    let canary = "sk-canary-3f9a0c7d1e";
    let served = Served::start(
        &sandbox,
        &[],
        &[("OPENAI_API_KEY", canary), ("DONNA_LOG", "debug")],
    );
    let url = format!("{}/api/health", served.url);
    let health = get_json(&url);
    assert_eq!(health["backend"], "openai");
    assert!(!health.to_string().contains("canary"));
    let stderr_path = served.stderr_path.clone();
    assert!(served.terminate());
    let stderr = std::fs::read_to_string(stderr_path).unwrap();
    assert!(!stderr.contains(canary), "{stderr}");
    for entry in std::fs::read_dir(sandbox.data_dir().join("logs")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(canary));
    }
}

/// `donna secrets ARGS` on the private keyring's bus, with `stdin`; stdout, or the failure.
fn secrets(sandbox: &Sandbox, bus: &str, args: &[&str], stdin: &str) -> Result<String, String> {
    use std::io::Write;
    let mut cmd = sandbox.command();
    cmd.arg("secrets")
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8(out.stderr).unwrap())
    }
}

#[test]
fn an_api_key_in_the_os_keyring_is_used_and_never_shown() {
    let sandbox = Sandbox::new();
    let keyring = util::PrivateKeyring::start(&sandbox);
    let bus = keyring.address.as_str();
    let canary = "sk-canary-keyring-5b1e";
    let stored = secrets(&sandbox, bus, &["set", "OPENAI_API_KEY"], &format!("{canary}\n")).unwrap();
    assert_eq!(stored, "OPENAI_API_KEY stored in the OS keyring\n");
    let listed = secrets(&sandbox, bus, &["list"], "").unwrap();
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("OPENAI_API_KEY") && l.ends_with(" keyring")),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("JWT_SECRET") && l.ends_with(" not set")),
        "{listed}"
    );
    let typo = secrets(&sandbox, bus, &["set", "OPENAI_KEY"], "sk-x\n").unwrap_err();
    assert!(
        typo.starts_with("error: OPENAI_KEY: not a secret Donna reads"),
        "{typo}"
    );

    // The gateway takes the key from the keyring: the cloud backend, the key nowhere in sight.
    let env = [("DBUS_SESSION_BUS_ADDRESS", bus), ("DONNA_LOG", "debug")];
    let served = Served::start(&sandbox, &[], &env);
    let health = get_json(&format!("{}/api/health", served.url));
    assert_eq!(health["backend"], "openai", "{health}");
    let stderr_path = served.stderr_path.clone();
    assert!(served.terminate());
    let mut doctor = sandbox.command();
    doctor
        .args(["doctor", "--json"])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env("DONNA_INPUT_DEVICE", "no-such-microphone");
    let report = run_with_timeout(doctor, Duration::from_secs(60));
    let report_text = String::from_utf8_lossy(&report.stdout).into_owned();
    let report: Value = serde_json::from_str(&report_text).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "keyring")
        .unwrap()
        .clone();
    assert_eq!(check["status"], "ok", "{check}");
    assert!(
        check["detail"]
            .as_str()
            .unwrap()
            .starts_with("OPENAI_API_KEY is in the OS keyring"),
        "{check}"
    );
    let everything = format!(
        "{stored}{listed}{health}{report_text}{}{}",
        std::fs::read_to_string(stderr_path).unwrap(),
        read_logs(&sandbox, "")
    );
    assert!(!everything.contains(canary), "the key leaked");

    // A setting still wins over what the keyring makes possible; without the key, the local engine.
    let served = Served::start(
        &sandbox,
        &[],
        &[("DBUS_SESSION_BUS_ADDRESS", bus), ("DONNA_BACKEND", "local")],
    );
    assert_eq!(
        get_json(&format!("{}/api/health", served.url))["backend"],
        "local"
    );
    assert!(served.terminate());
    let removed = secrets(&sandbox, bus, &["delete", "OPENAI_API_KEY"], "").unwrap();
    assert_eq!(removed, "OPENAI_API_KEY removed from the OS keyring\n");
    let served = Served::start(&sandbox, &[], &[("DBUS_SESSION_BUS_ADDRESS", bus)]);
    assert_eq!(
        get_json(&format!("{}/api/health", served.url))["backend"],
        "local"
    );
    assert!(served.terminate());
    drop(keyring);

    // A session bus that is gone: the store is not there, and `set` says why in one line.
    let line = secrets(
        &sandbox,
        "unix:path=/nonexistent/bus",
        &["set", "OPENAI_API_KEY"],
        "sk-x\n",
    )
    .unwrap_err();
    assert!(line.starts_with("error: OS keyring: "), "{line}");
    assert_eq!(line.lines().count(), 1, "{line}");
    // No session bus at all (a kiosk started outside a desktop session): the same, plainly.
    let mut cmd = sandbox.command();
    cmd.args(["secrets", "list"]);
    let out = run_with_timeout(cmd, Duration::from_secs(20));
    let line = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        line.trim_end(),
        "error: OS keyring: no desktop session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
    );
}

#[test]
fn autostart_at_login_is_a_desktop_entry_running_this_donna_as_a_kiosk() {
    let sandbox = Sandbox::new();
    let run = |args: &[&str]| {
        let mut cmd = sandbox.command();
        cmd.arg("autostart").args(args);
        let out = run_with_timeout(cmd, Duration::from_secs(20));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
    };
    let entry = sandbox.home.path().join(".config/autostart/donna.desktop");
    assert_eq!(run(&["status"]), "off");
    assert_eq!(
        run(&["enable"]),
        format!("on: {} starts the kiosk at login", entry.display())
    );
    let text = std::fs::read_to_string(&entry).unwrap();
    let program = std::fs::canonicalize(util::donna()).unwrap();
    assert!(text.starts_with("[Desktop Entry]\nType=Application\n"), "{text}");
    assert!(
        text.contains(&format!("\nExec=\"{}\" --kiosk\n", program.display())),
        "{text}"
    );
    assert_eq!(run(&["status"]), format!("on: {}", entry.display()));
    assert_eq!(run(&["disable"]), "off");
    assert!(!entry.exists());
    assert_eq!(run(&["disable"]), "off (it was not on)");
}

#[test]
fn bad_settings_are_one_line_naming_the_variable() {
    let sandbox = Sandbox::new();
    let line = fails_with(&sandbox, &["serve"], &[("DONNA_BACKEND", "cloud")]);
    assert_eq!(
        line,
        "error: DONNA_BACKEND: expected one of auto, local, openai, got \"cloud\""
    );
    let line = fails_with(&sandbox, &["serve"], &[("DONNA_ADDR", "not-an-address")]);
    assert!(
        line.starts_with("error: DONNA_ADDR: expected HOST:PORT"),
        "{line}"
    );
    let line = fails_with(&sandbox, &["serve", "--addr", "999.1.1.1:80"], &[]);
    assert!(line.starts_with("error: --addr: expected HOST:PORT"), "{line}");
    let line = fails_with(&sandbox, &["serve"], &[("ENABLE_VAD", "perhaps")]);
    assert_eq!(line, "error: ENABLE_VAD: expected true or false, got \"perhaps\"");
    let line = fails_with(&sandbox, &["serve"], &[("DONNA_BACKEND", "openai")]);
    assert!(
        line.starts_with("error: OPENAI_API_KEY: required when DONNA_BACKEND is openai"),
        "{line}"
    );
    // Nothing was half-started: no data dir, no logs.
    assert!(!sandbox.data_dir().exists());
}

#[test]
fn profile_and_config_file_errors_name_the_file() {
    let sandbox = Sandbox::new();
    let missing = sandbox.home.path().join("nope.toml");
    let line = fails_with(
        &sandbox,
        &["serve"],
        &[("DONNA_PROFILE", missing.to_str().unwrap())],
    );
    assert_eq!(
        line,
        format!("error: DONNA_PROFILE: no profile file at {}", missing.display())
    );

    let broken = sandbox.write("broken-profile.toml", "[organisation]\nname = \"X\"\n");
    let line = fails_with(
        &sandbox,
        &["serve"],
        &[("DONNA_PROFILE", broken.to_str().unwrap())],
    );
    assert!(
        line.starts_with(&format!("error: profile {}:", broken.display())),
        "{line}"
    );

    let config = sandbox.write("donna.toml", "addr = \"127.0.0.1:0\"\ncolour = \"blue\"\n");
    let line = fails_with(&sandbox, &["serve", "--config", config.to_str().unwrap()], &[]);
    assert!(
        line.starts_with(&format!(
            "error: config file {}: line 2: unknown field `colour`",
            config.display()
        )),
        "{line}"
    );
}

#[test]
fn a_port_in_use_is_one_line_and_nothing_starts() {
    let sandbox = Sandbox::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let line = fails_with(&sandbox, &["serve", "--addr", &addr], &[]);
    assert!(
        line.starts_with(&format!("error: cannot listen on {addr}:")),
        "{line}"
    );
}

#[test]
fn the_window_without_a_display_says_what_to_do() {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    let out = run_with_timeout(cmd, Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("no display found") && stderr.contains("donna serve"),
        "{stderr}"
    );
}

#[test]
fn a_config_file_is_read_and_the_environment_wins_over_it() {
    let sandbox = Sandbox::new();
    let port = util::free_port();
    let config = sandbox.write(
        "donna.toml",
        &format!("addr = \"127.0.0.1:{port}\"\nbackend = \"openai\"\n"),
    );
    // backend = openai in the file, local in the env: env wins, so no key is needed.
    let served = Served::start(
        &sandbox,
        &["--config", config.to_str().unwrap()],
        &[("DONNA_ADDR", ""), ("DONNA_BACKEND", "local")],
    );
    assert_eq!(served.url, format!("http://127.0.0.1:{port}"));
    assert_eq!(
        get_json(&format!("{}/api/health", served.url))["backend"],
        "local"
    );
    assert!(served.terminate());
}

#[test]
fn token_mint_prints_a_token_the_gateway_accepts() {
    let sandbox = Sandbox::new();
    let secret = ("JWT_SECRET", "cli-test-secret-cli-test-secret-0123");
    let mut cmd = sandbox.command();
    cmd.args([
        "token",
        "mint",
        "--sub",
        "kiosk-lobby",
        "--role",
        "kiosk",
        "--ttl",
        "30d",
    ])
    .env(secret.0, secret.1);
    let out = run_with_timeout(cmd, Duration::from_secs(20));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "{token}");

    let served = Served::start(&sandbox, &[], &[secret]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, me): (u16, Value) = rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("{}/api/auth/me", served.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    });
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["sub"], "kiosk-lobby");
    assert_eq!(me["role"], "kiosk");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = me["exp"].as_u64().unwrap();
    assert!(exp.abs_diff(now + 30 * 86_400) < 60, "exp {exp}");
    assert!(served.terminate());
}

/// `GET /api/auth/me` with `token`: the status and the subject it names.
fn whoami(url: &str, token: &str) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("{url}/api/auth/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    })
}

#[test]
fn a_fresh_install_signs_tokens_with_its_own_key_and_the_environment_wins() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    // Minted before the gateway ever ran: the key is made by whichever comes first.
    let staff = util::mint_own_token(&sandbox, "staff-priya-shah", "staff");
    let key_file = sandbox.data_dir().join("token-signing.key");
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(key.len(), 64, "256 bits, hex");
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let served = Served::start(&sandbox, &[], &[]);
    let (status, me) = whoami(&served.url, &staff);
    assert_eq!(
        (status, me["sub"].as_str()),
        (200, Some("staff-priya-shah")),
        "{me}"
    );
    // Minted while the gateway runs, with the same key.
    let kiosk = util::mint_own_token(&sandbox, "kiosk-lobby", "kiosk");
    let (status, me) = whoami(&served.url, &kiosk);
    assert_eq!((status, me["role"].as_str()), (200, Some("kiosk")), "{me}");
    assert!(served.terminate());
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        key,
        "kept across restarts"
    );
    let logs = read_logs(&sandbox, "");
    assert!(
        !logs.is_empty() && !logs.contains(&key),
        "the key never reaches the logs"
    );

    // A configured secret wins: tokens signed with the data dir's key no longer pass.
    let configured = ("JWT_SECRET", "cli-test-secret-cli-test-secret-0123");
    let served = Served::start(&sandbox, &[], &[configured]);
    let (status, body) = whoami(&served.url, &staff);
    assert_eq!(status, 401, "{body}");
    let (status, _) = whoami(
        &served.url,
        &util::mint_with(&sandbox, &[configured], "staff-priya-shah", "staff"),
    );
    assert_eq!(status, 200);
    assert!(served.terminate());

    // An emptied key file is a clear error, not a silent new key that revokes every device.
    std::fs::write(&key_file, "").unwrap();
    let line = fails_with(&sandbox, &["serve", "--addr", "127.0.0.1:0"], &[]);
    assert!(
        line.contains("token-signing.key") && line.contains("empty"),
        "{line}"
    );
}

#[test]
fn token_mint_errors_are_one_line() {
    let sandbox = Sandbox::new();
    let secret = [("JWT_SECRET", "cli-test-secret-cli-test-secret-0123")];
    let line = fails_with(
        &sandbox,
        &["token", "mint", "--sub", "kiosk-lobby", "--role", "root"],
        &secret,
    );
    assert_eq!(line, "error: role must be kiosk, staff or admin, got \"root\"");
    let line = fails_with(
        &sandbox,
        &[
            "token",
            "mint",
            "--sub",
            "kiosk-lobby",
            "--role",
            "kiosk",
            "--ttl",
            "forever",
        ],
        &secret,
    );
    assert!(line.starts_with("error: ttl: expected"), "{line}");
    let line = fails_with(
        &sandbox,
        &["token", "mint", "--sub", "a b", "--role", "staff"],
        &secret,
    );
    assert!(line.starts_with("error: sub must be"), "{line}");
}

#[test]
fn the_canary_key_never_leaks_when_the_cloud_fails() {
    let sandbox = Sandbox::new();
    let canary = "sk-canary-3f9a0c7d1e";
    let secret = "cli-test-secret-cli-test-secret-0123";
    // Nothing listens there: the token route must fail cleanly, naming no key and no address.
    let dead = format!("http://127.0.0.1:{}/v1", util::free_port());
    let served = Served::start(
        &sandbox,
        &[],
        &[
            ("OPENAI_API_KEY", canary),
            ("OPENAI_BASE_URL", &dead),
            ("JWT_SECRET", secret),
            ("DONNA_LOG", "trace"),
        ],
    );
    let jwt = donna_gateway::auth::Jwt::hs256(
        &donna_config::Secret::new(secret),
        donna_config::DEFAULT_JWT_ISSUER,
        donna_config::DEFAULT_JWT_AUDIENCE,
    );
    let token = jwt
        .mint("kiosk-lobby", donna_gateway::auth::Role::Kiosk, 60)
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, text) = rt.block_on(async {
        let resp = reqwest::Client::new()
            .post(format!("{}/api/realtime/token", served.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let headers = format!("{:?}", resp.headers());
        (resp.status().as_u16(), headers + &resp.text().await.unwrap())
    });
    assert_eq!(status, 502, "{text}");
    assert!(text.contains("upstream_error"), "{text}");
    assert!(!text.contains(canary) && !text.contains(&dead), "{text}");
    let stderr_path = served.stderr_path.clone();
    assert!(served.terminate());
    let stderr = std::fs::read_to_string(stderr_path).unwrap();
    assert!(!stderr.contains(canary), "{stderr}");
    let logs = read_logs(&sandbox, "donna.");
    assert!(!logs.contains(canary) && !logs.contains(secret) && !logs.contains(&token));
    // The refusal is in the security log, a stream of its own.
    let security = read_logs(&sandbox, "security.");
    let entry: Value = security
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["fields"]["event"] == "denied")
        .unwrap_or_else(|| panic!("no denial in {security}"));
    assert_eq!(entry["fields"]["reason"], "upstream_unreachable");
    assert_eq!(entry["fields"]["sub"], "kiosk-lobby");
    assert!(!security.contains(canary) && !security.contains(&token));
    assert!(
        !logs.contains("\"event\":\"denied\""),
        "security entries stay in their stream"
    );
}

#[test]
fn old_log_files_are_deleted_by_the_retention_policy() {
    let sandbox = Sandbox::new();
    let logs = sandbox.data_dir().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for name in [
        "donna.2020-01-01.log",
        "security.2020-01-02.log",
        "notes.2020-01-01.log",
    ] {
        std::fs::write(logs.join(name), "{}\n").unwrap();
    }
    let served = Served::start(&sandbox, &[], &[("LOG_RETENTION_DAYS", "7")]);
    util::wait_for("old logs to go", Duration::from_secs(10), || {
        (!logs.join("donna.2020-01-01.log").exists() && !logs.join("security.2020-01-02.log").exists())
            .then_some(())
    });
    assert!(
        logs.join("notes.2020-01-01.log").exists(),
        "other files are not touched"
    );
    assert!(served.terminate());
    assert!(read_logs(&sandbox, "donna.").contains("old log files deleted"));
}

/// The virtual audio devices (scripts/start-audio.sh), one test at a time: a test that plays
/// or records must not hear another's sound. `None` when they are not up (CI always starts
/// them).
fn audio_devices() -> Option<std::sync::MutexGuard<'static, ()>> {
    static DEVICES: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let up = std::env::var_os("PULSE_SERVER").is_some();
    if !up {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must start the virtual audio devices"
        );
        eprintln!("skipped: no PulseAudio (run `source scripts/start-audio.sh` first)");
        return None;
    }
    Some(DEVICES.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

#[test]
fn doctor_reports_devices_and_the_backend_as_json() {
    let Some(_devices) = audio_devices() else {
        return;
    };
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.args(["doctor", "--json"]);
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["ok"], true);
    for list in ["inputs", "outputs"] {
        let devices = report["audio"][list].as_array().unwrap();
        assert!(
            devices
                .iter()
                .any(|d| d["is_default"] == true && d["name"] == "default"),
            "{list}: {devices:?}"
        );
    }
    let status = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("microphone"), "ok");
    assert_eq!(status("speaker"), "ok");
    assert_eq!(status("backend"), "ok", "the local engine answered a question");
    let backend = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "backend")
        .unwrap()["detail"]
        .clone();
    assert!(
        backend.as_str().unwrap().contains("over WebRTC"),
        "asked as the kiosk asks, on a call: {backend}"
    );
    assert_eq!(status("data dir"), "ok");
    assert_eq!(
        report["audio"]["tone"]["played_ms"], 500,
        "the tone really played"
    );
}

#[test]
fn doctor_checks_the_business_profile() {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.args(["doctor", "--json"]);
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let profile = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "profile")
        .cloned()
        .unwrap();
    assert_eq!(profile["status"], "ok", "{profile:#}");
    assert!(
        profile["detail"]
            .as_str()
            .unwrap()
            .starts_with("Harbor Street Clinic: "),
        "{profile:#}"
    );

    let broken = sandbox.write("broken.toml", "[organisation]\nname = 42\n");
    let mut cmd = sandbox.command();
    cmd.args(["doctor"]).env("DONNA_PROFILE", &broken);
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("[FAIL] profile"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("broken.toml"), "the error names the file: {line}");
}

#[test]
fn doctor_fails_when_the_microphone_is_missing() {
    let Some(_devices) = audio_devices() else {
        return;
    };
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.args(["doctor"])
        .env("DONNA_INPUT_DEVICE", "no-such-microphone");
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("[FAIL] microphone     no input device named \"no-such-microphone\""),
        "{stdout}"
    );
    assert!(stdout.contains("Something a kiosk needs is broken."), "{stdout}");
}

/// What IT reads: the devices and nothing but devices, no audio library noise, the speech
/// model checked, and a hint beside what failed.
#[test]
fn doctor_speaks_plainly_checks_the_speech_model_and_hints_at_fixes() {
    let Some(_devices) = audio_devices() else {
        return;
    };
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.args(["doctor"])
        .env("DONNA_INPUT_DEVICE", "no-such-microphone")
        .env("DONNA_MODELS_DIR", sandbox.home.path().join("no-models"));
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        !stderr.contains("ALSA lib") && !stderr.contains("jack"),
        "library noise: {stderr}"
    );
    let listed: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != "Input devices:")
        .take_while(|l| !l.is_empty() && !l.starts_with("Microphone"))
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(listed.contains(&"default"), "{stdout}");
    for plugin in [
        "lavrate",
        "samplerate",
        "speexrate",
        "jack",
        "oss",
        "null",
        "upmix",
    ] {
        assert!(!listed.contains(&plugin), "{plugin} is not a device: {stdout}");
    }
    let after = |head: &str| {
        let mut lines = stdout.lines().skip_while(|l| !l.starts_with(head));
        (
            lines.next().unwrap_or_default().to_owned(),
            lines.next().unwrap_or_default().trim().to_owned(),
        )
    };
    let (_, hint) = after("[FAIL] microphone");
    assert!(
        hint.starts_with("hint:") && hint.contains("DONNA_INPUT_DEVICE"),
        "{stdout}"
    );
    let (model, hint) = after("[warn] speech model");
    assert!(model.contains("no whisper model at"), "{stdout}");
    assert!(hint.contains("donna models install"), "{stdout}");

    // The installed model, where the test command put it, is found and checked.
    let Some(models) = std::env::var_os("DONNA_MODELS_DIR") else {
        assert!(std::env::var_os("CI").is_none(), "CI installs the speech model");
        return;
    };
    let mut cmd = sandbox.command();
    cmd.args(["doctor", "--json"]).env("DONNA_MODELS_DIR", models);
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let model = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "speech model")
        .unwrap()
        .clone();
    assert_eq!(model["status"], "ok", "{model}");
}

/// Visitors' names and messages, and the logs about them, are private files in a private
/// folder whatever the umask; the doctor warns about a data dir others can read.
#[test]
fn data_files_are_private_and_the_doctor_warns_when_the_dir_is_not() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "umask 022 && exec \"$0\" serve", util::donna()]);
    sandbox.apply(&mut cmd);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.starts_with("listening on "), "{line}");
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let data = sandbox.data_dir();
    assert_eq!(mode(&data), 0o700, "the data dir");
    assert_eq!(mode(&data.join("logs")), 0o700, "the logs dir");
    let mut files = vec![data.join("donna.sqlite3"), data.join("donna.sqlite3-wal")];
    for entry in std::fs::read_dir(data.join("logs")).unwrap() {
        files.push(entry.unwrap().path());
    }
    assert!(files.len() >= 4, "the store and both logs: {files:?}");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    assert!(util::terminate(&mut child, Duration::from_secs(10)));

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = sandbox.command();
    cmd.args(["doctor", "--json"])
        .env("DONNA_INPUT_DEVICE", "no-such-microphone");
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "data dir")
        .unwrap()
        .clone();
    assert_eq!(check["status"], "warn", "{check}");
    assert!(
        check["detail"]
            .as_str()
            .unwrap()
            .contains("readable by other users"),
        "{check}"
    );
}
