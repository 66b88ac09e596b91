//! The system prompt editor: a monospace textarea, chips that insert a declared variable at the
//! caret, and warnings for placeholders the template uses but no variable declares.

use leptos::html::Textarea;
use leptos::prelude::*;

#[component]
pub fn PromptEditor(
    #[prop(into)] value: Signal<String>,
    on_change: Callback<String>,
    /// The declared variables' names.
    #[prop(into)]
    variables: Signal<Vec<String>>,
) -> impl IntoView {
    let textarea = NodeRef::<Textarea>::new();
    let panel_shown = RwSignal::new(true);
    let insert = move |name: String| {
        let token = format!("{{{{{name}}}}}");
        let text = value.get_untracked();
        let (start, end) = textarea
            .get_untracked()
            .map(|el| {
                let start = el.selection_start().ok().flatten();
                let end = el.selection_end().ok().flatten();
                (start, end)
            })
            .unwrap_or((None, None));
        let (updated, caret) = insert_at(&text, start, end, &token);
        on_change.run(updated.clone());
        if let Some(el) = textarea.get_untracked() {
            el.set_value(&updated);
            let _ = el.set_selection_range(caret, caret);
            let _ = el.focus();
        }
    };
    let undeclared = move || {
        let declared = variables.get();
        placeholders(&value.get())
            .into_iter()
            .filter(|name| !declared.contains(name))
            .collect::<Vec<_>>()
    };
    view! {
        <div class="flex flex-col gap-4 lg:flex-row">
            <div class="min-w-0 flex-1">
                <textarea
                    node_ref=textarea
                    aria-label="System prompt"
                    class="min-h-64 w-full resize-y rounded-md border border-slate-300 p-3 font-mono text-sm focus:border-indigo-500"
                    prop:value=move || value.get()
                    on:input=move |ev| on_change.run(event_target_value(&ev))
                ></textarea>
                <p class="mt-1 text-xs text-slate-500">
                    "Placeholders like {{company_name}} are filled from the variables."
                </p>
                <ul class="mt-2 space-y-1" data-testid="prompt-warnings">
                    {move || undeclared()
                        .into_iter()
                        .map(|name| view! {
                            <li class="rounded bg-amber-50 px-2 py-1 text-xs text-amber-900">
                                {format!("{{{{{name}}}}} is used in the prompt but not declared as a variable.")}
                            </li>
                        })
                        .collect_view()}
                </ul>
            </div>
            <aside class="w-full shrink-0 lg:sticky lg:top-4 lg:w-56 lg:self-start">
                <button
                    type="button"
                    class="text-sm text-indigo-600 hover:underline"
                    on:click=move |_| panel_shown.update(|shown| *shown = !*shown)
                >
                    {move || if panel_shown.get() { "Hide variables" } else { "Show variables" }}
                </button>
                <Show when=move || panel_shown.get()>
                    <div class="mt-2" data-testid="variable-chips">
                        {move || {
                            let names: Vec<String> = variables
                                .get()
                                .into_iter()
                                .filter(|n| !n.trim().is_empty())
                                .collect();
                            if names.is_empty() {
                                view! { <p class="text-xs text-slate-500">"No variables declared yet."</p> }.into_any()
                            } else {
                                view! {
                                    <p class="text-xs text-slate-500">"Click to insert at the cursor."</p>
                                    <div class="mt-2 flex flex-wrap gap-2">
                                        {names.into_iter().map(|name| {
                                            let chip = name.clone();
                                            view! {
                                                <button
                                                    type="button"
                                                    class="rounded-full bg-indigo-50 px-3 py-1 font-mono text-xs text-indigo-700 hover:bg-indigo-100"
                                                    on:click=move |_| insert(chip.clone())
                                                >
                                                    {name}
                                                </button>
                                            }
                                        }).collect_view()}
                                    </div>
                                }.into_any()
                            }
                        }}
                    </div>
                </Show>
            </aside>
        </div>
    }
}

/// `text` with `token` replacing the selection `start..end` (UTF-16 offsets, as the browser
/// gives them; the end when there is no caret), and the caret position after the token.
fn insert_at(text: &str, start: Option<u32>, end: Option<u32>, token: &str) -> (String, u32) {
    let total = utf16_len(text);
    let start = start.unwrap_or(total).min(total);
    let end = end.unwrap_or(start).clamp(start, total);
    let (from, to) = (byte_index(text, start), byte_index(text, end));
    let updated = format!("{}{token}{}", &text[..from], &text[to..]);
    (updated, start + utf16_len(token))
}

fn utf16_len(text: &str) -> u32 {
    u32::try_from(text.encode_utf16().count()).unwrap_or(u32::MAX)
}

/// The byte index of the UTF-16 offset `units` (rounded down to a character boundary).
fn byte_index(text: &str, units: u32) -> usize {
    let mut seen = 0_u32;
    for (index, ch) in text.char_indices() {
        if seen >= units {
            return index;
        }
        seen += u32::try_from(ch.len_utf16()).unwrap_or(2);
    }
    text.len()
}

/// The variable names the template reads: the first name of every `{{ … }}` expression, minus
/// names the template binds itself (`{% for x in … %}`, `{% set x = … %}`). Loose on purpose: it
/// only feeds warnings, and the server checks templates for real on save.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut bound = Vec::new();
    let mut read_by_statements = Vec::new();
    for statement in template.split("{%").skip(1) {
        let words: Vec<&str> = statement
            .split("%}")
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        match words.as_slice() {
            ["for", rest @ ..] => {
                if let Some(at) = rest.iter().position(|w| *w == "in") {
                    bound.extend(
                        rest[..at]
                            .iter()
                            .flat_map(|n| n.split(','))
                            .filter(|n| !n.is_empty())
                            .map(str::to_owned),
                    );
                    if let Some(iterable) = rest.get(at + 1) {
                        read_by_statements.push((*iterable).to_owned());
                    }
                }
            }
            ["set", name, ..] => bound.push(name.trim_end_matches('=').to_owned()),
            _ => {}
        }
    }
    let mut found: Vec<String> = Vec::new();
    let expressions = template.split("{{").skip(1).map(str::to_owned);
    let statements = read_by_statements
        .iter()
        .map(|s| s.trim_start_matches("{{").to_owned());
    for expression in expressions.chain(statements) {
        let inner = expression
            .split("}}")
            .next()
            .unwrap_or_default()
            .trim_start();
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let starts_like_a_name = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if starts_like_a_name
            && !bound.contains(&name)
            && !found.contains(&name)
            && !is_literal(&name)
        {
            found.push(name);
        }
    }
    found
}

fn is_literal(name: &str) -> bool {
    matches!(
        name,
        "true" | "false" | "none" | "None" | "True" | "False" | "loop"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_the_names_the_template_reads() {
        let template = "Hi {{ name }}, {{company|upper}} {{ name }} {{ user.email }} {{ 42 }} \
                        {% for item in items %}{{ item }}{{ loop.index }}{% endfor %} \
                        {% set greeting = 'hey' %}{{ greeting }} {{ true }}";
        assert_eq!(placeholders(template), ["name", "company", "user", "items"]);
    }

    #[test]
    fn inserting_replaces_the_selection_and_counts_in_utf16() {
        assert_eq!(
            insert_at("ab", Some(1), Some(1), "{{x}}"),
            ("a{{x}}b".to_owned(), 6)
        );
        assert_eq!(
            insert_at("abcd", Some(1), Some(3), "X"),
            ("aXd".to_owned(), 2)
        );
        assert_eq!(insert_at("ab", None, None, "X"), ("abX".to_owned(), 3));
        // "é😀" is 3 UTF-16 units; the caret after them is offset 3.
        assert_eq!(
            insert_at("é😀z", Some(3), Some(3), "X"),
            ("é😀Xz".to_owned(), 4)
        );
        assert_eq!(
            insert_at("ab", Some(9), Some(1), "X"),
            ("abX".to_owned(), 3)
        );
    }
}
