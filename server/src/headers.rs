//! The security headers of every response, and the console's Content-Security-Policy: the same
//! policy everywhere, with the nonce of the page's own inline script added on rendered pages.
//! The API docs page sets a policy of its own (the Scalar bundle needs inline styles) and keeps it.

use axum::Router;
use axum::http::{HeaderValue, header};
use leptos::prelude::use_context;
use tower_http::set_header::SetResponseHeaderLayer;

/// Only this server's scripts, styles, images, fonts, frames and endpoints; compiling the wasm
/// needs `'wasm-unsafe-eval'`. No inline script or style runs: a rendered page adds the nonce of
/// the one inline script Leptos emits (the module that loads the wasm, and its streamed chunks),
/// and components style with classes, never `style=` attributes.
const POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/// The policy a page rendered with this nonce is served under.
fn page_policy(nonce: &str) -> String {
    POLICY.replacen(
        "script-src 'self' 'wasm-unsafe-eval'",
        &format!("script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'"),
        1,
    )
}

/// Called while a console page is set up for rendering (pages, the 404 page): puts the policy with
/// the nonce Leptos generated for this render on the response. Server functions and files have no
/// nonce and keep the plain policy the layer adds.
pub(crate) fn allow_page_script() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(policy) = HeaderValue::try_from(page_policy(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, policy);
    }
}

/// Adds the headers to every response of `router`: the policy, unless the handler set its own,
/// and the framing, sniffing and referrer rules.
pub(crate) fn secure<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(POLICY),
        ))
        // For browsers that predate `frame-ancestors`.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Console addresses carry ids and searches: nothing of them leaves this site.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_adds_its_nonce_to_the_scripts_only() {
        let policy = page_policy("abc123");
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc123';"),
            "{policy}"
        );
        assert_eq!(policy.matches("nonce-").count(), 1, "{policy}");
        assert!(!POLICY.contains("unsafe-inline"));
    }
}
