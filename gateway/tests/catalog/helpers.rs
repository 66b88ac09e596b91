//! Shared plumbing: running a test on each engine, building catalogs, and the upstreams they
//! fetch from (the simulator, or a stub that answers with a fixed body and records requests).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gateway::Store;
use gateway::catalog::Catalog;
use openrouter_simulator::{RunningSimulator, SimulatorConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The `/models` body the simulator serves, for stubs that must answer with a real list.
pub const MODELS_JSON: &str = include_str!("../../data/openrouter-models.json");

/// Long enough that nothing fetched during a test goes stale.
pub const DAY: Duration = Duration::from_secs(86_400);

/// Nothing listens on the discard port, so connecting fails at once.
pub const DEAD_URL: &str = "http://127.0.0.1:9/api/v1";

/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `$body(store)`.
#[macro_export]
macro_rules! on_each_engine {
    ($name:ident, $body:expr) => {
        gateway::on_each_engine!($name, gateway::test_support::with_store, $body);
    };
}

/// A catalog without an API key (`/models` is public).
pub fn catalog(store: &Store, base_url: &str, ttl: Duration) -> Catalog {
    catalog_with_key(store, base_url, None, ttl)
}

pub fn catalog_with_key(
    store: &Store,
    base_url: &str,
    api_key: Option<&str>,
    ttl: Duration,
) -> Catalog {
    let http = reqwest::Client::builder()
        .build()
        .expect("a default client builds");
    Catalog::new(
        store.clone(),
        http,
        base_url.to_owned(),
        api_key.map(str::to_owned),
        ttl,
    )
}

pub async fn simulator() -> RunningSimulator {
    RunningSimulator::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SimulatorConfig::default(),
    )
    .await
    .expect("the simulator binds a random local port")
}

/// One request as the stub saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
}

/// An upstream that answers every request with the same status and body, and records requests.
pub struct Stub {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl Stub {
    pub async fn start(status: u16, body: &'static str) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("the stub binds a random local port");
        let addr = listener.local_addr().expect("the stub has an address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let seen = Arc::clone(&seen);
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let stream = stream.into_std().expect("a std stream");
                    let seen = Arc::clone(&seen);
                    tokio::task::spawn_blocking(move || answer(stream, status, body, &seen));
                }
            }
        });
        Self { addr, seen, task }
    }

    /// The API root to configure, like the simulator's.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("the request log").clone()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request head, records it, and answers with `Connection: close`.
fn answer(mut stream: TcpStream, status: u16, body: &str, seen: &Mutex<Vec<Seen>>) {
    stream.set_nonblocking(false).expect("a blocking stream");
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).expect("reading the request");
        if read == 0 {
            return;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let path = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or_default()
        .to_owned();
    let authorization = lines.find_map(|line| {
        line.split_once(':')
            .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value.trim().to_owned())
    });
    seen.lock().expect("the request log").push(Seen {
        path,
        authorization,
    });
    write!(
        stream,
        "HTTP/1.1 {status} Stub\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("writing the answer");
}
