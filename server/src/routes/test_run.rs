//! Console endpoints that stream, so they cannot be server functions: the editor's test panel
//! runs the form's draft (or a saved version) and answers with the very event stream the public
//! API serves.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gateway::invoke::{self, ChatMessage};
use gateway::types::{FieldErrors, TestRun};
use gateway::{Caller, CallerKind, Gateway, InvokeRequest};
use tower_sessions::Session;

use crate::error::ApiError;
use crate::extract::{JsonBody, ParseBody};

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
    session: Session,
    JsonBody(run): JsonBody<TestRun>,
) -> Result<Response, ApiError> {
    let admin = gateway::accounts::signed_in(gateway.store(), &session)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Your session has ended. Sign in again to continue.",
            )
        })?;
    let live = gateway
        .snapshot()
        .integrations()
        .into_iter()
        .find(|live| live.integration.id == run.integration_id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "This integration does not exist."))?;
    let draft = match (run.draft, run.version_id) {
        (Some(draft), _) => draft,
        (None, Some(version_id)) => {
            let version = gateway::versions::get(gateway.store(), version_id)
                .await
                .map_err(ApiError::from)?;
            if version.integration_id != run.integration_id {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "This version belongs to another integration.",
                ));
            }
            version.draft
        }
        (None, None) => live.version.draft.clone(),
    };
    let slug = live.integration.fields.slug.clone();
    let request = InvokeRequest {
        messages: run
            .message
            .filter(|m| !m.trim().is_empty())
            .map(|content| ChatMessage {
                role: "user".to_owned(),
                content,
            })
            .into_iter()
            .collect(),
        caller: Caller {
            kind: CallerKind::AdminTest,
            id: Some(admin.email),
        },
        ..InvokeRequest::new(&slug, run.args)
    };
    let events = invoke::stream_draft(&gateway, live.integration.clone(), draft, request).await?;
    Ok(super::api::sse(&slug, events))
}
