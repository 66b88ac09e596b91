//! Rate limits and daily caps: exact counts, exact spend, under concurrency and across nodes.

use std::sync::Arc;

use gateway::types::NanoUsd;
use gateway::{Call, Caller, CallerKind, Error, Gateway};
use serde_json::json;

use crate::helpers::{TestGateway, args, run};

fn request(slug: &str, caller: &str) -> Call {
    let mut request = Call::live(slug, args(json!({"question": "hi"})));
    request.caller = Caller {
        kind: CallerKind::Api,
        id: Some(caller.to_owned()),
    };
    request
}

crate::on_each_engine!(
    exactly_the_limit_passes_in_a_minute_then_calls_are_refused,
    |t: TestGateway| async move {
        t.integration("limited", |f, _| f.rate_limit_per_minute = Some(3))
            .await;
        for _ in 0..3 {
            run(&t.gateway, request("limited", "token:1"))
                .await
                .unwrap();
        }
        match run(&t.gateway, request("limited", "token:1"))
            .await
            .unwrap_err()
        {
            Error::RateLimited {
                limit,
                retry_after_secs,
                ..
            } => {
                assert_eq!(limit, 3);
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}");
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        assert_eq!(t.rows("error_class = 'rate_limited'").await, 1);
        t
    }
);

crate::on_each_engine!(
    callers_are_counted_independently,
    |t: TestGateway| async move {
        t.integration("per-caller", |f, _| f.rate_limit_per_minute = Some(1))
            .await;
        run(&t.gateway, request("per-caller", "token:1"))
            .await
            .unwrap();
        run(&t.gateway, request("per-caller", "token:2"))
            .await
            .unwrap();
        assert!(matches!(
            run(&t.gateway, request("per-caller", "token:1")).await,
            Err(Error::RateLimited { .. })
        ));
        t
    }
);

crate::on_each_engine!(
    no_limit_is_applied_when_neither_integration_nor_settings_set_one,
    |t: TestGateway| async move {
        t.integration("unlimited", |_, _| {}).await;
        for _ in 0..50 {
            run(&t.gateway, request("unlimited", "token:1"))
                .await
                .unwrap();
        }
        t
    }
);

crate::on_each_engine!(
    the_settings_default_applies_when_the_integration_leaves_it_blank,
    |t: TestGateway| async move {
        t.integration("defaulted", |_, _| {}).await;
        let mut settings = t.gateway.snapshot().settings.clone();
        settings.default_rate_limit_per_minute = Some(2);
        t.gateway.save_settings(&settings).await.unwrap();
        run(&t.gateway, request("defaulted", "a")).await.unwrap();
        run(&t.gateway, request("defaulted", "a")).await.unwrap();
        assert!(matches!(
            run(&t.gateway, request("defaulted", "a")).await,
            Err(Error::RateLimited { .. })
        ));
        t
    }
);

crate::on_each_engine!(
    two_hundred_concurrent_calls_against_fifty_a_minute_let_exactly_fifty_through,
    |t: TestGateway| async move {
        t.integration("stampede", |f, _| f.rate_limit_per_minute = Some(50))
            .await;
        let nodes = nodes(&t).await;
        let passed = fire(&nodes, 200, "stampede")
            .await
            .into_iter()
            .filter(Result::is_ok)
            .count();
        assert_eq!(passed, 50);
        close_others(nodes).await;
        t
    }
);

crate::on_each_engine!(
    spend_stops_at_the_cap_and_the_refusal_says_spent_and_cap,
    |t: TestGateway| async move {
        let cap = NanoUsd(60_000);
        t.integration("capped", |f, d| {
            f.daily_cap = Some(cap);
            d.default_params.insert("max_tokens".to_owned(), json!(20));
        })
        .await;
        let mut billed = NanoUsd::ZERO;
        let refusal = loop {
            match run(&t.gateway, request("capped", "a")).await {
                Ok(result) => billed = billed.saturating_add(result.cost.unwrap()),
                Err(e) => break e,
            }
            assert!(billed <= cap, "spend passed the cap");
        };
        match refusal {
            Error::BudgetExceeded {
                spent,
                cap: reported,
                held,
                ..
            } => {
                assert_eq!(reported, cap);
                assert_eq!(spent, billed);
                // One call at a time: nothing was in flight to hold the budget.
                assert!(!held);
            }
            other => panic!("expected the cap, got {other:?}"),
        }
        assert_eq!(t.rows("error_class = 'budget_exceeded'").await, 1);
        t
    }
);

crate::on_each_engine!(
    five_hundred_concurrent_calls_never_spend_past_the_cap,
    |t: TestGateway| async move {
        t.integration("probe", |_, d| {
            d.default_params.insert("max_tokens".to_owned(), json!(20));
        })
        .await;
        let one_call = run(&t.gateway, request("probe", "a"))
            .await
            .unwrap()
            .cost
            .unwrap();
        let cap = NanoUsd(one_call.0 * 50);
        t.integration("crowd", |f, d| {
            f.daily_cap = Some(cap);
            d.default_params.insert("max_tokens".to_owned(), json!(20));
        })
        .await;
        let nodes = nodes(&t).await;
        let results = fire(&nodes, 500, "crowd").await;
        let spent: i64 = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|cost| cost.0)
            .sum();
        let passed = results.iter().filter(|r| r.is_ok()).count();
        assert!(spent <= cap.0, "spent {spent} over cap {}", cap.0);
        // Each call holds its worst case until it settles, so the last few may be refused while the
        // cap could still take them: allow what one reservation covers.
        assert!((47..=50).contains(&passed), "{passed} calls passed");
        for result in &results {
            if let Err(e) = result {
                assert!(matches!(e, Error::BudgetExceeded { .. }), "{e:?}");
            }
        }
        close_others(nodes).await;
        t
    }
);

crate::on_each_engine!(
    todays_spend_survives_a_restart_and_older_spend_is_ignored,
    |t: TestGateway| async move {
        let id = t.integration("remembers", |_, _| {}).await;
        insert_spend(
            &t,
            id,
            NanoUsd::from_usd(5.0),
            gateway::now_ms() - 49 * 3_600_000,
        )
        .await;
        let billed = t
            .gateway
            .invoke("remembers", args(json!({"question": "x"})))
            .await
            .unwrap()
            .cost
            .unwrap();
        t.rows("true").await;
        let restarted = t.another_node().await;
        assert_eq!(restarted.spent_today(id).await.unwrap(), billed);
        restarted.close().await;
        t
    }
);

/// The gateway under test, plus a second node sharing its database where the engine supports
/// several nodes (PostgreSQL).
async fn nodes(t: &TestGateway) -> Vec<Gateway> {
    let mut nodes = vec![t.gateway.clone()];
    if t.gateway.store().engine() == gateway::types::Engine::Postgres {
        nodes.push(t.another_node().await);
    }
    nodes
}

async fn close_others(nodes: Vec<Gateway>) {
    for node in nodes.into_iter().skip(1) {
        node.close().await;
    }
}

/// Fires `n` calls at once, spread over the nodes; returns each call's billed cost or error.
async fn fire(nodes: &[Gateway], n: usize, slug: &str) -> Vec<Result<NanoUsd, Error>> {
    let slug: Arc<str> = slug.into();
    let calls = (0..n).map(|i| {
        let node = nodes[i % nodes.len()].clone();
        let slug = slug.clone();
        tokio::spawn(async move {
            run(&node, request(&slug, "crowd"))
                .await
                .map(|r| r.cost.unwrap_or_default())
        })
    });
    futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect()
}

async fn insert_spend(t: &TestGateway, integration_id: i64, cost: NanoUsd, at_ms: i64) {
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(t.database.url())
        .await
        .unwrap();
    sqlx::query(
        "insert into ai_invocations (id, integration_id, integration_slug, caller_type, attempts, cost_nanos,
             latency_ms, status, created_at)
         values ($1, $2, 'x', 'internal', 1, $3, 1, 'ok', $4)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(integration_id)
    .bind(cost.0)
    .bind(at_ms)
    .execute(&mut connection)
    .await
    .unwrap();
}
