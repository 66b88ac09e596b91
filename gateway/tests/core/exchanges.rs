//! Prompts and answers kept per call: only for integrations that opt in, with the rendered
//! messages and the answer as sent and received, for streams and failures too, bounded in size,
//! exported when asked and deleted once their retention ends.

use futures::StreamExt;
use gateway::invocations::{Export, ExportFormat};
use gateway::telemetry::{MAX_EXCHANGE_BYTES, prune_exchanges};
use gateway::types::{InvocationExchange, InvocationQuery};
use gateway::{Call, ChatMessage, StreamItem, now_ms};
use serde_json::{Value, json};

use crate::helpers::{TestGateway, args, count_in, flush, run, stream};

const DAY_MS: i64 = 86_400_000;

async fn kept(t: &TestGateway) -> i64 {
    flush(&t.gateway).await;
    count_in(&t.database, "ai_invocation_exchanges", "1 = 1").await
}

async fn exchange_of(t: &TestGateway, invocation_id: &str) -> InvocationExchange {
    flush(&t.gateway).await;
    let detail = t.gateway.invocation(invocation_id).await.unwrap();
    detail
        .exchange
        .expect("the call's prompt and answer are kept")
}

fn keeping(
    days: u32,
) -> impl FnOnce(&mut gateway::types::IntegrationFields, &mut gateway::types::VersionDraft) {
    move |f, _| {
        f.capture_exchanges = true;
        f.capture_retention_days = days;
    }
}

crate::on_each_engine!(
    without_opting_in_nothing_is_kept,
    |t: TestGateway| async move {
        t.integration("plain", |_, _| {}).await;
        let answer = t
            .gateway
            .invoke("plain", args(json!({"question": "secret plans"})))
            .await
            .unwrap();
        assert_eq!(kept(&t).await, 0);
        let detail = t
            .gateway
            .invocation(&answer.invocation_id.to_string())
            .await
            .unwrap();
        assert_eq!(detail.exchange, None);
        t
    }
);

crate::on_each_engine!(
    a_kept_call_shows_the_rendered_messages_and_the_answer,
    |t: TestGateway| async move {
        t.integration("kept", keeping(7)).await;
        let call = Call {
            messages: vec![ChatMessage::user("and the weather?")],
            ..Call::live("kept", args(json!({"question": "Where is Lisbon?"})))
        };
        let answer = run(&t.gateway, call).await.unwrap();
        let exchange = exchange_of(&t, &answer.invocation_id.to_string()).await;
        let messages: Value = serde_json::from_str(&exchange.prompt).unwrap();
        assert_eq!(
            messages,
            json!([
                {"role": "system", "content": "You are a helpful assistant. Where is Lisbon?"},
                {"role": "user", "content": "and the weather?"}
            ])
        );
        let answered: Value = serde_json::from_str(exchange.answer.as_deref().unwrap()).unwrap();
        assert_eq!(answered["role"], "assistant");
        assert_eq!(answered["content"], answer.text.as_str());
        assert_eq!(kept(&t).await, 1);
        let expires: i64 = latest_expiry(&t).await;
        let created = t
            .gateway
            .invocation(&answer.invocation_id.to_string())
            .await
            .unwrap()
            .created_at_ms;
        assert_eq!(expires, created + 7 * DAY_MS);
        t
    }
);

async fn latest_expiry(t: &TestGateway) -> i64 {
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(t.database.url())
        .await
        .unwrap();
    sqlx::query_scalar("select max(expires_at) from ai_invocation_exchanges")
        .fetch_one(&mut connection)
        .await
        .unwrap()
}

crate::on_each_engine!(
    streams_and_failures_are_kept_too,
    |t: TestGateway| async move {
        t.integration("streamed", keeping(1)).await;
        let mut items = stream(
            &t.gateway,
            Call::live("streamed", args(json!({"question": "stream this"}))),
        )
        .await
        .unwrap();
        let mut summary = None;
        while let Some(item) = items.next().await {
            if let StreamItem::Done(done) = item.unwrap() {
                summary = Some(done);
            }
        }
        let summary = summary.unwrap();
        let exchange = exchange_of(&t, &summary.invocation_id.to_string()).await;
        assert!(
            exchange.prompt.contains("stream this"),
            "{}",
            exchange.prompt
        );
        let answered: Value = serde_json::from_str(exchange.answer.as_deref().unwrap()).unwrap();
        assert_eq!(answered["content"], summary.text.as_str());

        // A model that refuses the request: the prompt is kept, there is no answer.
        t.integration("failing", |f, d| {
            keeping(1)(f, d);
            d.models = vec!["simulator/error-400".to_owned()];
        })
        .await;
        run(
            &t.gateway,
            Call::live("failing", args(json!({"question": "doomed"}))),
        )
        .await
        .unwrap_err();
        flush(&t.gateway).await;
        let failed = t
            .gateway
            .invocations(&InvocationQuery {
                integration: Some("failing".to_owned()),
                ..InvocationQuery::default()
            })
            .await
            .unwrap();
        let id = &failed.rows.items[0].id;
        let exchange = exchange_of(&t, id).await;
        assert!(exchange.prompt.contains("doomed"), "{}", exchange.prompt);
        assert_eq!(exchange.answer, None);
        t
    }
);

crate::on_each_engine!(
    a_huge_prompt_is_cut_with_a_marker,
    |t: TestGateway| async move {
        t.integration("huge", keeping(1)).await;
        let question = "é".repeat(MAX_EXCHANGE_BYTES);
        let answer = t
            .gateway
            .invoke("huge", args(json!({ "question": question })))
            .await
            .unwrap();
        let exchange = exchange_of(&t, &answer.invocation_id.to_string()).await;
        assert!(exchange.prompt.len() <= MAX_EXCHANGE_BYTES + 64);
        assert!(
            exchange.prompt.ends_with(" bytes in all]"),
            "{}",
            &exchange.prompt[exchange.prompt.len() - 80..]
        );
        t
    }
);

crate::on_each_engine!(
    retention_deletes_old_exchanges_and_keeps_younger_ones,
    |t: TestGateway| async move {
        t.integration("short", keeping(1)).await;
        t.integration("long", keeping(30)).await;
        for slug in ["short", "long"] {
            t.gateway
                .invoke(slug, args(json!({"question": "remember me"})))
                .await
                .unwrap();
        }
        assert_eq!(kept(&t).await, 2);
        let now = now_ms();
        assert_eq!(prune_exchanges(t.gateway.store(), now).await.unwrap(), 0);
        assert_eq!(
            prune_exchanges(t.gateway.store(), now + 2 * DAY_MS)
                .await
                .unwrap(),
            1
        );
        let left = count_in(&t.database, "ai_invocation_exchanges", "1 = 1").await;
        assert_eq!(left, 1);
        // The invocation rows themselves stay.
        assert_eq!(t.rows("1 = 1").await, 2);
        t
    }
);

crate::on_each_engine!(
    the_export_adds_prompts_and_answers_only_when_asked,
    |t: TestGateway| async move {
        t.integration("exported", keeping(1)).await;
        t.integration("unkept", |_, _| {}).await;
        for slug in ["exported", "unkept"] {
            t.gateway
                .invoke(slug, args(json!({"question": "csv, \"quoted\""})))
                .await
                .unwrap();
        }
        flush(&t.gateway).await;
        let query = InvocationQuery::default();
        let plain = t
            .gateway
            .export_invocations(&query, Export::default())
            .await
            .unwrap();
        assert!(!plain.contains("prompt,answer"), "{plain}");
        assert!(!plain.contains("quoted"), "{plain}");
        let full = t
            .gateway
            .export_invocations(
                &query,
                Export {
                    exchanges: true,
                    ..Export::default()
                },
            )
            .await
            .unwrap();
        let mut lines = full.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .ends_with(",error_message,prompt,answer")
        );
        let kept_line = full.lines().find(|l| l.contains(",exported,")).unwrap();
        assert!(
            kept_line.contains(r#"csv, \""quoted\"""#),
            "the prompt is one quoted cell: {kept_line}"
        );
        assert!(kept_line.contains("assistant"), "{kept_line}");
        let unkept_line = full.lines().find(|l| l.contains(",unkept,")).unwrap();
        assert!(unkept_line.ends_with(",,"), "{unkept_line}");
        t
    }
);

crate::on_each_engine!(
    the_json_export_holds_every_matching_row_and_its_exchange_when_asked,
    |t: TestGateway| async move {
        t.integration("exported", keeping(1)).await;
        t.integration("unkept", |_, _| {}).await;
        for slug in ["exported", "unkept"] {
            t.gateway
                .invoke(slug, args(json!({"question": "json \"quoted\"\u{1F600}"})))
                .await
                .unwrap();
        }
        flush(&t.gateway).await;
        let export = |exchanges| Export {
            format: ExportFormat::Json,
            exchanges,
        };
        let only_kept = InvocationQuery {
            integration: Some("exported".to_owned()),
            ..InvocationQuery::default()
        };
        let plain: Value = serde_json::from_str(
            &t.gateway
                .export_invocations(&only_kept, export(false))
                .await
                .unwrap(),
        )
        .unwrap();
        let rows = plain["invocations"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{plain}");
        assert_eq!(rows[0]["integration_slug"], "exported");
        assert_eq!(rows[0]["status"], "ok");
        assert!(rows[0]["exchange"].is_null(), "{plain}");

        let full: Value = serde_json::from_str(
            &t.gateway
                .export_invocations(&InvocationQuery::default(), export(true))
                .await
                .unwrap(),
        )
        .unwrap();
        let rows = full["invocations"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{full}");
        let kept = rows
            .iter()
            .find(|r| r["integration_slug"] == "exported")
            .unwrap();
        let prompt = kept["exchange"]["prompt"].as_str().unwrap();
        assert!(prompt.contains("\u{1F600}"), "{prompt}");
        assert!(
            kept["exchange"]["answer"]
                .as_str()
                .unwrap()
                .contains("assistant")
        );
        let unkept = rows
            .iter()
            .find(|r| r["integration_slug"] == "unkept")
            .unwrap();
        assert!(unkept["exchange"].is_null(), "{full}");
        t
    }
);
