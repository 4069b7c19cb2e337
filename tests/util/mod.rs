//! Shared harness for the app's integration tests: run the real `donna` binary in a sandboxed
//! environment (its own HOME and data dir, no inherited Donna settings) and stop it politely.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `donna` the tests drive: the one this build made, or an installed one named by
/// `DONNA_UNDER_TEST` (the package check runs the window tests against `/usr/bin/donna`).
pub fn donna() -> &'static str {
    static DONNA: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        std::env::var("DONNA_UNDER_TEST").unwrap_or_else(|_| env!("CARGO_BIN_EXE_donna").to_owned())
    });
    &DONNA
}

/// Variables the harness never lets leak in from the developer's shell.
const SCRUBBED: &[&str] = &[
    "DONNA_ADDR",
    "DONNA_BACKEND",
    "DONNA_PROFILE",
    "DONNA_DATA_DIR",
    "DONNA_DATABASE_URL",
    "DONNA_REDIS_URL",
    "DONNA_CONFIG",
    "DONNA_LOG",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_REALTIME_MODEL",
    "JWT_SECRET",
    "JWT_ALGORITHM",
    "JWT_PUBLIC_KEY",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "LOG_RETENTION_DAYS",
    "MARKETING_BACKEND_URL",
    "MARKETING_ALLOWED_PATHS",
    "REQUEST_TIMEOUT_S",
    "UPSTREAM_TIMEOUT_S",
    "OPENAI_TRANSCRIBE_MODEL",
    "OPENAI_CHAT_MODEL",
    "ELEVENLABS_API_KEY",
    "ELEVENLABS_BASE_URL",
    "ELEVENLABS_VOICE_ID",
    "RATE_LIMIT_API_IP",
    "RATE_LIMIT_API_IDENTITY",
    "RATE_LIMIT_TOKEN_IP",
    "RATE_LIMIT_TOKEN_IDENTITY",
    "RATE_LIMIT_VOICE_IP",
    "RATE_LIMIT_VOICE_IDENTITY",
    "RATE_LIMIT_MARKETING_IP",
    "RATE_LIMIT_MARKETING_IDENTITY",
    "ENABLE_WS_PROXY",
    "ENABLE_VAD",
    "NEXT_PUBLIC_ENABLE_VAD",
    "USE_WS_PROXY",
    "NEXT_PUBLIC_USE_WS_PROXY",
    "ENABLE_SERVER_VAD",
    "ALLOWED_ORIGINS",
    "PRODUCTION_DOMAIN",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "DONNA_FIXED_TIME",
    // The developer's own session bus leads to their OS keyring: tests never read it.
    "DBUS_SESSION_BUS_ADDRESS",
];

/// The clock every app the harness starts reads, unless a test sets its own: Thursday 26
/// November 2026, 10:00 in London, when the example clinic is open. Answers that depend on the
/// hour are the same whenever the suite runs.
pub const THURSDAY_MORNING: &str = "2026-11-26T10:00:00Z";

/// A private HOME with a data dir inside; removed on drop.
pub struct Sandbox {
    pub home: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    /// A `donna` command with only this sandbox's settings.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(donna());
        self.apply(&mut cmd);
        cmd
    }

    /// Give any command (tauri-driver, for one) this sandbox's environment.
    pub fn apply(&self, cmd: &mut Command) {
        for name in SCRUBBED {
            cmd.env_remove(name);
        }
        cmd.env("HOME", self.home.path())
            .env("DONNA_DATA_DIR", self.data_dir())
            .env("DONNA_ADDR", "127.0.0.1:0")
            .env("DONNA_FIXED_TIME", THURSDAY_MORNING);
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.home.path().join(name);
        std::fs::write(&path, contents).expect("write fixture");
        path
    }
}

/// Run a command to completion with a deadline, so a hung binary fails the test instead of CI.
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
            panic!("command did not finish within {timeout:?}");
        }
    }
}

/// A running `donna serve`.
pub struct Served {
    pub child: Child,
    pub url: String,
    pub stderr_path: PathBuf,
}

impl Served {
    /// Start `donna serve` and wait for its `listening on` line.
    pub fn start(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Self {
        let stderr_path = sandbox.home.path().join("serve.stderr");
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        let mut cmd = sandbox.command();
        cmd.arg("serve")
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = cmd.spawn().expect("spawn donna serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the child never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "no `listening on` line; stderr: {}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
        };
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self {
            child,
            url,
            stderr_path,
        }
    }

    /// SIGTERM, then wait; returns whether it exited cleanly within the deadline.
    pub fn terminate(mut self) -> bool {
        self.terminate_in_place()
    }

    /// [`Self::terminate`] for a server held in a variable that is given a new one after.
    pub fn terminate_in_place(&mut self) -> bool {
        terminate(&mut self.child, Duration::from_secs(10))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Ask a child to stop with SIGTERM (never SIGKILL first: drivers leave orphans behind then).
pub fn terminate(child: &mut Child, timeout: Duration) -> bool {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// A port that was free a moment ago, for tools that cannot be told to pick their own.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Poll `f` until it returns `Some`, or panic with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A token from the real `donna token mint`, signed with `jwt_secret`.
pub fn mint_token(sandbox: &Sandbox, jwt_secret: &str, sub: &str, role: &str) -> String {
    mint_with(sandbox, &[("JWT_SECRET", jwt_secret)], sub, role)
}

/// A token from the real `donna token mint` with no `JWT_SECRET`: signed with the key the data
/// dir holds (made by whichever of the gateway or the mint comes first).
pub fn mint_own_token(sandbox: &Sandbox, sub: &str, role: &str) -> String {
    mint_with(sandbox, &[], sub, role)
}

/// `donna token mint` for an hour with `env`; its one line of output.
pub fn mint_with(sandbox: &Sandbox, env: &[(&str, &str)], sub: &str, role: &str) -> String {
    let mut cmd = sandbox.command();
    cmd.envs(env.iter().copied())
        .args(["token", "mint", "--sub", sub, "--role", role, "--ttl", "1h"]);
    let out = run_with_timeout(cmd, Duration::from_secs(20));
    assert!(
        out.status.success(),
        "token mint failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 token")
        .trim()
        .to_owned()
}

/// A private session bus with a Secret Service (gnome-keyring) on it, its keyring in the
/// sandbox's HOME: what a desktop session gives Donna, for the tests of the OS keyring.
pub struct PrivateKeyring {
    bus: Child,
    keyring: Child,
    pub address: String,
}

impl PrivateKeyring {
    pub fn start(sandbox: &Sandbox) -> Self {
        let socket = sandbox.home.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        let bus = Command::new("dbus-daemon")
            .args([
                "--session",
                "--nofork",
                "--nopidfile",
                &format!("--address={address}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (the README's test command installs dbus)");
        wait_for("the private session bus", Duration::from_secs(10), || {
            socket.exists().then_some(())
        });
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("HOME", sandbox.home.path())
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (the README's test command installs gnome-keyring)");
        {
            use std::io::Write;
            // The login keyring's password, then end of input: the keyring is created unlocked.
            let mut stdin = keyring.stdin.take().expect("stdin");
            stdin.write_all(b"kiosk-test").expect("keyring password");
        }
        wait_for("the Secret Service on the bus", Duration::from_secs(10), || {
            Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .output()
                .ok()
                .filter(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
                .map(|_| ())
        });
        Self {
            bus,
            keyring,
            address,
        }
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// A new empty database on the private PostgreSQL server `scripts/start-postgres.sh` starts
/// (`DONNA_TEST_POSTGRES_URL`); its URL, for `DONNA_DATABASE_URL`.
pub fn postgres_database() -> String {
    let server = std::env::var("DONNA_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("DONNA_TEST_POSTGRES_URL is not set: run `source scripts/start-postgres.sh` first (scripts/test.sh does)")
    });
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "donna_app_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let created = Command::new("psql")
        .args([server.as_str(), "-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql (postgresql-client)");
    assert!(created.success(), "cannot create a test database on {server}");
    let (base, _) = server.rsplit_once('/').expect("a URL ending in /database");
    format!("{base}/{name}")
}

/// The private Redis server `scripts/start-redis.sh` starts (`DONNA_TEST_REDIS_URL`).
pub fn redis_url() -> String {
    std::env::var("DONNA_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!("DONNA_TEST_REDIS_URL is not set: run `source scripts/start-redis.sh` first (scripts/test.sh does)")
    })
}

/// nginx from the distribution as the load balancer in front of several gateways, privately:
/// its own config, temp files and logs in a temp dir, one process on a loopback port. Each
/// client address sticks to one gateway (its realtime sessions live there); requests that fail to
/// reach it are passed to the next, POSTs included (`non_idempotent`), which `Idempotency-Key`
/// makes safe.
pub struct Balancer {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Balancer {
    pub fn start(gateways: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let servers: String = gateways
            .iter()
            .map(|url| {
                let host = url.trim_start_matches("http://");
                format!("server {host} max_fails=1 fail_timeout=10s;\n")
            })
            .collect();
        let d = dir.path().display();
        let conf = format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
             upstream donna {{\n hash $remote_addr consistent;\n{servers}}}\n\
             map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n\
             server {{\n listen 127.0.0.1:{port};\n location / {{\n proxy_pass http://donna;\n\
             proxy_http_version 1.1;\n proxy_set_header Host $host;\n\
             proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
             proxy_set_header Upgrade $http_upgrade;\n proxy_set_header Connection $connection_upgrade;\n\
             proxy_buffering off;\n proxy_read_timeout 1h;\n proxy_connect_timeout 2s;\n\
             proxy_next_upstream error timeout http_502 non_idempotent;\n }}\n }}\n}}\n"
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("nginx.conf");
        let child = Command::new("nginx")
            .args([
                "-p",
                &d.to_string(),
                "-c",
                &conf_path.display().to_string(),
                "-e",
                &format!("{d}/error.log"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nginx (apt-get install nginx)");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            url,
            _dir: dir,
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The installed speech models (`DONNA_MODELS_DIR`), whose whisper hears a visitor's name;
/// outside CI a missing model skips the test that needs it.
pub fn speech_models() -> Option<String> {
    match std::env::var("DONNA_MODELS_DIR") {
        Ok(dir) => Some(dir),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install the speech models (scripts/test.sh sets DONNA_MODELS_DIR)"
            );
            eprintln!("skipped: the whisper model is not installed (set DONNA_MODELS_DIR)");
            None
        }
    }
}

/// `caption` holds `name`, as spelt or one letter away ("Wahlker" for "Walker"): a recogniser
/// that has never met a visitor's name may spell it either way, and both are the name heard.
/// Spelt out letter by letter, the recognisers' word edit distance counts letters.
pub fn heard_name(caption: &str, name: &str) -> bool {
    let spelt = |word: &str| word.chars().map(String::from).collect::<Vec<_>>().join(" ");
    caption
        .to_lowercase()
        .split(|c: char| !c.is_alphabetic())
        .any(|word| donna_speech::stt::text::word_errors(&spelt(name), &spelt(word)).0 <= 1)
}
