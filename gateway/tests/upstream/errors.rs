//! Every way OpenRouter refuses or botches an answer, mapped to `UpstreamError`.

use std::time::Duration;

use gateway::upstream::{Upstream, UpstreamConfig, UpstreamError};

use crate::helpers::{KEY, MODEL, chat, deadline, one_shot, payload, spawn_with};

fn expect_status(result: Result<impl std::fmt::Debug, UpstreamError>) -> UpstreamError {
    match result {
        Err(error @ UpstreamError::Status { .. }) => error,
        other => panic!("expected a status error, got {other:?}"),
    }
}

#[tokio::test]
async fn each_error_status_maps_to_a_status_error_with_a_readable_message() {
    let harness = spawn_with(|config| config.max_retries = 0).await;
    let cases = [
        (
            400,
            "Provider returned error: Response input messages must contain the word 'json'",
        ),
        (
            402,
            "This request requires more credits, or fewer max_tokens.",
        ),
        (403, "Request blocked: prompt injection patterns detected"),
        (
            404,
            "No endpoints for openai/gpt-5.2 match your data policy",
        ),
        (408, "Operation timed out. Please try again later."),
        (429, "Rate limit exceeded"),
        (502, "Provider returned error"),
        (503, "Service temporarily unavailable"),
    ];
    for (expected, message_start) in cases {
        let model = format!("simulator/error-{expected}");
        let error = expect_status(chat(&harness, &[&model], "Hi").await);
        let UpstreamError::Status {
            status,
            message,
            attempts,
            ..
        } = &error
        else {
            unreachable!()
        };
        assert_eq!(*status, expected);
        assert!(message.starts_with(message_start), "{expected}: {message}");
        assert_eq!(*attempts, 1);
        assert_eq!(error.class(), format!("upstream_{expected}"));
    }
}

#[tokio::test]
async fn typed_codes_providers_and_retry_pauses_are_kept() {
    let harness = spawn_with(|config| config.max_retries = 0).await;
    let status = |error: UpstreamError| match error {
        UpstreamError::Status {
            code,
            provider,
            retry_after,
            ..
        } => (code, provider, retry_after),
        other => panic!("expected a status error, got {other:?}"),
    };
    let (code, _, retry_after) = status(
        chat(&harness, &["simulator/error-429"], "Hi")
            .await
            .unwrap_err(),
    );
    assert_eq!(code.as_deref(), Some("rate_limit_exceeded"));
    assert_eq!(retry_after, Some(Duration::from_secs(1)));
    let (code, ..) = status(
        chat(&harness, &["simulator/error-404"], "Hi")
            .await
            .unwrap_err(),
    );
    assert_eq!(code.as_deref(), Some("privacy_restricted"));
    let (_, provider, _) = status(
        chat(&harness, &["simulator/error-400"], "Hi")
            .await
            .unwrap_err(),
    );
    assert_eq!(provider.as_deref(), Some("OpenAI"));
}

#[tokio::test]
async fn a_revoked_key_is_a_401_saying_the_user_is_unknown() {
    let harness = spawn_with(|config| config.api_key = Some("sk-or-v1-revoked".into())).await;
    let error = expect_status(chat(&harness, &[MODEL], "Hi").await);
    let UpstreamError::Status {
        status, message, ..
    } = error
    else {
        unreachable!()
    };
    assert_eq!(status, 401);
    assert_eq!(message, "User not found.");
}

#[tokio::test]
async fn an_unknown_model_is_a_400_naming_it() {
    let harness = spawn_with(|_| {}).await;
    let error = expect_status(chat(&harness, &["acme/fake-1.0"], "Hi").await);
    assert!(
        error
            .to_string()
            .contains("acme/fake-1.0 is not a valid model ID"),
        "{error}"
    );
}

#[tokio::test]
async fn an_error_inside_a_200_body_is_an_error_in_body() {
    let harness = spawn_with(|_| {}).await;
    let error = chat(&harness, &["simulator/error-in-200"], "Hi")
        .await
        .unwrap_err();
    let UpstreamError::ErrorInBody {
        status,
        message,
        provider,
        generation_id,
        ..
    } = &error
    else {
        panic!("expected an error in the body, got {error:?}");
    };
    assert_eq!(*status, Some(429));
    assert_eq!(message, "Provider returned error: error code: 1015");
    assert_eq!(provider.as_deref(), Some("Kluster"));
    assert!(generation_id.is_some());
    assert_eq!(error.class(), "error_in_body");
}

#[tokio::test]
async fn a_200_body_that_is_not_json_is_malformed() {
    let harness = spawn_with(|_| {}).await;
    let error = chat(&harness, &["simulator/malformed-json"], "Hi")
        .await
        .unwrap_err();
    assert!(matches!(error, UpstreamError::Malformed(_)), "{error:?}");
}

#[tokio::test]
async fn a_provider_failure_inside_a_non_streamed_answer_is_a_provider_error() {
    let harness = spawn_with(|_| {}).await;
    let error = chat(
        &harness,
        &["simulator/midstream-error"],
        "Tell me a long story please",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            UpstreamError::Provider {
                status: Some(502),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_body_that_breaks_off_is_a_lost_connection() {
    let harness = spawn_with(|_| {}).await;
    let error = chat(&harness, &["simulator/cut-stream"], "Hi")
        .await
        .unwrap_err();
    assert!(matches!(error, UpstreamError::Connect(_)), "{error:?}");
}

#[tokio::test]
async fn latency_beyond_the_deadline_is_a_timeout() {
    let harness = spawn_with(|_| {}).await;
    let error = harness
        .upstream
        .chat(
            &payload(&["simulator/latency-2000"], "Hi", false),
            deadline(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert_eq!(error, UpstreamError::Timeout);
}

#[tokio::test]
async fn a_non_json_error_page_is_reported_with_its_status_and_text() {
    let server = one_shot(
        "502 Bad Gateway",
        "Content-Type: text/html\r\n",
        "<html>upstream connect error</html>",
    )
    .await;
    let mut config = UpstreamConfig::new(server.base_url);
    config.api_key = Some(KEY.to_owned());
    config.max_retries = 0;
    let upstream = Upstream::new(config).unwrap();
    let error = expect_status(
        upstream
            .chat(
                &payload(&[MODEL], "Hi", false),
                deadline(Duration::from_secs(20)),
            )
            .await,
    );
    let UpstreamError::Status {
        status, message, ..
    } = error
    else {
        unreachable!()
    };
    assert_eq!(status, 502);
    assert_eq!(message, "Bad Gateway: <html>upstream connect error</html>");
}
