//! The console is rendered on the server: its HTML carries the content before any script runs.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_overview_is_server_rendered_with_its_hydration_scripts() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;
    let response = app.get_signed_in("/", &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("AI Gateway"), "{html}");
    assert!(html.contains("Last 24 hours"), "{html}");
    assert!(html.contains("database reachable"), "{html}");
    assert!(
        html.contains("/pkg/ai-gateway.js"),
        "hydration script missing: {html}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_unknown_console_path_gets_a_404_page() {
    let app = spawn_app().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
    app.shutdown().await;
}
