//! The one invocation path. Every surface — the public API (chat, start, converse), the
//! OpenAI-compatible API, the console's test and side-by-side runs, Draft with AI and the Rust
//! API — builds one [`Call`] and hands it to [`call`]. It resolves the target from the snapshot
//! and decides visibility itself, counts the call against the rate limit, checks the input,
//! renders the prompt and reserves the worst-case cost against the daily cap. Then a tracked
//! task takes over the upstream work and owns the call's ending: whatever happens to the caller,
//! that task settles the reservation to what was billed and records exactly one telemetry row.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use gateway_types::{FieldErrors, NanoUsd, VersionDraft};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::conversations::{self, Conversation};
use crate::error::{Error, Result};
use crate::limits::{NO_INTEGRATION, Rejection, Reservation, caller_key};
pub use crate::messages::ChatMessage;
use crate::messages::{Allowed, Role, ToolCall, Tools};
use crate::payload::{self, PayloadInput};
use crate::prompts::{Prompt, request_hash};
use crate::telemetry::{Exchange, InvocationRecord, Status};
use crate::upstream::{Citation, Completion, StreamEvent, UpstreamError, Usage};
use crate::{Gateway, now_ms};

/// Who is calling; rate limits count per caller, conversations belong to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// The public API with a token.
    Api,
    /// The OpenAI-compatible API with a token.
    OpenAi,
    /// Rust code in the same process.
    Internal,
    /// An admin testing from the console.
    AdminTest,
    /// "Draft with AI" in the console.
    PromptBuilder,
}

impl CallerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::OpenAi => "openai",
            Self::Internal => "internal",
            Self::AdminTest => "admin-test",
            Self::PromptBuilder => "prompt-builder",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub kind: CallerKind,
    pub id: Option<String>,
}

impl Caller {
    pub fn internal() -> Self {
        Self {
            kind: CallerKind::Internal,
            id: None,
        }
    }

    /// The bucket this caller's calls count in: one per token, whichever API surface it uses.
    fn rate_key(&self) -> String {
        caller_key(self.kind.as_str(), self.id.as_deref())
    }
}

/// Who may reach a live integration by its slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The public and OpenAI-compatible APIs: active integrations visible to the API only;
    /// any other answers "not found", so internal integrations do not reveal that they exist.
    Api,
    /// Rust code in the same process: every active integration.
    Internal,
}

/// What a call runs against.
#[derive(Debug, Clone)]
pub enum Target {
    /// An integration's active version, by slug, as `audience` may see it.
    Live { slug: String, audience: Audience },
    /// The console's test runs: an integration by id (active or not) with the form's unsaved
    /// `draft`, else the saved version `version_id`, else its active version; `model` narrows
    /// the models to that one (a side-by-side column).
    Console {
        integration_id: i64,
        draft: Option<VersionDraft>,
        version_id: Option<i64>,
        model: Option<String>,
    },
    /// Draft with AI's helper model: no integration; the draft's template is its instructions.
    Helper { draft: VersionDraft },
}

/// Whether the answer comes whole or as it is generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Delivery {
    #[default]
    Whole,
    Streamed,
}

/// The conversation a call belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Turn {
    /// A one-off call.
    #[default]
    None,
    /// Opens a thread and returns it; no model is called.
    Start,
    /// One turn of a thread: the given one, or a new one when `conversation_id` is `None`.
    Continue {
        conversation_id: Option<String>,
        message: String,
    },
}

/// One call of the gateway, from any surface.
#[derive(Debug, Clone)]
pub struct Call {
    pub target: Target,
    pub args: Map<String, Value>,
    /// Extra messages after the rendered prompt; without any, the prompt itself is the request.
    pub messages: Vec<ChatMessage>,
    /// Generation options from the caller's allow-list (`max_tokens`, `temperature`, …).
    pub options: Map<String, Value>,
    /// Functions the caller offers the model; only integrations that support tools take them.
    pub tools: Tools,
    pub caller: Caller,
    pub delivery: Delivery,
    pub turn: Turn,
    /// Deadline for the whole call, retries included; the deployment default when `None`.
    pub timeout: Option<Duration>,
}

impl Call {
    /// A whole, one-off call of `target` by an internal caller, without args.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            args: Map::new(),
            messages: Vec::new(),
            options: Map::new(),
            tools: Tools::default(),
            caller: Caller::internal(),
            delivery: Delivery::Whole,
            turn: Turn::None,
            timeout: None,
        }
    }

    /// The console's test run by `admin`, streamed: the form's draft, a saved version or the
    /// active one, with the run's optional extra user message (none when blank).
    pub fn console_test(run: gateway_types::TestRun, admin: String) -> Self {
        let messages = run
            .message
            .filter(|text| !text.trim().is_empty())
            .map(ChatMessage::user)
            .into_iter()
            .collect();
        Self {
            args: run.args,
            messages,
            caller: Caller {
                kind: CallerKind::AdminTest,
                id: Some(admin),
            },
            delivery: Delivery::Streamed,
            ..Self::new(Target::Console {
                integration_id: run.integration_id,
                draft: run.draft,
                version_id: run.version_id,
                model: run.model,
            })
        }
    }

    /// [`Self::new`] for the active integration `slug` as Rust code in the process sees it.
    pub fn live(slug: impl Into<String>, args: Map<String, Value>) -> Self {
        Self {
            args,
            ..Self::new(Target::Live {
                slug: slug.into(),
                audience: Audience::Internal,
            })
        }
    }
}

/// What a finished call returns.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeResult {
    /// The integration's slug (the helper's name for Draft with AI).
    pub slug: String,
    pub text: String,
    /// The caller's functions the model asked to call (then `finish_reason` is `tool_calls`).
    pub tool_calls: Vec<ToolCall>,
    pub model_requested: String,
    pub model_used: String,
    pub usage: Usage,
    /// What OpenRouter billed.
    pub cost: Option<NanoUsd>,
    pub latency_ms: u64,
    pub finish_reason: Option<String>,
    pub citations: Vec<Citation>,
    pub generation_id: Option<String>,
    pub invocation_id: uuid::Uuid,
    pub conversation_id: Option<String>,
    pub status: Status,
    pub attempts: u32,
}

/// A piece of a streamed call.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    Delta(String),
    /// The last item: the summary of the whole call.
    Done(Box<InvokeResult>),
}

pub type InvokeStream = Pin<Box<dyn Stream<Item = Result<StreamItem>> + Send>>;

/// How a call came out: the whole answer, the stream of it, or the thread a `Turn::Start` opened.
pub enum Outcome {
    Done(Box<InvokeResult>),
    /// The answer as it is generated, with OpenRouter's generation id when it named one as the
    /// stream opened.
    Stream {
        items: InvokeStream,
        generation_id: Option<String>,
    },
    Started(Conversation),
}

impl Outcome {
    /// The whole answer of a `Delivery::Whole` call.
    pub fn into_done(self) -> Result<InvokeResult> {
        match self {
            Self::Done(result) => Ok(*result),
            other => Err(Error::Internal(format!(
                "expected a whole answer, got {other:?}"
            ))),
        }
    }

    /// The stream of a `Delivery::Streamed` call.
    pub fn into_stream(self) -> Result<InvokeStream> {
        match self {
            Self::Stream { items, .. } => Ok(items),
            other => Err(Error::Internal(format!("expected a stream, got {other:?}"))),
        }
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Done(result) => f.debug_tuple("Done").field(result).finish(),
            Self::Stream { generation_id, .. } => f
                .debug_struct("Stream")
                .field("generation_id", generation_id)
                .finish_non_exhaustive(),
            Self::Started(conversation) => f.debug_tuple("Started").field(conversation).finish(),
        }
    }
}

/// The target as the snapshot (or a saved version) says it is, for one call.
struct Resolved {
    slug: String,
    integration_id: Option<i64>,
    version_id: Option<i64>,
    draft: VersionDraft,
    prompt: Arc<Prompt>,
    rate_limit: Option<u32>,
    daily_cap: Option<NanoUsd>,
    /// Minutes a thread lives idle, when the integration holds conversations.
    conversation_ttl: Option<u32>,
    allowed: Allowed,
    /// Days the prompt and answer are kept, when the integration keeps them.
    capture_days: Option<u32>,
}

impl Resolved {
    fn of(
        live: &crate::snapshot::LiveIntegration,
        prompt: Arc<Prompt>,
        settings: &crate::Settings,
    ) -> Self {
        let fields = &live.integration.fields;
        Self {
            slug: fields.slug.clone(),
            integration_id: Some(live.integration.id),
            version_id: Some(live.version.id),
            draft: live.version.draft.clone(),
            prompt,
            rate_limit: fields
                .rate_limit_per_minute
                .or(settings.default_rate_limit_per_minute),
            daily_cap: fields.daily_cap.or(settings.default_daily_cap),
            conversation_ttl: fields.conversational.then(|| {
                fields
                    .conversation_ttl_minutes
                    .unwrap_or(settings.conversation_ttl_minutes)
            }),
            allowed: Allowed {
                vision: fields.supports_vision,
                tools: fields.supports_tools,
                system_messages: fields.allow_system_messages,
            },
            capture_days: fields
                .capture_exchanges
                .then_some(fields.capture_retention_days),
        }
    }

    /// The counters' key: the integration, or the one shared by calls of none.
    fn limit_id(&self) -> i64 {
        self.integration_id.unwrap_or(NO_INTEGRATION)
    }
}

/// Reads the snapshot once and finds the target, refusing what this target may not reach.
async fn resolve(gateway: &Gateway, target: Target) -> Result<Resolved> {
    let snapshot = gateway.snapshot();
    let settings = &snapshot.settings;
    match target {
        Target::Live { slug, audience } => {
            let live = match audience {
                Audience::Api => snapshot.api_integration(&slug),
                Audience::Internal => snapshot
                    .integration(&slug)
                    .filter(|live| live.integration.fields.active),
            }
            .ok_or(Error::NotFound("integration"))?;
            let prompt = live.prompt.clone().map_err(Error::Invalid)?;
            Ok(Resolved::of(live, prompt, settings))
        }
        Target::Console {
            integration_id,
            draft,
            version_id,
            model,
        } => {
            let live = snapshot
                .integration_by_id(integration_id)
                .ok_or(Error::NotFound("integration"))?;
            let (mut draft, version_id) = match (draft, version_id) {
                (Some(draft), _) => (draft, None),
                (None, Some(version_id)) => {
                    let version =
                        crate::versions::get_in(gateway.store(), integration_id, version_id)
                            .await?;
                    (version.draft, Some(version_id))
                }
                (None, None) => (live.version.draft.clone(), Some(live.version.id)),
            };
            if let Some(model) = model {
                draft.models = vec![model];
            }
            // Checked like a save would check it: the form may hold anything.
            let prompt = crate::versions::check_draft(&draft).map_err(Error::Invalid)?;
            Ok(Resolved {
                version_id,
                draft,
                ..Resolved::of(live, Arc::new(prompt), settings)
            })
        }
        Target::Helper { draft } => {
            let prompt = crate::versions::check_draft(&draft).map_err(Error::Invalid)?;
            Ok(Resolved {
                slug: crate::builder::SLUG.to_owned(),
                integration_id: None,
                version_id: None,
                draft,
                prompt: Arc::new(prompt),
                rate_limit: Some(crate::builder::RATE_PER_MINUTE),
                daily_cap: settings.default_daily_cap,
                conversation_ttl: None,
                allowed: Allowed::TEXT_ONLY,
                capture_days: None,
            })
        }
    }
}

/// Runs one call: the only way into a model, whatever the surface.
// At debug level: a second span per call costs measurable throughput at info, where the
// request span already names the path.
#[tracing::instrument(level = "debug", skip_all, fields(slug))]
pub async fn call(gateway: &Gateway, call: Call) -> Result<Outcome> {
    let started = Instant::now();
    let now = now_ms();
    let Call {
        target,
        args,
        messages,
        options,
        tools,
        caller,
        delivery,
        turn,
        timeout,
    } = call;
    let resolved = resolve(gateway, target).await?;
    tracing::Span::current().record("slug", resolved.slug.as_str());
    let ttl = match (&turn, resolved.conversation_ttl) {
        (Turn::None, _) => None,
        (_, Some(ttl)) => Some(ttl),
        (_, None) => {
            return Err(Error::Conflict(FieldErrors::single(
                "integration",
                "This integration does not hold conversations.",
            )));
        }
    };
    let streamed = delivery == Delivery::Streamed;
    let primary = resolved.draft.models.first().cloned().unwrap_or_default();
    let mut record = InvocationRecord::new(
        &resolved.slug,
        caller.kind.as_str(),
        caller.id.as_deref(),
        now,
    );
    record.integration_id = resolved.integration_id;
    record.version_id = resolved.version_id;
    record.model_requested = Some(primary.clone()).filter(|m| !m.is_empty());
    record.streamed = streamed;
    record.request_hash = Some(request_hash(resolved.prompt.template(), &args));
    let refused = Refusal {
        gateway,
        started,
        record,
    };

    // The rate limit comes first so that floods of invalid calls are limited too.
    if let Some(limit) = resolved
        .rate_limit
        .filter(|_| gateway.config().rate_limiting)
        && let Some(Rejection::RateLimited { retry_after_secs }) = gateway
            .limits()
            .take_rate(resolved.limit_id(), &caller.rate_key(), limit, now)
            .await?
    {
        let error = Error::RateLimited {
            slug: resolved.slug.clone(),
            limit,
            retry_after_secs,
        };
        return Err(refused.record("rate_limited", error).await);
    }
    if let Err(errors) = refuse_nul(&args, &messages, &options, &turn)
        .and_then(|()| crate::messages::check_allowed(&messages, &tools, resolved.allowed))
    {
        return Err(refused
            .record("invalid_input", Error::Invalid(errors))
            .await);
    }
    let (conversation_id, message) = match turn {
        Turn::None => (None, None),
        Turn::Start => {
            let ttl = ttl.unwrap_or_default();
            let started = start_thread(gateway, &resolved, &caller, ttl, None, now).await?;
            return Ok(Outcome::Started(started));
        }
        Turn::Continue {
            conversation_id,
            message,
        } => (conversation_id, Some(message)),
    };
    let rendered = match resolved
        .prompt
        .render(&args, gateway.config().max_prompt_bytes)
    {
        Ok(text) => text,
        Err(errors) => return Err(refused.record("invalid_args", Error::Invalid(errors)).await),
    };

    // A named thread is claimed now (its history is part of the request); a new one is opened
    // only once every check passed, so a refused call leaves no thread behind.
    let claimed = match (&conversation_id, &message) {
        (Some(id), Some(_)) => {
            let hold_ms = hold_ms(gateway, timeout);
            let thread = conversations::claim_turn(
                gateway.store(),
                id,
                resolved.limit_id(),
                caller.kind.as_str(),
                caller.id.as_deref(),
                hold_ms,
                now,
            )
            .await?;
            Some(Claim::new(gateway, thread.id))
        }
        _ => None,
    };
    let mut request_messages = Vec::with_capacity(messages.len() + 8);
    if let (Some(claim), Some(message)) = (&claimed, &message) {
        let history = conversations::history(gateway.store(), &claim.id).await?;
        let budget = history_budget_chars(gateway, &resolved, message);
        request_messages.extend(
            trim_history(history, budget)
                .into_iter()
                // Threads store only the two roles they were written with.
                .map(|m| ChatMessage::text(Role::parse(&m.role).unwrap_or(Role::User), m.content)),
        );
    }
    request_messages.extend(messages);
    if let Some(message) = &message {
        request_messages.push(ChatMessage::user(message.clone()));
    }
    let mut payload = match payload::compose(&PayloadInput {
        version: &resolved.draft,
        messages: compose_messages(rendered, &request_messages),
        caller_options: &options,
        primary_caching: crate::catalog::caching_mode(&primary),
        max_tokens_ceiling: gateway.config().max_tokens_ceiling,
        stream: streamed,
    }) {
        Ok(payload) => payload,
        Err(errors) => {
            return Err(refused
                .record("invalid_options", Error::Invalid(errors))
                .await);
        }
    };
    if let Some(body) = payload.as_object_mut() {
        tools.write_into(body);
    }

    let timeout = timeout.unwrap_or(gateway.config().request_timeout);
    let deadline = tokio::time::Instant::now() + timeout;
    // Serialising the messages to size them is the dearest step here: done once per call.
    let prompt_tokens = prompt_tokens(&payload);
    let estimate = worst_case_cost(gateway, &resolved.draft.models, &payload, prompt_tokens);
    let reservation = match resolved
        .daily_cap
        .filter(|_| gateway.config().cost_limiting)
    {
        Some(cap) => {
            // Waiting for other calls' holds may use at most a quarter of this call's time.
            let wait_until = tokio::time::Instant::now() + timeout / 4;
            match gateway
                .limits()
                .reserve(resolved.limit_id(), cap, estimate, now, wait_until)
                .await?
            {
                Ok(reservation) => Some(reservation),
                Err(rejection) => {
                    let (spent, held) = match rejection {
                        Rejection::BudgetExceeded { spent, held } => (spent, held),
                        Rejection::RateLimited { .. } => (NanoUsd::ZERO, false),
                    };
                    let error = Error::BudgetExceeded {
                        slug: resolved.slug.clone(),
                        spent,
                        cap,
                        estimate,
                        held,
                    };
                    return Err(refused.record("budget_exceeded", error).await);
                }
            }
        }
        None => None,
    };
    let turn = match (claimed, message) {
        (Some(claim), Some(message)) => Some(claim.into_turn(message, ttl.unwrap_or_default())),
        (None, Some(message)) => {
            let ttl = ttl.unwrap_or_default();
            let busy_until = now.saturating_add(hold_ms(gateway, Some(timeout)));
            let thread =
                start_thread(gateway, &resolved, &caller, ttl, Some(busy_until), now).await?;
            Some(ThreadTurn {
                id: thread.id,
                user_message: message,
                ttl_minutes: ttl,
            })
        }
        _ => None,
    };
    let mut record = refused.record;
    record.conversation_id = turn.as_ref().map(|t| t.id.clone());
    record.exchange = resolved
        .capture_days
        .map(|days| Exchange::of_request(&payload, record.created_at_ms, days));
    let in_flight = InFlight {
        gateway: gateway.clone(),
        record,
        reservation,
        estimate,
        prompt_tokens,
        primary,
        started,
        limit_id: resolved.limit_id(),
        turn,
    };
    match delivery {
        Delivery::Whole => whole(in_flight, payload, deadline).await,
        Delivery::Streamed => streaming(in_flight, payload, deadline).await,
    }
}

/// A claimed turn of a named thread; released again when the call does not go ahead.
struct Claim {
    gateway: Gateway,
    id: String,
    kept: bool,
}

impl Claim {
    fn new(gateway: &Gateway, id: String) -> Self {
        Self {
            gateway: gateway.clone(),
            id,
            kept: false,
        }
    }

    fn into_turn(mut self, user_message: String, ttl_minutes: u32) -> ThreadTurn {
        self.kept = true;
        ThreadTurn {
            id: std::mem::take(&mut self.id),
            user_message,
            ttl_minutes,
        }
    }
}

impl Drop for Claim {
    /// A call refused after its claim frees the thread at once instead of leaving it locked
    /// until the claim lapses. `Drop` cannot wait, so a tracked task runs the release.
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let (gateway, id) = (self.gateway.clone(), std::mem::take(&mut self.id));
        self.gateway.spawn(async move {
            if let Err(e) = conversations::release_turn(gateway.store(), &id).await {
                tracing::warn!(error = %e, "releasing a conversation turn");
            }
        });
    }
}

async fn start_thread(
    gateway: &Gateway,
    resolved: &Resolved,
    caller: &Caller,
    ttl: u32,
    busy_until: Option<i64>,
    now: i64,
) -> Result<Conversation> {
    conversations::start(
        gateway.store(),
        resolved.limit_id(),
        caller.kind.as_str(),
        caller.id.as_deref(),
        ttl,
        busy_until,
        now,
    )
    .await
}

/// How long a claimed turn stays locked: the call's deadline and a margin.
fn hold_ms(gateway: &Gateway, timeout: Option<Duration>) -> i64 {
    i64::try_from(
        timeout
            .unwrap_or(gateway.config().request_timeout)
            .as_millis(),
    )
    .unwrap_or(i64::MAX)
    .saturating_add(5_000)
}

/// A call refused before it reached the model: its row, with the reason.
struct Refusal<'a> {
    gateway: &'a Gateway,
    started: Instant,
    record: InvocationRecord,
}

impl Refusal<'_> {
    async fn record(self, class: &str, error: Error) -> Error {
        let mut record = self.record;
        record.error_class = Some(class.to_owned());
        record.error_message = Some(match &error {
            Error::Invalid(errors) => errors.summary(),
            other => other.to_string(),
        });
        record.latency_ms = elapsed_ms(self.started);
        self.gateway.telemetry().record(record).await;
        error
    }
}

const NUL_MESSAGE: &str = "Must not contain NUL characters (\\u0000).";

/// Refuses NUL characters anywhere in the caller's input: no model needs them, and neither
/// database can store them.
fn refuse_nul(
    args: &Map<String, Value>,
    messages: &[ChatMessage],
    options: &Map<String, Value>,
    turn: &Turn,
) -> std::result::Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    nul_in_object("args", args, &mut errors);
    nul_in_object("options", options, &mut errors);
    if let Ok(messages) = serde_json::to_value(messages)
        && holds_nul(&messages)
    {
        nul_in_value("messages", &messages, &mut errors);
    }
    if let Turn::Continue { message, .. } = turn
        && message.contains('\0')
    {
        errors.add("message", NUL_MESSAGE);
    }
    errors.into_result(())
}

fn nul_in_object(path: &str, object: &Map<String, Value>, errors: &mut FieldErrors) {
    for (key, value) in object {
        // The field's name is built only for a value that holds a NUL: this runs on every call.
        if !key.contains('\0') && !holds_nul(value) {
            continue;
        }
        let field = format!("{path}.{}", crate::store::storable(key));
        if key.contains('\0') {
            errors.add(
                field.clone(),
                "The name must not contain NUL characters (\\u0000).",
            );
        }
        nul_in_value(&field, value, errors);
    }
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(object) => object
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

fn nul_in_value(path: &str, value: &Value, errors: &mut FieldErrors) {
    match value {
        Value::String(text) if text.contains('\0') => errors.add(path.to_owned(), NUL_MESSAGE),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if holds_nul(item) {
                    nul_in_value(&format!("{path}.{i}"), item, errors);
                }
            }
        }
        Value::Object(object) => nul_in_object(path, object, errors),
        _ => {}
    }
}

/// Characters of history that fit the primary model's context next to the prompt, the new
/// message and the answer (about four characters a token).
fn history_budget_chars(gateway: &Gateway, resolved: &Resolved, message: &str) -> usize {
    const DEFAULT_CONTEXT_TOKENS: u64 = 32_768;
    let catalog = gateway.catalog().current();
    let model = resolved
        .draft
        .models
        .first()
        .and_then(|id| catalog.find(id));
    let context = model
        .and_then(|m| m.context_length)
        .unwrap_or(DEFAULT_CONTEXT_TOKENS);
    let answer = resolved
        .draft
        .default_params
        .get("max_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(u64::from(gateway.config().max_tokens_ceiling));
    let fixed_chars = resolved.prompt.template().len() + message.len();
    let available_tokens = context.saturating_sub(answer);
    usize::try_from(available_tokens.saturating_mul(4))
        .unwrap_or(usize::MAX)
        .saturating_sub(fixed_chars)
}

/// The rendered prompt leads; without caller messages it is the request itself (a user message,
/// because models need one), with them it becomes the system message.
fn compose_messages(rendered: String, extra: &[ChatMessage]) -> Vec<Value> {
    if extra.is_empty() {
        return vec![json!({ "role": "user", "content": rendered })];
    }
    std::iter::once(json!({ "role": "system", "content": rendered }))
        .chain(extra.iter().filter_map(|m| serde_json::to_value(m).ok()))
        .collect()
}

/// The prompt's size in tokens, at about three characters a token (generous on purpose: it
/// feeds the worst case).
fn prompt_tokens(payload: &Value) -> u64 {
    let prompt_chars: usize = payload["messages"].as_array().map_or(0, |messages| {
        messages.iter().map(|m| m.to_string().len()).sum()
    });
    (prompt_chars / 3 + 16) as u64
}

/// The most any of the integration's models could charge for this payload: the prompt at about
/// three characters a token, the completion at its `max_tokens` (or the model's limit).
fn worst_case_cost(
    gateway: &Gateway,
    models: &[String],
    payload: &Value,
    prompt_tokens: u64,
) -> NanoUsd {
    let ceiling = u64::from(gateway.config().max_tokens_ceiling);
    let requested = payload.get("max_tokens").and_then(Value::as_u64);
    let catalog = gateway.catalog().current();
    models
        .iter()
        .map(|id| {
            let model = catalog.find(id);
            let completion = requested
                .or_else(|| model.and_then(|m| m.max_completion_tokens))
                .unwrap_or(ceiling)
                .min(ceiling);
            model
                .and_then(|m| crate::catalog::estimate_cost(m, prompt_tokens, completion))
                .unwrap_or(gateway.config().unknown_price_estimate)
        })
        .max()
        .unwrap_or(gateway.config().unknown_price_estimate)
}

/// The turn of a thread a call belongs to, stored when the call ends.
struct ThreadTurn {
    id: String,
    user_message: String,
    ttl_minutes: u32,
}

/// A call that passed its checks. It lives in the task doing the upstream work, not with the
/// caller, and each way of ending consumes it: exactly one settlement, exactly one row.
struct InFlight {
    gateway: Gateway,
    record: InvocationRecord,
    reservation: Option<Reservation>,
    /// The worst case held against the cap: what a success of unknown price is charged.
    estimate: NanoUsd,
    prompt_tokens: u64,
    primary: String,
    started: Instant,
    limit_id: i64,
    turn: Option<ThreadTurn>,
}

/// A whole answer: the upstream work runs in the caller's task while the caller waits, and
/// moves to a tracked task of its own if the caller stops waiting (see [`Detachable`]), so it
/// finishes and records either way.
async fn whole(
    in_flight: InFlight,
    payload: Value,
    deadline: tokio::time::Instant,
) -> Result<Outcome> {
    let gateway = in_flight.gateway.clone();
    let work = async move {
        let upstream_started = Instant::now();
        let outcome = in_flight.gateway.upstream().chat(&payload, deadline).await;
        let mut in_flight = in_flight;
        in_flight.record.upstream_ms = Some(elapsed_ms(upstream_started));
        match outcome {
            Ok(completion) => Ok(in_flight.succeed(completion, false).await),
            Err(error) => Err(in_flight.fail(error).await),
        }
    };
    Detachable::new(gateway, work)
        .await
        .map(|r| Outcome::Done(Box::new(r)))
}

/// Work that runs inside whoever awaits it, and is handed to a tracked task of its own when
/// that awaiter is dropped before it finished. The common case pays no spawn and no hop to
/// another thread; a dropped caller does not drop the work.
struct Detachable<T: Send + 'static> {
    gateway: Gateway,
    work: Option<Pin<Box<dyn Future<Output = T> + Send>>>,
}

impl<T: Send + 'static> Detachable<T> {
    fn new(gateway: Gateway, work: impl Future<Output = T> + Send + 'static) -> Self {
        Self {
            gateway,
            work: Some(Box::pin(work)),
        }
    }
}

impl<T: Send + 'static> Future for Detachable<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<T> {
        let this = self.get_mut();
        // Polled again after it finished: nothing more will come.
        let Some(work) = this.work.as_mut() else {
            return std::task::Poll::Pending;
        };
        let output = std::task::ready!(work.as_mut().poll(cx));
        this.work = None;
        std::task::Poll::Ready(output)
    }
}

impl<T: Send + 'static> Drop for Detachable<T> {
    fn drop(&mut self) {
        if let Some(work) = self.work.take() {
            self.gateway.spawn(async move {
                work.await;
            });
        }
    }
}

/// Deltas waiting for a slow reader before the upstream is read further.
const STREAM_BUFFER: usize = 32;

/// A streamed answer: the task reads OpenRouter and forwards the deltas; a caller that stops
/// reading cancels the upstream request, and the task records what was generated until then.
async fn streaming(
    in_flight: InFlight,
    payload: Value,
    deadline: tokio::time::Instant,
) -> Result<Outcome> {
    let (opened, open_result) = oneshot::channel::<Result<Option<String>>>();
    let (items, received) = mpsc::channel::<Result<StreamItem>>(STREAM_BUFFER);
    let gateway = in_flight.gateway.clone();
    gateway.spawn(async move {
        let upstream = match in_flight
            .gateway
            .upstream()
            .open_stream(&payload, deadline)
            .await
        {
            Ok(upstream) => upstream,
            Err(error) => {
                let error = in_flight.fail(error).await;
                let _ = opened.send(Err(error));
                return;
            }
        };
        let _ = opened.send(Ok(upstream.generation_id.clone()));
        pump(in_flight, upstream, items).await;
    });
    let generation_id = match open_result.await {
        Ok(Ok(generation_id)) => generation_id,
        Ok(Err(error)) => return Err(error),
        Err(_) => return Err(Error::Internal("a call's task ended abnormally".to_owned())),
    };
    let stream = futures::stream::unfold(received, |mut received| async move {
        received.recv().await.map(|item| (item, received))
    });
    Ok(Outcome::Stream {
        items: Box::pin(stream),
        generation_id,
    })
}

/// Forwards the upstream's events until the answer ends or the reader goes away.
async fn pump(
    in_flight: InFlight,
    upstream: crate::upstream::OpenStream,
    items: mpsc::Sender<Result<StreamItem>>,
) {
    let crate::upstream::OpenStream {
        generation_id,
        events: mut upstream,
    } = upstream;
    let mut text_len = 0;
    loop {
        let event = tokio::select! {
            biased;
            () = items.closed() => None,
            event = upstream.next() => Some(event),
        };
        let event = match event {
            // The reader left: stop the generation before settling what it cost.
            None => {
                drop(upstream);
                in_flight.cancel(text_len, generation_id).await;
                return;
            }
            Some(event) => event,
        };
        match event {
            Some(Ok(StreamEvent::Delta { text })) => {
                if text.is_empty() {
                    continue;
                }
                text_len += text.len();
                if items.send(Ok(StreamItem::Delta(text))).await.is_err() {
                    drop(upstream);
                    in_flight.cancel(text_len, generation_id).await;
                    return;
                }
            }
            Some(Ok(StreamEvent::Reasoning { .. })) => {}
            Some(Ok(StreamEvent::Done(completion))) => {
                let result = in_flight.succeed(*completion, true).await;
                let _ = items.send(Ok(StreamItem::Done(Box::new(result)))).await;
                return;
            }
            Some(Err(error)) => {
                let error = in_flight.fail(error).await;
                let _ = items.send(Err(error)).await;
                return;
            }
            None => {
                let truncated = UpstreamError::Truncated {
                    partial_usage: None,
                    text_so_far_len: text_len,
                };
                let error = in_flight.fail(truncated).await;
                let _ = items.send(Err(error)).await;
                return;
            }
        }
    }
}

impl InFlight {
    async fn succeed(mut self, completion: Completion, streamed: bool) -> InvokeResult {
        let latency_ms = elapsed_ms(self.started);
        let model_used = completion
            .model
            .clone()
            .unwrap_or_else(|| self.primary.clone());
        // Unknown cost after a success: charge the worst case rather than under-count, and
        // write that same figure in the row, so that the counter and the rows agree.
        let cost = completion
            .usage
            .cost
            .or_else(|| {
                self.gateway
                    .catalog()
                    .current()
                    .find(&model_used)
                    .and_then(|m| {
                        crate::catalog::estimate_cost(
                            m,
                            completion.usage.prompt_tokens,
                            completion.usage.completion_tokens,
                        )
                    })
            })
            .unwrap_or(self.estimate);
        self.settle(cost).await;
        let status = if same_model(&model_used, &self.primary) {
            Status::Ok
        } else {
            Status::Fallback
        };
        let record = &mut self.record;
        record.status = status;
        record.model_used = Some(model_used.clone());
        record.attempts = completion.attempts;
        record.prompt_tokens = Some(completion.usage.prompt_tokens);
        record.completion_tokens = Some(completion.usage.completion_tokens);
        record.cached_tokens = Some(completion.usage.cached_tokens);
        record.reasoning_tokens = Some(completion.usage.reasoning_tokens);
        record.citation_count = Some(completion.citations.len() as u64);
        record.cost = Some(cost);
        record.latency_ms = latency_ms;
        record.generation_id = completion.generation_id.clone();
        record.finish_reason = completion.finish_reason.clone();
        record.streamed = streamed;
        if let Some(exchange) = record.exchange.as_mut() {
            exchange.answered(&completion.message);
        }
        let invocation_id = record.id;
        self.store_turn(Some((&completion.text, &invocation_id.to_string())))
            .await;
        let result = InvokeResult {
            slug: self.record.integration_slug.clone(),
            text: completion.text,
            tool_calls: completion.tool_calls,
            model_requested: self.primary.clone(),
            model_used,
            usage: completion.usage,
            cost: Some(cost),
            latency_ms,
            finish_reason: completion.finish_reason,
            citations: completion.citations,
            generation_id: completion.generation_id,
            invocation_id,
            conversation_id: self.turn.as_ref().map(|t| t.id.clone()),
            status,
            attempts: completion.attempts,
        };
        self.gateway.telemetry().record(self.record).await;
        result
    }

    /// An upstream failure: settled to what was billed (zero unless OpenRouter reported usage
    /// before failing), the rest of the hold released.
    async fn fail(mut self, error: UpstreamError) -> Error {
        let billed = error.partial_usage().and_then(|u| u.cost);
        self.settle(billed.unwrap_or(NanoUsd::ZERO)).await;
        self.store_turn(None).await;
        let record = &mut self.record;
        record.status = Status::Error;
        record.attempts = error.attempts().max(1);
        record.cost = billed;
        record.latency_ms = elapsed_ms(self.started);
        record.error_class = Some(error.class().to_owned());
        record.error_message = Some(error.to_string());
        self.gateway.telemetry().record(self.record).await;
        Error::Upstream(error)
    }

    /// The reader went away after `text_len` bytes of the answer: providers bill what they
    /// generated until the connection closed, so the call is charged the streamed text (about
    /// four characters a token) at the primary's price now, and corrected to OpenRouter's own
    /// figure once its generation record is readable.
    async fn cancel(mut self, text_len: usize, generation_id: Option<String>) {
        let completion_tokens = text_len.div_ceil(4) as u64;
        let estimate = self
            .gateway
            .catalog()
            .current()
            .find(&self.primary)
            .and_then(|m| crate::catalog::estimate_cost(m, self.prompt_tokens, completion_tokens))
            .unwrap_or(NanoUsd::ZERO);
        self.settle(estimate).await;
        self.store_turn(None).await;
        let error = UpstreamError::Cancelled;
        let record = &mut self.record;
        record.status = Status::Cancelled;
        record.attempts = 1;
        record.prompt_tokens = Some(self.prompt_tokens);
        record.completion_tokens = Some(completion_tokens);
        record.cost = Some(estimate);
        record.latency_ms = elapsed_ms(self.started);
        record.error_class = Some(error.class().to_owned());
        record.error_message = Some(error.to_string());
        record.generation_id = generation_id.clone();
        let (invocation_id, created_at_ms) = (record.id, record.created_at_ms);
        self.gateway.telemetry().record(self.record).await;
        if let Some(generation_id) = generation_id {
            let gateway = self.gateway.clone();
            let bill = Bill {
                invocation_id,
                limit_id: self.limit_id,
                created_at_ms,
                estimate,
                generation_id,
            };
            self.gateway.spawn(bill.reconcile(gateway));
        }
    }

    async fn settle(&mut self, amount: NanoUsd) {
        match self.reservation.take() {
            Some(reservation) => reservation.settle(amount).await,
            None => {
                self.gateway
                    .limits()
                    .record_spend(self.limit_id, amount, now_ms())
                    .await;
            }
        }
    }

    /// Stores the thread's turn: the user's message always (so a failed call loses nothing),
    /// the answer when there is one. The call was billed whatever happens here, so a database
    /// that refuses the turn is logged, and the caller still gets the answer.
    async fn store_turn(&self, answer: Option<(&str, &str)>) {
        let Some(turn) = &self.turn else {
            return;
        };
        if let Err(e) = conversations::finish_turn(
            self.gateway.store(),
            &turn.id,
            &turn.user_message,
            answer,
            turn.ttl_minutes,
            now_ms(),
        )
        .await
        {
            tracing::error!(error = %e, conversation = %turn.id, "storing a conversation turn failed");
        }
    }
}

/// How often and how long a cancelled call's bill is looked for: OpenRouter answers 404 for a
/// short while after a generation ends.
const BILL_FIRST_LOOK: Duration = Duration::from_millis(250);
const BILL_LOOKS: u32 = 8;

/// A cancelled call whose generation record is to be read.
struct Bill {
    invocation_id: uuid::Uuid,
    limit_id: i64,
    created_at_ms: i64,
    estimate: NanoUsd,
    generation_id: String,
}

impl Bill {
    /// Looks the generation up with growing pauses and, once found, corrects the row's cost and
    /// the day's spend from the estimate to the billed figure. Gives up at shutdown.
    async fn reconcile(self, gateway: Gateway) {
        let mut pause = BILL_FIRST_LOOK;
        for _ in 0..BILL_LOOKS {
            tokio::select! {
                () = gateway.stopping() => return,
                () = tokio::time::sleep(pause) => {}
            }
            pause *= 2;
            match gateway.upstream().billed(&self.generation_id).await {
                Ok(Some(billed)) => {
                    gateway
                        .telemetry()
                        .set_cost(self.invocation_id, billed.cost)
                        .await;
                    gateway
                        .limits()
                        .correct_spend(
                            self.limit_id,
                            self.created_at_ms,
                            self.estimate,
                            billed.cost,
                        )
                        .await;
                    return;
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(%error, generation = %self.generation_id, "reading a generation's bill");
                }
            }
        }
        tracing::warn!(
            generation = %self.generation_id,
            "OpenRouter has no bill for a cancelled call yet; its estimate stands"
        );
    }
}

/// Keeps the newest turns whose text fits in `budget_chars`; older turns are left out of the
/// request (they stay stored).
fn trim_history(
    mut history: Vec<conversations::Message>,
    budget_chars: usize,
) -> Vec<conversations::Message> {
    let mut used = 0;
    let keep_from = history
        .iter()
        .rposition(|m| {
            used += m.content.len();
            used > budget_chars
        })
        .map_or(0, |i| i + 1);
    history.drain(..keep_from);
    history
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Whether the answering model is the requested one, allowing for the dated or re-ordered forms
/// OpenRouter reports (`anthropic/claude-haiku-4.5` answers as `anthropic/claude-4.5-haiku-20251001`).
pub fn same_model(used: &str, requested: &str) -> bool {
    used.trim().is_empty() || canonical_model(used) == canonical_model(requested)
}

/// vendor/model → `vendor/` + sorted tokens of the model name, without variant suffix or date.
pub fn canonical_model(id: &str) -> String {
    let id = id.trim().to_lowercase();
    let id = id.split(':').next().unwrap_or_default();
    let (vendor, model) = id.split_once('/').unwrap_or(("", id));
    let model = match model.rsplit_once('-') {
        Some((head, tail))
            if (6..=8).contains(&tail.len()) && tail.bytes().all(|b| b.is_ascii_digit()) =>
        {
            head
        }
        _ => model,
    };
    let mut tokens: Vec<&str> = model
        .split(['.', '-', '_'])
        .filter(|t| !t.is_empty())
        .collect();
    tokens.sort_unstable();
    format!("{vendor}/{}", tokens.join("-"))
}

impl From<FieldErrors> for Error {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_and_reordered_model_ids_are_the_same_model() {
        assert!(same_model(
            "anthropic/claude-4.5-haiku-20251001",
            "anthropic/claude-haiku-4.5"
        ));
        assert!(same_model(
            "qwen/qwen3.5-35b-a3b-20260224",
            "qwen/qwen3.5-35b-a3b"
        ));
        assert!(same_model("openai/gpt-4o:free", "openai/gpt-4o"));
        assert!(same_model("", "openai/gpt-4o"));
        assert!(!same_model("openai/gpt-4o", "anthropic/claude-sonnet-4"));
        assert!(!same_model("openai/gpt-4o-mini", "openai/gpt-4o"));
    }

    #[test]
    fn history_keeps_the_newest_turns_that_fit() {
        let turn = |content: &str| conversations::Message {
            role: "user".into(),
            content: content.into(),
        };
        let history = vec![turn("aaaa"), turn("bbbb"), turn("cccc")];
        let kept: Vec<String> = trim_history(history.clone(), 9)
            .into_iter()
            .map(|m| m.content)
            .collect();
        assert_eq!(kept, ["bbbb", "cccc"]);
        assert_eq!(trim_history(history.clone(), 100).len(), 3);
        assert!(trim_history(history, 3).is_empty());
    }

    #[test]
    fn without_caller_messages_the_prompt_is_the_request() {
        let alone = compose_messages("Summarise X".into(), &[]);
        assert_eq!(
            alone,
            vec![json!({"role": "user", "content": "Summarise X"})]
        );
        let extra = [
            ChatMessage::text(Role::Developer, "Answer in French."),
            ChatMessage::user("hi"),
        ];
        let with = compose_messages("You are terse.".into(), &extra);
        // The caller's own instructions come after the integration's prompt.
        assert_eq!(
            with[0],
            json!({"role": "system", "content": "You are terse."})
        );
        assert_eq!(
            with[1],
            json!({"role": "developer", "content": "Answer in French."})
        );
        assert_eq!(with[2], json!({"role": "user", "content": "hi"}));
    }
}
