//! Successful non-streamed completions, fallbacks, and what goes out on the wire.

use std::time::Duration;

use gateway::{
    types::NanoUsd,
    upstream::{Upstream, UpstreamConfig, UpstreamError},
};
use serde_json::json;
use tokio::net::TcpListener;

use crate::helpers::{KEY, MODEL, chat, one_shot, payload, soon, spawn};

#[tokio::test]
async fn a_completion_carries_text_usage_the_billed_cost_and_the_generation_id() {
    let harness = spawn().await;
    let completion = chat(&harness, &[MODEL], "Say hello to the gateway")
        .await
        .unwrap();

    assert!(
        completion.text.ends_with("Say hello to the gateway"),
        "{}",
        completion.text
    );
    assert_eq!(completion.model.as_deref(), Some(MODEL));
    assert_eq!(completion.provider.as_deref(), Some("OpenAI"));
    assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
    assert_eq!(completion.attempts, 1);
    assert_eq!(completion.message["content"], completion.text.as_str());
    let usage = &completion.usage;
    assert!(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert_eq!(
        usage.total_tokens,
        usage.prompt_tokens + usage.completion_tokens
    );

    let generation_id = completion.generation_id.as_deref().unwrap();
    assert!(generation_id.starts_with("gen-"), "{generation_id}");
    let billed = harness.billed_usd(generation_id).await;
    assert_eq!(usage.cost, Some(NanoUsd::from_usd(billed)));
    assert!(billed > 0.0);
}

#[tokio::test]
async fn an_unavailable_primary_model_falls_back_to_the_next_one() {
    let harness = spawn().await;
    let completion = chat(&harness, &["simulator/unavailable", MODEL], "Hi")
        .await
        .unwrap();
    assert_eq!(completion.model.as_deref(), Some(MODEL));
}

#[tokio::test]
async fn without_a_key_nothing_is_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = Upstream::new(UpstreamConfig::new(format!("http://{address}/api/v1"))).unwrap();

    let body = payload(&[MODEL], "Hi", false);
    assert_eq!(
        upstream.chat(&body, soon()).await.unwrap_err(),
        UpstreamError::NotConfigured
    );
    assert_eq!(
        upstream.chat_stream(&body, soon()).await.err(),
        Some(UpstreamError::NotConfigured)
    );
    let connection = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(connection.is_err(), "the client connected without a key");
}

#[tokio::test]
async fn a_request_carries_the_key_the_attribution_headers_and_the_payload() {
    let answer = json!({
        "id": "gen-body", "model": MODEL,
        "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, "cost": "0.000001"}
    });
    let server = one_shot(
        "200 OK",
        "Content-Type: application/json\r\nX-Generation-Id: gen-header\r\n",
        &answer.to_string(),
    )
    .await;
    let mut config = UpstreamConfig::new(server.base_url);
    config.api_key = Some(KEY.to_owned());
    config.title = Some("AI Gateway".to_owned());
    config.referer = Some("https://gateway.example".to_owned());
    let upstream = Upstream::new(config).unwrap();

    let completion = upstream
        .chat(&payload(&[MODEL], "Hi", false), soon())
        .await
        .unwrap();
    assert_eq!(completion.generation_id.as_deref(), Some("gen-header"));
    assert_eq!(completion.usage.cost, Some(NanoUsd(1000)));

    let request = server.request.await.unwrap();
    let lowercase = request.to_ascii_lowercase();
    assert!(
        request.starts_with("POST /api/v1/chat/completions "),
        "{request}"
    );
    assert!(
        lowercase.contains(&format!("authorization: bearer {KEY}")),
        "{request}"
    );
    assert!(lowercase.contains("x-title: ai gateway"), "{request}");
    assert!(
        lowercase.contains("http-referer: https://gateway.example"),
        "{request}"
    );
    assert!(
        lowercase.contains("content-type: application/json"),
        "{request}"
    );
    assert!(
        request.contains(r#""models":["openai/gpt-4o-mini"]"#),
        "{request}"
    );
}
