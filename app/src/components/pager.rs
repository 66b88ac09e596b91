//! Previous / Next buttons under a server-paginated list.

use leptos::prelude::*;

/// Moves `page` (1-based) between 1 and `page_count`; the list refetches when it changes.
#[component]
pub fn Pager(page: RwSignal<u32>, page_count: u32) -> impl IntoView {
    let at_end = move || page.get() >= page_count;
    let next = move |_| page.update(|p| *p = (*p + 1).min(page_count));
    view! {
        <nav class="mt-3 flex gap-2" aria-label="Pages">
            <button
                class="rounded-md border border-slate-300 bg-white px-3 py-1 text-sm disabled:opacity-40"
                disabled=move || page.get() <= 1
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))
            >
                "Previous"
            </button>
            <button
                class="rounded-md border border-slate-300 bg-white px-3 py-1 text-sm disabled:opacity-40"
                disabled=at_end
                on:click=next
            >
                "Next"
            </button>
        </nav>
    }
}
