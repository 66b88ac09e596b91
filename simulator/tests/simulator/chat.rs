//! Non-streamed chat completions: answer shape, usage and cost, determinism, truncation, model
//! resolution with fallbacks, and request validation.

use std::time::{Duration, Instant};

use openrouter_simulator::SimulatorConfig;
use serde_json::{Value, json};

use crate::helpers::{KEY, assert_close, catalog_prices, request, spawn, spawn_with, streamed};

#[tokio::test]
async fn non_streamed_answer_has_the_openrouter_shape_and_echoes_the_question() {
    let harness = spawn().await;
    let response = harness
        .chat(&request(
            "openai/gpt-4o-mini",
            "What is the capital of France?",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let header_id = crate::helpers::generation_id(&response);
    let body: Value = response.json().await.unwrap();

    assert_eq!(body["id"], header_id.as_str());
    let id = header_id.strip_prefix("gen-").unwrap();
    let (seconds, random) = id.split_once('-').unwrap();
    assert!(seconds.parse::<u64>().is_ok());
    assert_eq!(random.len(), 20);
    assert!(random.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].as_u64().is_some());
    assert_eq!(body["model"], "openai/gpt-4o-mini");
    assert_eq!(body["provider"], "OpenAI");
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["native_finish_reason"], "stop");
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(
        choice["message"]["content"],
        "Simulated answer from openai/gpt-4o-mini: What is the capital of France?"
    );
    let usage = &body["usage"];
    for detail in [
        "prompt_tokens_details",
        "completion_tokens_details",
        "cost_details",
    ] {
        assert!(usage[detail].is_object(), "usage lacks {detail}");
    }
    assert_eq!(usage["is_byok"], false);
}

#[tokio::test]
async fn usage_counts_tokens_and_prices_them_from_the_catalog() {
    let harness = spawn().await;
    let question = "Count my tokens, please.";
    let body = harness
        .complete(&json!({
            "model": "openai/gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": question}
            ]
        }))
        .await;
    let usage = &body["usage"];
    let answer = body["choices"][0]["message"]["content"].as_str().unwrap();
    let tokens = |text: &str| (text.chars().count() as u64).div_ceil(4);

    let prompt_tokens = tokens("You are terse.") + tokens(question);
    let completion_tokens = tokens(answer);
    assert_eq!(usage["prompt_tokens"], prompt_tokens);
    assert_eq!(usage["completion_tokens"], completion_tokens);
    assert_eq!(usage["total_tokens"], prompt_tokens + completion_tokens);

    let (prompt_price, completion_price) = catalog_prices(&harness, "openai/gpt-4o-mini").await;
    let prompt_cost = prompt_tokens as f64 * prompt_price;
    let completion_cost = completion_tokens as f64 * completion_price;
    assert_close(
        usage["cost"].as_f64().unwrap(),
        prompt_cost + completion_cost,
    );
    let details = &usage["cost_details"];
    assert_close(
        details["upstream_inference_prompt_cost"].as_f64().unwrap(),
        prompt_cost,
    );
    assert_close(
        details["upstream_inference_completions_cost"]
            .as_f64()
            .unwrap(),
        completion_cost,
    );
    assert_close(
        details["upstream_inference_cost"].as_f64().unwrap(),
        prompt_cost + completion_cost,
    );
}

#[tokio::test]
async fn the_same_request_gets_the_same_answer_and_usage() {
    let harness = spawn().await;
    let question = request(
        "anthropic/claude-sonnet-4.5",
        "Tell me something deterministic.",
    );
    let first = harness.complete(&question).await;
    let second = harness.complete(&question).await;

    assert_eq!(first["choices"], second["choices"]);
    assert_eq!(first["usage"], second["usage"]);
    assert_eq!(first["provider"], "Anthropic");
    assert_ne!(first["id"], second["id"]);
}

#[tokio::test]
async fn the_answer_echoes_at_most_forty_words_of_the_last_user_message() {
    let harness = spawn().await;
    let long: Vec<String> = (1..=60).map(|n| format!("w{n}")).collect();
    let body = harness
        .complete(&json!({
            "model": "openai/gpt-4o-mini",
            "messages": [
                {"role": "user", "content": "an earlier question"},
                {"role": "assistant", "content": "an earlier answer"},
                {"role": "user", "content": long.join(" ")}
            ]
        }))
        .await;
    let expected = format!(
        "Simulated answer from openai/gpt-4o-mini: {}",
        long[..40].join(" ")
    );
    assert_eq!(body["choices"][0]["message"]["content"], expected.as_str());
}

#[tokio::test]
async fn max_tokens_truncates_the_answer_with_finish_reason_length() {
    let harness = spawn().await;
    let mut question = request(
        "openai/gpt-4o-mini",
        "Please write a long and detailed essay.",
    );
    question["max_tokens"] = json!(5);
    let body = harness.complete(&question).await;

    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "length");
    assert_eq!(choice["native_finish_reason"], "length");
    assert_eq!(body["usage"]["completion_tokens"], 5);
    assert_eq!(choice["message"]["content"], "Simulated answer fro");
}

#[tokio::test]
async fn a_generous_max_completion_tokens_leaves_the_answer_whole() {
    let harness = spawn().await;
    let mut question = request("openai/gpt-4o-mini", "Short one.");
    question["max_completion_tokens"] = json!(1000);
    let body = harness.complete(&question).await;
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn content_parts_and_unknown_fields_are_accepted() {
    let harness = spawn().await;
    let body = harness
        .complete(&json!({
            "model": "openai/gpt-4o-mini",
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "Describe", "cache_control": {"type": "ephemeral"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                {"type": "text", "text": "this picture."}
            ]}],
            "usage": {"include": true},
            "stream_options": {"include_usage": true},
            "provider": {"order": ["openai"], "sort": "price"},
            "plugins": [{"id": "web"}],
            "tools": [{"type": "openrouter:web_search"}],
            "transforms": ["middle-out"],
            "reasoning": {"effort": "low"},
            "user": "user-42",
            "session_id": "session-7",
            "temperature": 0.2,
            "something_new": {"nested": [1, 2, 3]}
        }))
        .await;
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Simulated answer from openai/gpt-4o-mini: I see 1 image. Describe this picture."
    );
}

#[tokio::test]
async fn models_list_falls_back_past_an_unavailable_model() {
    let harness = spawn().await;
    let body = harness
        .complete(&json!({
            "models": ["simulator/unavailable", "openai/gpt-4o-mini"],
            "messages": [{"role": "user", "content": "hi"}]
        }))
        .await;
    assert_eq!(body["model"], "openai/gpt-4o-mini");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Simulated answer from openai/gpt-4o-mini: hi"
    );
}

#[tokio::test]
async fn model_goes_before_a_models_list_that_lacks_it() {
    let harness = spawn().await;
    let body = harness
        .complete(&json!({
            "model": "simulator/unavailable",
            "models": ["anthropic/claude-sonnet-4.5", "openai/gpt-4o-mini"],
            "messages": [{"role": "user", "content": "hi"}]
        }))
        .await;
    assert_eq!(body["model"], "anthropic/claude-sonnet-4.5");
}

#[tokio::test]
async fn disabled_fallbacks_turn_an_unavailable_primary_into_a_503() {
    let harness = spawn().await;
    let response = harness
        .chat(&json!({
            "models": ["simulator/unavailable", "openai/gpt-4o-mini"],
            "messages": [{"role": "user", "content": "hi"}],
            "provider": {"allow_fallbacks": false}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 503);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("simulator/unavailable")
    );
}

#[tokio::test]
async fn only_unavailable_models_give_a_503() {
    let harness = spawn().await;
    let response = harness
        .chat(&request("simulator/unavailable", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn unknown_model_is_rejected_with_400() {
    let harness = spawn().await;
    let response = harness
        .chat(&request("acme/fake-1.0", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 400);
    assert_eq!(
        body["error"]["message"],
        "acme/fake-1.0 is not a valid model ID"
    );
}

#[tokio::test]
async fn unknown_models_are_skipped_when_a_later_one_exists() {
    let harness = spawn().await;
    let body = harness
        .complete(&json!({
            "models": ["acme/fake-1.0", "openai/gpt-4o-mini"],
            "messages": [{"role": "user", "content": "hi"}]
        }))
        .await;
    assert_eq!(body["model"], "openai/gpt-4o-mini");
}

#[tokio::test]
async fn missing_credentials_are_rejected_with_401() {
    let harness = spawn().await;
    let response = harness
        .client
        .post(harness.url("/chat/completions"))
        .json(&request("openai/gpt-4o-mini", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"message": "No auth credentials found", "code": 401}})
    );
}

#[tokio::test]
async fn an_empty_bearer_token_is_rejected_with_401() {
    let harness = spawn().await;
    let response = harness
        .client
        .post(harness.url("/chat/completions"))
        .header("authorization", "Bearer ")
        .json(&request("openai/gpt-4o-mini", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn revoked_key_is_rejected_as_user_not_found() {
    let harness = spawn().await;
    let response = harness
        .client
        .post(harness.url("/chat/completions"))
        .bearer_auth("sk-or-v1-revoked")
        .json(&request("openai/gpt-4o-mini", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "User not found.");
    assert_eq!(body["error"]["code"], 401);
}

#[tokio::test]
async fn malformed_requests_get_openrouter_400_errors() {
    let harness = spawn().await;
    let bodies = [
        "{not json".to_owned(),
        json!({"model": "openai/gpt-4o-mini"}).to_string(),
        json!({"model": "openai/gpt-4o-mini", "messages": []}).to_string(),
        json!({"messages": [{"role": "user", "content": "hi"}]}).to_string(),
        json!({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": 7}]})
            .to_string(),
        json!({
            "model": "openai/gpt-4o-mini",
            "max_tokens": 0,
            "messages": [{"role": "user", "content": "hi"}]
        })
        .to_string(),
    ];
    for body in bodies {
        let response = harness
            .client
            .post(harness.url("/chat/completions"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "for {body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], 400, "for {body}");
        assert!(error["error"]["message"].is_string(), "for {body}");
    }
}

#[tokio::test]
async fn configured_latency_delays_every_call() {
    let latency = Duration::from_millis(80);
    let harness = spawn_with(SimulatorConfig {
        latency,
        ..SimulatorConfig::default()
    })
    .await;
    for question in [
        request("openai/gpt-4o-mini", "hi"),
        streamed("openai/gpt-4o-mini", "hi"),
    ] {
        let started = Instant::now();
        harness
            .chat(&question)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(started.elapsed() >= latency);
    }
}

#[tokio::test]
async fn a_json_mode_request_gets_a_json_prompt_draft() {
    let harness = spawn().await;
    let mut body = request("openai/gpt-4o-mini", "Summarise support tickets");
    body["response_format"] = json!({"type": "json_object"});
    let answer = harness.complete(&body).await;
    let text = answer["choices"][0]["message"]["content"].as_str().unwrap();
    let draft: Value = serde_json::from_str(text).unwrap();
    assert!(
        draft["system_prompt"]
            .as_str()
            .unwrap()
            .contains("Summarise support tickets")
    );
    assert!(
        draft["system_prompt"]
            .as_str()
            .unwrap()
            .contains("{{ input }}")
    );
    assert_eq!(draft["prompt_args"][0]["name"], "input");
}

#[tokio::test]
async fn a_json_mode_draft_keeps_the_placeholders_of_the_request_as_variables() {
    let harness = spawn().await;
    // The echo is cut after a few dozen words, in the middle of the existing prompt's syntax.
    let filler = "word ".repeat(36);
    let text = format!(
        "Improve {filler} Hi {{{{ customer_name }}}}, about {{{{ order_id }}}} {{% if x %}}"
    );
    let mut body = request("openai/gpt-4o-mini", &text);
    body["response_format"] = json!({"type": "json_object"});
    let answer = harness.complete(&body).await;
    let draft: Value =
        serde_json::from_str(answer["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    let template = draft["system_prompt"].as_str().unwrap();
    let names: Vec<&str> = draft["prompt_args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arg| arg["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["customer_name", "order_id", "input"]);
    for name in names {
        assert!(
            template.contains(&format!("{{{{ {name} }}}}")),
            "{template}"
        );
    }
    // Only the declared placeholders carry braces; the echoed words never do.
    assert_eq!(template.matches("{{").count(), 3, "{template}");
    assert!(!template.contains("{%"), "{template}");
}
