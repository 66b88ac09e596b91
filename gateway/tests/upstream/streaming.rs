//! Streamed completions: deltas, the final completion, broken and failing streams, silence and
//! cancellation.

use std::time::Duration;

use futures::StreamExt;
use gateway::upstream::{StreamEvent, UpstreamError};

use crate::helpers::{Harness, MODEL, chat, drain, payload, soon, spawn, spawn_with};

#[tokio::test]
async fn streamed_deltas_add_up_to_the_non_streamed_answer_and_done_carries_the_cost() {
    let harness = spawn().await;
    let text = "Stream me a sentence of several words please";
    let plain = chat(&harness, &[MODEL], text).await.unwrap();
    let stream = harness
        .upstream
        .chat_stream(&payload(&[MODEL], text, true), soon())
        .await
        .unwrap();
    let (deltas, done) = drain(stream).await;
    let done = done.unwrap();

    assert_eq!(deltas, plain.text);
    assert_eq!(done.text, plain.text);
    assert_eq!(done.model.as_deref(), Some(MODEL));
    assert_eq!(done.finish_reason.as_deref(), Some("stop"));
    assert_eq!(done.usage, plain.usage);
    assert!(done.usage.cost.is_some());
    assert_eq!(done.attempts, 1);
    let generation_id = done.generation_id.as_deref().unwrap();
    assert_ne!(Some(generation_id), plain.generation_id.as_deref());
    let billed = harness.billed_usd(generation_id).await;
    assert_eq!(
        done.usage.cost,
        Some(gateway::types::NanoUsd::from_usd(billed))
    );
}

#[tokio::test]
async fn a_stream_cut_off_before_done_is_truncated() {
    let harness = spawn().await;
    let stream = harness
        .upstream
        .chat_stream(
            &payload(
                &["simulator/cut-stream"],
                "A long enough message to cut in half",
                true,
            ),
            soon(),
        )
        .await
        .unwrap();
    let (deltas, last) = drain(stream).await;
    let error = last.unwrap_err();
    let UpstreamError::Truncated {
        text_so_far_len, ..
    } = error
    else {
        panic!("expected a truncation, got {error:?}");
    };
    assert!(text_so_far_len > 0);
    assert_eq!(text_so_far_len, deltas.len());
}

#[tokio::test]
async fn an_error_chunk_mid_stream_is_a_provider_error() {
    let harness = spawn().await;
    let stream = harness
        .upstream
        .chat_stream(
            &payload(
                &["simulator/midstream-error"],
                "Tell me a long story please",
                true,
            ),
            soon(),
        )
        .await
        .unwrap();
    let (deltas, last) = drain(stream).await;
    assert!(!deltas.is_empty());
    let error = last.unwrap_err();
    let UpstreamError::Provider {
        status,
        code,
        generation_id,
        ..
    } = &error
    else {
        panic!("expected a provider error, got {error:?}");
    };
    assert_eq!(*status, Some(502));
    assert_eq!(code.as_deref(), Some("provider_unavailable"));
    assert!(generation_id.is_some());
    assert_eq!(error.class(), "provider_error");
}

#[tokio::test]
async fn a_slow_stream_with_keep_alives_completes() {
    let harness = spawn().await;
    let stream = harness
        .upstream
        .chat_stream(
            &payload(&["simulator/slow-stream"], "Take your time", true),
            soon(),
        )
        .await
        .unwrap();
    let (deltas, done) = drain(stream).await;
    let done = done.unwrap();
    assert_eq!(deltas, done.text);
    assert!(done.text.ends_with("Take your time"), "{}", done.text);
}

#[tokio::test]
async fn a_stream_silent_for_longer_than_the_request_timeout_times_out() {
    let harness = spawn_with(|config| config.request_timeout = Duration::from_millis(20)).await;
    let stream = harness
        .upstream
        .chat_stream(
            &payload(&["simulator/slow-stream"], "Take your time", true),
            soon(),
        )
        .await
        .unwrap();
    let (_, last) = drain(stream).await;
    assert_eq!(last.unwrap_err(), UpstreamError::Timeout);
}

#[tokio::test]
async fn an_error_before_the_stream_starts_is_a_status_error() {
    let harness = spawn_with(|config| config.max_retries = 0).await;
    let error = harness
        .upstream
        .chat_stream(&payload(&["simulator/error-429"], "Hi", true), soon())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, UpstreamError::Status { status: 429, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_json_answer_to_a_stream_request_is_read_as_json() {
    let harness = spawn().await;
    let error = harness
        .upstream
        .chat_stream(&payload(&["simulator/error-in-200"], "Hi", true), soon())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error, UpstreamError::ErrorInBody { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn dropping_a_stream_closes_the_connection_and_only_the_sent_part_is_billed() {
    const CANCELLING_KEY: &str = "sk-or-v1-cancelling-caller";
    const TEXT: &str = "one two three four five six";
    let harness = spawn_with(|config| config.api_key = Some(CANCELLING_KEY.into())).await;
    let mut stream = harness
        .upstream
        .chat_stream(&payload(&["simulator/slow-stream"], TEXT, true), soon())
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert!(matches!(first, StreamEvent::Delta { .. }), "{first:?}");
    drop(stream);

    // Left alone, the simulator would finish and bill the whole answer well within this pause;
    // a closed connection gets it billed, like OpenRouter, only for what was sent before.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cancelled = key_usage(&harness, CANCELLING_KEY).await;
    assert!(cancelled > 0.0, "the prompt and the sent part are billed");

    chat(&harness, &["simulator/slow-stream"], TEXT)
        .await
        .unwrap();
    let full = key_usage(&harness, CANCELLING_KEY).await - cancelled;
    assert!(
        cancelled < full,
        "{cancelled} USD billed for the abandoned stream, {full} USD for the whole answer"
    );
}

/// What the simulator has billed `key` so far, in USD.
async fn key_usage(harness: &Harness, key: &str) -> f64 {
    let (status, body) = harness.get_json("/key", key).await;
    assert_eq!(status, 200);
    body["data"]["usage"].as_f64().unwrap()
}
