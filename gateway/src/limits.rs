//! Guardrails before any spend: the per-minute rate limit (per integration and caller) and the
//! daily spend cap (reserve the worst case, settle to the billed cost). Exact under concurrency:
//! every check is one atomic step, in memory on a single node or one SQL statement on a shared
//! PostgreSQL database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use gateway_types::{Engine, NanoUsd};
use sqlx::Row;
use tokio::sync::Notify;

use crate::error::{Result, StoreContext};
use crate::store::Store;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// How often a call waiting for budget looks again at counters other nodes settle.
const SHARED_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// Why a call may not proceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    RateLimited { retry_after_secs: u64 },
    BudgetExceeded { spent: NanoUsd },
}

/// Where the counters live.
#[derive(Debug, Clone)]
pub struct Limits {
    backend: Arc<Backend>,
    /// Woken whenever a hold is settled or released on this node.
    settled: Arc<Notify>,
}

#[derive(Debug)]
enum Backend {
    /// One node owns the database (SQLite): counters in memory, rebuilt from telemetry on start.
    Local(Mutex<LocalCounters>),
    /// Several nodes share PostgreSQL: counters are rows updated by single atomic statements.
    Shared(Store),
}

#[derive(Debug, Default)]
struct LocalCounters {
    minute: i64,
    /// Calls this minute per `integration:caller`.
    calls: HashMap<(i64, String), u32>,
    /// Spend per integration and UTC day.
    budgets: HashMap<(i64, i64), Budget>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Budget {
    spent: NanoUsd,
    reserved: NanoUsd,
}

/// Worst-case spend held against a daily cap until the call settles. Dropping it unsettled (a
/// cancelled call) releases it.
#[derive(Debug)]
#[must_use = "settle the reservation with the billed cost"]
pub struct Reservation {
    limits: Limits,
    integration_id: i64,
    day: i64,
    amount: NanoUsd,
    settled: bool,
}

impl Limits {
    /// Chooses the backend for the store's engine and, for in-memory counters, rebuilds today's
    /// spend and this minute's calls from the invocation log so a restart forgets nothing.
    pub async fn new(store: &Store, now_ms: i64) -> Result<Self> {
        let backend = match store.engine() {
            Engine::Postgres => Backend::Shared(store.clone()),
            Engine::Sqlite => Backend::Local(Mutex::new(rebuild(store, now_ms).await?)),
        };
        Ok(Self {
            backend: Arc::new(backend),
            settled: Arc::new(Notify::new()),
        })
    }

    /// Counts one call against `limit` calls per minute for this integration and caller; the
    /// call is refused (and not counted) once `limit` calls passed this minute.
    pub async fn take_rate(
        &self,
        integration_id: i64,
        caller: &str,
        limit: u32,
        now_ms: i64,
    ) -> Result<Option<Rejection>> {
        let minute = now_ms.div_euclid(MINUTE_MS);
        let passed = match &*self.backend {
            Backend::Local(counters) => {
                let mut counters = counters.lock().unwrap_or_else(PoisonError::into_inner);
                if counters.minute != minute {
                    counters.minute = minute;
                    counters.calls.clear();
                }
                let count = counters.calls.entry((integration_id, caller.to_owned())).or_default();
                if *count < limit {
                    *count += 1;
                    true
                } else {
                    false
                }
            }
            Backend::Shared(store) => sqlx::query(
                "insert into ai_limit_counters (key, value, reserved, expires_at) values ($1, 1, 0, $3)
                 on conflict (key) do update set value = ai_limit_counters.value + 1
                 where ai_limit_counters.value < $2
                 returning value",
            )
            .bind(format!("rate:{integration_id}:{caller}:{minute}"))
            .bind(i64::from(limit))
            .bind((minute + 1) * MINUTE_MS)
            .fetch_optional(store.pool())
            .await
            .context("counting a call against the rate limit")?
            .is_some(),
        };
        Ok((!passed).then(|| Rejection::RateLimited {
            retry_after_secs: u64::try_from(((minute + 1) * MINUTE_MS - now_ms + 999) / 1000)
                .unwrap_or(1)
                .max(1),
        }))
    }

    /// Holds `amount` against today's `cap` for the integration. When only the holds of calls in
    /// flight stand in the way, waits (until `wait_until`) for them to settle, because they
    /// usually cost less than they hold; refuses with the settled spend when even an idle budget
    /// could not take `amount`.
    pub async fn reserve(
        &self,
        integration_id: i64,
        cap: NanoUsd,
        amount: NanoUsd,
        now_ms: i64,
        wait_until: tokio::time::Instant,
    ) -> Result<Result<Reservation, Rejection>> {
        let day = now_ms.div_euclid(DAY_MS);
        loop {
            // Register interest before trying, so a settlement between the try and the wait
            // still wakes this call.
            let settled = self.settled.notified();
            let spent = match self.try_reserve(integration_id, day, cap, amount).await? {
                None => {
                    return Ok(Ok(Reservation {
                        limits: self.clone(),
                        integration_id,
                        day,
                        amount,
                        settled: false,
                    }));
                }
                Some(spent) => spent,
            };
            let could_fit_later = spent.saturating_add(amount) <= cap;
            if !could_fit_later || tokio::time::Instant::now() >= wait_until {
                return Ok(Err(Rejection::BudgetExceeded { spent }));
            }
            // Settlements on this node wake the wait at once; other nodes' are seen by polling.
            let _ = tokio::time::timeout_at(
                wait_until.min(tokio::time::Instant::now() + SHARED_POLL),
                settled,
            )
            .await;
        }
    }

    /// One atomic attempt: `None` when the hold was taken, else the settled spend.
    async fn try_reserve(
        &self,
        integration_id: i64,
        day: i64,
        cap: NanoUsd,
        amount: NanoUsd,
    ) -> Result<Option<NanoUsd>> {
        match &*self.backend {
            Backend::Local(counters) => {
                let mut counters = counters.lock().unwrap_or_else(PoisonError::into_inner);
                let budget = counters.budgets.entry((integration_id, day)).or_default();
                if budget
                    .spent
                    .saturating_add(budget.reserved)
                    .saturating_add(amount)
                    <= cap
                {
                    budget.reserved = budget.reserved.saturating_add(amount);
                    Ok(None)
                } else {
                    Ok(Some(budget.spent))
                }
            }
            Backend::Shared(store) => {
                let key = budget_key(integration_id, day);
                sqlx::query(
                    "insert into ai_limit_counters (key, value, reserved, expires_at) values ($1, 0, 0, $2)
                     on conflict (key) do nothing",
                )
                .bind(&key)
                .bind((day + 2) * DAY_MS)
                .execute(store.pool())
                .await
                .context("opening today's budget")?;
                let held = sqlx::query(
                    "update ai_limit_counters set reserved = reserved + $2
                     where key = $1 and value + reserved + $2 <= $3
                     returning value",
                )
                .bind(&key)
                .bind(amount.0)
                .bind(cap.0)
                .fetch_optional(store.pool())
                .await
                .context("reserving against the daily cap")?;
                if held.is_some() {
                    return Ok(None);
                }
                let spent: i64 =
                    sqlx::query_scalar("select value from ai_limit_counters where key = $1")
                        .bind(&key)
                        .fetch_one(store.pool())
                        .await
                        .context("reading today's spend")?;
                Ok(Some(NanoUsd(spent)))
            }
        }
    }

    /// Today's settled spend for an integration.
    pub async fn spent_today(&self, integration_id: i64, now_ms: i64) -> Result<NanoUsd> {
        let day = now_ms.div_euclid(DAY_MS);
        match &*self.backend {
            Backend::Local(counters) => Ok(counters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .budgets
                .get(&(integration_id, day))
                .map_or(NanoUsd::ZERO, |b| b.spent)),
            Backend::Shared(store) => {
                let spent: Option<i64> =
                    sqlx::query_scalar("select value from ai_limit_counters where key = $1")
                        .bind(budget_key(integration_id, day))
                        .fetch_optional(store.pool())
                        .await
                        .context("reading today's spend")?;
                Ok(NanoUsd(spent.unwrap_or(0)))
            }
        }
    }

    /// Today's settled spend of every integration that spent anything, read in one go.
    pub async fn spent_today_all(&self, now_ms: i64) -> Result<HashMap<i64, NanoUsd>> {
        let day = now_ms.div_euclid(DAY_MS);
        match &*self.backend {
            Backend::Local(counters) => Ok(counters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .budgets
                .iter()
                .filter(|((_, d), _)| *d == day)
                .map(|((id, _), budget)| (*id, budget.spent))
                .collect()),
            Backend::Shared(store) => {
                let rows =
                    sqlx::query("select key, value from ai_limit_counters where key like $1")
                        .bind(budget_key_pattern(day))
                        .fetch_all(store.pool())
                        .await
                        .context("reading today's spend")?;
                let mut spent = HashMap::new();
                for row in rows {
                    let key: String = row.try_get("key").context("reading today's spend")?;
                    let value: i64 = row.try_get("value").context("reading today's spend")?;
                    if let Some(id) = budget_key_id(&key, day) {
                        spent.insert(id, NanoUsd(value));
                    }
                }
                Ok(spent)
            }
        }
    }

    /// Adds spend that was not reserved (calls without a cap still count toward today's total,
    /// so that a cap set later in the day sees it).
    pub async fn record_spend(
        &self,
        integration_id: i64,
        amount: NanoUsd,
        now_ms: i64,
    ) -> Result<()> {
        let day = now_ms.div_euclid(DAY_MS);
        self.adjust(integration_id, day, NanoUsd::ZERO, amount)
            .await
    }

    /// Deletes counter rows whose window is over (shared backend only).
    pub async fn prune(&self, now_ms: i64) -> Result<u64> {
        match &*self.backend {
            Backend::Local(_) => Ok(0),
            Backend::Shared(store) => Ok(sqlx::query(
                "delete from ai_limit_counters where expires_at < $1",
            )
            .bind(now_ms)
            .execute(store.pool())
            .await
            .context("pruning limit counters")?
            .rows_affected()),
        }
    }

    async fn adjust(
        &self,
        integration_id: i64,
        day: i64,
        release: NanoUsd,
        spend: NanoUsd,
    ) -> Result<()> {
        match &*self.backend {
            Backend::Local(counters) => {
                let mut counters = counters.lock().unwrap_or_else(PoisonError::into_inner);
                let budget = counters.budgets.entry((integration_id, day)).or_default();
                budget.reserved = budget.reserved.saturating_sub(release);
                budget.spent = budget.spent.saturating_add(spend);
            }
            Backend::Shared(store) => {
                sqlx::query(
                    "insert into ai_limit_counters (key, value, reserved, expires_at) values ($1, $3, 0, $4)
                     on conflict (key) do update set reserved = ai_limit_counters.reserved - $2,
                         value = ai_limit_counters.value + $3",
                )
                .bind(budget_key(integration_id, day))
                .bind(release.0)
                .bind(spend.0)
                .bind((day + 2) * DAY_MS)
                .execute(store.pool())
                .await
                .context("settling spend against the daily cap")?;
            }
        }
        self.settled.notify_waiters();
        Ok(())
    }
}

impl Reservation {
    /// Replaces the held worst case by what the call really cost (zero when it failed).
    pub async fn settle(mut self, billed: NanoUsd) -> Result<()> {
        self.settled = true;
        self.limits
            .adjust(self.integration_id, self.day, self.amount, billed)
            .await
    }

    pub fn amount(&self) -> NanoUsd {
        self.amount
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (limits, integration_id, day, amount) = (
            self.limits.clone(),
            self.integration_id,
            self.day,
            self.amount,
        );
        match &*limits.backend {
            Backend::Local(counters) => {
                let mut counters = counters.lock().unwrap_or_else(PoisonError::into_inner);
                let budget = counters.budgets.entry((integration_id, day)).or_default();
                budget.reserved = budget.reserved.saturating_sub(amount);
                drop(counters);
                limits.settled.notify_waiters();
            }
            Backend::Shared(_) => {
                // A call cancelled mid-flight (client gone): release the hold in the background.
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        if let Err(e) = limits
                            .adjust(integration_id, day, amount, NanoUsd::ZERO)
                            .await
                        {
                            tracing::warn!(error = %e, "releasing a cancelled budget reservation");
                        }
                    });
                }
            }
        }
    }
}

fn budget_key(integration_id: i64, day: i64) -> String {
    format!("spend:{integration_id}:{day}")
}

/// A `like` pattern matching every integration's budget key of `day`.
fn budget_key_pattern(day: i64) -> String {
    format!("spend:%:{day}")
}

/// The integration of a budget key of `day`.
fn budget_key_id(key: &str, day: i64) -> Option<i64> {
    let rest = key.strip_prefix("spend:")?;
    let (id, key_day) = rest.split_once(':')?;
    (key_day.parse::<i64>().ok()? == day).then(|| id.parse().ok())?
}

/// Today's spend and this minute's admitted calls, from the invocation log.
async fn rebuild(store: &Store, now_ms: i64) -> Result<LocalCounters> {
    let day = now_ms.div_euclid(DAY_MS);
    let minute = now_ms.div_euclid(MINUTE_MS);
    let mut counters = LocalCounters {
        minute,
        ..LocalCounters::default()
    };
    let spend = sqlx::query(
        "select integration_id, sum(cost_nanos) as spent from ai_invocations
         where created_at >= $1 and integration_id is not null and cost_nanos is not null
         group by integration_id",
    )
    .bind(day * DAY_MS)
    .fetch_all(store.pool())
    .await
    .context("rebuilding today's spend")?;
    for row in spend {
        let id: i64 = row
            .try_get("integration_id")
            .context("reading rebuilt spend")?;
        let spent: i64 = row.try_get("spent").context("reading rebuilt spend")?;
        counters.budgets.insert(
            (id, day),
            Budget {
                spent: NanoUsd(spent),
                reserved: NanoUsd::ZERO,
            },
        );
    }
    let calls = sqlx::query(
        "select integration_id, caller_type, caller_id, count(*) as calls from ai_invocations
         where created_at >= $1 and integration_id is not null and attempts > 0
         group by integration_id, caller_type, caller_id",
    )
    .bind(minute * MINUTE_MS)
    .fetch_all(store.pool())
    .await
    .context("rebuilding this minute's calls")?;
    for row in calls {
        let id: i64 = row
            .try_get("integration_id")
            .context("reading rebuilt calls")?;
        let caller_type: String = row
            .try_get("caller_type")
            .context("reading rebuilt calls")?;
        let caller_id: Option<String> =
            row.try_get("caller_id").context("reading rebuilt calls")?;
        let count: i64 = row.try_get("calls").context("reading rebuilt calls")?;
        counters.calls.insert(
            (id, caller_key(&caller_type, caller_id.as_deref())),
            u32::try_from(count).unwrap_or(u32::MAX),
        );
    }
    Ok(counters)
}

/// The identity rate limits count per: `type:id`, or `type:anon` without an id.
pub fn caller_key(caller_type: &str, caller_id: Option<&str>) -> String {
    format!("{caller_type}:{}", caller_id.unwrap_or("anon"))
}
