//! The invocations grid's CSV and JSON exports: a download link rather than a server function, so it
//! checks the session itself and reads the grid's filters from the query string.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gateway::Gateway;
use gateway::invocations::{Export, ExportFormat};
use gateway::types::InvocationQuery;

use crate::console::SignedIn;
use crate::error::ApiError;

/// What the export adds to the grid's filters.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ExportOptions {
    /// `exchanges=true` adds each row's kept prompt and answer.
    #[serde(default)]
    exchanges: bool,
}

/// Every row the filters match, in the grid's order, as `text/csv`.
pub(crate) async fn export_csv(
    State(gateway): State<Gateway>,
    _admin: SignedIn,
    query: Result<Query<InvocationQuery>, QueryRejection>,
    options: Result<Query<ExportOptions>, QueryRejection>,
) -> Result<Response, ApiError> {
    export(&gateway, query, options, ExportFormat::Csv).await
}

/// Every row the filters match, in the grid's order, as a JSON document.
pub(crate) async fn export_json(
    State(gateway): State<Gateway>,
    _admin: SignedIn,
    query: Result<Query<InvocationQuery>, QueryRejection>,
    options: Result<Query<ExportOptions>, QueryRejection>,
) -> Result<Response, ApiError> {
    export(&gateway, query, options, ExportFormat::Json).await
}

async fn export(
    gateway: &Gateway,
    query: Result<Query<InvocationQuery>, QueryRejection>,
    options: Result<Query<ExportOptions>, QueryRejection>,
    format: ExportFormat,
) -> Result<Response, ApiError> {
    let bad_request = |e: QueryRejection| ApiError::new(StatusCode::BAD_REQUEST, e.body_text());
    let Query(query) = query.map_err(bad_request)?;
    let Query(options) = options.map_err(bad_request)?;
    let export = Export {
        format,
        exchanges: options.exchanges,
    };
    let document = gateway.export_invocations(&query, export).await?;
    let (media_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Json => ("application/json", "json"),
    };
    let day = gateway::invocations::utc_text(gateway::now_ms());
    let filename = format!(
        "invocations-{}.{extension}",
        day.get(..10).unwrap_or("export")
    );
    Ok((
        [
            (header::CONTENT_TYPE, media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        document,
    )
        .into_response())
}
