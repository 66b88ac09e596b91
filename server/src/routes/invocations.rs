//! The invocations grid's CSV export: a download link rather than a server function, so it
//! checks the session itself and reads the grid's filters from the query string.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gateway::Gateway;
use gateway::types::InvocationQuery;

use crate::console::SignedIn;
use crate::error::ApiError;

/// Every row the filters match, in the grid's order, as `text/csv`.
pub(crate) async fn export_csv(
    State(gateway): State<Gateway>,
    _admin: SignedIn,
    query: Result<Query<InvocationQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let csv = gateway.export_invocations(&query).await?;
    let day = gateway::invocations::utc_text(gateway::now_ms());
    let filename = format!("invocations-{}.csv", day.get(..10).unwrap_or("export"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        csv,
    )
        .into_response())
}
