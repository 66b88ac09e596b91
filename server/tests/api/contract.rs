//! The API contract: one table of every caller option and body field, each out-of-range,
//! wrong-type and unknown value refused naming the field (422 on the native API, OpenAI's 400 on
//! `/v1`), and the served OpenAPI document stating the same constraints; a request the provider
//! refuses is the caller's 422, not the gateway's 502; and schemathesis finds no 5xx in
//! generated requests.

use gateway::options;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, venv_python};
use crate::on_each_engine;

/// One caller option: what the document must state about it, values refused, values taken.
struct Row {
    name: &'static str,
    schema: Value,
    refused: Vec<Value>,
    taken: Vec<Value>,
}

/// Every caller option, as the README and reference state them.
fn table() -> Vec<Row> {
    let row = |name, schema, refused, taken| Row {
        name,
        schema,
        refused,
        taken,
    };
    let number = |min: f64, max: f64| json!({"type": "number", "minimum": min, "maximum": max});
    vec![
        row(
            "max_tokens",
            json!({"type": "integer", "minimum": 1, "maximum": 8192}),
            vec![
                json!(0),
                json!(-5),
                json!(1.5),
                json!("1.5"),
                json!(8193),
                json!(1e300),
                json!("many"),
                json!(true),
            ],
            vec![json!(1), json!("16"), json!(8192)],
        ),
        row(
            "temperature",
            number(0.0, 2.0),
            vec![
                json!(2.5),
                json!(-0.1),
                json!("warm"),
                json!([1]),
                json!({}),
            ],
            vec![json!(0), json!(2), json!("0.7")],
        ),
        row(
            "top_p",
            number(0.0, 1.0),
            vec![json!(1.01), json!(-0.5), json!(false)],
            vec![json!(0.5)],
        ),
        row(
            "top_k",
            json!({"type": "integer", "minimum": 0}),
            vec![json!(-1), json!(2.5), json!("x")],
            vec![json!(40)],
        ),
        row(
            "frequency_penalty",
            number(-2.0, 2.0),
            vec![json!(-2.5), json!(3), json!("x")],
            vec![json!(-1)],
        ),
        row(
            "presence_penalty",
            number(-2.0, 2.0),
            vec![json!(2.01), json!(-3), json!([])],
            vec![json!(1.5)],
        ),
        row(
            "repetition_penalty",
            number(0.0, 2.0),
            vec![json!(-0.1), json!(2.1), json!("x")],
            vec![json!(1)],
        ),
        row(
            "seed",
            json!({"type": "integer"}),
            vec![json!(1.5), json!("abc"), json!(1e30), json!(u64::MAX)],
            vec![json!(-3), json!("42")],
        ),
        row(
            "stop",
            json!({"oneOf": [{"type": "string", "maxLength": 256},
                             {"type": "array", "maxItems": 4, "items": {"type": "string"}}]}),
            vec![
                json!(5),
                json!([1]),
                json!(["a", "b", "c", "d", "e"]),
                json!({"a": 1}),
                json!("x".repeat(257)),
            ],
            vec![json!("\n"), json!(["a", "b"])],
        ),
        row(
            "response_format",
            json!({"type": "object", "required": ["type"], "additionalProperties": false,
                   "properties": {"type": {"enum": ["text", "json_object", "json_schema"]},
                                  "json_schema": {"required": ["name"]}}}),
            vec![
                json!([null, null]),
                json!({"type": "yaml"}),
                json!({}),
                json!("text"),
                json!({"type": "json_schema"}),
                json!({"type": "json_object", "schema": {}}),
            ],
            vec![
                json!({"type": "json_object"}),
                json!({"type": "json_schema", "json_schema": {"name": "answer", "schema": {}}}),
            ],
        ),
        row(
            "reasoning",
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"effort": {"enum": options::REASONING_EFFORTS},
                                  "max_tokens": {"type": "integer", "minimum": 0}}}),
            vec![
                json!("low"),
                json!({"effort": "extreme"}),
                json!({"budget": 1}),
                json!({"effort": "low", "max_tokens": 5}),
            ],
            vec![json!({"effort": "low"})],
        ),
    ]
}

/// Options that are not options: refused, never dropped.
const NOT_OPTIONS: &[&str] = &["stream", "tools", "plugins", "model", "min_p", "temprature"];

/// Whether every key of `expected` is in `actual` with the same value (objects compared the same
/// way, arrays item by item).
fn states(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => expected
            .iter()
            .all(|(key, value)| actual.get(key).is_some_and(|found| states(found, value))),
        (Value::Array(actual), Value::Array(expected)) => {
            actual.len() == expected.len() && actual.iter().zip(expected).all(|(a, e)| states(a, e))
        }
        (Value::Number(actual), Value::Number(expected)) => actual.as_f64() == expected.as_f64(),
        _ => actual == expected,
    }
}

async fn chat(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let response = app.post("/api/ai/table/chat", Some(token), body).await;
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn openai(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let response = app.post("/v1/chat/completions", Some(token), body).await;
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A native chat body with one option.
fn with_option(name: &str, value: &Value) -> Value {
    json!({"args": {"question": "hi"}, "options": {name: value}})
}

fn openai_body(extra: &[(&str, Value)]) -> Value {
    let mut body = json!({"model": "table", "args": {"question": "hi"},
                          "messages": [{"role": "user", "content": "hi"}]});
    for (key, value) in extra {
        body[*key] = value.clone();
    }
    body
}

#[tokio::test]
async fn every_option_is_checked_by_the_definition_the_document_states() {
    let app = spawn_app().await;
    app.integration("table", |_, _| {}).await;
    let token = app.token().await;
    let table = table();

    // The table covers exactly the options the gateway defines for callers.
    let defined: Vec<&str> = options::caller_params().map(|param| param.name).collect();
    let tabled: Vec<&str> = table.iter().map(|row| row.name).collect();
    assert_eq!(defined, tabled);

    let document: Value = app.get("/api/ai/openapi.json").await.json().await.unwrap();
    let schema_of = |path: &str| {
        document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            .clone()
    };
    let native = schema_of("/api/ai/table/chat");
    let native_options = &native["properties"]["options"];
    assert_eq!(native_options["additionalProperties"], false);
    let described: Vec<&String> = native_options["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(described.len(), table.len(), "{described:?}");
    let v1 = schema_of("/v1/chat/completions");

    for row in &table {
        let name = row.name;
        for (place, schema) in [
            ("options", &native_options["properties"][name]),
            ("/v1", &v1["properties"][name]),
        ] {
            assert!(
                states(schema, &row.schema),
                "{place} {name}: the document says {schema}, the definition {}",
                row.schema
            );
        }
        for bad in &row.refused {
            let (status, body) = chat(&app, &token, with_option(name, bad)).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}: {bad} → {body}"
            );
            let field = format!("options.{name}");
            assert!(
                body["errors"][&field][0]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{name}: {bad} → {body}"
            );
            assert_eq!(body["errors"].as_object().unwrap().len(), 1, "{body}");

            let (status, body) = openai(&app, &token, openai_body(&[(name, bad.clone())])).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "/v1 {name}: {bad} → {body}"
            );
            assert_eq!(body["error"]["param"], name, "{body}");
            assert_eq!(body["error"]["code"], "invalid_value", "{body}");
            assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
        }
        for good in &row.taken {
            let (status, body) = chat(&app, &token, with_option(name, good)).await;
            assert_eq!(status, StatusCode::OK, "{name}: {good} → {body}");
            let (status, body) = openai(&app, &token, openai_body(&[(name, good.clone())])).await;
            assert_eq!(status, StatusCode::OK, "/v1 {name}: {good} → {body}");
        }
    }
    // OpenAI's newer name for the token limit is checked by the same definition.
    assert!(states(
        &v1["properties"]["max_completion_tokens"],
        &table[0].schema
    ));
    let (status, body) = openai(
        &app,
        &token,
        openai_body(&[("max_completion_tokens", json!(0))]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    for name in NOT_OPTIONS {
        let (status, body) = chat(&app, &token, with_option(name, &json!(true))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert!(
            body["errors"][format!("options.{name}")].is_array(),
            "{body}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn every_body_field_is_typed_and_unknown_ones_are_named() {
    let app = spawn_app().await;
    app.integration("table", |f, _| f.conversational = true)
        .await;
    let token = app.token().await;
    // (route, body, the field named)
    let cases = [
        ("chat", json!({"args": []}), "args"),
        ("chat", json!({"args": null}), "args"),
        ("chat", json!({"options": [1]}), "options"),
        ("chat", json!({"messages": "hi"}), "messages"),
        ("chat", json!({"stream": "yes"}), "stream"),
        ("chat", json!({"temprature": 1}), "temprature"),
        ("chat", json!({"message": "hi"}), "message"),
        ("chat", json!({"model": "x"}), "model"),
        ("converse", json!({"message": 5}), "message"),
        (
            "converse",
            json!({"message": "hi", "conversation_id": 5}),
            "conversation_id",
        ),
        (
            "converse",
            json!({"message": "hi", "conversation_id": "x".repeat(65)}),
            "conversation_id",
        ),
        (
            "converse",
            json!({"message": "hi", "messages": []}),
            "messages",
        ),
        ("converse", json!({"message": "hi", "option": {}}), "option"),
    ];
    for (route, mut body, field) in cases {
        if body.get("args").is_none() {
            body["args"] = json!({"question": "hi"});
        }
        let response = app
            .post(
                &format!("/api/ai/table/{route}"),
                Some(&token),
                body.clone(),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let answer: Value = response.json().await.unwrap();
        assert!(answer["errors"][field].is_array(), "{body} → {answer}");
    }
    // The document states the same fields and no others.
    let document: Value = app.get("/api/ai/openapi.json").await.json().await.unwrap();
    for (route, fields) in [
        (
            "chat",
            vec![
                "args",
                "messages",
                "options",
                "parallel_tool_calls",
                "stream",
                "tool_choice",
                "tools",
            ],
        ),
        (
            "converse",
            vec!["args", "conversation_id", "message", "options", "stream"],
        ),
    ] {
        let schema = &document["paths"][format!("/api/ai/table/{route}")]["post"]["requestBody"]["content"]
            ["application/json"]["schema"];
        assert_eq!(schema["additionalProperties"], false, "{route}");
        let mut described: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        described.sort_unstable();
        assert_eq!(described, fields, "{route}");
    }

    for (field, value) in [
        ("temprature", json!(1)),
        ("functions", json!([])),
        ("logit_bias", json!({})),
    ] {
        let response = app
            .post(
                "/v1/chat/completions",
                Some(&token),
                openai_body(&[(field, value)]),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{field}");
        let error = &response.json::<Value>().await.unwrap()["error"];
        assert_eq!(error["param"], field, "{error}");
        assert_eq!(error["code"], "unknown_parameter", "{error}");
    }
    app.shutdown().await;
}

on_each_engine!(
    a_request_the_provider_refuses_is_a_free_422_with_its_reason,
    |app: TestApp| async move {
        // A fault model has no catalog price, so each call holds the unknown-price estimate
        // ($0.05): were refused calls charged or left holding it, the fourth would meet the cap.
        app.integration("refused", |f, d| {
            f.daily_cap = Some(gateway::types::NanoUsd::from_usd(0.15));
            d.models = vec!["simulator/error-400".to_owned()];
        })
        .await;
        let token = app.token().await;
        let ask = json!({"args": {"question": "hi"}});
        for _ in 0..5 {
            let response = app
                .post("/api/ai/refused/chat", Some(&token), ask.clone())
                .await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error_class"], "upstream_rejected_request", "{body}");
            let message = body["message"].as_str().unwrap();
            assert!(
                message.contains("must contain the word 'json'"),
                "{message}"
            );
        }
        let (status, body) = openai(
            &app,
            &token,
            json!({"model": "refused", "args": {"question": "hi"},
                   "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "upstream_rejected_request");
        // The rows keep the provider's own status class, and nothing was spent.
        assert!(
            app.eventually(5, || async {
                app.rows(
                    "integration_slug = 'refused' and status = 'error' \
                          and error_class = 'upstream_400'",
                )
                .await
                    == 6
            })
            .await
        );
        assert_eq!(app.rows("cost_nanos > 0").await, 0);
    }
);

/// schemathesis (pinned in `.venv` by `make setup`) generates requests from the served OpenAPI
/// document, valid and invalid, and every answer must be something other than a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_from_the_document_never_get_a_5xx() {
    let Some(python) = venv_python() else {
        return;
    };
    let app = spawn_app().await;
    app.integration("fuzzed", |_, _| {}).await;
    app.integration("talker", |f, d| {
        f.conversational = true;
        d.variables[0].required = false;
        d.variables.push(gateway::types::PromptVariable {
            name: "count".to_owned(),
            kind: gateway::types::VariableType::Number,
            required: false,
            default: None,
            description: None,
        });
    })
    .await;
    let token = app.token().await;
    let schemathesis = python.with_file_name("schemathesis");
    let work = std::env::temp_dir().join(format!("schemathesis-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&work).unwrap();
    let output = tokio::process::Command::new(schemathesis)
        .current_dir(&work)
        .args([
            "run",
            &format!("{}/api/ai/openapi.json", app.address),
            "--url",
            &app.address,
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "120",
            "--seed",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            "--header",
            &format!("Authorization: Bearer {token}"),
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The summary's "Test cases: N generated, N passed".
    let generated: u32 = stdout
        .split_once("Test cases:")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no test case count in:\n{stdout}"));
    assert!(generated >= 500, "only {generated} cases:\n{stdout}");
    let _ = std::fs::remove_dir_all(&work);
    app.shutdown().await;
}

/// The console's save (its server function, called as the editor calls it) checks default
/// parameters by the caller options' definitions and names each input at fault.
#[tokio::test]
async fn the_console_refuses_default_params_outside_their_definitions_naming_each() {
    let app = spawn_app().await;
    let cookie = app.sign_in().await;
    let mut draft = gateway::test_support::sample_draft();
    draft.default_params = serde_json::from_value(json!({
        "temperature": "abc", "max_tokens": -5, "response_format": "[null, null]",
        "top_p": "0.5", "verbosity": "low"
    }))
    .unwrap();
    let save = |draft: gateway::types::VersionDraft| {
        app.client
            .post(format!(
                "{}{}",
                app.address,
                <app::SaveIntegration as leptos::server_fn::ServerFn>::PATH
            ))
            .header("origin", &app.address)
            .header("cookie", &cookie)
            .json(&json!({
                "fields": gateway::test_support::sample_fields("tuned"),
                "draft": draft,
                "creating": true,
            }))
            .send()
    };
    let answer: Value = save(draft.clone()).await.unwrap().json().await.unwrap();
    let errors = answer["Invalid"]
        .as_object()
        .unwrap_or_else(|| panic!("{answer}"));
    let mut fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "version.default_params.max_tokens",
            "version.default_params.response_format",
            "version.default_params.temperature",
        ],
        "{answer}"
    );
    assert_eq!(
        errors["version.default_params.temperature"],
        json!(["Must be a number."])
    );
    assert!(app.gateway.snapshot().integration("tuned").is_none());

    draft.default_params.remove("temperature");
    draft.default_params.remove("response_format");
    draft
        .default_params
        .insert("max_tokens".to_owned(), json!("512"));
    let answer: Value = save(draft).await.unwrap().json().await.unwrap();
    assert!(answer["Saved"]["id"].is_i64(), "{answer}");
    app.shutdown().await;
}
