//! The AI Gateway core: the one handle (`Gateway`) every surface holds, and the domain modules
//! behind it. Nothing in this crate knows about HTTP frameworks or the console.

pub mod accounts;
pub mod builder;
pub mod catalog;
pub mod conversations;
pub mod dashboard;
mod error;
pub mod integrations;
pub mod invocations;
pub mod invoke;
pub mod limits;
pub mod manifest;
pub mod messages;
pub mod metrics;
pub mod openapi;
pub mod options;
pub mod payload;
pub mod prompts;
pub mod settings;
pub mod snapshot;
pub mod store;
pub mod telemetry;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod tokens;
pub mod upstream;
pub mod versions;
pub mod wire;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use conversations::Conversation;
pub use error::{Error, Result};
pub use gateway_types as types;
use gateway_types::{
    Integration, IntegrationFields, SystemStatus, Version, VersionDiff, VersionDraft,
    VersionHistory,
};
pub use invoke::{
    Audience, Call, Caller, CallerKind, ChatMessage, Delivery, InvokeResult, InvokeStream, Outcome,
    StreamItem, Target, Turn,
};
pub use settings::Settings;
pub use store::Store;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::catalog::Catalog;
use crate::limits::Limits;
use crate::snapshot::{Snapshot, SnapshotCell};
use crate::telemetry::Telemetry;
use crate::upstream::{Upstream, UpstreamConfig};

/// The default ceiling of a rendered prompt: twice the API's whole request body, so arguments
/// can appear in full, yet one call cannot make the gateway build and send hundreds of MB.
pub const DEFAULT_MAX_PROMPT_BYTES: usize = 2 * 1024 * 1024;

/// What the core needs to start; the server maps its own configuration onto this.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub database_url: String,
    pub openrouter_base_url: String,
    pub openrouter_api_key: Option<String>,
    /// Answers come from the built-in simulator; the console says so.
    pub demo_mode: bool,
    /// Where the interactive API docs are served, when the deployment serves them.
    pub api_docs_path: Option<String>,
    /// Sent as `X-Title` / `HTTP-Referer` for attribution on OpenRouter.
    pub app_title: Option<String>,
    pub app_url: Option<String>,
    /// Default deadline of one call, retries included.
    pub request_timeout: Duration,
    /// Further attempts after a retryable upstream failure (0: none).
    pub max_retries: u32,
    /// The longest single pause between two attempts.
    pub backoff_ceiling: Duration,
    /// Upper bound on `max_tokens`, whoever sets it.
    pub max_tokens_ceiling: u32,
    /// Longest rendered prompt, in bytes; a call whose arguments render a longer one is a 422.
    pub max_prompt_bytes: usize,
    /// Worst-case cost assumed for a call whose model has no known price.
    pub unknown_price_estimate: gateway_types::NanoUsd,
    /// How long a fetched model catalog stays fresh.
    pub catalog_ttl: Duration,
    /// Fetch the catalog in the background at start when the saved one is stale (otherwise the
    /// housekeeping does, within ten minutes).
    pub catalog_refresh_at_start: bool,
    /// The models a new integration starts with (the console's form, and creations whose
    /// version names none); primary first.
    pub default_models: Vec<String>,
    /// Off: no call is refused for its rate limit, whatever the integrations say.
    pub rate_limiting: bool,
    /// Off: no call is refused for its daily cap (spend is still counted).
    pub cost_limiting: bool,
    /// Settings in force until an admin changes them.
    pub settings: Settings,
    /// Where invocation rows wait while the database is unavailable (and where refused rows
    /// are quarantined). One directory per database.
    pub telemetry_spill_dir: std::path::PathBuf,
    /// Bound of the spill file; rows beyond it are lost.
    pub telemetry_spill_max_bytes: u64,
}

impl GatewayConfig {
    /// Sensible defaults for everything but the database and the upstream.
    pub fn new(database_url: impl Into<String>, openrouter_base_url: impl Into<String>) -> Self {
        let database_url = database_url.into();
        Self {
            telemetry_spill_dir: telemetry::default_spill_dir(&database_url),
            telemetry_spill_max_bytes: telemetry::DEFAULT_SPILL_MAX_BYTES,
            database_url,
            openrouter_base_url: openrouter_base_url.into(),
            openrouter_api_key: None,
            demo_mode: false,
            api_docs_path: None,
            app_title: Some("AI Gateway".to_owned()),
            app_url: None,
            request_timeout: Duration::from_secs(60),
            max_retries: 2,
            backoff_ceiling: Duration::from_secs(10),
            max_tokens_ceiling: 8192,
            max_prompt_bytes: DEFAULT_MAX_PROMPT_BYTES,
            unknown_price_estimate: gateway_types::NanoUsd::from_usd(0.05),
            catalog_ttl: Duration::from_secs(3600),
            catalog_refresh_at_start: false,
            default_models: Vec::new(),
            rate_limiting: true,
            cost_limiting: true,
            settings: Settings::default(),
        }
    }
}

/// The handle shared by the HTTP API, the console and the CLI. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Gateway {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: GatewayConfig,
    store: Store,
    snapshot: SnapshotCell,
    limits: Limits,
    telemetry: Telemetry,
    upstream: Upstream,
    catalog: Catalog,
    tokens: std::sync::RwLock<Arc<tokens::TokenSet>>,
    token_use: tokens::UsageTracker,
    /// Cancelled when shutdown begins; long background work watches it.
    stop: CancellationToken,
    /// Every task the gateway spawns: calls' upstream work, settlements, reconciliations and the
    /// maintenance loop. Shutdown waits for them.
    tasks: TaskTracker,
}

/// How long shutdown waits for calls' tasks (answers still coming, bills being read).
const TASKS_PATIENCE: Duration = Duration::from_secs(30);

impl Gateway {
    /// Connects to the database, brings its schema up to date, loads the configuration snapshot
    /// and the model catalog, and starts the telemetry writer and the maintenance tasks.
    pub async fn new(config: GatewayConfig) -> Result<Self> {
        let store = Store::connect(&config.database_url).await?;
        store.migrate().await?;
        let mut upstream_config = UpstreamConfig::new(config.openrouter_base_url.clone());
        upstream_config.api_key = config.openrouter_api_key.clone();
        upstream_config.title = config.app_title.clone();
        upstream_config.referer = config.app_url.clone();
        upstream_config.request_timeout = config.request_timeout;
        upstream_config.max_retries = config.max_retries;
        upstream_config.backoff_ceiling = config.backoff_ceiling;
        let upstream = Upstream::new(upstream_config)
            .map_err(|e| Error::Corrupt(format!("building the HTTP client: {e}")))?;
        let tasks = TaskTracker::new();
        let catalog = Catalog::new(
            store.clone(),
            upstream.http().clone(),
            config.openrouter_base_url.clone(),
            config.openrouter_api_key.clone(),
            config.catalog_ttl,
        );
        catalog.load().await;
        if config.catalog_refresh_at_start {
            // In the background: a slow or unreachable upstream must not delay the start.
            let catalog = catalog.clone();
            tasks.spawn(async move { catalog.refresh_if_stale().await });
        }
        let snapshot = SnapshotCell::default();
        snapshot.reload(&store, &config.settings).await?;
        let limits = Limits::new(&store, now_ms(), tasks.clone()).await?;
        let telemetry = Telemetry::start(
            store.clone(),
            config.telemetry_spill_dir.clone(),
            config.telemetry_spill_max_bytes,
        );
        let token_set = tokens::load(&store).await?;
        let gateway = Self {
            inner: Arc::new(Inner {
                config,
                store,
                snapshot,
                limits,
                telemetry,
                upstream,
                catalog,
                tokens: std::sync::RwLock::new(Arc::new(token_set)),
                token_use: tokens::UsageTracker::default(),
                stop: CancellationToken::new(),
                tasks,
            }),
        };
        gateway.spawn_maintenance();
        Ok(gateway)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn telemetry(&self) -> &Telemetry {
        &self.inner.telemetry
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub(crate) fn upstream(&self) -> &Upstream {
        &self.inner.upstream
    }

    /// The configuration every call uses right now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.snapshot.get()
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
            demo_mode: self.inner.config.demo_mode,
            // The docs answer only while the API does.
            api_docs_path: self
                .inner
                .config
                .api_docs_path
                .clone()
                .filter(|_| self.snapshot().settings.api_enabled),
        }
    }

    // --- configuration writes: each one ends with a fresh snapshot on this node and a new epoch
    // for the others.

    /// Creates an integration with `draft` as its version 1; a draft naming no model gets the
    /// deployment's default models.
    pub async fn create_integration(
        &self,
        fields: &IntegrationFields,
        draft: &VersionDraft,
        author: Option<&str>,
    ) -> Result<(Integration, Version)> {
        let draft = self.with_default_models(draft.clone());
        let created = integrations::create(self.store(), fields, &draft, author, now_ms()).await?;
        self.config_changed().await?;
        Ok(created)
    }

    pub async fn update_integration(
        &self,
        id: i64,
        fields: &IntegrationFields,
        author: Option<&str>,
    ) -> Result<Integration> {
        let updated = integrations::update(self.store(), id, fields, author, now_ms()).await?;
        self.config_changed().await?;
        Ok(updated)
    }

    pub async fn set_integration_active(
        &self,
        id: i64,
        active: bool,
        author: Option<&str>,
    ) -> Result<()> {
        integrations::set_active(self.store(), id, active, author, now_ms()).await?;
        self.config_changed().await
    }

    pub async fn delete_integrations(&self, ids: &[i64]) -> Result<u64> {
        let deleted = integrations::delete(self.store(), ids, now_ms()).await?;
        self.config_changed().await?;
        Ok(deleted)
    }

    pub async fn save_version(
        &self,
        integration_id: i64,
        draft: &VersionDraft,
        author: Option<&str>,
    ) -> Result<versions::Saved> {
        let saved = versions::save(self.store(), integration_id, draft, author, now_ms()).await?;
        if saved.minted {
            self.config_changed().await?;
        }
        Ok(saved)
    }

    /// What the editor opens with; with `version_id`, that saved version's setup fills the form
    /// instead of the active one (nothing changes until the admin saves).
    pub async fn editor_data(
        &self,
        id: Option<i64>,
        version_id: Option<i64>,
    ) -> Result<gateway_types::EditorData> {
        let mut data = self.snapshot().editor_data(id)?;
        if id.is_none() {
            data.draft = self.with_default_models(data.draft);
        }
        if let (Some(id), Some(version_id)) = (id, version_id) {
            let version = versions::get_in(self.store(), id, version_id).await?;
            data.draft = version.draft;
            data.loaded_version = Some(version.number);
        }
        Ok(data)
    }

    pub async fn activate_version(&self, integration_id: i64, version_id: i64) -> Result<Version> {
        let version =
            versions::activate(self.store(), integration_id, version_id, now_ms()).await?;
        self.config_changed().await?;
        Ok(version)
    }

    pub async fn version_history(&self, integration_id: i64) -> Result<VersionHistory> {
        versions::history(self.store(), integration_id).await
    }

    pub async fn compare_versions(
        &self,
        integration_id: i64,
        from_id: i64,
        to_id: i64,
    ) -> Result<VersionDiff> {
        versions::compare(self.store(), integration_id, from_id, to_id).await
    }

    /// The integrations named by `slugs` (every one when empty) as a document `apply_integrations`
    /// accepts.
    pub async fn export_integrations(&self, slugs: &[String]) -> Result<manifest::Manifest> {
        manifest::export(self.store(), slugs).await
    }

    /// Creates and updates integrations from a document, all or nothing; says per slug what
    /// changed.
    pub async fn apply_integrations(
        &self,
        document: &manifest::Manifest,
        author: Option<&str>,
    ) -> Result<Vec<manifest::Applied>> {
        let snapshot = self.snapshot();
        let mut document = document.clone();
        for entry in &mut document.integrations {
            if snapshot.integration(&entry.fields.slug).is_none() {
                entry.version = self.with_default_models(std::mem::take(&mut entry.version));
            }
        }
        let report = manifest::apply(self.store(), &document, author, now_ms()).await?;
        if report.iter().any(manifest::Applied::changed) {
            self.config_changed().await?;
        }
        Ok(report)
    }

    /// `draft` as it is, or with the deployment's default models when it names none.
    fn with_default_models(&self, mut draft: VersionDraft) -> VersionDraft {
        if draft.models.is_empty() {
            draft.models.clone_from(&self.inner.config.default_models);
        }
        draft
    }

    /// Saves one integration from the console's form: created when its slug is new, otherwise
    /// its fields updated and a version minted only if the draft changed.
    pub async fn save_integration(
        &self,
        entry: manifest::Entry,
        author: Option<&str>,
    ) -> Result<manifest::Applied> {
        let applied = manifest::save(self.store(), entry, author, now_ms()).await?;
        if applied.changed() {
            self.config_changed().await?;
        }
        Ok(applied)
    }

    /// The console editor's save: refuses a new integration whose slug is taken, then saves as
    /// [`Self::save_integration`] does; field problems come back as `SaveResult::Invalid`.
    pub async fn save_form(
        &self,
        fields: IntegrationFields,
        draft: VersionDraft,
        creating: bool,
        author: &str,
    ) -> Result<gateway_types::SaveResult> {
        use gateway_types::{FieldErrors, SaveResult};
        let slug = fields.slug.trim().to_owned();
        if creating && self.snapshot().integration(&slug).is_some() {
            let taken = FieldErrors::single("slug", integrations::slug_taken(&slug));
            return Ok(SaveResult::Invalid(taken));
        }
        let entry = manifest::Entry {
            fields,
            version: draft,
        };
        let applied = match self.save_integration(entry, Some(author)).await {
            Ok(applied) => applied,
            Err(Error::Invalid(errors) | Error::Conflict(errors)) => {
                return Ok(SaveResult::Invalid(errors));
            }
            Err(other) => return Err(other),
        };
        let id = self
            .snapshot()
            .integration(&applied.slug)
            .map(|live| live.integration.id)
            .ok_or(Error::NotFound("integration"))?;
        Ok(SaveResult::Saved {
            id,
            message: applied.saved_message(),
        })
    }

    /// Saves settings an admin changed; the next call on any node sees them.
    pub async fn save_settings(&self, settings: &Settings) -> Result<()> {
        settings::check(settings).map_err(Error::Invalid)?;
        settings::save(self.store(), settings, now_ms()).await?;
        self.config_changed().await
    }

    /// The effective settings and the catalog's state, as the settings page shows them.
    pub fn settings_page(&self) -> gateway_types::SettingsPage {
        gateway_types::SettingsPage {
            settings: self.snapshot().settings.clone(),
            catalog: catalog::state(&self.catalog().current()),
        }
    }

    /// Fetches the model catalog now rather than when it goes stale.
    pub async fn refresh_catalog(&self) -> std::result::Result<(), catalog::CatalogError> {
        self.catalog().refresh().await.map(drop)
    }

    /// Marks the configuration as changed for every node and reloads it here.
    async fn config_changed(&self) -> Result<()> {
        let epoch = uuid::Uuid::new_v4().to_string();
        settings::put(
            self.store(),
            settings::CONFIG_EPOCH,
            &serde_json::Value::String(epoch).to_string(),
            now_ms(),
        )
        .await?;
        self.reload_snapshot().await
    }

    /// Rebuilds the in-memory configuration from the database.
    pub async fn reload_snapshot(&self) -> Result<()> {
        self.inner
            .snapshot
            .reload(self.store(), &self.inner.config.settings)
            .await?;
        let token_set = Arc::new(tokens::load(self.store()).await?);
        match self.inner.tokens.write() {
            Ok(mut current) => *current = token_set,
            Err(poisoned) => *poisoned.into_inner() = token_set,
        }
        Ok(())
    }

    // --- API tokens

    /// Creates a token; the returned plain text is shown once and never stored.
    pub async fn create_token(
        &self,
        name: &str,
        abilities: &[String],
        expires_at_ms: Option<i64>,
        created_by: Option<&str>,
    ) -> Result<(tokens::ApiToken, String)> {
        let created = tokens::create(
            self.store(),
            name,
            abilities,
            expires_at_ms,
            created_by,
            now_ms(),
        )
        .await?;
        self.config_changed().await?;
        Ok(created)
    }

    pub async fn list_tokens(&self) -> Result<Vec<tokens::ApiToken>> {
        tokens::list(self.store()).await
    }

    /// The tokens still in force or expired (revoked ones are gone), newest first.
    pub async fn token_rows(&self) -> Result<Vec<gateway_types::TokenRow>> {
        let now = now_ms();
        Ok(self
            .list_tokens()
            .await?
            .iter()
            .filter(|t| t.revoked_at_ms.is_none())
            .map(|t| tokens::row(t, now))
            .collect())
    }

    /// A token made from the console: it may invoke integrations and lives for one of the
    /// offered lifetimes.
    pub async fn create_console_token(
        &self,
        new: &gateway_types::NewToken,
        admin: &str,
    ) -> Result<gateway_types::TokenCreated> {
        let now = now_ms();
        let expires_at_ms = match tokens::console_expiry(new.lifetime_days, now) {
            Ok(at) => at,
            Err(errors) => return Ok(gateway_types::TokenCreated::Invalid(errors)),
        };
        let abilities = [tokens::INVOKE_ABILITY.to_owned()];
        match self
            .create_token(&new.name, &abilities, expires_at_ms, Some(admin))
            .await
        {
            Ok((token, secret)) => Ok(gateway_types::TokenCreated::Created {
                token: tokens::row(&token, now),
                secret,
            }),
            Err(Error::Invalid(errors)) => Ok(gateway_types::TokenCreated::Invalid(errors)),
            Err(other) => Err(other),
        }
    }

    pub async fn revoke_token(&self, id: i64) -> Result<()> {
        tokens::revoke(self.store(), id, now_ms()).await?;
        self.config_changed().await
    }

    /// Checks a presented bearer token against the in-memory set and notes its use (written in
    /// the background, not per request).
    pub fn verify_token(
        &self,
        presented: &str,
    ) -> std::result::Result<tokens::VerifiedToken, tokens::TokenError> {
        let now = now_ms();
        let set = self
            .inner
            .tokens
            .read()
            .map_or_else(|p| p.into_inner().clone(), |s| s.clone());
        let verified = set.verify(presented, now)?;
        self.inner.token_use.touch(verified.id, now);
        Ok(verified)
    }

    // --- console administrators

    /// Creates an admin; a taken email or a short password are field errors.
    pub async fn create_admin(
        &self,
        email: &str,
        password: &accounts::Password,
    ) -> Result<gateway_types::Admin> {
        accounts::create(self.store(), email, password, now_ms()).await
    }

    /// Checks a sign-in, throttled per account from the `client` address, per account and per
    /// address (see [`accounts::login`]).
    pub async fn login(
        &self,
        email: &str,
        password: &accounts::Password,
        client: Option<std::net::IpAddr>,
    ) -> std::result::Result<gateway_types::Admin, accounts::LoginError> {
        accounts::login(self.store(), email, password, client, now_ms()).await
    }

    /// Counts credentials the server compared itself (the API docs' Basic auth for the user
    /// `account`) through the sign-in throttle.
    pub async fn check_credentials(
        &self,
        account: &str,
        right: bool,
        client: Option<std::net::IpAddr>,
    ) -> std::result::Result<(), accounts::LoginError> {
        accounts::check_credentials(self.store(), account, right, client, now_ms()).await
    }

    /// Deletes an admin by email, signing out its sessions.
    pub async fn delete_admin(&self, email: &str) -> Result<gateway_types::Admin> {
        accounts::delete(self.store(), email).await
    }

    pub async fn find_admin(&self, id: i64) -> Result<Option<gateway_types::Admin>> {
        accounts::find(self.store(), id).await
    }

    pub async fn count_admins(&self) -> Result<i64> {
        accounts::count(self.store()).await
    }

    /// The session store console sessions live in.
    pub fn sessions(&self) -> accounts::DatabaseSessions {
        accounts::DatabaseSessions::new(self.store().clone())
    }

    /// What an integration has spent today (UTC), settled calls only.
    pub async fn spent_today(&self, integration_id: i64) -> Result<gateway_types::NanoUsd> {
        self.inner
            .limits
            .spent_today(integration_id, now_ms())
            .await
    }

    // --- calls

    /// Runs one call: every surface's way into a model (see [`invoke::call`]).
    pub async fn call(&self, call: Call) -> Result<Outcome> {
        invoke::call(self, call).await
    }

    /// Calls the active integration `slug` with its template variables, as an internal caller,
    /// and waits for the whole answer: [`Self::call`] in its simplest form. Every active
    /// integration is reachable, whatever its visibility.
    ///
    /// ```no_run
    /// # async fn run(gateway: gateway::Gateway) -> gateway::Result<()> {
    /// let args = serde_json::json!({ "question": "What is a gateway?" });
    /// let answer = gateway
    ///     .invoke("faq", args.as_object().cloned().unwrap_or_default())
    ///     .await?;
    /// println!("{} ({} via {})", answer.text, answer.invocation_id, answer.model_used);
    /// # Ok(())
    /// # }
    /// ```
    #[tracing::instrument(skip_all, fields(slug = %slug))]
    pub async fn invoke(
        &self,
        slug: &str,
        args: serde_json::Map<String, serde_json::Value>,
    ) -> Result<InvokeResult> {
        self.call(Call::live(slug, args)).await?.into_done()
    }

    /// Calls `slug` with `messages` after its rendered prompt (a template without required
    /// variables), and waits for the whole answer.
    ///
    /// ```no_run
    /// # async fn run(gateway: gateway::Gateway) -> gateway::Result<()> {
    /// use gateway::ChatMessage;
    /// let answer = gateway
    ///     .chat("support", vec![ChatMessage::user("My order is late.")])
    ///     .await?;
    /// println!("{}", answer.text);
    /// # Ok(())
    /// # }
    /// ```
    #[tracing::instrument(skip_all, fields(slug = %slug))]
    pub async fn chat(&self, slug: &str, messages: Vec<ChatMessage>) -> Result<InvokeResult> {
        let call = Call {
            messages,
            ..Call::live(slug, serde_json::Map::new())
        };
        self.call(call).await?.into_done()
    }

    /// [`Self::invoke`], streamed: text deltas as the model writes them, then
    /// [`StreamItem::Done`] with the summary. Dropping the stream cancels the upstream call; its
    /// row is recorded either way.
    ///
    /// ```no_run
    /// # async fn run(gateway: gateway::Gateway) -> gateway::Result<()> {
    /// use futures::StreamExt;
    /// use gateway::StreamItem;
    /// let args = serde_json::json!({ "question": "Tell me a story." });
    /// let mut stream = gateway
    ///     .stream("faq", args.as_object().cloned().unwrap_or_default())
    ///     .await?;
    /// while let Some(item) = stream.next().await {
    ///     match item? {
    ///         StreamItem::Delta(text) => print!("{text}"),
    ///         StreamItem::Done(summary) => println!("\n{} tokens", summary.usage.total_tokens),
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    #[tracing::instrument(skip_all, fields(slug = %slug))]
    pub async fn stream(
        &self,
        slug: &str,
        args: serde_json::Map<String, serde_json::Value>,
    ) -> Result<InvokeStream> {
        let call = Call {
            delivery: Delivery::Streamed,
            ..Call::live(slug, args)
        };
        self.call(call).await?.into_stream()
    }

    /// Opens a thread on the conversational integration `slug`; no model is called.
    ///
    /// ```no_run
    /// # async fn run(gateway: gateway::Gateway) -> gateway::Result<()> {
    /// let thread = gateway.start_conversation("tutor").await?;
    /// let first = gateway.converse("tutor", Some(&thread.id), "Teach me Rust.").await?;
    /// let second = gateway.converse("tutor", Some(&thread.id), "And lifetimes?").await?;
    /// assert_eq!(first.conversation_id, second.conversation_id);
    /// # Ok(())
    /// # }
    /// ```
    #[tracing::instrument(skip_all, fields(slug = %slug))]
    pub async fn start_conversation(&self, slug: &str) -> Result<Conversation> {
        let call = Call {
            turn: Turn::Start,
            ..Call::live(slug, serde_json::Map::new())
        };
        match self.call(call).await? {
            Outcome::Started(conversation) => Ok(conversation),
            other => Err(Error::Internal(format!(
                "expected a new conversation, got {other:?}"
            ))),
        }
    }

    /// One turn of a thread on `slug`: the thread `conversation_id`, or a new one when `None`
    /// (its id is in the answer's `conversation_id`). The thread's earlier turns go with the
    /// message; see [`Self::start_conversation`] for an example.
    #[tracing::instrument(skip_all, fields(slug = %slug))]
    pub async fn converse(
        &self,
        slug: &str,
        conversation_id: Option<&str>,
        message: impl Into<String>,
    ) -> Result<InvokeResult> {
        let call = Call {
            turn: Turn::Continue {
                conversation_id: conversation_id.map(str::to_owned),
                message: message.into(),
            },
            ..Call::live(slug, serde_json::Map::new())
        };
        self.call(call).await?.into_done()
    }

    /// Spawns `task` where shutdown waits for it.
    pub(crate) fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.tasks.spawn(task)
    }

    /// Resolves once shutdown has begun.
    pub(crate) async fn stopping(&self) {
        self.inner.stop.cancelled().await;
    }

    // --- lifecycle

    fn spawn_maintenance(&self) {
        let gateway = self.clone();
        let stop = self.inner.stop.clone();
        self.inner.tasks.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            let mut ticks: u64 = 0;
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = tick.tick() => {}
                }
                ticks += 1;
                gateway.follow_other_nodes().await;
                gateway.inner.limits.retry_pending().await;
                if ticks.is_multiple_of(10) {
                    gateway.flush_token_use().await;
                }
                // Every ten minutes: drop finished threads and spent counters, refresh a stale catalog.
                if ticks.is_multiple_of(1200) {
                    gateway.housekeeping().await;
                }
            }
        });
    }

    /// Reloads the snapshot when another node (or process) changed the configuration.
    async fn follow_other_nodes(&self) {
        match settings::get(self.store(), settings::CONFIG_EPOCH).await {
            Ok(epoch) if epoch != self.snapshot().epoch => {
                if let Err(e) = self.reload_snapshot().await {
                    tracing::warn!(error = %e, "reloading the configuration failed; keeping the last one");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "checking for configuration changes failed"),
        }
    }

    async fn flush_token_use(&self) {
        if let Err(e) = self.inner.token_use.flush(self.store()).await {
            tracing::warn!(error = %e, "recording API token use failed; will retry");
        }
    }

    async fn housekeeping(&self) {
        let now = now_ms();
        match conversations::prune(self.store(), now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pruned = n, "pruned expired conversations"),
            Err(e) => tracing::warn!(error = %e, "pruning conversations failed"),
        }
        match accounts::delete_expired_sessions(self.store(), now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "deleted expired console sessions"),
            Err(e) => tracing::warn!(error = %e, "deleting expired sessions failed"),
        }
        if let Err(e) = accounts::delete_expired_throttle(self.store(), now).await {
            tracing::warn!(error = %e, "deleting finished sign-in counts failed");
        }
        match telemetry::prune_exchanges(self.store(), now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                deleted = n,
                "deleted prompts and answers past their retention"
            ),
            Err(e) => tracing::warn!(error = %e, "deleting expired prompts and answers failed"),
        }
        if let Err(e) = self.inner.limits.prune(now).await {
            tracing::warn!(error = %e, "pruning limit counters failed");
        }
        self.inner.catalog.refresh_if_stale().await;
    }

    /// Stops the background tasks, waits (bounded) for every call's task to end, then writes
    /// every queued telemetry row and closes the pool. Call once, after the last request
    /// finished.
    pub async fn close(&self) {
        self.inner.stop.cancel();
        self.inner.tasks.close();
        if tokio::time::timeout(TASKS_PATIENCE, self.inner.tasks.wait())
            .await
            .is_err()
        {
            tracing::error!(
                tasks = self.inner.tasks.len(),
                "calls' tasks did not finish before shutdown; their rows may be missing"
            );
        }
        self.inner.limits.retry_pending().await;
        self.flush_token_use().await;
        self.inner.telemetry.shutdown().await;
        self.inner.store.close().await;
    }
}

/// The current time as UTC epoch milliseconds, the only time representation the core stores.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
