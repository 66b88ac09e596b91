//! The telemetry writer against real databases: unstorable text, a row the database refuses, a
//! database that goes away and comes back, and a shutdown while it is gone.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gateway::Store;
use gateway::telemetry::{
    DEFAULT_SPILL_MAX_BYTES, InvocationRecord, Status, Telemetry, WriterState,
};
use gateway::test_support::TestDatabase;
use gateway::types::{Engine, NanoUsd};
use sqlx::{Connection, Executor};

/// A migrated store, the database it lives in and a spill directory of its own.
#[derive(Clone)]
struct Env {
    database: Arc<TestDatabase>,
    store: Store,
    spill_dir: PathBuf,
}

async fn with_env<F, Fut>(database: TestDatabase, body: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let store = Store::connect(database.url()).await.unwrap();
    store.migrate().await.unwrap();
    let spill_dir = std::env::temp_dir().join(format!("ai-gateway-spill-{}", uuid::Uuid::new_v4()));
    let env = Env {
        database: Arc::new(database),
        store,
        spill_dir,
    };
    body(env.clone()).await;
    env.store.close().await;
    env.database.destroy().await;
    let _ = std::fs::remove_dir_all(&env.spill_dir);
}

macro_rules! writer_test {
    ($name:ident, $body:expr) => {
        gateway::on_each_engine!($name, with_env, $body);
    };
}

impl Env {
    fn start(&self) -> Telemetry {
        Telemetry::start(
            self.store.clone(),
            self.spill_dir.clone(),
            DEFAULT_SPILL_MAX_BYTES,
        )
    }

    async fn connection(&self) -> sqlx::AnyConnection {
        sqlx::AnyConnection::connect(self.database.url())
            .await
            .unwrap()
    }

    async fn count(&self, filter: &str) -> i64 {
        let sql = format!("select count(*) from ai_invocations where {filter}");
        sqlx::query_scalar(&sql)
            .fetch_one(&mut self.connection().await)
            .await
            .unwrap()
    }

    async fn text(&self, id: uuid::Uuid, column: &str) -> Option<String> {
        let sql = format!("select {column} from ai_invocations where id = $1");
        sqlx::query_scalar(&sql)
            .bind(id.to_string())
            .fetch_one(&mut self.connection().await)
            .await
            .unwrap()
    }

    async fn cost(&self, id: uuid::Uuid) -> Option<i64> {
        sqlx::query_scalar("select cost_nanos from ai_invocations where id = $1")
            .bind(id.to_string())
            .fetch_one(&mut self.connection().await)
            .await
            .unwrap()
    }

    /// Makes every insert fail the way an unavailable database does: PostgreSQL loses the
    /// database itself; SQLite loses the table (a file cannot be taken away from an open pool).
    async fn take_database_away(&self) {
        match self.store.engine() {
            Engine::Postgres => self.database.destroy().await,
            Engine::Sqlite => {
                self.connection()
                    .await
                    .execute("alter table ai_invocations rename to ai_invocations_away")
                    .await
                    .unwrap();
            }
        }
    }

    async fn bring_database_back(&self) {
        match self.store.engine() {
            Engine::Postgres => self.database.restore().await,
            Engine::Sqlite => {
                self.connection()
                    .await
                    .execute("alter table ai_invocations_away rename to ai_invocations")
                    .await
                    .unwrap();
            }
        }
    }

    fn spill_lines(&self) -> usize {
        std::fs::read_to_string(self.spill_dir.join("spill.jsonl"))
            .map(|text| text.lines().count())
            .unwrap_or(0)
    }
}

fn row(slug: &str) -> InvocationRecord {
    let mut record = InvocationRecord::new(slug, "api", Some("caller"), 1_772_409_600_000);
    record.status = Status::Ok;
    record.attempts = 1;
    record
}

/// Polls `condition` until it holds, failing the test after `within`.
async fn eventually<F, Fut>(what: &str, within: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

writer_test!(
    a_row_with_nul_bytes_is_stored_and_the_next_thousand_rows_follow,
    |env: Env| async move {
        let telemetry = env.start();
        let mut poisoned = row("nul\0slug");
        poisoned.caller_id = Some("caller\0id".into());
        poisoned.model_used = Some("model\0used".into());
        poisoned.error_message = Some("upstream said \0\0".into());
        poisoned.generation_id = Some("gen\0".into());
        poisoned.finish_reason = Some("stop\0".into());
        poisoned.conversation_id = Some("conv\0".into());
        poisoned.request_hash = Some("hash\0".into());
        let id = poisoned.id;
        telemetry.record(poisoned).await;
        for _ in 0..1_000 {
            telemetry.record(row("after")).await;
        }

        eventually("every row is stored", Duration::from_secs(10), || async {
            env.count("1 = 1").await == 1_001
        })
        .await;
        assert_eq!(
            env.text(id, "integration_slug").await.as_deref(),
            Some("nul\u{FFFD}slug")
        );
        assert_eq!(
            env.text(id, "error_message").await.as_deref(),
            Some("upstream said \u{FFFD}\u{FFFD}")
        );
        assert_eq!(
            env.text(id, "request_hash").await.as_deref(),
            Some("hash\u{FFFD}")
        );
        let health = telemetry.health();
        assert_eq!(health.state, WriterState::Ready);
        assert_eq!((health.quarantined, health.lost), (0, 0));
        telemetry.shutdown().await;
    }
);

writer_test!(
    a_row_the_database_refuses_is_quarantined_and_the_rest_of_its_batch_is_written,
    |env: Env| async move {
        // The schema accepts every sanitised record, so the test adds a rule one row breaks:
        // a check constraint (SQLSTATE 23514) on PostgreSQL, an aborting trigger (a constraint
        // error) on SQLite.
        let rule = match env.store.engine() {
            Engine::Postgres => {
                "alter table ai_invocations add constraint no_poison \
                 check (integration_slug <> 'poison')"
            }
            Engine::Sqlite => {
                "create trigger no_poison before insert on ai_invocations \
                 when new.integration_slug = 'poison' \
                 begin select raise(abort, 'poisoned row'); end"
            }
        };
        env.connection().await.execute(rule).await.unwrap();
        let telemetry = env.start();

        let rows: Vec<InvocationRecord> = (0..20)
            .map(|i| row(if i == 7 { "poison" } else { "good" }))
            .collect();
        let poison = rows[7].id;
        let corrected = rows[3].id;
        for record in rows {
            telemetry.record(record).await;
        }
        telemetry.set_cost(corrected, NanoUsd(1234)).await;

        eventually(
            "the good rows are stored",
            Duration::from_secs(10),
            || async { env.count("1 = 1").await == 19 },
        )
        .await;
        eventually(
            "the refused row is quarantined",
            Duration::from_secs(5),
            || async { telemetry.health().quarantined == 1 },
        )
        .await;
        assert_eq!(env.cost(corrected).await, Some(1234));
        let quarantine = std::fs::read_to_string(env.spill_dir.join("quarantine.jsonl")).unwrap();
        let lines: Vec<serde_json::Value> = quarantine
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "{quarantine}");
        assert_eq!(lines[0]["operation"]["id"], poison.to_string());
        assert_eq!(lines[0]["operation"]["integration_slug"], "poison");

        for _ in 0..5 {
            telemetry.record(row("later")).await;
        }
        eventually(
            "later rows keep flowing",
            Duration::from_secs(10),
            || async { env.count("integration_slug = 'later'").await == 5 },
        )
        .await;
        let health = telemetry.health();
        assert_eq!(health.state, WriterState::Ready);
        assert_eq!((health.backlog, health.lost), (0, 0));
        telemetry.shutdown().await;
    }
);

writer_test!(
    rows_wait_in_the_spill_while_the_database_is_gone_and_arrive_once_it_is_back,
    |env: Env| async move {
        let telemetry = env.start();
        telemetry.record(row("before")).await;
        eventually(
            "the first row is stored",
            Duration::from_secs(10),
            || async { env.count("1 = 1").await == 1 },
        )
        .await;

        env.take_database_away().await;
        let rows: Vec<InvocationRecord> = (0..50).map(|_| row("during")).collect();
        let corrected = rows[10].id;
        let started = Instant::now();
        for record in rows {
            telemetry.record(record).await;
        }
        telemetry.set_cost(corrected, NanoUsd(777)).await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "recording waited for the database: {:?}",
            started.elapsed()
        );

        eventually("the rows are spilled", Duration::from_secs(15), || async {
            telemetry.health().backlog == 51
        })
        .await;
        let health = telemetry.health();
        assert_eq!(health.state, WriterState::Degraded);
        assert_eq!(health.lost, 0);
        assert_eq!(env.spill_lines(), 51);

        env.bring_database_back().await;
        eventually("the spill is replayed", Duration::from_secs(20), || async {
            telemetry.health().state == WriterState::Ready
        })
        .await;
        assert_eq!(env.count("integration_slug = 'during'").await, 50);
        assert_eq!(env.cost(corrected).await, Some(777));
        assert_eq!(env.spill_lines(), 0);
        assert_eq!(telemetry.depth(), 0);
        telemetry.shutdown().await;
    }
);

writer_test!(
    shutdown_with_the_database_gone_spills_the_rows_and_the_next_start_replays_them,
    |env: Env| async move {
        let telemetry = env.start();
        env.take_database_away().await;
        for _ in 0..10 {
            telemetry.record(row("first")).await;
        }
        eventually("the writer spills", Duration::from_secs(15), || async {
            telemetry.health().backlog == 10
        })
        .await;
        // These are still queued when shutdown begins.
        for _ in 0..30 {
            telemetry.record(row("last")).await;
        }
        let started = Instant::now();
        telemetry.shutdown().await;
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(env.spill_lines(), 40);

        env.bring_database_back().await;
        let next = env.start();
        eventually(
            "the next start replays the spill",
            Duration::from_secs(20),
            || async {
                env.count("1 = 1").await == 40 && next.health().state == WriterState::Ready
            },
        )
        .await;
        assert_eq!(env.count("integration_slug = 'last'").await, 30);
        assert_eq!(env.spill_lines(), 0);
        assert_eq!(next.depth(), 0);
        next.shutdown().await;
    }
);
