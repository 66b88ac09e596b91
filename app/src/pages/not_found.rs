//! The page for any path the console does not know.

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="mx-auto max-w-xl p-10 text-center">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <a class="mt-4 inline-block text-indigo-600 hover:underline" href="/">
                "Back to the console"
            </a>
        </main>
    }
}
