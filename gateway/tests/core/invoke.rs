//! The invocation path end to end: rendering, the answer, billed cost, status and the row.

use gateway::types::VersionDraft;
use gateway::{Call, Error};
use serde_json::json;

use crate::helpers::{MODEL, TestGateway, args, draft, latest};

crate::on_each_engine!(
    a_call_renders_the_prompt_and_returns_text_model_and_billed_cost,
    |t: TestGateway| async move {
        t.integration("ask", |_, _| {}).await;
        let result = t
            .gateway
            .invoke("ask", args(json!({"question": "PINEAPPLE?"})))
            .await
            .unwrap();
        // The simulator echoes the request it received: the rendered template reached it.
        assert_eq!(
            result.text,
            format!("Simulated answer from {MODEL}: You are a helpful assistant. PINEAPPLE?")
        );
        assert_eq!(result.model_used, MODEL);
        assert_eq!(result.status, gateway::telemetry::Status::Ok);
        let usage = &result.usage;
        assert!(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
        // gpt-4o-mini: $0.15/M in, $0.60/M out.
        let expected = usage.prompt_tokens * 150 + usage.completion_tokens * 600;
        assert_eq!(result.cost.unwrap().0 as u64, expected);
        assert!(result.generation_id.unwrap().starts_with("gen-"));
        t
    }
);

crate::on_each_engine!(
    a_successful_call_writes_one_ok_row,
    |t: TestGateway| async move {
        let id = t.integration("rowed", |_, _| {}).await;
        let result = t
            .gateway
            .invoke("rowed", args(json!({"question": "hi"})))
            .await
            .unwrap();
        assert_eq!(t.rows("true").await, 1);
        assert_eq!(latest::<String>(&t.database, "status").await, "ok");
        assert_eq!(latest::<i64>(&t.database, "integration_id").await, id);
        assert_eq!(latest::<String>(&t.database, "model_used").await, MODEL);
        assert_eq!(
            latest::<i64>(&t.database, "cost_nanos").await,
            result.cost.unwrap().0
        );
        assert_eq!(
            latest::<String>(&t.database, "id").await,
            result.invocation_id.to_string()
        );
        t
    }
);

crate::on_each_engine!(
    a_bad_argument_is_refused_recorded_and_never_sent,
    |t: TestGateway| async move {
        t.integration("strict", |_, _| {}).await;
        let err = t
            .gateway
            .invoke("strict", args(json!({"question": 12345})))
            .await
            .unwrap_err();
        let Error::Invalid(errors) = err else {
            panic!("expected field errors, got {err:?}")
        };
        assert_eq!(
            errors.0["question"],
            vec!["Arg \"question\" must be a string.".to_owned()]
        );
        assert_eq!(
            t.rows("status = 'error' and error_class = 'invalid_args' and attempts = 0")
                .await,
            1
        );
        assert_eq!(
            simulated_spend(&t).await,
            0.0,
            "nothing reached the upstream"
        );
        t
    }
);

crate::on_each_engine!(
    a_missing_required_argument_is_reported_by_name,
    |t: TestGateway| async move {
        t.integration("needs-question", |_, _| {}).await;
        let Error::Invalid(errors) = t
            .gateway
            .invoke("needs-question", args(json!({})))
            .await
            .unwrap_err()
        else {
            panic!("expected field errors");
        };
        assert_eq!(
            errors.0["question"],
            vec!["Arg \"question\" is required.".to_owned()]
        );
        t
    }
);

crate::on_each_engine!(
    an_answer_from_a_fallback_model_is_marked_fallback,
    |t: TestGateway| async move {
        t.integration("fallback", |_, draft| {
            draft.models = vec!["simulator/unavailable".to_owned(), MODEL.to_owned()];
        })
        .await;
        let result = t
            .gateway
            .invoke("fallback", args(json!({"question": "hi"})))
            .await
            .unwrap();
        assert_eq!(result.model_used, MODEL);
        assert_eq!(result.status, gateway::telemetry::Status::Fallback);
        assert_eq!(t.rows("status = 'fallback'").await, 1);
        t
    }
);

crate::on_each_engine!(
    max_tokens_above_the_ceiling_is_clamped_for_defaults_and_refused_for_callers,
    config = |c: &mut gateway::GatewayConfig| c.max_tokens_ceiling = 6,
    |t: TestGateway| async move {
        t.integration("clamped", |_, draft| {
            draft
                .default_params
                .insert("max_tokens".to_owned(), json!(999_999));
        })
        .await;
        // The default alone is clamped…
        let result = t
            .gateway
            .invoke("clamped", args(json!({"question": "word ".repeat(30)})))
            .await
            .unwrap();
        assert_eq!(result.finish_reason.as_deref(), Some("length"));
        assert_eq!(result.usage.completion_tokens, 6);
        // …(the ceiling may have been lowered since the version was saved), while a caller's value
        // above it is refused, never silently cut.
        let mut request = Call::live("clamped", args(json!({"question": "word ".repeat(30)})));
        request
            .options
            .insert("max_tokens".to_owned(), json!(999_999));
        let Error::Invalid(errors) = crate::helpers::run(&t.gateway, request).await.unwrap_err()
        else {
            panic!("expected field errors")
        };
        assert_eq!(
            errors.0["options.max_tokens"],
            ["Must be at most 6 (this deployment's ceiling)."]
        );
        t
    }
);

crate::on_each_engine!(
    a_caller_max_tokens_under_the_ceiling_is_kept,
    |t: TestGateway| async move {
        t.integration("small", |_, _| {}).await;
        let mut request = Call::live("small", args(json!({"question": "word ".repeat(50)})));
        request.options.insert("max_tokens".to_owned(), json!(5));
        let result = crate::helpers::run(&t.gateway, request).await.unwrap();
        assert_eq!(result.usage.completion_tokens, 5);
        t
    }
);

crate::on_each_engine!(
    options_outside_the_allow_list_are_refused,
    |t: TestGateway| async move {
        t.integration("allow", |_, _| {}).await;
        let mut request = Call::live("allow", args(json!({"question": "hi"})));
        request.options.insert("models".to_owned(), json!(["x/y"]));
        request.options.insert("plugins".to_owned(), json!([]));
        let Error::Invalid(errors) = crate::helpers::run(&t.gateway, request).await.unwrap_err()
        else {
            panic!("expected field errors")
        };
        assert!(errors.contains("options.plugins"), "{errors:?}");
        t
    }
);

crate::on_each_engine!(
    an_upstream_error_is_typed_and_recorded,
    |t: TestGateway| async move {
        t.integration("broken", |_, draft| {
            draft.models = vec!["simulator/error-402".to_owned()]
        })
        .await;
        let err = t
            .gateway
            .invoke("broken", args(json!({"question": "hi"})))
            .await
            .unwrap_err();
        let Error::Upstream(upstream) = err else {
            panic!("expected an upstream error, got {err:?}")
        };
        assert_eq!(upstream.class(), "upstream_402");
        assert_eq!(
            t.rows("status = 'error' and error_class = 'upstream_402'")
                .await,
            1
        );
        t
    }
);

crate::on_each_engine!(
    an_unknown_or_inactive_integration_is_not_found,
    |t: TestGateway| async move {
        let id = t.integration("sleepy", |_, _| {}).await;
        assert!(matches!(
            t.gateway.invoke("nope", args(json!({}))).await,
            Err(Error::NotFound(_))
        ));
        t.gateway
            .set_integration_active(id, false, None)
            .await
            .unwrap();
        assert!(matches!(
            t.gateway
                .invoke("sleepy", args(json!({"question": "x"})))
                .await,
            Err(Error::NotFound(_))
        ));
        t.gateway
            .set_integration_active(id, true, None)
            .await
            .unwrap();
        assert!(
            t.gateway
                .invoke("sleepy", args(json!({"question": "x"})))
                .await
                .is_ok()
        );
        t.gateway.delete_integrations(&[id]).await.unwrap();
        assert!(matches!(
            t.gateway
                .invoke("sleepy", args(json!({"question": "x"})))
                .await,
            Err(Error::NotFound(_))
        ));
        t
    }
);

crate::on_each_engine!(
    another_node_sees_configuration_changes_within_a_second,
    |t: TestGateway| async move {
        let id = t.integration("shared", |_, _| {}).await;
        let other = t.another_node().await;
        assert!(
            other
                .invoke("shared", args(json!({"question": "x"})))
                .await
                .is_ok()
        );
        let changed = VersionDraft {
            prompt_template: "Changed: {{ question }}".to_owned(),
            ..draft()
        };
        t.gateway.save_version(id, &changed, None).await.unwrap();
        t.gateway
            .set_integration_active(id, false, None)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert!(matches!(
            other.invoke("shared", args(json!({"question": "x"}))).await,
            Err(Error::NotFound(_))
        ));
        assert_eq!(
            other
                .snapshot()
                .integration("shared")
                .unwrap()
                .version
                .number,
            2
        );
        other.close().await;
        t
    }
);

crate::on_each_engine!(
    streamed_deltas_add_up_to_the_answer_and_end_with_a_summary,
    |t: TestGateway| async move {
        use futures::StreamExt;
        t.integration("streamy", |_, _| {}).await;
        let whole = t
            .gateway
            .invoke("streamy", args(json!({"question": "tell me more"})))
            .await
            .unwrap();
        let mut stream = crate::helpers::stream(
            &t.gateway,
            Call::live("streamy", args(json!({"question": "tell me more"}))),
        )
        .await
        .unwrap();
        let mut text = String::new();
        let mut summary = None;
        while let Some(item) = stream.next().await {
            match item.unwrap() {
                gateway::invoke::StreamItem::Delta(delta) => text.push_str(&delta),
                gateway::invoke::StreamItem::Done(result) => summary = Some(result),
            }
        }
        let summary = summary.expect("a final summary");
        assert_eq!(text, whole.text);
        assert_eq!(summary.text, whole.text);
        assert_eq!(summary.cost, whole.cost);
        assert_eq!(t.rows("streamed").await, 1);
        t
    }
);

crate::on_each_engine!(
    a_cut_stream_ends_in_an_error_and_an_error_row,
    |t: TestGateway| async move {
        use futures::StreamExt;
        t.integration("cut", |_, draft| {
            draft.models = vec!["simulator/cut-stream".to_owned()]
        })
        .await;
        let mut stream = crate::helpers::stream(
            &t.gateway,
            Call::live(
                "cut",
                args(json!({"question": "one two three four five six"})),
            ),
        )
        .await
        .unwrap();
        let mut last = None;
        while let Some(item) = stream.next().await {
            last = Some(item);
        }
        assert!(matches!(last, Some(Err(Error::Upstream(_)))), "{last:?}");
        assert_eq!(t.rows("status = 'error' and streamed").await, 1);
        t
    }
);

/// What the simulator billed across all keys so far.
async fn simulated_spend(t: &TestGateway) -> f64 {
    let client = reqwest::Client::builder().build().unwrap();
    let body: serde_json::Value = client
        .get(format!("{}/credits", t.simulator.base_url()))
        .bearer_auth("test-key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]["total_usage"].as_f64().unwrap()
}

crate::on_each_engine!(
    a_caller_that_goes_away_mid_stream_still_gets_its_call_recorded,
    |t: TestGateway| async move {
        use futures::StreamExt;
        t.integration("abandoned", |_, draft| {
            draft.models = vec!["simulator/slow-stream".to_owned()]
        })
        .await;
        let request = Call::live(
            "abandoned",
            args(json!({"question": "one two three four five six seven eight"})),
        );
        let mut stream = crate::helpers::stream(&t.gateway, request).await.unwrap();
        assert!(matches!(
            stream.next().await,
            Some(Ok(gateway::invoke::StreamItem::Delta(_)))
        ));
        drop(stream);
        // The row is written by a task the drop starts; give it a moment.
        for _ in 0..100 {
            if t.rows("error_class = 'client_disconnected' and streamed")
                .await
                == 1
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            t.rows("error_class = 'client_disconnected' and streamed")
                .await,
            1
        );
        t
    }
);
