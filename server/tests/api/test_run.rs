//! The editor's test run: the unsaved draft streams over the API's own event stream, is recorded
//! as an admin test by the signed-in admin, and is refused without a session or from elsewhere.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn post_run(
    app: &TestApp,
    cookie: Option<&str>,
    origin: &str,
    body: Value,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}{}", app.address, app::api::TEST_RUN_PATH))
        .header("origin", origin)
        .json(&body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_unsaved_draft_streams_and_is_recorded_as_an_admin_test() {
    let app = spawn_app().await;
    app.integration("tested", |_, _| {}).await;
    let live = app
        .gateway
        .snapshot()
        .integration("tested")
        .unwrap()
        .clone();
    let mut draft = live.version.draft.clone();
    draft.models = vec!["anthropic/claude-haiku-4.5".to_owned()];
    let cookie = app.sign_in().await;
    let response = post_run(
        &app,
        Some(&cookie),
        &app.address,
        json!({"integration_id": live.integration.id, "draft": draft, "args": {"question": "Hi?"}}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = events(&response.text().await.unwrap());
    let text: String = events
        .iter()
        .filter(|(name, _)| name == "delta")
        .map(|(_, data)| data["text"].as_str().unwrap())
        .collect();
    let done = events
        .iter()
        .find_map(|(name, data)| (name == "done").then_some(data));
    let done = done.expect("no done event");
    assert_eq!(done["data"]["text"], text.as_str());
    assert!(
        text.contains("anthropic/claude-haiku-4.5"),
        "the unsaved model answered: {text}"
    );
    // The saved version is untouched.
    let still = app
        .gateway
        .snapshot()
        .integration("tested")
        .unwrap()
        .clone();
    assert_eq!(still.version.number, 1);
    assert_eq!(still.version.draft.models, live.version.draft.models);

    let (caller_type, caller_id) = recorded_caller(&app, "tested").await;
    assert_eq!(caller_type, "admin-test");
    assert_eq!(caller_id, crate::helpers::ADMIN_EMAIL);
    app.shutdown().await;
}

/// The caller columns of the integration's telemetry row, once the batch writer has stored it.
async fn recorded_caller(app: &TestApp, slug: &str) -> (String, String) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(app.database.url())
        .await
        .unwrap();
    for _ in 0..500 {
        let row = sqlx::query_as(
            "select caller_type, caller_id from ai_invocations where integration_slug = $1",
        )
        .bind(slug)
        .fetch_optional(&mut connection)
        .await
        .unwrap();
        if let Some(row) = row {
            return row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no telemetry row for {slug}");
}

#[tokio::test]
async fn a_test_run_needs_a_session_and_this_origin() {
    let app = spawn_app().await;
    app.integration("guarded", |_, _| {}).await;
    let id = app
        .gateway
        .snapshot()
        .integration("guarded")
        .unwrap()
        .integration
        .id;
    let body = json!({"integration_id": id, "args": {"question": "Hi?"}});
    let anonymous = post_run(&app, None, &app.address, body.clone()).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.text().await.unwrap().contains("Sign in"));

    let cookie = app.sign_in().await;
    let elsewhere = post_run(&app, Some(&cookie), "https://evil.example", body.clone()).await;
    assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);

    let missing_args = post_run(
        &app,
        Some(&cookie),
        &app.address,
        json!({"integration_id": id}),
    )
    .await;
    assert_eq!(missing_args.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Value = missing_args.json().await.unwrap();
    assert!(errors["errors"]["question"].is_array(), "{errors}");
    app.shutdown().await;
}

/// The events of a run's stream as (name, data) pairs.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((name.to_owned(), serde_json::from_str(data).unwrap()))
        })
        .collect()
}

#[tokio::test]
async fn a_side_by_side_column_runs_its_model_alone_and_fails_on_its_own() {
    let app = spawn_app().await;
    app.integration("compared", |_, _| {}).await;
    let live = app
        .gateway
        .snapshot()
        .integration("compared")
        .unwrap()
        .clone();
    let cookie = app.sign_in().await;
    let column = |model: &str| {
        json!({
            "integration_id": live.integration.id,
            "draft": live.version.draft,
            "model": model,
            "args": {"question": "Hi?"},
        })
    };
    let (working, failing) = tokio::join!(
        post_run(
            &app,
            Some(&cookie),
            &app.address,
            column("openai/gpt-4o-mini")
        ),
        post_run(
            &app,
            Some(&cookie),
            &app.address,
            column("simulator/error-503")
        ),
    );

    let working = events(&working.text().await.unwrap());
    let (_, done) = working.iter().find(|(name, _)| name == "done").unwrap();
    assert_eq!(done["data"]["model_used"], "openai/gpt-4o-mini");

    // Without fallbacks the failing model's own error shows, not another model's answer; it
    // fails before the stream starts, so it is an error response the console reads.
    assert_eq!(failing.status(), StatusCode::BAD_GATEWAY);
    let failing: Value = failing.json().await.unwrap();
    assert_eq!(failing["error_class"], "upstream_503", "{failing}");
    assert!(
        failing["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{failing}"
    );
    app.shutdown().await;
}
