//! The OpenAPI document describes every route of every API-visible integration and the
//! OpenAI-compatible routes, validates as OpenAPI 3.1, and the docs page and document follow the
//! configuration (off, Basic auth) and the runtime API switch.

use gateway::openapi::{NATIVE_ROUTES, OPENAI_CHAT_ROUTE, OPENAI_MODELS_ROUTE};
use gateway::test_support::TestDatabase;
use reqwest::StatusCode;
use serde_json::Value;
use server::config::DocsAuth;

use crate::helpers::{TestApp, spawn_app, spawn_app_with, venv_python};

async fn document(app: &TestApp) -> Value {
    let response = app.get("/api/ai/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_document_describes_every_route_of_every_callable_integration() {
    let app = spawn_app().await;
    app.integration("talker", |f, _| f.conversational = true)
        .await;
    app.integration("private", |f, _| {
        f.visibility = gateway::types::Visibility::Internal
    })
    .await;
    let document = document(&app).await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = document["paths"].as_object().unwrap();
    let token = app.token().await;
    // Every route the router registers comes from these tables; each must be described and
    // served (a described route the router lacks answers 404 or 405).
    let mut served: Vec<(String, &str)> = NATIVE_ROUTES
        .iter()
        .map(|(route, _)| {
            (
                format!("/api/ai{}", route.replace("{slug}", "talker")),
                "post",
            )
        })
        .collect();
    served.push((OPENAI_CHAT_ROUTE.to_owned(), "post"));
    served.push((OPENAI_MODELS_ROUTE.to_owned(), "get"));
    for (path, method) in &served {
        assert!(
            paths.get(path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} is not described: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
        let request = match *method {
            "get" => app.client.get(format!("{}{path}", app.address)),
            _ => app
                .client
                .post(format!("{}{path}", app.address))
                .json(&serde_json::json!({})),
        };
        let status = request.bearer_auth(&token).send().await.unwrap().status();
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED && status != StatusCode::NOT_FOUND,
            "{method} {path} is described but answers {status}"
        );
    }
    assert_eq!(
        paths.len(),
        served.len(),
        "the document describes a route that is not served: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
    let chat = &paths["/api/ai/talker/chat"]["post"];
    let body = &chat["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(
        body["properties"]["args"]["properties"]["question"]["type"],
        "string"
    );
    assert_eq!(body["properties"]["args"]["required"][0], "question");
    assert_eq!(
        body["properties"]["options"]["properties"]["max_tokens"]["type"],
        "integer"
    );
    let description = chat["description"].as_str().unwrap();
    assert!(description.contains("openai/gpt-4o-mini"), "{description}");
    assert!(description.contains("Prompt caching"), "{description}");
    assert_eq!(
        chat["responses"]["422"]["content"]["application/json"]["schema"]["oneOf"][0]["$ref"],
        "#/components/schemas/ValidationError"
    );
    assert_eq!(
        paths[OPENAI_CHAT_ROUTE]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
            ["model"]["enum"],
        serde_json::json!(["talker"])
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    app.shutdown().await;
}

/// Checked by openapi-spec-validator from PyPI (installed into `.venv` by `make setup`).
#[tokio::test]
async fn the_document_is_valid_openapi_3_1() {
    let Some(python) = venv_python() else {
        return;
    };
    let app = spawn_app().await;
    app.integration("talker", |f, d| {
        f.conversational = true;
        f.description = Some("Answers <questions> & \"quotes\".".to_owned());
        d.variables.push(gateway::types::PromptVariable {
            name: "payload".to_owned(),
            kind: gateway::types::VariableType::Json,
            required: false,
            default: Some(serde_json::json!("{}")),
            description: None,
        });
    })
    .await;
    app.integration("plain", |_, _| {}).await;
    let path = std::env::temp_dir().join(format!("openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&path, document(&app).await.to_string()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi_check.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg(&path)
        .output()
        .await
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("valid OpenAPI 3.1"));
    app.shutdown().await;
}

async fn assert_docs_absent(app: &TestApp) {
    for path in ["/api/ai/openapi.json", "/api/ai/docs"] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_document_and_the_docs_follow_the_api_switch() {
    let app = spawn_app().await;
    let mut settings = app.gateway.snapshot().settings.clone();
    settings.api_enabled = false;
    app.gateway.save_settings(&settings).await.unwrap();
    assert_docs_absent(&app).await;
    app.shutdown().await;
}

#[tokio::test]
async fn the_docs_page_loads_the_bundle_from_this_server_only() {
    let site = std::env::temp_dir().join(format!("site-{}", uuid::Uuid::new_v4()));
    let app = spawn_app_with(TestDatabase::sqlite(), |c| c.site_root = site.clone()).await;
    // Without the bundle the page says so instead of rendering blank.
    let missing = app.get("/api/ai/docs").await;
    assert_eq!(missing.status(), StatusCode::SERVICE_UNAVAILABLE);

    let bundle = site.join("vendor/scalar/api-reference.js");
    std::fs::create_dir_all(bundle.parent().unwrap()).unwrap();
    std::fs::write(&bundle, "/* bundle */").unwrap();
    let page = app.get("/api/ai/docs").await;
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"));
    // Its own policy, not the console's: the bundle needs inline styles.
    assert!(
        policy.contains("style-src 'self' 'unsafe-inline'"),
        "{policy}"
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"<script src="/vendor/scalar/api-reference.js">"#),
        "{html}"
    );
    assert!(html.contains(r#""url":"/api/ai/openapi.json""#), "{html}");
    // The one inline script with content is allowed by its hash, and nothing else inline is.
    let inline = html
        .split("<script>")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("an inline script before the bundle");
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::prelude::BASE64_STANDARD.encode(sha2::Sha256::digest(inline.as_bytes()))
    };
    assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
    assert!(
        !policy.contains("'unsafe-eval'") && !policy.contains("script-src 'self' 'unsafe-inline'")
    );
    assert!(
        !html.contains("https://"),
        "nothing is loaded from elsewhere: {html}"
    );
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test]
async fn the_docs_page_takes_the_console_theme_and_refuses_another_word() {
    let site = std::env::temp_dir().join(format!("site-{}", uuid::Uuid::new_v4()));
    let app = spawn_app_with(TestDatabase::sqlite(), |c| c.site_root = site.clone()).await;
    let bundle = site.join("vendor/scalar/api-reference.js");
    std::fs::create_dir_all(bundle.parent().unwrap()).unwrap();
    std::fs::write(&bundle, "/* bundle */").unwrap();

    // The deployment's default (dark), with Scalar's own toggle.
    let html = app.get("/api/ai/docs").await.text().await.unwrap();
    assert!(html.contains(r#""darkMode":true"#), "{html}");
    assert!(!html.contains("forceDarkModeState"), "{html}");
    assert!(html.contains(r#""hideDarkModeToggle":false"#), "{html}");
    // Framed by the console: its theme, fixed.
    let html = app
        .get("/api/ai/docs?theme=light")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#""darkMode":false"#), "{html}");
    assert!(html.contains(r#""forceDarkModeState":"light""#), "{html}");
    assert!(html.contains(r#""hideDarkModeToggle":true"#), "{html}");
    let html = app
        .get("/api/ai/docs?theme=dark")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#""forceDarkModeState":"dark""#), "{html}");
    for hostile in ["theme=purple", "theme=", "theme=%00", "theme=DARK"] {
        let refused = app.get(&format!("/api/ai/docs?{hostile}")).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{hostile}");
        let reason = refused.text().await.unwrap();
        assert!(reason.contains("theme"), "{hostile}: {reason}");
    }
    app.shutdown().await;
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test]
async fn docs_can_be_switched_off_by_configuration() {
    let app = spawn_app_with(TestDatabase::sqlite(), |c| c.docs.enabled = false).await;
    assert_docs_absent(&app).await;
    app.shutdown().await;
}

/// A server whose docs ask for the Basic credentials `reader` / `open sesame`.
async fn with_docs_password() -> crate::helpers::TestApp {
    spawn_app_with(TestDatabase::sqlite(), |c| {
        c.docs.auth = Some(DocsAuth {
            user: "reader".to_owned(),
            password: server::config::Secret::new("open sesame"),
        });
    })
    .await
}

#[tokio::test]
async fn docs_can_ask_for_a_password() {
    let app = with_docs_password().await;
    let url = format!("{}/api/ai/openapi.json", app.address);
    let anonymous = app.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
    let wrong = app
        .client
        .get(&url)
        .basic_auth("reader", Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = app
        .client
        .get(&url)
        .basic_auth("reader", Some("open sesame"))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    // The invocation API is not behind the docs password.
    let token = app.token().await;
    app.integration("open", |_, _| {}).await;
    let call = app
        .post(
            "/api/ai/open/chat",
            Some(&token),
            serde_json::json!({"args": {"question": "hi"}}),
        )
        .await;
    assert_ne!(call.status(), StatusCode::UNAUTHORIZED);
    app.shutdown().await;
}

#[tokio::test]
async fn repeated_wrong_docs_passwords_lock_that_address_out_with_429() {
    let app = with_docs_password().await;
    let url = format!("{}/api/ai/openapi.json", app.address);
    let read = |client: &reqwest::Client, password: &str| {
        client.get(&url).basic_auth("reader", Some(password)).send()
    };
    for _ in 0..gateway::accounts::MAX_FAILURES {
        let guess = read(&app.client, "guess").await.unwrap();
        assert_eq!(guess.status(), StatusCode::UNAUTHORIZED);
    }

    let locked = read(&app.client, "open sesame").await.unwrap();

    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key("retry-after"));
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let other_reader = read(&elsewhere, "open sesame").await.unwrap();
    assert_eq!(other_reader.status(), StatusCode::OK);
    app.shutdown().await;
}

/// The message and tool schemas say what both APIs take: every role the document lists is
/// accepted, one it does not list is refused, and both bodies describe content parts and tools.
#[tokio::test]
async fn the_document_describes_the_messages_and_tools_the_api_takes() {
    let app = spawn_app().await;
    app.integration("open", |f, _| {
        f.supports_vision = true;
        f.supports_tools = true;
    })
    .await;
    let document = document(&app).await;
    let body = |path: &str| {
        document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            .clone()
    };
    let token = app.token().await;
    for (path, route) in [
        ("/api/ai/open/chat", "/api/ai/open/chat"),
        (OPENAI_CHAT_ROUTE, OPENAI_CHAT_ROUTE),
    ] {
        let schema = body(path);
        let properties = &schema["properties"];
        for field in ["tools", "tool_choice", "parallel_tool_calls"] {
            assert!(properties[field].is_object(), "{path} lacks {field}");
        }
        let message = &properties["messages"]["items"];
        let parts = &message["properties"]["content"]["oneOf"][1]["items"]["oneOf"];
        assert_eq!(parts[0]["properties"]["type"]["enum"][0], "text");
        assert_eq!(parts[1]["properties"]["type"]["enum"][0], "image_url");
        let roles: Vec<&str> = message["properties"]["role"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(roles.len(), 5);
        for role in roles.iter().copied().chain(["narrator"]) {
            let mut turn = serde_json::json!({"role": role, "content": "hi"});
            if role == "tool" {
                turn["tool_call_id"] = "call_1".into();
            }
            let request = serde_json::json!({"model": "open", "args": {"question": "q"},
                                             "messages": [turn]});
            let answer: Value = app
                .post(route, Some(&token), request)
                .await
                .json()
                .await
                .unwrap();
            let refused = answer.to_string().contains("messages.0.role");
            assert_eq!(refused, role == "narrator", "{route} {role}: {answer}");
        }
    }
    app.shutdown().await;
}
