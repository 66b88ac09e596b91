//! Light and dark: the `dark` class on `<html>` that the stylesheet's dark palette hangs on, the
//! script that sets it before the first paint, and the header's toggle that changes and
//! remembers it. Without a remembered choice the system's preference decides.

use leptos::prelude::*;

/// Where the browser remembers the admin's choice (`light` or `dark`).
const STORAGE_KEY: &str = "ai-gateway-theme";

/// Whether the page is dark; `None` until hydrated, since the server cannot know the browser's
/// preference and whatever depends on it must render the same as the server did.
#[derive(Clone, Copy)]
pub struct Theme(RwSignal<Option<bool>>);

impl Theme {
    /// Puts the theme into the app's context; after hydration it reads what the script chose.
    pub fn provide() {
        let theme = Self(RwSignal::new(None));
        Effect::new(move |_| theme.0.set(Some(page_is_dark())));
        provide_context(theme);
    }

    /// The app's theme; a fresh, unknown one outside the app (never the case in the console).
    pub fn get() -> Self {
        use_context::<Self>().unwrap_or_else(|| Self(RwSignal::new(None)))
    }

    pub fn is_dark(self) -> Option<bool> {
        self.0.get()
    }

    /// The word the docs page takes (`?theme=`), once known.
    pub fn name(self) -> Option<&'static str> {
        self.is_dark()
            .map(|dark| if dark { "dark" } else { "light" })
    }
}

/// Runs in `<head>`, before the body is painted, so that a dark page never flashes light. It is
/// inline (allowed by the page's nonce) because the wasm arrives too late for the first paint.
#[component]
pub fn ThemeScript() -> impl IntoView {
    let script = format!(
        "try{{var t=localStorage.getItem('{STORAGE_KEY}');\
         if(t==='dark'||(t!=='light'&&matchMedia('(prefers-color-scheme: dark)').matches))\
         document.documentElement.classList.add('dark')}}catch(e){{}}"
    );
    view! { <script nonce=leptos::nonce::use_nonce() inner_html=script></script> }
}

/// The header's switch between light and dark; the choice is remembered in this browser.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = Theme::get();
    view! {
        <button
            type="button"
            class="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100"
            data-testid="theme-toggle"
            aria-pressed=move || theme.is_dark().map(|dark| dark.to_string())
            on:click=move |_| {
                let dark = !theme.0.get_untracked().unwrap_or(false);
                apply(dark);
                theme.0.set(Some(dark));
            }
        >
            "Dark mode"
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn page_is_dark() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
        .is_some_and(|html| html.class_list().contains("dark"))
}

/// Never called on the server (effects run in the browser only).
#[cfg(not(feature = "hydrate"))]
fn page_is_dark() -> bool {
    false
}

/// Sets the class and remembers the choice; a browser that refuses storage forgets it on reload.
#[cfg(feature = "hydrate")]
fn apply(dark: bool) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(html) = window.document().and_then(|d| d.document_element()) {
        let _ = html.class_list().toggle_with_force("dark", dark);
    }
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.set_item(STORAGE_KEY, if dark { "dark" } else { "light" });
    }
}

/// Never called on the server (clicks happen in the browser only).
#[cfg(not(feature = "hydrate"))]
fn apply(_dark: bool) {}
