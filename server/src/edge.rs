//! The serving edge: the accept loop with its connection cap, HTTP/1 connections with header,
//! keep-alive and request-body timeouts, and graceful shutdown. What a request may do once its
//! headers are in belongs to the routers, not here.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use crate::config::ConnectionConfig;

/// What a connection over the cap reads before it is closed: a clear "busy, retry" for clients
/// and load balancers. Written once, without waiting, into the fresh socket's empty send buffer,
/// so refusing costs no task, no timer and no memory however many connections are refused.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
    content-type: text/plain; charset=utf-8\r\n\
    content-length: 41\r\n\
    retry-after: 1\r\n\
    connection: close\r\n\r\n\
    The server has too many open connections.";
/// Open files left out of the connection budget: database pool, log and spill files, the
/// listeners, the demo-mode simulator.
const RESERVED_FILES: u64 = 256;
/// The derived cap stops here even under a huge open-file limit: each idle connection still
/// costs a task and buffers.
const MAX_DERIVED_CONNECTIONS: u64 = 50_000;
/// After an accept error (e.g. out of file descriptors) the waiting connection stays in the
/// kernel's backlog; accepting resumes after this pause instead of spinning or giving up.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// Connections the kernel may queue before they are accepted (it clamps this to
/// `net.core.somaxconn`). The usual 128 overflows under a burst of connections, and a client
/// whose handshake is dropped retries only a second later.
const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `address` with a backlog for bursts of connections.
pub(crate) fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As the standard library does: a restarted server can bind while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// A bound listener, the router it serves and the rules of its connections.
pub(crate) struct Edge {
    listener: TcpListener,
    router: axum::Router,
    rules: Rules,
}

/// The timeouts of every connection and the cap on how many are open.
#[derive(Clone)]
struct Rules {
    header_read_timeout: Duration,
    keep_alive_timeout: Duration,
    body_read_timeout: Duration,
    open: Arc<Semaphore>,
}

impl Edge {
    pub(crate) fn new(
        listener: TcpListener,
        router: axum::Router,
        config: &ConnectionConfig,
        max_connections: usize,
    ) -> Self {
        Self {
            listener,
            router,
            rules: Rules {
                header_read_timeout: config.header_read_timeout,
                keep_alive_timeout: config.keep_alive_timeout,
                body_read_timeout: config.body_read_timeout,
                open: Arc::new(Semaphore::new(max_connections)),
            },
        }
    }

    pub(crate) fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` is cancelled, then stops accepting, lets every connection finish its
    /// in-flight request and returns once all are closed.
    pub(crate) async fn serve(self, stop: CancellationToken) {
        let Self {
            listener,
            router,
            rules,
        } = self;
        let connections = TaskTracker::new();
        loop {
            let accepted = tokio::select! {
                () = stop.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection; retrying");
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(ACCEPT_RETRY) => continue,
                    }
                }
            };
            let Ok(permit) = Arc::clone(&rules.open).try_acquire_owned() else {
                refuse(&stream, peer);
                continue;
            };
            no_delay(&stream);
            connections.spawn(rules.clone().connection(
                stream,
                peer,
                router.clone(),
                stop.clone(),
                permit,
            ));
        }
        // Closed: the kernel refuses new connections instead of queueing them unserved.
        drop(listener);
        connections.close();
        connections.wait().await;
    }
}

impl Rules {
    /// One HTTP/1 connection, from its first byte until it closes; `_permit` is its place
    /// under the cap.
    async fn connection(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        router: axum::Router,
        stop: CancellationToken,
        _permit: OwnedSemaphorePermit,
    ) {
        let (activity, in_flight) = watch::channel(0_usize);
        let activity = Arc::new(activity);
        let body_read_timeout = self.body_read_timeout;
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            // The body timeout restarts with every chunk, so it bounds a stalled upload,
            // never a response: streams and long model calls are not request bodies.
            let mut request =
                request.map(|body| Body::new(TimeoutBody::new(body_read_timeout, body)));
            // The peer address is what login throttling and the console's bound count.
            request.extensions_mut().insert(ConnectInfo(peer));
            let busy = Busy::begin(Arc::clone(&activity));
            let router = router.clone();
            async move {
                let response = match router.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| Body::new(Holding::new(body, busy))))
            }
        });
        let mut connection = pin!(
            http1::Builder::new()
                .timer(TokioTimer::new())
                // hyper also restarts this timer whenever the connection falls idle.
                .header_read_timeout(self.header_read_timeout)
                .serve_connection(TokioIo::new(stream), service)
        );
        let outcome = tokio::select! {
            outcome = connection.as_mut() => outcome,
            () = idle(in_flight, self.keep_alive_timeout) => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
            () = stop.cancelled() => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = outcome {
            tracing::debug!(%error, %peer, "connection closed with an error");
        }
    }
}

/// The connection cap for `configured` (or, unset, derived from the open-file limit, which is
/// first raised to its hard ceiling): each connection may hold two files, its socket and an
/// upstream one, so the cap keeps the process below the limit and `accept` from failing.
pub(crate) fn connection_cap(configured: Option<usize>) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "cannot read the open-file limit; assuming 1024");
            1024
        }
    };
    let budget = (limit.saturating_sub(RESERVED_FILES) / 2).clamp(1, MAX_DERIVED_CONNECTIONS);
    let budget = usize::try_from(budget).unwrap_or(usize::MAX);
    match configured {
        Some(cap) => {
            if cap > budget {
                tracing::warn!(
                    cap,
                    open_file_limit = limit,
                    "AI_GATEWAY_MAX_CONNECTIONS exceeds what the open-file limit allows; \
                     accepting may fail with EMFILE before the cap is reached"
                );
            }
            cap
        }
        None => budget,
    }
}

/// Resolves once the connection has served a request and then gone without one for `limit`.
/// A fresh connection is left to the header-read timeout. Written here because hyper's HTTP/1
/// server has no idle timeout of its own, only the header-read timer that also runs while idle.
async fn idle(mut in_flight: watch::Receiver<usize>, limit: Duration) {
    if in_flight.changed().await.is_err() {
        return std::future::pending().await;
    }
    loop {
        if in_flight.wait_for(|count| *count == 0).await.is_err() {
            return std::future::pending().await;
        }
        if tokio::time::timeout(limit, in_flight.changed())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Over the cap: one non-blocking write of [`REFUSAL`], then the socket closes as it drops.
fn refuse(stream: &TcpStream, peer: SocketAddr) {
    if let Err(error) = stream.try_write(REFUSAL) {
        tracing::debug!(%error, %peer, "cannot tell a refused connection why");
    }
    tracing::debug!(%peer, "connection refused: at the connection cap");
}

/// Sends small writes at once: under Nagle's algorithm a streamed event written right after the
/// headers waits for the client's delayed ACK, about 40 ms on Linux.
fn no_delay(stream: &TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot turn off Nagle's algorithm on a connection");
    }
}

/// One request in flight on its connection, from its headers until its response body is done.
struct Busy(Arc<watch::Sender<usize>>);

impl Busy {
    fn begin(activity: Arc<watch::Sender<usize>>) -> Self {
        activity.send_modify(|count| *count += 1);
        Self(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count = count.saturating_sub(1));
    }
}

pin_project_lite::pin_project! {
    /// A response body that holds `held` until the body is finished or dropped, so that a
    /// streamed response counts as in flight for as long as it streams.
    pub(crate) struct Holding<B, G> {
        #[pin]
        body: B,
        _held: G,
    }
}

impl<B, G> Holding<B, G> {
    pub(crate) fn new(body: B, held: G) -> Self {
        Self { body, _held: held }
    }
}

impl<B: http_body::Body, G> http_body::Body for Holding<B, G> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
