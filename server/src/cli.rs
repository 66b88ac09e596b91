//! The command line: `ai-gateway [--config FILE] <serve|migrate|token|integrations|…>`. Each
//! subcommand parses its arguments, calls the core and prints; the logic lives in `gateway`.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gateway::manifest::Manifest;
use openrouter_simulator::SimulatorConfig;

use crate::config::parse_lifetime;
use crate::{Application, Config, init_logging};

/// How long `healthcheck` waits for `/healthz`: a container check must not hang.
const HEALTHCHECK_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// Create a console admin. The password comes from standard input: `--password-stdin` reads
    /// its first line; on a terminal you are prompted instead.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete a console admin; its sessions end at once. Its id is never given to another admin.
    DeleteAdmin {
        #[arg(long)]
        email: String,
    },
    /// Clear failed sign-in counts so a locked account or client address may sign in again
    /// (console and API docs; give the docs' user name as the email).
    #[command(group = clap::ArgGroup::new("target").required(true).multiple(true))]
    Unlock {
        #[arg(long, group = "target")]
        email: Option<String>,
        /// A client address; an IPv6 one unlocks its /64 network.
        #[arg(long, group = "target")]
        address: Option<IpAddr>,
    },
    /// Create, list or revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Export integrations as a JSON document, or apply one (integrations as code).
    #[command(subcommand)]
    Integrations(IntegrationsCommand),
    /// Load invocation rows from a JSON document (history moved from another deployment, demo
    /// data); rows whose id is already stored are skipped.
    #[command(subcommand)]
    Invocations(InvocationsCommand),
    /// Delete expired and closed conversations with their messages, then exit (`serve` also
    /// does this every ten minutes).
    PruneConversations,
    /// Exit with success when this deployment's `/healthz` (at the configured listen address)
    /// answers 200: a health check for images without curl.
    Healthcheck,
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

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once; only a hash is kept.
    Create {
        #[arg(long)]
        name: String,
        /// Lifetime such as 30d, 12h or 90m; the token never expires without it.
        #[arg(long, value_parser = parse_lifetime)]
        expires_in: Option<Duration>,
        /// Abilities to grant (repeatable); `*` grants everything.
        #[arg(long = "ability", default_value = gateway::tokens::INVOKE_ABILITY)]
        abilities: Vec<String>,
    },
    /// List every token with its abilities, expiry and last use.
    List,
    /// Revoke a token by id; calls with it are refused from then on.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum IntegrationsCommand {
    /// Print the named integrations (every one without a slug) with their active versions as a
    /// JSON document that `apply` accepts.
    Export { slugs: Vec<String> },
    /// Create and update integrations from a JSON document (`-` reads stdin). Nothing is written
    /// unless every entry is valid; prints what changed per slug.
    Apply { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum InvocationsCommand {
    /// Store the rows of `{"invocations": [{…}, …]}` (`-` reads stdin); nothing is written unless
    /// every row is valid.
    Import { file: PathBuf },
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
            Command::CreateAdmin {
                email,
                password_stdin,
            } => {
                let password = read_password(password_stdin)?;
                let gateway = open(&config).await?;
                let created = gateway.create_admin(&email, &password).await;
                gateway.close().await;
                let admin = created.map_err(field_errors)?;
                writeln!(
                    std::io::stdout(),
                    "Created admin {} ({}).",
                    admin.email,
                    admin.id
                )?;
                Ok(())
            }
            Command::DeleteAdmin { email } => {
                let gateway = open(&config).await?;
                let deleted = gateway.delete_admin(&email).await;
                gateway.close().await;
                let admin = deleted.with_context(|| format!("deleting the admin {email}"))?;
                writeln!(
                    std::io::stdout(),
                    "Deleted admin {} ({}); its sessions are signed out.",
                    admin.email,
                    admin.id
                )?;
                Ok(())
            }
            Command::Unlock { email, address } => {
                let gateway = open(&config).await?;
                let outcome = unlock(&gateway, email.as_deref(), address).await;
                gateway.close().await;
                outcome
            }
            Command::Token(command) => {
                let gateway = open(&config).await?;
                let outcome = run_token_command(&gateway, command).await;
                gateway.close().await;
                outcome
            }
            Command::Integrations(command) => {
                let gateway = open(&config).await?;
                let outcome = run_integrations_command(&gateway, command).await;
                gateway.close().await;
                outcome
            }
            Command::Invocations(InvocationsCommand::Import { file }) => {
                let document = serde_json::from_str(&read_document(&file)?)
                    .context("reading the invocations document")?;
                let gateway = open(&config).await?;
                let imported = gateway.import_invocations(document).await;
                gateway.close().await;
                let count = imported.map_err(nothing_written)?;
                writeln!(
                    std::io::stdout(),
                    "Imported {} invocation row(s); skipped {} already stored.",
                    count.inserted,
                    count.skipped
                )?;
                Ok(())
            }
            Command::PruneConversations => {
                let gateway = open(&config).await?;
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
            Command::Healthcheck => healthcheck(config.listen).await,
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
                // The bound address, so that `--port 0` tells where it landed.
                let addr = listener
                    .local_addr()
                    .context("reading the simulator's address")?;
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

/// Calls `/healthz` on the listener this configuration serves.
async fn healthcheck(listen: SocketAddr) -> anyhow::Result<()> {
    let url = format!("http://{}/healthz", reachable(listen));
    let client = reqwest::Client::builder()
        .timeout(HEALTHCHECK_TIMEOUT)
        .build()
        .context("building the HTTP client")?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("calling {url}"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    Ok(())
}

/// Where a listener is reached from its own host: one on every address (`0.0.0.0`, `::`)
/// answers on loopback.
fn reachable(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// The core on the configured database, for one command.
async fn open(config: &Config) -> anyhow::Result<gateway::Gateway> {
    gateway::Gateway::new(crate::startup::gateway_config(config, None))
        .await
        .context("opening the database")
}

/// Clears the counts of the account and/or the address, saying how many there were.
async fn unlock(
    gateway: &gateway::Gateway,
    email: Option<&str>,
    address: Option<IpAddr>,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    if let Some(email) = email {
        let cleared = gateway::accounts::unlock_account(gateway.store(), email)
            .await
            .context("unlocking the account")?;
        writeln!(out, "Cleared {cleared} sign-in count(s) of {email}.")?;
    }
    if let Some(address) = address {
        let cleared = gateway::accounts::unlock_address(gateway.store(), address)
            .await
            .context("unlocking the address")?;
        writeln!(out, "Cleared {cleared} sign-in count(s) of {address}.")?;
    }
    Ok(())
}

async fn run_integrations_command(
    gateway: &gateway::Gateway,
    command: IntegrationsCommand,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    match command {
        IntegrationsCommand::Export { slugs } => {
            let document = gateway
                .export_integrations(&slugs)
                .await
                .map_err(field_errors)?;
            writeln!(out, "{}", document.to_json_pretty())?;
        }
        IntegrationsCommand::Apply { file } => {
            let text = read_document(&file)?;
            let document = Manifest::from_json(&text).map_err(nothing_written)?;
            let report = gateway
                .apply_integrations(&document, Some("cli"))
                .await
                .map_err(nothing_written)?;
            for applied in report {
                writeln!(out, "{applied}")?;
            }
        }
    }
    Ok(())
}

/// The first line of standard input. Without `--password-stdin` only a terminal is read, after
/// a warning: no terminal-control dependency hides what is typed.
fn read_password(from_stdin: bool) -> anyhow::Result<gateway::accounts::Password> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if !from_stdin {
        anyhow::ensure!(
            stdin.is_terminal(),
            "standard input is not a terminal: pass --password-stdin and pipe the password in"
        );
        eprint!("Password (it is shown as you type; use --password-stdin to avoid that): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(gateway::accounts::Password::new(
        line.trim_end_matches(['\r', '\n']),
    ))
}

/// The file's text, or standard input's for `-`.
fn read_document(file: &std::path::Path) -> anyhow::Result<String> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the document from standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
    }
}

/// Every field error of a refused document on a line of its own.
fn nothing_written(error: gateway::Error) -> anyhow::Error {
    match error {
        gateway::Error::Invalid(errors) | gateway::Error::Conflict(errors) => {
            let lines: Vec<String> = errors.lines().map(|line| format!("  {line}")).collect();
            anyhow::anyhow!(
                "the document was refused and nothing was written:\n{}",
                lines.join("\n")
            )
        }
        other => anyhow::Error::new(other),
    }
}

async fn run_token_command(
    gateway: &gateway::Gateway,
    command: TokenCommand,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    match command {
        TokenCommand::Create {
            name,
            expires_in,
            abilities,
        } => {
            let expires_at = expires_in.map(|d| {
                gateway::now_ms().saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            });
            let (token, plain) = gateway
                .create_token(&name, &abilities, expires_at, Some("cli"))
                .await
                .map_err(field_errors)?;
            writeln!(
                out,
                "Created token {} ({}). Copy it now; it is not shown again:",
                token.id, token.name
            )?;
            writeln!(out, "{plain}")?;
        }
        TokenCommand::List => {
            let now = gateway::now_ms();
            writeln!(
                out,
                "{:>6}  {:<24}  {:<22}  {:<10}  {:<10}",
                "id", "name", "abilities", "expires", "last used"
            )?;
            for token in gateway.list_tokens().await? {
                let state = if token.revoked_at_ms.is_some() {
                    "revoked".to_owned()
                } else if token.is_expired(now) {
                    "expired".to_owned()
                } else {
                    token.expires_at_ms.map_or("never".to_owned(), |at| {
                        format!("in {}d", (at - now) / 86_400_000)
                    })
                };
                let last_used = token.last_used_at_ms.map_or("never".to_owned(), |at| {
                    format!("{}m ago", (now - at) / 60_000)
                });
                writeln!(
                    out,
                    "{:>6}  {:<24}  {:<22}  {:<10}  {:<10}",
                    token.id,
                    token.name,
                    token.abilities.join(","),
                    state,
                    last_used
                )?;
            }
        }
        TokenCommand::Revoke { id } => {
            gateway.revoke_token(id).await.map_err(field_errors)?;
            writeln!(out, "Revoked token {id}.")?;
        }
    }
    Ok(())
}

/// Field errors read as sentences on the command line.
fn field_errors(error: gateway::Error) -> anyhow::Error {
    match error {
        gateway::Error::Invalid(errors) | gateway::Error::Conflict(errors) => {
            anyhow::anyhow!(errors.summary())
        }
        other => anyhow::Error::new(other),
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
    fn lifetimes_read_days_hours_and_minutes() {
        assert_eq!(
            parse_lifetime("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(
            parse_lifetime("12h").unwrap(),
            Duration::from_secs(12 * 3_600)
        );
        assert_eq!(parse_lifetime("90m").unwrap(), Duration::from_secs(90 * 60));
        assert!(parse_lifetime("0d").is_err());
        assert!(parse_lifetime("soon").is_err());
        assert!(parse_lifetime("").is_err());
    }

    #[test]
    fn the_health_check_calls_loopback_for_a_listener_on_every_address() {
        for (listen, reached) in [
            ("0.0.0.0:3000", "127.0.0.1:3000"),
            ("[::]:8080", "[::1]:8080"),
            ("10.1.2.3:3000", "10.1.2.3:3000"),
        ] {
            assert_eq!(reachable(listen.parse().unwrap()).to_string(), reached);
        }
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
            "integrations",
            "create-admin",
            "healthcheck",
            "delete-admin",
            "unlock",
        ] {
            assert!(help.contains(sub), "{sub} missing from:\n{help}");
        }
    }
}
