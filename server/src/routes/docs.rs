//! The API's self-description: the OpenAPI document (`{prefix}/openapi.json`) and the interactive
//! Scalar page (`{prefix}/docs`) that loads its bundle from this server, never from a CDN. Both
//! follow the runtime API switch and, when configured, ask for HTTP Basic credentials, checked
//! through the sign-in throttle.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use gateway::Gateway;
use gateway::accounts::LoginError;
use gateway::openapi::{self, Mount};
use sha2::{Digest, Sha256};

use crate::auth::{ensure_api_enabled, same_secret};
use crate::config::{DocsAuth, DocsConfig};
use crate::error::ApiError;

/// Where the Scalar bundle is served from, relative to the site root (`scripts/vendor-scalar.sh`
/// puts it in `public/`, which the site build copies there).
pub(crate) const SCALAR_BUNDLE: &str = "vendor/scalar/api-reference.js";

/// Everything the two routes need, fixed at startup.
#[derive(Debug)]
pub(crate) struct Docs {
    pub prefix: String,
    pub public_url: Option<String>,
    pub config: DocsConfig,
    pub site_root: PathBuf,
}

/// Runs before the bundle: Zod, inside it, probes `Function("")` to decide whether to compile its
/// validators, and the policy (no eval) would report the probe as a violation; told to stay
/// jitless, it does not probe.
const BEFORE_BUNDLE: &str = "globalThis.__zod_globalConfig = { jitless: true };";

/// The page may only load what this server serves (the bundle, its styles and the document) and
/// run that one inline script, allowed by its hash; computed once, the script never changes.
static CONTENT_SECURITY_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let script = BASE64_STANDARD.encode(Sha256::digest(BEFORE_BUNDLE.as_bytes()));
    let policy = format!(
        "default-src 'self'; script-src 'self' 'sha256-{script}'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
    );
    // Base64 and the fixed text are visible ASCII, always a valid header value.
    HeaderValue::try_from(policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
});

pub(crate) async fn document(State(gateway): State<Gateway>, docs: Shared) -> Response {
    if let Err(error) = ensure_api_enabled(&gateway) {
        return error.into_response();
    }
    let mount = Mount {
        prefix: &docs.prefix,
        public_url: docs.public_url.as_deref(),
        max_tokens_ceiling: gateway.config().max_tokens_ceiling,
    };
    Json(openapi::document(
        &gateway.snapshot(),
        &gateway.catalog().current(),
        mount,
    ))
    .into_response()
}

/// The page's query: the console frames the docs with its own colour scheme, so that the frame
/// matches the page around it whatever the deployment's default.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct PageQuery {
    theme: Option<Theme>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Theme {
    Light,
    Dark,
}

/// What the Scalar bundle is configured with. Scalar's defaults would fetch fonts, report usage
/// and offer its hosted services (AI chat, MCP, SDK generation); a self-hosted page talks to this
/// server only.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ScalarConfiguration {
    url: String,
    dark_mode: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    force_dark_mode_state: Option<Theme>,
    hide_dark_mode_toggle: bool,
    with_default_fonts: bool,
    telemetry: bool,
    show_developer_tools: &'static str,
    agent: Disabled,
    mcp: Disabled,
}

#[derive(Debug, serde::Serialize)]
struct Disabled {
    disabled: bool,
}

pub(crate) async fn page(
    State(gateway): State<Gateway>,
    docs: Shared,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    // The theme is the only field that can fail to parse.
    let Ok(Query(query)) = query else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "theme: must be `light` or `dark` when given.",
        )
        .into_response();
    };
    if let Err(error) = ensure_api_enabled(&gateway) {
        return error.into_response();
    }
    if !docs.site_root.join(SCALAR_BUNDLE).is_file() {
        tracing::error!(
            bundle = %docs.site_root.join(SCALAR_BUNDLE).display(),
            "the API docs bundle is missing; build the site with `make build`"
        );
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The API docs are not installed on this server.",
        )
        .into_response();
    }
    let dark = query
        .theme
        .map_or(docs.config.dark_mode, |theme| theme == Theme::Dark);
    let configuration = ScalarConfiguration {
        url: format!("{}/openapi.json", docs.prefix),
        dark_mode: dark,
        // Inside the console the console's toggle decides; Scalar's own would disagree with it.
        force_dark_mode_state: query.theme,
        hide_dark_mode_toggle: query.theme.is_some(),
        with_default_fonts: false,
        telemetry: false,
        show_developer_tools: "never",
        agent: Disabled { disabled: true },
        mcp: Disabled { disabled: true },
    };
    let configuration = match serde_json::to_string(&configuration) {
        Ok(json) => json,
        Err(error) => {
            tracing::error!(%error, "the API docs configuration could not be written");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The API docs page failed.",
            )
            .into_response();
        }
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>AI Gateway API</title>\n<link rel=\"icon\" href=\"/favicon.svg\">\n<style>body {{ margin: 0 }}</style>\n</head>\n<body>\n\
         <script>{BEFORE_BUNDLE}</script>\n\
         <script id=\"api-reference\" data-configuration='{}'></script>\n\
         <script src=\"/{SCALAR_BUNDLE}\"></script>\n</body>\n</html>\n",
        attribute_safe(&configuration),
    );
    let mut response = Html(html).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY.clone(),
    );
    response
}

/// JSON that stays JSON inside a single-quoted HTML attribute.
fn attribute_safe(json: &str) -> String {
    json.replace('&', "\\u0026")
        .replace('<', "\\u003C")
        .replace('>', "\\u003E")
        .replace('\'', "\\u0027")
}

pub(crate) type Shared = axum::Extension<Arc<Docs>>;

/// Asks for the configured Basic credentials before either route runs. Presented credentials
/// go through the console's sign-in throttle (the docs user is the account), so guessing the
/// password is as slow as guessing an admin's.
pub(crate) async fn require_credentials(
    State(gateway): State<Gateway>,
    docs: Shared,
    request: Request,
    next: Next,
) -> Response {
    let Some(auth) = &docs.config.auth else {
        return next.run(request).await;
    };
    let Some(right) = presents(auth, &request) else {
        return challenge();
    };
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    match gateway.check_credentials(&auth.user, right, client).await {
        Ok(()) => next.run(request).await,
        Err(LoginError::InvalidCredentials) => challenge(),
        Err(refused) => ApiError::from(refused).into_response(),
    }
}

fn challenge() -> Response {
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "The API docs need a password.").into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"AI Gateway API docs\", charset=\"UTF-8\""),
    );
    response
}

/// Whether the request's Basic credentials are the configured ones; `None` when it presents
/// none (a browser's first request), which is not an attempt.
fn presents(auth: &DocsAuth, request: &Request) -> Option<bool> {
    let encoded = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))?;
    let expected = BASE64_STANDARD.encode(format!("{}:{}", auth.user, auth.password.expose()));
    Some(same_secret(encoded.trim(), &expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_cannot_break_out_of_its_attribute() {
        let safe = attribute_safe(r#"{"a":"</script><b x='1'>&"}"#);
        assert!(!safe.contains(['<', '>', '\'', '&']));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["a"], "</script><b x='1'>&");
    }
}
