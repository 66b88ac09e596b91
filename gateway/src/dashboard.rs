//! The console's landing page: today's spend per integration against its daily cap (read from
//! the limit counters the cap itself is enforced with), the last day's calls and errors by hour,
//! and the integrations that cost the most over a week (from the invocation log). Read-only.

use std::collections::HashMap;

use gateway_types::{CallStats, CostRow, Dashboard, HourBucket, IntegrationSpend, NanoUsd};
use sqlx::Row;

use crate::error::{Result, StoreContext};
use crate::{Gateway, now_ms};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// Hourly buckets shown: the current hour and the 23 before it.
const HOURS: i64 = 24;

/// Everything the landing page shows, as of now.
pub async fn overview(gateway: &Gateway) -> Result<Dashboard> {
    let now = now_ms();
    let spent = gateway.limits().spent_today_all(now).await?;
    let (spend_today, idle_uncapped) = spend_today(gateway, &spent);
    Ok(Dashboard {
        generated_at_ms: now,
        status: gateway.status().await,
        spend_today,
        idle_uncapped,
        last_24h: calls_by_hour(gateway, now).await?,
        top_by_cost: top_by_cost(gateway, now - Dashboard::TOP_DAYS * DAY_MS).await?,
    })
}

/// Every live integration with a cap or with spend today, the closest to its cap first, then
/// the biggest spenders; and how many were left out for having neither.
fn spend_today(gateway: &Gateway, spent: &HashMap<i64, NanoUsd>) -> (Vec<IntegrationSpend>, u64) {
    let snapshot = gateway.snapshot();
    let default_cap = snapshot.settings.default_daily_cap;
    let mut rows = Vec::new();
    let mut idle = 0;
    for live in snapshot.integrations() {
        let integration = &live.integration;
        let spent = spent.get(&integration.id).copied().unwrap_or_default();
        let own_cap = integration.fields.daily_cap;
        let cap = own_cap.or(default_cap);
        if cap.is_none() && spent == NanoUsd::ZERO {
            idle += 1;
            continue;
        }
        rows.push(IntegrationSpend {
            id: integration.id,
            slug: integration.fields.slug.clone(),
            name: integration.fields.name.clone(),
            spent,
            cap,
            cap_is_default: own_cap.is_none() && cap.is_some(),
        });
    }
    rows.sort_by(|a, b| {
        let share = |row: &IntegrationSpend| row.used().unwrap_or(-1.0);
        share(b)
            .total_cmp(&share(a))
            .then(b.spent.cmp(&a.spent))
            .then_with(|| a.slug.cmp(&b.slug))
    });
    (rows, idle)
}

/// Calls, errors and cost of every recorded call in the current hour and the 23 before it.
async fn calls_by_hour(gateway: &Gateway, now: i64) -> Result<CallStats> {
    let first_hour = now.div_euclid(HOUR_MS) - (HOURS - 1);
    let rows = sqlx::query(
        "select created_at / 3600000 as hour, count(*) as calls,
                sum(case when status = 'error' then 1 else 0 end) as errors,
                cast(coalesce(sum(cost_nanos), 0) as bigint) as cost
         from ai_invocations
         where created_at >= $1
         group by created_at / 3600000",
    )
    .bind(first_hour * HOUR_MS)
    .fetch_all(gateway.store().pool())
    .await
    .context("counting the last day's calls")?;
    let mut stats = CallStats {
        hours: (0..HOURS)
            .map(|offset| HourBucket {
                start_ms: (first_hour + offset) * HOUR_MS,
                ..HourBucket::default()
            })
            .collect(),
        ..CallStats::default()
    };
    for row in rows {
        let hour: i64 = row
            .try_get("hour")
            .context("reading the last day's calls")?;
        let calls = count(&row, "calls")?;
        let errors = count(&row, "errors")?;
        let cost: i64 = row
            .try_get("cost")
            .context("reading the last day's calls")?;
        stats.calls += calls;
        stats.errors += errors;
        stats.cost = stats.cost.saturating_add(NanoUsd(cost));
        // Rows stamped in the future (a clock ahead on another node) count in the current hour.
        let index = usize::try_from((hour - first_hour).clamp(0, HOURS - 1)).unwrap_or_default();
        if let Some(bucket) = stats.hours.get_mut(index) {
            bucket.calls += calls;
            bucket.errors += errors;
        }
    }
    Ok(stats)
}

/// The slugs that cost the most since `since`, with their calls and errors. Rows are grouped by
/// the recorded slug so that deleted integrations and the prompt builder still show.
async fn top_by_cost(gateway: &Gateway, since: i64) -> Result<Vec<CostRow>> {
    let rows = sqlx::query(
        "select integration_slug, max(integration_id) as integration_id, count(*) as calls,
                sum(case when status = 'error' then 1 else 0 end) as errors,
                cast(coalesce(sum(cost_nanos), 0) as bigint) as cost
         from ai_invocations
         where created_at >= $1
         group by integration_slug
         order by cost desc, calls desc, integration_slug
         limit $2",
    )
    .bind(since)
    .bind(i64::try_from(Dashboard::TOP_ROWS).unwrap_or(i64::MAX))
    .fetch_all(gateway.store().pool())
    .await
    .context("ranking integrations by cost")?;
    let snapshot = gateway.snapshot();
    rows.iter()
        .map(|row| {
            let slug: String = row
                .try_get("integration_slug")
                .context("reading the cost ranking")?;
            let id: Option<i64> = row
                .try_get("integration_id")
                .context("reading the cost ranking")?;
            Ok(CostRow {
                // Linked only while that integration still exists.
                id: id.filter(|id| snapshot.integration_by_id(*id).is_some()),
                slug,
                calls: count(row, "calls")?,
                errors: count(row, "errors")?,
                cost: NanoUsd(row.try_get("cost").context("reading the cost ranking")?),
            })
        })
        .collect()
}

fn count(row: &sqlx::any::AnyRow, column: &str) -> Result<u64> {
    let value: i64 = row.try_get(column).context("reading a call count")?;
    Ok(u64::try_from(value).unwrap_or_default())
}
