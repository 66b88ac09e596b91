//! The site's files: the content-hashed wasm, js and css under `/pkg` and the public files
//! (favicon, the vendored Scalar bundle), served with the `.br`/`.gz` variant the release build
//! left beside each when the client accepts it, with cache headers and media types fit for each;
//! plus the `no-cache` rule for HTML pages.

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::config::LeptosOptions;
use tower::Service;
use tower_http::services::ServeDir;

/// Where cargo-leptos writes the content hashes of the wasm, js and css (`hash-file-name` in the
/// workspace's `Cargo.toml`): in the site root, so the site is self-contained wherever it is
/// installed, rather than beside the binary as Leptos assumes.
const HASH_FILE: &str = "hash.txt";

/// A name with its content's hash in it never changes meaning: browsers keep it for a year
/// without asking again.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// Unhashed files under `/pkg` (a site built without hashing) change in place: revalidate.
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");
/// Public files keep their names across releases (the Scalar bundle, the favicon): a day old at
/// most after an upgrade.
const PUBLIC_FILE: HeaderValue = HeaderValue::from_static("public, max-age=86400");
/// Pages carry the signed-in admin's data and name the current hashed files: always revalidate,
/// and never from a shared cache.
const PAGE: HeaderValue = HeaderValue::from_static("no-cache, private");

/// Types `mime_guess` gets wrong for what a site holds: `.ts` (wasm-bindgen's type declarations)
/// is not an MPEG transport stream, a source map is JSON, a module script is JavaScript.
const MEDIA_TYPES: &[(&str, &str)] = &[
    ("ts", "text/plain; charset=utf-8"),
    ("map", "application/json"),
    ("mjs", "text/javascript"),
];

/// Options for rendering the console: with the site's hash file when it has one, so that
/// `HydrationScripts` and `HashedStylesheet` name the hashed files.
pub(crate) fn leptos_options(site_root: &Path, address: SocketAddr) -> LeptosOptions {
    let builder = LeptosOptions::builder()
        .output_name(app::SITE_NAME)
        .site_root(site_root.to_string_lossy().as_ref())
        .site_addr(address);
    match hash_file(site_root) {
        // Leptos joins this name to the binary's folder; an absolute path replaces that folder.
        Some(path) => builder
            .hash_files(true)
            .hash_file(path.to_string_lossy().as_ref().into())
            .build(),
        None => {
            tracing::warn!(
                site_root = %site_root.display(),
                "the site has no hash file: serving unhashed asset names, revalidated on every load"
            );
            builder.build()
        }
    }
}

/// The hash file's absolute path, when the site has one.
fn hash_file(site_root: &Path) -> Option<std::path::PathBuf> {
    let path = std::path::absolute(site_root.join(HASH_FILE)).ok()?;
    path.is_file().then_some(path)
}

/// The file names under `/pkg` that the hash file vouches for (`ai-gateway.<hash>.wasm`, …).
fn hashed_names(options: &LeptosOptions) -> HashSet<String> {
    if !options.hash_files {
        return HashSet::new();
    }
    let text = match std::fs::read_to_string(options.hash_file.as_ref()) {
        Ok(text) => text,
        Err(error) => {
            tracing::warn!(%error, file = %options.hash_file, "cannot read the site's hash file");
            return HashSet::new();
        }
    };
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(kind, _)| matches!(kind.trim(), "js" | "wasm" | "css"))
        .map(|(kind, hash)| format!("{}.{}.{}", options.output_name, hash.trim(), kind.trim()))
        .collect()
}

/// Everything no route answers: `/pkg/…` from the package folder (a missing file is a plain 404),
/// other paths from the site root, and what is not a file goes to `not_found` (the console's
/// not-found page).
pub(crate) fn files<S>(options: &LeptosOptions, not_found: S) -> Router
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    let root = Path::new(options.site_root.as_ref());
    let rules = Arc::new(CacheRules {
        pkg_prefix: format!("/{}/", options.site_pkg_dir),
        hashed: hashed_names(options),
    });
    // Directories are not listed nor redirected; other methods than GET and HEAD reach the
    // not-found page as before rather than a 405.
    let public = ServeDir::new(root)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false)
        .call_fallback_on_method_not_allowed(true)
        .fallback(not_found);
    let pkg = ServeDir::new(root.join(options.site_pkg_dir.as_ref()))
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false);
    Router::new()
        .nest_service(&format!("/{}", options.site_pkg_dir), pkg)
        .fallback_service(public)
        .layer(axum::middleware::from_fn_with_state(rules, file_headers))
}

/// How long a served file may be cached, by its path.
#[derive(Debug)]
struct CacheRules {
    /// `/pkg/`
    pkg_prefix: String,
    /// Names under the prefix that carry their content's hash.
    hashed: HashSet<String>,
}

impl CacheRules {
    fn cache_control(&self, path: &str) -> HeaderValue {
        match path.strip_prefix(&self.pkg_prefix) {
            Some(name) if self.hashed.contains(name) => IMMUTABLE,
            Some(_) => REVALIDATE,
            None => PUBLIC_FILE,
        }
    }
}

/// Cache-Control, `Vary` and the corrected media type on a file that was served; error pages
/// and 404s keep their own headers.
async fn file_headers(
    State(rules): State<Arc<CacheRules>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let served = matches!(
        response.status(),
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    );
    if !served || is_html(&response) {
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, rules.cache_control(&path));
    // The same URL answers with a different body per Accept-Encoding: caches must key on it.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let extension = path.rsplit_once('.').map(|(_, extension)| extension);
    if let Some((_, media_type)) = MEDIA_TYPES
        .iter()
        .find(|(known, _)| Some(*known) == extension)
    {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    }
    response
}

/// For `SetResponseHeaderLayer::if_not_present`: `no-cache, private` on every HTML response
/// (console pages, the not-found page, the API docs page) that did not choose its own caching.
pub(crate) fn page_cache_control(response: &Response) -> Option<HeaderValue> {
    is_html(response).then_some(PAGE)
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"))
}
