//! `spawn_app()`: the real server on a random port with a database of its own.

use std::path::PathBuf;

use gateway::test_support::TestDatabase;
use gateway::types::{IntegrationFields, VersionDraft};
use leptos::server_fn::ServerFn;
use server::config::{
    BootstrapAdmin, CallConfig, CatalogConfig, ConnectionConfig, DocsConfig, LogFormat,
    MetricsConfig, OpenRouterConfig, Secret,
};
use server::{Application, Config};
use tokio::sync::oneshot;

/// The admin every test server starts with.
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "a test password that is long";

pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:<port>` of the metrics listener, when the test configured one.
    pub metrics_address: Option<String>,
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

/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `$body` with a server on a
/// fresh database of that engine; the PostgreSQL one is skipped when none is configured.
#[macro_export]
macro_rules! on_each_engine {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app().await;
                ($body)(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app_on_postgres().await {
                    ($body)(app).await;
                }
            }
        }
    };
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
            ..OpenRouterConfig::default()
        },
        calls: CallConfig::default(),
        catalog: CatalogConfig::default(),
        docs: DocsConfig::default(),
        session_idle_timeout: std::time::Duration::from_secs(3600),
        // A folder of each server's own, outside the repository, for rows a test makes spill.
        telemetry_spill_dir: Some(
            std::env::temp_dir().join(format!("ai-gateway-spill-{}", uuid::Uuid::new_v4())),
        ),
        telemetry_spill_max_mb: 256,
        max_prompt_kb: server::config::DEFAULT_MAX_PROMPT_KB,
        bootstrap_admin: BootstrapAdmin {
            email: Some(ADMIN_EMAIL.to_owned()),
            password: Some(Secret::new(ADMIN_PASSWORD)),
        },
        connections: ConnectionConfig::default(),
        metrics: MetricsConfig::default(),
    };
    configure(&mut config);
    let app = Application::build(config)
        .await
        .expect("building the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let gateway = app.gateway().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        metrics_address,
        gateway,
        // Redirects are what the console tests look at, so they are not followed.
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        database,
        stop: Some(stop),
        serving,
    }
}

/// The `name=value` of the session cookie a response sets.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookie(response).map(|line| line.split(';').next().unwrap_or_default().to_owned())
}

/// The whole `Set-Cookie` line of the session cookie, attributes included.
pub fn set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with("ai_gateway_session="))
        .map(str::to_owned)
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

    /// Calls a console server function the way the console's own pages do (same origin), with
    /// the session cookie when given.
    pub async fn server_fn(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.address))
            .header("origin", &self.address)
            .form(form);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request failed")
    }

    /// Signs in through the `login` server function; the response as it came.
    pub async fn login_as(&self, email: &str, password: &str) -> reqwest::Response {
        self.server_fn(
            app::auth::Login::PATH,
            None,
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// [`TestApp::login_as`] from another loopback address (`127.x.y.z`): the server throttles
    /// sign-ins per client address.
    pub async fn login_from(
        &self,
        source: [u8; 4],
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(source))
            .build()
            .unwrap()
            .post(format!("{}{}", self.address, app::auth::Login::PATH))
            .header("origin", &self.address)
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("request failed")
    }

    /// Signs in as the test admin and returns the `Cookie` header value of the session.
    pub async fn sign_in(&self) -> String {
        let response = self.login_as(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        session_cookie(&response).expect("login set no session cookie")
    }

    /// A console page as a signed-in admin's browser loads it.
    pub async fn get_signed_in(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request failed")
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

    /// One number the database answers `sql` with (a count, a sum).
    pub async fn scalar(&self, sql: &str) -> i64 {
        use sqlx::Connection;
        let mut connection = sqlx::AnyConnection::connect(self.database.url())
            .await
            .unwrap();
        let value: Option<i64> = sqlx::query_scalar(sql)
            .fetch_one(&mut connection)
            .await
            .unwrap();
        value.unwrap_or(0)
    }

    /// Invocation rows matching `filter` (an SQL condition).
    pub async fn rows(&self, filter: &str) -> i64 {
        self.scalar(&format!(
            "select count(*) from ai_invocations where {filter}"
        ))
        .await
    }

    /// Polls until `probe` holds, for at most `seconds`; whether it did.
    pub async fn eventually<F, Fut>(&self, seconds: u64, mut probe: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        while std::time::Instant::now() < until {
            if probe().await {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        probe().await
    }

    /// The demo-mode simulator's record of one generation (`GET /generation?id=`).
    pub async fn generation(&self, id: &str) -> Option<serde_json::Value> {
        let response = self
            .client
            .get(format!(
                "{}/generation",
                self.gateway.config().openrouter_base_url
            ))
            .query(&[("id", id)])
            .bearer_auth("demo")
            .send()
            .await
            .unwrap();
        if !response.status().is_success() {
            return None;
        }
        Some(response.json::<serde_json::Value>().await.unwrap()["data"].clone())
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
