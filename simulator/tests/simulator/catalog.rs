//! The public model catalog endpoint.

use serde_json::Value;

use crate::helpers::spawn;

const BUNDLED_CATALOG: &str = include_str!("../../../gateway/data/openrouter-models.json");

#[tokio::test]
async fn models_endpoint_serves_the_400_model_catalog_without_auth() {
    let harness = spawn().await;
    let response = harness
        .client
        .get(harness.url("/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let catalog: Value = response.json().await.unwrap();

    let models = catalog["data"].as_array().unwrap();
    assert_eq!(models.len(), 400);
    assert!(
        models
            .iter()
            .any(|model| model["id"] == "openai/gpt-4o-mini")
    );
}

#[tokio::test]
async fn models_endpoint_serves_the_bundled_file_byte_for_byte() {
    let harness = spawn().await;
    let body = harness
        .client
        .get(harness.url("/models"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, BUNDLED_CATALOG);
}

#[tokio::test]
async fn unknown_paths_answer_with_an_openrouter_404() {
    let harness = spawn().await;
    let response = harness
        .client
        .get(harness.url("/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], 404);
}
