//! Console sign-in over real HTTP: the session cookie, refusals and throttling (also under
//! parallel attempts and from several addresses), logout (also with a request in flight), the
//! guard on every server function and every page, the CSRF check, and the first admin.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use gateway::accounts::{MAX_FAILURES, MAX_FAILURES_PER_ACCOUNT};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, session_cookie, set_cookie, spawn_app, spawn_app_with,
};

const WRONG: &str = "not the password at all";

/// How many responses came with each status.
fn tally(responses: &[reqwest::Response]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for response in responses {
        *counts.entry(response.status().as_u16()).or_default() += 1;
    }
    counts
}

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

crate::on_each_engine!(
    forty_parallel_wrong_sign_ins_leave_even_the_right_password_refused_with_429,
    |app: TestApp| async move {
        let attempts = join_all((0..40).map(|_| app.login_as(ADMIN_EMAIL, WRONG))).await;

        let checked = MAX_FAILURES as usize;
        assert_eq!(
            tally(&attempts),
            BTreeMap::from([(401, checked), (429, 40 - checked)])
        );
        let right = app.login_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(right.headers().contains_key("retry-after"));
        assert!(session_cookie(&right).is_none());
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    a_strangers_failures_elsewhere_do_not_lock_the_admin_out_until_the_account_wide_ceiling,
    |app: TestApp| async move {
        let stranger = [127, 0, 0, 2];
        for _ in 0..MAX_FAILURES {
            let guess = app.login_from(stranger, ADMIN_EMAIL, WRONG).await;
            assert_eq!(guess.status(), StatusCode::UNAUTHORIZED);
        }
        let locked_out = app.login_from(stranger, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(locked_out.status(), StatusCode::TOO_MANY_REQUESTS);

        let owner = app.login_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(owner.status(), StatusCode::OK);

        // More strangers, each within its own address's limit, reach the account's ceiling.
        let mut failures = MAX_FAILURES;
        for host in 3.. {
            if failures == MAX_FAILURES_PER_ACCOUNT {
                break;
            }
            for _ in 0..MAX_FAILURES.min(MAX_FAILURES_PER_ACCOUNT - failures) {
                let guess = app.login_from([127, 0, 0, host], ADMIN_EMAIL, WRONG).await;
                assert_eq!(guess.status(), StatusCode::UNAUTHORIZED);
                failures += 1;
            }
        }
        let owner = app.login_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(owner.status(), StatusCode::TOO_MANY_REQUESTS);
        app.shutdown().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_parallel_sign_ins_get_no_server_error() {
    let app = spawn_app().await;
    // Each from an address of its own and half of them for unknown emails, so that the throttle
    // lets every one through to a password check.
    let attempts = (0..300_u16).map(|n| {
        let app = &app;
        let [high, low] = n.to_be_bytes();
        let source = [127, 1 + high, low, 1];
        async move {
            if n % 2 == 0 {
                app.login_from(source, ADMIN_EMAIL, ADMIN_PASSWORD).await
            } else {
                let email = format!("guess{n}@example.com");
                app.login_from(source, &email, WRONG).await
            }
        }
    });
    let answers = join_all(attempts).await;

    let statuses = tally(&answers);
    assert!(
        statuses
            .keys()
            .all(|status| [200, 401, 429].contains(status)),
        "{statuses:?}"
    );
    assert!(statuses.get(&200).is_some_and(|&n| n > 0), "{statuses:?}");
    assert!(
        answers
            .iter()
            .filter(|a| a.status() == StatusCode::TOO_MANY_REQUESTS)
            .all(|a| a.headers().contains_key("retry-after"))
    );
    app.shutdown().await;
}

crate::on_each_engine!(
    session_ids_are_stored_only_as_hashes,
    |app: TestApp| async move {
        let cookie = app.sign_in().await;
        let id = cookie.split_once('=').unwrap().1;

        let hash = format!("{:x}", Sha256::digest(id.as_bytes()));
        let stored = "select count(*) from ai_sessions where";
        assert_eq!(app.scalar(&format!("{stored} id_hash = '{hash}'")).await, 1);
        assert_eq!(
            app.scalar(&format!("{stored} id_hash = '{id}' or data like '%{id}%'"))
                .await,
            0
        );
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    a_console_request_in_flight_during_sign_out_does_not_bring_the_session_back,
    |app: TestApp| async move {
        let cookie = app.sign_in().await;
        let mut settings = app.gateway.snapshot().settings.clone();
        settings.prompt_builder_model = "simulator/latency-2000".to_owned();
        app.gateway.save_settings(&settings).await.unwrap();

        let slow = app.server_fn(
            app::api::DraftPrompt::PATH,
            Some(&cookie),
            &[("brief", "Summarise a lead"), ("existing", "")],
        );
        let sign_out = async {
            // Well inside the model's two seconds: the slow request has loaded the session.
            tokio::time::sleep(Duration::from_millis(500)).await;
            app.server_fn(app::auth::Logout::PATH, Some(&cookie), &[])
                .await
        };
        let (slow, out) = tokio::join!(slow, sign_out);

        assert_eq!(out.status(), StatusCode::OK);
        assert_eq!(slow.status(), StatusCode::OK);
        let after = current_admin(&app, Some(&cookie)).await;
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
        app.shutdown().await;
    }
);

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
