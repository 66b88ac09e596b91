//! The landing page's numbers: spend today from the cap counters, calls and errors by hour, and
//! the cost ranking over a week, on both engines.

use gateway::telemetry::{InvocationRecord, Status};
use gateway::types::NanoUsd;
use serde_json::json;

use crate::helpers::{TestGateway, args, flush};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

async fn call(t: &TestGateway, slug: &str) -> NanoUsd {
    t.gateway
        .invoke(slug, args(json!({"question": "hi"})))
        .await
        .unwrap()
        .cost
        .unwrap()
}

/// A row written straight to the log, as if a call had happened `ago_ms` before now.
async fn past_call(t: &TestGateway, slug: &str, id: Option<i64>, ago_ms: i64, cost: i64) {
    let mut record = InvocationRecord::new(slug, "api", None, gateway::now_ms() - ago_ms);
    record.integration_id = id;
    record.status = Status::Ok;
    record.attempts = 1;
    record.cost = Some(NanoUsd(cost));
    t.gateway.telemetry().record(record).await;
}

crate::on_each_engine!(
    spend_today_is_what_the_caps_count_against_the_integration_or_default_cap,
    |t: TestGateway| async move {
        let cap = NanoUsd::from_usd(1.0);
        t.integration("capped", |f, _| f.daily_cap = Some(cap))
            .await;
        t.integration("uncapped", |_, _| {}).await;
        t.integration("idle", |_, _| {}).await;
        let capped = call(&t, "capped")
            .await
            .saturating_add(call(&t, "capped").await);
        let uncapped = call(&t, "uncapped").await;

        let overview = gateway::dashboard::overview(&t.gateway).await.unwrap();
        let slugs: Vec<&str> = overview
            .spend_today
            .iter()
            .map(|r| r.slug.as_str())
            .collect();
        assert_eq!(slugs, ["capped", "uncapped"], "capped first, idle left out");
        assert_eq!(overview.idle_uncapped, 1);
        let row = &overview.spend_today[0];
        assert_eq!(
            (row.spent, row.cap, row.cap_is_default),
            (capped, Some(cap), false)
        );
        assert!(row.used().unwrap() > 0.0);
        let row = &overview.spend_today[1];
        assert_eq!((row.spent, row.cap), (uncapped, None));

        // A deployment default caps every integration without a cap of its own.
        let mut settings = t.gateway.snapshot().settings.clone();
        settings.default_daily_cap = Some(NanoUsd::from_usd(5.0));
        t.gateway.save_settings(&settings).await.unwrap();
        let overview = gateway::dashboard::overview(&t.gateway).await.unwrap();
        assert_eq!(overview.idle_uncapped, 0);
        let idle = overview
            .spend_today
            .iter()
            .find(|r| r.slug == "idle")
            .unwrap();
        assert_eq!(
            (idle.spent, idle.cap, idle.cap_is_default),
            (NanoUsd::ZERO, Some(NanoUsd::from_usd(5.0)), true)
        );
        t
    }
);

crate::on_each_engine!(
    calls_errors_and_costs_are_counted_by_hour_and_ranked_over_a_week,
    |t: TestGateway| async move {
        let id = t.integration("answers", |_, _| {}).await;
        let cost = call(&t, "answers").await;
        // A missing variable is refused before any spend, and recorded as an error.
        assert!(t.gateway.invoke("answers", args(json!({}))).await.is_err());
        past_call(&t, "answers", Some(id), 2 * HOUR_MS, 10).await;
        past_call(&t, "answers", Some(id), 2 * DAY_MS, 1000).await;
        past_call(&t, "gone", Some(id + 1000), 3 * DAY_MS, 5_000_000_000).await;
        past_call(&t, "ancient", None, 8 * DAY_MS, 9_000_000_000).await;
        flush(&t.gateway).await;

        let overview = gateway::dashboard::overview(&t.gateway).await.unwrap();
        let day = &overview.last_24h;
        assert_eq!((day.calls, day.errors), (3, 1));
        assert_eq!(day.cost, cost.saturating_add(NanoUsd(10)));
        assert!((day.error_rate() - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(day.hours.len(), 24);
        // The two calls just made are in the current hour (or the one before, at its turn).
        let recent = &day.hours[22..];
        assert_eq!(
            recent
                .iter()
                .map(|h| (h.calls, h.errors))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
            (2, 1)
        );
        assert_eq!(day.hours.iter().map(|h| h.calls).sum::<u64>(), 3);
        let now_bucket = day.hours.last().unwrap();
        assert!(now_bucket.start_ms <= overview.generated_at_ms);
        assert!(overview.generated_at_ms < now_bucket.start_ms + HOUR_MS);

        // The week: the deleted integration keeps its slug without a link; the older row is out.
        let top: Vec<(&str, Option<i64>, u64, NanoUsd)> = overview
            .top_by_cost
            .iter()
            .map(|r| (r.slug.as_str(), r.id, r.calls, r.cost))
            .collect();
        assert_eq!(
            top,
            [
                ("gone", None, 1, NanoUsd(5_000_000_000)),
                ("answers", Some(id), 4, cost.saturating_add(NanoUsd(1010))),
            ]
        );
        assert_eq!(overview.top_by_cost[1].errors, 1);
        t
    }
);
