//! Connection discipline over raw sockets: half-open and idle connections are closed on time,
//! the connection cap refuses politely, one address cannot hold every console request, and none
//! of these limits cuts a long model call or a stream.

use std::time::{Duration, Instant};

use gateway::test_support::TestDatabase;
use leptos::server_fn::ServerFn;
use openrouter_simulator::{RunningSimulator, SimulatorConfig};
use reqwest::StatusCode;
use serde_json::json;
use server::config::{OpenRouterConfig, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app_with};

/// Connections that send half a request line and then nothing.
const HALF_OPEN: usize = 3_000;
/// Short, so the test sees the half-open connections closed.
const SHORT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);
/// A fresh client's request must be answered within this while the half-open ones are held.
const FRESH_CLIENT_BOUND: Duration = Duration::from_secs(1);
/// Time past a timeout within which the server must have closed what it timed out: a loaded
/// two-core CI machine walks thousands of sockets.
const CLOSE_SLACK: Duration = Duration::from_secs(3);
/// Descriptors the test process needs beyond two per half-open connection (client and server
/// end live in this one process): the databases and the other tests running alongside.
const SPARE_FILES: u64 = 1_024;
/// What `read_until_closed` waits at most.
const READ_BOUND: Duration = Duration::from_secs(15);

/// Raises this process's soft open-file limit to `needed` (the usual soft default, 1024, is far
/// too low for the half-open test, while hard limits are commonly 64k or more). A hard limit
/// below `needed` fails the test with the fix, rather than shrinking what it proves.
fn ensure_open_file_limit(needed: u64) {
    let limit = rlimit::increase_nofile_limit(needed).unwrap();
    assert!(
        limit >= needed,
        "this test needs {needed} open files but the hard limit is {limit}; raise it (ulimit -Hn)"
    );
}

/// Reads until the server closes the connection (EOF or reset); what it sent, or `None` when it
/// was still open after `bound`.
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Option<String> {
    let mut received = Vec::new();
    match tokio::time::timeout(bound, stream.read_to_end(&mut received)).await {
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_neither_starve_fresh_clients_nor_outlive_the_header_read_timeout() {
    ensure_open_file_limit(2 * HALF_OPEN as u64 + SPARE_FILES);
    let app = spawn_app_with(TestDatabase::sqlite(), |config| {
        config.connections.header_read_timeout = SHORT_HEADER_READ_TIMEOUT;
        config.connections.keep_alive_timeout = SHORT_HEADER_READ_TIMEOUT;
    })
    .await;
    app.integration("steady", |_, _| {}).await;
    let token = app.token().await;

    let mut half_open = Vec::with_capacity(HALF_OPEN);
    for _ in 0..HALF_OPEN {
        let mut stream = TcpStream::connect(host(&app)).await.unwrap();
        stream.write_all(b"GET /heal").await.unwrap();
        half_open.push(stream);
    }
    let all_open = Instant::now();

    let started = Instant::now();
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        started.elapsed() < FRESH_CLIENT_BOUND,
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let call = app
        .post(
            "/api/ai/steady/chat",
            Some(&token),
            json!({ "args": { "question": "still there?" } }),
        )
        .await;
    assert_eq!(call.status(), StatusCode::OK);
    assert!(
        started.elapsed() < FRESH_CLIENT_BOUND,
        "{:?}",
        started.elapsed()
    );
    // They were served while the half-open connections were held, not after they were closed.
    let mut probe = [0_u8; 1];
    let newest = half_open.last().unwrap();
    assert!(
        matches!(newest.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the newest half-open connection is already closed"
    );

    let deadline = all_open + SHORT_HEADER_READ_TIMEOUT + CLOSE_SLACK;
    let mut still_open = 0;
    for stream in &mut half_open {
        let left = deadline.saturating_duration_since(Instant::now());
        if read_until_closed(stream, left).await.is_none() {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open, 0,
        "half-open connections outlived the header-read timeout"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_cap_is_answered_503_and_serving_resumes_once_others_close() {
    const CAP: usize = 8;
    let app = spawn_app_with(TestDatabase::sqlite(), |config| {
        config.connections.max_connections = Some(CAP);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..CAP {
        held.push(TcpStream::connect(host(&app)).await.unwrap());
    }

    let mut refused = TcpStream::connect(host(&app)).await.unwrap();
    let answer = read_until_closed(&mut refused, READ_BOUND)
        .await
        .expect("the refused connection was left open");
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");

    drop(held);
    assert!(
        app.eventually(5, || async {
            app.client
                .get(format!("{}/healthz", app.address))
                .send()
                .await
                .is_ok_and(|response| response.status() == StatusCode::OK)
        })
        .await,
        "the server did not serve again after the held connections closed"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_requests_beyond_the_per_address_bound_are_answered_429() {
    const BOUND: usize = 2;
    let app = spawn_app_with(TestDatabase::sqlite(), |config| {
        config.connections.console_requests_per_client = BOUND;
    })
    .await;
    // Sign-ins whose bodies never finish: each holds its place until its connection closes.
    let mut stalled = Vec::new();
    for _ in 0..BOUND {
        let mut stream = TcpStream::connect(host(&app)).await.unwrap();
        let head = format!(
            "POST {} HTTP/1.1\r\nhost: {}\r\norigin: {}\r\n\
             content-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\nemail=",
            app::auth::Login::PATH,
            host(&app),
            app.address
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stalled.push(stream);
    }
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    let refused_in_time = app
        .eventually(10, || async {
            let status = app.get("/login").await.status();
            *seen.lock().unwrap().entry(status.as_u16()).or_default() += 1;
            status == StatusCode::TOO_MANY_REQUESTS
        })
        .await;
    if !refused_in_time {
        // Say what the stalled requests were answered, if anything: that names the cause.
        let mut answers = Vec::new();
        for stream in &mut stalled {
            answers.push(read_until_closed(stream, Duration::from_millis(200)).await);
        }
        panic!(
            "a third console request from the same address was not refused; \
             statuses seen (status: count): {:?}; the stalled requests got: {answers:?}",
            seen.lock().unwrap()
        );
    }
    let refused = app.get("/login").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "1");
    // The API and the probes are not the console's budget.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/v1/models").await.status(),
        StatusCode::UNAUTHORIZED
    );

    drop(stalled);
    assert!(
        app.eventually(5, || async {
            app.get("/login").await.status() == StatusCode::OK
        })
        .await,
        "the places of closed requests were not given back"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_model_call_and_a_slow_stream_outlive_every_connection_timeout() {
    const TIMEOUT: Duration = Duration::from_secs(1);
    const UPSTREAM_LATENCY: Duration = Duration::from_millis(2_500);
    let simulator = RunningSimulator::start(
        ([127, 0, 0, 1], 0).into(),
        SimulatorConfig {
            latency: UPSTREAM_LATENCY,
            chunk_delay: Duration::from_millis(200),
        },
    )
    .await
    .unwrap();
    let app = spawn_app_with(TestDatabase::sqlite(), |config| {
        config.openrouter = OpenRouterConfig {
            api_key: Some(Secret::new("test-key")),
            base_url: simulator.base_url(),
            ..OpenRouterConfig::default()
        };
        config.connections.header_read_timeout = TIMEOUT;
        config.connections.keep_alive_timeout = TIMEOUT;
        config.connections.body_read_timeout = TIMEOUT;
    })
    .await;
    app.integration("patient", |_, _| {}).await;
    let token = app.token().await;
    let question = "one two three four five six seven eight nine ten eleven twelve";

    let started = Instant::now();
    let answer = app
        .post(
            "/api/ai/patient/chat",
            Some(&token),
            json!({ "args": { "question": question } }),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(started.elapsed() >= UPSTREAM_LATENCY);

    let started = Instant::now();
    let stream = app
        .post(
            "/api/ai/patient/chat",
            Some(&token),
            json!({ "args": { "question": question }, "stream": true }),
        )
        .await;
    assert_eq!(stream.status(), StatusCode::OK);
    let events = stream.text().await.unwrap();
    assert!(events.contains("event: done"), "{events}");
    assert!(started.elapsed() >= UPSTREAM_LATENCY + TIMEOUT);
    app.shutdown().await;
    simulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout() {
    const KEEP_ALIVE: Duration = Duration::from_millis(500);
    const HEADER_READ: Duration = Duration::from_secs(5);
    let app = spawn_app_with(TestDatabase::sqlite(), |config| {
        config.connections.keep_alive_timeout = KEEP_ALIVE;
        config.connections.header_read_timeout = HEADER_READ;
    })
    .await;
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nhost: {}\r\n\r\n", host(&app)).as_bytes())
        .await
        .unwrap();
    let mut received = Vec::new();
    while !String::from_utf8_lossy(&received).contains("\"ok\"") {
        let mut chunk = [0_u8; 1024];
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "closed before the response was complete");
        received.extend_from_slice(&chunk[..read]);
    }
    let idle_since = Instant::now();
    read_until_closed(&mut stream, HEADER_READ)
        .await
        .expect("the idle connection was still open at the header-read timeout");
    let idle = idle_since.elapsed();
    assert!(
        idle >= KEEP_ALIVE.mul_f32(0.8) && idle < HEADER_READ,
        "closed after {idle:?}"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_that_stalls_is_refused_after_the_body_read_timeout() {
    const BODY_READ: Duration = Duration::from_secs(1);
    let app = spawn_app_with(TestDatabase::sqlite(), |config| {
        config.connections.body_read_timeout = BODY_READ;
    })
    .await;
    app.integration("stalled", |_, _| {}).await;
    let token = app.token().await;
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    let head = format!(
        "POST /api/ai/stalled/chat HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"args\":",
        host(&app)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let answered = tokio::time::timeout(READ_BOUND, async {
        while !String::from_utf8_lossy(&received).contains("could not be read") {
            let mut chunk = [0_u8; 1024];
            let read = stream.read(&mut chunk).await.unwrap();
            assert!(read > 0, "closed without an answer");
            received.extend_from_slice(&chunk[..read]);
        }
    })
    .await;
    let answer = String::from_utf8_lossy(&received).into_owned();
    assert!(answered.is_ok(), "no answer naming the body: {answer}");
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(started.elapsed() >= BODY_READ.mul_f32(0.8));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_an_in_flight_call_and_then_accepts_nothing() {
    const UPSTREAM_LATENCY: Duration = Duration::from_millis(1_500);
    let simulator = RunningSimulator::start(
        ([127, 0, 0, 1], 0).into(),
        SimulatorConfig {
            latency: UPSTREAM_LATENCY,
            chunk_delay: Duration::ZERO,
        },
    )
    .await
    .unwrap();
    let app = spawn_app_with(TestDatabase::sqlite(), |config| {
        config.openrouter = OpenRouterConfig {
            api_key: Some(Secret::new("test-key")),
            base_url: simulator.base_url(),
            ..OpenRouterConfig::default()
        };
    })
    .await;
    app.integration("finishing", |_, _| {}).await;
    let token = app.token().await;
    let address = host(&app);
    let call = tokio::spawn(
        app.client
            .post(format!("{}/api/ai/finishing/chat", app.address))
            .bearer_auth(&token)
            .json(&json!({ "args": { "question": "finish me" } }))
            .send(),
    );
    // The call is on its way to the upstream when the stop comes.
    tokio::time::sleep(UPSTREAM_LATENCY / 3).await;
    app.shutdown().await;
    let answer = call.await.unwrap().unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(TcpStream::connect(&address).await.is_err());
    simulator.stop().await;
}
