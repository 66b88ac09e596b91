//! Configuration: built-in defaults, overridden by an optional TOML file, overridden by
//! environment variables. Every setting and its variable is listed in the README.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/ai-gateway.db";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const DEFAULT_API_PREFIX: &str = "/api/ai";
pub const DEFAULT_OPENROUTER_BASE_URL: &str = "https://openrouter.ai/api/v1";
/// A console session ends after this long without a request.
pub const DEFAULT_SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(12 * 3600);
/// Bound of the telemetry spill file, in MiB.
pub const DEFAULT_TELEMETRY_SPILL_MAX_MB: u64 = 256;
/// Longest rendered prompt, in KiB.
pub const DEFAULT_MAX_PROMPT_KB: u64 = (gateway::DEFAULT_MAX_PROMPT_BYTES / 1024) as u64;
/// The admin `serve` creates on an empty database when no email is configured.
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@localhost";
/// A connection must deliver a request's headers within this after it opens or falls idle.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A kept-alive connection is closed after this long without a request.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest pause allowed while a request body is being read.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Console requests one client address may have in flight at once.
pub const DEFAULT_CONSOLE_REQUESTS_PER_CLIENT: usize = 32;
/// The deadline of one model call, retries included.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);
/// Further attempts after a retryable upstream failure.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// More retries than this only prolong an outage for the caller.
pub const MAX_RETRIES: u32 = 10;
/// The longest planned pause between two attempts.
pub const DEFAULT_BACKOFF_CEILING: Duration = Duration::from_secs(10);
/// Sent to OpenRouter as `X-Title`.
pub const DEFAULT_APP_TITLE: &str = "AI Gateway";
/// Upper bound on any call's `max_tokens`.
pub const DEFAULT_MAX_TOKENS_CEILING: u32 = 8192;
/// How long a fetched model catalog stays fresh.
pub const DEFAULT_CATALOG_TTL: Duration = Duration::from_secs(3600);
/// No timeout may exceed this: it keeps deadline arithmetic far from overflow, and a longer
/// wait for headers or a body chunk protects nobody.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// The running server's settings, after defaults, file and environment are combined.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// Where the compiled console (wasm, js, css, static assets) lives.
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    /// Where the public API is mounted, e.g. `/api/ai`.
    pub api_prefix: String,
    /// Where users reach this deployment (sent to OpenRouter as the app's referer); optional.
    /// An `https://` URL also makes the session cookie `Secure`, and its origin is accepted by
    /// the CSRF check behind a proxy that rewrites `Host`.
    pub public_url: Option<String>,
    pub openrouter: OpenRouterConfig,
    pub calls: CallConfig,
    pub catalog: CatalogConfig,
    pub docs: DocsConfig,
    /// A console session ends after this long without a request.
    pub session_idle_timeout: Duration,
    /// Where invocation rows wait while the database is unavailable; `None` lets the gateway
    /// derive one directory per database from its URL.
    pub telemetry_spill_dir: Option<PathBuf>,
    /// Bound of the spill file; rows beyond it are lost (and counted).
    pub telemetry_spill_max_mb: u64,
    /// Longest rendered prompt in KiB; a call whose arguments render a longer one is a 422.
    pub max_prompt_kb: u64,
    pub bootstrap_admin: BootstrapAdmin,
    pub connections: ConnectionConfig,
    pub metrics: MetricsConfig,
}

/// Timeouts and caps that keep slow or greedy clients from starving the others. None of them
/// bounds how long a response takes: streams and long model calls run as long as they need.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// From a connection's opening, or from the end of its previous response, until the
    /// request's headers are complete.
    pub header_read_timeout: Duration,
    /// A connection idle this long after a response is closed; at most `header_read_timeout`.
    pub keep_alive_timeout: Duration,
    /// The longest pause between two chunks of a request body.
    pub body_read_timeout: Duration,
    /// Open connections beyond this are answered 503 at once; `None` derives the cap from the
    /// process's open-file limit at start.
    pub max_connections: Option<usize>,
    /// Console requests (pages, server functions, test runs, exports) one client address may
    /// have in flight; more are answered 429.
    pub console_requests_per_client: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            max_connections: None,
            console_requests_per_client: DEFAULT_CONSOLE_REQUESTS_PER_CLIENT,
        }
    }
}

/// Where `/metrics` is served. With neither field set it is not served at all: its labels name
/// every integration and its counters show their spend.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// A listener of its own, serving only `/metrics`; it is then absent from the main one.
    pub listen: Option<SocketAddr>,
    /// A bearer token `/metrics` asks for, wherever it is served.
    pub token: Option<Secret>,
}

/// The first admin, created by `serve` only while the database has none.
#[derive(Debug, Clone, Default)]
pub struct BootstrapAdmin {
    /// [`DEFAULT_ADMIN_EMAIL`] when unset.
    pub email: Option<String>,
    /// Generated and printed once when unset.
    pub password: Option<Secret>,
}

/// The interactive API docs (`{prefix}/docs`) and the OpenAPI document (`{prefix}/openapi.json`).
#[derive(Debug, Clone)]
pub struct DocsConfig {
    /// Off: neither route exists.
    pub enabled: bool,
    pub dark_mode: bool,
    /// When set, both routes ask for these HTTP Basic credentials.
    pub auth: Option<DocsAuth>,
}

impl Default for DocsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            dark_mode: true,
            auth: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DocsAuth {
    pub user: String,
    pub password: Secret,
}

#[derive(Debug, Clone)]
pub struct OpenRouterConfig {
    /// `None` runs the deployment in demo mode.
    pub api_key: Option<Secret>,
    pub base_url: String,
    /// Deadline of one call, retries and pauses included.
    pub timeout: Duration,
    /// Further attempts after a retryable failure (0: none).
    pub max_retries: u32,
    /// The longest planned pause between two attempts.
    pub backoff_ceiling: Duration,
    /// Sent as `X-Title` (app attribution on openrouter.ai); `None` or blank sends none.
    pub title: Option<String>,
}

impl Default for OpenRouterConfig {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_OPENROUTER_BASE_URL.to_owned(),
            timeout: DEFAULT_UPSTREAM_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            backoff_ceiling: DEFAULT_BACKOFF_CEILING,
            title: Some(DEFAULT_APP_TITLE.to_owned()),
        }
    }
}

/// What every call is held to, whatever its integration says.
#[derive(Debug, Clone)]
pub struct CallConfig {
    /// Upper bound on `max_tokens`, whoever sets it.
    pub max_tokens_ceiling: u32,
    /// The models a new integration starts with, primary first; empty: none.
    pub default_models: Vec<String>,
    /// Off: rate limits are not enforced.
    pub rate_limiting: bool,
    /// Off: daily caps are not enforced (spend is still counted).
    pub cost_limiting: bool,
}

impl Default for CallConfig {
    fn default() -> Self {
        Self {
            max_tokens_ceiling: DEFAULT_MAX_TOKENS_CEILING,
            default_models: Vec::new(),
            rate_limiting: true,
            cost_limiting: true,
        }
    }
}

/// The model catalog's freshness.
#[derive(Debug, Clone)]
pub struct CatalogConfig {
    pub ttl: Duration,
    /// Fetch a stale catalog in the background as the server starts.
    pub refresh_at_start: bool,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_CATALOG_TTL,
            refresh_at_start: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// A value that must never appear in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The optional TOML file; every key may be left out. Unknown keys are an error so that a typo
/// does not silently fall back to a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    site_root: Option<PathBuf>,
    log_format: Option<LogFormat>,
    public_url: Option<String>,
    api_prefix: Option<String>,
    /// A lifetime such as `12h` or `30m`.
    session_idle_timeout: Option<String>,
    telemetry_spill_dir: Option<PathBuf>,
    telemetry_spill_max_mb: Option<u64>,
    max_prompt_kb: Option<u64>,
    max_tokens_ceiling: Option<u64>,
    default_models: Option<Vec<String>>,
    rate_limit_enabled: Option<bool>,
    cost_limit_enabled: Option<bool>,
    #[serde(default)]
    catalog: FileCatalog,
    #[serde(default)]
    openrouter: FileOpenRouter,
    #[serde(default)]
    api_docs: FileDocs,
    #[serde(default)]
    connections: FileConnections,
    #[serde(default)]
    metrics: FileMetrics,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConnections {
    /// Durations such as `10s` or `500ms`.
    header_read_timeout: Option<String>,
    keep_alive_timeout: Option<String>,
    body_read_timeout: Option<String>,
    max_connections: Option<u64>,
    console_requests_per_client: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMetrics {
    listen: Option<String>,
    token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDocs {
    enabled: Option<bool>,
    dark_mode: Option<bool>,
    /// `user:password`.
    auth: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOpenRouter {
    api_key: Option<String>,
    base_url: Option<String>,
    /// Durations such as `60s` or `2m`.
    timeout: Option<String>,
    max_retries: Option<u64>,
    backoff_ceiling: Option<String>,
    title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCatalog {
    /// A duration such as `1h`.
    ttl: Option<String>,
    refresh_at_start: Option<bool>,
}

impl Config {
    /// Reads the process environment (and `file`, when given).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        Self::from_sources(file, |name| std::env::var(name).ok())
    }

    /// Combines defaults, `file` and the variables `env` returns; `env` stands in for the
    /// process environment so that tests need not mutate it.
    pub fn from_sources(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("parsing the config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());

        let listen = env("AI_GATEWAY_LISTEN")
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen
            .parse()
            .with_context(|| format!("AI_GATEWAY_LISTEN {listen:?} is not a host:port address"))?;
        let log_format = match env("AI_GATEWAY_LOG_FORMAT") {
            Some(v) => match v.as_str() {
                "json" => LogFormat::Json,
                "pretty" => LogFormat::Pretty,
                other => anyhow::bail!("AI_GATEWAY_LOG_FORMAT {other:?} must be json or pretty"),
            },
            None => file.log_format.unwrap_or(LogFormat::Json),
        };
        let connections = connection_config(&env, file.connections)?;
        let metrics = MetricsConfig {
            listen: env("AI_GATEWAY_METRICS_LISTEN")
                .or(file.metrics.listen)
                .map(|text| {
                    text.trim().parse().with_context(|| {
                        format!("AI_GATEWAY_METRICS_LISTEN {text:?} is not a host:port address")
                    })
                })
                .transpose()?,
            token: env("AI_GATEWAY_METRICS_TOKEN")
                .or(file.metrics.token)
                .map(Secret),
        };
        let docs = DocsConfig {
            enabled: flag(
                env("AI_GATEWAY_API_DOCS_ENABLED"),
                "AI_GATEWAY_API_DOCS_ENABLED",
            )?
            .or(file.api_docs.enabled)
            .unwrap_or(true),
            dark_mode: flag(env("AI_GATEWAY_API_DOCS_DARK"), "AI_GATEWAY_API_DOCS_DARK")?
                .or(file.api_docs.dark_mode)
                .unwrap_or(true),
            auth: env("AI_GATEWAY_API_DOCS_AUTH")
                .or(file.api_docs.auth)
                .map(|pair| docs_auth(&pair))
                .transpose()?,
        };
        Ok(Self {
            listen,
            database_url: env("AI_GATEWAY_DATABASE_URL")
                .or(file.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            site_root: env("AI_GATEWAY_SITE_ROOT")
                .map(PathBuf::from)
                .or(file.site_root)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_SITE_ROOT)),
            log_format,
            public_url: env("AI_GATEWAY_PUBLIC_URL").or(file.public_url),
            api_prefix: api_prefix(env("AI_GATEWAY_API_PREFIX").or(file.api_prefix))?,
            openrouter: openrouter_config(&env, file.openrouter)?,
            calls: CallConfig {
                max_tokens_ceiling: at_least_one(
                    "AI_GATEWAY_MAX_TOKENS_CEILING",
                    "tokens",
                    env("AI_GATEWAY_MAX_TOKENS_CEILING"),
                    file.max_tokens_ceiling,
                )?
                .map(|n| {
                    u32::try_from(n).map_err(|_| {
                        anyhow::anyhow!(
                            "AI_GATEWAY_MAX_TOKENS_CEILING must be at most {}",
                            u32::MAX
                        )
                    })
                })
                .transpose()?
                .unwrap_or(DEFAULT_MAX_TOKENS_CEILING),
                default_models: match env("AI_GATEWAY_DEFAULT_MODELS") {
                    Some(text) => model_list(text.split(','))?,
                    None => model_list(file.default_models.unwrap_or_default().iter())?,
                },
                rate_limiting: flag(
                    env("AI_GATEWAY_RATE_LIMIT_ENABLED"),
                    "AI_GATEWAY_RATE_LIMIT_ENABLED",
                )?
                .or(file.rate_limit_enabled)
                .unwrap_or(true),
                cost_limiting: flag(
                    env("AI_GATEWAY_COST_LIMIT_ENABLED"),
                    "AI_GATEWAY_COST_LIMIT_ENABLED",
                )?
                .or(file.cost_limit_enabled)
                .unwrap_or(true),
            },
            catalog: CatalogConfig {
                ttl: duration_setting(
                    &env,
                    "AI_GATEWAY_CATALOG_TTL",
                    file.catalog.ttl,
                    DEFAULT_CATALOG_TTL,
                    parse_duration,
                )?,
                refresh_at_start: flag(
                    env("AI_GATEWAY_CATALOG_REFRESH_AT_START"),
                    "AI_GATEWAY_CATALOG_REFRESH_AT_START",
                )?
                .or(file.catalog.refresh_at_start)
                .unwrap_or(false),
            },
            docs,
            session_idle_timeout: env("AI_GATEWAY_SESSION_IDLE_TIMEOUT")
                .or(file.session_idle_timeout)
                .map(|text| {
                    parse_lifetime(&text)
                        .map_err(|e| anyhow::anyhow!("AI_GATEWAY_SESSION_IDLE_TIMEOUT: {e}"))
                })
                .transpose()?
                .unwrap_or(DEFAULT_SESSION_IDLE_TIMEOUT),
            telemetry_spill_dir: env("AI_GATEWAY_TELEMETRY_SPILL_DIR")
                .map(PathBuf::from)
                .or(file.telemetry_spill_dir),
            telemetry_spill_max_mb: at_least_one(
                "AI_GATEWAY_TELEMETRY_SPILL_MAX_MB",
                "MiB",
                env("AI_GATEWAY_TELEMETRY_SPILL_MAX_MB"),
                file.telemetry_spill_max_mb,
            )?
            .unwrap_or(DEFAULT_TELEMETRY_SPILL_MAX_MB),
            max_prompt_kb: at_least_one(
                "AI_GATEWAY_MAX_PROMPT_KB",
                "KiB",
                env("AI_GATEWAY_MAX_PROMPT_KB"),
                file.max_prompt_kb,
            )?
            .unwrap_or(DEFAULT_MAX_PROMPT_KB),
            // Environment only: a password has no business in a configuration file.
            bootstrap_admin: BootstrapAdmin {
                email: env("AI_GATEWAY_ADMIN_EMAIL"),
                password: env("AI_GATEWAY_ADMIN_PASSWORD").map(Secret),
            },
            connections,
            metrics,
        })
    }
}

/// A lifetime (a session, a token): `30d`, `12h`, `90m` or `45s`.
pub(crate) fn parse_lifetime(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

/// A whole number and a unit (`ms`, `s`, `m`, `h`, `d`), longer than zero. Splits on characters,
/// never on byte offsets, so any text is an error, not a panic.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("{text:?} is not a duration such as 500ms, 45s, 90m, 12h or 30d");
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    // Every digit is one byte, so `digits` is also a character boundary.
    let (number, unit) = text.split_at(digits);
    let count: u64 = number.parse().map_err(|_| invalid())?;
    let duration = match unit {
        "ms" => Duration::from_millis(count),
        "s" => Duration::from_secs(count),
        "m" => Duration::from_secs(count.saturating_mul(60)),
        "h" => Duration::from_secs(count.saturating_mul(3_600)),
        "d" => Duration::from_secs(count.saturating_mul(86_400)),
        _ => return Err(invalid()),
    };
    if duration.is_zero() {
        return Err(format!("{text:?} must be longer than zero"));
    }
    Ok(duration)
}

/// The `[openrouter]` settings, each variable overriding its file key.
fn openrouter_config(
    env: &impl Fn(&str) -> Option<String>,
    file: FileOpenRouter,
) -> anyhow::Result<OpenRouterConfig> {
    let max_retries = match env("OPENROUTER_MAX_RETRIES") {
        Some(text) => text.trim().parse::<u64>().map_err(|_| {
            anyhow::anyhow!("OPENROUTER_MAX_RETRIES {text:?} is not a whole number of retries")
        })?,
        None => file.max_retries.unwrap_or(u64::from(DEFAULT_MAX_RETRIES)),
    };
    let max_retries = u32::try_from(max_retries)
        .ok()
        .filter(|n| *n <= MAX_RETRIES)
        .ok_or_else(|| anyhow::anyhow!("OPENROUTER_MAX_RETRIES must be at most {MAX_RETRIES}"))?;
    Ok(OpenRouterConfig {
        api_key: env("OPENROUTER_API_KEY").or(file.api_key).map(Secret),
        base_url: env("OPENROUTER_BASE_URL")
            .or(file.base_url)
            .unwrap_or_else(|| DEFAULT_OPENROUTER_BASE_URL.to_owned()),
        timeout: duration_setting(
            env,
            "OPENROUTER_TIMEOUT",
            file.timeout,
            DEFAULT_UPSTREAM_TIMEOUT,
            parse_timeout,
        )?,
        max_retries,
        backoff_ceiling: duration_setting(
            env,
            "OPENROUTER_BACKOFF_CEILING",
            file.backoff_ceiling,
            DEFAULT_BACKOFF_CEILING,
            parse_timeout,
        )?,
        // The file may set an empty title to send none; an empty variable counts as unset.
        title: env("OPENROUTER_TITLE")
            .or(file.title)
            .or_else(|| Some(DEFAULT_APP_TITLE.to_owned()))
            .map(|title| title.trim().to_owned())
            .filter(|title| !title.is_empty()),
    })
}

/// A duration from the variable `name`, else the file, else `default`, read by `parse`.
fn duration_setting(
    env: &impl Fn(&str) -> Option<String>,
    name: &str,
    file: Option<String>,
    default: Duration,
    parse: fn(&str) -> Result<Duration, String>,
) -> anyhow::Result<Duration> {
    env(name)
        .or(file)
        .map(|text| parse(&text).map_err(|e| anyhow::anyhow!("{name}: {e}")))
        .transpose()
        .map(|value| value.unwrap_or(default))
}

/// Model ids for new integrations: trimmed, none blank, none twice, at most
/// [`gateway::versions::MAX_MODELS`].
fn model_list<S: AsRef<str>>(ids: impl Iterator<Item = S>) -> anyhow::Result<Vec<String>> {
    const NAME: &str = "AI_GATEWAY_DEFAULT_MODELS";
    let mut models: Vec<String> = Vec::new();
    for id in ids {
        let id = id.as_ref().trim();
        if id.is_empty() || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
            anyhow::bail!("{NAME}: {id:?} is not a model id such as openai/gpt-4o-mini");
        }
        if models.iter().any(|m| m == id) {
            anyhow::bail!("{NAME}: {id:?} is listed twice");
        }
        models.push(id.to_owned());
    }
    if models.len() > gateway::versions::MAX_MODELS {
        anyhow::bail!(
            "{NAME}: at most {} models (a primary and fallbacks)",
            gateway::versions::MAX_MODELS
        );
    }
    Ok(models)
}

/// The `[connections]` settings, each variable overriding its file key.
fn connection_config(
    env: &impl Fn(&str) -> Option<String>,
    file: FileConnections,
) -> anyhow::Result<ConnectionConfig> {
    let defaults = ConnectionConfig::default();
    let timeout = |name: &str, file: Option<String>, default: Duration| {
        duration_setting(env, name, file, default, parse_timeout)
    };
    let count = |name: &str, unit: &str, file: Option<u64>| -> anyhow::Result<Option<usize>> {
        let count = at_least_one(name, unit, env(name), file)?;
        count
            .map(|count| usize::try_from(count).map_err(|_| anyhow::anyhow!("{name} is too large")))
            .transpose()
    };
    let config = ConnectionConfig {
        header_read_timeout: timeout(
            "AI_GATEWAY_HEADER_READ_TIMEOUT",
            file.header_read_timeout,
            defaults.header_read_timeout,
        )?,
        keep_alive_timeout: timeout(
            "AI_GATEWAY_KEEP_ALIVE_TIMEOUT",
            file.keep_alive_timeout,
            defaults.keep_alive_timeout,
        )?,
        body_read_timeout: timeout(
            "AI_GATEWAY_BODY_READ_TIMEOUT",
            file.body_read_timeout,
            defaults.body_read_timeout,
        )?,
        max_connections: count(
            "AI_GATEWAY_MAX_CONNECTIONS",
            "connections",
            file.max_connections,
        )?,
        console_requests_per_client: count(
            "AI_GATEWAY_CONSOLE_REQUESTS_PER_CLIENT",
            "requests",
            file.console_requests_per_client,
        )?
        .unwrap_or(defaults.console_requests_per_client),
    };
    // The header-read timer runs while a connection idles too, so a longer keep-alive would
    // never take effect; saying so beats silently ignoring it.
    if config.keep_alive_timeout > config.header_read_timeout {
        anyhow::bail!(
            "AI_GATEWAY_KEEP_ALIVE_TIMEOUT ({:?}) cannot exceed AI_GATEWAY_HEADER_READ_TIMEOUT \
             ({:?}): an idle connection is closed once the header-read timeout passes",
            config.keep_alive_timeout,
            config.header_read_timeout
        );
    }
    Ok(config)
}

/// A connection timeout: a duration (see [`parse_duration`]) of at most an hour.
pub(crate) fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration > MAX_TIMEOUT {
        return Err(format!("{:?} must be at most 1h", text.trim()));
    }
    Ok(duration)
}

/// A whole number of `unit`s, at least one, from the variable `name` or else the file; `None`
/// when neither sets it. A bound of zero (a spill that holds nothing, a prompt that may not be
/// rendered, no connections) is never what an operator means.
fn at_least_one(
    name: &str,
    unit: &str,
    env: Option<String>,
    file: Option<u64>,
) -> anyhow::Result<Option<u64>> {
    let count = match env {
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} {text:?} is not a number of {unit}"))?,
        None => match file {
            Some(count) => count,
            None => return Ok(None),
        },
    };
    if count == 0 {
        anyhow::bail!("{name} must be at least 1");
    }
    Ok(Some(count))
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`); anything else is an error, not "off".
fn flag(value: Option<String>, name: &str) -> anyhow::Result<Option<bool>> {
    value
        .map(|v| match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            other => anyhow::bail!("{name} {other:?} must be true or false"),
        })
        .transpose()
}

/// `user:password`, both non-empty.
fn docs_auth(pair: &str) -> anyhow::Result<DocsAuth> {
    match pair.split_once(':') {
        Some((user, password)) if !user.is_empty() && !password.is_empty() => Ok(DocsAuth {
            user: user.to_owned(),
            password: Secret(password.to_owned()),
        }),
        _ => anyhow::bail!("AI_GATEWAY_API_DOCS_AUTH must be user:password"),
    }
}

/// `/api/ai` by default; always one leading slash, no trailing one, and not the console's root.
fn api_prefix(configured: Option<String>) -> anyhow::Result<String> {
    let raw = configured.unwrap_or_else(|| DEFAULT_API_PREFIX.to_owned());
    let prefix = format!("/{}", raw.trim().trim_matches('/'));
    if prefix == "/" || prefix.contains(['{', '}', '*', ' ']) {
        anyhow::bail!("AI_GATEWAY_API_PREFIX {raw:?} must be a path such as /api/ai");
    }
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Write;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_apply_when_nothing_is_configured() {
        let config = Config::from_sources(None, env(&[])).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.openrouter.base_url, DEFAULT_OPENROUTER_BASE_URL);
        assert!(config.openrouter.api_key.is_none());
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.api_prefix, "/api/ai");
    }

    #[test]
    fn the_api_prefix_is_normalised_and_checked() {
        let config =
            Config::from_sources(None, env(&[("AI_GATEWAY_API_PREFIX", "v2/gateway/")])).unwrap();
        assert_eq!(config.api_prefix, "/v2/gateway");
        assert!(Config::from_sources(None, env(&[("AI_GATEWAY_API_PREFIX", "/")])).is_err());
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut file = tempfile();
        writeln!(
            file.1,
            "listen = \"0.0.0.0:8080\"\ndatabase_url = \"sqlite:x.db\"\n[openrouter]\napi_key = \"from-file\""
        )
        .unwrap();
        let config = Config::from_sources(
            Some(&file.0),
            env(&[
                ("AI_GATEWAY_DATABASE_URL", "postgres://u@h/db"),
                ("OPENROUTER_API_KEY", ""),
            ]),
        )
        .unwrap();
        assert_eq!(config.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(config.database_url, "postgres://u@h/db");
        // An empty variable counts as unset, so the file's key stays in force.
        assert_eq!(config.openrouter.api_key.unwrap().expose(), "from-file");
        std::fs::remove_file(file.0).unwrap();
    }

    #[test]
    fn unknown_file_keys_and_bad_addresses_are_errors() {
        let mut file = tempfile();
        writeln!(file.1, "lisen = \"0.0.0.0:8080\"").unwrap();
        let err = Config::from_sources(Some(&file.0), env(&[])).unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `lisen`"),
            "{err:#}"
        );
        std::fs::remove_file(file.0).unwrap();

        let err = Config::from_sources(None, env(&[("AI_GATEWAY_LISTEN", "nowhere")])).unwrap_err();
        assert!(err.to_string().contains("AI_GATEWAY_LISTEN"), "{err}");
    }

    #[test]
    fn docs_settings_come_from_the_environment_and_are_checked() {
        let config = Config::from_sources(None, env(&[])).unwrap();
        assert!(config.docs.enabled && config.docs.dark_mode && config.docs.auth.is_none());
        let config = Config::from_sources(
            None,
            env(&[
                ("AI_GATEWAY_API_DOCS_ENABLED", "off"),
                ("AI_GATEWAY_API_DOCS_AUTH", "reader:s3cret:x"),
            ]),
        )
        .unwrap();
        assert!(!config.docs.enabled);
        let auth = config.docs.auth.unwrap();
        assert_eq!(
            (auth.user.as_str(), auth.password.expose()),
            ("reader", "s3cret:x")
        );
        assert!(!format!("{auth:?}").contains("s3cret"));
        for (name, value) in [
            ("AI_GATEWAY_API_DOCS_ENABLED", "maybe"),
            ("AI_GATEWAY_API_DOCS_AUTH", "nopassword"),
            ("AI_GATEWAY_API_DOCS_AUTH", ":x"),
        ] {
            let err = Config::from_sources(None, env(&[(name, value)])).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn session_and_bootstrap_settings_come_from_the_environment() {
        let config = Config::from_sources(None, env(&[])).unwrap();
        assert_eq!(config.session_idle_timeout, DEFAULT_SESSION_IDLE_TIMEOUT);
        assert!(
            config.bootstrap_admin.email.is_none() && config.bootstrap_admin.password.is_none()
        );
        let config = Config::from_sources(
            None,
            env(&[
                ("AI_GATEWAY_SESSION_IDLE_TIMEOUT", "30m"),
                ("AI_GATEWAY_ADMIN_EMAIL", "ops@example.com"),
                ("AI_GATEWAY_ADMIN_PASSWORD", "a long secret phrase"),
            ]),
        )
        .unwrap();
        assert_eq!(config.session_idle_timeout, Duration::from_secs(1800));
        assert_eq!(
            config.bootstrap_admin.email.as_deref(),
            Some("ops@example.com")
        );
        assert!(!format!("{config:?}").contains("secret phrase"));
        let err = Config::from_sources(None, env(&[("AI_GATEWAY_SESSION_IDLE_TIMEOUT", "soon")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("AI_GATEWAY_SESSION_IDLE_TIMEOUT"),
            "{err}"
        );
    }

    #[test]
    fn the_telemetry_spill_is_configured_from_the_environment() {
        let config = Config::from_sources(None, env(&[])).unwrap();
        assert_eq!(config.telemetry_spill_dir, None);
        assert_eq!(
            config.telemetry_spill_max_mb,
            DEFAULT_TELEMETRY_SPILL_MAX_MB
        );
        let config = Config::from_sources(
            None,
            env(&[
                (
                    "AI_GATEWAY_TELEMETRY_SPILL_DIR",
                    "/var/lib/ai-gateway/spill",
                ),
                ("AI_GATEWAY_TELEMETRY_SPILL_MAX_MB", "64"),
            ]),
        )
        .unwrap();
        assert_eq!(
            config.telemetry_spill_dir,
            Some(PathBuf::from("/var/lib/ai-gateway/spill"))
        );
        assert_eq!(config.telemetry_spill_max_mb, 64);
        for value in ["lots", "0"] {
            let err =
                Config::from_sources(None, env(&[("AI_GATEWAY_TELEMETRY_SPILL_MAX_MB", value)]))
                    .unwrap_err();
            assert!(
                err.to_string()
                    .contains("AI_GATEWAY_TELEMETRY_SPILL_MAX_MB"),
                "{err}"
            );
        }
    }

    #[test]
    fn lifetimes_are_read_by_character_not_by_byte() {
        assert_eq!(parse_lifetime(" 45s "), Ok(Duration::from_secs(45)));
        assert_eq!(parse_lifetime("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in [
            "1é", "é", "", "h", "12", "1.5h", "-1h", "12 h", "0m", "1hé", "١h",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
        let err = Config::from_sources(None, env(&[("AI_GATEWAY_SESSION_IDLE_TIMEOUT", "1é")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("AI_GATEWAY_SESSION_IDLE_TIMEOUT"),
            "{err}"
        );
    }

    #[test]
    fn the_prompt_ceiling_is_a_positive_number_of_kib() {
        let config = Config::from_sources(None, env(&[])).unwrap();
        assert_eq!(config.max_prompt_kb, DEFAULT_MAX_PROMPT_KB);
        let config =
            Config::from_sources(None, env(&[("AI_GATEWAY_MAX_PROMPT_KB", "64")])).unwrap();
        assert_eq!(config.max_prompt_kb, 64);
        for value in ["0", "big", "-1", "1.5"] {
            let err = Config::from_sources(None, env(&[("AI_GATEWAY_MAX_PROMPT_KB", value)]))
                .unwrap_err();
            assert!(
                err.to_string().contains("AI_GATEWAY_MAX_PROMPT_KB"),
                "{err}"
            );
        }
    }

    /// Every variable the configuration reads, found by asking it: a setting added later is
    /// covered by the property below without anyone listing it.
    fn variables_read() -> Vec<String> {
        let asked = std::sync::Mutex::new(Vec::new());
        let _ = Config::from_sources(None, |name| {
            asked.lock().unwrap().push(name.to_owned());
            None
        });
        let mut names = asked.into_inner().unwrap();
        names.sort();
        names.dedup();
        names
    }

    proptest::proptest! {
        /// Whatever text a variable holds, the configuration is read or refused with an error
        /// naming a variable: never a panic.
        #[test]
        fn fuzz_any_variable_value_is_read_or_refused(
            picks in proptest::collection::vec((proptest::arbitrary::any::<proptest::sample::Index>(), proptest::arbitrary::any::<String>()), 1..4),
        ) {
            let names = variables_read();
            let pairs: Vec<(String, String)> = picks
                .into_iter()
                .map(|(index, value)| (index.get(&names).clone(), value))
                .collect();
            let borrowed: Vec<(&str, &str)> =
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            if let Err(err) = Config::from_sources(None, env(&borrowed)) {
                let text = format!("{err:#}");
                proptest::prop_assert!(
                    pairs.iter().any(|(name, _)| text.contains(name.as_str())),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn connection_limits_have_defaults_and_read_variables_and_the_file() {
        let config = Config::from_sources(None, env(&[])).unwrap();
        assert_eq!(
            config.connections.header_read_timeout,
            DEFAULT_HEADER_READ_TIMEOUT
        );
        assert_eq!(
            config.connections.keep_alive_timeout,
            DEFAULT_KEEP_ALIVE_TIMEOUT
        );
        assert_eq!(
            config.connections.body_read_timeout,
            DEFAULT_BODY_READ_TIMEOUT
        );
        assert_eq!(config.connections.max_connections, None);
        assert_eq!(
            config.connections.console_requests_per_client,
            DEFAULT_CONSOLE_REQUESTS_PER_CLIENT
        );

        let mut file = tempfile();
        writeln!(
            file.1,
            "[connections]\nheader_read_timeout = \"2m\"\nkeep_alive_timeout = \"1500ms\"\n\
             max_connections = 500\nconsole_requests_per_client = 4"
        )
        .unwrap();
        let config = Config::from_sources(
            Some(&file.0),
            env(&[
                ("AI_GATEWAY_BODY_READ_TIMEOUT", "45s"),
                ("AI_GATEWAY_MAX_CONNECTIONS", "2000"),
            ]),
        )
        .unwrap();
        std::fs::remove_file(file.0).unwrap();
        let connections = config.connections;
        assert_eq!(connections.header_read_timeout, Duration::from_secs(120));
        assert_eq!(connections.keep_alive_timeout, Duration::from_millis(1500));
        assert_eq!(connections.body_read_timeout, Duration::from_secs(45));
        assert_eq!(connections.max_connections, Some(2000));
        assert_eq!(connections.console_requests_per_client, 4);
    }

    #[test]
    fn bad_connection_limits_are_errors_naming_the_variable() {
        for (name, value) in [
            ("AI_GATEWAY_HEADER_READ_TIMEOUT", "1é"),
            ("AI_GATEWAY_HEADER_READ_TIMEOUT", "é"),
            ("AI_GATEWAY_BODY_READ_TIMEOUT", "0s"),
            ("AI_GATEWAY_BODY_READ_TIMEOUT", "2h"),
            ("AI_GATEWAY_BODY_READ_TIMEOUT", "99999999999999999999s"),
            ("AI_GATEWAY_KEEP_ALIVE_TIMEOUT", "10"),
            ("AI_GATEWAY_KEEP_ALIVE_TIMEOUT", "11s"),
            ("AI_GATEWAY_MAX_CONNECTIONS", "0"),
            ("AI_GATEWAY_MAX_CONNECTIONS", "-1"),
            ("AI_GATEWAY_CONSOLE_REQUESTS_PER_CLIENT", "lots"),
            ("AI_GATEWAY_METRICS_LISTEN", "metrics"),
        ] {
            let err = Config::from_sources(None, env(&[(name, value)])).unwrap_err();
            assert!(err.to_string().contains(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn timeouts_read_milliseconds_to_hours() {
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout(" 10s "), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_timeout("1h"), Ok(Duration::from_secs(3600)));
        for text in ["", "s", "10", "10 s", "1.5s", "10S", "1é", "١٠s", "+5s"] {
            assert!(parse_timeout(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn metrics_settings_come_from_the_environment() {
        let config = Config::from_sources(None, env(&[])).unwrap();
        assert!(config.metrics.listen.is_none() && config.metrics.token.is_none());
        let config = Config::from_sources(
            None,
            env(&[
                ("AI_GATEWAY_METRICS_LISTEN", "127.0.0.1:9464"),
                ("AI_GATEWAY_METRICS_TOKEN", "scrape-secret"),
            ]),
        )
        .unwrap();
        assert_eq!(
            config.metrics.listen,
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(config.metrics.token.unwrap().expose(), "scrape-secret");
    }

    #[test]
    fn operator_knobs_have_defaults() {
        let config = Config::from_sources(None, env(&[])).unwrap();
        let openrouter = &config.openrouter;
        assert_eq!(openrouter.timeout, DEFAULT_UPSTREAM_TIMEOUT);
        assert_eq!(openrouter.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(openrouter.backoff_ceiling, DEFAULT_BACKOFF_CEILING);
        assert_eq!(openrouter.title.as_deref(), Some(DEFAULT_APP_TITLE));
        assert_eq!(config.calls.max_tokens_ceiling, DEFAULT_MAX_TOKENS_CEILING);
        assert!(config.calls.default_models.is_empty());
        assert!(config.calls.rate_limiting && config.calls.cost_limiting);
        assert_eq!(config.catalog.ttl, DEFAULT_CATALOG_TTL);
        assert!(!config.catalog.refresh_at_start);
    }

    #[test]
    fn operator_knobs_read_the_file_and_the_environment_wins() {
        let mut file = tempfile();
        writeln!(
            file.1,
            "max_tokens_ceiling = 4096\ndefault_models = [\"a/one\", \"b/two\"]\n\
             rate_limit_enabled = false\ncost_limit_enabled = false\n\
             [openrouter]\ntimeout = \"30s\"\nmax_retries = 5\nbackoff_ceiling = \"2s\"\n\
             title = \"\"\n[catalog]\nttl = \"10m\"\nrefresh_at_start = true"
        )
        .unwrap();
        let config = Config::from_sources(Some(&file.0), env(&[])).unwrap();
        assert_eq!(config.openrouter.timeout, Duration::from_secs(30));
        assert_eq!(config.openrouter.max_retries, 5);
        assert_eq!(config.openrouter.backoff_ceiling, Duration::from_secs(2));
        // An empty title in the file sends none.
        assert_eq!(config.openrouter.title, None);
        assert_eq!(config.calls.max_tokens_ceiling, 4096);
        assert_eq!(config.calls.default_models, ["a/one", "b/two"]);
        assert!(!config.calls.rate_limiting && !config.calls.cost_limiting);
        assert_eq!(config.catalog.ttl, Duration::from_secs(600));
        assert!(config.catalog.refresh_at_start);

        let config = Config::from_sources(
            Some(&file.0),
            env(&[
                ("OPENROUTER_TIMEOUT", "90s"),
                ("OPENROUTER_MAX_RETRIES", "0"),
                ("OPENROUTER_BACKOFF_CEILING", "250ms"),
                ("OPENROUTER_TITLE", "Ops"),
                ("AI_GATEWAY_MAX_TOKENS_CEILING", "100"),
                ("AI_GATEWAY_DEFAULT_MODELS", " c/three , d/four "),
                ("AI_GATEWAY_RATE_LIMIT_ENABLED", "on"),
                ("AI_GATEWAY_COST_LIMIT_ENABLED", "yes"),
                ("AI_GATEWAY_CATALOG_TTL", "2h"),
                ("AI_GATEWAY_CATALOG_REFRESH_AT_START", "off"),
            ]),
        )
        .unwrap();
        std::fs::remove_file(file.0).unwrap();
        assert_eq!(config.openrouter.timeout, Duration::from_secs(90));
        assert_eq!(config.openrouter.max_retries, 0);
        assert_eq!(
            config.openrouter.backoff_ceiling,
            Duration::from_millis(250)
        );
        assert_eq!(config.openrouter.title.as_deref(), Some("Ops"));
        assert_eq!(config.calls.max_tokens_ceiling, 100);
        assert_eq!(config.calls.default_models, ["c/three", "d/four"]);
        assert!(config.calls.rate_limiting && config.calls.cost_limiting);
        assert_eq!(config.catalog.ttl, Duration::from_secs(7200));
        assert!(!config.catalog.refresh_at_start);
    }

    #[test]
    fn bad_operator_knobs_are_errors_naming_the_variable() {
        for (name, value) in [
            ("OPENROUTER_TIMEOUT", "0s"),
            ("OPENROUTER_TIMEOUT", "2h"),
            ("OPENROUTER_TIMEOUT", "60"),
            ("OPENROUTER_MAX_RETRIES", "11"),
            ("OPENROUTER_MAX_RETRIES", "-1"),
            ("OPENROUTER_MAX_RETRIES", "two"),
            ("OPENROUTER_BACKOFF_CEILING", "soon"),
            ("AI_GATEWAY_MAX_TOKENS_CEILING", "0"),
            ("AI_GATEWAY_MAX_TOKENS_CEILING", "99999999999"),
            ("AI_GATEWAY_DEFAULT_MODELS", "a/one,,b/two"),
            ("AI_GATEWAY_DEFAULT_MODELS", "a/one,a/one"),
            ("AI_GATEWAY_DEFAULT_MODELS", "with space/x"),
            ("AI_GATEWAY_DEFAULT_MODELS", "a,b,c,d,e,f,g,h,i,j,k"),
            ("AI_GATEWAY_RATE_LIMIT_ENABLED", "maybe"),
            ("AI_GATEWAY_COST_LIMIT_ENABLED", "2"),
            ("AI_GATEWAY_CATALOG_TTL", "1é"),
            ("AI_GATEWAY_CATALOG_REFRESH_AT_START", "sometimes"),
        ] {
            let err = Config::from_sources(None, env(&[(name, value)])).unwrap_err();
            assert!(err.to_string().contains(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn the_knobs_reach_the_core_configuration() {
        let config = Config::from_sources(
            None,
            env(&[
                ("OPENROUTER_API_KEY", "key"),
                ("OPENROUTER_TIMEOUT", "5s"),
                ("OPENROUTER_MAX_RETRIES", "4"),
                ("OPENROUTER_BACKOFF_CEILING", "1s"),
                ("OPENROUTER_TITLE", "Ops"),
                ("AI_GATEWAY_MAX_TOKENS_CEILING", "512"),
                ("AI_GATEWAY_DEFAULT_MODELS", "a/one"),
                ("AI_GATEWAY_RATE_LIMIT_ENABLED", "false"),
                ("AI_GATEWAY_COST_LIMIT_ENABLED", "false"),
                ("AI_GATEWAY_CATALOG_TTL", "5m"),
                ("AI_GATEWAY_CATALOG_REFRESH_AT_START", "true"),
            ]),
        )
        .unwrap();
        let core = crate::startup::gateway_config(&config, None);
        assert_eq!(core.request_timeout, Duration::from_secs(5));
        assert_eq!(core.max_retries, 4);
        assert_eq!(core.backoff_ceiling, Duration::from_secs(1));
        assert_eq!(core.app_title.as_deref(), Some("Ops"));
        assert_eq!(core.max_tokens_ceiling, 512);
        assert_eq!(core.default_models, ["a/one"]);
        assert!(!core.rate_limiting && !core.cost_limiting);
        assert_eq!(core.catalog_ttl, Duration::from_secs(300));
        assert!(core.catalog_refresh_at_start);
    }

    #[test]
    fn the_api_key_never_shows_in_debug_output() {
        let config =
            Config::from_sources(None, env(&[("OPENROUTER_API_KEY", "sk-or-v1-abc")])).unwrap();
        assert!(!format!("{config:?}").contains("sk-or-v1-abc"));
    }

    fn tempfile() -> (PathBuf, std::fs::File) {
        let path =
            std::env::temp_dir().join(format!("ai-gateway-config-{}.toml", uuid::Uuid::new_v4()));
        let file = std::fs::File::create(&path).unwrap();
        (path, file)
    }
}
