//! The console is rendered on the server: its HTML carries the content before any script runs.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_overview_is_server_rendered_with_its_hydration_scripts() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;
    let response = app.get_signed_in("/", &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("AI Gateway"), "{html}");
    assert!(html.contains("Last 24 hours"), "{html}");
    assert!(html.contains("database reachable"), "{html}");
    assert!(
        html.contains("/pkg/ai-gateway.js"),
        "hydration script missing: {html}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_unknown_console_path_gets_a_404_page() {
    let app = spawn_app().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
    app.shutdown().await;
}

/// Every page path the console declares, its parameters filled in.
fn page_paths() -> Vec<String> {
    leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|route| {
            route
                .path()
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        "1"
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

/// Counts the panics of this process from now on, on any thread, still printing them as before:
/// a panic inside a handler may be answered by a task that survives it, so an answer alone
/// does not prove there was none.
fn count_panics() -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counted.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
    count
}

#[tokio::test]
async fn every_console_path_with_or_without_a_trailing_slash_answers_without_a_server_error() {
    let panics = count_panics();
    let app = spawn_app().await;
    let cookie = app.sign_in().await;
    let pages = page_paths();
    assert!(pages.contains(&"/integrations/1".to_owned()), "{pages:?}");
    // The overview is `/` itself; its variants are the extra ones below.
    let mut slashed: Vec<String> = pages
        .iter()
        .map(|page| page.trim_end_matches('/'))
        .filter(|page| !page.is_empty())
        .flat_map(|page| {
            [
                format!("{page}/"),
                format!("{page}//"),
                format!("{page}/no-such-page/"),
                format!("{page}/?next=/"),
            ]
        })
        .collect();
    slashed.extend(
        [
            "//",
            "/no-such-page/",
            "/pkg/",
            "/console/invocations.csv/",
            "/console/test-run/",
        ]
        .map(str::to_owned),
    );
    // Without a trailing slash an unknown sub-path may still name a page (`/integrations/{id}`).
    let unknown: Vec<String> = pages
        .iter()
        .map(|page| format!("{}/no-such-page", page.trim_end_matches('/')))
        .chain(["/pkg".to_owned()])
        .collect();

    for signed_in in [None, Some(cookie.as_str())] {
        for (path, strict) in slashed
            .iter()
            .map(|path| (path, true))
            .chain(unknown.iter().map(|path| (path, false)))
        {
            let mut request = app.client.get(format!("{}{path}", app.address));
            if let Some(cookie) = signed_in {
                request = request.header("cookie", cookie);
            }
            let response = request.send().await.expect("the server answers");
            let status = response.status();
            let expected = if strict {
                status.is_redirection()
                    || status == StatusCode::UNAUTHORIZED
                    || status == StatusCode::NOT_FOUND
            } else {
                !status.is_server_error()
            };
            assert!(
                expected,
                "GET {path} (signed in: {}) answered {status}",
                signed_in.is_some()
            );
        }
    }
    // Nothing above took the server down, nor panicked on the way.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(
        panics.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a console path panicked (see the output above)"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_page_path_with_a_trailing_slash_redirects_to_the_page() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;

    for (path, canonical) in [
        ("/integrations/", "/integrations"),
        ("/tokens/", "/tokens"),
        ("/settings/", "/settings"),
        ("/integrations/1/", "/integrations/1"),
        (
            "/integrations/1/versions/?page=2",
            "/integrations/1/versions?page=2",
        ),
        ("/login/", "/login"),
    ] {
        for response in [app.get(path).await, app.get_signed_in(path, &cookie).await] {
            assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT, "{path}");
            assert_eq!(response.headers()["location"], canonical, "{path}");
        }
    }
    let page = app.get_signed_in("/integrations", &cookie).await;
    assert_eq!(page.status(), StatusCode::OK);
    app.shutdown().await;
}
