//! The API docs page: the deployment's own interactive docs (served from this server, no CDN)
//! in a frame, or why they are not available.

use leptos::prelude::*;

use crate::components::layout::Layout;
use crate::components::theme::Theme;

#[component]
pub fn ApiDocsPage() -> impl IntoView {
    let status = Resource::new(|| (), |()| crate::api::check_status());
    let theme = Theme::get();
    view! {
        <Layout title="API docs">
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || status.get().map(|answer| match answer.map(|s| s.api_docs_path) {
                    Ok(Some(path)) => view! {
                        <p class="mb-3 text-sm text-slate-600">
                            "Every public integration with its variables, and the OpenAI-compatible endpoints. "
                            <a class="text-indigo-600 underline" href=path.clone() target="_blank" rel="noopener">"Open in a new tab"</a>
                        </p>
                        // Only once hydrated does the page know its theme; the frame loads then, in it.
                        <iframe
                            src={
                                let path = path.clone();
                                move || theme.name().map(|name| format!("{path}?theme={name}"))
                            }
                            title="AI Gateway API documentation"
                            class="h-[calc(100vh-12rem)] min-h-[32rem] w-full rounded-lg border border-slate-200 bg-white"
                        ></iframe>
                    }.into_any(),
                    Ok(None) => view! {
                        <p class="max-w-2xl text-sm text-slate-600" data-testid="docs-off">
                            "The API docs are off: either the HTTP API is switched off in Settings, or the deployment does not serve docs (AI_GATEWAY_API_DOCS_ENABLED)."
                        </p>
                    }.into_any(),
                    Err(e) => view! { <p class="text-sm text-red-700" role="alert">{crate::api::readable(&e)}</p> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}
