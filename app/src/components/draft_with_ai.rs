//! "Draft with AI" in the editor: the admin describes the use case, a helper model proposes the
//! prompt template and its variables, and they replace the form's (nothing is saved until the
//! admin saves). Shown only while the prompt builder is switched on in the settings.

use gateway_types::{DraftResult, VersionDraft};
use leptos::prelude::*;

use crate::components::toast::Toasts;

/// The helper model, or `None` while Draft with AI is switched off.
#[server]
pub async fn draft_helper() -> Result<Option<String>, ServerFnError> {
    let gateway = crate::auth::require_admin().await?.gateway;
    Ok(gateway::builder::helper_model(&gateway))
}

/// Asks the helper model for a draft; `existing` (the form's prompt) is improved when not blank.
#[server]
pub async fn draft_prompt(brief: String, existing: String) -> Result<DraftResult, ServerFnError> {
    let crate::auth::SignedIn { admin, gateway } = crate::auth::require_admin().await?;
    gateway::builder::draft_for_console(&gateway, &brief, Some(&existing), &admin.email)
        .await
        .map_err(crate::api::console_error)
}

/// The helper model as [`draft_helper`] answers it; the page creates it, outside any Suspense.
pub type HelperModel = Resource<Result<Option<String>, ServerFnError>>;

#[component]
pub fn DraftWithAi(draft: RwSignal<VersionDraft>, helper: HelperModel) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || helper.get().map(|answer| match answer {
                Ok(Some(model)) => view! { <DraftForm draft model /> }.into_any(),
                Ok(None) => view! {
                    <p class="text-sm text-slate-500" data-testid="draft-off">
                        "Draft with AI is switched off in the settings."
                    </p>
                }.into_any(),
                Err(e) => view! {
                    <p class="text-sm text-red-700" role="alert">{crate::api::readable(&e)}</p>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn DraftForm(draft: RwSignal<VersionDraft>, model: String) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let brief = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let ask = Action::new(move |brief: &String| {
        let brief = brief.clone();
        let existing = draft.with_untracked(|d| d.prompt_template.clone());
        async move { draft_prompt(brief, existing).await }
    });
    let pending = ask.pending();
    Effect::new(move |_| {
        let Some(answer) = ask.value().get() else {
            return;
        };
        let problem = match answer {
            Ok(DraftResult::Drafted(proposal)) => {
                draft.update(|d| {
                    d.prompt_template = proposal.prompt_template;
                    d.variables = proposal.variables;
                });
                toasts.success(format!(
                    "Draft inserted. {}",
                    proposal
                        .notes
                        .unwrap_or_else(|| "Review the prompt and variables, then save.".to_owned())
                ));
                None
            }
            Ok(DraftResult::Failed(message)) => Some(message),
            Err(e) => Some(crate::api::readable(&e)),
        };
        failure.set(problem);
    });
    // A button rather than a form: this sits inside the editor's own form.
    let submit = move |_| {
        failure.set(None);
        ask.dispatch(brief.get_untracked());
    };
    let asking = format!("Asking {model} for a prompt and its variables…");
    view! {
        <div class="space-y-2" data-testid="draft-with-ai">
            <label class="block text-sm">
                <span class="font-medium text-slate-700">"Describe what this integration should do"</span>
                <textarea
                    rows="4"
                    class="mt-1 w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500"
                    placeholder="e.g. Summarize a sales lead into 3 bullet points given the company name and notes."
                    prop:value=move || brief.get()
                    on:input=move |ev| brief.set(event_target_value(&ev))
                ></textarea>
            </label>
            <div class="flex flex-wrap items-center gap-3">
                <button
                    type="button"
                    on:click=submit
                    class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
                    disabled=move || pending.get() || brief.with(|b| b.trim().is_empty())
                >
                    {move || if pending.get() { "Drafting…" } else { "Draft with AI" }}
                </button>
                <span class="text-xs text-slate-500">
                    {format!("Uses {model}. Replaces the prompt and the variables below; nothing is saved until you save.")}
                </span>
            </div>
            <Show when=move || pending.get()>
                <p class="flex items-center gap-2 text-sm text-slate-600" role="status" data-testid="draft-progress">
                    <span class="inline-block h-3 w-3 animate-spin rounded-full border-2 border-indigo-600 border-t-transparent"></span>
                    {asking.clone()}
                </p>
            </Show>
            {move || failure.get().map(|message| view! {
                <p class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900" role="alert" data-testid="draft-error">
                    {format!("Draft with AI failed: {message}")}
                </p>
            })}
        </div>
    }
}
