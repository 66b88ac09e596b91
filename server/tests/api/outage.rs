//! Storage trouble under load: the database taken away (PostgreSQL dropped, a SQLite disk full)
//! while calls keep coming, and the process killed with SIGKILL mid-load. Callers keep their
//! answers, and every billed call ends up with exactly one row.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use gateway::test_support::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_on_postgres, spawn_app_with};

/// `count` calls, 16 at a time; how many answered 200.
async fn burst(app: &TestApp, token: &str, count: usize) -> usize {
    let statuses: Vec<StatusCode> = futures::stream::iter(0..count)
        .map(|i| async move {
            app.post(
                "/api/ai/steady/chat",
                Some(token),
                json!({ "args": { "question": format!("question {i}") } }),
            )
            .await
            .status()
        })
        .buffer_unordered(16)
        .collect()
        .await;
    statuses.iter().filter(|s| **s == StatusCode::OK).count()
}

async fn readiness(app: &TestApp) -> (StatusCode, Value) {
    let response = app.get("/readyz").await;
    (response.status(), response.json().await.unwrap())
}

async fn steady(app: &TestApp) {
    app.integration("steady", |f, _| {
        f.daily_cap = Some(gateway::types::NanoUsd::from_usd(100.0));
        f.rate_limit_per_minute = Some(100_000);
    })
    .await;
}

/// Calls while the storage is away, then each of those calls' row once it is back. The calls
/// of the outage use a token of their own, so their rows can be told apart (a dropped database
/// takes the rows written before with it).
async fn ride_out_an_outage(
    app: &TestApp,
    take_away: impl std::future::Future<Output = ()>,
    bring_back: impl std::future::Future<Output = ()>,
) {
    let id = app
        .gateway
        .snapshot()
        .integration("steady")
        .unwrap()
        .integration
        .id;
    let before = app.token().await;
    let during = app.token().await;
    let caller = format!("token:{}", during.split('|').next().unwrap());
    assert_eq!(burst(app, &before, 50).await, 50);
    take_away.await;
    assert_eq!(burst(app, &during, 200).await, 200, "callers lost answers");
    let (status, body) = readiness(app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "degraded", "{body}");
    bring_back.await;
    let outage_rows = format!("caller_id = '{caller}' and status = 'ok'");
    let complete = app
        .eventually(60, || async { app.rows(&outage_rows).await == 200 })
        .await;
    assert!(
        complete,
        "{} of 200 rows after the storage came back",
        app.rows(&outage_rows).await
    );
    assert!(
        app.eventually(10, || async { readiness(app).await.1["status"] == "ready" })
            .await
    );
    assert_eq!(app.rows(&format!("caller_id = '{caller}'")).await, 200);
    // The spend of the outage reached the cap counter too.
    let billed = app
        .scalar(&format!(
            "select cast(sum(cost_nanos) as bigint) from ai_invocations where caller_id = '{caller}'"
        ))
        .await;
    assert!(billed > 0);
    assert!(
        app.eventually(10, || async {
            app.gateway
                .spent_today(id)
                .await
                .is_ok_and(|s| s.0 >= billed)
        })
        .await,
        "the counter says {:?}, the outage's rows {billed}",
        app.gateway.spent_today(id).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgres_is_gone_callers_keep_answers_and_every_call_has_its_row_once_it_is_back() {
    let Some(app) = spawn_app_on_postgres().await else {
        return;
    };
    steady(&app).await;
    ride_out_an_outage(&app, app.database.destroy(), app.database.restore()).await;
    app.shutdown().await;
}

/// A tmpfs of its own, so that it can be filled; `None` where mounting is not allowed.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount() -> Option<Self> {
        let path = std::env::temp_dir().join(format!("ai-gateway-disk-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            Some(Self { path })
        } else {
            eprintln!("skipped: mounting a tmpfs is not allowed here");
            let _ = std::fs::remove_dir(&path);
            None
        }
    }

    /// Writes zeros until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.path.join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.path.join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_sqlite_disk_is_full_callers_keep_answers_and_every_call_has_its_row_once_it_has_room()
 {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let spill = std::env::temp_dir().join(format!("ai-gateway-spill-{}", uuid::Uuid::new_v4()));
    let database = TestDatabase::sqlite_at(disk.path.join("gateway.db"));
    let spill_dir = spill.clone();
    let app = spawn_app_with(database, move |config| {
        config.telemetry_spill_dir = Some(spill_dir);
    })
    .await;
    steady(&app).await;
    ride_out_an_outage(&app, async { disk.fill() }, async { disk.free() }).await;
    app.shutdown().await;
    let _ = std::fs::remove_dir_all(spill);
}

/// The real binary serving `database` in demo mode on `port`.
fn serve(database: &TestDatabase, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ai-gateway"))
        .arg("serve")
        .env_remove("AI_GATEWAY_CONFIG")
        .env_remove("OPENROUTER_API_KEY")
        .env("AI_GATEWAY_DATABASE_URL", database.url())
        .env("AI_GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("AI_GATEWAY_LOG", "warn")
        .env("AI_GATEWAY_ADMIN_EMAIL", crate::helpers::ADMIN_EMAIL)
        .env("AI_GATEWAY_ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_until_serving(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

/// SIGKILL during 2,000 calls: the rows missing after a restart are at most about one second's
/// worth of the calls answered, and the cap counter is never below the rows.
async fn killed_mid_load(database: TestDatabase) {
    let setup = gateway::Gateway::new(gateway::GatewayConfig::new(
        database.url(),
        "http://127.0.0.1:9/api/v1",
    ))
    .await
    .unwrap();
    let mut fields = gateway::test_support::sample_fields("steady");
    fields.daily_cap = Some(gateway::types::NanoUsd::from_usd(100.0));
    let (integration, _) = setup
        .create_integration(&fields, &gateway::test_support::sample_draft(), None)
        .await
        .unwrap();
    let abilities = [gateway::tokens::INVOKE_ABILITY.to_owned()];
    let (_, token) = setup
        .create_token("load", &abilities, None, None)
        .await
        .unwrap();
    setup.close().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().build().unwrap();
    let mut child = serve(&database, port);
    wait_until_serving(&client, &base).await;

    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let load = {
        let (client, base, token, answered) = (
            client.clone(),
            base.clone(),
            token.clone(),
            answered.clone(),
        );
        tokio::spawn(async move {
            futures::stream::iter(0..2000)
                .for_each_concurrent(16, |i| {
                    let (client, base, token, answered) = (
                        client.clone(),
                        base.clone(),
                        token.clone(),
                        answered.clone(),
                    );
                    async move {
                        let response = client
                            .post(format!("{base}/api/ai/steady/chat"))
                            .bearer_auth(&token)
                            .json(&json!({ "args": { "question": format!("q{i}") } }))
                            .send()
                            .await;
                        if response.is_ok_and(|r| r.status() == StatusCode::OK) {
                            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                })
                .await;
        })
    };
    while answered.load(std::sync::atomic::Ordering::SeqCst) < 1000 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    let killed_at = started.elapsed();
    child.wait().unwrap();
    load.await.unwrap();
    let answered = answered.load(std::sync::atomic::Ordering::SeqCst);
    let per_second = answered as f64 / killed_at.as_secs_f64();

    let mut child = serve(&database, port);
    wait_until_serving(&client, &base).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let reader = gateway::Gateway::new(gateway::GatewayConfig::new(
        database.url(),
        "http://127.0.0.1:9/api/v1",
    ))
    .await
    .unwrap();
    let store = sqlx::AnyPool::connect(database.url()).await.unwrap();
    let rows: i64 = sqlx::query_scalar(
        "select count(*) from ai_invocations where integration_slug = 'steady' and status = 'ok'",
    )
    .fetch_one(&store)
    .await
    .unwrap();
    let costs: Option<i64> = sqlx::query_scalar(
        "select cast(sum(cost_nanos) as bigint) from ai_invocations where integration_slug = 'steady'",
    )
    .fetch_one(&store)
    .await
    .unwrap();
    store.close().await;
    let missing = answered as i64 - rows;
    eprintln!(
        "{}: {answered} answered in {killed_at:?} ({per_second:.0}/s), {rows} rows, {missing} missing",
        reader.store().engine().label()
    );
    assert!(
        (missing as f64) <= per_second.max(1.0),
        "{missing} rows missing at {per_second:.0} calls a second"
    );
    let counter = reader.spent_today(integration.id).await.unwrap().0;
    assert!(
        counter >= costs.unwrap_or(0),
        "counter {counter} below the rows' {costs:?}"
    );
    reader.close().await;
    database.destroy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_under_load_loses_at_most_a_second_of_rows_on_sqlite() {
    killed_mid_load(TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_under_load_loses_at_most_a_second_of_rows_on_postgres() {
    if let Some(database) = TestDatabase::postgres().await {
        killed_mid_load(database).await;
    }
}
