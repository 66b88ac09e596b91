//! Shared plumbing: a simulator with a client pointed at it, request bodies built the way the
//! gateway builds them, and a one-shot HTTP server for what the simulator cannot show.

use std::{
    net::{Ipv4Addr, SocketAddr},
    time::Duration,
};

use futures::StreamExt;
use gateway::{
    payload::{PayloadInput, compose},
    types::{CachingMode, VersionDraft},
    upstream::{ChatStream, Completion, StreamEvent, Upstream, UpstreamConfig, UpstreamError},
};
use openrouter_simulator::{RunningSimulator, SimulatorConfig};
use serde_json::{Map, Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::oneshot,
    time::Instant,
};

pub const KEY: &str = "sk-or-v1-0123456789abcdef0123456789abcdef";
pub const MODEL: &str = "openai/gpt-4o-mini";

/// A running simulator and an `Upstream` configured for it.
pub struct Harness {
    pub simulator: RunningSimulator,
    pub upstream: Upstream,
}

pub async fn spawn() -> Harness {
    spawn_with(|_| {}).await
}

/// A harness whose client configuration `configure` adjusts (key, retries, timeouts).
pub async fn spawn_with(configure: impl FnOnce(&mut UpstreamConfig)) -> Harness {
    let simulator = RunningSimulator::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SimulatorConfig::default(),
    )
    .await
    .expect("the simulator binds a random local port");
    let mut config = UpstreamConfig::new(simulator.base_url());
    config.api_key = Some(KEY.to_owned());
    configure(&mut config);
    let upstream = Upstream::new(config).expect("the client builds");
    Harness {
        simulator,
        upstream,
    }
}

impl Harness {
    /// An authenticated GET on the simulator, through the client's own pool.
    pub async fn get_json(&self, path: &str, key: &str) -> (u16, Value) {
        let response = self
            .upstream
            .http()
            .get(format!("{}{path}", self.simulator.base_url()))
            .bearer_auth(key)
            .send()
            .await
            .expect("request is sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("body is JSON"))
    }

    /// What the simulator billed for a generation, in USD.
    pub async fn billed_usd(&self, generation_id: &str) -> f64 {
        let (status, body) = self
            .get_json(&format!("/generation?id={generation_id}"), KEY)
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["total_cost"]
            .as_f64()
            .expect("total_cost is a number")
    }
}

/// The body the gateway sends for one user message to `models`.
pub fn payload(models: &[&str], text: &str, stream: bool) -> Value {
    let version = VersionDraft {
        models: models.iter().map(|model| (*model).to_owned()).collect(),
        ..VersionDraft::default()
    };
    let caller = Map::new();
    compose(&PayloadInput {
        version: &version,
        messages: vec![json!({"role": "user", "content": text})],
        caller_options: &caller,
        primary_caching: CachingMode::Automatic,
        max_tokens_ceiling: 8192,
        stream,
    })
    .expect("the payload composes")
}

pub fn deadline(after: Duration) -> Instant {
    Instant::now() + after
}

/// A generous deadline for calls that are expected to finish.
pub fn soon() -> Instant {
    deadline(Duration::from_secs(20))
}

pub async fn chat(
    harness: &Harness,
    models: &[&str],
    text: &str,
) -> Result<Completion, UpstreamError> {
    harness
        .upstream
        .chat(&payload(models, text, false), soon())
        .await
}

/// Everything a stream yields: the concatenated deltas and its last item.
pub async fn drain(stream: ChatStream) -> (String, Result<Completion, UpstreamError>) {
    let items: Vec<Result<StreamEvent, UpstreamError>> = stream.collect().await;
    let mut text = String::new();
    let mut last = None;
    for item in items {
        match item {
            Ok(StreamEvent::Delta { text: delta }) => text.push_str(&delta),
            Ok(StreamEvent::Reasoning { .. }) => {}
            Ok(StreamEvent::Done(completion)) => last = Some(Ok(*completion)),
            Err(error) => last = Some(Err(error)),
        }
    }
    (text, last.expect("the stream ends with Done or an error"))
}

/// Serves exactly one HTTP response on a random port and reports the request it answered.
pub struct OneShot {
    pub base_url: String,
    pub request: oneshot::Receiver<String>,
}

pub async fn one_shot(status_line: &str, headers: &str, body: &str) -> OneShot {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("binds a random port");
    let port = listener.local_addr().expect("has an address").port();
    let response = format!(
        "HTTP/1.1 {status_line}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (sender, request) = oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("a client connects");
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        while !request_is_complete(&received) {
            let read = socket
                .read(&mut buffer)
                .await
                .expect("the request is readable");
            if read == 0 {
                break;
            }
            received.extend_from_slice(&buffer[..read]);
        }
        socket
            .write_all(response.as_bytes())
            .await
            .expect("the response is written");
        sender
            .send(String::from_utf8_lossy(&received).into_owned())
            .ok();
    });
    OneShot {
        base_url: format!("http://127.0.0.1:{port}/api/v1/"),
        request,
    }
}

/// Whether the headers and as many body bytes as `Content-Length` announces have arrived.
fn request_is_complete(received: &[u8]) -> bool {
    let text = String::from_utf8_lossy(received);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}
