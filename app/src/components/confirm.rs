//! The confirmation asked before an action that cannot be undone from the same screen (delete,
//! activate, revoke): a question, the action's button and Cancel.

use leptos::prelude::*;

#[component]
pub fn Confirm(
    /// Unique on the page: names the dialog for assistive technology.
    id: &'static str,
    #[prop(into)] question: Signal<String>,
    #[prop(into)] action: Signal<String>,
    /// Shown on the action's button while it runs.
    busy_label: &'static str,
    #[prop(into)] busy: Signal<bool>,
    /// Red for destructive actions, amber for reversible ones.
    #[prop(optional)]
    destructive: bool,
    on_confirm: impl Fn() + 'static,
    on_cancel: impl Fn() + 'static,
) -> impl IntoView {
    let (frame, text, button) = if destructive {
        (
            "rounded-md border border-red-200 bg-red-50 p-4 text-sm",
            "font-medium text-red-900",
            "rounded-md bg-red-600 px-3 py-1.5 font-medium text-white hover:bg-red-500 disabled:opacity-50",
        )
    } else {
        (
            "rounded-md border border-amber-200 bg-amber-50 p-4 text-sm",
            "font-medium text-amber-900",
            "rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-500 disabled:opacity-50",
        )
    };
    view! {
        <div role="alertdialog" aria-labelledby=id class=frame>
            <p id=id class=text>{move || question.get()}</p>
            <div class="mt-3 flex gap-2">
                <button class=button disabled=move || busy.get() on:click=move |_| on_confirm()>
                    {move || if busy.get() { busy_label.to_owned() } else { action.get() }}
                </button>
                <button class="rounded-md border border-slate-300 bg-white px-3 py-1.5" on:click=move |_| on_cancel()>
                    "Cancel"
                </button>
            </div>
        </div>
    }
}
