//! The command line: `ai-gateway [--config FILE] <serve|migrate|simulate-openrouter>`.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use openrouter_simulator::SimulatorConfig;

use crate::{Application, Config, init_logging};

#[derive(Debug, Parser)]
#[command(
    name = "ai-gateway",
    version,
    about = "Self-hosted gateway for named AI integrations over OpenRouter"
)]
pub struct Cli {
    /// Optional TOML configuration file; environment variables override its keys.
    #[arg(long, global = true, env = "AI_GATEWAY_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console and the API (the default when no subcommand is given).
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Delete expired and closed conversations with their messages, then exit (`serve` also
    /// does this every ten minutes).
    PruneConversations,
    /// Serve a local stand-in for the OpenRouter API (for demos, tests and benchmarks).
    SimulateOpenrouter {
        #[arg(long, default_value_t = 4010)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Added to every chat completion, in milliseconds.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Pause between streamed chunks, in milliseconds.
        #[arg(long, default_value_t = 0)]
        chunk_delay_ms: u64,
    },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let config = Config::load(self.config.as_deref())?;
        init_logging(config.log_format);
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => Application::build(config).await?.run_until_stopped().await,
            Command::Migrate => {
                let gateway = gateway::Gateway::new(crate::startup::gateway_config(&config, None))
                    .await
                    .context("migrating the database")?;
                gateway.close().await;
                tracing::info!(database = %redact_url(&config.database_url), "database schema is up to date");
                Ok(())
            }
            Command::PruneConversations => {
                let gateway = gateway::Gateway::new(crate::startup::gateway_config(&config, None))
                    .await
                    .context("opening the database")?;
                let pruned =
                    gateway::conversations::prune(gateway.store(), gateway::now_ms()).await;
                gateway.close().await;
                let pruned = pruned.context("pruning conversations")?;
                writeln!(
                    std::io::stdout(),
                    "Pruned {pruned} expired or closed conversation(s)."
                )?;
                Ok(())
            }
            Command::SimulateOpenrouter {
                port,
                host,
                latency_ms,
                chunk_delay_ms,
            } => {
                let addr = SocketAddr::new(host, port);
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding the simulator to {addr}"))?;
                tracing::info!(%addr, "OpenRouter simulator listening; base url http://{addr}/api/v1");
                let config = SimulatorConfig {
                    latency: Duration::from_millis(latency_ms),
                    chunk_delay: Duration::from_millis(chunk_delay_ms),
                };
                openrouter_simulator::serve(listener, config, crate::startup::shutdown_signal())
                    .await
                    .context("serving the simulator")
            }
        }
    }
}

/// A database URL with any password replaced, fit for logs.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let host_start = rest.find('@');
    let password = host_start.and_then(|at| rest[..at].find(':').map(|colon| (colon, at)));
    match password {
        Some((colon, at)) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_removed_from_database_urls() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:data/a.db"), "sqlite:data/a.db");
    }

    #[test]
    fn help_lists_every_subcommand() {
        let help = <Cli as clap::CommandFactory>::command()
            .render_help()
            .to_string();
        for sub in [
            "serve",
            "migrate",
            "prune-conversations",
            "simulate-openrouter",
        ] {
            assert!(help.contains(sub), "{sub} missing from:\n{help}");
        }
    }
}
