//! Helpers of the load benchmark that `bench/run.sh` calls: time streamed answers to their first
//! text, and write the report.

mod first_text;
mod report;

use std::io::Write;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "ai-gateway-bench", about = "Helpers of the load benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send streamed requests one after another and print, as JSON, the percentiles of the time
    /// to the response headers, to the first text and to the end of the stream.
    FirstText(first_text::Args),
    /// Turn the measurements in a folder into the markdown table of results.
    Report(report::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::FirstText(args) => {
            let summary = runtime.block_on(first_text::measure(&args))?;
            writeln!(std::io::stdout(), "{summary}")?;
            Ok(())
        }
        Command::Report(args) => report::write(&args),
    }
}
