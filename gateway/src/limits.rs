//! Guardrails before any spend: the per-minute rate limit (per integration and caller) and the
//! daily spend cap (reserve the worst case, settle to the billed cost). Exact under concurrency:
//! every check is one atomic step, in memory on a single node or one SQL statement on a shared
//! PostgreSQL database. While a shared database does not answer, the node counts in memory
//! instead (calls keep working) and replays its settlements once the database is back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use gateway_types::{Engine, NanoUsd};
use sqlx::Row;
use tokio::sync::Notify;
use tokio_util::task::TaskTracker;

use crate::error::{Result, StoreContext};
use crate::store::Store;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// How often a call waiting for budget looks again at counters other nodes settle.
const SHARED_POLL: std::time::Duration = std::time::Duration::from_millis(20);
/// A shared database that stopped answering is reported at most this often (milliseconds).
const OUTAGE_LOG_EVERY_MS: i64 = 10_000;
/// The counter id of calls that belong to no integration (Draft with AI); integration ids
/// start at 1.
pub const NO_INTEGRATION: i64 = 0;

/// Why a call may not proceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    RateLimited {
        retry_after_secs: u64,
    },
    /// `spent` is today's settled spend; `held` says the call would fit once the holds of calls
    /// in flight settle, so they (not the spend) are what stands in the way.
    BudgetExceeded {
        spent: NanoUsd,
        held: bool,
    },
}

/// Where the counters live.
#[derive(Debug, Clone)]
pub struct Limits {
    backend: Arc<Backend>,
    /// Woken whenever a hold is settled or released on this node.
    settled: Arc<Notify>,
    /// Where settlements that cannot wait for their caller run (the gateway's task set).
    tasks: TaskTracker,
}

#[derive(Debug)]
enum Backend {
    /// One node owns the database (SQLite): counters in memory, rebuilt from telemetry on start.
    Local(Mutex<LocalCounters>),
    /// Several nodes share PostgreSQL: counters are rows updated by single atomic statements.
    Shared(Shared),
}

#[derive(Debug)]
struct Shared {
    store: Store,
    /// What this node counts while the database does not answer.
    fallback: Mutex<LocalCounters>,
    /// Settlements the database refused, applied again by [`Limits::retry_pending`].
    pending: Mutex<Vec<Adjustment>>,
    last_outage_log: AtomicI64,
}

/// One change to a budget counter: `release` leaves the holds, `spend` joins the settled total
/// (negative when a later bill corrects an estimate down).
#[derive(Debug, Clone, Copy)]
struct Adjustment {
    integration_id: i64,
    day: i64,
    release: NanoUsd,
    spend: NanoUsd,
}

impl Shared {
    /// Notes that the database failed and that this node counts on its own meanwhile.
    fn outage(&self, error: &crate::Error, now_ms: i64) {
        let last = self.last_outage_log.load(Ordering::Relaxed);
        if now_ms - last >= OUTAGE_LOG_EVERY_MS
            && self
                .last_outage_log
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(%error, "the shared limit counters do not answer; counting on this node until they do");
        }
    }

    fn fallback(&self) -> std::sync::MutexGuard<'_, LocalCounters> {
        self.fallback.lock().unwrap_or_else(PoisonError::into_inner)
    }
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

impl LocalCounters {
    /// Counts a call unless `limit` calls of this caller passed this minute.
    fn take_rate(&mut self, integration_id: i64, caller: &str, limit: u32, minute: i64) -> bool {
        if self.minute != minute {
            self.minute = minute;
            self.calls.clear();
        }
        let count = self
            .calls
            .entry((integration_id, caller.to_owned()))
            .or_default();
        if *count < limit {
            *count += 1;
            true
        } else {
            false
        }
    }

    /// Holds `amount` if it fits under `cap`; else the settled spend.
    fn try_reserve(
        &mut self,
        integration_id: i64,
        day: i64,
        cap: NanoUsd,
        amount: NanoUsd,
    ) -> Option<NanoUsd> {
        let budget = self.budgets.entry((integration_id, day)).or_default();
        if budget
            .spent
            .saturating_add(budget.reserved)
            .saturating_add(amount)
            <= cap
        {
            budget.reserved = budget.reserved.saturating_add(amount);
            None
        } else {
            Some(budget.spent)
        }
    }

    fn adjust(&mut self, change: Adjustment) {
        let budget = self
            .budgets
            .entry((change.integration_id, change.day))
            .or_default();
        budget.reserved = budget.reserved.saturating_sub(change.release);
        budget.spent = budget.spent.saturating_add(change.spend);
    }
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
    /// Held in this node's fallback counters because the shared database did not answer.
    local: bool,
}

impl Limits {
    /// Chooses the backend for the store's engine and, for in-memory counters, rebuilds today's
    /// spend and this minute's calls from the invocation log so a restart forgets nothing.
    pub async fn new(store: &Store, now_ms: i64, tasks: TaskTracker) -> Result<Self> {
        let backend = match store.engine() {
            Engine::Postgres => Backend::Shared(Shared {
                store: store.clone(),
                fallback: Mutex::default(),
                pending: Mutex::default(),
                last_outage_log: AtomicI64::new(i64::MIN / 2),
            }),
            Engine::Sqlite => Backend::Local(Mutex::new(rebuild(store, now_ms).await?)),
        };
        Ok(Self {
            backend: Arc::new(backend),
            settled: Arc::new(Notify::new()),
            tasks,
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
            Backend::Local(counters) => counters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take_rate(integration_id, caller, limit, minute),
            Backend::Shared(shared) => match sqlx::query(
                "insert into ai_limit_counters (key, value, reserved, expires_at) values ($1, 1, 0, $3)
                 on conflict (key) do update set value = ai_limit_counters.value + 1
                 where ai_limit_counters.value < $2
                 returning value",
            )
            .bind(format!("rate:{integration_id}:{caller}:{minute}"))
            .bind(i64::from(limit))
            .bind((minute + 1) * MINUTE_MS)
            .fetch_optional(shared.store.pool())
            .await
            .context("counting a call against the rate limit")
            {
                Ok(row) => row.is_some(),
                Err(error) => {
                    shared.outage(&error, now_ms);
                    shared
                        .fallback()
                        .take_rate(integration_id, caller, limit, minute)
                }
            },
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
            let (spent, local) = self
                .try_reserve(integration_id, day, cap, amount, now_ms)
                .await;
            let Some(spent) = spent else {
                return Ok(Ok(Reservation {
                    limits: self.clone(),
                    integration_id,
                    day,
                    amount,
                    settled: false,
                    local,
                }));
            };
            let could_fit_later = spent.saturating_add(amount) <= cap;
            if !could_fit_later || tokio::time::Instant::now() >= wait_until {
                return Ok(Err(Rejection::BudgetExceeded {
                    spent,
                    held: could_fit_later,
                }));
            }
            // Settlements on this node wake the wait at once; other nodes' are seen by polling.
            let _ = tokio::time::timeout_at(
                wait_until.min(tokio::time::Instant::now() + SHARED_POLL),
                settled,
            )
            .await;
        }
    }

    /// One atomic attempt: `None` when the hold was taken, else the settled spend; and whether
    /// it was decided by this node's fallback counters.
    async fn try_reserve(
        &self,
        integration_id: i64,
        day: i64,
        cap: NanoUsd,
        amount: NanoUsd,
        now_ms: i64,
    ) -> (Option<NanoUsd>, bool) {
        match &*self.backend {
            Backend::Local(counters) => (
                counters
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .try_reserve(integration_id, day, cap, amount),
                true,
            ),
            Backend::Shared(shared) => {
                match shared_reserve(&shared.store, integration_id, day, cap, amount).await {
                    Ok(spent) => (spent, false),
                    Err(error) => {
                        shared.outage(&error, now_ms);
                        let spent = shared
                            .fallback()
                            .try_reserve(integration_id, day, cap, amount);
                        (spent, true)
                    }
                }
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
            Backend::Shared(shared) => {
                let spent: Option<i64> =
                    sqlx::query_scalar("select value from ai_limit_counters where key = $1")
                        .bind(budget_key(integration_id, day))
                        .fetch_optional(shared.store.pool())
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
            Backend::Shared(shared) => {
                let rows =
                    sqlx::query("select key, value from ai_limit_counters where key like $1")
                        .bind(budget_key_pattern(day))
                        .fetch_all(shared.store.pool())
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
    pub async fn record_spend(&self, integration_id: i64, amount: NanoUsd, now_ms: i64) {
        let change = Adjustment {
            integration_id,
            day: now_ms.div_euclid(DAY_MS),
            release: NanoUsd::ZERO,
            spend: amount,
        };
        self.adjust(change, false).await;
    }

    /// Replaces `estimate` by `billed` in the spend of the UTC day `day_of_ms` falls on: a
    /// call's bill that arrived after it was settled.
    pub async fn correct_spend(
        &self,
        integration_id: i64,
        day_of_ms: i64,
        estimate: NanoUsd,
        billed: NanoUsd,
    ) {
        let change = Adjustment {
            integration_id,
            day: day_of_ms.div_euclid(DAY_MS),
            release: NanoUsd::ZERO,
            spend: NanoUsd(billed.0.saturating_sub(estimate.0)),
        };
        self.adjust(change, false).await;
    }

    /// Deletes counter rows whose window is over (shared backend only).
    pub async fn prune(&self, now_ms: i64) -> Result<u64> {
        match &*self.backend {
            Backend::Local(_) => Ok(0),
            Backend::Shared(shared) => Ok(sqlx::query(
                "delete from ai_limit_counters where expires_at < $1",
            )
            .bind(now_ms)
            .execute(shared.store.pool())
            .await
            .context("pruning limit counters")?
            .rows_affected()),
        }
    }

    /// Applies again the settlements the shared database refused while it was away, in order;
    /// the first that fails again waits for the next round. Returns how many are still waiting.
    pub async fn retry_pending(&self) -> usize {
        let Backend::Shared(shared) = &*self.backend else {
            return 0;
        };
        let waiting: Vec<Adjustment> = std::mem::take(
            &mut *shared
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let mut left = Vec::new();
        for change in waiting {
            if !left.is_empty() || shared_adjust(&shared.store, change).await.is_err() {
                left.push(change);
            }
        }
        let mut pending = shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        left.append(&mut pending);
        *pending = left;
        pending.len()
    }

    /// Applies one change where its hold was taken: in memory (`local`), else in the shared
    /// row, queued for [`Self::retry_pending`] when the database refuses it.
    async fn adjust(&self, change: Adjustment, local: bool) {
        match &*self.backend {
            Backend::Local(counters) => counters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .adjust(change),
            Backend::Shared(shared) if local => {
                shared.fallback().adjust(change);
                // The hold never reached the shared row, but the spend must: it joins the
                // shared total once the database answers again.
                if change.spend != NanoUsd::ZERO {
                    shared
                        .pending
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(Adjustment {
                            release: NanoUsd::ZERO,
                            ..change
                        });
                }
            }
            Backend::Shared(shared) => {
                if let Err(error) = shared_adjust(&shared.store, change).await {
                    shared.outage(&error, crate::now_ms());
                    shared
                        .pending
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(change);
                }
            }
        }
        self.settled.notify_waiters();
    }
}

/// One atomic attempt on the shared row: `None` when the hold was taken, else the settled spend.
async fn shared_reserve(
    store: &Store,
    integration_id: i64,
    day: i64,
    cap: NanoUsd,
    amount: NanoUsd,
) -> Result<Option<NanoUsd>> {
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
    let spent: i64 = sqlx::query_scalar("select value from ai_limit_counters where key = $1")
        .bind(&key)
        .fetch_one(store.pool())
        .await
        .context("reading today's spend")?;
    Ok(Some(NanoUsd(spent)))
}

async fn shared_adjust(store: &Store, change: Adjustment) -> Result<()> {
    sqlx::query(
        "insert into ai_limit_counters (key, value, reserved, expires_at) values ($1, $3, 0, $4)
         on conflict (key) do update set reserved = ai_limit_counters.reserved - $2,
             value = ai_limit_counters.value + $3",
    )
    .bind(budget_key(change.integration_id, change.day))
    .bind(change.release.0)
    .bind(change.spend.0)
    .bind((change.day + 2) * DAY_MS)
    .execute(store.pool())
    .await
    .context("settling spend against the daily cap")?;
    Ok(())
}

impl Reservation {
    /// Replaces the held worst case by what the call really cost (zero when it failed).
    pub async fn settle(mut self, billed: NanoUsd) {
        self.settled = true;
        let change = self.change(billed);
        self.limits.adjust(change, self.local).await;
    }

    pub fn amount(&self) -> NanoUsd {
        self.amount
    }

    fn change(&self, spend: NanoUsd) -> Adjustment {
        Adjustment {
            integration_id: self.integration_id,
            day: self.day,
            release: self.amount,
            spend,
        }
    }
}

impl Drop for Reservation {
    /// A hold nobody settled (its call's task died) is released, never kept until midnight.
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let change = self.change(NanoUsd::ZERO);
        let (limits, local) = (self.limits.clone(), self.local);
        match &*limits.backend {
            Backend::Local(counters) => {
                counters
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .adjust(change);
                limits.settled.notify_waiters();
            }
            Backend::Shared(shared) if local => {
                shared.fallback().adjust(change);
                limits.settled.notify_waiters();
            }
            Backend::Shared(_) => {
                let tasks = limits.tasks.clone();
                tasks.spawn(async move { limits.adjust(change, false).await });
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
        "select coalesce(integration_id, 0) as integration_id, sum(cost_nanos) as spent
         from ai_invocations
         where created_at >= $1 and cost_nanos is not null
         group by coalesce(integration_id, 0)",
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
        // `/v1` and the native API rows of one token share a bucket.
        let calls = counters
            .calls
            .entry((id, caller_key(&caller_type, caller_id.as_deref())))
            .or_default();
        *calls = calls.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
    }
    Ok(counters)
}

/// The identity rate limits count per: the token for callers of either API surface (one
/// token, one bucket), else `type:id`, or `type:anon` without an id.
pub fn caller_key(caller_type: &str, caller_id: Option<&str>) -> String {
    match (caller_type, caller_id) {
        ("api" | "openai", Some(token)) => token.to_owned(),
        (_, id) => format!("{caller_type}:{}", id.unwrap_or("anon")),
    }
}
