//! Shared by the engine's tests and benches: the engine served on a loopback port.

use donna_engine::Engine;

/// Serve `engine`'s routes on a free loopback port until the runtime ends; its address.
pub async fn serve(engine: &Engine) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    let app = engine.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The engine as it runs offline: `desk` with an in-memory store, flite's voice, and `stt`
/// hearing the visitor; opened with `key`.
#[allow(dead_code)] // not every test binary speaks
pub fn speaking_engine(
    desk: donna_desk::Desk,
    stt: std::sync::Arc<dyn donna_speech::stt::Transcriber>,
    key: &str,
) -> Engine {
    let store = donna_desk::store::Store::open_in_memory().expect("an in-memory store");
    Engine::new(
        std::sync::Arc::new(donna_desk::Reception::new(desk, store, Vec::new())),
        donna_engine::Keys::new(key.to_owned()),
        donna_engine::EngineConfig {
            tts: Some(std::sync::Arc::new(donna_speech::Tts::default())),
            stt: Some(stt),
            ..donna_engine::EngineConfig::default()
        },
    )
}
