//! API keys and accounting: authentication, the in-memory ledger of generations and spend, and the
//! `/key`, `/credits` and `/generation` endpoints.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Json,
    extract::{FromRequestParts, Query, State},
    http::{StatusCode, header::AUTHORIZATION, request::Parts},
};
use serde_json::{Map, Value, json};

use crate::{
    AppState,
    answer::{Answer, ResponseMeta},
    catalog::Money,
    error::{self, ApiError},
};

/// The one key the simulator treats as revoked.
const REVOKED_KEY: &str = "sk-or-v1-revoked";
/// Credits every simulated account has bought.
const TOTAL_CREDITS: u32 = 100;

/// The bearer key of an authenticated request.
pub(crate) struct ApiKey(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .ok_or(ApiError::fixture(StatusCode::UNAUTHORIZED, error::NO_AUTH))?;
        if key == REVOKED_KEY {
            return Err(ApiError::fixture(
                StatusCode::UNAUTHORIZED,
                error::USER_NOT_FOUND,
            ));
        }
        Ok(Self(key.to_owned()))
    }
}

/// A completed generation as `/generation` reports it.
#[derive(Clone, Debug)]
pub(crate) struct GenerationRecord {
    pub(crate) meta: ResponseMeta,
    pub(crate) answer: Answer,
    pub(crate) streamed: bool,
    pub(crate) created_at: SystemTime,
    /// Time to the first token.
    pub(crate) latency: Duration,
    pub(crate) generation_time: Duration,
    /// The request's `user`.
    pub(crate) external_user: Option<String>,
    pub(crate) session_id: Option<String>,
    /// The client closed a streamed response before `[DONE]`.
    pub(crate) cancelled: bool,
}

impl GenerationRecord {
    fn to_json(&self) -> Value {
        let usage = self.answer.usage;
        let cost = usage.cost().usd();
        // A cancelled stream never got as far as a finish reason, so none is reported (the field
        // is nullable) rather than one that would blame the provider.
        let finish: Value = if self.cancelled {
            Value::Null
        } else {
            self.answer.finish.as_str().into()
        };
        let millis = |duration: Duration| u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let fields: [(&str, Value); 44] = [
            ("id", self.meta.id.clone().into()),
            ("upstream_id", Value::Null),
            ("model", self.meta.model.clone().into()),
            ("provider_name", self.meta.provider.clone().into()),
            ("total_cost", cost.into()),
            ("usage", cost.into()),
            ("upstream_inference_cost", 0.into()),
            ("cache_discount", Value::Null),
            ("is_byok", false.into()),
            ("created_at", iso8601(self.created_at).into()),
            ("streamed", self.streamed.into()),
            ("cancelled", self.cancelled.into()),
            ("latency", millis(self.latency).into()),
            ("generation_time", millis(self.generation_time).into()),
            ("moderation_latency", Value::Null),
            ("tokens_prompt", usage.prompt_tokens.into()),
            ("tokens_completion", usage.completion_tokens.into()),
            ("native_tokens_prompt", usage.prompt_tokens.into()),
            ("native_tokens_completion", usage.completion_tokens.into()),
            ("native_tokens_completion_images", 0.into()),
            ("native_tokens_reasoning", 0.into()),
            ("native_tokens_cached", 0.into()),
            ("num_media_prompt", 0.into()),
            ("num_media_completion", 0.into()),
            ("num_input_audio_prompt", 0.into()),
            ("num_search_results", 0.into()),
            ("num_fetches", 0.into()),
            ("finish_reason", finish.clone()),
            ("native_finish_reason", finish),
            ("origin", "".into()),
            ("http_referer", Value::Null),
            ("user_agent", Value::Null),
            ("app_id", Value::Null),
            ("external_user", self.external_user.clone().into()),
            ("api_type", "completions".into()),
            ("router", Value::Null),
            ("preset_id", Value::Null),
            ("session_id", self.session_id.clone().into()),
            ("request_id", Value::Null),
            ("service_tier", Value::Null),
            ("web_search_engine", Value::Null),
            ("data_region", "global".into()),
            ("workspace_id", Value::Null),
            ("provider_responses", Value::Null),
        ];
        let data: Map<String, Value> = fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        json!({ "data": data })
    }
}

/// Everything the simulator remembers between requests.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    books: Mutex<Books>,
}

#[derive(Debug, Default)]
struct Books {
    generations: HashMap<String, GenerationRecord>,
    spend_by_key: HashMap<String, Money>,
}

impl Ledger {
    fn books(&self) -> MutexGuard<'_, Books> {
        // The books stay consistent even if a holder panicked: every update is a single insert.
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, key: &str, record: GenerationRecord) {
        let mut books = self.books();
        let spend = books.spend_by_key.entry(key.to_owned()).or_default();
        *spend = *spend + record.answer.usage.cost();
        books.generations.insert(record.meta.id.clone(), record);
    }

    fn spend_of(&self, key: &str) -> Money {
        self.books()
            .spend_by_key
            .get(key)
            .copied()
            .unwrap_or_default()
    }

    fn total_spend(&self) -> Money {
        self.books()
            .spend_by_key
            .values()
            .fold(Money::default(), |total, spend| total + *spend)
    }
}

/// A generation that is booked once its answer has been delivered in full, or, for a stream the
/// client abandoned, for the part that was delivered.
#[derive(Debug)]
pub(crate) struct Settlement {
    pub(crate) ledger: Arc<Ledger>,
    pub(crate) key: String,
    pub(crate) record: GenerationRecord,
    /// When the request arrived, to measure the generation time.
    pub(crate) started: Instant,
}

impl Settlement {
    pub(crate) fn settle(mut self) {
        self.record.generation_time = self.started.elapsed();
        self.ledger.record(&self.key, self.record);
    }

    /// Books a streamed generation whose client went away after `pieces_sent` content deltas, the
    /// way OpenRouter bills an abandoned stream: prompt tokens plus what was generated so far.
    pub(crate) fn cancel(mut self, pieces_sent: usize) {
        self.record.answer = self.record.answer.cancelled_after(pieces_sent);
        self.record.cancelled = true;
        self.settle();
    }
}

/// `GET /key` and `GET /auth/key`: the caller's key and what it has spent.
pub(crate) async fn key(State(state): State<AppState>, ApiKey(key): ApiKey) -> Json<Value> {
    let usage = state.ledger.spend_of(&key).usd();
    Json(json!({"data": {
        "label": mask(&key),
        "limit": null,
        "limit_reset": null,
        "limit_remaining": null,
        "include_byok_in_limit": false,
        "usage": usage,
        "usage_daily": usage,
        "usage_weekly": usage,
        "usage_monthly": usage,
        "byok_usage": 0,
        "byok_usage_daily": 0,
        "byok_usage_weekly": 0,
        "byok_usage_monthly": 0,
        "is_free_tier": false,
        "is_management_key": false,
        "is_provisioning_key": false,
        "creator_user_id": "user_simulator",
        "expires_at": null,
        "rate_limit": {
            "requests": 1000,
            "interval": "1h",
            "note": "This field is deprecated and safe to ignore."
        }
    }}))
}

/// `GET /credits`: the account's credits and the spend of all its keys.
pub(crate) async fn credits(State(state): State<AppState>, _key: ApiKey) -> Json<Value> {
    Json(json!({"data": {
        "total_credits": TOTAL_CREDITS,
        "total_usage": state.ledger.total_spend().usd()
    }}))
}

/// `GET /generation?id=gen-...`: the statistics of one completed generation.
pub(crate) async fn generation(
    State(state): State<AppState>,
    _key: ApiKey,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let id = query
        .get("id")
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "Missing required parameter: id"))?;
    state
        .ledger
        .books()
        .generations
        .get(id)
        .map(|record| Json(record.to_json()))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("Generation {id} not found")))
}

/// Keys are shown like OpenRouter's labels: `sk-or-v1-0fa...240`.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() > 15 {
        let head: String = chars[..12].iter().collect();
        let tail: String = chars[chars.len() - 3..].iter().collect();
        format!("{head}...{tail}")
    } else {
        let head: String = chars.iter().take(3).collect();
        format!("{head}...")
    }
}

/// `2024-07-15T23:33:19.433273+00:00`, the format of OpenRouter's `created_at`.
fn iso8601(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_date(seconds / 86_400);
    let second_of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        since_epoch.subsec_micros()
    )
}

/// Year, month and day of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days_since_epoch: u64) -> (u64, u64, u64) {
    let days = days_since_epoch + 719_468;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_like_openrouter_created_at() {
        let time = UNIX_EPOCH + Duration::from_micros(1_721_086_399_433_273);
        assert_eq!(iso8601(time), "2024-07-15T23:33:19.433273+00:00");
    }

    #[test]
    fn leap_days_and_year_ends_format_correctly() {
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(iso8601(leap_day), "2000-02-29T00:00:00.000000+00:00");
        let new_year = UNIX_EPOCH + Duration::from_secs(1_704_067_199);
        assert_eq!(iso8601(new_year), "2023-12-31T23:59:59.000000+00:00");
    }

    #[test]
    fn long_keys_are_masked_like_openrouter_labels() {
        assert_eq!(mask("sk-or-v1-0fa1234567890240"), "sk-or-v1-0fa...240");
        assert_eq!(mask("short"), "sho...");
    }
}
