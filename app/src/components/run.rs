//! One streamed test run as the console shows it: the answer as it arrives, then its tokens, cost,
//! latency, model, finish reason and citations, or a readable error. Shared by the test panel and
//! each column of a side-by-side comparison.

use gateway_types::TestRun;
use leptos::prelude::*;
use serde_json::Value;

/// What one run shows while it goes and after it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunView {
    pub text: RwSignal<String>,
    pub summary: RwSignal<Option<Value>>,
    pub error: RwSignal<Option<String>>,
    pub running: RwSignal<bool>,
}

impl RunView {
    /// Forgets the last run's answer, usage and error.
    pub fn clear(self) {
        self.text.set(String::new());
        self.summary.set(None);
        self.error.set(None);
    }
}

impl Default for RunView {
    fn default() -> Self {
        Self {
            text: RwSignal::new(String::new()),
            summary: RwSignal::new(None),
            error: RwSignal::new(None),
            running: RwSignal::new(false),
        }
    }
}

/// Sends the run and fills `view` from its events; only browsers run it.
#[cfg(feature = "hydrate")]
pub fn start(view: RunView, run: TestRun) {
    view.clear();
    view.running.set(true);
    leptos::task::spawn_local(async move {
        let body = serde_json::to_value(&run).unwrap_or_default();
        let outcome = crate::sse::post_events(crate::api::TEST_RUN_PATH, &body, |event| {
            let data: Value = serde_json::from_str(&event.data).unwrap_or_default();
            match event.name.as_str() {
                "delta" => view
                    .text
                    .update(|t| t.push_str(data["text"].as_str().unwrap_or_default())),
                "done" => view.summary.set(Some(data["data"].clone())),
                "error" => view
                    .error
                    .set(Some(crate::sse::error_message(&data, "The run failed."))),
                _ => {}
            }
        })
        .await;
        if let Err(message) = outcome {
            view.error.set(Some(message));
        }
        view.running.set(false);
    });
}

/// Servers never run a test from a click; rendering the panel there needs no sender.
#[cfg(not(feature = "hydrate"))]
pub fn start(view: RunView, run: TestRun) {
    let _ = (view, run);
}

/// `narrow` lays the summary out for a column of a side-by-side comparison.
#[component]
pub fn RunOutput(run: RunView, #[prop(optional)] narrow: bool) -> impl IntoView {
    view! {
        <div class="rounded-md border border-slate-200 bg-slate-50 p-4 text-sm" data-testid="test-output">
            <pre class="whitespace-pre-wrap font-sans" data-testid="test-answer">{move || run.text.get()}</pre>
            {move || run.error.get().map(|e| view! {
                <p class="mt-2 whitespace-pre-line text-red-700" role="alert" data-testid="test-error">{e}</p>
            })}
            {move || run.summary.get().map(|s| view! { <RunSummary summary=s narrow /> })}
        </div>
    }
}

#[component]
fn RunSummary(summary: Value, narrow: bool) -> impl IntoView {
    let usage = &summary["usage"];
    let count = |v: &Value| v.as_u64().unwrap_or_default();
    let tokens = format!(
        "{} → {} tokens{}",
        count(&usage["prompt_tokens"]),
        count(&usage["completion_tokens"]),
        match count(&usage["cached_tokens"]) {
            0 => String::new(),
            cached => format!(" ({cached} cached)"),
        }
    );
    let cost = summary["cost_usd"]
        .as_f64()
        .map_or_else(|| "unknown".to_owned(), |c| format!("${c:.6}"));
    let rows = [
        ("Tokens", tokens),
        ("Cost", cost),
        ("Latency", format!("{} ms", count(&summary["latency_ms"]))),
        (
            "Model used",
            summary["model_used"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ),
        (
            "Finish reason",
            summary["finish_reason"].as_str().unwrap_or("—").to_owned(),
        ),
    ];
    let citations: Vec<(String, String)> = summary["citations"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|c| {
                    let url = c["url"].as_str().unwrap_or_default().to_owned();
                    (
                        c["title"]
                            .as_str()
                            .map_or_else(|| url.clone(), str::to_owned),
                        url,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    view! {
        <dl
            class="mt-3 grid grid-cols-2 gap-x-6 gap-y-1 border-t border-slate-200 pt-3"
            class=("md:grid-cols-5", !narrow)
            data-testid="test-summary"
        >
            {rows.into_iter().map(|(label, value)| view! {
                <div>
                    <dt class="text-xs uppercase text-slate-500">{label}</dt>
                    <dd class="font-medium">{value}</dd>
                </div>
            }).collect_view()}
        </dl>
        {(!citations.is_empty()).then(|| view! {
            <ul class="mt-2 list-disc pl-5 text-xs" data-testid="test-citations">
                {citations.into_iter().map(|(title, url)| if is_web_url(&url) {
                    view! {
                        <li><a class="text-indigo-600 hover:underline" href=url target="_blank" rel="noopener noreferrer">{title}</a></li>
                    }.into_any()
                } else {
                    // Shown, never followed: a `javascript:` or `data:` link would run in the console.
                    let text = if title == url { url } else { format!("{title} ({url})") };
                    view! { <li class="break-all text-slate-600">{text}</li> }.into_any()
                }).collect_view()}
            </ul>
        })}
    }
}

/// Whether a URL the upstream cited may become a link: only `http` and `https`, checked on the
/// text as sent (a browser would strip leading blanks and read `javascript:` behind them).
fn is_web_url(url: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_become_links() {
        for web in [
            "https://a.example/x",
            "http://a.example",
            "HTTPS://A.EXAMPLE",
        ] {
            assert!(is_web_url(web), "{web}");
        }
        for other in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "\tjavascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//a.example",
            "/relative",
            "http:/a.example",
            "https:a.example",
            "",
            "é",
        ] {
            assert!(!is_web_url(other), "{other:?}");
        }
    }
}
