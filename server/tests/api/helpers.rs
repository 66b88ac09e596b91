//! `spawn_app()`: the real server on a random port with a database of its own.

use std::path::PathBuf;

use gateway::test_support::TestDatabase;
use gateway::types::{IntegrationFields, VersionDraft};
use server::config::{DocsConfig, LogFormat, OpenRouterConfig};
use server::{Application, Config};
use tokio::sync::oneshot;

pub struct TestApp {
    pub address: String,
    pub gateway: gateway::Gateway,
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
    spawn_app_with(database, |_| {}).await
}

/// Starts the server with `configure` applied to the test configuration.
pub async fn spawn_app_with(
    database: TestDatabase,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database.url().to_owned(),
        site_root: PathBuf::from("target/site"),
        log_format: LogFormat::Json,
        public_url: None,
        api_prefix: "/api/ai".to_owned(),
        openrouter: OpenRouterConfig {
            api_key: None,
            base_url: "http://127.0.0.1:9/api/v1".into(),
        },
        docs: DocsConfig::default(),
    };
    configure(&mut config);
    let app = Application::build(config)
        .await
        .expect("building the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let gateway = app.gateway().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        gateway,
        client: reqwest::Client::builder().build().unwrap(),
        database,
        stop: Some(stop),
        serving,
    }
}

/// The interpreter of the `.venv` that `make setup` fills (the OpenAI SDK, the OpenAPI
/// validator), or `None` where it was not set up; CI must have it.
pub fn venv_python() -> Option<PathBuf> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must run the Python checks: run `make setup` first"
    );
    eprintln!("skipped: no .venv with the Python checks (run `make setup`)");
    None
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.address))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request failed")
    }

    /// A public integration `slug` with one required string variable `question`
    /// (`gateway::test_support::sample_draft`).
    pub async fn integration(
        &self,
        slug: &str,
        tweak: impl FnOnce(&mut IntegrationFields, &mut VersionDraft),
    ) {
        let mut fields = gateway::test_support::sample_fields(slug);
        let mut draft = gateway::test_support::sample_draft();
        tweak(&mut fields, &mut draft);
        self.gateway
            .create_integration(&fields, &draft, None)
            .await
            .unwrap();
    }

    /// A token with the invoke ability.
    pub async fn token(&self) -> String {
        self.token_with(&[gateway::tokens::INVOKE_ABILITY], None)
            .await
    }

    pub async fn token_with(&self, abilities: &[&str], expires_at_ms: Option<i64>) -> String {
        let abilities: Vec<String> = abilities.iter().map(|a| (*a).to_owned()).collect();
        self.gateway
            .create_token("tests", &abilities, expires_at_ms, None)
            .await
            .unwrap()
            .1
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
