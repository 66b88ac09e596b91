//! Helpers of the load benchmark that `bench/run.sh` calls: seed the benchmarked integration
//! through the core's API, time streamed answers to their first text, and write the report.

mod first_text;
mod report;

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gateway::types::{IntegrationFields, VersionDraft};
use gateway::{Gateway, GatewayConfig};
use serde::Deserialize;

#[derive(Debug, Parser)]
#[command(name = "ai-gateway-bench", about = "Helpers of the load benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the integration that FILE describes (TOML: `[fields]` and `[draft]`).
    Integration {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        openrouter_base_url: String,
        file: PathBuf,
    },
    /// Send streamed requests one after another and print, as JSON, the percentiles of the time
    /// to the response headers, to the first text and to the end of the stream.
    FirstText(first_text::Args),
    /// Turn the measurements in a folder into the markdown table of results.
    Report(report::Args),
}

/// The integration to create, in the shapes the core takes.
#[derive(Debug, Deserialize)]
struct IntegrationFile {
    fields: IntegrationFields,
    draft: VersionDraft,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Integration {
            database_url,
            openrouter_base_url,
            file,
        } => runtime.block_on(create_integration(database_url, openrouter_base_url, file)),
        Command::FirstText(args) => {
            let summary = runtime.block_on(first_text::measure(&args))?;
            writeln!(std::io::stdout(), "{summary}")?;
            Ok(())
        }
        Command::Report(args) => report::write(&args),
    }
}

async fn create_integration(
    database_url: String,
    openrouter_base_url: String,
    file: PathBuf,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let wanted: IntegrationFile =
        toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let gateway = Gateway::new(GatewayConfig::new(database_url, openrouter_base_url))
        .await
        .context("opening the gateway's database")?;
    let created = gateway
        .create_integration(&wanted.fields, &wanted.draft, Some("bench"))
        .await;
    gateway.close().await;
    let (integration, version) = created.context("creating the integration")?;
    writeln!(
        std::io::stdout(),
        "Created integration {} (version {}).",
        integration.fields.slug,
        version.number
    )?;
    Ok(())
}
