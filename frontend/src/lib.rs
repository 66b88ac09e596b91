//! The browser entry point: hydrates the server-rendered console. Nothing else belongs here.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A panic leaves the page looking right but dead: besides logging it, say so on the page.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        app::crash::show_panic_banner();
    }));
    leptos::mount::hydrate_body(app::App);
}
