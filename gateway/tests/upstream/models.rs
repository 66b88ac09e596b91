//! `GET /models` through the shared client.

use serde_json::Value;

use crate::helpers::spawn_with;

#[tokio::test]
async fn the_catalog_comes_back_as_its_raw_bytes() {
    let harness = spawn_with(|_| {}).await;
    let bytes = harness.upstream.models().await.unwrap();
    let catalog: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(catalog["data"].as_array().map(Vec::len), Some(400));
}

#[tokio::test]
async fn the_catalog_is_public_so_no_key_is_needed() {
    let harness = spawn_with(|config| config.api_key = None).await;
    assert!(!harness.upstream.models().await.unwrap().is_empty());
}
