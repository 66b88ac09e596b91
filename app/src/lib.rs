//! The admin console: the HTML shell, the router, and the pages. Rendered on the server (feature
//! `ssr`) and hydrated in the browser (feature `hydrate`) from the same components.

pub mod api;
pub mod auth;
mod components;
pub mod crash;
mod pages;
/// The editor's save, reached by the server's tests as the page reaches it.
pub use pages::editor::SaveIntegration;
// Only browsers read event streams; the tests check the parser on the host.
#[cfg(any(feature = "hydrate", test))]
mod sse;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, StaticSegment};

/// The name cargo-leptos gives the site's wasm, js and css files under `/pkg`.
pub const SITE_NAME: &str = "ai-gateway";

/// The document around the app, rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <components::theme::ThemeScript />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // Reads the content-hashed file names from the site's hash file (see the server's
                // `assets` module); the server renders it, so the browser never needs the options.
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(components::toast::Toasts::new());
    components::theme::Theme::provide();
    view! {
        <Title text="AI Gateway" />
        <Router>
            <crash::CrashBoundary>
            <Routes fallback=pages::not_found::NotFound>
                // Signed-out page loads never reach these: the server redirects them to /login.
                <Route path=StaticSegment("login") view=auth::LoginPage />
                <Route
                    path=StaticSegment("")
                    view=pages::dashboard::DashboardPage
                    ssr=leptos_router::SsrMode::InOrder
                />
                <Route
                    path=StaticSegment("integrations")
                    view=pages::integrations::IntegrationsPage
                />
                <Route path=StaticSegment("invocations") view=pages::invocations::InvocationsPage />
                <Route
                    path=(StaticSegment("integrations"), StaticSegment("new"))
                    view=pages::editor::EditorPage
                />
                <Route
                    path=(StaticSegment("integrations"), ParamSegment("id"))
                    view=pages::editor::EditorPage
                />
                <Route
                    path=(StaticSegment("integrations"), ParamSegment("id"), StaticSegment("versions"))
                    view=pages::versions::VersionsPage
                />
                <Route path=StaticSegment("settings") view=pages::settings::SettingsPage />
                <Route path=StaticSegment("tokens") view=pages::tokens::TokensPage />
                <Route path=StaticSegment("docs") view=pages::api_docs::ApiDocsPage />
            </Routes>
            </crash::CrashBoundary>
        </Router>
        <components::toast::ToastRegion />
    }
}
