//! What the simulator saw of the chat requests it served: the attribution headers a client
//! sent, so that tests can check what reached "OpenRouter" without a proxy in between.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::http::HeaderMap;

/// Requests kept; older ones are forgotten so a long benchmark does not grow without bound.
const KEPT: usize = 256;

/// One chat request as the simulator received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// The `X-Title` header.
    pub title: Option<String>,
    /// The `HTTP-Referer` header.
    pub referer: Option<String>,
}

/// The last [`KEPT`] chat requests, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    requests: Mutex<VecDeque<SeenRequest>>,
}

impl Seen {
    pub(crate) fn record(&self, headers: &HeaderMap) {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let request = SeenRequest {
            title: text("x-title"),
            referer: text("http-referer"),
        };
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if requests.len() == KEPT {
            requests.pop_front();
        }
        requests.push_back(request);
    }

    pub(crate) fn all(&self) -> Vec<SeenRequest> {
        self.requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}
