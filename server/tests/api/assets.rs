//! The site's files as browsers fetch them: hashed names in the pages, the precompressed variant
//! the client accepts, cache lifetimes and media types. Each test serves a small site of its own,
//! laid out as `cargo leptos build --release --precompress` leaves one, so that the tests do not
//! depend on a build of the real site.

use std::path::{Path, PathBuf};

use gateway::test_support::TestDatabase;
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app_with};

/// Hashes as cargo-leptos writes them: 22 characters of base64url.
const JS_HASH: &str = "Js0123456789abcdefghij";
const WASM_HASH: &str = "Wasm456789abcdefghij-_";
const CSS_HASH: &str = "Css3456789abcdefghijkl";
const DTS_HASH: &str = "Dts3456789abcdefghijkl";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn js() -> String {
    format!("/pkg/ai-gateway.{JS_HASH}.js")
}
fn wasm() -> String {
    format!("/pkg/ai-gateway.{WASM_HASH}.wasm")
}
fn css() -> String {
    format!("/pkg/ai-gateway.{CSS_HASH}.css")
}

/// Stands in for the wasm: each variant distinct, so a test can tell which one was sent.
const WASM: &[u8] = b"\0asm identity bytes, the largest file of the site";
const WASM_BR: &[u8] = b"brotli variant";
const WASM_GZ: &[u8] = b"gzip variant, larger than brotli";

/// A built site in a folder of its own: with cargo-leptos's hash file when `hashed`, the
/// precompressed variants of the wasm, js and Scalar bundle (none for the css, as after a build
/// without the precompression step), wasm-bindgen's type declarations, a source map.
fn site(hashed: bool) -> PathBuf {
    let root = std::env::temp_dir().join(format!("ai-gateway-site-{}", uuid::Uuid::new_v4()));
    let name = |hash: &str, extension: &str| match hashed {
        true => format!("pkg/ai-gateway.{hash}.{extension}"),
        false => format!("pkg/ai-gateway.{extension}"),
    };
    let files: Vec<(String, &[u8])> = vec![
        (name(WASM_HASH, "wasm"), WASM),
        (format!("{}.br", name(WASM_HASH, "wasm")), WASM_BR),
        (format!("{}.gz", name(WASM_HASH, "wasm")), WASM_GZ),
        (name(JS_HASH, "js"), b"export default function init() {}"),
        (format!("{}.br", name(JS_HASH, "js")), b"js brotli"),
        (name(CSS_HASH, "css"), b"body { margin: 0 }"),
        (
            format!("pkg/ai-gateway.d.{DTS_HASH}.ts"),
            b"export default function init(): void;",
        ),
        ("pkg/ai-gateway.js.map".to_owned(), b"{\"version\":3}"),
        (
            "favicon.svg".to_owned(),
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
        ("vendor/scalar/api-reference.js".to_owned(), b"/* bundle */"),
        (
            "vendor/scalar/api-reference.js.br".to_owned(),
            b"bundle brotli",
        ),
    ];
    for (path, content) in files {
        write(&root, &path, content);
    }
    if hashed {
        let hashes = format!("js: {JS_HASH}\nwasm: {WASM_HASH}\ncss: {CSS_HASH}\n");
        write(&root, "hash.txt", hashes.as_bytes());
    }
    root
}

fn write(root: &Path, path: &str, content: &[u8]) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

async fn serve(site: &Path) -> TestApp {
    let site = site.to_owned();
    spawn_app_with(TestDatabase::sqlite(), move |c| c.site_root = site).await
}

async fn fetch(app: &TestApp, path: &str, accept_encoding: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(accepted) = accept_encoding {
        request = request.header("accept-encoding", accepted);
    }
    request.send().await.unwrap()
}

fn header<'r>(response: &'r reqwest::Response, name: &str) -> Option<&'r str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn pages_name_the_hashed_files_and_are_revalidated() {
    let site = site(true);
    let app = serve(&site).await;
    let cookie = app.sign_in().await;
    for response in [
        app.get("/login").await,
        app.get_signed_in("/", &cookie).await,
    ] {
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-cache, private")
        );
        let html = response.text().await.unwrap();
        for tag in [
            format!(r#"<link rel="modulepreload" href="{}""#, js()),
            format!(r#"<link rel="preload" href="{}""#, wasm()),
            format!(r#"<link id="leptos" rel="stylesheet" href="{}""#, css()),
            format!(r#""pkg", "ai-gateway.{JS_HASH}", "ai-gateway.{WASM_HASH}""#),
        ] {
            assert!(html.contains(&tag), "{tag} missing from {html}");
        }
    }
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test]
async fn the_wasm_goes_out_in_the_accepted_encoding_and_is_cached_for_good() {
    let site = site(true);
    let app = serve(&site).await;
    for (accepted, encoding, body) in [
        (Some("gzip, deflate, br, zstd"), Some("br"), WASM_BR),
        (Some("gzip"), Some("gzip"), WASM_GZ),
        (Some("br;q=0, gzip"), Some("gzip"), WASM_GZ),
        (None, None, WASM),
    ] {
        let response = fetch(&app, &wasm(), accepted).await;
        assert_eq!(response.status(), StatusCode::OK, "{accepted:?}");
        assert_eq!(
            header(&response, "content-encoding"),
            encoding,
            "{accepted:?}"
        );
        assert_eq!(header(&response, "content-type"), Some("application/wasm"));
        assert_eq!(header(&response, "cache-control"), Some(IMMUTABLE));
        assert_eq!(header(&response, "vary"), Some("accept-encoding"));
        assert_eq!(&response.bytes().await.unwrap()[..], body, "{accepted:?}");
    }
    let js = fetch(&app, &js(), Some("br")).await;
    assert_eq!(header(&js, "content-encoding"), Some("br"));
    assert_eq!(header(&js, "content-type"), Some("text/javascript"));
    assert_eq!(header(&js, "cache-control"), Some(IMMUTABLE));
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test]
async fn a_file_without_a_precompressed_variant_goes_out_as_it_is() {
    let site = site(true);
    let app = serve(&site).await;
    let response = fetch(&app, &css(), Some("gzip, br")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-encoding"), None);
    assert_eq!(header(&response, "content-type"), Some("text/css"));
    assert_eq!(header(&response, "cache-control"), Some(IMMUTABLE));
    assert_eq!(response.text().await.unwrap(), "body { margin: 0 }");
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test]
async fn every_file_has_its_own_media_type() {
    let site = site(true);
    let app = serve(&site).await;
    for (path, media_type) in [
        (wasm(), "application/wasm"),
        (js(), "text/javascript"),
        (css(), "text/css"),
        (
            format!("/pkg/ai-gateway.d.{DTS_HASH}.ts"),
            "text/plain; charset=utf-8",
        ),
        ("/pkg/ai-gateway.js.map".to_owned(), "application/json"),
        ("/favicon.svg".to_owned(), "image/svg+xml"),
        (
            "/vendor/scalar/api-reference.js".to_owned(),
            "text/javascript",
        ),
    ] {
        let response = fetch(&app, &path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            Some(media_type),
            "{path}"
        );
    }
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test]
async fn files_without_a_hash_in_their_name_are_cached_briefly_or_revalidated() {
    let site = site(true);
    let app = serve(&site).await;
    let bundle = fetch(&app, "/vendor/scalar/api-reference.js", Some("br")).await;
    assert_eq!(header(&bundle, "content-encoding"), Some("br"));
    assert_eq!(
        header(&bundle, "cache-control"),
        Some("public, max-age=86400")
    );
    assert_eq!(header(&bundle, "vary"), Some("accept-encoding"));
    assert_eq!(bundle.text().await.unwrap(), "bundle brotli");
    let favicon = fetch(&app, "/favicon.svg", None).await;
    assert_eq!(
        header(&favicon, "cache-control"),
        Some("public, max-age=86400")
    );
    // Under /pkg but not named in the hash file: it may change in place.
    let map = fetch(&app, "/pkg/ai-gateway.js.map", None).await;
    assert_eq!(header(&map, "cache-control"), Some("no-cache"));
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test]
async fn a_site_built_without_hashes_is_served_under_its_plain_names_and_revalidated() {
    let site = site(false);
    let app = serve(&site).await;
    let html = app.get("/login").await.text().await.unwrap();
    assert!(html.contains(r#"href="/pkg/ai-gateway.css""#), "{html}");
    assert!(html.contains(r#"href="/pkg/ai-gateway.js""#), "{html}");
    let wasm = fetch(&app, "/pkg/ai-gateway.wasm", Some("br")).await;
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(header(&wasm, "content-encoding"), Some("br"));
    assert_eq!(header(&wasm, "cache-control"), Some("no-cache"));
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test]
async fn what_is_not_a_file_is_a_404() {
    let site = site(true);
    let app = serve(&site).await;
    // A missing package file is a bare 404, not a page the script loader would try to run.
    let stale = fetch(
        &app,
        "/pkg/ai-gateway.OldHash456789abcdefghi.wasm",
        Some("br"),
    )
    .await;
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&stale, "cache-control"), None);
    assert_eq!(stale.text().await.unwrap(), "");
    // Anything else, folders and other methods included, gets the console's not-found page.
    for request in [
        app.client.get(format!("{}/no/such/page", app.address)),
        app.client.get(format!("{}/vendor", app.address)),
        app.client.get(format!("{}/vendor/scalar/", app.address)),
        app.client.delete(format!("{}/favicon.png", app.address)),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-cache, private")
        );
        assert!(response.text().await.unwrap().contains("Page not found"));
    }
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}
