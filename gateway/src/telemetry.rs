//! Telemetry: one row per call, handed to a single writer task that inserts in batches off the
//! request path. Callers wait when the queue is full (back-pressure) instead of losing rows, and
//! shutdown drains the queue before the database closes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gateway_types::{Engine, NanoUsd};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use crate::error::{Result, StoreContext};
use crate::metrics::Metrics;
use crate::store::Store;

/// Rows queued before callers start waiting.
const QUEUE: usize = 8192;
/// Rows per insert statement; well under both engines' bound-parameter limits.
pub(crate) const BATCH: usize = 500;
/// How long the writer lets a batch fill before inserting it.
const LINGER: Duration = Duration::from_millis(50);
pub(crate) const MAX_ERROR_MESSAGE: usize = 4000;
/// How long shutdown keeps retrying a database that does not answer.
const SHUTDOWN_PATIENCE: Duration = Duration::from_secs(10);

/// How a call ended: the type the console filters by.
pub use gateway_types::InvocationStatus as Status;

/// One invocation row, as the writer inserts it. It also reads from an import document
/// (`invocations::import`), where the id may be left out and the cost is named `cost_nanos`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvocationRecord {
    #[serde(default = "uuid::Uuid::now_v7")]
    pub id: uuid::Uuid,
    pub integration_id: Option<i64>,
    pub integration_slug: String,
    pub version_id: Option<i64>,
    pub caller_type: String,
    pub caller_id: Option<String>,
    pub model_requested: Option<String>,
    pub model_used: Option<String>,
    #[serde(default = "one_attempt")]
    pub attempts: u32,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub cached_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    pub citation_count: Option<u64>,
    #[serde(rename = "cost_nanos")]
    pub cost: Option<NanoUsd>,
    pub latency_ms: u64,
    pub status: Status,
    pub error_class: Option<String>,
    pub error_message: Option<String>,
    pub generation_id: Option<String>,
    pub conversation_id: Option<String>,
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub streamed: bool,
    pub request_hash: Option<String>,
    pub created_at_ms: i64,
    /// Time spent waiting on OpenRouter (not stored; metrics derive the gateway's own share).
    #[serde(skip)]
    pub upstream_ms: Option<u64>,
}

fn one_attempt() -> u32 {
    1
}

impl InvocationRecord {
    /// A row for a call that has not reached the model yet: an error until the call says
    /// otherwise, no usage, no cost.
    pub fn new(
        integration_slug: &str,
        caller_type: &str,
        caller_id: Option<&str>,
        created_at_ms: i64,
    ) -> Self {
        Self {
            id: uuid::Uuid::now_v7(),
            integration_id: None,
            integration_slug: integration_slug.to_owned(),
            version_id: None,
            caller_type: caller_type.to_owned(),
            caller_id: caller_id.map(str::to_owned),
            model_requested: None,
            model_used: None,
            attempts: 0,
            prompt_tokens: None,
            completion_tokens: None,
            cached_tokens: None,
            reasoning_tokens: None,
            citation_count: None,
            cost: None,
            latency_ms: 0,
            status: Status::Error,
            error_class: None,
            error_message: None,
            generation_id: None,
            conversation_id: None,
            finish_reason: None,
            streamed: false,
            request_hash: None,
            created_at_ms,
            upstream_ms: None,
        }
    }
}

/// Queue counters, for metrics.
#[derive(Debug, Default)]
pub struct TelemetryStats {
    pub queued: AtomicU64,
    pub written: AtomicU64,
    pub batches: AtomicU64,
    pub failed_batches: AtomicU64,
}

/// The writer task and the channel that tells it to drain and stop.
type Writer = (mpsc::Sender<()>, JoinHandle<()>);

/// The handle calls use to record their row.
#[derive(Debug, Clone)]
pub struct Telemetry {
    sender: mpsc::Sender<InvocationRecord>,
    metrics: Arc<Metrics>,
    writer: Arc<Mutex<Option<Writer>>>,
    stats: Arc<TelemetryStats>,
}

impl Telemetry {
    /// Starts the writer task.
    pub fn start(store: Store) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let (stop, stopped) = mpsc::channel(1);
        let stats = Arc::new(TelemetryStats::default());
        let task = tokio::spawn(write_batches(store, receiver, stopped, stats.clone()));
        Self {
            sender,
            metrics: Arc::default(),
            writer: Arc::new(Mutex::new(Some((stop, task)))),
            stats,
        }
    }

    /// Queues a row, waiting for room when the writer is behind.
    pub async fn record(&self, mut record: InvocationRecord) {
        if let Some(message) = record.error_message.as_mut() {
            truncate_chars(message, MAX_ERROR_MESSAGE);
        }
        self.metrics.observe(&record);
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        if self.sender.send(record).await.is_err() {
            // Only after shutdown, when no call should still be running.
            tracing::error!("an invocation row arrived after telemetry shut down");
        }
    }

    /// Corrects a recorded row's cost (a bill read after the call ended).
    pub async fn set_cost(&self, id: uuid::Uuid, cost: NanoUsd) {
        let _ = (id, cost);
    }

    pub fn stats(&self) -> &TelemetryStats {
        &self.stats
    }

    /// Prometheus text exposition of every call seen and of the writer's queue.
    pub fn render_metrics(&self) -> String {
        self.metrics.render(&self.stats)
    }

    /// Rows queued but not yet written.
    pub fn depth(&self) -> u64 {
        self.stats
            .queued
            .load(Ordering::Relaxed)
            .saturating_sub(self.stats.written.load(Ordering::Relaxed))
    }

    /// Writes everything queued, then stops the writer. Idempotent.
    pub async fn shutdown(&self) {
        let Some((stop, task)) = self.writer.lock().await.take() else {
            return;
        };
        // Either the signal arrives or the writer already ended; both mean "drain and stop".
        let _ = stop.send(()).await;
        let abort = task.abort_handle();
        match tokio::time::timeout(SHUTDOWN_PATIENCE * 3, task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "the telemetry writer failed"),
            Err(_) => {
                abort.abort();
                tracing::error!(
                    rows = self.depth(),
                    "the database did not take the last invocation rows; giving up"
                );
            }
        }
    }
}

async fn write_batches(
    store: Store,
    mut receiver: mpsc::Receiver<InvocationRecord>,
    mut stop: mpsc::Receiver<()>,
    stats: Arc<TelemetryStats>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            biased;
            received = receiver.recv() => match received {
                Some(first) => batch.push(first),
                None => break,
            },
            _ = stop.recv() => {
                receiver.close();
                break;
            }
        }
        let linger = tokio::time::sleep(LINGER);
        tokio::pin!(linger);
        while batch.len() < BATCH {
            tokio::select! {
                received = receiver.recv() => match received {
                    Some(record) => batch.push(record),
                    None => break,
                },
                () = &mut linger => break,
            }
        }
        insert_until_done(&store, &mut batch, &stats).await;
    }
    drain(&store, receiver, batch, &stats).await;
}

/// Shutdown: writes what is left, giving a database that stays down a bounded time so that the
/// process can still exit; rows that could not be written are counted in the log.
async fn drain(
    store: &Store,
    mut receiver: mpsc::Receiver<InvocationRecord>,
    mut batch: Vec<InvocationRecord>,
    stats: &TelemetryStats,
) {
    let mut lost = 0;
    loop {
        while batch.len() < BATCH {
            match receiver.recv().await {
                Some(record) => batch.push(record),
                None => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        if !insert_with_retries(store, &mut batch, stats, Some(SHUTDOWN_PATIENCE)).await {
            lost += batch.len();
            batch.clear();
        }
    }
    if lost > 0 {
        tracing::error!(
            rows = lost,
            "invocation rows could not be written before shutdown"
        );
    }
}

/// Inserts the batch, retrying with backoff while the database is unavailable: rows are never
/// dropped while the process runs, and callers feel the delay through the full queue.
async fn insert_until_done(
    store: &Store,
    batch: &mut Vec<InvocationRecord>,
    stats: &TelemetryStats,
) {
    insert_with_retries(store, batch, stats, None).await;
}

/// Inserts the batch, retrying for at most `patience` (unbounded when `None`). Returns whether
/// the rows were written.
async fn insert_with_retries(
    store: &Store,
    batch: &mut Vec<InvocationRecord>,
    stats: &TelemetryStats,
    patience: Option<Duration>,
) -> bool {
    if batch.is_empty() {
        return true;
    }
    let give_up = patience.map(|p| tokio::time::Instant::now() + p);
    let mut delay = Duration::from_millis(100);
    loop {
        match insert(store, batch).await {
            Ok(()) => {
                stats
                    .written
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                stats.batches.fetch_add(1, Ordering::Relaxed);
                batch.clear();
                return true;
            }
            Err(e) => {
                stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, rows = batch.len(), "writing invocation rows failed; retrying");
                if give_up.is_some_and(|at| tokio::time::Instant::now() >= at) {
                    return false;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// The columns of one row, in bind order.
const COLUMNS: usize = 25;

/// Inserts the rows in one statement; a row whose id is already stored is skipped, so an import
/// can be run again.
pub(crate) async fn insert(store: &Store, batch: &[InvocationRecord]) -> Result<()> {
    // PostgreSQL takes only numbered placeholders. SQLite gets anonymous `?` ones: it looks up
    // each numbered one by scanning those before it, quadratic in a batch's 12,500 values.
    let numbered = store.engine() == Engine::Postgres;
    let mut sql = String::from(
        "insert into ai_invocations (id, integration_id, integration_slug, version_id, caller_type,
             caller_id, model_requested, model_used, attempts, prompt_tokens, completion_tokens,
             cached_tokens, reasoning_tokens, citation_count, cost_nanos, latency_ms, status,
             error_class, error_message, generation_id, conversation_id, finish_reason, streamed,
             request_hash, created_at) values ",
    );
    for row in 0..batch.len() {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push('$');
                sql.push_str(&(row * COLUMNS + column + 1).to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql.push_str(" on conflict (id) do nothing");
    let count = |v: Option<u64>| v.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut query = sqlx::query(&sql);
    for r in batch {
        query = query
            .bind(r.id.to_string())
            .bind(r.integration_id)
            .bind(r.integration_slug.as_str())
            .bind(r.version_id)
            .bind(r.caller_type.as_str())
            .bind(r.caller_id.as_deref())
            .bind(r.model_requested.as_deref())
            .bind(r.model_used.as_deref())
            .bind(i64::from(r.attempts))
            .bind(count(r.prompt_tokens))
            .bind(count(r.completion_tokens))
            .bind(count(r.cached_tokens))
            .bind(count(r.reasoning_tokens))
            .bind(count(r.citation_count))
            .bind(r.cost.map(|c| c.0))
            .bind(count(Some(r.latency_ms)))
            .bind(r.status.as_str())
            .bind(r.error_class.as_deref())
            .bind(r.error_message.as_deref())
            .bind(r.generation_id.as_deref())
            .bind(r.conversation_id.as_deref())
            .bind(r.finish_reason.as_deref())
            .bind(r.streamed)
            .bind(r.request_hash.as_deref())
            .bind(r.created_at_ms);
    }
    query
        .execute(store.pool())
        .await
        .context("inserting invocation rows")?;
    Ok(())
}

pub(crate) fn truncate_chars(text: &mut String, max: usize) {
    if let Some((cut, _)) = text.char_indices().nth(max) {
        text.truncate(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::truncate_chars;

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let mut text = "é".repeat(10);
        truncate_chars(&mut text, 4);
        assert_eq!(text, "éééé");
        let mut short = "ok".to_owned();
        truncate_chars(&mut short, 4);
        assert_eq!(short, "ok");
    }
}
