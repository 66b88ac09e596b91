//! Signing in to the console: the login page, the signed-in bar with its logout button, the
//! `login` / `logout` / `current_admin` server functions, and `require_admin`, the guard every
//! other server function calls first. Cookies, CSRF and the redirect of signed-out page loads
//! are the server's (`server::console`).

use gateway_types::{Admin, Password};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

/// What a server function answers when nobody is signed in; the console shows it as is.
pub const SIGN_IN_REQUIRED: &str = "Your session has ended. Sign in again to continue.";

/// The signed-in admin of the request being served, or an "unauthorized" error whose HTTP
/// status is 401. Every server function except `login` calls this first:
///
/// ```ignore
/// #[server]
/// pub async fn list_things() -> Result<Vec<Thing>, ServerFnError> {
///     let crate::auth::SignedIn { admin, gateway } = crate::auth::require_admin().await?;
///     …
/// }
/// ```
#[cfg(feature = "ssr")]
pub async fn require_admin() -> Result<SignedIn, ServerFnError> {
    // Taken before the first await: during server rendering the component that asked may be
    // rebuilt (and its owner, holding the context, disposed) while this call waits.
    let gateway = context_gateway()?;
    let response = use_context::<leptos_axum::ResponseOptions>();
    let session = leptos_axum::extract::<tower_sessions::Session>().await;
    let admin = match session {
        Ok(session) => gateway::accounts::signed_in(gateway.store(), &session)
            .await
            .map_err(internal)?,
        Err(_) => None,
    };
    match admin {
        Some(admin) => Ok(SignedIn { admin, gateway }),
        None => {
            if let Some(response) = response {
                response.set_status(leptos::server_fn::http_export::StatusCode::UNAUTHORIZED);
            }
            Err(ServerFnError::new(SIGN_IN_REQUIRED))
        }
    }
}

/// The core the server provided to this request's context; its absence is a server wiring
/// fault (a render that was not given the core), never the caller's, and is no panic either.
#[cfg(feature = "ssr")]
fn context_gateway() -> Result<gateway::Gateway, ServerFnError> {
    use_context::<gateway::Gateway>().ok_or_else(|| {
        leptos::logging::error!("console request served without the gateway in its context");
        ServerFnError::new(INTERNAL_ERROR)
    })
}

/// What a console server function works with once its caller is known to be signed in.
#[cfg(feature = "ssr")]
pub struct SignedIn {
    pub admin: Admin,
    pub gateway: gateway::Gateway,
}

/// Sets the HTTP status of the server function's answer.
#[cfg(feature = "ssr")]
fn refuse(status: leptos::server_fn::http_export::StatusCode) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// What a server function answers when the server failed; the log has the details.
#[cfg(feature = "ssr")]
const INTERNAL_ERROR: &str = "Internal error; the details are in the server log.";

/// Logs the details and answers without them.
#[cfg(feature = "ssr")]
fn internal(error: gateway::Error) -> ServerFnError {
    leptos::logging::error!("console request failed: {error}");
    ServerFnError::new(INTERNAL_ERROR)
}

/// Signs in and starts a session. Refusals are readable sentences (wrong credentials, or
/// throttled or busy with the time to wait) with status 401 or 429 and `Retry-After`.
#[server]
pub async fn login(email: String, password: Password) -> Result<Admin, ServerFnError> {
    use axum::extract::ConnectInfo;
    use gateway::accounts::LoginError;
    use leptos::server_fn::http_export::{HeaderValue, StatusCode, header};

    let gateway = context_gateway()?;
    let session = leptos_axum::extract::<tower_sessions::Session>().await?;
    let client = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
        .await
        .ok()
        .map(|ConnectInfo(address)| address.ip());
    match gateway.login(&email, &password, client).await {
        Ok(admin) => {
            gateway::accounts::sign_in(&session, &admin)
                .await
                .map_err(internal)?;
            Ok(admin)
        }
        Err(LoginError::Internal(error)) => Err(internal(error)),
        Err(refused) => {
            match refused {
                LoginError::Throttled { retry_after_secs }
                | LoginError::Busy { retry_after_secs } => {
                    refuse(StatusCode::TOO_MANY_REQUESTS);
                    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                        response.insert_header(
                            header::RETRY_AFTER,
                            HeaderValue::from(retry_after_secs),
                        );
                    }
                }
                _ => refuse(StatusCode::UNAUTHORIZED),
            }
            Err(ServerFnError::new(refused.to_string()))
        }
    }
}

/// Ends the session of the signed-in admin.
#[server]
pub async fn logout() -> Result<(), ServerFnError> {
    require_admin().await?;
    let session = leptos_axum::extract::<tower_sessions::Session>().await?;
    gateway::accounts::sign_out(&session)
        .await
        .map_err(internal)
}

/// The signed-in admin; the console's pages read it to show who is signed in.
#[server]
pub async fn current_admin() -> Result<Admin, ServerFnError> {
    Ok(require_admin().await?.admin)
}

/// Where to go after signing in: a path on this site, never another origin.
pub fn after_login(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Sends the browser to the sign-in page, to come back to this page after: a full page load, so
/// nothing of the signed-out page (the header's email, the data on screen) stays. Only the
/// browser navigates; on the server a signed-out page load is redirected before it renders.
pub fn session_ended() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let location = window.location();
        let here = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        let login = format!("/login?next={}", js_sys::encode_uri_component(&here));
        // A failed navigation leaves the page showing the session's end, which is still true.
        let _ = location.assign(&login);
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let login = ServerAction::<Login>::new();
    let pending = login.pending();
    let query = use_query_map();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            let next = query.with_untracked(|q| q.get("next"));
            navigate(&after_login(next.as_deref()), Default::default());
        }
    });

    view! {
        <main class="mx-auto mt-24 max-w-sm px-6">
            <h1 class="text-2xl font-bold tracking-tight">"Sign in to AI Gateway"</h1>
            <ActionForm
                action=login
                attr:class="mt-8 space-y-4"
                attr:data-testid="login-form"
                attr:data-hydrated=move || hydrated.get().to_string()
            >
                <label class="block text-sm font-medium">
                    "Email"
                    <input
                        class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2"
                        type="email"
                        name="email"
                        autocomplete="username"
                        autofocus
                        required
                    />
                </label>
                <label class="block text-sm font-medium">
                    "Password"
                    <input
                        class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2"
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                    />
                </label>
                <button
                    class="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white \
                           hover:bg-indigo-500 disabled:opacity-50"
                    type="submit"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
                <p class="text-sm text-red-700" role="alert" data-testid="login-error">
                    {move || login.value().get().and_then(Result::err).map(|e| crate::api::readable(&e))}
                </p>
            </ActionForm>
        </main>
    }
}

/// Who is signed in, and the logout button. Pages put it at their top.
#[component]
pub fn SignedInBar(admin: Resource<Result<Admin, ServerFnError>>) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            navigate("/login", Default::default());
        }
    });

    view! {
        <div class="flex items-center justify-end gap-4 text-sm text-slate-600">
            <Transition>
                <span data-testid="signed-in-as">
                    {move || admin.get().map(|admin| match admin {
                        Ok(admin) => admin.email,
                        Err(e) => crate::api::readable(&e),
                    })}
                </span>
            </Transition>
            <button
                class="rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100"
                on:click=move |_| {
                    logout.dispatch(Logout {});
                }
            >
                "Sign out"
            </button>
            {move || logout.value().get().and_then(Result::err).map(|e| view! {
                <span class="text-red-700" role="alert">{crate::api::readable(&e)}</span>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_login_stays_on_this_site() {
        assert_eq!(
            after_login(Some("/integrations?page=2")),
            "/integrations?page=2"
        );
        for elsewhere in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "",
        ] {
            assert_eq!(after_login(Some(elsewhere)), "/", "{elsewhere:?}");
        }
        assert_eq!(after_login(None), "/");
    }
}
