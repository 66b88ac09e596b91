//! Accounting endpoints: generation lookups, key usage and credits.

use openrouter_simulator::FAULT_HEADER;
use serde_json::Value;

use crate::helpers::{assert_close, request, spawn, streamed};

#[tokio::test]
async fn generation_lookup_returns_the_cost_of_a_completed_call() {
    let harness = spawn().await;
    let mut question = request("openai/gpt-4o-mini", "What did that cost?");
    question["user"] = "user-42".into();
    let body = harness.complete(&question).await;
    let id = body["id"].as_str().unwrap();

    let (status, generation) = harness.get_json(&format!("/generation?id={id}")).await;
    assert_eq!(status, 200);
    let data = &generation["data"];
    assert_eq!(data["id"], id);
    assert_eq!(data["model"], "openai/gpt-4o-mini");
    assert_eq!(data["provider_name"], "OpenAI");
    assert_eq!(data["total_cost"], body["usage"]["cost"]);
    assert_eq!(data["usage"], body["usage"]["cost"]);
    assert_eq!(data["tokens_prompt"], body["usage"]["prompt_tokens"]);
    assert_eq!(
        data["tokens_completion"],
        body["usage"]["completion_tokens"]
    );
    assert_eq!(data["native_tokens_prompt"], body["usage"]["prompt_tokens"]);
    assert_eq!(
        data["native_tokens_completion"],
        body["usage"]["completion_tokens"]
    );
    assert_eq!(data["finish_reason"], "stop");
    assert_eq!(data["streamed"], false);
    assert_eq!(data["external_user"], "user-42");
    assert!(data["latency"].is_u64());
    assert!(data["generation_time"].is_u64());

    let created_at = data["created_at"].as_str().unwrap();
    assert_eq!(created_at.len(), "2024-07-15T23:33:19.433273+00:00".len());
    assert!(created_at.ends_with("+00:00"));
    assert_eq!(&created_at[10..11], "T");
}

#[tokio::test]
async fn streamed_generations_are_recorded_once_the_stream_is_done() {
    let harness = spawn().await;
    let response = harness
        .chat(&streamed("openai/gpt-4o-mini", "stream it"))
        .send()
        .await
        .unwrap();
    let id = crate::helpers::generation_id(&response);
    response.text().await.unwrap();

    let (status, generation) = harness.get_json(&format!("/generation?id={id}")).await;
    assert_eq!(status, 200);
    assert_eq!(generation["data"]["streamed"], true);
}

#[tokio::test]
async fn unknown_generation_id_is_404() {
    let harness = spawn().await;
    let (status, body) = harness.get_json("/generation?id=gen-1-doesnotexist").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not found")
    );
}

#[tokio::test]
async fn key_usage_grows_after_a_call() {
    let harness = spawn().await;
    for path in ["/key", "/auth/key"] {
        let (status, key) = harness.get_json(path).await;
        assert_eq!(status, 200);
        let data = &key["data"];
        assert_eq!(data["label"], "sk-or-v1-012...def");
        assert!(data["limit"].is_null());
        assert_eq!(data["is_free_tier"], false);
        assert_eq!(data["usage"], 0.0);
    }

    let first = harness
        .complete(&request("openai/gpt-4o-mini", "spend a little"))
        .await;
    let second = harness
        .complete(&request("openai/gpt-4o", "spend a bit more"))
        .await;
    let spent =
        first["usage"]["cost"].as_f64().unwrap() + second["usage"]["cost"].as_f64().unwrap();
    for path in ["/key", "/auth/key"] {
        let (_, key) = harness.get_json(path).await;
        assert_close(key["data"]["usage"].as_f64().unwrap(), spent);
    }
}

#[tokio::test]
async fn failed_calls_cost_nothing() {
    let harness = spawn().await;
    let response = harness
        .chat(&request("openai/gpt-4o-mini", "this fails"))
        .header(FAULT_HEADER, "error-502")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let (_, key) = harness.get_json("/key").await;
    assert_eq!(key["data"]["usage"], 0.0);
}

#[tokio::test]
async fn credits_report_the_spend_of_every_key() {
    let harness = spawn().await;
    harness
        .complete(&request("openai/gpt-4o-mini", "one"))
        .await;
    let other = harness
        .client
        .post(harness.url("/chat/completions"))
        .bearer_auth("sk-or-v1-another-key")
        .json(&request("openai/gpt-4o-mini", "two"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let (_, mine) = harness.get_json("/key").await;

    let (status, credits) = harness.get_json("/credits").await;
    assert_eq!(status, 200);
    assert_eq!(credits["data"]["total_credits"], 100);
    assert_close(
        credits["data"]["total_usage"].as_f64().unwrap(),
        mine["data"]["usage"].as_f64().unwrap() + other["usage"]["cost"].as_f64().unwrap(),
    );
}

#[tokio::test]
async fn account_endpoints_require_a_key() {
    let harness = spawn().await;
    for path in ["/key", "/auth/key", "/credits", "/generation?id=gen-1-x"] {
        let response = harness.client.get(harness.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
        let revoked = harness
            .client
            .get(harness.url(path))
            .bearer_auth("sk-or-v1-revoked")
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), 401, "{path}");
    }
}
