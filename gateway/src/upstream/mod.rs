//! The one OpenRouter client: its configuration, the pooled HTTP connection, retries with
//! backoff inside a caller's deadline, and the chat (plain and streamed) and `/models` calls.

mod completion;
mod errors;
mod sse;

use std::{fmt, sync::Arc, time::Duration};

use bytes::Bytes;
use reqwest::{
    RequestBuilder, Response,
    header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER},
};
use serde_json::Value;
use tokio::time::Instant;

pub use completion::{Citation, Completion, Usage};
pub use errors::UpstreamError;
use errors::{ErrorDetail, is_retryable_status};
pub use sse::{ChatStream, StreamEvent};

/// The first retry waits up to this long; each further one up to twice as long as the last.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// No single backoff pause is planned longer than this unless configured otherwise.
const BACKOFF_CAP: Duration = Duration::from_secs(10);
/// Idle pooled connections are closed after this; OpenRouter's edge drops them soon anyway.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// How to reach OpenRouter.
#[derive(Clone)]
pub struct UpstreamConfig {
    /// E.g. `https://openrouter.ai/api/v1`; a trailing slash is ignored.
    pub base_url: String,
    /// The OpenRouter key; without one every chat call fails with `NotConfigured`. Never logged.
    pub api_key: Option<String>,
    /// Sent as `X-Title` (app attribution on openrouter.ai).
    pub title: Option<String>,
    /// Sent as `HTTP-Referer`.
    pub referer: Option<String>,
    pub connect_timeout: Duration,
    /// The default deadline of a call, and the longest silence tolerated inside a stream.
    pub request_timeout: Duration,
    /// Further attempts after a retryable failure.
    pub max_retries: u32,
    /// The longest planned pause between two attempts (a `Retry-After` is honoured as asked).
    pub backoff_ceiling: Duration,
}

impl UpstreamConfig {
    /// Defaults for everything but the address: no key, 10 s to connect, 60 s per call, 2 retries.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            title: None,
            referer: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_retries: 2,
            backoff_ceiling: BACKOFF_CAP,
        }
    }
}

impl fmt::Debug for UpstreamConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("title", &self.title)
            .field("referer", &self.referer)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_retries", &self.max_retries)
            .field("backoff_ceiling", &self.backoff_ceiling)
            .finish()
    }
}

/// The handle to OpenRouter. Cheap to clone; all clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Upstream {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: UpstreamConfig,
    base_url: String,
    http: reqwest::Client,
}

impl Upstream {
    pub fn new(config: UpstreamConfig) -> Result<Self, UpstreamError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .tcp_nodelay(true)
            .user_agent(concat!("ai-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                UpstreamError::Connect(format!("the HTTP client could not be built: {error}"))
            })?;
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                base_url,
                http,
            }),
        })
    }

    /// The pooled HTTP client, for other OpenRouter endpoints (the catalog) to share.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub fn config(&self) -> &UpstreamConfig {
        &self.inner.config
    }

    /// Whether an API key is configured, i.e. chat calls can be made at all.
    pub fn is_configured(&self) -> bool {
        self.api_key().is_ok()
    }

    /// One chat completion. Retries transient failures; everything, retries and pauses
    /// included, ends by `deadline`.
    pub async fn chat(
        &self,
        payload: &Value,
        deadline: Instant,
    ) -> Result<Completion, UpstreamError> {
        let key = self.api_key()?;
        let body = Bytes::from(payload.to_string());
        within(deadline, async {
            let (response, attempts) = self
                .send(|| self.post_chat(key, &body, "application/json"), deadline)
                .await?;
            read_completion(response, attempts).await
        })
        .await
    }

    /// One streamed chat completion (`stream: true` is set on a copy of `payload`). Retries
    /// happen only until the response headers arrive, all by `deadline`; after that the stream
    /// fails with `Timeout` if OpenRouter stays silent for the configured request timeout.
    pub async fn chat_stream(
        &self,
        payload: &Value,
        deadline: Instant,
    ) -> Result<ChatStream, UpstreamError> {
        self.open_stream(payload, deadline)
            .await
            .map(|opened| opened.events)
    }

    /// [`Self::chat_stream`], also handing back the generation id OpenRouter announced in the
    /// response headers, so that a call cancelled part way can look its bill up later.
    pub async fn open_stream(
        &self,
        payload: &Value,
        deadline: Instant,
    ) -> Result<OpenStream, UpstreamError> {
        let key = self.api_key()?;
        let mut payload = payload.clone();
        if let Some(fields) = payload.as_object_mut() {
            fields.insert("stream".into(), Value::Bool(true));
        }
        let body = Bytes::from(payload.to_string());
        let (response, attempts) = within(
            deadline,
            self.send(|| self.post_chat(key, &body, "text/event-stream"), deadline),
        )
        .await?;
        let generation_id = generation_id(response.headers());
        if !is_event_stream(response.headers()) {
            // A 200 to a stream request can still be plain JSON (an error inside the body, or a
            // server that does not stream); read it as such rather than as an empty stream.
            let completion = within(deadline, read_completion(response, attempts)).await?;
            return Ok(OpenStream {
                generation_id: completion.generation_id.clone(),
                events: sse::replay(completion),
            });
        }
        Ok(OpenStream {
            generation_id: generation_id.clone(),
            events: sse::events(
                response.bytes_stream(),
                self.inner.config.request_timeout,
                generation_id,
                attempts,
            ),
        })
    }

    /// What OpenRouter billed for one generation (`GET /generation?id=…`), or `None` while it
    /// has no record of it yet (it answers 404 for a short while after a generation ends).
    pub async fn billed(&self, generation_id: &str) -> Result<Option<Billed>, UpstreamError> {
        let key = self.api_key()?;
        let deadline = Instant::now() + self.inner.config.request_timeout;
        let url = format!("{}/generation", self.inner.base_url);
        let response = within(deadline, async {
            self.inner
                .http
                .get(&url)
                .query(&[("id", generation_id)])
                .bearer_auth(key)
                .header(ACCEPT, "application/json")
                .send()
                .await
                .map_err(|error| UpstreamError::Connect(describe(&error)))
        })
        .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(status_error(response, 1).await);
        }
        let body = within(deadline, read_body(response)).await?;
        let value: Value = serde_json::from_slice(&body)
            .map_err(|error| UpstreamError::Malformed(format!("the body is not JSON: {error}")))?;
        Billed::from_record(&value["data"]).map(Some)
    }

    /// The raw body of `GET /models` (public, but the key is sent when there is one), within the
    /// configured request timeout.
    pub async fn models(&self) -> Result<Bytes, UpstreamError> {
        let deadline = Instant::now() + self.inner.config.request_timeout;
        let url = format!("{}/models", self.inner.base_url);
        within(deadline, async {
            let (response, _) = self
                .send(
                    || {
                        let request = self.inner.http.get(&url).header(ACCEPT, "application/json");
                        match self.api_key() {
                            Ok(key) => request.bearer_auth(key),
                            Err(_) => request,
                        }
                    },
                    deadline,
                )
                .await?;
            read_body(response).await
        })
        .await
    }

    fn api_key(&self) -> Result<&str, UpstreamError> {
        self.inner
            .config
            .api_key
            .as_deref()
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .ok_or(UpstreamError::NotConfigured)
    }

    fn post_chat(&self, key: &str, body: &Bytes, accept: &'static str) -> RequestBuilder {
        let config = &self.inner.config;
        let mut request = self
            .inner
            .http
            .post(format!("{}/chat/completions", self.inner.base_url))
            .bearer_auth(key)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, accept)
            .body(body.clone());
        let attribution = [
            ("X-Title", &config.title),
            ("HTTP-Referer", &config.referer),
        ];
        for (name, value) in attribution {
            if let Some(value) = value.as_deref().filter(|value| !value.trim().is_empty()) {
                request = request.header(name, value);
            }
        }
        request
    }

    /// Sends the request `build` makes until it gets a 2xx response, retrying transient failures
    /// with exponential backoff and full jitter (or the pause OpenRouter asks for) while the
    /// deadline allows. Returns the response and the number of attempts.
    async fn send(
        &self,
        build: impl Fn() -> RequestBuilder,
        deadline: Instant,
    ) -> Result<(Response, u32), UpstreamError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let error = match build().send().await {
                Ok(response) if response.status().is_success() => return Ok((response, attempts)),
                Ok(response) => status_error(response, attempts).await,
                Err(error) => UpstreamError::Connect(describe(&error)),
            };
            if attempts > self.inner.config.max_retries || !error.is_retryable() {
                return Err(error);
            }
            let pause = error
                .retry_after()
                .unwrap_or_else(|| backoff(attempts, self.inner.config.backoff_ceiling));
            if Instant::now() + pause >= deadline {
                // Waiting would outlast the caller; the real failure says more than a timeout.
                return Err(error);
            }
            tracing::warn!(
                class = error.class(),
                attempt = attempts,
                pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                %error,
                "retrying an OpenRouter request"
            );
            tokio::time::sleep(pause).await;
        }
    }
}

/// A streamed completion as it opens: the generation id, when OpenRouter announced one, and
/// the events.
pub struct OpenStream {
    pub generation_id: Option<String>,
    pub events: ChatStream,
}

/// OpenRouter's own record of what a generation cost: the figure a call settles to when it
/// could not read the usage itself (the caller went away part way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Billed {
    pub cost: gateway_types::NanoUsd,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Billed {
    fn from_record(record: &Value) -> Result<Self, UpstreamError> {
        let cost = record["total_cost"].as_f64().ok_or_else(|| {
            UpstreamError::Malformed("a generation record without total_cost".to_owned())
        })?;
        let tokens = |field: &str| {
            record[format!("native_{field}")]
                .as_u64()
                .or_else(|| record[field].as_u64())
                .unwrap_or(0)
        };
        Ok(Self {
            cost: gateway_types::NanoUsd::from_usd(cost),
            prompt_tokens: tokens("tokens_prompt"),
            completion_tokens: tokens("tokens_completion"),
        })
    }
}

/// Runs `work`, failing with `Timeout` if it is not done by `deadline`.
async fn within<T>(
    deadline: Instant,
    work: impl Future<Output = Result<T, UpstreamError>>,
) -> Result<T, UpstreamError> {
    tokio::time::timeout_at(deadline, work)
        .await
        .unwrap_or(Err(UpstreamError::Timeout))
}

/// A random pause in `[0, min(cap, base · 2^(attempt-1))]`: full jitter spreads the retries of
/// many callers hit by the same outage.
fn backoff(attempt: u32, cap: Duration) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(cap);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::random_range(0..=millis))
}

async fn status_error(response: Response, attempts: u32) -> UpstreamError {
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let generation_id = generation_id(response.headers());
    // A body that breaks off still leaves the status to report.
    let body = response.bytes().await.unwrap_or_default();
    let detail = ErrorDetail::from_body(status, &body);
    if !is_retryable_status(status) {
        tracing::debug!(status, message = %detail.message, "OpenRouter rejected a request");
    }
    UpstreamError::Status {
        status,
        code: detail.code,
        message: detail.message,
        provider: detail.provider,
        retry_after: retry_after.or(detail.retry_after),
        generation_id,
        attempts,
    }
}

async fn read_completion(response: Response, attempts: u32) -> Result<Completion, UpstreamError> {
    let generation_id = generation_id(response.headers());
    let body = read_body(response).await?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|error| UpstreamError::Malformed(format!("the body is not JSON: {error}")))?;
    Completion::from_body(&value, generation_id, attempts)
}

async fn read_body(response: Response) -> Result<Bytes, UpstreamError> {
    response.bytes().await.map_err(|error| {
        UpstreamError::Connect(format!("the response broke off: {}", describe(&error)))
    })
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("text/event-stream"))
}

fn generation_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-generation-id")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// `Retry-After` in seconds; the HTTP-date form is not used by OpenRouter.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<f64>().ok())
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
}

/// A transport error with its causes, which hold the useful part ("connection refused").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn backoff_stays_within_the_doubling_ceiling() {
        for attempt in 1..=8 {
            let ceiling = BACKOFF_BASE * 2u32.pow(attempt - 1);
            for _ in 0..50 {
                assert!(backoff(attempt, BACKOFF_CAP) <= ceiling.min(BACKOFF_CAP));
            }
        }
        assert!(backoff(u32::MAX, BACKOFF_CAP) <= BACKOFF_CAP);
        let low = Duration::from_millis(30);
        assert!((0..50).all(|_| backoff(6, low) <= low));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static(" 3 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn the_key_never_appears_in_debug_output() {
        let mut config = UpstreamConfig::new("http://127.0.0.1:1/api/v1/");
        config.api_key = Some("sk-or-v1-secret".into());
        let upstream = Upstream::new(config).unwrap();
        let printed = format!("{upstream:?}");
        assert!(!printed.contains("sk-or-v1-secret"), "{printed}");
        assert!(printed.contains("<redacted>"));
        assert_eq!(upstream.inner.base_url, "http://127.0.0.1:1/api/v1");
    }

    #[test]
    fn a_blank_key_counts_as_no_key() {
        let mut config = UpstreamConfig::new("https://openrouter.ai/api/v1");
        assert!(!Upstream::new(config.clone()).unwrap().is_configured());
        config.api_key = Some("  ".into());
        assert!(!Upstream::new(config.clone()).unwrap().is_configured());
        config.api_key = Some("sk-or-v1-x".into());
        assert!(Upstream::new(config).unwrap().is_configured());
    }
}
