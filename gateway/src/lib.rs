//! The AI Gateway core: the one handle (`Gateway`) every surface holds, and the domain modules
//! behind it. Nothing in this crate knows about HTTP frameworks or the console.

mod error;
pub mod settings;
pub mod store;
#[cfg(feature = "test-support")]
pub mod test_support;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use error::{Error, Result};
pub use gateway_types as types;
use gateway_types::SystemStatus;
pub use store::Store;

/// What the core needs to start; the server maps its own configuration onto this.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub database_url: String,
    /// Whether an OpenRouter key is configured; without one the deployment runs in demo mode.
    pub has_openrouter_key: bool,
}

/// The handle shared by the HTTP API, the console and the CLI. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Gateway {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    demo_mode: bool,
}

impl Gateway {
    /// Connects to the database and brings its schema up to date.
    pub async fn new(config: GatewayConfig) -> Result<Self> {
        let store = Store::connect(&config.database_url).await?;
        store.migrate().await?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                demo_mode: !config.has_openrouter_key,
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Whether the database answers right now; what readiness probes ask.
    pub async fn is_ready(&self) -> bool {
        self.inner.store.ping().await.is_ok()
    }

    pub async fn status(&self) -> SystemStatus {
        SystemStatus {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            engine: self.inner.store.engine(),
            database_reachable: self.is_ready().await,
            demo_mode: self.inner.demo_mode,
        }
    }

    /// Closes the database pool; called once on shutdown after the last request is done.
    pub async fn close(&self) {
        self.inner.store.close().await;
    }
}

/// The current time as UTC epoch milliseconds, the only time representation the core stores.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
