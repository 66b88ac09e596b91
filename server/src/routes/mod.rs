//! The one place where the HTTP surface is assembled: route tables, shared state and layers.

mod api;
mod assets;
mod docs;
mod health;
mod invocations;
mod openai;
mod test_run;

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRef;
use axum::routing::{get, post};
use gateway::Gateway;
use gateway::openapi::{NATIVE_ROUTES, OPENAI_CHAT_ROUTE, OPENAI_MODELS_ROUTE};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::client_limit::{ClientBudget, limit_per_client};
use crate::config::{Config, Secret};
use crate::console;
use crate::headers;

pub(crate) use assets::leptos_options;

const API_BODY_LIMIT: usize = 1024 * 1024;

/// What every handler can extract.
#[derive(Clone, FromRef)]
pub(crate) struct AppState {
    pub gateway: Gateway,
    pub leptos_options: LeptosOptions,
}

pub(crate) fn router(gateway: Gateway, leptos_options: LeptosOptions, config: &Config) -> Router {
    let state = AppState {
        gateway: gateway.clone(),
        leptos_options,
    };
    let console_routes = generate_route_list(app::App);
    let shell_options = state.leptos_options.clone();
    // What every rendered page and server function finds: the core, and its page's policy.
    let page_context = {
        let gateway = gateway.clone();
        move || {
            provide_context(gateway.clone());
            headers::allow_page_script();
        }
    };
    let trailing_slashes = console::trailing_slash_redirects(&console_routes);
    // Unknown paths render the console's 404 page, which needs what the pages need.
    let not_found = axum::handler::Handler::with_state(
        leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            page_context.clone(),
            app::shell,
        ),
        state.clone(),
    );
    let files = assets::files(&state.leptos_options, not_found);

    // Bodies beyond this are refused before they are read: prompts are text, not uploads.
    let [chat, start, converse] = NATIVE_ROUTES.map(|(path, _)| path);
    let mut api = Router::new()
        .route(chat, post(api::chat))
        .route(start, post(api::start))
        .route(converse, post(api::converse))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT));
    if config.docs.enabled {
        let described = Arc::new(docs::Docs {
            prefix: config.api_prefix.clone(),
            public_url: config.public_url.clone(),
            config: config.docs.clone(),
            site_root: config.site_root.clone(),
        });
        api = api.merge(
            Router::new()
                .route("/openapi.json", get(docs::document))
                .route("/docs", get(docs::page))
                .layer(axum::middleware::from_fn_with_state(
                    gateway.clone(),
                    docs::require_credentials,
                ))
                .layer(Extension(described)),
        );
    }

    // Pages and server functions, behind the session, CSRF and sign-in layers; nothing else is.
    let console = Router::new()
        .leptos_routes_with_context(&state, console_routes, page_context.clone(), move || {
            app::shell(shell_options.clone())
        })
        .route_layer(axum::middleware::from_fn_with_state(
            console::Guard::new(gateway.clone()),
            console::require_sign_in,
        ))
        // After the page guard, which would redirect them: these answer 401 themselves.
        .route(
            app::api::TEST_RUN_PATH,
            post(test_run::test_run).layer(DefaultBodyLimit::max(API_BODY_LIMIT)),
        )
        .route(app::api::INVOCATIONS_CSV_PATH, get(invocations::export_csv))
        .route(
            app::api::INVOCATIONS_JSON_PATH,
            get(invocations::export_json),
        )
        .layer(axum::middleware::from_fn_with_state(
            console::TrustedOrigins::new(config),
            console::reject_cross_origin,
        ))
        .layer(console::session_layer(&gateway, config))
        // Outermost, so that a client over its budget costs no session lookup.
        .layer(axum::middleware::from_fn_with_state(
            ClientBudget::new(config.connections.console_requests_per_client),
            limit_per_client,
        ));

    let router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest(&config.api_prefix, api)
        .merge(
            Router::new()
                .route(OPENAI_CHAT_ROUTE, post(openai::chat_completions))
                .route(OPENAI_MODELS_ROUTE, get(openai::models))
                .layer(DefaultBodyLimit::max(API_BODY_LIMIT)),
        )
        .merge(console)
        .merge(trailing_slashes)
        .fallback_service(files)
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::CACHE_CONTROL,
            assets::page_cache_control,
        ))
        .merge(metrics_on_main_listener(gateway, config));
    headers::secure(router)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<_>| {
                    let request_id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id,
                    )
                })
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// `/metrics` on the main listener only when it has no listener of its own and a token guards
/// it; otherwise an empty router.
fn metrics_on_main_listener(gateway: Gateway, config: &Config) -> Router {
    match (&config.metrics.listen, &config.metrics.token) {
        (None, Some(token)) => metrics_router(gateway, Some(token.clone())),
        _ => Router::new(),
    }
}

/// `/metrics` alone, behind `token` when given: also the whole router of the metrics listener.
pub(crate) fn metrics_router(gateway: Gateway, token: Option<Secret>) -> Router {
    let router = Router::new()
        .route("/metrics", get(health::metrics))
        .with_state(gateway);
    match token {
        Some(token) => router.route_layer(axum::middleware::from_fn_with_state(
            Arc::new(token),
            health::require_metrics_token,
        )),
        None => router,
    }
}
