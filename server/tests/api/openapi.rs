//! The OpenAPI document describes every native route of every API-visible integration, with a
//! request body typed from the prompt's variables.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_document_describes_every_route_of_every_callable_integration() {
    let app = spawn_app().await;
    app.integration("talker", |f, _| f.conversational = true)
        .await;
    app.integration("private", |f, _| {
        f.visibility = gateway::types::Visibility::Internal
    })
    .await;
    let response = app.get("/api/ai/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = document["paths"].as_object().unwrap();
    // A route the router serves but the document leaves out fails here.
    for (route, _) in server::NATIVE_ROUTES {
        let path = format!("/api/ai{}", route.replace("{slug}", "talker"));
        assert!(
            paths.contains_key(&path),
            "{path} is not described: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
        let token = app.token().await;
        let status = app
            .post(&path, Some(&token), serde_json::json!({}))
            .await
            .status();
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{path} is described but not served"
        );
    }
    assert!(
        paths.keys().all(|p| !p.contains("/private/")),
        "internal integrations stay out"
    );
    let chat = &paths["/api/ai/talker/chat"]["post"];
    let args = &chat["requestBody"]["content"]["application/json"]["schema"]["properties"]["args"];
    assert_eq!(args["properties"]["question"]["type"], "string");
    assert_eq!(args["required"][0], "question");
    assert!(
        chat["description"]
            .as_str()
            .unwrap()
            .contains("openai/gpt-4o-mini")
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_document_follows_the_api_switch() {
    let app = spawn_app().await;
    let mut settings = app.gateway.snapshot().settings.clone();
    settings.api_enabled = false;
    app.gateway.save_settings(&settings).await.unwrap();
    assert_eq!(
        app.get("/api/ai/openapi.json").await.status(),
        StatusCode::NOT_FOUND
    );
    app.shutdown().await;
}
