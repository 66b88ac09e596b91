//! The OpenAI-compatible API in OpenAI's own shapes, plus the official Python SDK against it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, venv_python};

#[tokio::test]
async fn chat_completions_answer_in_openai_shape_with_the_slug_as_model() {
    let app = spawn_app().await;
    app.integration("helper", |_, _| {}).await;
    let token = app.token().await;
    let body = json!({ "model": "helper", "messages": [{"role": "user", "content": "hello"}], "args": {"question": "Hi?"}, "max_tokens": 50 });
    let response = app.post("/v1/chat/completions", Some(&token), body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "helper");
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert!(
        body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Simulated answer from")
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0);
    app.shutdown().await;
}

#[tokio::test]
async fn a_stream_is_openai_chunks_with_usage_and_done() {
    let app = spawn_app().await;
    app.integration("streamer", |_, _| {}).await;
    let token = app.token().await;
    let body = json!({ "model": "streamer", "messages": [{"role": "user", "content": "tell me"}], "args": {"question": "x"},
                       "stream": true, "stream_options": {"include_usage": true} });
    let text = app
        .post("/v1/chat/completions", Some(&token), body)
        .await
        .text()
        .await
        .unwrap();
    let data: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(*data.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "stop"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn models_lists_only_api_visible_active_integrations() {
    let app = spawn_app().await;
    app.integration("visible", |_, _| {}).await;
    app.integration("hidden", |f, _| {
        f.visibility = gateway::types::Visibility::Internal
    })
    .await;
    let token = app.token().await;
    let response = app
        .client
        .get(format!("{}/v1/models", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["visible"]);
    app.shutdown().await;
}

#[tokio::test]
async fn errors_come_in_openai_shape() {
    let app = spawn_app().await;
    app.integration("strict", |_, _| {}).await;
    let unauthenticated = app
        .post(
            "/v1/chat/completions",
            None,
            json!({"model": "strict", "messages": []}),
        )
        .await;
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        unauthenticated.json::<Value>().await.unwrap()["error"]["type"],
        "authentication_error"
    );
    let token = app.token().await;
    let missing = app
        .post(
            "/v1/chat/completions",
            Some(&token),
            json!({"model": "strict", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
    // OpenAI answers an invalid request with 400, naming the parameter.
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let error = &missing.json::<Value>().await.unwrap()["error"];
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["param"], "question");
    assert_eq!(error["code"], "invalid_value");
    let unknown = app
        .post(
            "/v1/chat/completions",
            Some(&token),
            json!({"model": "nope", "messages": []}),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    app.shutdown().await;
}

/// Runs `script` (under `tests/`) with the project's `.venv` Python against the app's `/v1`, and
/// returns what it printed; `None` where that virtualenv does not exist (skipped loudly).
async fn python_against(app: &TestApp, token: &str, script: &str) -> Option<String> {
    let python = venv_python()?;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(script);
    let output = tokio::process::Command::new(python)
        .arg(script)
        .env("BASE_URL", format!("{}/v1", app.address))
        .env("TOKEN", token)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The official `openai` Python package, installed by `make setup` into `.venv`, drives the API
/// in both modes.
#[tokio::test]
async fn the_official_openai_python_sdk_works_unchanged() {
    let app = spawn_app().await;
    app.integration("sdk", |_, _| {}).await;
    let token = app.token().await;
    if let Some(stdout) = python_against(&app, &token, "openai_sdk_check.py").await {
        assert!(
            stdout.contains("non-streaming ok") && stdout.contains("streaming ok"),
            "{stdout}"
        );
    }
    app.shutdown().await;
}

/// What applications send through the official SDK: system and developer messages, content
/// parts, an image (seen by the model where the integration supports vision, refused naming the
/// part where it does not), and a tool-calling round trip, whole and streamed.
#[tokio::test]
async fn the_official_sdk_sends_system_messages_images_and_tools() {
    let app = spawn_app().await;
    app.integration("plain", |_, _| {}).await;
    app.integration("eyes", |f, _| f.supports_vision = true)
        .await;
    app.integration("tooling", |f, _| f.supports_tools = true)
        .await;
    let token = app.token().await;
    if let Some(stdout) = python_against(&app, &token, "openai_dropin_check.py").await {
        for check in [
            "system message ok",
            "content parts ok",
            "image on a vision integration ok",
            "image on a text-only integration refused ok",
            "tool round trip ok",
            "streamed tool round trip ok",
            "tools on a text-only integration refused ok",
        ] {
            assert!(stdout.contains(check), "{check} missing from:\n{stdout}");
        }
        // Both tool-call answers and both answers to their results are ordinary, billed
        // successes (the refused call is a row of its own).
        let billed = "integration_slug = 'tooling' and status = 'ok' and cost_nanos > 0 \
                      and completion_tokens > 0";
        assert!(
            app.eventually(10, || async { app.rows(billed).await == 4 })
                .await
        );
    }
    app.shutdown().await;
}

/// LangChain's `ChatOpenAI` (pinned in `make setup`) completes a call and a stream.
#[tokio::test]
async fn langchain_chat_openai_calls_and_streams() {
    let app = spawn_app().await;
    app.integration("chain", |_, _| {}).await;
    let token = app.token().await;
    if let Some(stdout) = python_against(&app, &token, "langchain_check.py").await {
        assert!(
            stdout.contains("invoke ok") && stdout.contains("stream ok"),
            "{stdout}"
        );
    }
    app.shutdown().await;
}
