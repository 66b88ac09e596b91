//! A measurement, not a check (run it with `--ignored --nocapture`): 100,000 invocation rows
//! inserted through the store, then the time of the Σ statement and of the whole grid query per
//! filter, with the engine's plan of the Σ statement.

use std::time::{Duration, Instant};

use gateway::Store;
use gateway::invocations::{self, InvocationImport};
use gateway::test_support::{TestDatabase, with_store};
use gateway::types::{InvocationQuery, InvocationStatus};
use serde_json::json;

const ROWS: i64 = 100_000;
/// 2026-03-02 00:00:00 UTC; the rows spread over the 30 days from here.
const START: i64 = 1_772_409_600_000;
const SPAN: i64 = 30 * 86_400_000;
const RUNS: usize = 7;

async fn seed(store: &Store) {
    let slugs = [
        "support",
        "summarise",
        "translate",
        "classify",
        "extract",
        "draft",
        "search",
        "moderate",
    ];
    let models = [
        "openai/gpt-4o-mini",
        "anthropic/claude-haiku-4.5",
        "google/gemini-2.0-flash",
    ];
    let callers = ["api", "openai", "internal", "admin-test"];
    for chunk in 0..ROWS / 10_000 {
        let rows: Vec<_> = (chunk * 10_000..(chunk + 1) * 10_000)
            .map(|i| {
                let status = match i % 20 {
                    0 => "error",
                    1 => "fallback",
                    _ => "ok",
                };
                let index = |n: usize| usize::try_from(i * 7919 % 104_729).unwrap() % n;
                json!({
                    "integration_slug": slugs[index(slugs.len())],
                    "caller_type": callers[usize::try_from(i).unwrap() % callers.len()],
                    "caller_id": format!("token:{}", i % 13),
                    "status": status,
                    "model_requested": models[0],
                    "model_used": (status != "error").then_some(models[index(models.len())]),
                    "prompt_tokens": 200 + i % 700,
                    "completion_tokens": 50 + i % 300,
                    "cost_nanos": (status != "error").then_some(20_000 + i % 90_000),
                    "latency_ms": 300 + i % 2_500,
                    "error_message": (status == "error").then_some("upstream answered 429"),
                    "created_at_ms": START + i * SPAN / ROWS,
                })
            })
            .collect();
        let document: InvocationImport =
            serde_json::from_value(json!({ "invocations": rows })).unwrap();
        invocations::import(store, document).await.unwrap();
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn sqlite() {
    with_store(TestDatabase::sqlite(), measure).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn postgres() {
    if let Some(database) = TestDatabase::postgres().await {
        with_store(database, measure).await;
    }
}

async fn measure(store: Store) {
    let began = Instant::now();
    seed(&store).await;
    println!(
        "\n{:?}: inserted {ROWS} rows in {:.1?}",
        store.engine(),
        began.elapsed()
    );
    time_the_filter_options(&store).await;
    for (name, query) in cases() {
        let mut sums = Vec::new();
        let mut pages = Vec::new();
        let mut found = None;
        for _ in 0..RUNS {
            let began = Instant::now();
            found = Some(invocations::totals(&store, &query).await.unwrap());
            sums.push(began.elapsed());
            let began = Instant::now();
            let page = invocations::search(&store, &query, START).await.unwrap();
            pages.push(began.elapsed());
            assert_eq!(Some(page.totals), found);
        }
        let totals = found.unwrap();
        println!(
            "{name}: {} rows, Σ cost {}; Σ statement median {:.1?}, whole page (rows, Σ, chart) median {:.1?}",
            totals.count,
            totals.cost.total_text(),
            median(sums),
            median(pages),
        );
        for step in invocations::explain_totals(&store, &query).await.unwrap() {
            println!("    plan: {step}");
        }
    }
}

async fn time_the_filter_options(store: &Store) {
    let mut times = Vec::new();
    let mut slugs = Vec::new();
    for _ in 0..RUNS {
        let began = Instant::now();
        slugs = invocations::integrations(store).await.unwrap();
        times.push(began.elapsed());
    }
    println!(
        "integration filter options: {} slugs, median {:.1?}",
        slugs.len(),
        median(times)
    );
}

fn cases() -> Vec<(&'static str, InvocationQuery)> {
    let query = InvocationQuery::default;
    vec![
        ("no filter", query()),
        (
            "status = error",
            InvocationQuery {
                status: Some(InvocationStatus::Error),
                ..query()
            },
        ),
        (
            "integration = support",
            InvocationQuery {
                integration: Some("support".into()),
                ..query()
            },
        ),
        (
            "one day",
            InvocationQuery {
                from: Some("2026-03-10".into()),
                until: Some("2026-03-10".into()),
                ..query()
            },
        ),
        (
            "a week, caller api, status ok",
            InvocationQuery {
                from: Some("2026-03-10".into()),
                until: Some("2026-03-16".into()),
                caller_type: Some("api".into()),
                status: Some(InvocationStatus::Ok),
                ..query()
            },
        ),
        (
            "search \"claude\"",
            InvocationQuery {
                search: "claude".into(),
                ..query()
            },
        ),
    ]
}
