//! `/healthz`, `/readyz` and `/metrics` wherever it is configured.

use gateway::test_support::TestDatabase;
use reqwest::StatusCode;
use server::config::Secret;

use crate::helpers::{TestApp, spawn_app, spawn_app_on_postgres, spawn_app_with};

const METRICS_TOKEN: &str = "a scrape token";

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    app.shutdown().await;
}

#[tokio::test]
async fn readyz_answers_ok_when_the_database_is_reachable() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn readyz_answers_degraded_when_the_database_goes_away_and_healthz_stays_ok() {
    let Some(app) = spawn_app_on_postgres().await else {
        return;
    };
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);

    app.database.destroy().await;

    // Calls still work while their rows wait in the spill file, so the node stays in rotation.
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["backlog"], 0);
    assert_eq!(body["quarantined"], 0);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    app.shutdown().await;
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id header");
    assert_eq!(id.to_str().unwrap().len(), 36);
    app.shutdown().await;
}

/// A server whose `/metrics` has a listener of its own and/or asks for [`METRICS_TOKEN`].
async fn with_metrics(own_listener: bool, token: bool) -> TestApp {
    spawn_app_with(TestDatabase::sqlite(), |config| {
        if own_listener {
            config.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
        }
        if token {
            config.metrics.token = Some(Secret::new(METRICS_TOKEN));
        }
    })
    .await
}

/// `GET url`, with `Authorization: Bearer token` when given.
async fn scrape(app: &TestApp, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn metrics_are_not_served_unless_given_a_listener_or_a_token() {
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_on_the_main_listener_need_the_bearer_token() {
    let app = with_metrics(false, true).await;
    let url = format!("{}/metrics", app.address);
    for presented in [
        None,
        Some("wrong"),
        Some("a scrape toke"),
        Some("a scrape token!"),
    ] {
        let response = scrape(&app, &url, presented).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{presented:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    let response = scrape(&app, &url, Some(METRICS_TOKEN)).await;
    assert_eq!(response.status(), StatusCode::OK);
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_on_their_own_listener_are_absent_from_the_main_one() {
    let app = with_metrics(true, false).await;
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    let response = scrape(&app, &format!("{metrics}/metrics"), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("ai_gateway_"));
    // Nothing else is served there.
    for path in ["/healthz", "/login", "/api/ai/openapi.json"] {
        let response = scrape(&app, &format!("{metrics}{path}"), None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    app.shutdown().await;

    let app = with_metrics(true, true).await;
    let url = format!("{}/metrics", app.metrics_address.clone().unwrap());
    let refused = scrape(&app, &url, None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let allowed = scrape(&app, &url, Some(METRICS_TOKEN)).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_count_calls_by_integration_and_status_in_prometheus_format() {
    let app = with_metrics(false, true).await;
    app.integration("measured", |_, _| {}).await;
    let token = app.token().await;
    let body = serde_json::json!({ "args": { "question": "hi" } });
    assert_eq!(
        app.post("/api/ai/measured/chat", Some(&token), body)
            .await
            .status(),
        StatusCode::OK
    );
    let url = format!("{}/metrics", app.address);
    let response = scrape(&app, &url, Some(METRICS_TOKEN)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains("ai_gateway_requests_total{integration=\"measured\",status=\"ok\"} 1"),
        "{text}"
    );
    assert!(text.contains(
        "ai_gateway_added_latency_seconds_count{integration=\"measured\",status=\"ok\"} 1"
    ));
    assert!(text.contains("# TYPE ai_gateway_telemetry_queue_depth gauge"));
    for line in [
        "# TYPE ai_gateway_telemetry_spill_backlog gauge",
        "ai_gateway_telemetry_spill_backlog 0",
        "# TYPE ai_gateway_telemetry_quarantined_total counter",
        "ai_gateway_telemetry_quarantined_total 0",
        "# TYPE ai_gateway_telemetry_lost_total counter",
        "ai_gateway_telemetry_lost_total 0",
    ] {
        assert!(text.contains(line), "{line} missing from {text}");
    }
    app.shutdown().await;
}
