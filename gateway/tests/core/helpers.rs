//! `TestGateway`: a `Gateway` on a fresh database, calling a simulator of its own.

use std::future::Future;

use gateway::test_support::TestDatabase;
use gateway::types::{IntegrationFields, VersionDraft};
use gateway::{Gateway, GatewayConfig};
use openrouter_simulator::{RunningSimulator, SimulatorConfig};
use serde_json::{Map, Value};

pub use gateway::test_support::SAMPLE_MODEL as MODEL;

pub struct TestGateway {
    pub gateway: Gateway,
    pub database: TestDatabase,
    pub simulator: RunningSimulator,
}

/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `$body(TestGateway)`.
/// Declares `<name>::sqlite` and `<name>::postgres` tests that run `$body(TestGateway)`,
/// optionally with a tweak of the gateway's configuration.
#[macro_export]
macro_rules! on_each_engine {
    ($name:ident, $body:expr) => {
        $crate::on_each_engine!($name, config = |_| {}, $body);
    };
    ($name:ident, config = $tweak:expr, $body:expr) => {
        gateway::on_each_engine!(
            $name,
            |database, body| $crate::helpers::run_on(database, $tweak, body),
            $body
        );
    };
}

pub async fn run_on<F, Fut>(database: TestDatabase, tweak: impl Fn(&mut GatewayConfig), body: F)
where
    F: FnOnce(TestGateway) -> Fut,
    Fut: Future<Output = TestGateway>,
{
    let test = TestGateway::start(database, tweak).await;
    let test = body(test).await;
    test.stop().await;
}

impl TestGateway {
    pub async fn start(database: TestDatabase, tweak: impl Fn(&mut GatewayConfig)) -> Self {
        let simulator =
            RunningSimulator::start("127.0.0.1:0".parse().unwrap(), SimulatorConfig::default())
                .await
                .unwrap();
        let mut config = config(&database, &simulator);
        tweak(&mut config);
        let gateway = Gateway::new(config).await.unwrap();
        Self {
            gateway,
            database,
            simulator,
        }
    }

    /// A second node on the same database (meaningful on PostgreSQL).
    pub async fn another_node(&self) -> Gateway {
        Gateway::new(config(&self.database, &self.simulator))
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.gateway.close().await;
        self.simulator.stop().await;
        self.database.destroy().await;
    }

    /// Creates a public integration with one string variable `question`.
    pub async fn integration(
        &self,
        slug: &str,
        tweak: impl FnOnce(&mut IntegrationFields, &mut VersionDraft),
    ) -> i64 {
        let mut fields = fields(slug);
        let mut draft = draft();
        tweak(&mut fields, &mut draft);
        let (integration, _) = self
            .gateway
            .create_integration(&fields, &draft, Some("tests"))
            .await
            .unwrap();
        integration.id
    }

    /// Rows in the invocation table, after the writer flushed.
    pub async fn rows(&self, sql_filter: &str) -> i64 {
        flush(&self.gateway).await;
        count(&self.database, sql_filter).await
    }
}

fn config(database: &TestDatabase, simulator: &RunningSimulator) -> GatewayConfig {
    let mut config = GatewayConfig::new(database.url(), simulator.base_url());
    config.openrouter_api_key = Some("test-key".to_owned());
    config
}

pub use gateway::test_support::{sample_draft as draft, sample_fields as fields};

pub fn args(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Runs `call` and waits for its whole answer.
pub async fn run(gateway: &Gateway, call: gateway::Call) -> gateway::Result<gateway::InvokeResult> {
    gateway.call(call).await?.into_done()
}

/// Runs `call` streamed.
pub async fn stream(
    gateway: &Gateway,
    call: gateway::Call,
) -> gateway::Result<gateway::invoke::InvokeStream> {
    let call = gateway::Call {
        delivery: gateway::Delivery::Streamed,
        ..call
    };
    gateway.call(call).await?.into_stream()
}

/// Waits until every queued telemetry row is in the database.
pub async fn flush(gateway: &Gateway) {
    while gateway.telemetry().depth() > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// `select count(*) from ai_invocations where <filter>` on the test database.
pub async fn count(database: &TestDatabase, filter: &str) -> i64 {
    count_in(database, "ai_invocations", filter).await
}

/// `select count(*) from <table> where <filter>` on the test database.
pub async fn count_in(database: &TestDatabase, table: &str, filter: &str) -> i64 {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(database.url()).await.unwrap();
    let sql = format!("select count(*) from {table} where {filter}");
    sqlx::query_scalar(&sql)
        .fetch_one(&mut connection)
        .await
        .unwrap()
}

/// One value of the newest invocation row.
pub async fn latest<T>(database: &TestDatabase, column: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin,
{
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(database.url()).await.unwrap();
    let sql =
        format!("select {column} from ai_invocations order by created_at desc, id desc limit 1");
    sqlx::query_scalar(&sql)
        .fetch_one(&mut connection)
        .await
        .unwrap()
}
