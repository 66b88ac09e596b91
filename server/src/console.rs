//! The layers around the console and its server functions: database-backed sessions in an
//! HttpOnly cookie, the CSRF check on state-changing requests, the redirect of signed-out page
//! loads to `/login`, and the redirect of a page's path with a trailing slash to the page.
//! The public API (`/api/ai/…`, `/v1`) never passes through here.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use gateway::Gateway;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::FromServerFnError;
use leptos_axum::AxumRouteListing;
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

/// Where a state-changing console request may come from: this server as the browser reaches it,
/// compared by scheme, host and port. The server itself speaks plain HTTP, so the scheme is
/// `http` unless the configured public URL says the deployment is reached over `https` (a
/// TLS-terminating proxy in front); the public URL's own origin is accepted too, for proxies that
/// rewrite `Host`. Forwarded headers (`X-Forwarded-Proto`) are not read: the configuration is the
/// one place that says how the deployment is reached.
#[derive(Debug, Clone)]
pub(crate) struct TrustedOrigins(Arc<SiteOrigins>);

#[derive(Debug)]
struct SiteOrigins {
    scheme: Scheme,
    public: Option<Origin>,
}

impl TrustedOrigins {
    pub(crate) fn new(config: &Config) -> Self {
        let public = config.public_url.as_deref().and_then(Origin::parse);
        let scheme = public.as_ref().map_or(Scheme::Http, |origin| origin.scheme);
        Self(Arc::new(SiteOrigins { scheme, public }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

/// A web origin: scheme, lower-cased host and port, the default port filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: Scheme,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of an absolute http(s) URL; `None` for anything else (`null`, other schemes).
    fn parse(url: &str) -> Option<Self> {
        let uri: Uri = url.trim().parse().ok()?;
        let scheme = match uri.scheme_str()?.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return None,
        };
        Self::at(scheme, uri.authority()?)
    }

    /// The origin of a request that named `authority` in its `Host` and came in over `scheme`.
    fn of_host(scheme: Scheme, host: &str) -> Option<Self> {
        Self::at(scheme, &host.parse().ok()?)
    }

    fn at(scheme: Scheme, authority: &Authority) -> Option<Self> {
        // Credentials in an origin are never sent by a browser; such a claim is not ours.
        if authority.as_str().contains('@') {
            return None;
        }
        Some(Self {
            scheme,
            host: authority.host().to_ascii_lowercase(),
            port: authority
                .port_u16()
                .unwrap_or_else(|| scheme.default_port()),
        })
    }
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
        .and_then(Origin::parse);
    let Some(claimed) = claimed else {
        return false;
    };
    let own = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|host| Origin::of_host(trusted.0.scheme, host));
    own.as_ref() == Some(&claimed) || trusted.0.public.as_ref() == Some(&claimed)
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

/// A permanent redirect from every console page's path with a trailing slash to the page:
/// `/integrations/` is `/integrations`, guard and all, rather than a path no route knows.
pub(crate) fn trailing_slash_redirects<S>(pages: &[AxumRouteListing]) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let slashed: BTreeSet<String> = pages
        .iter()
        .map(AxumRouteListing::path)
        .filter(|path| !path.is_empty() && *path != "/")
        .map(|path| format!("{path}/"))
        .collect();
    slashed.iter().fold(Router::new(), |router, path| {
        router.route(path, get(to_canonical_path))
    })
}

/// The same address without its trailing slashes; every path routed here starts with a page's
/// own first segment, so the result never becomes `//host`.
async fn to_canonical_path(uri: Uri) -> Redirect {
    let path = uri.path().trim_end_matches('/');
    match uri.query() {
        Some(query) => Redirect::permanent(&format!("{path}?{query}")),
        None => Redirect::permanent(path),
    }
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

    fn site(public_url: Option<&str>) -> TrustedOrigins {
        let public = public_url.and_then(Origin::parse);
        let scheme = public.as_ref().map_or(Scheme::Http, |origin| origin.scheme);
        TrustedOrigins(Arc::new(SiteOrigins { scheme, public }))
    }

    /// Whether a request with `Host: host` and this `Origin` may change things.
    fn allowed(site: &TrustedOrigins, host: &str, origin: &str) -> bool {
        same_origin(
            &headers(&[(header::HOST, host), (header::ORIGIN, origin)]),
            site,
        )
    }

    #[test]
    fn only_this_sites_origin_may_change_things() {
        let plain = site(None);
        let host = (header::HOST, "127.0.0.1:3000");
        assert!(allowed(&plain, "127.0.0.1:3000", "http://127.0.0.1:3000"));
        assert!(same_origin(
            &headers(&[
                host.clone(),
                (header::REFERER, "http://127.0.0.1:3000/login?next=/")
            ]),
            &plain
        ));
        for (name, value) in [
            (header::ORIGIN, "https://evil.example"),
            (header::ORIGIN, "null"),
            (header::REFERER, "http://127.0.0.1:3000.evil.example/"),
        ] {
            assert!(
                !same_origin(&headers(&[host.clone(), (name, value)]), &plain),
                "{value}"
            );
        }
        assert!(!same_origin(&headers(std::slice::from_ref(&host)), &plain));
    }

    #[test]
    fn the_scheme_and_port_count_not_only_the_host() {
        let plain = site(None);
        // The server speaks plain HTTP: an https page on the same host is another origin.
        assert!(!allowed(&plain, "127.0.0.1:3000", "https://127.0.0.1:3000"));
        assert!(!allowed(&plain, "127.0.0.1:3000", "http://127.0.0.1:3001"));
        assert!(!allowed(&plain, "127.0.0.1:3000", "http://127.0.0.1"));
        assert!(!allowed(&plain, "127.0.0.1:3000", "ftp://127.0.0.1:3000"));
        assert!(!allowed(
            &plain,
            "127.0.0.1:3000",
            "http://user@127.0.0.1:3000"
        ));
        // Default ports are the same origin written either way.
        assert!(allowed(
            &plain,
            "gateway.example",
            "http://gateway.example:80"
        ));
        assert!(allowed(
            &plain,
            "gateway.example:80",
            "HTTP://Gateway.Example"
        ));

        // Behind a TLS-terminating proxy the public URL says https: plain http is refused.
        let behind_tls = site(Some("https://gateway.example"));
        assert!(allowed(
            &behind_tls,
            "gateway.example",
            "https://gateway.example"
        ));
        assert!(allowed(
            &behind_tls,
            "gateway.example:443",
            "https://gateway.example"
        ));
        assert!(!allowed(
            &behind_tls,
            "gateway.example",
            "http://gateway.example"
        ));
        assert!(!allowed(
            &behind_tls,
            "gateway.example",
            "https://gateway.example:8443"
        ));
    }

    #[test]
    fn the_public_origin_is_accepted_when_a_proxy_rewrites_host() {
        let proxied = site(Some("https://Gateway.example.com/"));
        assert!(allowed(
            &proxied,
            "10.0.0.5:3000",
            "https://gateway.example.com"
        ));
        assert!(!allowed(
            &proxied,
            "10.0.0.5:3000",
            "http://gateway.example.com"
        ));
        assert!(!allowed(&proxied, "10.0.0.5:3000", "http://10.0.0.5:3000"));
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
