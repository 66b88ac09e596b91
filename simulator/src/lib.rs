//! Public API of the OpenRouter simulator: its configuration, the axum router and the ways to
//! serve it.
//!
//! The simulator answers like OpenRouter's `/api/v1` over real HTTP, deterministically, and can be
//! told per request to misbehave (see [`FAULT_HEADER`] and [`FAULT_MODEL_PREFIX`]).

mod account;
mod answer;
mod catalog;
mod chat;
mod error;
mod faults;
mod seen;
mod stream;

use std::{
    future::Future,
    io,
    net::{Ipv4Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use axum::{
    Router,
    routing::{get, post},
    serve::ListenerExt,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use seen::Seen;
pub use seen::SeenRequest;

/// Model ids starting with this prefix are not catalog models but select a fault, e.g.
/// `simulator/error-429`, so that faults can be triggered through ordinary model configuration.
/// `simulator/unavailable` is never served, which makes the next fallback model answer.
pub const FAULT_MODEL_PREFIX: &str = "simulator/";
/// Request header selecting a fault for one chat completion, e.g. `x-simulator-fault: cut-stream`.
pub const FAULT_HEADER: &str = "x-simulator-fault";
/// Request header choosing the shape of the streamed usage chunk: `documented` (default),
/// `empty-delta` or `repeat-finish`.
pub const USAGE_VARIANT_HEADER: &str = "x-simulator-usage-variant";
/// Request header overriding the pause between chunks of the `slow-stream` fault, in milliseconds.
pub const CHUNK_DELAY_HEADER: &str = "x-simulator-chunk-delay-ms";

/// How the simulator paces its answers.
#[derive(Debug, Clone, Default)]
pub struct SimulatorConfig {
    /// Added to every chat completion before it answers.
    pub latency: Duration,
    /// Pause between the chunks of a streamed answer.
    pub chunk_delay: Duration,
}

/// Shared by every handler of one router.
#[derive(Clone)]
struct AppState {
    config: SimulatorConfig,
    ledger: Arc<account::Ledger>,
    seen: Arc<Seen>,
}

/// The simulated OpenRouter API, with all routes under `/api/v1`.
pub fn router(config: SimulatorConfig) -> Router {
    routes(config, Arc::default())
}

fn routes(config: SimulatorConfig, seen: Arc<Seen>) -> Router {
    let state = AppState {
        config,
        ledger: Arc::default(),
        seen,
    };
    let api = Router::new()
        .route("/chat/completions", post(chat::completions))
        .route("/models", get(catalog::models))
        .route("/generation", get(account::generation))
        .route("/key", get(account::key))
        .route("/auth/key", get(account::key))
        .route("/credits", get(account::credits))
        .with_state(state);
    Router::new()
        .nest("/api/v1", api)
        .fallback(error::not_found)
}

/// Serves the simulator on `listener` until `shutdown` resolves, then finishes open requests.
pub async fn serve(
    listener: TcpListener,
    config: SimulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_routes(listener, router(config), shutdown).await
}

async fn serve_routes(
    listener: TcpListener,
    routes: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener.tap_io(no_delay), routes)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Sends each chunk at once, as OpenRouter does: under Nagle's algorithm a chunk written right
/// after another waits for the client's delayed ACK, about 40 ms on Linux.
fn no_delay(connection: &mut tokio::net::TcpStream) {
    if let Err(error) = connection.set_nodelay(true) {
        tracing::debug!(%error, "cannot turn off Nagle's algorithm on a connection");
    }
}

/// A simulator serving in a background task.
///
/// Dropping it without [`RunningSimulator::stop`] also shuts the server down, without waiting.
#[derive(Debug)]
pub struct RunningSimulator {
    addr: SocketAddr,
    seen: Arc<Seen>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl RunningSimulator {
    /// Binds `addr` (use `127.0.0.1:0` for a random port) and serves in a background task.
    pub async fn start(addr: SocketAddr, config: SimulatorConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (shutdown, signal) = oneshot::channel::<()>();
        let seen = Arc::<Seen>::default();
        // Both a sent signal and a dropped sender end the wait, so dropping the handle stops it too.
        let task = tokio::spawn(serve_routes(
            listener,
            routes(config, seen.clone()),
            async {
                signal.await.ok();
            },
        ));
        Ok(Self {
            addr,
            seen,
            shutdown,
            task,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The chat requests served so far (the last 256), oldest first.
    pub fn seen_requests(&self) -> Vec<SeenRequest> {
        self.seen.all()
    }

    /// What a client uses as `OPENROUTER_BASE_URL`, e.g. `http://127.0.0.1:4321/api/v1`.
    pub fn base_url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            Ipv4Addr::LOCALHOST.into()
        } else {
            self.addr.ip()
        };
        format!("http://{}/api/v1", SocketAddr::new(ip, self.addr.port()))
    }

    /// Shuts the server down gracefully and waits until it has stopped.
    pub async fn stop(self) {
        // An error only means the server task has already ended, which the join below reports.
        self.shutdown.send(()).ok();
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "simulator stopped with an error"),
            Err(error) => tracing::warn!(%error, "simulator task failed"),
        }
    }
}
