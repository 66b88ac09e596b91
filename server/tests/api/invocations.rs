//! The invocations page over HTTP: its grid server function and the CSV export, both behind the
//! console session, both with the same filters, and both refusing bad input with a message.

use gateway::invocations::InvocationImport;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// 2026-03-02 00:00:00 UTC.
const MAR_2: i64 = 1_772_409_600_000;

/// Six calls: "alpha" ok/error alternating with costs 1000, none, 3000, …; "beta" two ok calls.
async fn seed(app: &TestApp) {
    let mut rows: Vec<Value> = (0..4)
        .map(|i| {
            json!({
                "integration_slug": "alpha",
                "caller_type": "api",
                "status": if i % 2 == 0 { "ok" } else { "error" },
                "model_used": "openai/gpt-4o-mini",
                "prompt_tokens": 100 + i,
                "completion_tokens": 10,
                "cost_nanos": (i % 2 == 0).then_some(1_000 * (i + 1)),
                "latency_ms": 200,
                "error_message": (i % 2 == 1).then_some("=1+1, \"quoted\""),
                "created_at_ms": MAR_2 + i * 3_600_000,
            })
        })
        .collect();
    rows.extend((0..2).map(|i| {
        json!({
            "integration_slug": "beta",
            "caller_type": "internal",
            "status": "ok",
            "latency_ms": 50,
            "cost_nanos": 7,
            "created_at_ms": MAR_2 + 86_400_000 + i,
        })
    }));
    let document: InvocationImport =
        serde_json::from_value(json!({ "invocations": rows })).unwrap();
    app.gateway.import_invocations(document).await.unwrap();
}

async fn export(app: &TestApp, cookie: Option<&str>, query: &str) -> reqwest::Response {
    export_at(app, app::api::INVOCATIONS_CSV_PATH, cookie, query).await
}

async fn export_at(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    query: &str,
) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}?{query}", app.address));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// The path of the server function whose name contains `name`.
fn server_fn_path(name: &str) -> &'static str {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .find(|path| path.contains(name))
        .unwrap_or_else(|| panic!("no server function named like {name}"))
}

async fn list(app: &TestApp, cookie: &str, query: Value) -> reqwest::Response {
    app.client
        .post(format!(
            "{}{}",
            app.address,
            server_fn_path("list_invocations")
        ))
        .header("origin", &app.address)
        .header("cookie", cookie)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_export_needs_a_signed_in_admin() {
    let app = spawn_app().await;
    for path in [
        app::api::INVOCATIONS_CSV_PATH,
        app::api::INVOCATIONS_JSON_PATH,
    ] {
        let response = export_at(&app, path, None, "").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("Sign in"),
            "{body}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_export_adds_kept_prompts_and_answers_when_asked() {
    let app = spawn_app().await;
    let document: InvocationImport = serde_json::from_value(json!({ "invocations": [
        {
            "integration_slug": "kept", "caller_type": "api", "status": "ok", "latency_ms": 5,
            "created_at_ms": MAR_2,
            "exchange": {
                "prompt": "[{\"role\":\"user\",\"content\":\"Where is Lisbon?\"}]",
                "answer": "{\"role\":\"assistant\",\"content\":\"In Portugal.\"}",
                "expires_at_ms": i64::MAX
            }
        },
        {
            "integration_slug": "unkept", "caller_type": "api", "status": "ok", "latency_ms": 5,
            "created_at_ms": MAR_2 + 1
        },
        {
            "integration_slug": "odd", "caller_type": "api", "status": "error", "latency_ms": 5,
            "created_at_ms": MAR_2 + 2,
            "exchange": { "prompt": format!("nul\u{0}{}", "x".repeat(200_000)), "answer": null, "expires_at_ms": 0 }
        }
    ]}))
    .unwrap();
    app.gateway.import_invocations(document).await.unwrap();
    let cookie = app.sign_in().await;

    let plain = export(&app, Some(&cookie), "direction=desc")
        .await
        .text()
        .await
        .unwrap();
    assert!(!plain.contains("Lisbon"), "{plain}");
    let full = export(&app, Some(&cookie), "direction=desc&exchanges=true").await;
    assert_eq!(full.status(), StatusCode::OK);
    let csv = full.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",prompt,answer"), "{}", lines[0]);
    let kept = lines.iter().find(|l| l.contains(",kept,")).unwrap();
    assert!(
        kept.contains("Where is Lisbon?") && kept.contains("In Portugal."),
        "{kept}"
    );
    let odd = lines.iter().find(|l| l.contains(",odd,")).unwrap();
    assert!(
        odd.contains("nul\u{FFFD}xxx") && odd.contains("bytes in all]"),
        "an imported exchange is bounded and storable"
    );
    assert!(odd.len() < 70_000, "{}", odd.len());
    let unkept = lines.iter().find(|l| l.contains(",unkept,")).unwrap();
    assert!(unkept.ends_with(",,"), "{unkept}");

    let json = export_at(
        &app,
        app::api::INVOCATIONS_JSON_PATH,
        Some(&cookie),
        "direction=desc&exchanges=true",
    )
    .await;
    assert_eq!(json.status(), StatusCode::OK);
    assert_eq!(json.headers()["content-type"], "application/json");
    let document: Value = json.json().await.unwrap();
    let rows = document["invocations"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{document}");
    let row = |slug: &str| rows.iter().find(|r| r["integration_slug"] == slug).unwrap();
    let prompt = row("kept")["exchange"]["prompt"].as_str().unwrap();
    assert!(prompt.contains("Where is Lisbon?"), "{prompt}");
    assert!(row("unkept")["exchange"].is_null());
    let unasked = export_at(
        &app,
        app::api::INVOCATIONS_JSON_PATH,
        Some(&cookie),
        "integration=kept",
    )
    .await;
    let document: Value = unasked.json().await.unwrap();
    assert_eq!(document["invocations"].as_array().unwrap().len(), 1);
    assert!(
        document["invocations"][0]["exchange"].is_null(),
        "{document}"
    );

    let bad = export(&app, Some(&cookie), "exchanges=perhaps").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("exchanges"));
    app.shutdown().await;
}

#[tokio::test]
async fn the_export_is_a_csv_download_of_exactly_the_filtered_rows() {
    let app = spawn_app().await;
    seed(&app).await;
    let cookie = app.sign_in().await;

    let response = export(
        &app,
        Some(&cookie),
        "integration=alpha&sort=cost&direction=asc",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    assert!(header("content-disposition").starts_with("attachment; filename=\"invocations-"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("created_at,id,integration,status,caller_type,"));
    assert!(lines[1].contains(",alpha,ok,") && lines[1].contains(",0.000001,"));
    assert!(lines[2].contains(",0.000003,"));
    // No cost sorts last; a formula-like message is defused and quoted.
    assert!(
        lines[3].ends_with(",\"'=1+1, \"\"quoted\"\"\""),
        "{}",
        lines[3]
    );

    let day = export(&app, Some(&cookie), "from=2026-03-03&until=2026-03-03").await;
    let csv = day.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.lines().skip(1).all(|line| line.contains(",beta,")));
    app.shutdown().await;
}

#[tokio::test]
async fn bad_sorts_and_dates_are_refused_with_a_readable_message() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;

    let response = export(&app, Some(&cookie), "sort=cost_nanos%3Bdrop%20table").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown variant"),
        "{body}"
    );

    let response = export(&app, Some(&cookie), "from=2026-02-30").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["errors"]["from"][0]
            .as_str()
            .unwrap()
            .contains("YYYY-MM-DD"),
        "{body}"
    );

    let response = list(
        &app,
        &cookie,
        json!({"until": "2026-03-01", "from": "2026-03-02"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("The last day comes before the first.")
    );

    let response = list(&app, &cookie, json!({"sort": "random()"})).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("unknown variant `random()`")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_grid_answers_a_page_with_totals_over_every_match() {
    let app = spawn_app().await;
    seed(&app).await;
    let cookie = app.sign_in().await;
    let response = list(&app, &cookie, json!({"status": "ok", "search": "ALPHA"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["rows"]["total"], 2);
    assert_eq!(page["totals"]["prompt_tokens"], 100 + 102);
    assert_eq!(page["totals"]["cost"], 1_000 + 3_000);
    assert_eq!(
        page["rows"]["items"][0]["created_at"],
        "2026-03-02 02:00:00 UTC"
    );
    assert_eq!(page["chart"]["bucket"], "hour");
    app.shutdown().await;
}
