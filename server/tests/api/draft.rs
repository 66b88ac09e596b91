//! Draft with AI over the console's server functions: a draft from the helper model, a readable
//! sentence when the helper model fails, and nothing without a session. Nothing is ever saved.

use app::api::{DraftHelper, DraftPrompt};
use gateway::types::DraftResult;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};

async fn ask(
    app: &TestApp,
    cookie: Option<&str>,
    brief: &str,
    existing: &str,
) -> reqwest::Response {
    app.server_fn(
        DraftPrompt::PATH,
        cookie,
        &[("brief", brief), ("existing", existing)],
    )
    .await
}

/// What the editor asks before offering Draft with AI.
async fn helper_model(app: &TestApp, cookie: &str) -> Option<String> {
    app.server_fn(DraftHelper::PATH, Some(cookie), &[])
        .await
        .json()
        .await
        .unwrap()
}

async fn use_helper_model(app: &TestApp, model: &str) {
    let mut settings = app.gateway.snapshot().settings.clone();
    settings.prompt_builder_model = model.to_owned();
    app.gateway.save_settings(&settings).await.unwrap();
}

#[tokio::test]
async fn the_helper_model_drafts_a_prompt_with_its_variables() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;
    let helper = helper_model(&app, &cookie).await;
    assert_eq!(helper.as_deref(), Some("anthropic/claude-haiku-4.5"));
    let response = ask(
        &app,
        Some(&cookie),
        "Summarise a sales lead",
        "Lead: {{ company }}",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let DraftResult::Drafted(draft) = response.json().await.unwrap() else {
        panic!("no draft");
    };
    assert!(draft.prompt_template.contains("Summarise a sales lead"));
    let names: Vec<&str> = draft.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["company", "input"]);
    app.shutdown().await;
}

#[tokio::test]
async fn a_failing_helper_model_is_explained_in_a_sentence() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;
    use_helper_model(&app, "simulator/error-503").await;
    let response = ask(&app, Some(&cookie), "Summarise a sales lead", "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let DraftResult::Failed(message) = response.json().await.unwrap() else {
        panic!("a failing helper model drafted");
    };
    assert!(
        message.starts_with(
            "The helper model simulator/error-503 failed: OpenRouter answered HTTP 503"
        ),
        "{message}"
    );
    assert!(!message.contains("upstream:"), "{message}");
    app.shutdown().await;
}

#[tokio::test]
async fn switched_off_it_is_not_offered_and_refuses_to_draft() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;
    let mut settings = app.gateway.snapshot().settings.clone();
    settings.prompt_builder_enabled = false;
    app.gateway.save_settings(&settings).await.unwrap();
    let helper = helper_model(&app, &cookie).await;
    assert_eq!(helper, None);
    let answer: DraftResult = ask(&app, Some(&cookie), "Anything", "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer,
        DraftResult::Failed("Draft with AI is switched off in the settings.".to_owned())
    );
    app.shutdown().await;
}

#[tokio::test]
async fn drafting_needs_a_session() {
    let app = spawn_app().await;
    let response = ask(&app, None, "Anything", "").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.gateway
            .telemetry()
            .stats()
            .queued
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    app.shutdown().await;
}
