//! The bound on console requests one client address may have in flight at once, so that one
//! client cannot occupy every page render, server function and test run.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::edge::Holding;

/// How many console requests each client address has in flight.
#[derive(Clone)]
pub(crate) struct ClientBudget {
    limit: usize,
    in_flight: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl ClientBudget {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            in_flight: Arc::default(),
        }
    }

    /// A place for one more request from `client`, or `None` when it has `limit` already.
    fn claim(&self, client: IpAddr) -> Option<Slot> {
        let mut in_flight = self.lock();
        let count = in_flight.entry(client).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            budget: self.clone(),
            client,
        })
    }

    /// The map stays consistent under a panic elsewhere: every change is a single statement.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One request's place in its client's budget, given back when the response body is done.
struct Slot {
    budget: ClientBudget,
    client: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut in_flight = self.budget.lock();
        if let Some(count) = in_flight.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            // Addresses with nothing in flight are forgotten, so the map stays small.
            if *count == 0 {
                in_flight.remove(&self.client);
            }
        }
    }
}

/// Answers 429 when the client address has its whole budget in flight; a streamed response
/// keeps its place until the stream ends.
pub(crate) async fn limit_per_client(
    State(budget): State<ClientBudget>,
    request: Request,
    next: Next,
) -> Response {
    let Some(&ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() else {
        return next.run(request).await;
    };
    let Some(slot) = budget.claim(peer.ip()) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "Too many console requests at once from this address; try again shortly.",
        )
            .into_response();
    };
    next.run(request)
        .await
        .map(|body| Body::new(Holding::new(body, slot)))
}
