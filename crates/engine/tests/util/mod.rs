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
