//! Time to the first text of a streamed answer, which a load generator cannot see: it times whole
//! responses. Understands both streams the benchmark compares: OpenRouter's `data:` chunks (text
//! in `choices[0].delta.content`) and the gateway's `delta` events.

use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::BytesMut;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    url: String,
    /// The JSON request body.
    #[arg(long)]
    body: String,
    /// `Name: value`, repeatable.
    #[arg(long = "header")]
    headers: Vec<String>,
    /// Timed requests, after the warm-up ones.
    #[arg(long, default_value_t = 500)]
    requests: usize,
    #[arg(long, default_value_t = 50)]
    warmup: usize,
}

/// One request's timings, from the moment it was sent.
struct Sample {
    headers: Duration,
    first_text: Duration,
    end: Duration,
}

/// Sends the requests one at a time on one kept-alive connection and returns the percentiles, in
/// milliseconds, as a JSON object.
pub async fn measure(args: &Args) -> anyhow::Result<Value> {
    let client = reqwest::Client::builder().tcp_nodelay(true).build()?;
    let headers = parse_headers(&args.headers)?;
    let mut samples = Vec::with_capacity(args.requests);
    for round in 0..args.warmup + args.requests {
        let sample = one(&client, args, &headers)
            .await
            .with_context(|| format!("streamed request {round}"))?;
        if round >= args.warmup {
            samples.push(sample);
        }
    }
    Ok(json!({
        "requests": samples.len(),
        "headers_ms": percentiles(samples.iter().map(|s| s.headers)),
        "first_text_ms": percentiles(samples.iter().map(|s| s.first_text)),
        "end_ms": percentiles(samples.iter().map(|s| s.end)),
    }))
}

async fn one(client: &reqwest::Client, args: &Args, headers: &HeaderMap) -> anyhow::Result<Sample> {
    let started = Instant::now();
    let mut response = client
        .post(&args.url)
        .headers(headers.clone())
        .body(args.body.clone())
        .send()
        .await?
        .error_for_status()?;
    let to_headers = started.elapsed();
    let mut events = EventScanner::default();
    let mut first_text = None;
    while let Some(chunk) = response.chunk().await? {
        if first_text.is_none() && events.push_finds_text(&chunk) {
            first_text = Some(started.elapsed());
        }
    }
    Ok(Sample {
        headers: to_headers,
        first_text: first_text.context("the stream ended without any text")?,
        end: started.elapsed(),
    })
}

fn parse_headers(lines: &[String]) -> anyhow::Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .with_context(|| format!("{line:?} is not `Name: value`"))?;
        headers.insert(
            HeaderName::try_from(name.trim())?,
            HeaderValue::try_from(value.trim())?,
        );
    }
    Ok(headers)
}

/// Collects a Server-Sent Events body and looks at each event once it is complete.
#[derive(Default)]
struct EventScanner {
    pending: BytesMut,
}

impl EventScanner {
    /// Adds `chunk`; true when an event completed by it carries text.
    fn push_finds_text(&mut self, chunk: &[u8]) -> bool {
        self.pending.extend_from_slice(chunk);
        let mut found = false;
        while let Some(end) = find(&self.pending, b"\n\n") {
            let event = self.pending.split_to(end + 2);
            found |= carries_text(&String::from_utf8_lossy(&event));
        }
        found
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn carries_text(event: &str) -> bool {
    event.lines().any(|line| {
        line == "event: delta"
            || line.strip_prefix("data:").is_some_and(|data| {
                serde_json::from_str::<Value>(data.trim()).is_ok_and(|chunk| {
                    chunk["choices"][0]["delta"]["content"]
                        .as_str()
                        .is_some_and(|text| !text.is_empty())
                })
            })
    })
}

/// p50 and p99 in milliseconds (nearest rank).
fn percentiles(values: impl Iterator<Item = Duration>) -> Value {
    let mut sorted: Vec<f64> = values.map(|d| d.as_secs_f64() * 1000.0).collect();
    sorted.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let index = (p * sorted.len() as f64).ceil() as usize;
        sorted
            .get(index.saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    json!({ "p50": rank(0.50), "p99": rank(0.99) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_found_in_either_stream_only_once_its_event_is_complete() {
        let mut upstream = EventScanner::default();
        assert!(!upstream.push_finds_text(b": OPENROUTER PROCESSING\n\n"));
        assert!(!upstream.push_finds_text(
            b"data: {\"choices\":[{\"delta\":{\"content\":\"\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"Hi"
        ));
        assert!(upstream.push_finds_text(b"\"}}]}\n\n"));

        let mut gateway = EventScanner::default();
        assert!(!gateway.push_finds_text(b": keep-alive\n\n"));
        assert!(gateway.push_finds_text(b"event: delta\ndata: {\"text\":\"Hi\"}\n\n"));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values = (1..=100).map(Duration::from_millis);
        assert_eq!(percentiles(values), json!({ "p50": 50.0, "p99": 99.0 }));
    }
}
