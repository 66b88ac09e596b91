//! The operator's knobs as the server's configuration sets them, seen from outside: what the
//! upstream receives and how calls over the API behave.

use gateway::test_support::TestDatabase;
use openrouter_simulator::{RunningSimulator, SimulatorConfig};
use reqwest::StatusCode;
use serde_json::json;
use server::config::{OpenRouterConfig, Secret};

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn configured_knobs_reach_the_upstream_and_the_calls() {
    let simulator = RunningSimulator::start(([127, 0, 0, 1], 0).into(), SimulatorConfig::default())
        .await
        .unwrap();
    let app = spawn_app_with(TestDatabase::sqlite(), |config| {
        config.openrouter = OpenRouterConfig {
            api_key: Some(Secret::new("test-key")),
            base_url: simulator.base_url(),
            max_retries: 0,
            title: Some("Server Title".to_owned()),
            ..OpenRouterConfig::default()
        };
        config.calls.rate_limiting = false;
        config.calls.default_models = vec!["openai/gpt-4o".to_owned()];
    })
    .await;
    app.integration("limited", |f, _| f.rate_limit_per_minute = Some(1))
        .await;
    app.integration("broken", |_, d| {
        d.models = vec!["simulator/error-502".to_owned()];
    })
    .await;
    let token = app.token().await;
    let ask = json!({"args": {"question": "hi"}});
    for _ in 0..2 {
        let response = app
            .post("/api/ai/limited/chat", Some(&token), ask.clone())
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let seen = simulator.seen_requests();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter()
            .all(|r| r.title.as_deref() == Some("Server Title"))
    );

    let failed = app.post("/api/ai/broken/chat", Some(&token), ask).await;
    assert!(failed.status().is_server_error(), "{}", failed.status());
    assert!(
        app.eventually(5, || async {
            app.rows("integration_slug = 'broken' and attempts = 1")
                .await
                == 1
        })
        .await
    );
    let form = app.gateway.editor_data(None, None).await.unwrap();
    assert_eq!(form.draft.models, ["openai/gpt-4o"]);
    app.shutdown().await;
    simulator.stop().await;
}
