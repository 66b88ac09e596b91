//! API tokens: the list (name, abilities, last use, expiry — expired in red —, creation), a new
//! token with a name and a lifetime whose secret is shown once with a Copy button, and revoking
//! after a confirmation.

use gateway_types::{FieldErrors, NewToken, TOKEN_LIFETIMES_DAYS, TokenCreated, TokenRow};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::components::confirm::Confirm;
use crate::components::form::{FieldError, TextField};
use crate::components::layout::Layout;
use crate::components::toast::Toasts;

#[server]
pub async fn list_tokens() -> Result<Vec<TokenRow>, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway
        .token_rows()
        .await
        .map_err(crate::api::console_error)
}

#[server(input = Json)]
pub async fn create_token(new: NewToken) -> Result<TokenCreated, ServerFnError> {
    let crate::auth::SignedIn { admin, gateway } = crate::auth::require_admin().await?;
    gateway
        .create_console_token(&new, &admin.email)
        .await
        .map_err(crate::api::console_error)
}

#[server(input = Json)]
pub async fn revoke_token(id: i64) -> Result<(), ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    gateway
        .revoke_token(id)
        .await
        .map_err(crate::api::console_error)
}

/// A token just made: its secret exists only here until the dialog is closed.
#[derive(Debug, Clone)]
struct Minted {
    name: String,
    secret: String,
    expires_at: Option<String>,
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let creating = RwSignal::new(false);
    let minted = RwSignal::new(None::<Minted>);
    let revoking = RwSignal::new(None::<TokenRow>);

    let revoke = Action::new(move |id: &i64| revoke_token(*id));
    // Bumped by every create and revoke, so the list follows without a reload.
    let changes = RwSignal::new(0_u32);
    let rows = Resource::new(move || changes.get(), |_| list_tokens());
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(())) => {
            revoking.set(None);
            changes.update(|n| *n += 1);
            toasts.success("Token revoked. Calls with it are refused from now on.");
        }
        Some(Err(e)) => toasts.failure(format!("Not revoked: {}", crate::api::readable(&e))),
        None => {}
    });
    let on_created = Callback::new(move |token: Minted| {
        minted.set(Some(token));
        creating.set(false);
        changes.update(|n| *n += 1);
    });
    let ask_revoke = Callback::new(move |row: TokenRow| revoking.set(Some(row)));

    view! {
        <Layout
            title="API tokens"
            actions=Box::new(move || view! {
                <button
                    type="button"
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500"
                    on:click=move |_| creating.set(true)
                >
                    "Create token"
                </button>
            }.into_any())
        >
            <p class="mb-4 max-w-3xl text-sm text-slate-600">
                "Tokens carry the "<code class="font-mono">"ai-gateway:invoke"</code>" ability. Send one as "
                <code class="font-mono">"Authorization: Bearer <token>"</code>" to the HTTP API. Only a hash is stored: a secret is shown once, when it is made."
            </p>
            <Show when=move || creating.get()>
                <CreateForm on_created on_cancel=Callback::new(move |()| creating.set(false)) />
            </Show>
            {move || minted.get().map(|token| view! { <SecretDialog token on_close=Callback::new(move |()| minted.set(None)) /> })}
            {move || revoking.get().map(|row| {
                let id = row.id;
                view! {
                    <div class="mb-4">
                        <Confirm
                            id="confirm-revoke-title"
                            question=format!("Revoke \"{}\"? Calls with it are refused from the next request; this cannot be undone.", row.name)
                            action="Revoke".to_owned()
                            busy_label="Revoking…"
                            busy=revoke.pending()
                            destructive=true
                            on_confirm=move || {
                                revoke.dispatch(id);
                            }
                            on_cancel=move || revoking.set(None)
                        />
                    </div>
                }
            })}
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || rows.get().map(|answer| match answer {
                    Ok(rows) if rows.is_empty() => view! {
                        <div class="rounded-lg border border-dashed border-slate-300 bg-white p-10 text-center" data-testid="tokens-empty">
                            <h2 class="text-base font-semibold">"No API tokens yet"</h2>
                            <p class="mt-1 text-sm text-slate-500">"Create a token to call the gateway over HTTP."</p>
                        </div>
                    }.into_any(),
                    Ok(rows) => view! { <TokenTable rows ask_revoke /> }.into_any(),
                    Err(e) => view! { <p class="text-sm text-red-700" role="alert">{crate::api::readable(&e)}</p> }.into_any(),
                })}
            </Transition>
        </Layout>
    }
}

#[component]
fn TokenTable(rows: Vec<TokenRow>, ask_revoke: Callback<TokenRow>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="tokens-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th class="px-4 py-3">"Name"</th>
                        <th class="px-4 py-3">"Abilities"</th>
                        <th class="px-4 py-3">"Last used"</th>
                        <th class="px-4 py-3">"Expires"</th>
                        <th class="px-4 py-3">"Created"</th>
                        <th class="px-4 py-3 text-right">"Actions"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {rows.into_iter().map(|row| {
                        let name = row.name.clone();
                        let asked = row.clone();
                        view! {
                            <tr data-testid=format!("token-{}", row.id)>
                                <td class="px-4 py-3 font-medium">{row.name.clone()}</td>
                                <td class="px-4 py-3">
                                    <span class="rounded bg-slate-100 px-2 py-0.5 font-mono text-xs">{row.abilities.join(", ")}</span>
                                </td>
                                <td class="px-4 py-3 text-slate-600">{row.last_used_at.clone().unwrap_or_else(|| "never".to_owned())}</td>
                                <td class="px-4 py-3" class=("text-red-700", row.expired) class=("text-slate-600", !row.expired)>
                                    {row.expires_at.clone().unwrap_or_else(|| "never".to_owned())}
                                    {row.expired.then(|| view! { <span class="block text-xs font-semibold">"expired"</span> })}
                                </td>
                                <td class="px-4 py-3 text-slate-600">{row.created_at.clone()}</td>
                                <td class="px-4 py-3 text-right">
                                    <button
                                        type="button"
                                        class="text-red-600 hover:underline"
                                        aria-label=format!("Revoke {name}")
                                        on:click=move |_| ask_revoke.run(asked.clone())
                                    >
                                        "Revoke"
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn CreateForm(on_created: Callback<Minted>, on_cancel: Callback<()>) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let name = RwSignal::new(String::new());
    let lifetime = RwSignal::new(None::<u32>);
    let errors = RwSignal::new(FieldErrors::new());
    let create = Action::new(move |(): &()| {
        create_token(NewToken {
            name: name.get_untracked(),
            lifetime_days: lifetime.get_untracked(),
        })
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(TokenCreated::Created { token, secret })) => on_created.run(Minted {
            name: token.name,
            secret,
            expires_at: token.expires_at,
        }),
        Some(Ok(TokenCreated::Invalid(found))) => errors.set(found),
        Some(Err(e)) => toasts.failure(format!("Not created: {}", crate::api::readable(&e))),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(());
    };
    view! {
        <form class="mb-6 max-w-xl space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm" on:submit=on_submit aria-label="New token">
            <TextField
                label="Token name"
                value=Signal::derive(move || name.get())
                on_change=move |v: String| name.set(v)
                errors
                field="name"
                placeholder="e.g. n8n production"
            />
            <label class="block text-sm">
                <span class="font-medium text-slate-700">"Expiration"</span>
                <select
                    class="mt-1 w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                    on:change=move |ev| lifetime.set(event_target_value(&ev).parse().ok())
                >
                    <option value="" selected=true>"Never"</option>
                    {TOKEN_LIFETIMES_DAYS.map(|days| view! {
                        <option value=days.to_string()>{if days == 365 { "1 year".to_owned() } else { format!("{days} days") }}</option>
                    })}
                </select>
                <span class="mt-1 block text-xs text-slate-500">"Expired tokens are refused automatically."</span>
                <FieldError errors field="lifetime_days" />
            </label>
            <div class="flex gap-2">
                <button
                    type="submit"
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
                    disabled=move || create.pending().get()
                >
                    {move || if create.pending().get() { "Creating…" } else { "Create" }}
                </button>
                <button type="button" class="rounded-md border border-slate-300 px-4 py-2 text-sm" on:click=move |_| on_cancel.run(())>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}

/// The new token's secret, shown this once, with a Copy button that says when it worked.
#[component]
fn SecretDialog(token: Minted, on_close: Callback<()>) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let secret = token.secret.clone();
    let copy = move |_| copy_to_clipboard(secret.clone(), copied);
    view! {
        <div role="dialog" aria-labelledby="token-created-title" class="mb-6 max-w-3xl rounded-lg border border-emerald-200 bg-emerald-50 p-5 text-sm">
            <h2 id="token-created-title" class="text-base font-semibold text-emerald-900">
                {format!("Token \"{}\" created — shown once", token.name)}
            </h2>
            <p class="mt-1 text-emerald-900">"Copy it now; it will not be shown again."</p>
            <div class="mt-3 flex items-center gap-2">
                <code class="flex-1 break-all rounded-md border border-emerald-200 bg-white px-3 py-2 font-mono" data-testid="token-secret">{token.secret}</code>
                <button type="button" class="rounded-md bg-emerald-600 px-3 py-2 font-medium text-white hover:bg-emerald-500" on:click=copy>
                    {move || match copied.get() {
                        Some(true) => "Copied",
                        Some(false) => "Copy failed",
                        None => "Copy",
                    }}
                </button>
            </div>
            {move || (copied.get() == Some(false)).then(|| view! {
                <p class="mt-2 text-red-700" role="alert">"The browser refused the clipboard; select the token and copy it by hand."</p>
            })}
            {token.expires_at.map(|at| view! { <p class="mt-2 text-emerald-900">{format!("Expires {at}.")}</p> })}
            <button type="button" class="mt-3 text-emerald-900 underline" on:click=move |_| on_close.run(())>"Done"</button>
        </div>
    }
}

/// Writes `text` to the clipboard and sets `copied` to whether that worked; only browsers copy.
#[cfg(feature = "hydrate")]
fn copy_to_clipboard(text: String, copied: RwSignal<Option<bool>>) {
    leptos::task::spawn_local(async move {
        let written = match web_sys::window() {
            Some(window) => {
                let promise = window.navigator().clipboard().write_text(&text);
                wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
            }
            None => false,
        };
        copied.set(Some(written));
    });
}

#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(text: String, copied: RwSignal<Option<bool>>) {
    let _ = (text, copied);
}
