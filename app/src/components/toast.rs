//! Toasts: short success and failure notices in a corner, dismissed after a few seconds or by hand.

use std::time::Duration;

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Failure,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    message: String,
}

/// The console's notices; provided once by the app, taken with `expect_context` by pages.
#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

const SHOWN_FOR: Duration = Duration::from_secs(5);

impl Toasts {
    pub fn new() -> Self {
        Self {
            shown: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(0),
        }
    }

    pub fn success(&self, message: impl Into<String>) {
        self.push(ToastKind::Success, message.into());
    }

    pub fn failure(&self, message: impl Into<String>) {
        self.push(ToastKind::Failure, message.into());
    }

    fn push(&self, kind: ToastKind, message: String) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.shown
            .update(|shown| shown.push(Toast { id, kind, message }));
        let shown = self.shown;
        set_timeout(
            move || shown.update(|shown| shown.retain(|t| t.id != id)),
            SHOWN_FOR,
        );
    }
}

impl Default for Toasts {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the toasts appear; rendered once by the app.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    view! {
        <div
            class="pointer-events-none fixed bottom-4 right-4 z-50 flex w-96 max-w-full flex-col gap-2"
            role="status"
            aria-live="polite"
            data-testid="toasts"
        >
            <For each=move || toasts.shown.get() key=|toast| toast.id let:toast>
                <div class=match toast.kind {
                    ToastKind::Success => "pointer-events-auto flex items-start gap-3 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900 shadow",
                    ToastKind::Failure => "pointer-events-auto flex items-start gap-3 rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900 shadow",
                }>
                    <span class="flex-1">{toast.message.clone()}</span>
                    <button
                        class="text-slate-500 hover:text-slate-900"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.shown.update(|shown| shown.retain(|t| t.id != toast.id))
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
