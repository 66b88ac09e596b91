//! The landing page: what this deployment is, and a live check of its database.

use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    // Effects run only in the browser, after hydration: the marker tells tests (and people
    // debugging) that the page is interactive.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let check = ServerAction::<crate::api::CheckStatus>::new();
    let pending = check.pending();

    view! {
        <main class="mx-auto max-w-3xl px-6 py-12">
            <crate::auth::SignedInBar />
            <h1
                class="text-3xl font-bold tracking-tight"
                data-hydrated=move || hydrated.get().to_string()
            >
                "AI Gateway"
            </h1>
            <p class="mt-3 text-slate-600">
                "Every AI use case of the company as a named integration: a versioned prompt, \
                 models with fallbacks, and guardrails, invoked by slug over an authenticated API."
            </p>
            <section class="mt-8 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                <h2 class="text-lg font-semibold">"System status"</h2>
                <button
                    class="mt-4 rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white \
                           hover:bg-indigo-500 disabled:opacity-50"
                    disabled=move || pending.get()
                    on:click=move |_| {
                        check.dispatch(crate::api::CheckStatus {});
                    }
                >
                    {move || if pending.get() { "Checking…" } else { "Check status" }}
                </button>
                <div class="mt-4 text-sm" data-testid="status-result" role="status">
                    {move || check.value().get().map(|result| match result {
                        Ok(status) => view! { <StatusLine status /> }.into_any(),
                        Err(e) => view! {
                            <p class="text-red-700">{format!("The check failed: {e}")}</p>
                        }.into_any(),
                    })}
                </div>
            </section>
        </main>
    }
}

#[component]
fn StatusLine(status: gateway_types::SystemStatus) -> impl IntoView {
    let database = if status.database_reachable {
        "reachable"
    } else {
        "unreachable"
    };
    view! {
        <p>
            <span class="font-medium">{status.engine.label()}</span>
            {format!(" database {database} · version {}", status.version)}
            {status.demo_mode.then(|| view! {
                <span class="ml-2 rounded bg-amber-100 px-2 py-0.5 text-amber-800">"demo mode"</span>
            })}
        </p>
    }
}
