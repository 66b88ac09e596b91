//! `spawn_app()`: the real server on a random port with a database of its own.

use std::path::PathBuf;

use gateway::test_support::TestDatabase;
use server::config::{LogFormat, OpenRouterConfig};
use server::{Application, Config};
use tokio::sync::oneshot;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database: TestDatabase,
    stop: Option<oneshot::Sender<()>>,
    serving: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Starts the server on SQLite.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDatabase::sqlite()).await
}

/// Starts the server on a fresh PostgreSQL database, or returns `None` when none is configured.
pub async fn spawn_app_on_postgres() -> Option<TestApp> {
    Some(spawn_app_on(TestDatabase::postgres().await?).await)
}

pub async fn spawn_app_on(database: TestDatabase) -> TestApp {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database.url().to_owned(),
        site_root: PathBuf::from("target/site"),
        log_format: LogFormat::Json,
        public_url: None,
        openrouter: OpenRouterConfig {
            api_key: None,
            base_url: "http://127.0.0.1:9/api/v1".into(),
        },
    };
    let app = Application::build(config)
        .await
        .expect("building the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::builder().build().unwrap(),
        database,
        stop: Some(stop),
        serving,
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request failed")
    }

    /// Stops the server the way SIGTERM does and waits until it has finished.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.serving)
            .await
            .expect("server task panicked")
            .expect("server failed");
        self.database.destroy().await;
    }
}
