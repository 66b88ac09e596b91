//! The layers around the console and its server functions: database-backed sessions in an
//! HttpOnly cookie, the CSRF check on state-changing requests, and the redirect of signed-out
//! page loads to `/login`. The public API (`/api/ai/…`, `/v1`) never passes through here.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use gateway::Gateway;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::FromServerFnError;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use crate::config::Config;
use crate::error::ApiError;

pub(crate) const SESSION_COOKIE: &str = "ai_gateway_session";
const LOGIN_PATH: &str = "/login";

/// Sessions stored in the database, so that every node of a deployment knows them and a restart
/// signs nobody out. The cookie is `Secure` when the deployment is reached over https.
pub(crate) fn session_layer(
    gateway: &Gateway,
    config: &Config,
) -> SessionManagerLayer<gateway::accounts::DatabaseSessions> {
    let idle = tower_sessions::cookie::time::Duration::try_from(config.session_idle_timeout)
        .unwrap_or(tower_sessions::cookie::time::Duration::hours(12));
    SessionManagerLayer::new(gateway.sessions())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(is_https(config.public_url.as_deref()))
        .with_expiry(Expiry::OnInactivity(idle))
        // Saving on every request is what slides the inactivity expiry forward.
        .with_always_save(true)
}

fn is_https(public_url: Option<&str>) -> bool {
    public_url.is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"))
}

/// The origins a state-changing console request may come from besides the request's own host:
/// the public URL's, for proxies that rewrite `Host`.
#[derive(Debug, Clone)]
pub(crate) struct TrustedOrigins(Arc<Option<String>>);

impl TrustedOrigins {
    pub(crate) fn new(config: &Config) -> Self {
        Self(Arc::new(config.public_url.as_deref().and_then(origin_of)))
    }
}

/// `scheme://authority` of a URL, lower-cased; `None` when it is not an absolute http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let uri: Uri = url.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?.as_str().to_ascii_lowercase();
    Some(format!("{scheme}://{authority}"))
}

/// Refuses a non-GET/HEAD request whose `Origin` (or, without one, `Referer`) is not this site:
/// a SameSite=Lax cookie already stays home on cross-site POSTs in modern browsers, and this
/// holds for every browser and for same-site sibling hosts too.
pub(crate) async fn reject_cross_origin(
    State(trusted): State<TrustedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || same_origin(request.headers(), &trusted)
    {
        return next.run(request).await;
    }
    (
        StatusCode::FORBIDDEN,
        "Cross-site request refused: this console only accepts changes made from its own pages.",
    )
        .into_response()
}

fn same_origin(headers: &HeaderMap, trusted: &TrustedOrigins) -> bool {
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(origin_of);
    let Some(claimed) = claimed else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let claimed_authority = claimed.split_once("://").map(|(_, authority)| authority);
    host.is_some_and(|host| claimed_authority == Some(host.as_str()))
        || trusted.0.as_deref() == Some(claimed.as_str())
}

/// What the sign-in guard needs: the core, and the paths of the server functions, which answer
/// 401 rather than a redirect (and also guard themselves with `app::auth::require_admin`).
#[derive(Clone)]
pub(crate) struct Guard {
    pub gateway: Gateway,
    pub server_fns: Arc<HashSet<&'static str>>,
}

impl Guard {
    pub(crate) fn new(gateway: Gateway) -> Self {
        let server_fns = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .collect();
        Self {
            gateway,
            server_fns: Arc::new(server_fns),
        }
    }
}

/// Sends a signed-out page load to `/login?next=<where it wanted to go>`, and refuses a
/// signed-out server function call with 401.
pub(crate) async fn require_sign_in(
    State(guard): State<Guard>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let server_fn = guard.server_fns.contains(path);
    if path == LOGIN_PATH || path == <app::auth::Login as ServerFn>::PATH {
        return next.run(request).await;
    }
    let signed_in = match request.extensions().get::<Session>() {
        Some(session) => match gateway::accounts::signed_in(guard.gateway.store(), session).await {
            Ok(admin) => admin.is_some(),
            Err(e) => {
                tracing::error!(error = %e, "reading the console session failed");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error; the details are in the server log.",
                )
                    .into_response();
            }
        },
        None => false,
    };
    if signed_in {
        return next.run(request).await;
    }
    if server_fn {
        // Refused before the arguments are even read (each function checks again itself), in
        // the encoding the console's client decodes its errors from.
        let error = leptos::prelude::ServerFnError::new(app::auth::SIGN_IN_REQUIRED);
        return (StatusCode::UNAUTHORIZED, FromServerFnError::ser(&error)).into_response();
    }
    let wanted = request.uri().path_and_query().map_or("/", |p| p.as_str());
    Redirect::to(&format!("{LOGIN_PATH}?next={}", encode_component(wanted))).into_response()
}

/// The signed-in admin of a console request that is neither a page nor a server function (a
/// download, an event stream): such requests answer 401 themselves rather than redirecting.
pub(crate) struct SignedIn(pub gateway::types::Admin);

impl<S> FromRequestParts<S> for SignedIn
where
    S: Send + Sync,
    Gateway: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let gateway = Gateway::from_ref(state);
        let session = parts.extensions.get::<Session>().cloned();
        let admin = match session {
            Some(session) => gateway::accounts::signed_in(gateway.store(), &session).await?,
            None => None,
        };
        admin
            .map(Self)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, app::auth::SIGN_IN_REQUIRED))
    }
}

/// Percent-encodes everything but unreserved characters and `/`, enough for a query value.
fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_str(value).unwrap()))
            .collect()
    }

    #[test]
    fn only_this_sites_origin_may_change_things() {
        let none = TrustedOrigins(Arc::new(None));
        let host = (header::HOST, "127.0.0.1:3000");
        assert!(same_origin(
            &headers(&[host.clone(), (header::ORIGIN, "http://127.0.0.1:3000")]),
            &none
        ));
        assert!(same_origin(
            &headers(&[
                host.clone(),
                (header::REFERER, "http://127.0.0.1:3000/login?next=/")
            ]),
            &none
        ));
        for (name, value) in [
            (header::ORIGIN, "https://evil.example"),
            (header::ORIGIN, "null"),
            (header::REFERER, "http://127.0.0.1:3000.evil.example/"),
        ] {
            assert!(
                !same_origin(&headers(&[host.clone(), (name, value)]), &none),
                "{value}"
            );
        }
        assert!(!same_origin(&headers(std::slice::from_ref(&host)), &none));

        let proxied = TrustedOrigins(Arc::new(origin_of("https://Gateway.example.com/")));
        assert!(same_origin(
            &headers(&[host, (header::ORIGIN, "https://gateway.example.com")]),
            &proxied
        ));
    }

    #[test]
    fn the_cookie_is_secure_only_behind_https() {
        assert!(is_https(Some("https://gateway.example.com")));
        assert!(!is_https(Some("http://localhost:3000")));
        assert!(!is_https(None));
    }

    #[test]
    fn the_wanted_page_survives_the_trip_through_login() {
        assert_eq!(encode_component("/a b?x=1&y=2"), "/a%20b%3Fx%3D1%26y%3D2");
    }
}
