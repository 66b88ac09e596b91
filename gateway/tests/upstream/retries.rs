//! Retrying transient failures within the caller's deadline, and never retrying refusals.

use std::time::Duration;

use gateway::upstream::{Upstream, UpstreamConfig, UpstreamError};
use tokio::{net::TcpListener, time::Instant};

use crate::helpers::{KEY, MODEL, chat, deadline, payload, spawn_with};

fn attempts_of(error: &UpstreamError) -> u32 {
    match error {
        UpstreamError::Status { attempts, .. } => *attempts,
        other => panic!("expected a status error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_503_is_retried_max_retries_times_honouring_retry_after_then_fails() {
    let harness = spawn_with(|config| config.max_retries = 2).await;
    let started = Instant::now();
    let error = chat(&harness, &["simulator/error-503"], "Hi")
        .await
        .unwrap_err();
    assert_eq!(attempts_of(&error), 3);
    assert!(error.is_retryable());
    // The simulator asks for `Retry-After: 1` before each of the two retries.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let harness = spawn_with(|config| config.max_retries = 2).await;
    let error = chat(&harness, &["simulator/error-400"], "Hi")
        .await
        .unwrap_err();
    assert_eq!(attempts_of(&error), 1);
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn refusals_are_never_retried() {
    let harness = spawn_with(|config| config.max_retries = 2).await;
    for status in [401, 402, 403, 404, 422] {
        let model = format!("simulator/error-{status}");
        let error = chat(&harness, &[&model], "Hi").await.unwrap_err();
        assert_eq!(attempts_of(&error), 1, "{status}");
    }
}

#[tokio::test]
async fn a_retry_pause_longer_than_the_deadline_is_not_waited_for() {
    let harness = spawn_with(|config| config.max_retries = 2).await;
    let error = harness
        .upstream
        .chat(
            &payload(&["simulator/error-429"], "Hi", false),
            deadline(Duration::from_millis(500)),
        )
        .await
        .unwrap_err();
    // The real failure is reported rather than a timeout after a pointless wait.
    assert_eq!(attempts_of(&error), 1);
    assert_eq!(error.class(), "upstream_429");
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let mut config = UpstreamConfig::new(format!("http://{address}/api/v1"));
    config.api_key = Some(KEY.to_owned());
    config.max_retries = 1;
    let upstream = Upstream::new(config).unwrap();
    let error = upstream
        .chat(
            &payload(&[MODEL], "Hi", false),
            deadline(Duration::from_secs(20)),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, UpstreamError::Connect(_)), "{error:?}");
    assert_eq!(error.class(), "connect");
}
