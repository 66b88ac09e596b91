//! The one invocation path. Every entry (public API, OpenAI-compatible API, console test, Rust
//! API) resolves the integration from the snapshot, counts the call against the rate limit,
//! validates and renders the prompt, reserves the worst-case cost against the daily cap, calls
//! OpenRouter, settles the reservation to the billed cost and records exactly one telemetry row.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use gateway_types::{FieldErrors, Integration, NanoUsd, VersionDraft};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::limits::{Rejection, Reservation, caller_key};
use crate::payload::{self, PayloadInput};
use crate::prompts::{Prompt, request_hash};
use crate::telemetry::{InvocationRecord, Status};
use crate::upstream::{Citation, Completion, StreamEvent, UpstreamError, Usage};
use crate::{Gateway, conversations, now_ms};

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
}

/// A message the caller adds after the rendered prompt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// One call of an integration.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    pub slug: String,
    pub args: Map<String, Value>,
    /// Extra messages after the rendered prompt; without any, the prompt itself is the request.
    pub messages: Vec<ChatMessage>,
    /// Generation options from the caller's allow-list (`max_tokens`, `temperature`, …).
    pub options: Map<String, Value>,
    pub caller: Caller,
    /// Deadline for the whole call, retries included; the deployment default when `None`.
    pub timeout: Option<Duration>,
}

impl InvokeRequest {
    pub fn new(slug: impl Into<String>, args: Map<String, Value>) -> Self {
        Self {
            slug: slug.into(),
            args,
            messages: Vec::new(),
            options: Map::new(),
            caller: Caller::internal(),
            timeout: None,
        }
    }
}

/// What a finished call returns.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeResult {
    pub text: String,
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

/// What a call runs against: a live integration with its active version, or (console test) a
/// draft that is not saved yet.
struct Target {
    integration: Integration,
    version_id: Option<i64>,
    draft: VersionDraft,
    prompt: Arc<Prompt>,
}

/// Everything decided before the upstream request.
struct Prepared {
    payload: Value,
    reservation: Option<Reservation>,
    record: InvocationRecord,
    primary: String,
    started: Instant,
    deadline: tokio::time::Instant,
    conversation: Option<Turn>,
}

/// The conversation turn a call belongs to.
struct Turn {
    id: String,
    user_message: String,
    ttl_minutes: u32,
}

/// Runs a call to completion.
pub async fn run(gateway: &Gateway, request: InvokeRequest) -> Result<InvokeResult> {
    let target = resolve(gateway, &request.slug)?;
    let prepared = prepare(gateway, target, &request, None, false).await?;
    finish(gateway, prepared).await
}

/// Runs a call with an unsaved draft of an integration (the console's test panel). The draft is
/// checked like a save would check it; limits and telemetry apply as for any call.
pub async fn run_draft(
    gateway: &Gateway,
    integration: Integration,
    draft: VersionDraft,
    request: InvokeRequest,
) -> Result<InvokeResult> {
    let prepared = prepare(
        gateway,
        draft_target(integration, draft)?,
        &request,
        None,
        false,
    )
    .await?;
    finish(gateway, prepared).await
}

/// [`run_draft`], streaming the answer as it arrives.
pub async fn stream_draft(
    gateway: &Gateway,
    integration: Integration,
    draft: VersionDraft,
    request: InvokeRequest,
) -> Result<InvokeStream> {
    let prepared = prepare(
        gateway,
        draft_target(integration, draft)?,
        &request,
        None,
        true,
    )
    .await?;
    start_stream(gateway, prepared).await
}

/// The console's test run, streamed: the form's unsaved draft, a saved version of the
/// integration, or else its active version, called as an admin test by `admin`. Returns the
/// integration's slug with the stream.
pub async fn stream_test(
    gateway: &Gateway,
    run: gateway_types::TestRun,
    admin: &str,
) -> Result<(String, InvokeStream)> {
    let live = gateway
        .snapshot()
        .integration_by_id(run.integration_id)
        .cloned()
        .ok_or(Error::NotFound("integration"))?;
    let mut draft = match (run.draft, run.version_id) {
        (Some(draft), _) => draft,
        (None, Some(version_id)) => {
            crate::versions::get_in(gateway.store(), run.integration_id, version_id)
                .await?
                .draft
        }
        (None, None) => live.version.draft.clone(),
    };
    if let Some(model) = run.model {
        draft.models = vec![model];
    }
    let slug = live.integration.fields.slug.clone();
    let message = run.message.filter(|m| !m.trim().is_empty());
    let request = InvokeRequest {
        messages: message
            .map(|content| ChatMessage {
                role: "user".to_owned(),
                content,
            })
            .into_iter()
            .collect(),
        caller: Caller {
            kind: CallerKind::AdminTest,
            id: Some(admin.to_owned()),
        },
        ..InvokeRequest::new(&slug, run.args)
    };
    let events = stream_draft(gateway, live.integration.clone(), draft, request).await?;
    Ok((slug, events))
}

fn draft_target(integration: Integration, draft: VersionDraft) -> Result<Target> {
    let prompt = crate::versions::check_draft(&draft).map_err(Error::Invalid)?;
    Ok(Target {
        integration,
        version_id: None,
        draft,
        prompt: Arc::new(prompt),
    })
}

/// Runs a call and streams the answer as it arrives; the last item carries the summary.
pub async fn stream(gateway: &Gateway, request: InvokeRequest) -> Result<InvokeStream> {
    let target = resolve(gateway, &request.slug)?;
    let prepared = prepare(gateway, target, &request, None, true).await?;
    start_stream(gateway, prepared).await
}

/// Starts a conversation with a conversational integration.
pub async fn start_conversation(
    gateway: &Gateway,
    slug: &str,
    caller: &Caller,
) -> Result<conversations::Conversation> {
    let target = resolve_conversational(gateway, slug)?;
    let ttl = ttl_minutes(gateway, &target.integration);
    conversations::start(
        gateway.store(),
        target.integration.id,
        caller.kind.as_str(),
        caller.id.as_deref(),
        ttl,
        now_ms(),
    )
    .await
}

/// One turn of a conversation: the prompt rendered fresh with this turn's args, the stored
/// history (trimmed to the model's context), and the new user message. The user message is
/// stored even when the model call fails.
pub async fn converse(
    gateway: &Gateway,
    conversation_id: Option<&str>,
    message: String,
    request: InvokeRequest,
    streamed: bool,
) -> Result<Either> {
    let target = resolve_conversational(gateway, &request.slug)?;
    let ttl = ttl_minutes(gateway, &target.integration);
    let caller = &request.caller;
    let now = now_ms();
    let hold_ms = i64::try_from(
        request
            .timeout
            .unwrap_or(gateway.config().request_timeout)
            .as_millis(),
    )
    .unwrap_or(i64::MAX)
    .saturating_add(5_000);
    let conversation = match conversation_id {
        Some(id) => {
            conversations::claim_turn(
                gateway.store(),
                id,
                target.integration.id,
                caller.kind.as_str(),
                caller.id.as_deref(),
                hold_ms,
                now,
            )
            .await?
        }
        None => {
            let started = conversations::start(
                gateway.store(),
                target.integration.id,
                caller.kind.as_str(),
                caller.id.as_deref(),
                ttl,
                now,
            )
            .await?;
            conversations::claim_turn(
                gateway.store(),
                &started.id,
                target.integration.id,
                caller.kind.as_str(),
                caller.id.as_deref(),
                hold_ms,
                now,
            )
            .await?
        }
    };
    let history = conversations::history(gateway.store(), &conversation.id).await?;
    let history = trim_history(history, history_budget_chars(gateway, &target, &message));
    let mut turn_request = request.clone();
    turn_request.messages = history
        .into_iter()
        .map(|m| ChatMessage {
            role: m.role,
            content: m.content,
        })
        .chain(std::iter::once(ChatMessage {
            role: "user".to_owned(),
            content: message.clone(),
        }))
        .collect();
    let turn = Turn {
        id: conversation.id.clone(),
        user_message: message,
        ttl_minutes: ttl,
    };
    let prepared = match prepare(gateway, target, &turn_request, Some(turn), streamed).await {
        Ok(prepared) => prepared,
        Err(e) => {
            // Nothing was sent: keep the thread as it was, just free it.
            conversations::release_turn(gateway.store(), &conversation.id).await?;
            return Err(e);
        }
    };
    if streamed {
        Ok(Either::Stream(start_stream(gateway, prepared).await?))
    } else {
        Ok(Either::Done(Box::new(finish(gateway, prepared).await?)))
    }
}

/// A conversation turn's outcome, streamed or whole.
pub enum Either {
    Done(Box<InvokeResult>),
    Stream(InvokeStream),
}

impl std::fmt::Debug for Either {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Done(result) => f.debug_tuple("Done").field(result).finish(),
            Self::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

/// Characters of history that fit the primary model's context next to the prompt, the new
/// message and the answer (about four characters a token).
fn history_budget_chars(gateway: &Gateway, target: &Target, message: &str) -> usize {
    const DEFAULT_CONTEXT_TOKENS: u64 = 32_768;
    let catalog = gateway.catalog().current();
    let model = target.draft.models.first().and_then(|id| catalog.find(id));
    let context = model
        .and_then(|m| m.context_length)
        .unwrap_or(DEFAULT_CONTEXT_TOKENS);
    let answer = target
        .draft
        .default_params
        .get("max_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(u64::from(gateway.config().max_tokens_ceiling));
    let fixed_chars = target.prompt.template().len() + message.len();
    let available_tokens = context.saturating_sub(answer);
    usize::try_from(available_tokens.saturating_mul(4))
        .unwrap_or(usize::MAX)
        .saturating_sub(fixed_chars)
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

fn resolve_conversational(gateway: &Gateway, slug: &str) -> Result<Target> {
    let target = resolve(gateway, slug)?;
    if target.integration.fields.conversational {
        Ok(target)
    } else {
        Err(Error::Conflict(FieldErrors::single(
            "integration",
            "This integration does not hold conversations.",
        )))
    }
}

/// The integration as the public API sees it: active and visible to the API, else "not found"
/// (internal integrations do not reveal that they exist).
pub fn resolve_for_api(
    gateway: &Gateway,
    slug: &str,
) -> Result<Arc<crate::snapshot::LiveIntegration>> {
    gateway
        .snapshot()
        .api_integration(slug)
        .cloned()
        .ok_or(Error::NotFound("integration"))
}

fn resolve(gateway: &Gateway, slug: &str) -> Result<Target> {
    let snapshot = gateway.snapshot();
    let live = snapshot
        .integration(slug)
        .filter(|live| live.integration.fields.active)
        .ok_or(Error::NotFound("integration"))?;
    let prompt = live.prompt.clone().map_err(Error::Invalid)?;
    Ok(Target {
        integration: live.integration.clone(),
        version_id: Some(live.version.id),
        draft: live.version.draft.clone(),
        prompt,
    })
}

fn ttl_minutes(gateway: &Gateway, integration: &Integration) -> u32 {
    integration
        .fields
        .conversation_ttl_minutes
        .unwrap_or(gateway.snapshot().settings.conversation_ttl_minutes)
}

/// Everything up to the upstream request. Each refusal records its row before it returns.
async fn prepare(
    gateway: &Gateway,
    target: Target,
    request: &InvokeRequest,
    turn: Option<Turn>,
    streamed: bool,
) -> Result<Prepared> {
    let started = Instant::now();
    let now = now_ms();
    let settings = gateway.snapshot().settings.clone();
    let fields = &target.integration.fields;
    let primary = target.draft.models.first().cloned().unwrap_or_default();
    let mut record = InvocationRecord::new(
        &fields.slug,
        request.caller.kind.as_str(),
        request.caller.id.as_deref(),
        now,
    );
    record.integration_id = Some(target.integration.id);
    record.version_id = target.version_id;
    record.model_requested = Some(primary.clone()).filter(|m| !m.is_empty());
    record.conversation_id = turn.as_ref().map(|t| t.id.clone());
    record.streamed = streamed;
    record.request_hash = Some(request_hash(target.prompt.template(), &request.args));

    // The rate limit comes first so that floods of invalid calls are limited too.
    if let Some(limit) = fields
        .rate_limit_per_minute
        .or(settings.default_rate_limit_per_minute)
    {
        let key = caller_key(request.caller.kind.as_str(), request.caller.id.as_deref());
        if let Some(Rejection::RateLimited { retry_after_secs }) = gateway
            .limits()
            .take_rate(target.integration.id, &key, limit, now)
            .await?
        {
            let error = Error::RateLimited {
                slug: fields.slug.clone(),
                limit,
                retry_after_secs,
            };
            return Err(reject(gateway, record, "rate_limited", error, started).await);
        }
    }

    let rendered = match target.prompt.render(&request.args) {
        Ok(text) => text,
        Err(errors) => {
            return Err(reject(
                gateway,
                record,
                "invalid_args",
                Error::Invalid(errors),
                started,
            )
            .await);
        }
    };
    let messages = compose_messages(rendered, &request.messages);
    let primary_caching = crate::catalog::caching_mode(&primary);
    let payload = match payload::compose(&PayloadInput {
        version: &target.draft,
        messages,
        caller_options: &request.options,
        primary_caching,
        max_tokens_ceiling: gateway.config().max_tokens_ceiling,
        stream: streamed,
    }) {
        Ok(payload) => payload,
        Err(errors) => {
            return Err(reject(
                gateway,
                record,
                "invalid_options",
                Error::Invalid(errors),
                started,
            )
            .await);
        }
    };

    let timeout = request.timeout.unwrap_or(gateway.config().request_timeout);
    let deadline = tokio::time::Instant::now() + timeout;
    let reservation = match fields.daily_cap.or(settings.default_daily_cap) {
        Some(cap) => {
            let estimate = worst_case_cost(gateway, &target.draft.models, &payload);
            // Waiting for other calls' holds may use at most a quarter of this call's time.
            let wait_until = tokio::time::Instant::now() + timeout / 4;
            match gateway
                .limits()
                .reserve(target.integration.id, cap, estimate, now, wait_until)
                .await?
            {
                Ok(reservation) => Some(reservation),
                Err(rejection) => {
                    let spent = match rejection {
                        Rejection::BudgetExceeded { spent } => spent,
                        Rejection::RateLimited { .. } => NanoUsd::ZERO,
                    };
                    let error = Error::BudgetExceeded {
                        slug: fields.slug.clone(),
                        spent,
                        cap,
                    };
                    return Err(reject(gateway, record, "budget_exceeded", error, started).await);
                }
            }
        }
        None => None,
    };
    Ok(Prepared {
        payload,
        reservation,
        record,
        primary,
        started,
        deadline,
        conversation: turn,
    })
}

/// The rendered prompt leads; without caller messages it is the request itself (a user message,
/// because models need one), with them it becomes the system message.
fn compose_messages(rendered: String, extra: &[ChatMessage]) -> Vec<Value> {
    if extra.is_empty() {
        return vec![json!({ "role": "user", "content": rendered })];
    }
    std::iter::once(json!({ "role": "system", "content": rendered }))
        .chain(
            extra
                .iter()
                .map(|m| json!({ "role": m.role, "content": m.content })),
        )
        .collect()
}

/// The most any of the integration's models could charge for this payload: the prompt at about
/// three characters a token, the completion at its `max_tokens` (or the model's limit).
fn worst_case_cost(gateway: &Gateway, models: &[String], payload: &Value) -> NanoUsd {
    let prompt_chars: usize = payload["messages"].as_array().map_or(0, |messages| {
        messages.iter().map(|m| m.to_string().len()).sum()
    });
    let prompt_tokens = (prompt_chars / 3 + 16) as u64;
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

/// Records a refused call's row and hands back the error.
async fn reject(
    gateway: &Gateway,
    mut record: InvocationRecord,
    class: &str,
    error: Error,
    started: Instant,
) -> Error {
    record.error_class = Some(class.to_owned());
    record.error_message = Some(match &error {
        Error::Invalid(errors) => errors.summary(),
        other => other.to_string(),
    });
    record.latency_ms = elapsed_ms(started);
    gateway.telemetry().record(record).await;
    error
}

async fn finish(gateway: &Gateway, mut prepared: Prepared) -> Result<InvokeResult> {
    let upstream_started = Instant::now();
    let outcome = gateway
        .upstream()
        .chat(&prepared.payload, prepared.deadline)
        .await;
    prepared.record.upstream_ms = Some(elapsed_ms(upstream_started));
    match outcome {
        Ok(completion) => succeed(gateway, prepared, completion, false).await,
        Err(error) => Err(fail(gateway, prepared, error, None).await),
    }
}

async fn start_stream(gateway: &Gateway, prepared: Prepared) -> Result<InvokeStream> {
    let upstream = match gateway
        .upstream()
        .chat_stream(&prepared.payload, prepared.deadline)
        .await
    {
        Ok(stream) => stream,
        Err(error) => return Err(fail(gateway, prepared, error, None).await),
    };
    let state = StreamState {
        gateway: gateway.clone(),
        prepared: Some(prepared),
        upstream,
        text_len: 0,
    };
    Ok(Box::pin(
        futures::stream::unfold(state, |mut state| async move {
            let prepared = state.prepared.take()?;
            match state.upstream.next().await {
                Some(Ok(StreamEvent::Delta { text })) => {
                    state.text_len += text.len();
                    state.prepared = Some(prepared);
                    Some((Ok(StreamItem::Delta(text)), state))
                }
                Some(Ok(StreamEvent::Done(completion))) => {
                    let item = succeed(&state.gateway, prepared, *completion, true)
                        .await
                        .map(|r| StreamItem::Done(Box::new(r)));
                    Some((item, state))
                }
                Some(Ok(_)) => {
                    state.prepared = Some(prepared);
                    Some((Ok(StreamItem::Delta(String::new())), state))
                }
                Some(Err(error)) => {
                    let error = fail(&state.gateway, prepared, error, None).await;
                    Some((Err(error), state))
                }
                None => {
                    let error = fail(
                        &state.gateway,
                        prepared,
                        UpstreamError::Truncated {
                            partial_usage: None,
                            text_so_far_len: state.text_len,
                        },
                        None,
                    )
                    .await;
                    Some((Err(error), state))
                }
            }
        })
        .filter(|item| {
            futures::future::ready(!matches!(item, Ok(StreamItem::Delta(text)) if text.is_empty()))
        }),
    ))
}

/// The state of a streamed call; dropping it before the end (the client went away) still
/// settles the reservation and records the row, with what was consumed so far.
struct StreamState {
    gateway: Gateway,
    prepared: Option<Prepared>,
    upstream: crate::upstream::ChatStream,
    text_len: usize,
}

impl Drop for StreamState {
    fn drop(&mut self) {
        let Some(mut prepared) = self.prepared.take() else {
            return;
        };
        let gateway = self.gateway.clone();
        let text_len = self.text_len;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // Providers bill what they generated before the connection closed: count the
                // streamed text at about four characters a token at the primary's price.
                let completion_tokens = (text_len / 4) as u64;
                let estimate = gateway
                    .catalog()
                    .current()
                    .find(&prepared.primary)
                    .and_then(|m| crate::catalog::estimate_cost(m, 0, completion_tokens));
                prepared.record.completion_tokens = Some(completion_tokens);
                prepared.record.cost = estimate;
                let _ = fail(&gateway, prepared, UpstreamError::Cancelled, estimate).await;
            });
        }
    }
}

async fn succeed(
    gateway: &Gateway,
    mut prepared: Prepared,
    completion: Completion,
    streamed: bool,
) -> Result<InvokeResult> {
    let latency_ms = elapsed_ms(prepared.started);
    let model_used = completion
        .model
        .clone()
        .unwrap_or_else(|| prepared.primary.clone());
    let cost = completion.usage.cost.or_else(|| {
        gateway.catalog().current().find(&model_used).and_then(|m| {
            crate::catalog::estimate_cost(
                m,
                completion.usage.prompt_tokens,
                completion.usage.completion_tokens,
            )
        })
    });
    settle(gateway, &mut prepared, cost).await;
    let status = if same_model(&model_used, &prepared.primary) {
        Status::Ok
    } else {
        Status::Fallback
    };
    let record = &mut prepared.record;
    record.status = status;
    record.model_used = Some(model_used.clone());
    record.attempts = completion.attempts;
    record.prompt_tokens = Some(completion.usage.prompt_tokens);
    record.completion_tokens = Some(completion.usage.completion_tokens);
    record.cached_tokens = Some(completion.usage.cached_tokens);
    record.reasoning_tokens = Some(completion.usage.reasoning_tokens);
    record.citation_count = Some(completion.citations.len() as u64);
    record.cost = cost;
    record.latency_ms = latency_ms;
    record.generation_id = completion.generation_id.clone();
    record.finish_reason = completion.finish_reason.clone();
    record.streamed = streamed;
    let invocation_id = record.id;
    if let Some(turn) = &prepared.conversation {
        let id = invocation_id.to_string();
        crate::conversations::finish_turn(
            gateway.store(),
            &turn.id,
            &turn.user_message,
            Some((&completion.text, &id)),
            turn.ttl_minutes,
            now_ms(),
        )
        .await?;
    }
    let result = InvokeResult {
        text: completion.text,
        model_requested: prepared.primary.clone(),
        model_used,
        usage: completion.usage,
        cost,
        latency_ms,
        finish_reason: completion.finish_reason,
        citations: completion.citations,
        generation_id: completion.generation_id,
        invocation_id,
        conversation_id: prepared.conversation.as_ref().map(|t| t.id.clone()),
        status,
        attempts: completion.attempts,
    };
    gateway.telemetry().record(prepared.record).await;
    Ok(result)
}

/// Settles, records and converts an upstream failure.
async fn fail(
    gateway: &Gateway,
    mut prepared: Prepared,
    error: UpstreamError,
    billed: Option<NanoUsd>,
) -> Error {
    let billed = billed.or_else(|| error.partial_usage().and_then(|u| u.cost));
    settle(gateway, &mut prepared, billed).await;
    if let Some(turn) = &prepared.conversation
        && let Err(e) = crate::conversations::finish_turn(
            gateway.store(),
            &turn.id,
            &turn.user_message,
            None,
            turn.ttl_minutes,
            now_ms(),
        )
        .await
    {
        tracing::warn!(error = %e, "storing the user turn of a failed call");
    }
    let record = &mut prepared.record;
    record.status = Status::Error;
    record.attempts = error.attempts().max(1);
    record.cost = billed;
    record.latency_ms = elapsed_ms(prepared.started);
    record.error_class = Some(error.class().to_owned());
    record.error_message = Some(error.to_string());
    gateway.telemetry().record(prepared.record).await;
    Error::Upstream(error)
}

async fn settle(gateway: &Gateway, prepared: &mut Prepared, billed: Option<NanoUsd>) {
    let integration_id = prepared.record.integration_id.unwrap_or_default();
    let outcome = match prepared.reservation.take() {
        // Unknown cost after a success: keep the worst case rather than under-count.
        Some(reservation) => {
            let amount = billed.unwrap_or(reservation.amount());
            reservation.settle(amount).await
        }
        None => {
            gateway
                .limits()
                .record_spend(integration_id, billed.unwrap_or_default(), now_ms())
                .await
        }
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "settling a call's spend");
    }
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
        let extra = [ChatMessage {
            role: "user".into(),
            content: "hi".into(),
        }];
        let with = compose_messages("You are terse.".into(), &extra);
        assert_eq!(with[0]["role"], "system");
        assert_eq!(with[1], json!({"role": "user", "content": "hi"}));
    }
}
