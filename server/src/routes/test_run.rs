//! Console endpoints that stream, so they cannot be server functions: the editor's test panel
//! runs the form's draft (or a saved version) and answers with the very event stream the public
//! API serves.

use crate::console::SignedIn;
use crate::error::ApiError;
use crate::extract::{JsonBody, ParseBody};
use axum::extract::State;
use axum::response::Response;
use gateway::types::{FieldErrors, TestRun};
use gateway::{Call, Gateway};

impl ParseBody for TestRun {
    fn parse(body: &serde_json::Map<String, serde_json::Value>) -> Result<Self, FieldErrors> {
        serde_json::from_value(serde_json::Value::Object(body.clone()))
            .map_err(|e| FieldErrors::single("body", e.to_string()))
    }
}

/// Answers 401 rather than the pages' redirect to the sign-in page: the caller is a script
/// reading an event stream, not a person loading a page.
pub(crate) async fn test_run(
    State(gateway): State<Gateway>,
    SignedIn(admin): SignedIn,
    JsonBody(run): JsonBody<TestRun>,
) -> Result<Response, ApiError> {
    let call = Call::console_test(run, admin.email);
    let events = gateway.call(call).await?.into_stream()?;
    Ok(super::api::sse(events))
}
