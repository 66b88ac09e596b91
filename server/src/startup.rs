//! Building and running the server: database, routers, listeners, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use gateway::{Gateway, GatewayConfig};
use openrouter_simulator::{RunningSimulator, SimulatorConfig};
use tokio_util::sync::CancellationToken;

use crate::cli::redact_url;
use crate::config::{BootstrapAdmin, Config, DEFAULT_ADMIN_EMAIL};
use crate::edge::{self, Edge, connection_cap};
use crate::routes;

/// Connections the metrics listener keeps open at once: scrapers, not users.
const METRICS_CONNECTIONS: usize = 16;

/// A bound, migrated, ready-to-serve server. Tests build it on port 0 and read [`Self::port`].
pub struct Application {
    /// The console, the API and the probes.
    main: Edge,
    /// `/metrics` on a listener of its own, when configured.
    metrics: Option<Edge>,
    gateway: Gateway,
    address: SocketAddr,
    /// Demo mode's stand-in for OpenRouter, served in-process.
    simulator: Option<RunningSimulator>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let simulator = match config.openrouter.api_key {
            Some(_) => None,
            None => Some(
                RunningSimulator::start(([127, 0, 0, 1], 0).into(), SimulatorConfig::default())
                    .await
                    .context("starting the demo-mode OpenRouter simulator")?,
            ),
        };
        let gateway = Gateway::new(gateway_config(&config, simulator.as_ref()))
            .await
            .with_context(|| {
                format!("opening the database {}", redact_url(&config.database_url))
            })?;
        bootstrap_admin(&gateway, &config.bootstrap_admin).await?;
        let listener =
            edge::bind(config.listen).with_context(|| format!("binding {}", config.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        let leptos_options = routes::leptos_options(&config.site_root, address);
        let router = routes::router(gateway.clone(), leptos_options, &config);
        let max_connections = connection_cap(config.connections.max_connections);
        let main = Edge::new(listener, router, &config.connections, max_connections);
        let metrics = match config.metrics.listen {
            Some(listen) => Some(Edge::new(
                edge::bind(listen)
                    .with_context(|| format!("binding the metrics listener {listen}"))?,
                routes::metrics_router(gateway.clone(), config.metrics.token.clone()),
                &config.connections,
                METRICS_CONNECTIONS,
            )),
            None => None,
        };
        tracing::info!(
            %address,
            max_connections,
            metrics_listen = ?metrics.as_ref().and_then(|metrics| metrics.local_addr().ok()),
            metrics_token = config.metrics.token.is_some(),
            database = %redact_url(&config.database_url),
            demo_mode = simulator.is_some(),
            "ai-gateway ready"
        );
        Ok(Self {
            main,
            metrics,
            gateway,
            address,
            simulator,
        })
    }

    /// The core this server runs on (for tests and embedding).
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The port of the metrics listener, when `/metrics` has one.
    pub fn metrics_port(&self) -> Option<u16> {
        let metrics = self.metrics.as_ref()?;
        metrics.local_addr().ok().map(|address| address.port())
    }

    /// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let metrics = async {
            if let Some(metrics) = self.metrics {
                metrics.serve(stop.clone()).await;
            }
        };
        let signal = async {
            shutdown.await;
            stop.cancel();
        };
        tokio::join!(self.main.serve(stop.clone()), metrics, signal);
        self.gateway.close().await;
        if let Some(simulator) = self.simulator {
            simulator.stop().await;
        }
        tracing::info!("ai-gateway stopped");
        Ok(())
    }
}

/// Creates the first admin while the database has none: from the configured email and
/// password, or with a generated password printed once to standard error (never logged).
async fn bootstrap_admin(gateway: &Gateway, wanted: &BootstrapAdmin) -> anyhow::Result<()> {
    if gateway.count_admins().await.context("counting admins")? > 0 {
        return Ok(());
    }
    let email = wanted.email.as_deref().unwrap_or(DEFAULT_ADMIN_EMAIL);
    let (password, generated) = match &wanted.password {
        Some(password) => (gateway::accounts::Password::new(password.expose()), false),
        None => (gateway::accounts::generate_password(), true),
    };
    match gateway.create_admin(email, &password).await {
        Ok(admin) => {
            tracing::info!(email = %admin.email, "created the first console admin");
            if generated {
                eprintln!(
                    "\nCreated the console admin {} with the one-time password:\n\n    {}\n\n\
                     It is shown only now. Sign in and keep it safe, or set \
                     AI_GATEWAY_ADMIN_EMAIL and AI_GATEWAY_ADMIN_PASSWORD before the first start.\n",
                    admin.email,
                    password.expose()
                );
            }
            Ok(())
        }
        // Another node of the deployment created it first.
        Err(gateway::Error::Conflict(_)) => Ok(()),
        Err(gateway::Error::Invalid(errors)) => Err(anyhow::anyhow!(
            "AI_GATEWAY_ADMIN_EMAIL / AI_GATEWAY_ADMIN_PASSWORD: {}",
            errors.summary()
        )),
        Err(e) => Err(anyhow::Error::new(e).context("creating the first admin")),
    }
}

/// The core's configuration; without an OpenRouter key, `demo` is the simulator to call instead.
pub(crate) fn gateway_config(config: &Config, demo: Option<&RunningSimulator>) -> GatewayConfig {
    let mut gateway = match demo {
        Some(simulator) => {
            let mut gateway = GatewayConfig::new(&config.database_url, simulator.base_url());
            gateway.openrouter_api_key = Some("demo".to_owned());
            gateway.demo_mode = true;
            gateway
        }
        None => {
            let mut gateway = GatewayConfig::new(&config.database_url, &config.openrouter.base_url);
            gateway.openrouter_api_key = config
                .openrouter
                .api_key
                .as_ref()
                .map(|k| k.expose().to_owned());
            gateway
        }
    };
    gateway.app_url = config.public_url.clone();
    gateway.app_title = config.openrouter.title.clone();
    gateway.request_timeout = config.openrouter.timeout;
    gateway.max_retries = config.openrouter.max_retries;
    gateway.backoff_ceiling = config.openrouter.backoff_ceiling;
    gateway.max_tokens_ceiling = config.calls.max_tokens_ceiling;
    gateway.default_models = config.calls.default_models.clone();
    gateway.rate_limiting = config.calls.rate_limiting;
    gateway.cost_limiting = config.calls.cost_limiting;
    gateway.catalog_ttl = config.catalog.ttl;
    gateway.catalog_refresh_at_start = config.catalog.refresh_at_start;
    if let Some(dir) = &config.telemetry_spill_dir {
        gateway.telemetry_spill_dir = dir.clone();
    }
    gateway.telemetry_spill_max_bytes = config.telemetry_spill_max_mb.saturating_mul(1024 * 1024);
    gateway.max_prompt_bytes =
        usize::try_from(config.max_prompt_kb.saturating_mul(1024)).unwrap_or(usize::MAX);
    gateway.api_docs_path = config
        .docs
        .enabled
        .then(|| format!("{}/docs", config.api_prefix));
    gateway
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM (container stop).
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
