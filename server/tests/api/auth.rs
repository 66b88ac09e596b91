//! Console sign-in over real HTTP: the session cookie, refusals and throttling, logout, the
//! guard on every server function and every page, the CSRF check, and the first admin.

use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, session_cookie, set_cookie, spawn_app, spawn_app_with,
};

async fn current_admin(app: &TestApp, cookie: Option<&str>) -> reqwest::Response {
    app.server_fn(app::auth::CurrentAdmin::PATH, cookie, &[])
        .await
}

#[tokio::test]
async fn signing_in_sets_an_http_only_same_site_lax_cookie_that_identifies_the_admin() {
    let app = spawn_app().await;

    let response = app.login_as(" Admin@Example.com ", ADMIN_PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let line = set_cookie(&response).unwrap();
    assert!(line.contains("HttpOnly"), "{line}");
    assert!(line.contains("SameSite=Lax"), "{line}");
    assert!(!line.contains("Secure"), "plain http test server: {line}");
    let cookie = session_cookie(&response).unwrap();
    let me = current_admin(&app, Some(&cookie)).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert!(me.text().await.unwrap().contains(ADMIN_EMAIL));
    app.shutdown().await;
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_public_url_is_https() {
    let app = spawn_app_with(gateway::test_support::TestDatabase::sqlite(), |config| {
        config.public_url = Some("https://gateway.example.com".to_owned());
    })
    .await;

    // Signed in from the public https page, as the browser behind the proxy does.
    let response = login_from(&app, "https://gateway.example.com").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie(&response).unwrap().contains("Secure"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_readable_401_and_no_session() {
    let app = spawn_app().await;

    let response = app.login_as(ADMIN_EMAIL, "not the password at all").await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&response).is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Wrong email or password.")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_a_retry_time() {
    let app = spawn_app().await;
    for _ in 0..gateway::accounts::MAX_FAILURES {
        let refused = app.login_as(ADMIN_EMAIL, "not the password at all").await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }

    let locked = app.login_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    let message = locked.text().await.unwrap();
    assert!(message.contains("Try again in 15 minute(s)."), "{message}");
    app.shutdown().await;
}

#[tokio::test]
async fn repeated_failures_from_one_address_lock_that_address_for_every_account() {
    let app = spawn_app().await;
    for n in 0..gateway::accounts::MAX_FAILURES_PER_ADDRESS {
        let refused = app
            .login_as(&format!("guess{n}@example.com"), ADMIN_PASSWORD)
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }

    let locked = app.login_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key("retry-after"));
    app.shutdown().await;
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;

    let out = app
        .server_fn(app::auth::Logout::PATH, Some(&cookie), &[])
        .await;

    assert_eq!(out.status(), StatusCode::OK);
    let after = current_admin(&app, Some(&cookie)).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let page = app.get_signed_in("/", &cookie).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    app.shutdown().await;
}

#[tokio::test]
async fn every_server_function_but_login_refuses_a_request_without_a_session() {
    let app = spawn_app().await;
    let paths: Vec<(&str, reqwest::Method)> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(
        paths.len() >= 4,
        "server functions not registered: {paths:?}"
    );

    for (path, method) in paths {
        if path == app::auth::Login::PATH {
            continue;
        }
        let response = app
            .client
            .request(method.clone(), format!("{}{path}", app.address))
            .header("origin", &app.address)
            .header("cookie", "ai_gateway_session=forged")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path} answered without a session"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains(app::auth::SIGN_IN_REQUIRED)
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_signed_out_page_load_is_sent_to_login_and_comes_back_after() {
    let app = spawn_app().await;

    let response = app.get("/?tab=status").await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/login?next=/%3Ftab%3Dstatus"
    );
    let login = app.get("/login?next=/").await;
    assert_eq!(login.status(), StatusCode::OK);
    assert!(
        login
            .text()
            .await
            .unwrap()
            .contains("Sign in to AI Gateway")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_cross_origin_post_to_the_console_is_refused_but_the_public_api_is_not_affected() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;
    let url = format!("{}{}", app.address, app::auth::Logout::PATH);

    let foreign = app
        .client
        .post(&url)
        .header("origin", "https://evil.example")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let anonymous = app
        .client
        .post(&url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let api = app
        .client
        .post(format!("{}/v1/chat/completions", app.address))
        .header("origin", "https://evil.example")
        .json(&serde_json::json!({"model": "x", "messages": []}))
        .send()
        .await
        .unwrap();

    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert!(
        foreign
            .text()
            .await
            .unwrap()
            .contains("Cross-site request refused")
    );
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    // The refused requests changed nothing: the session still works.
    assert_eq!(
        current_admin(&app, Some(&cookie)).await.status(),
        StatusCode::OK
    );
    app.shutdown().await;
}

/// Signs in as the test admin from a page of the given origin.
async fn login_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .post(format!("{}{}", app.address, app::auth::Login::PATH))
        .header("origin", origin)
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap()
}

/// The status of a sign-in from `origin`: what the CSRF check let through or refused.
async fn login_status_from(app: &TestApp, origin: &str) -> StatusCode {
    login_from(app, origin).await.status()
}

#[tokio::test]
async fn the_csrf_check_compares_scheme_host_and_port() {
    let plain = spawn_app().await;
    let authority = plain.address.trim_start_matches("http://").to_owned();
    let port: u16 = authority.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(
        login_status_from(&plain, &plain.address).await,
        StatusCode::OK
    );
    for other in [
        format!("https://{authority}"),
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        format!("http://localhost:{port}"),
    ] {
        assert_eq!(
            login_status_from(&plain, &other).await,
            StatusCode::FORBIDDEN,
            "{other}"
        );
    }
    plain.shutdown().await;

    // Behind a TLS-terminating proxy: the browser's page is https, the server hears plain HTTP.
    let proxied = spawn_app_with(gateway::test_support::TestDatabase::sqlite(), |config| {
        config.public_url = Some("https://gateway.example".to_owned());
    })
    .await;
    let authority = proxied.address.trim_start_matches("http://").to_owned();
    assert_eq!(
        login_status_from(&proxied, &format!("https://{authority}")).await,
        StatusCode::OK
    );
    assert_eq!(
        login_status_from(&proxied, "https://gateway.example").await,
        StatusCode::OK
    );
    for other in [
        format!("http://{authority}"),
        "http://gateway.example".to_owned(),
        "https://gateway.example:8443".to_owned(),
    ] {
        assert_eq!(
            login_status_from(&proxied, &other).await,
            StatusCode::FORBIDDEN,
            "{other}"
        );
    }
    proxied.shutdown().await;
}

#[tokio::test]
async fn without_configured_credentials_the_first_admin_is_admin_at_localhost() {
    let app = spawn_app_with(gateway::test_support::TestDatabase::sqlite(), |config| {
        config.bootstrap_admin = Default::default();
    })
    .await;

    assert_eq!(app.gateway.count_admins().await.unwrap(), 1);
    let refused = app.login_as("admin@localhost", ADMIN_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    app.shutdown().await;
}
