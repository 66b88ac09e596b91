//! Shared test plumbing: starting a simulator, sending requests, and taking SSE bodies apart.

use std::net::{Ipv4Addr, SocketAddr};

use openrouter_simulator::{RunningSimulator, SimulatorConfig};
use serde_json::{Value, json};

pub const KEY: &str = "sk-or-v1-0123456789abcdef0123456789abcdef";

/// A running simulator and a client pointed at it.
pub struct Harness {
    pub simulator: RunningSimulator,
    pub client: reqwest::Client,
}

pub async fn spawn() -> Harness {
    spawn_with(SimulatorConfig::default()).await
}

pub async fn spawn_with(config: SimulatorConfig) -> Harness {
    let simulator = RunningSimulator::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
        .await
        .expect("the simulator binds a random local port");
    let client = reqwest::Client::builder()
        .build()
        .expect("a default client builds");
    Harness { simulator, client }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.simulator.base_url())
    }

    /// A chat completion request authenticated with [`KEY`], ready for extra headers.
    pub fn chat(&self, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.url("/chat/completions"))
            .bearer_auth(KEY)
            .json(body)
    }

    /// A successful non-streamed completion's body.
    pub async fn complete(&self, body: &Value) -> Value {
        let response = self.chat(body).send().await.expect("request is sent");
        assert_eq!(response.status(), 200);
        response.json().await.expect("body is JSON")
    }

    /// An authenticated GET returning a JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("request is sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("body is JSON"))
    }
}

/// A one-message request for `model`.
pub fn request(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

/// The same request, streamed.
pub fn streamed(model: &str, text: &str) -> Value {
    let mut body = request(model, text);
    body["stream"] = json!(true);
    body
}

/// One SSE event of a stream body.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Comment(String),
    Data(String),
}

pub fn events(body: &str) -> Vec<Event> {
    body.split("\n\n")
        .filter(|event| !event.trim().is_empty())
        .map(|event| match event.strip_prefix("data: ") {
            Some(data) => Event::Data(data.to_owned()),
            None => Event::Comment(event.to_owned()),
        })
        .collect()
}

/// The JSON chunks of a stream body, without comments and `[DONE]`.
pub fn chunks(body: &str) -> Vec<Value> {
    events(body)
        .into_iter()
        .filter_map(|event| match event {
            Event::Data(data) if data != "[DONE]" => {
                Some(serde_json::from_str(&data).expect("every data event is JSON"))
            }
            _ => None,
        })
        .collect()
}

/// The text carried by a stream's deltas.
pub fn streamed_text(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect()
}

/// Reads a body until it ends or breaks; returns what arrived and whether it broke.
pub async fn read_until_break(response: reqwest::Response) -> (String, bool) {
    use futures::StreamExt;

    let mut stream = response.bytes_stream();
    let mut received = Vec::new();
    while let Some(piece) = stream.next().await {
        match piece {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&received).into_owned(), false)
}

/// A catalog model's per-token prices, read from the served `/models`.
pub async fn catalog_prices(harness: &Harness, model: &str) -> (f64, f64) {
    let catalog: Value = harness
        .client
        .get(harness.url("/models"))
        .send()
        .await
        .expect("request is sent")
        .json()
        .await
        .expect("catalog is JSON");
    let entry = catalog["data"]
        .as_array()
        .expect("catalog has data")
        .iter()
        .find(|entry| entry["id"] == model)
        .expect("model is in the catalog");
    let price = |kind: &str| -> f64 {
        entry["pricing"][kind]
            .as_str()
            .expect("prices are strings")
            .parse()
            .expect("prices are decimals")
    };
    (price("prompt"), price("completion"))
}

pub fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= expected.abs() * 1e-9 + 1e-15,
        "{actual} is not {expected}"
    );
}

/// The `x-generation-id` header of a completion response.
pub fn generation_id(response: &reqwest::Response) -> String {
    response.headers()["x-generation-id"]
        .to_str()
        .unwrap()
        .to_owned()
}
