//! Every call accounted, however it ends: callers that hang up, failing models, NUL bytes, shared
//! rate-limit buckets and visibility, through the real HTTP surface on both engines.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn ask(question: &str) -> Value {
    json!({ "args": { "question": question } })
}

fn integration_id(app: &TestApp, slug: &str) -> i64 {
    app.gateway
        .snapshot()
        .integration(slug)
        .unwrap()
        .integration
        .id
}

/// Today's spend on the cap counter beside the sum of the rows' costs, in nano-dollars.
async fn counter_and_rows(app: &TestApp, slug: &str) -> (i64, i64) {
    let counter = app
        .gateway
        .spent_today(integration_id(app, slug))
        .await
        .unwrap()
        .0;
    let rows = app
        .scalar(&format!(
            "select cast(sum(cost_nanos) as bigint) from ai_invocations where integration_slug = '{slug}'"
        ))
        .await;
    (counter, rows)
}

crate::on_each_engine!(
    a_stream_whose_client_hangs_up_after_the_first_delta_is_one_cancelled_row_billed_as_openrouter_billed,
    |app: TestApp| async move {
        app.integration("slow", |f, d| {
            f.daily_cap = Some(gateway::types::NanoUsd::from_usd(1.0));
            d.models = vec!["simulator/slow-stream".to_owned()];
        })
        .await;
        let token = app.token().await;
        let mut body = ask("one two three four five six seven eight nine ten eleven twelve");
        body["stream"] = json!(true);
        let mut response = app.post("/api/ai/slow/chat", Some(&token), body).await;
        assert_eq!(response.status(), StatusCode::OK);
        let mut seen = String::new();
        while !seen.contains("event: delta") {
            let chunk = response.chunk().await.unwrap().expect("the stream ended early");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        drop(response);

        assert!(
            app.eventually(10, || async { app.rows("integration_slug = 'slow'").await == 1 })
                .await,
            "no row for the cancelled call"
        );
        assert_eq!(app.rows("status = 'cancelled' and streamed").await, 1);
        assert!(app.rows("completion_tokens >= 1").await == 1);
        let generation: String = {
            use sqlx::Connection;
            let mut connection = sqlx::AnyConnection::connect(app.database.url())
                .await
                .unwrap();
            sqlx::query_scalar("select generation_id from ai_invocations")
                .fetch_one(&mut connection)
                .await
                .unwrap()
        };
        let billed = gateway::types::NanoUsd::from_usd(
            app.generation(&generation).await.expect("a generation record")["total_cost"]
                .as_f64()
                .unwrap(),
        );
        assert!(billed.0 > 0);
        // The estimate is corrected to OpenRouter's figure, in the row and on the counter.
        assert!(
            app.eventually(10, || async {
                counter_and_rows(&app, "slow").await == (billed.0, billed.0)
            })
            .await,
            "settled {:?}, billed {}",
            counter_and_rows(&app, "slow").await,
            billed.0
        );
        // Still exactly one row.
        assert_eq!(app.rows("integration_slug = 'slow'").await, 1);
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    a_whole_call_whose_client_hangs_up_while_the_model_works_is_recorded_once_it_answers,
    |app: TestApp| async move {
        app.integration("patient", |_, d| {
            d.models = vec!["simulator/latency-1500".to_owned()];
        })
        .await;
        let token = app.token().await;
        let gave_up = app
            .client
            .post(format!("{}/api/ai/patient/chat", app.address))
            .bearer_auth(&token)
            .json(&ask("are you there?"))
            .timeout(Duration::from_millis(300))
            .send()
            .await;
        assert!(gave_up.is_err(), "the client should have given up");
        assert_eq!(app.rows("integration_slug = 'patient'").await, 0);
        assert!(
            app.eventually(10, || async {
                app.rows("integration_slug = 'patient' and status = 'ok'")
                    .await
                    == 1
            })
            .await,
            "no row once the model answered"
        );
        assert!(app.rows("cost_nanos > 0").await == 1);
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    failing_calls_cost_what_was_billed_so_they_never_lock_the_cap,
    |app: TestApp| async move {
        // A fault model has no catalog price, so each call holds the unknown-price estimate
        // ($0.05): the cap is worth three such calls.
        app.integration("flaky", |f, d| {
            f.daily_cap = Some(gateway::types::NanoUsd::from_usd(0.15));
            d.models = vec!["simulator/error-500".to_owned()];
        })
        .await;
        let token = app.token().await;
        for _ in 0..6 {
            let failed = app
                .post("/api/ai/flaky/chat", Some(&token), ask("hi"))
                .await;
            assert_eq!(failed.status(), StatusCode::BAD_GATEWAY);
        }
        let id = integration_id(&app, "flaky");
        let mut draft = gateway::test_support::sample_draft();
        draft.models = vec![gateway::test_support::SAMPLE_MODEL.to_owned()];
        let saved = app.gateway.save_version(id, &draft, None).await.unwrap();
        app.gateway
            .activate_version(id, saved.version.id)
            .await
            .unwrap();
        let ok = app
            .post("/api/ai/flaky/chat", Some(&token), ask("hi"))
            .await;
        assert_eq!(ok.status(), StatusCode::OK, "{}", ok.text().await.unwrap());
        assert!(
            app.eventually(5, || async {
                app.rows("integration_slug = 'flaky'").await == 7
            })
            .await
        );
        let (counter, rows) = counter_and_rows(&app, "flaky").await;
        assert!(counter > 0);
        assert_eq!(counter, rows);

        // A restart reads the same spend back.
        let url = app.database.url().to_owned();
        let restarted = gateway::Gateway::new(gateway::GatewayConfig::new(
            url,
            "http://127.0.0.1:9/api/v1",
        ))
        .await
        .unwrap();
        assert_eq!(restarted.spent_today(id).await.unwrap().0, rows);
        restarted.close().await;
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    nul_bytes_from_callers_are_422s_naming_the_field_and_recording_goes_on,
    |app: TestApp| async move {
        app.integration("nul", |f, _| f.conversational = true).await;
        let token = app.token().await;
        let refused = [
            (
                "/api/ai/nul/chat",
                json!({"args": {"question": "hi"}, "options": {"a\u{0}b": 1}}),
                "options.a\u{FFFD}b",
            ),
            (
                "/api/ai/nul/chat",
                json!({"args": {"question": "a\u{0}b"}}),
                "args.question",
            ),
            (
                "/api/ai/nul/chat",
                json!({"args": {"question": "hi"}, "messages": [{"role": "user", "content": "x\u{0}"}]}),
                "messages.0.content",
            ),
            (
                "/api/ai/nul/converse",
                json!({"args": {"question": "hi"}, "message": "hello\u{0}"}),
                "message",
            ),
        ];
        for (path, body, field) in refused {
            let response = app.post(path, Some(&token), body).await;
            assert_eq!(
                response.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}"
            );
            let body: Value = response.json().await.unwrap();
            assert!(body["errors"].get(field).is_some(), "{field}: {body}");
        }
        let openai = app
            .post(
                "/v1/chat/completions",
                Some(&token),
                json!({"model": "nul", "args": {"question": "hi"},
                       "messages": [{"role": "user", "content": "a\u{0}"}]}),
            )
            .await;
        assert!(openai.status().is_client_error(), "{}", openai.status());
        // No thread was started by the refused converse.
        assert_eq!(app.scalar("select count(*) from ai_conversations").await, 0);

        // The refusals have rows, and the next 1,000 calls have theirs within seconds.
        let calls = futures::future::join_all((0..1000).map(|i| {
            let (app, token) = (&app, &token);
            async move {
                app.post("/api/ai/nul/chat", Some(token), ask(&format!("q{i}")))
                    .await
                    .status()
            }
        }))
        .await;
        assert!(calls.iter().all(|s| *s == StatusCode::OK));
        assert!(
            app.eventually(15, || async { app.rows("status = 'ok'").await == 1000 })
                .await,
            "only {} rows",
            app.rows("status = 'ok'").await
        );
        assert!(app.rows("error_class = 'invalid_input'").await >= 4);
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    an_answer_with_a_nul_byte_reaches_the_caller_and_is_stored_readably,
    |app: TestApp| async move {
        app.integration("odd", |f, d| {
            f.conversational = true;
            d.models = vec!["simulator/nul-in-answer".to_owned()];
        })
        .await;
        let token = app.token().await;
        let response = app
            .post(
                "/api/ai/odd/converse",
                Some(&token),
                json!({"args": {"question": "hi"}, "message": "say something odd"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert!(body["data"]["text"].as_str().unwrap().contains('\u{0}'));
        let id = body["data"]["conversation_id"].as_str().unwrap().to_owned();
        let stored = app
            .scalar(&format!(
                "select count(*) from ai_conversation_messages where conversation_id = '{id}'"
            ))
            .await;
        assert_eq!(stored, 2);
        // The thread is free for the next turn at once.
        let next = app
            .post(
                "/api/ai/odd/converse",
                Some(&token),
                json!({"args": {"question": "hi"}, "message": "again", "conversation_id": id}),
            )
            .await;
        assert_eq!(next.status(), StatusCode::OK);
        assert!(
            app.eventually(5, || async {
                app.rows("integration_slug = 'odd'").await == 2
            })
            .await
        );
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    starting_conversations_counts_against_the_rate_limit_and_refused_turns_leave_no_thread,
    |app: TestApp| async move {
        app.integration("talky", |f, _| {
            f.conversational = true;
            f.rate_limit_per_minute = Some(2);
        })
        .await;
        let token = app.token().await;
        for _ in 0..2 {
            let started = app
                .post("/api/ai/talky/start", Some(&token), json!({}))
                .await;
            assert_eq!(started.status(), StatusCode::CREATED);
        }
        let refused = app
            .post("/api/ai/talky/start", Some(&token), json!({}))
            .await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers().get("retry-after").is_some());
        let converse = app
            .post(
                "/api/ai/talky/converse",
                Some(&token),
                json!({"args": {"question": "hi"}, "message": "hello"}),
            )
            .await;
        assert_eq!(converse.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(app.scalar("select count(*) from ai_conversations").await, 2);
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    one_token_has_one_rate_limit_bucket_on_both_api_surfaces,
    |app: TestApp| async move {
        app.integration("shared", |f, _| f.rate_limit_per_minute = Some(2))
            .await;
        let token = app.token().await;
        let native = app
            .post("/api/ai/shared/chat", Some(&token), ask("hi"))
            .await;
        assert_eq!(native.status(), StatusCode::OK);
        let openai = |token: String| {
            let app = &app;
            async move {
                app.post(
                    "/v1/chat/completions",
                    Some(&token),
                    json!({"model": "shared", "args": {"question": "hi"},
                           "messages": [{"role": "user", "content": "hi"}]}),
                )
                .await
            }
        };
        assert_eq!(openai(token.clone()).await.status(), StatusCode::OK);
        let third = openai(token.clone()).await;
        assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(third.headers().get("retry-after").is_some());
        assert_eq!(
            app.post("/api/ai/shared/chat", Some(&token), ask("hi"))
                .await
                .status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        // Another token has a bucket of its own.
        let other = app.token().await;
        assert_eq!(openai(other).await.status(), StatusCode::OK);
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    no_api_surface_reaches_an_internal_or_inactive_integration,
    |app: TestApp| async move {
        app.integration("hidden", |f, _| {
            f.visibility = gateway::types::Visibility::Internal;
            f.conversational = true;
        })
        .await;
        app.integration("paused", |f, _| {
            f.active = false;
            f.conversational = true;
        })
        .await;
        let token = app.token().await;
        for slug in ["hidden", "paused"] {
            for (path, body) in [
                ("chat", ask("hi")),
                ("start", json!({})),
                (
                    "converse",
                    json!({"args": {"question": "hi"}, "message": "hi"}),
                ),
            ] {
                let response = app
                    .post(&format!("/api/ai/{slug}/{path}"), Some(&token), body)
                    .await;
                assert_eq!(response.status(), StatusCode::NOT_FOUND, "{slug}/{path}");
            }
            let openai = app
                .post(
                    "/v1/chat/completions",
                    Some(&token),
                    json!({"model": slug, "args": {"question": "hi"},
                           "messages": [{"role": "user", "content": "hi"}]}),
                )
                .await;
            assert_eq!(openai.status(), StatusCode::NOT_FOUND, "/v1 {slug}");
        }
        let models: Value = app
            .client
            .get(format!("{}/v1/models", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed: Vec<&str> = models["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["id"].as_str())
            .collect();
        assert!(!listed.contains(&"hidden") && !listed.contains(&"paused"));
        // The Rust API reaches internal integrations, never inactive ones.
        let args = serde_json::Map::from_iter([("question".to_owned(), json!("hi"))]);
        assert!(app.gateway.invoke("hidden", args.clone()).await.is_ok());
        assert!(matches!(
            app.gateway.invoke("paused", args).await,
            Err(gateway::Error::NotFound(_))
        ));
        assert_eq!(app.scalar("select count(*) from ai_conversations").await, 0);
        app.shutdown().await;
    }
);

crate::on_each_engine!(
    emoji_are_kept_and_an_oversized_body_is_a_413_with_no_row,
    |app: TestApp| async move {
        app.integration("wide", |f, _| f.conversational = true)
            .await;
        let token = app.token().await;
        let answer = app
            .post(
                "/api/ai/wide/converse",
                Some(&token),
                json!({"args": {"question": "🦀?"}, "message": "héllo 👋🏽"}),
            )
            .await;
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        let id = body["data"]["conversation_id"].as_str().unwrap().to_owned();
        let stored = app
            .scalar(&format!(
                "select count(*) from ai_conversation_messages
                 where conversation_id = '{id}' and content = 'héllo 👋🏽'"
            ))
            .await;
        assert_eq!(stored, 1);
        let huge = app
            .post(
                "/api/ai/wide/chat",
                Some(&token),
                json!({"args": {"question": "x".repeat(2 * 1024 * 1024)}}),
            )
            .await;
        assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            app.eventually(5, || async {
                app.rows("integration_slug = 'wide'").await == 1
            })
            .await
        );
        app.shutdown().await;
    }
);
