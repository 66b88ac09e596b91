//! Telemetry: one row per call, handed to a single writer task that inserts in batches off the
//! request path. The writer never wedges: a row the database refuses is quarantined, and while
//! the database is unavailable rows wait in a bounded spill file on local disk (`writer.rs`,
//! `spill.rs`). Callers wait only for room in the queue, which the writer empties into the
//! database or the spill; shutdown drains the queue before the database closes.

mod spill;
mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gateway_types::{Engine, NanoUsd};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use crate::error::{Result, StoreContext};
use crate::metrics::Metrics;
use crate::store::{Store, make_storable};

pub use spill::default_spill_dir;

/// Operations queued before callers start waiting.
const QUEUE: usize = 8192;
/// Rows per insert statement; well under both engines' bound-parameter limits.
pub(crate) const BATCH: usize = 500;
pub(crate) const MAX_ERROR_MESSAGE: usize = 4000;
/// Bound of the spill file when none is configured.
pub const DEFAULT_SPILL_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// How a call ended: the type the console filters by.
pub use gateway_types::InvocationStatus as Status;

/// One invocation row, as the writer inserts it. It also reads from an import document
/// (`invocations::import`), where the id may be left out and the cost is named `cost_nanos`.
/// The spill and quarantine files hold it in the same shape.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// The prompt and answer, when the integration keeps them; stored in a table of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Exchange>,
}

/// The longest prompt or answer kept, in bytes; the rest is cut and a marker says how long the
/// whole was. Bounds the queue, the spill file and the table alike.
pub const MAX_EXCHANGE_BYTES: usize = 64 * 1024;

/// What a call sent and got back, for integrations that keep it (`capture_exchanges`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    /// JSON list of the messages sent upstream, the rendered prompt first.
    pub prompt: String,
    /// JSON of the answer message as the model gave it (content, tool calls); `None` when the
    /// call failed before an answer.
    pub answer: Option<String>,
    /// When the housekeeping deletes it.
    pub expires_at_ms: i64,
}

impl Exchange {
    /// The messages of `payload`, kept until `retention_days` after `created_at_ms`; the answer
    /// is added once there is one.
    pub fn of_request(
        payload: &serde_json::Value,
        created_at_ms: i64,
        retention_days: u32,
    ) -> Self {
        let retention_ms = i64::from(retention_days).saturating_mul(86_400_000);
        Self {
            prompt: capped(payload["messages"].to_string()),
            answer: None,
            expires_at_ms: created_at_ms.saturating_add(retention_ms),
        }
    }

    /// Adds the answer message.
    pub fn answered(&mut self, message: &serde_json::Value) {
        self.answer = Some(capped(message.to_string()));
    }

    /// Cuts an exchange from elsewhere (an import) to the bound calls keep to, storable on both
    /// engines.
    pub(crate) fn bound(&mut self) {
        self.prompt = capped(std::mem::take(&mut self.prompt));
        self.answer = self.answer.take().map(capped);
        self.make_storable();
    }

    fn make_storable(&mut self) {
        make_storable(&mut self.prompt);
        if let Some(answer) = self.answer.as_mut() {
            make_storable(answer);
        }
    }
}

/// `text` cut to [`MAX_EXCHANGE_BYTES`] on a character boundary, with a marker saying so.
fn capped(mut text: String) -> String {
    if text.len() <= MAX_EXCHANGE_BYTES {
        return text;
    }
    let whole = text.len();
    let mut cut = MAX_EXCHANGE_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(&format!("…[truncated: {whole} bytes in all]"));
    text
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
            exchange: None,
        }
    }
}

impl InvocationRecord {
    /// Makes every text field storable on both engines (see [`make_storable`]).
    fn make_storable(&mut self) {
        let Self {
            integration_slug,
            caller_type,
            caller_id,
            model_requested,
            model_used,
            error_class,
            error_message,
            generation_id,
            conversation_id,
            finish_reason,
            request_hash,
            exchange,
            ..
        } = self;
        if let Some(exchange) = exchange {
            exchange.make_storable();
        }
        for text in [integration_slug, caller_type] {
            make_storable(text);
        }
        for text in [
            caller_id,
            model_requested,
            model_used,
            error_class,
            error_message,
            generation_id,
            conversation_id,
            finish_reason,
            request_hash,
        ]
        .into_iter()
        .flatten()
        {
            make_storable(text);
        }
    }
}

/// What travels to the writer, and what the spill and quarantine files hold, one per line.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every operation is an insert; boxing it would add an allocation per call"
)]
pub(crate) enum Operation {
    Insert(InvocationRecord),
    /// A later correction of a row's cost; applied after that row's insert.
    SetCost {
        id: uuid::Uuid,
        cost_nanos: NanoUsd,
    },
}

/// Queue counters, for metrics. Every queued operation ends up written, quarantined or lost;
/// until then it waits in the queue or in the spill file.
#[derive(Debug, Default)]
pub struct TelemetryStats {
    pub queued: AtomicU64,
    pub written: AtomicU64,
    pub batches: AtomicU64,
    pub failed_batches: AtomicU64,
    /// Operations waiting in the spill file.
    pub spill_backlog: AtomicU64,
    /// Operations the database refused, set aside in the quarantine file.
    pub quarantined: AtomicU64,
    /// Operations dropped because the spill file was full or could not be written.
    pub lost: AtomicU64,
    /// The last attempt to spill lost operations.
    pub failing: AtomicBool,
}

impl TelemetryStats {
    /// Operations queued and not yet settled (written, quarantined or lost).
    pub fn depth(&self) -> u64 {
        let settled = self.written.load(Ordering::Relaxed)
            + self.quarantined.load(Ordering::Relaxed)
            + self.lost.load(Ordering::Relaxed);
        self.queued.load(Ordering::Relaxed).saturating_sub(settled)
    }
}

/// The writer's state, for `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WriterState {
    /// Nothing waits in the spill file.
    Ready,
    /// Rows wait in the spill file for the database.
    Degraded,
    /// Rows are being lost: the spill file is full or cannot be written.
    Failing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct WriterHealth {
    pub state: WriterState,
    /// Operations waiting in the spill file.
    pub backlog: u64,
    pub quarantined: u64,
    pub lost: u64,
}

/// What `/readyz` reports: the writer's health with the database's answer folded in. Calls work
/// while rows wait in the spill file (degraded); only losing rows makes a node unready (failing).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    pub status: WriterState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backlog: Option<u64>,
    pub quarantined: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

impl WriterHealth {
    pub fn readiness(&self, database_answers: bool) -> Readiness {
        let (status, message) = match self.state {
            WriterState::Failing => (
                WriterState::Failing,
                "invocation rows are being lost: the telemetry spill file is full or cannot be written",
            ),
            WriterState::Ready if database_answers => {
                return Readiness {
                    status: WriterState::Ready,
                    backlog: None,
                    quarantined: self.quarantined,
                    lost: None,
                    message: None,
                };
            }
            _ if database_answers => (
                WriterState::Degraded,
                "invocation rows wait in the telemetry spill file until the database takes them",
            ),
            _ => (
                WriterState::Degraded,
                "the database does not answer; calls still work and their rows wait in the telemetry spill file",
            ),
        };
        Readiness {
            status,
            backlog: Some(self.backlog),
            quarantined: self.quarantined,
            lost: (status == WriterState::Failing).then_some(self.lost),
            message: Some(message),
        }
    }
}

/// The writer task and the channel that tells it to drain and stop.
type WriterTask = (mpsc::Sender<()>, JoinHandle<()>);

/// The handle calls use to record their row.
#[derive(Debug, Clone)]
pub struct Telemetry {
    sender: mpsc::Sender<Operation>,
    metrics: Arc<Metrics>,
    writer: Arc<Mutex<Option<WriterTask>>>,
    stats: Arc<TelemetryStats>,
}

impl Telemetry {
    /// Starts the writer task. Rows wait in `spill_dir` (created when first needed) while the
    /// database is unavailable, up to `spill_max_bytes`; a spill left by a previous process is
    /// replayed first.
    pub fn start(store: Store, spill_dir: PathBuf, spill_max_bytes: u64) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let (stop, stopped) = mpsc::channel(1);
        let stats = Arc::new(TelemetryStats::default());
        let writer_stats = stats.clone();
        let task = tokio::spawn(async move {
            writer::Writer::new(store, spill_dir, spill_max_bytes, writer_stats)
                .run(receiver, stopped)
                .await;
        });
        Self {
            sender,
            metrics: Arc::default(),
            writer: Arc::new(Mutex::new(Some((stop, task)))),
            stats,
        }
    }

    /// Queues a row, waiting for room when the writer is behind.
    pub async fn record(&self, mut record: InvocationRecord) {
        record.make_storable();
        if let Some(message) = record.error_message.as_mut() {
            truncate_chars(message, MAX_ERROR_MESSAGE);
        }
        self.metrics.observe(&record);
        self.send(Operation::Insert(record)).await;
    }

    /// Corrects the cost of a recorded row, e.g. once the upstream's billing record is known.
    /// It follows the same path as the rows, so it is applied after that row's insert.
    pub async fn set_cost(&self, id: uuid::Uuid, cost: NanoUsd) {
        self.send(Operation::SetCost {
            id,
            cost_nanos: cost,
        })
        .await;
    }

    async fn send(&self, op: Operation) {
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        if self.sender.send(op).await.is_err() {
            // Only after shutdown, when no call should still be running.
            tracing::error!("an invocation row arrived after telemetry shut down");
            self.stats.lost.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn stats(&self) -> &TelemetryStats {
        &self.stats
    }

    /// Whether rows reach the database, wait in the spill file, or are being lost.
    pub fn health(&self) -> WriterHealth {
        let backlog = self.stats.spill_backlog.load(Ordering::Relaxed);
        let state = if self.stats.failing.load(Ordering::Relaxed) {
            WriterState::Failing
        } else if backlog > 0 {
            WriterState::Degraded
        } else {
            WriterState::Ready
        };
        WriterHealth {
            state,
            backlog,
            quarantined: self.stats.quarantined.load(Ordering::Relaxed),
            lost: self.stats.lost.load(Ordering::Relaxed),
        }
    }

    /// Prometheus text exposition of every call seen and of the writer's queue.
    pub fn render_metrics(&self) -> String {
        self.metrics.render(&self.stats)
    }

    /// Operations queued but not yet settled, those in the spill file included.
    pub fn depth(&self) -> u64 {
        self.stats.depth()
    }

    /// Writes everything queued, then stops the writer. Idempotent. What the database does not
    /// take in time waits in the spill file for the next start.
    pub async fn shutdown(&self) {
        let Some((stop, task)) = self.writer.lock().await.take() else {
            return;
        };
        // Either the signal arrives or the writer already ended; both mean "drain and stop".
        let _ = stop.send(()).await;
        let abort = task.abort_handle();
        match tokio::time::timeout(writer::SHUTDOWN_PATIENCE * 3, task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "the telemetry writer failed"),
            Err(_) => {
                abort.abort();
                tracing::error!(
                    rows = self.depth(),
                    "the telemetry writer did not finish in time; giving up"
                );
            }
        }
    }
}

/// The columns of one row, in bind order.
const COLUMNS: usize = 25;

/// Inserts the rows in one statement; a row whose id is already stored is skipped, so an import
/// can be run again.
pub(crate) async fn insert(store: &Store, batch: &[InvocationRecord]) -> Result<u64> {
    let rows: Vec<&InvocationRecord> = batch.iter().collect();
    insert_rows(store, &rows)
        .await
        .context("inserting invocation rows")
}

/// [`insert`] with the driver's error, which the writer sorts into "this row" and "the database".
/// Returns how many rows were stored: a row whose id is already stored is skipped.
async fn insert_rows(store: &Store, batch: &[&InvocationRecord]) -> Result<u64, sqlx::Error> {
    let numbered = store.engine() == Engine::Postgres;
    let mut sql = String::from(
        "insert into ai_invocations (id, integration_id, integration_slug, version_id, caller_type,
             caller_id, model_requested, model_used, attempts, prompt_tokens, completion_tokens,
             cached_tokens, reasoning_tokens, citation_count, cost_nanos, latency_ms, status,
             error_class, error_message, generation_id, conversation_id, finish_reason, streamed,
             request_hash, created_at) values ",
    );
    push_values(&mut sql, batch.len(), COLUMNS, numbered);
    sql.push_str(" on conflict (id) do nothing");
    let count = |v: Option<u64>| v.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut query = sqlx::query(&sql);
    for &r in batch {
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
    let inserted = query.execute(store.pool()).await?.rows_affected();
    insert_exchanges(store, batch).await?;
    Ok(inserted)
}

/// Appends `rows` placeholder tuples of `columns` values. PostgreSQL takes only numbered
/// placeholders. SQLite gets anonymous `?` ones: it looks up each numbered one by scanning those
/// before it, quadratic in a batch's 12,500 values.
fn push_values(sql: &mut String, rows: usize, columns: usize, numbered: bool) {
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push('$');
                sql.push_str(&(row * columns + column + 1).to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
}

/// Stores the exchanges the rows carry, after the rows themselves; one already stored is
/// skipped, so a replayed batch stores each once.
async fn insert_exchanges(store: &Store, batch: &[&InvocationRecord]) -> Result<(), sqlx::Error> {
    let kept: Vec<(&InvocationRecord, &Exchange)> = batch
        .iter()
        .filter_map(|&r| r.exchange.as_ref().map(|e| (r, e)))
        .collect();
    if kept.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "insert into ai_invocation_exchanges (invocation_id, prompt, answer, created_at, expires_at)
         values ",
    );
    push_values(&mut sql, kept.len(), 5, store.engine() == Engine::Postgres);
    sql.push_str(" on conflict (invocation_id) do nothing");
    let mut query = sqlx::query(&sql);
    for (record, exchange) in kept {
        query = query
            .bind(record.id.to_string())
            .bind(exchange.prompt.as_str())
            .bind(exchange.answer.as_deref())
            .bind(record.created_at_ms)
            .bind(exchange.expires_at_ms);
    }
    query.execute(store.pool()).await?;
    Ok(())
}

/// Deletes the exchanges whose retention ended by `now`; returns how many.
pub async fn prune_exchanges(store: &Store, now: i64) -> Result<u64> {
    let done = sqlx::query("delete from ai_invocation_exchanges where expires_at <= $1")
        .bind(now)
        .execute(store.pool())
        .await
        .context("deleting expired prompts and answers")?;
    Ok(done.rows_affected())
}

pub(crate) fn truncate_chars(text: &mut String, max: usize) {
    if let Some((cut, _)) = text.char_indices().nth(max) {
        text.truncate(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_field_is_made_storable() {
        let mut record = InvocationRecord::new("s\0lug", "a\0pi", Some("c\0"), 1);
        record.model_used = Some("m\0".into());
        record.error_message = Some("e\0".into());
        record.request_hash = Some("h\0".into());
        record.finish_reason = Some("f\0".into());
        record.make_storable();
        let text = serde_json::to_string(&record).unwrap();
        assert!(!text.contains("\\u0000"), "{text}");
        assert_eq!(record.integration_slug, "s\u{FFFD}lug");
        assert_eq!(record.caller_id.as_deref(), Some("c\u{FFFD}"));
    }

    #[test]
    fn readiness_is_degraded_while_rows_wait_and_failing_while_they_are_lost() {
        let health = |state, backlog| WriterHealth {
            state,
            backlog,
            quarantined: 2,
            lost: 3,
        };
        let ready = health(WriterState::Ready, 0).readiness(true);
        assert_eq!(
            serde_json::to_value(&ready).unwrap(),
            serde_json::json!({ "status": "ready", "quarantined": 2 })
        );
        let down = serde_json::to_value(health(WriterState::Ready, 0).readiness(false)).unwrap();
        assert_eq!(
            (&down["status"], &down["backlog"]),
            (&"degraded".into(), &0.into())
        );
        assert!(
            down["message"]
                .as_str()
                .unwrap()
                .contains("does not answer")
        );
        let waiting = health(WriterState::Degraded, 5).readiness(true);
        assert_eq!(
            (waiting.status, waiting.backlog),
            (WriterState::Degraded, Some(5))
        );
        let failing = health(WriterState::Failing, 9).readiness(true);
        assert_eq!(
            (failing.status, failing.lost),
            (WriterState::Failing, Some(3))
        );
    }

    #[test]
    fn operations_read_back_as_written() {
        let mut record = InvocationRecord::new("slug", "api", None, 7);
        record.cost = Some(NanoUsd(42));
        record.upstream_ms = Some(3);
        let insert = serde_json::to_value(Operation::Insert(record.clone())).unwrap();
        assert_eq!(insert["op"], "insert");
        assert_eq!(insert["cost_nanos"], 42);
        assert!(insert.get("upstream_ms").is_none());
        let Operation::Insert(back) = serde_json::from_value(insert).unwrap() else {
            panic!("not an insert");
        };
        assert_eq!(back.id, record.id);
        assert_eq!(back.cost, Some(NanoUsd(42)));
        assert_eq!(back.upstream_ms, None);

        let update = Operation::SetCost {
            id: record.id,
            cost_nanos: NanoUsd(9),
        };
        let text = serde_json::to_string(&update).unwrap();
        let Operation::SetCost { id, cost_nanos } = serde_json::from_str(&text).unwrap() else {
            panic!("not a cost update: {text}");
        };
        assert_eq!((id, cost_nanos), (record.id, NanoUsd(9)));
    }

    #[test]
    fn exchanges_are_capped_on_a_character_boundary_with_a_marker() {
        let payload = serde_json::json!({"messages": [{"role": "user", "content": "é".repeat(MAX_EXCHANGE_BYTES)}]});
        let mut exchange = Exchange::of_request(&payload, 1_000, 2);
        assert_eq!(exchange.expires_at_ms, 1_000 + 2 * 86_400_000);
        assert!(exchange.prompt.len() < MAX_EXCHANGE_BYTES + 64);
        assert!(
            exchange.prompt.ends_with(" bytes in all]"),
            "{}",
            &exchange.prompt[exchange.prompt.len() - 60..]
        );
        exchange.answered(&serde_json::json!({"content": "short"}));
        assert_eq!(exchange.answer.as_deref(), Some(r#"{"content":"short"}"#));
        let untouched = Exchange::of_request(&serde_json::json!({"messages": []}), 0, u32::MAX);
        assert_eq!(untouched.prompt, "[]");
    }

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
