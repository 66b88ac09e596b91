//! Side-by-side runs: the same inputs on two to six contenders (catalog models on the unsaved
//! form, or saved versions), run in parallel, each column streaming on its own and failing on its
//! own; "Promote" turns a column into the form's setup and saves it as a new version.

use gateway_types::{ModelChoice, TestRun, Version, VersionDraft};
use leptos::prelude::*;

use crate::components::model_picker::ModelSearch;
use crate::components::run::{RunOutput, RunView, start};
use crate::components::test_panel::{VersionOptions, version_label};

pub const MIN_COLUMNS: usize = 2;
pub const MAX_COLUMNS: usize = 6;

/// What a column runs.
#[derive(Debug, Clone, PartialEq)]
enum Contender {
    /// The unsaved form on this model alone.
    Model(String),
    /// A saved version as it was saved.
    Version(Box<Version>),
}

impl Contender {
    fn label(&self) -> String {
        match self {
            Self::Model(id) => id.clone(),
            Self::Version(version) => version_label(version),
        }
    }
}

#[derive(Debug, Clone)]
struct Column {
    contender: Contender,
    run: RunView,
}

#[component]
pub fn SideBySide(
    draft: RwSignal<VersionDraft>,
    versions: Signal<Vec<Version>>,
    catalog: StoredValue<Vec<ModelChoice>>,
    /// The inputs of a run, or `None` when they need fixing first.
    request: Callback<(), Option<TestRun>>,
    on_promote: Callback<()>,
) -> impl IntoView {
    let columns = RwSignal::new(Vec::<Column>::new());
    let chosen_version = RwSignal::new(String::new());
    // Made here rather than when a column is added: signals made in a click handler belong to
    // the list item clicked, which the list disposes as soon as it redraws.
    let slots: [RunView; MAX_COLUMNS] = std::array::from_fn(|_| RunView::default());
    let add = move |contender: Contender| {
        columns.update(|all| {
            let free = slots
                .into_iter()
                .find(|slot| all.iter().all(|c| c.run != *slot));
            if let Some(run) = free.filter(|_| all.iter().all(|c| c.contender != contender)) {
                run.clear();
                all.push(Column { contender, run });
            }
        });
    };
    let chosen_models = Signal::derive(move || {
        columns.with(|all| {
            all.iter()
                .filter_map(|c| match &c.contender {
                    Contender::Model(id) => Some(id.clone()),
                    Contender::Version(_) => None,
                })
                .collect::<Vec<_>>()
        })
    });
    let count = move || columns.with(Vec::len);
    let running = move || columns.with(|all| all.iter().any(|c| c.run.running.get()));
    let add_version = move |_| {
        let id = chosen_version.get_untracked().parse::<i64>().ok();
        let picked = versions.with_untracked(|all| all.iter().find(|v| Some(v.id) == id).cloned());
        if let Some(version) = picked {
            add(Contender::Version(Box::new(version)));
        }
    };
    let run_all = move |_| {
        let Some(run) = request.run(()) else {
            return;
        };
        let form = draft.get_untracked();
        for column in columns.get_untracked() {
            let mut run = run.clone();
            match column.contender {
                Contender::Model(id) => {
                    run.draft = Some(form.clone());
                    run.model = Some(id);
                }
                Contender::Version(version) => run.version_id = Some(version.id),
            }
            start(column.run, run);
        }
    };
    let promote = move |contender: Contender| {
        match contender {
            Contender::Model(id) => draft.update(|d| d.promote(&id)),
            Contender::Version(version) => draft.set(version.draft),
        }
        on_promote.run(());
    };

    view! {
        <div class="space-y-3" data-testid="side-by-side">
            <p class="text-sm text-slate-600">
                "Run the same inputs on "{MIN_COLUMNS}" to "{MAX_COLUMNS}" models (each on the form as it is, without fallbacks) or saved versions. Promote the best to save it as a new version."
            </p>
            <Show when=move || { count() < MAX_COLUMNS }>
                <div class="grid gap-3 md:grid-cols-2">
                    <div>
                        <ModelSearch
                            catalog
                            exclude=chosen_models
                            label="Add a model column"
                            search_label="Search models to compare"
                            allow_custom=true
                            on_pick=Callback::new(move |(id, _): (String, Option<ModelChoice>)| add(Contender::Model(id)))
                        />
                    </div>
                    <div class="mt-3 text-sm">
                        <span class="font-medium text-slate-700">"Add a version column"</span>
                        <div class="mt-1 flex gap-2">
                            <select
                                aria-label="Version to compare"
                                class="flex-1 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                                on:change=move |ev| chosen_version.set(event_target_value(&ev))
                            >
                                <option value="">"Choose a version"</option>
                                <VersionOptions versions />
                            </select>
                            <button
                                type="button"
                                class="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-50"
                                on:click=add_version
                            >
                                "Add"
                            </button>
                        </div>
                    </div>
                </div>
            </Show>
            <div class="flex items-center gap-3 text-sm">
                <span class="text-slate-600" data-testid="column-count">
                    {move || format!("{} of {MAX_COLUMNS} columns", count())}
                </span>
                <button
                    type="button"
                    class="ml-auto rounded-md bg-emerald-700 px-4 py-2 font-medium text-white hover:bg-emerald-600 disabled:opacity-50"
                    disabled=move || running() || count() < MIN_COLUMNS
                    on:click=run_all
                >
                    {move || if running() { "Running…".to_owned() } else { format!("Run {} side by side", count()) }}
                </button>
            </div>
            <div class="grid gap-3 md:grid-cols-2 xl:grid-cols-3">
                {move || columns.get().into_iter().map(|column| {
                    let label = column.contender.label();
                    let (section_label, remove_label, promote_label) = (
                        format!("Column {label}"),
                        format!("Remove column {label}"),
                        format!("Promote {label}"),
                    );
                    let (removed, promoted) = (column.contender.clone(), column.contender.clone());
                    let run = column.run;
                    let finished = move || run.summary.with(Option::is_some) && !run.running.get();
                    view! {
                        <section class="flex flex-col gap-2 rounded-lg border border-slate-200 bg-white p-3" aria-label=section_label data-testid="column">
                            <header class="flex items-center gap-2">
                                <h3 class="flex-1 truncate font-mono text-sm font-semibold" title=label.clone()>{label.clone()}</h3>
                                <button
                                    type="button"
                                    class="text-xs text-red-600 hover:underline disabled:invisible"
                                    aria-label=remove_label
                                    disabled=move || run.running.get()
                                    on:click=move |_| columns.update(|all| all.retain(|c| c.contender != removed))
                                >
                                    "Remove"
                                </button>
                            </header>
                            <RunOutput run narrow=true />
                            {move || finished().then(|| {
                                let promoted = promoted.clone();
                                view! {
                                    <button
                                        type="button"
                                        class="self-start rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
                                        aria-label=promote_label.clone()
                                        on:click=move |_| promote(promoted.clone())
                                    >
                                        "Promote"
                                    </button>
                                }
                            })}
                        </section>
                    }
                }).collect_view()}
            </div>
        </div>
    }
    .into_any()
}
