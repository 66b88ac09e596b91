//! The writer task: takes operations off the channel in batches and puts each one in exactly
//! one place: the database, the quarantine (refused for a reason of its own, found by splitting
//! the batch) or the spill file (the database is unavailable; replayed in order later). The
//! files themselves are `spill.rs`'s business.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use gateway_types::{Engine, NanoUsd};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::spill::{self, Spill};
use super::{BATCH, InvocationRecord, Operation, TelemetryStats};
use crate::store::Store;

/// How long the writer lets a batch fill before writing it.
const LINGER: Duration = Duration::from_millis(50);
/// First and longest wait between replays of the spill while the database stays unavailable.
const MIN_RETRY: Duration = Duration::from_millis(200);
const MAX_RETRY: Duration = Duration::from_secs(5);
/// Operations replayed before the writer looks at the channel again, so that a long spill does
/// not keep callers waiting for room.
const REPLAY_STEP: usize = 4 * BATCH;
/// Longest wait for one statement before the database counts as unavailable. A 500-row insert
/// takes milliseconds; shutdown's patience plus one of these stays within its hard limit.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown keeps trying a database that does not answer before spilling.
pub(super) const SHUTDOWN_PATIENCE: Duration = Duration::from_secs(10);

/// Why the database did not take an operation.
#[derive(Debug)]
pub(super) enum Failure {
    /// Something about these rows: retrying them cannot help.
    Refused(String),
    /// The database is down, full, missing or unreachable: retrying later will.
    Unavailable(String),
}

/// Where operations are applied: the store, or a stand-in in tests.
pub(super) trait Sink: Send + Sync + 'static {
    fn insert(
        &self,
        rows: &[&InvocationRecord],
    ) -> impl Future<Output = Result<(), Failure>> + Send;
    fn set_cost(
        &self,
        id: uuid::Uuid,
        cost: NanoUsd,
    ) -> impl Future<Output = Result<(), Failure>> + Send;
}

impl Sink for Store {
    async fn insert(&self, rows: &[&InvocationRecord]) -> Result<(), Failure> {
        bounded(self.engine(), async {
            super::insert_rows(self, rows).await.map(drop)
        })
        .await
    }

    async fn set_cost(&self, id: uuid::Uuid, cost: NanoUsd) -> Result<(), Failure> {
        let update = sqlx::query("update ai_invocations set cost_nanos = $1 where id = $2")
            .bind(cost.0)
            .bind(id.to_string())
            .execute(self.pool());
        bounded(self.engine(), async { update.await.map(|_| ()) }).await
    }
}

/// A statement the database does not finish in time counts as an unavailable database, so
/// that a hung connection sends rows to the spill instead of stalling the queue. If it did
/// commit after all, replaying it is harmless: every operation is idempotent.
async fn bounded(
    engine: Engine,
    statement: impl Future<Output = Result<(), sqlx::Error>>,
) -> Result<(), Failure> {
    match tokio::time::timeout(STATEMENT_TIMEOUT, statement).await {
        Ok(result) => result.map_err(|e| classify(engine, &e)),
        Err(_) => Err(Failure::Unavailable(format!(
            "the database did not answer within {} s",
            STATEMENT_TIMEOUT.as_secs()
        ))),
    }
}

/// Sorts a database error into "this row" and "the database". PostgreSQL says it with the
/// SQLSTATE class (22 data exception, 23 integrity violation); SQLite with the primary result
/// code (18 too big, 19 constraint, 20 mismatch) under its extended one. Both arrive unchanged
/// through the `Any` driver. Everything else (connection refused, pool timeout, missing
/// database or table, disk full, read-only file) is the database's state, not the row's.
pub(super) fn classify(engine: Engine, error: &sqlx::Error) -> Failure {
    let refused = match error {
        sqlx::Error::Database(e) => {
            let code = e.code();
            let code = code.as_deref().unwrap_or_default();
            match engine {
                Engine::Postgres => code.starts_with("22") || code.starts_with("23"),
                Engine::Sqlite => code
                    .parse::<i32>()
                    .is_ok_and(|extended| matches!(extended & 0xff, 18..=20)),
            }
        }
        // A value the driver could not even encode belongs to its row as well.
        sqlx::Error::Encode(_) => true,
        _ => false,
    };
    if refused {
        Failure::Refused(error.to_string())
    } else {
        Failure::Unavailable(error.to_string())
    }
}

pub(super) struct Writer<S> {
    sink: S,
    spill: Spill,
    dir: PathBuf,
    stats: Arc<TelemetryStats>,
    /// When to replay the spill next; `None` while it is empty.
    retry_at: Option<Instant>,
    delay: Duration,
}

impl<S: Sink> Writer<S> {
    /// Opens the spill directory; a spill file left by a previous process is replayed first.
    pub(super) fn new(sink: S, dir: PathBuf, max_bytes: u64, stats: Arc<TelemetryStats>) -> Self {
        let spill = Spill::open(dir.clone(), max_bytes);
        let backlog = spill.backlog();
        if backlog > 0 {
            tracing::info!(operations = backlog, path = %spill.path().display(), "replaying invocation rows spilled by a previous run");
            // Counted as queued so that `depth` covers them until they are written.
            stats.queued.fetch_add(backlog, Ordering::Relaxed);
        }
        stats.spill_backlog.store(backlog, Ordering::Relaxed);
        Self {
            sink,
            spill,
            dir,
            stats,
            retry_at: (backlog > 0).then(Instant::now),
            delay: MIN_RETRY,
        }
    }

    pub(super) async fn run(
        mut self,
        mut receiver: mpsc::Receiver<Operation>,
        mut stop: mpsc::Receiver<()>,
    ) {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let retry_at = self.retry_at;
            let retry = async move {
                match retry_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
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
                () = retry => {}
            }
            if !batch.is_empty() {
                let linger = tokio::time::sleep(LINGER);
                tokio::pin!(linger);
                while batch.len() < BATCH {
                    tokio::select! {
                        received = receiver.recv() => match received {
                            Some(op) => batch.push(op),
                            None => break,
                        },
                        () = &mut linger => break,
                    }
                }
                self.write(&batch).await;
                batch.clear();
            }
            if self.retry_at.is_some_and(|at| at <= Instant::now()) {
                self.replay_step().await;
            }
        }
        self.drain(receiver, batch).await;
    }

    /// Writes a fresh batch, or queues it behind the spill so that order is kept.
    async fn write(&mut self, batch: &[Operation]) {
        if !self.spill.is_empty() {
            self.spill_from(batch);
            return;
        }
        match self.apply(batch).await {
            Ok(()) => self.stats.failing.store(false, Ordering::Relaxed),
            Err((done, reason)) => {
                tracing::warn!(error = %reason, operations = batch.len() - done, "the database is unavailable; spilling invocation rows to disk");
                self.spill_from(&batch[done..]);
            }
        }
    }

    fn spill_from(&mut self, ops: &[Operation]) {
        if self.spill.append(ops, &self.stats) {
            self.stats.failing.store(false, Ordering::Relaxed);
        }
        if !self.spill.is_empty() && self.retry_at.is_none() {
            self.delay = MIN_RETRY;
            self.retry_at = Some(Instant::now() + self.delay);
        }
    }

    /// Replays the next part of the spill. Returns whether it made the database take it.
    async fn replay_step(&mut self) -> bool {
        let entries = match self.spill.read(REPLAY_STEP) {
            Ok(entries) => entries,
            Err(e) => {
                tracing::error!(error = %e, path = %self.spill.path().display(), "cannot read the telemetry spill file");
                self.back_off();
                return false;
            }
        };
        let ops: Vec<Operation> = entries.iter().filter_map(|e| e.op.clone()).collect();
        let result = self.apply(&ops).await;
        // Entries up to the first operation not applied are done, unreadable lines included.
        let consumed = match &result {
            Ok(()) => entries.len(),
            Err((done, _)) => {
                let mut seen = 0;
                entries
                    .iter()
                    .position(|e| {
                        let stop = e.op.is_some() && seen == *done;
                        seen += usize::from(e.op.is_some());
                        stop
                    })
                    .unwrap_or(entries.len())
            }
        };
        self.spill.advance(&entries, consumed, &self.stats);
        match result {
            Ok(()) if self.spill.is_empty() => {
                tracing::info!("the spilled invocation rows are all in the database");
                self.stats.failing.store(false, Ordering::Relaxed);
                self.retry_at = None;
                self.delay = MIN_RETRY;
                true
            }
            // More to replay: right after a look at the channel.
            Ok(()) => {
                self.retry_at = Some(Instant::now());
                self.delay = MIN_RETRY;
                true
            }
            Err((_, reason)) => {
                tracing::warn!(error = %reason, backlog = self.spill.backlog(), "the database is still unavailable; invocation rows wait in the spill file");
                self.back_off();
                false
            }
        }
    }

    fn back_off(&mut self) {
        self.retry_at = Some(Instant::now() + self.delay);
        self.delay = (self.delay * 2).min(MAX_RETRY);
    }

    /// Applies `ops` in order: consecutive inserts as one statement, split in halves when the
    /// database refuses it until the refused rows are found and quarantined. On an unavailable
    /// database, returns how many operations at the front are settled (written or quarantined).
    async fn apply(&self, ops: &[Operation]) -> Result<(), (usize, String)> {
        let mut start = 0;
        while start < ops.len() {
            match &ops[start] {
                Operation::SetCost { id, cost_nanos } => {
                    match self.sink.set_cost(*id, *cost_nanos).await {
                        Ok(()) => {
                            self.stats.written.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(Failure::Refused(reason)) => self.quarantine(&ops[start], &reason),
                        Err(Failure::Unavailable(reason)) => {
                            self.stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                            return Err((start, reason));
                        }
                    }
                    start += 1;
                }
                Operation::Insert(_) => {
                    let rows: Vec<&InvocationRecord> = ops[start..]
                        .iter()
                        .map_while(|op| match op {
                            Operation::Insert(row) => Some(row),
                            Operation::SetCost { .. } => None,
                        })
                        .collect();
                    if let Err((done, reason)) = self.insert_run(&rows).await {
                        return Err((start + done, reason));
                    }
                    start += rows.len();
                }
            }
        }
        Ok(())
    }

    async fn insert_run(&self, rows: &[&InvocationRecord]) -> Result<(), (usize, String)> {
        // Ranges still to write, the leftmost on top, so rows settle in order.
        let mut pending = Vec::with_capacity(16);
        pending.push(0..rows.len());
        while let Some(range) = pending.pop() {
            match self.sink.insert(&rows[range.clone()]).await {
                Ok(()) => {
                    self.stats
                        .written
                        .fetch_add(range.len() as u64, Ordering::Relaxed);
                    self.stats.batches.fetch_add(1, Ordering::Relaxed);
                }
                Err(Failure::Refused(reason)) if range.len() == 1 => {
                    self.stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                    self.quarantine(&Operation::Insert(rows[range.start].clone()), &reason);
                }
                Err(Failure::Refused(_)) => {
                    self.stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                    let middle = range.start + range.len() / 2;
                    pending.push(middle..range.end);
                    pending.push(range.start..middle);
                }
                Err(Failure::Unavailable(reason)) => {
                    self.stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                    return Err((range.start, reason));
                }
            }
        }
        Ok(())
    }

    fn quarantine(&self, op: &Operation, reason: &str) {
        let row = serde_json::to_string(op).unwrap_or_else(|e| format!("{op:?} ({e})"));
        tracing::error!(
            %reason,
            %row,
            path = %self.dir.join(spill::QUARANTINE_FILE).display(),
            "the database refused an invocation row; it is quarantined"
        );
        spill::quarantine(&self.dir, op, reason);
        self.stats.quarantined.fetch_add(1, Ordering::Relaxed);
    }

    /// Shutdown: writes what is left, giving a database that does not answer a bounded time;
    /// what it does not take waits in the spill file for the next start.
    async fn drain(mut self, mut receiver: mpsc::Receiver<Operation>, mut ops: Vec<Operation>) {
        while let Some(op) = receiver.recv().await {
            ops.push(op);
        }
        let give_up = Instant::now() + SHUTDOWN_PATIENCE;
        if self.spill.is_empty() {
            let mut start = 0;
            let mut delay = Duration::from_millis(100);
            while start < ops.len() {
                let end = (start + BATCH).min(ops.len());
                match self.apply(&ops[start..end]).await {
                    Ok(()) => start = end,
                    Err((done, reason)) => {
                        start += done;
                        if Instant::now() + delay >= give_up {
                            tracing::error!(error = %reason, "the database did not take the last invocation rows; spilling them");
                            break;
                        }
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(2));
                    }
                }
            }
            self.spill.append(&ops[start..], &self.stats);
        } else {
            self.spill.append(&ops, &self.stats);
            // One pass without waiting: what the database does not take now is replayed at
            // the next start anyway.
            while !self.spill.is_empty() && Instant::now() < give_up {
                if !self.replay_step().await {
                    break;
                }
            }
        }
        if !self.spill.is_empty() {
            tracing::warn!(
                operations = self.spill.backlog(),
                path = %self.spill.path().display(),
                "invocation rows wait in the spill file; they are replayed at the next start"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A database that refuses rows whose slug is "poison" and is down while `down` is set.
    #[derive(Default)]
    struct FakeSink {
        stored: Mutex<Vec<String>>,
        costs: Mutex<Vec<(uuid::Uuid, i64)>>,
        statements: Mutex<usize>,
        down: std::sync::atomic::AtomicBool,
    }

    impl Sink for Arc<FakeSink> {
        async fn insert(&self, rows: &[&InvocationRecord]) -> Result<(), Failure> {
            *self.statements.lock().unwrap() += 1;
            if self.down.load(Ordering::Relaxed) {
                return Err(Failure::Unavailable("connection refused".into()));
            }
            if rows.iter().any(|r| r.integration_slug == "poison") {
                return Err(Failure::Refused("check constraint".into()));
            }
            let mut stored = self.stored.lock().unwrap();
            for row in rows {
                if !stored.contains(&row.id.to_string()) {
                    stored.push(row.id.to_string());
                }
            }
            Ok(())
        }

        async fn set_cost(&self, id: uuid::Uuid, cost: NanoUsd) -> Result<(), Failure> {
            if self.down.load(Ordering::Relaxed) {
                return Err(Failure::Unavailable("connection refused".into()));
            }
            self.costs.lock().unwrap().push((id, cost.0));
            Ok(())
        }
    }

    fn row(slug: &str) -> InvocationRecord {
        InvocationRecord::new(slug, "api", None, 1)
    }

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("ai-gateway-writer-test-{}", uuid::Uuid::new_v4()))
    }

    #[tokio::test]
    async fn a_refused_row_is_found_by_splitting_and_quarantined() {
        let sink = Arc::new(FakeSink::default());
        let dir = temp_dir();
        let stats = Arc::new(TelemetryStats::default());
        let writer = Writer::new(sink.clone(), dir.clone(), 1 << 20, stats.clone());
        let mut ops: Vec<Operation> = (0..100).map(|_| Operation::Insert(row("ok"))).collect();
        let poison = row("poison");
        ops[37] = Operation::Insert(poison.clone());
        let cost = Operation::SetCost {
            id: poison.id,
            cost_nanos: NanoUsd(5),
        };
        ops.push(cost);

        writer.apply(&ops).await.unwrap();

        assert_eq!(sink.stored.lock().unwrap().len(), 99);
        assert_eq!(*sink.costs.lock().unwrap(), [(poison.id, 5)]);
        assert_eq!(stats.quarantined.load(Ordering::Relaxed), 1);
        assert_eq!(stats.written.load(Ordering::Relaxed), 100);
        // Bisecting 100 rows to one needs about 2·log2(100) statements, not 100.
        assert!(*sink.statements.lock().unwrap() <= 16);
        let quarantined = std::fs::read_to_string(dir.join(spill::QUARANTINE_FILE)).unwrap();
        let line: serde_json::Value = serde_json::from_str(quarantined.trim()).unwrap();
        assert_eq!(line["operation"]["id"], poison.id.to_string());
        assert_eq!(line["operation"]["integration_slug"], "poison");
        assert_eq!(line["reason"], "check constraint");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn an_unavailable_database_spills_in_order_and_the_replay_catches_up() {
        let sink = Arc::new(FakeSink::default());
        let dir = temp_dir();
        let stats = Arc::new(TelemetryStats::default());
        let mut writer = Writer::new(sink.clone(), dir.clone(), 1 << 20, stats.clone());
        sink.down.store(true, Ordering::Relaxed);
        let first = row("a");
        writer.write(&[Operation::Insert(first.clone())]).await;
        // Queued behind the spill without asking the database.
        let asked = *sink.statements.lock().unwrap();
        writer
            .write(&[
                Operation::Insert(row("b")),
                Operation::SetCost {
                    id: first.id,
                    cost_nanos: NanoUsd(9),
                },
            ])
            .await;
        assert_eq!(*sink.statements.lock().unwrap(), asked);
        assert_eq!(stats.spill_backlog.load(Ordering::Relaxed), 3);
        assert!(!writer.replay_step().await);

        sink.down.store(false, Ordering::Relaxed);
        assert!(writer.replay_step().await);
        assert!(writer.spill.is_empty());
        assert_eq!(sink.stored.lock().unwrap().len(), 2);
        assert_eq!(*sink.costs.lock().unwrap(), [(first.id, 9)]);
        assert_eq!(stats.spill_backlog.load(Ordering::Relaxed), 0);
        assert_eq!(stats.written.load(Ordering::Relaxed), 3);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
