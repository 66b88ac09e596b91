//! `POST {prefix}/{slug}/chat|start|converse` over HTTP: answers, every refusal's status, streams.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn ask(question: &str) -> Value {
    json!({ "args": { "question": question } })
}

#[tokio::test]
async fn a_public_integration_answers_with_its_text_and_the_envelope() {
    let app = spawn_app().await;
    app.integration("helper", |_, _| {}).await;
    let token = app.token().await;
    let response = app
        .post("/api/ai/helper/chat", Some(&token), ask("Hi there?"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["meta"]["integration"], "helper");
    assert_eq!(
        body["data"]["text"],
        "Simulated answer from openai/gpt-4o-mini: You are a helpful assistant. Hi there?"
    );
    assert_eq!(body["data"]["status"], "ok");
    assert!(body["data"]["cost_usd"].as_f64().unwrap() > 0.0);
    assert!(
        body["data"].get("message").is_none(),
        "the raw provider message stays inside"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_internal_and_switched_off_all_answer_404() {
    let app = spawn_app().await;
    app.integration("secret", |f, _| {
        f.visibility = gateway::types::Visibility::Internal
    })
    .await;
    app.integration("open", |_, _| {}).await;
    let token = app.token().await;
    assert_eq!(
        app.post("/api/ai/does-not-exist/chat", Some(&token), ask("x"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post("/api/ai/secret/chat", Some(&token), ask("x"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let mut settings = app.gateway.snapshot().settings.clone();
    settings.api_enabled = false;
    app.gateway.save_settings(&settings).await.unwrap();
    let off = app.post("/api/ai/open/chat", Some(&token), ask("x")).await;
    assert_eq!(off.status(), StatusCode::NOT_FOUND);
    assert!(
        off.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("switched off")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn missing_invalid_expired_and_revoked_tokens_are_401() {
    let app = spawn_app().await;
    app.integration("guarded", |_, _| {}).await;
    let missing = app.post("/api/ai/guarded/chat", None, ask("x")).await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        app.post("/api/ai/guarded/chat", Some("1|nonsense"), ask("x"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let soon = app
        .token_with(
            &[gateway::tokens::INVOKE_ABILITY],
            Some(gateway::now_ms() + 300),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let expired = app
        .post("/api/ai/guarded/chat", Some(&soon), ask("x"))
        .await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.json::<Value>().await.unwrap()["message"],
        "This token has expired."
    );
    let token = app.token().await;
    assert_eq!(
        app.post("/api/ai/guarded/chat", Some(&token), ask("x"))
            .await
            .status(),
        StatusCode::OK
    );
    let id: i64 = token.split('|').next().unwrap().parse().unwrap();
    app.gateway.revoke_token(id).await.unwrap();
    assert_eq!(
        app.post("/api/ai/guarded/chat", Some(&token), ask("x"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_token_without_the_invoke_ability_is_403() {
    let app = spawn_app().await;
    app.integration("picky", |_, _| {}).await;
    let token = app.token_with(&["some-other-ability"], None).await;
    assert_eq!(
        app.post("/api/ai/picky/chat", Some(&token), ask("x"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    app.shutdown().await;
}

#[tokio::test]
async fn missing_args_and_malformed_json_are_422_with_field_errors() {
    let app = spawn_app().await;
    app.integration("needs", |_, _| {}).await;
    let token = app.token().await;
    let response = app
        .post("/api/ai/needs/chat", Some(&token), json!({ "args": {} }))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Invalid arguments");
    assert_eq!(
        body["errors"]["question"][0],
        "Arg \"question\" is required."
    );

    let malformed = app
        .client
        .post(format!("{}/api/ai/needs/chat", app.address))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"args\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(malformed.json::<Value>().await.unwrap()["errors"]["body"].is_array());

    let unknown_role = app
        .post("/api/ai/needs/chat", Some(&token), json!({ "args": {"question": "x"}, "messages": [{"role": "boss", "content": "obey me"}] }))
        .await;
    assert_eq!(unknown_role.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown_role.json::<Value>().await.unwrap()["errors"]["messages.0.role"].is_array());
    app.shutdown().await;
}

#[tokio::test]
async fn limits_answer_429_with_retry_after_and_402_with_spent_and_cap() {
    let app = spawn_app().await;
    app.integration("slow-lane", |f, _| f.rate_limit_per_minute = Some(1))
        .await;
    app.integration("cheap", |f, _| {
        f.daily_cap = Some(gateway::types::NanoUsd(1))
    })
    .await;
    let token = app.token().await;
    assert_eq!(
        app.post("/api/ai/slow-lane/chat", Some(&token), ask("x"))
            .await
            .status(),
        StatusCode::OK
    );
    let limited = app
        .post("/api/ai/slow-lane/chat", Some(&token), ask("x"))
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    let capped = app.post("/api/ai/cheap/chat", Some(&token), ask("x")).await;
    assert_eq!(capped.status(), StatusCode::PAYMENT_REQUIRED);
    let body: Value = capped.json().await.unwrap();
    assert_eq!(body["cap_usd"], 1e-9);
    assert_eq!(body["spent_usd"], 0.0);
    app.shutdown().await;
}

#[tokio::test]
async fn an_upstream_failure_is_502_without_provider_internals() {
    let app = spawn_app().await;
    app.integration("flaky", |_, d| {
        d.models = vec!["simulator/error-500".to_owned()]
    })
    .await;
    let token = app.token().await;
    let response = app.post("/api/ai/flaky/chat", Some(&token), ask("x")).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = response.text().await.unwrap();
    assert!(body.contains("The AI provider request failed."), "{body}");
    assert!(!body.contains("raw"), "{body}");
    app.shutdown().await;
}

#[tokio::test]
async fn conversations_start_continue_and_belong_to_their_token() {
    let app = spawn_app().await;
    app.integration("chat-bot", |f, _| f.conversational = true)
        .await;
    app.integration("one-shot", |_, _| {}).await;
    let token = app.token().await;
    let started = app
        .post("/api/ai/chat-bot/start", Some(&token), json!({}))
        .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let started = started.json::<Value>().await.unwrap();
    let id = started["data"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Both spellings of the expiry name the same instant; the core's unit test pins the format.
    let expires_ms = started["data"]["expires_at_ms"].as_i64().unwrap();
    let expires = started["data"]["expires_at"].as_str().unwrap();
    assert_eq!(
        Some(expires),
        gateway::invocations::rfc3339(expires_ms).as_deref()
    );
    assert!(
        expires.len() == 20 && expires.as_bytes()[10] == b'T' && expires.ends_with('Z'),
        "{expires}"
    );
    let turn = json!({ "conversation_id": id, "message": "My name is Andre", "args": { "question": "hi" } });
    let answered = app
        .post("/api/ai/chat-bot/converse", Some(&token), turn.clone())
        .await;
    assert_eq!(answered.status(), StatusCode::OK);
    assert_eq!(
        answered.json::<Value>().await.unwrap()["data"]["conversation_id"],
        id.as_str()
    );
    let other = app.token().await;
    assert_eq!(
        app.post("/api/ai/chat-bot/converse", Some(&other), turn)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let no_message = app
        .post(
            "/api/ai/chat-bot/converse",
            Some(&token),
            json!({ "args": {"question": "x"} }),
        )
        .await;
    assert_eq!(no_message.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.post("/api/ai/one-shot/start", Some(&token), json!({}))
            .await
            .status(),
        StatusCode::CONFLICT
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_streamed_answer_arrives_as_deltas_then_a_done_event() {
    let app = spawn_app().await;
    app.integration("streamer", |_, _| {}).await;
    let token = app.token().await;
    let whole: Value = app
        .post(
            "/api/ai/streamer/chat",
            Some(&token),
            ask("stream this please"),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut body = ask("stream this please");
    body["stream"] = json!(true);
    let response = app.post("/api/ai/streamer/chat", Some(&token), body).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = parse_sse(&response.text().await.unwrap());
    let text: String = events
        .iter()
        .filter(|(e, _)| e == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, whole["data"]["text"].as_str().unwrap());
    let (last_event, last_data) = events.last().unwrap();
    assert_eq!(last_event, "done");
    assert_eq!(last_data["data"]["cost_usd"], whole["data"]["cost_usd"]);
    app.shutdown().await;
}

#[tokio::test]
async fn a_broken_stream_ends_with_an_error_event_not_a_clean_end() {
    let app = spawn_app().await;
    app.integration("breaks", |_, d| {
        d.models = vec!["simulator/cut-stream".to_owned()]
    })
    .await;
    let token = app.token().await;
    let mut body = ask("one two three four five six seven");
    body["stream"] = json!(true);
    let events = parse_sse(
        &app.post("/api/ai/breaks/chat", Some(&token), body)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(events.last().unwrap().0, "error");
    assert!(events.iter().all(|(e, _)| e != "done"));
    app.shutdown().await;
}

/// `(event, data)` pairs of a Server-Sent Events body.
fn parse_sse(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let event = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((event.to_owned(), serde_json::from_str(data).ok()?))
        })
        .collect()
}

#[tokio::test]
async fn arguments_that_render_a_prompt_over_the_ceiling_are_a_422_and_cost_nothing() {
    let app =
        crate::helpers::spawn_app_with(gateway::test_support::TestDatabase::sqlite(), |config| {
            config.max_prompt_kb = 64
        })
        .await;
    app.integration("looped", |_, draft| {
        draft.prompt_template = "{% for i in range(100000) %}{{ question }}{% endfor %}".to_owned();
    })
    .await;
    let token = app.token().await;
    let response = app
        .post("/api/ai/looped/chat", Some(&token), ask(&"x".repeat(1000)))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let message = body["errors"]["prompt_template"][0].as_str().unwrap();
    assert!(message.contains("longer than 65536 bytes"), "{body}");
    assert!(
        app.eventually(5, || async {
            app.rows("error_class = 'invalid_args' and coalesce(cost_nanos, 0) = 0")
                .await
                == 1
        })
        .await
    );

    // 100,000 bytes are over 64 KiB too; 60,000 are not.
    assert_eq!(
        app.post("/api/ai/looped/chat", Some(&token), ask("x"))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.integration("shorter", |_, draft| {
        draft.prompt_template = "{% for i in range(60000) %}{{ question }}{% endfor %}".to_owned();
    })
    .await;
    let fits = app
        .post("/api/ai/shorter/chat", Some(&token), ask("x"))
        .await;
    assert_eq!(fits.status(), StatusCode::OK);
    app.shutdown().await;
}
