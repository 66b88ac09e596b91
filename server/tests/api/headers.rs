//! The security headers: every console response (pages, the 404 page, server functions, files)
//! carries the Content-Security-Policy and the framing and sniffing rules; a rendered page's
//! policy names the nonce its inline script carries; the public API gets nosniff and the
//! referrer rule.

use gateway::test_support::TestDatabase;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::helpers::{spawn_app, spawn_app_with};

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Asserts the rules every console response carries, and returns its policy.
fn assert_console_headers(what: &str, headers: &HeaderMap) -> String {
    let policy = header(headers, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self';",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ] {
        assert!(
            policy.contains(directive),
            "{what}: {directive} missing from {policy}"
        );
    }
    assert!(!policy.contains("unsafe-inline"), "{what}: {policy}");
    assert_eq!(header(headers, "x-frame-options"), "SAMEORIGIN", "{what}");
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(headers, "referrer-policy"), "same-origin", "{what}");
    policy
}

/// The nonce a policy allows scripts by.
fn nonce_of(policy: &str) -> &str {
    let start = policy.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    let end = start + policy[start..].find('\'').unwrap();
    &policy[start..end]
}

#[tokio::test]
async fn a_rendered_page_allows_exactly_the_inline_script_it_carries() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;

    for (what, response) in [
        ("login page", app.get("/login").await),
        ("overview", app.get_signed_in("/", &cookie).await),
        (
            "404 page",
            app.get_signed_in("/no/such/page", &cookie).await,
        ),
    ] {
        let policy = assert_console_headers(what, response.headers());
        let nonce = nonce_of(&policy).to_owned();
        assert!(nonce.len() >= 16, "{what}: {policy}");
        let html = response.text().await.unwrap();
        let inline_scripts = html.matches("<script").count();
        let with_nonce = html
            .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
            .count()
            + html.matches(&format!("<script nonce=\"{nonce}\"")).count();
        assert!(inline_scripts > 0, "{what}: {html}");
        assert_eq!(
            inline_scripts, with_nonce,
            "{what}: a script without the nonce in {html}"
        );
    }
    // Every render gets a nonce of its own.
    let first = header(app.get("/login").await.headers(), "content-security-policy");
    let second = header(app.get("/login").await.headers(), "content-security-policy");
    assert_ne!(nonce_of(&first), nonce_of(&second));
    app.shutdown().await;
}

#[tokio::test]
async fn server_functions_redirects_and_files_carry_the_console_headers() {
    let site = std::env::temp_dir().join(format!("site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(
        site.join("favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    let app = spawn_app_with(TestDatabase::sqlite(), |c| c.site_root = site.clone()).await;
    let cookie = app.sign_in().await;

    let server_fn = app
        .server_fn(app::auth::CurrentAdmin::PATH, Some(&cookie), &[])
        .await;
    assert_eq!(server_fn.status(), StatusCode::OK);
    let refused = app
        .server_fn(app::auth::CurrentAdmin::PATH, None, &[])
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let redirect = app.get("/integrations").await;
    assert!(redirect.status().is_redirection());
    let file = app.get("/favicon.svg").await;
    assert_eq!(file.status(), StatusCode::OK);

    for (what, response) in [
        ("server function", &server_fn),
        ("refused server function", &refused),
        ("sign-in redirect", &redirect),
        ("static file", &file),
    ] {
        let policy = assert_console_headers(what, response.headers());
        assert!(!policy.contains("nonce-"), "{what}: {policy}");
    }
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test]
async fn the_public_api_gets_nosniff_and_the_referrer_rule() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/chat/completions",
            None,
            serde_json::json!({"model": "x"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(response.headers(), "x-content-type-options"),
        "nosniff"
    );
    assert_eq!(header(response.headers(), "referrer-policy"), "same-origin");
    let health = app.get("/healthz").await;
    assert_eq!(
        header(health.headers(), "x-content-type-options"),
        "nosniff"
    );
    app.shutdown().await;
}
