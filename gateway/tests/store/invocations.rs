//! The invocations grid read back from the store: filters, search, sort, pages, Σ totals over
//! every matching row, inclusive date ranges, the chart, one call's detail and the CSV export.

use gateway::invocations::{self, Export, InvocationImport};
use gateway::types::{
    BucketSize, InvocationQuery, InvocationSort, InvocationStatus, NanoUsd, SortDirection,
};
use gateway::{Error, Store};
use serde_json::{Value, json};

/// 2026-03-02 00:00:00 UTC.
const MAR_2: i64 = 1_772_409_600_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// A row with everything a test does not care about filled in.
fn row(slug: &str, status: &str, at: i64, cost_nanos: Option<i64>) -> Value {
    json!({
        "integration_slug": slug,
        "caller_type": "api",
        "status": status,
        "model_used": "openai/gpt-4o-mini",
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cost_nanos": cost_nanos,
        "latency_ms": 100,
        "created_at_ms": at,
    })
}

async fn import(store: &Store, rows: Vec<Value>) {
    let document: InvocationImport =
        serde_json::from_value(json!({ "invocations": rows })).unwrap();
    invocations::import(store, document).await.unwrap();
}

async fn search(store: &Store, query: &InvocationQuery) -> gateway::types::InvocationPage {
    invocations::search(store, query, MAR_2 + 30 * DAY)
        .await
        .unwrap()
}

fn slugs(page: &gateway::types::InvocationPage) -> Vec<String> {
    page.rows
        .items
        .iter()
        .map(|r| r.integration_slug.clone())
        .collect()
}

crate::on_each_engine!(
    totals_cover_every_matching_row_not_just_the_page,
    |store: Store| async move {
        // 40 ok calls of "busy" and 5 errors of "quiet", one a minute.
        let mut rows: Vec<Value> = (0..40)
            .map(|i| {
                let mut r = row("busy", "ok", MAR_2 + i * 60_000, Some(1_000 + i));
                r["prompt_tokens"] = json!(i);
                r
            })
            .collect();
        rows.extend((0..5).map(|i| row("quiet", "error", MAR_2 + i * 60_000 + 1, None)));
        import(&store, rows).await;

        let all = search(&store, &InvocationQuery::default()).await;
        assert_eq!(all.rows.total, 45);
        assert_eq!(all.rows.items.len(), InvocationQuery::PER_PAGE as usize);
        assert_eq!(all.totals.count, 45);
        assert_eq!(all.totals.prompt_tokens, (0..40).sum::<i64>() + 5 * 10);
        assert_eq!(all.totals.completion_tokens, 45 * 5);
        assert_eq!(all.totals.cost, NanoUsd((0..40).map(|i| 1_000 + i).sum()));

        let busy = search(
            &store,
            &InvocationQuery {
                status: Some(InvocationStatus::Ok),
                page: 2,
                ..InvocationQuery::default()
            },
        )
        .await;
        assert_eq!(busy.rows.total, 40);
        assert_eq!(busy.rows.page, 2);
        assert_eq!(busy.rows.items.len(), 15);
        assert_eq!(
            busy.totals.cost, all.totals.cost,
            "errors cost nothing here"
        );
        assert_eq!(busy.totals.prompt_tokens, (0..40).sum::<i64>());
        // Newest first: page two ends with the oldest call.
        assert_eq!(busy.rows.items.last().unwrap().created_at_ms, MAR_2);
        assert_eq!(
            busy.rows.items.last().unwrap().created_at,
            "2026-03-02 00:00:00 UTC"
        );

        let quiet = search(
            &store,
            &InvocationQuery {
                integration: Some("quiet".into()),
                ..InvocationQuery::default()
            },
        )
        .await;
        assert_eq!(quiet.totals.count, 5);
        assert_eq!(quiet.totals.cost, NanoUsd(0));
        assert!(quiet.rows.items.iter().all(|r| r.cost.is_none()));
    }
);

crate::on_each_engine!(
    search_matches_integration_and_model_case_insensitively_and_literally,
    |store: Store| async move {
        let mut claude = row("support-bot", "ok", MAR_2, Some(1));
        claude["model_used"] = json!("anthropic/Claude-Haiku");
        let mut percent = row("promo_50%", "ok", MAR_2 + 1, Some(1));
        percent["caller_type"] = json!("internal");
        import(
            &store,
            vec![
                claude,
                percent,
                row("summarise", "fallback", MAR_2 + 2, Some(1)),
            ],
        )
        .await;
        let find = |text: &str| InvocationQuery {
            search: text.to_owned(),
            ..InvocationQuery::default()
        };
        assert_eq!(
            slugs(&search(&store, &find("CLAUDE")).await),
            ["support-bot"]
        );
        assert_eq!(slugs(&search(&store, &find("summ")).await), ["summarise"]);
        assert_eq!(slugs(&search(&store, &find("50%")).await), ["promo_50%"]);
        // `_` and `%` are not wildcards.
        assert!(search(&store, &find("r_m")).await.rows.items.is_empty());
        assert!(search(&store, &find("o%5")).await.rows.items.is_empty());
        assert_eq!(slugs(&search(&store, &find("o_5")).await), ["promo_50%"]);
        assert_eq!(search(&store, &find("gpt-4o")).await.totals.count, 2);

        let internal = search(
            &store,
            &InvocationQuery {
                caller_type: Some("internal".into()),
                ..InvocationQuery::default()
            },
        )
        .await;
        assert_eq!(slugs(&internal), ["promo_50%"]);
        assert_eq!(
            invocations::integrations(&store).await.unwrap(),
            ["promo_50%", "summarise", "support-bot"]
        );
    }
);

crate::on_each_engine!(
    sorting_by_cost_latency_and_status_keeps_empty_costs_last,
    |store: Store| async move {
        let mut rows = vec![
            row("cheap", "ok", MAR_2, Some(10)),
            row("none", "error", MAR_2 + 1, None),
            row("dear", "fallback", MAR_2 + 2, Some(30)),
            row("middle", "ok", MAR_2 + 3, Some(20)),
        ];
        for (r, latency) in rows.iter_mut().zip([400, 100, 300, 200]) {
            r["latency_ms"] = json!(latency);
        }
        import(&store, rows).await;
        let sorted = |sort, direction| InvocationQuery {
            sort,
            direction,
            ..InvocationQuery::default()
        };
        use InvocationSort::*;
        use SortDirection::*;
        let store = &store;
        let order = |q| async move { slugs(&search(store, &q).await) };
        assert_eq!(
            order(sorted(Time, Desc)).await,
            ["middle", "dear", "none", "cheap"]
        );
        assert_eq!(
            order(sorted(Time, Asc)).await,
            ["cheap", "none", "dear", "middle"]
        );
        assert_eq!(
            order(sorted(Cost, Desc)).await,
            ["dear", "middle", "cheap", "none"]
        );
        assert_eq!(
            order(sorted(Cost, Asc)).await,
            ["cheap", "middle", "dear", "none"]
        );
        assert_eq!(
            order(sorted(Latency, Asc)).await,
            ["none", "middle", "dear", "cheap"]
        );
        assert_eq!(
            order(sorted(Status, Asc)).await,
            ["none", "dear", "middle", "cheap"]
        );
    }
);

crate::on_each_engine!(
    a_date_range_includes_its_whole_first_and_last_day_in_utc,
    |store: Store| async move {
        import(
            &store,
            vec![
                row("before", "ok", MAR_2 - 1, Some(1)),
                row("first", "ok", MAR_2, Some(2)),
                row("last", "ok", MAR_2 + 2 * DAY - 1, Some(4)),
                row("after", "ok", MAR_2 + 2 * DAY, Some(8)),
            ],
        )
        .await;
        let range = |from: Option<&str>, until: Option<&str>| InvocationQuery {
            from: from.map(str::to_owned),
            until: until.map(str::to_owned),
            ..InvocationQuery::default()
        };
        let two_days = search(&store, &range(Some("2026-03-02"), Some("2026-03-03"))).await;
        assert_eq!(slugs(&two_days), ["last", "first"]);
        assert_eq!(two_days.totals.cost, NanoUsd(6));
        let one_day = search(&store, &range(Some("2026-03-03"), Some("2026-03-03"))).await;
        assert_eq!(slugs(&one_day), ["last"]);
        let open_end = search(&store, &range(Some("2026-03-03"), None)).await;
        assert_eq!(slugs(&open_end), ["after", "last"]);
        let open_start = search(&store, &range(None, Some("2026-03-01"))).await;
        assert_eq!(slugs(&open_start), ["before"]);
    }
);

crate::on_each_engine!(
    bad_dates_are_refused_with_a_message_for_the_field,
    |store: Store| async move {
        let query = |from: &str, until: &str| InvocationQuery {
            from: Some(from.to_owned()),
            until: Some(until.to_owned()),
            ..InvocationQuery::default()
        };
        for (q, field) in [
            (query("2026-02-30", ""), "from"),
            (query("", "yesterday"), "until"),
            (query("2026-03-05", "2026-03-04"), "until"),
        ] {
            match invocations::search(&store, &q, 0).await {
                Err(Error::Invalid(errors)) => {
                    assert!(errors.summary().starts_with(field), "{errors}")
                }
                other => panic!("{q:?} gave {other:?}"),
            }
            assert!(matches!(
                invocations::export(&store, &q, Export::default()).await,
                Err(Error::Invalid(_))
            ));
        }
    }
);

crate::on_each_engine!(
    the_chart_counts_calls_errors_and_spend_per_hour_or_day,
    |store: Store| async move {
        import(
            &store,
            vec![
                row("a", "ok", MAR_2 + 5 * 60_000, Some(100)),
                row("a", "error", MAR_2 + 50 * 60_000, None),
                row("a", "ok", MAR_2 + 3 * HOUR, Some(7)),
                row("a", "ok", MAR_2 + 9 * DAY, Some(1)),
            ],
        )
        .await;
        let one_day = search(
            &store,
            &InvocationQuery {
                from: Some("2026-03-02".into()),
                until: Some("2026-03-02".into()),
                ..InvocationQuery::default()
            },
        )
        .await;
        let chart = one_day.chart;
        assert_eq!(chart.bucket, BucketSize::Hour);
        assert_eq!(chart.buckets.len(), 24);
        assert_eq!(chart.buckets[0].label, "2026-03-02 00:00");
        assert_eq!(
            (
                chart.buckets[0].calls,
                chart.buckets[0].errors,
                chart.buckets[0].cost
            ),
            (2, 1, NanoUsd(100))
        );
        assert_eq!(chart.buckets[3].cost, NanoUsd(7));
        assert_eq!(chart.buckets[1].calls, 0);

        // Open range: from the first call to the last, per day, empty days included.
        let all = search(&store, &InvocationQuery::default()).await.chart;
        assert_eq!(all.bucket, BucketSize::Day);
        assert_eq!(all.buckets.len(), 10);
        assert_eq!(all.buckets[0].calls, 3);
        assert_eq!(all.buckets[9].label, "2026-03-11");
        assert_eq!(all.buckets.iter().map(|b| b.calls).sum::<u64>(), 4);

        let nothing = search(
            &store,
            &InvocationQuery {
                search: "no such thing".into(),
                ..InvocationQuery::default()
            },
        )
        .await;
        assert!(nothing.chart.buckets.is_empty());
    }
);

crate::on_each_engine!(
    the_detail_shows_every_stored_field_and_imports_are_idempotent,
    |store: Store| async move {
        let id = "01900000-0000-7000-8000-000000000001";
        let mut failed = row("support-bot", "error", MAR_2, Some(1_500));
        failed["id"] = json!(id);
        failed["caller_id"] = json!("token:7");
        failed["model_requested"] = json!("openai/gpt-4o");
        failed["cached_tokens"] = json!(3);
        failed["reasoning_tokens"] = json!(2);
        failed["citation_count"] = json!(1);
        failed["error_class"] = json!("upstream_429");
        failed["error_message"] = json!("=rate limited, \"slow down\"");
        failed["generation_id"] = json!("gen-123");
        failed["conversation_id"] = json!("c-9");
        failed["streamed"] = json!(true);
        import(&store, vec![failed.clone()]).await;
        import(&store, vec![failed]).await;

        let detail = invocations::find(&store, id).await.unwrap();
        assert_eq!(detail.status, InvocationStatus::Error);
        assert_eq!(detail.caller_id.as_deref(), Some("token:7"));
        assert_eq!(detail.model_requested.as_deref(), Some("openai/gpt-4o"));
        assert_eq!(
            (
                detail.cached_tokens,
                detail.reasoning_tokens,
                detail.citation_count
            ),
            (Some(3), Some(2), Some(1))
        );
        assert_eq!(detail.cost, Some(NanoUsd(1_500)));
        assert_eq!(detail.error_class.as_deref(), Some("upstream_429"));
        assert_eq!(detail.generation_id.as_deref(), Some("gen-123"));
        assert_eq!(detail.conversation_id.as_deref(), Some("c-9"));
        assert!(detail.streamed);
        assert!(matches!(
            invocations::find(&store, "nope").await,
            Err(Error::NotFound("invocation"))
        ));

        let csv = invocations::export(&store, &InvocationQuery::default(), Export::default())
            .await
            .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "imported twice, stored once: {csv}");
        assert!(lines[0].starts_with("created_at,id,integration,status,"));
        assert!(lines[1].starts_with(&format!(
            "2026-03-02T00:00:00Z,{id},support-bot,error,api,token:7,"
        )));
        assert!(lines[1].contains(",0.0000015,100,1,gen-123,c-9,upstream_429,"));
        assert!(lines[1].ends_with(",\"'=rate limited, \"\"slow down\"\"\""));
    }
);

crate::on_each_engine!(
    the_export_takes_every_matching_row_in_the_grids_order,
    |store: Store| async move {
        let rows = (0..60)
            .map(|i| row(if i % 3 == 0 { "x" } else { "y" }, "ok", MAR_2 + i, Some(i)))
            .collect();
        import(&store, rows).await;
        let query = InvocationQuery {
            integration: Some("x".into()),
            sort: InvocationSort::Cost,
            direction: SortDirection::Asc,
            page: 2,
            ..InvocationQuery::default()
        };
        let csv = invocations::export(&store, &query, Export::default())
            .await
            .unwrap();
        let costs: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|line| line.split(',').nth(12).unwrap())
            .collect();
        assert_eq!(costs.len(), 20);
        assert_eq!(costs[0], "0");
        assert_eq!(costs[1], "0.000000003");
        assert_eq!(costs[19], "0.000000057");
    }
);
