//! The OpenRouter model catalog: parsing `/models`, the in-memory snapshot every reader uses, its
//! refresh from upstream with the last good copy kept in the database, and what the core and the
//! console derive from a model (caching mode, default parameters, cost estimates, labels).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};
use std::time::Duration;

use gateway_types::{CachingMode, ModelChoice, ModelInfo, ModelPricing, NanoUsd};
use reqwest::header::ACCEPT;
use serde::Deserialize;
use serde_json::Value;

use crate::error::StoreContext;
use crate::store::Store;

/// The catalog shipped with the binary, so a fresh deployment without network still has models.
const BUNDLED_JSON: &str = include_str!("../data/openrouter-models.json");

/// The `ai_catalog_cache` row holding OpenRouter's `/models` body.
const CACHE_NAME: &str = "openrouter/models";

/// `/models` is a few hundred kilobytes; anything slower than this is a stuck upstream.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Parameters that shape the request rather than sampling, so they get no editable default.
const STRUCTURAL_PARAMS: [&str; 13] = [
    "tools",
    "tool_choice",
    "response_format",
    "structured_outputs",
    "stop",
    "logit_bias",
    "reasoning",
    "include_reasoning",
    "logprobs",
    "top_logprobs",
    "prediction",
    "modalities",
    "web_search_options",
];

/// Prices are handled as whole yocto-dollars (1e-24 USD) so sums are exact: the finest catalog
/// prices have 22 decimals, and anything finer is rounded up.
const FRACTION_DIGITS: usize = 24;
const YOCTO_PER_USD: u128 = 10u128.pow(FRACTION_DIGITS as u32);
const YOCTO_PER_NANO: u128 = 10u128.pow(FRACTION_DIGITS as u32 - 9);
/// A per-token price times a million tokens, in cents.
const YOCTO_PER_CENT_PER_MILLION: u128 = 10u128.pow(FRACTION_DIGITS as u32 - 8);

/// Why a refresh did not replace the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("fetching the model catalog: {0}")]
    Fetch(String),
    #[error("the model catalog answered with HTTP status {0}")]
    Status(u16),
    #[error("reading the model catalog: {0}")]
    Parse(String),
    #[error("the model catalog listed no models")]
    Empty,
    /// The new list is in use, but saving it for the next start failed.
    #[error("saving the model catalog: {0}")]
    Store(#[from] crate::Error),
}

/// Where the snapshot in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogSource {
    /// Fetched from upstream by this process.
    Live,
    /// The last good copy saved by an earlier fetch.
    Database,
    /// The list shipped with the binary.
    Bundled,
}

/// How many models the snapshot holds, where they came from and when, for the settings page.
pub fn state(snapshot: &CatalogSnapshot) -> gateway_types::CatalogState {
    let (source, fetched) = match snapshot.source() {
        CatalogSource::Live => ("OpenRouter", true),
        CatalogSource::Database => ("the copy saved at the last fetch", true),
        CatalogSource::Bundled => ("the list shipped with this release", false),
    };
    gateway_types::CatalogState {
        models: snapshot.models().len(),
        fetched_at: fetched.then(|| crate::versions::diff::display_time(snapshot.fetched_at_ms())),
        source: source.to_owned(),
    }
}

/// One immutable version of the catalog; replaced as a whole, never edited.
#[derive(Debug, Clone)]
pub struct CatalogSnapshot {
    /// Sorted by id with unique ids, which makes the list its own lookup index.
    models: Vec<ModelInfo>,
    fetched_at_ms: i64,
    source: CatalogSource,
}

impl CatalogSnapshot {
    /// `models` as [`parse`] returns them: sorted by id, so duplicates are neighbours.
    fn new(mut models: Vec<ModelInfo>, fetched_at_ms: i64, source: CatalogSource) -> Self {
        models.dedup_by(|later, first| later.id == first.id);
        Self {
            models,
            fetched_at_ms,
            source,
        }
    }

    /// Every model, sorted by id.
    pub fn models(&self) -> &[ModelInfo] {
        &self.models
    }

    /// The model with exactly this id.
    pub fn find(&self, id: &str) -> Option<&ModelInfo> {
        self.models
            .binary_search_by(|model| model.id.as_str().cmp(id))
            .ok()
            .and_then(|index| self.models.get(index))
    }

    /// When the list was fetched from upstream (UTC epoch ms); 0 for the bundled list, which is
    /// therefore always due for a refresh.
    pub fn fetched_at_ms(&self) -> i64 {
        self.fetched_at_ms
    }

    pub fn source(&self) -> CatalogSource {
        self.source
    }

    /// `(id, label)` for a model select, sorted by id so vendors group together; the label is
    /// `"Name (id)"`, or just the id when the name is the id.
    pub fn options(&self) -> Vec<(String, String)> {
        self.models
            .iter()
            .map(|model| {
                let label = if model.name == model.id {
                    model.id.clone()
                } else {
                    format!("{} ({})", model.name, model.id)
                };
                (model.id.clone(), label)
            })
            .collect()
    }

    /// The helper line under a model select, e.g.
    /// `Context: 128,000 tokens  •  Pricing: $0.15/M in, $0.60/M out`; `None` for a model that
    /// is not in the catalog.
    pub fn meta_summary(&self, id: &str) -> Option<String> {
        let model = self.find(id)?;
        let mut parts = Vec::new();
        if let Some(context) = model.context_length.filter(|&n| n > 0) {
            parts.push(format!(
                "Context: {} tokens",
                with_thousands(u128::from(context))
            ));
        }
        let prompt = model.pricing.prompt.and_then(yocto_usd);
        let completion = model.pricing.completion.and_then(yocto_usd);
        if let (Some(prompt), Some(completion)) = (prompt, completion) {
            parts.push(format!(
                "Pricing: {}/M in, {}/M out",
                usd_per_million(prompt),
                usd_per_million(completion)
            ));
        }
        Some(if parts.is_empty() {
            "No catalog metadata available.".to_owned()
        } else {
            parts.join("  •  ")
        })
    }

    fn is_stale(&self, ttl: Duration, now_ms: i64) -> bool {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        now_ms.saturating_sub(self.fetched_at_ms) >= ttl_ms
    }
}

/// The bundled list, parsed once per process.
static BUNDLED: LazyLock<Arc<CatalogSnapshot>> = LazyLock::new(|| {
    let models = parse(BUNDLED_JSON).unwrap_or_else(|error| {
        tracing::error!(%error, "the bundled model catalog does not parse");
        Vec::new()
    });
    Arc::new(CatalogSnapshot::new(models, 0, CatalogSource::Bundled))
});

/// The model catalog shared by the whole process. Cheap to clone.
///
/// Readers get the current snapshot without waiting on the network or the database; refreshes
/// build a new snapshot and swap it in whole.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    http: reqwest::Client,
    models_url: String,
    api_key: Option<String>,
    ttl: Duration,
    current: RwLock<Arc<CatalogSnapshot>>,
    /// Held while loading or refreshing, so concurrent callers never fetch twice at once.
    refreshing: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The API key stays out of logs.
        f.debug_struct("Catalog")
            .field("models_url", &self.inner.models_url)
            .field("ttl", &self.inner.ttl)
            .field("source", &self.current().source)
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// Starts with the bundled list; call [`Catalog::load`] to pick up the saved copy.
    /// `base_url` is OpenRouter's API root, e.g. `https://openrouter.ai/api/v1`.
    pub fn new(
        store: Store,
        http: reqwest::Client,
        base_url: String,
        api_key: Option<String>,
        ttl: Duration,
    ) -> Self {
        let models_url = format!("{}/models", base_url.trim_end_matches('/'));
        Self {
            inner: Arc::new(Inner {
                store,
                http,
                models_url,
                api_key,
                ttl,
                current: RwLock::new(Arc::clone(&BUNDLED)),
                refreshing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The snapshot in use right now.
    pub fn current(&self) -> Arc<CatalogSnapshot> {
        // A writer cannot panic halfway through swapping an Arc, so a poisoned lock still holds a
        // whole snapshot.
        Arc::clone(
            &self
                .inner
                .current
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// The model with exactly this id in the current snapshot.
    pub fn find(&self, id: &str) -> Option<ModelInfo> {
        self.current().find(id).cloned()
    }

    /// Startup: uses the copy saved by the last successful refresh, else the bundled list. Never
    /// fails; problems with the saved copy are logged.
    pub async fn load(&self) {
        let _refreshing = self.inner.refreshing.lock().await;
        let snapshot = match read_cached(&self.inner.store).await {
            Ok(Some((body, fetched_at_ms))) => match parse(&body) {
                Ok(models) if !models.is_empty() => Arc::new(CatalogSnapshot::new(
                    models,
                    fetched_at_ms,
                    CatalogSource::Database,
                )),
                Ok(_) => {
                    tracing::warn!("the saved model catalog is empty; using the bundled one");
                    Arc::clone(&BUNDLED)
                }
                Err(error) => {
                    tracing::warn!(%error, "the saved model catalog does not parse; using the bundled one");
                    Arc::clone(&BUNDLED)
                }
            },
            Ok(None) => Arc::clone(&BUNDLED),
            Err(error) => {
                tracing::warn!(%error, "reading the saved model catalog failed; using the bundled one");
                Arc::clone(&BUNDLED)
            }
        };
        self.swap(snapshot);
    }

    /// Fetches the catalog from upstream, puts it in use and saves it for the next start. When the
    /// fetch fails or brings no models, the snapshot in use is kept as it was, so the last good
    /// list is never lost; when only saving fails, the new list is in use and the error says so.
    pub async fn refresh(&self) -> Result<Arc<CatalogSnapshot>, CatalogError> {
        let _refreshing = self.inner.refreshing.lock().await;
        self.refresh_locked().await
    }

    /// Refreshes when the snapshot in use is older than the ttl. Failures are logged only: the
    /// current snapshot stays in use and the next call tries again.
    pub async fn refresh_if_stale(&self) {
        if !self.current().is_stale(self.inner.ttl, crate::now_ms()) {
            return;
        }
        let _refreshing = self.inner.refreshing.lock().await;
        // Whoever held the lock before may have just refreshed.
        if !self.current().is_stale(self.inner.ttl, crate::now_ms()) {
            return;
        }
        if let Err(error) = self.refresh_locked().await {
            tracing::warn!(%error, "refreshing the model catalog failed; keeping the current one");
        }
    }

    async fn refresh_locked(&self) -> Result<Arc<CatalogSnapshot>, CatalogError> {
        let body = self.fetch().await?;
        let models = parse(&body)?;
        if models.is_empty() {
            return Err(CatalogError::Empty);
        }
        let fetched_at_ms = crate::now_ms();
        let snapshot = Arc::new(CatalogSnapshot::new(
            models,
            fetched_at_ms,
            CatalogSource::Live,
        ));
        // In use first: a database outage must not keep a fresh list from the readers.
        self.swap(Arc::clone(&snapshot));
        write_cached(&self.inner.store, &body, fetched_at_ms).await?;
        Ok(snapshot)
    }

    async fn fetch(&self) -> Result<String, CatalogError> {
        let mut request = self
            .inner
            .http
            .get(&self.inner.models_url)
            .header(ACCEPT, "application/json")
            .timeout(FETCH_TIMEOUT);
        if let Some(key) = &self.inner.api_key {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .map_err(|error| CatalogError::Fetch(error.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(CatalogError::Status(status.as_u16()));
        }
        response
            .text()
            .await
            .map_err(|error| CatalogError::Fetch(error.to_string()))
    }

    fn swap(&self, snapshot: Arc<CatalogSnapshot>) {
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = snapshot;
    }
}

async fn read_cached(store: &Store) -> crate::Result<Option<(String, i64)>> {
    sqlx::query_as("select body, fetched_at from ai_catalog_cache where name = $1")
        .bind(CACHE_NAME)
        .fetch_optional(store.pool())
        .await
        .context("reading the saved model catalog")
}

async fn write_cached(store: &Store, body: &str, fetched_at_ms: i64) -> crate::Result<()> {
    sqlx::query(
        "insert into ai_catalog_cache (name, body, fetched_at) values ($1, $2, $3)
         on conflict (name) do update set body = excluded.body, fetched_at = excluded.fetched_at",
    )
    .bind(CACHE_NAME)
    .bind(body)
    .bind(fetched_at_ms)
    .execute(store.pool())
    .await
    .context("saving the model catalog")?;
    Ok(())
}

/// The root of `/models`; the items are read field by field so one odd model never costs the
/// whole list.
#[derive(Deserialize)]
struct ModelsBody {
    data: Vec<Value>,
}

/// Reads a `/models` body, in the 2025 or the 2026 shape, into models sorted by id. Items without
/// an id are skipped; fields of an unexpected type read as absent.
pub fn parse(body: &str) -> Result<Vec<ModelInfo>, CatalogError> {
    let root: ModelsBody =
        serde_json::from_str(body).map_err(|error| CatalogError::Parse(error.to_string()))?;
    let mut models: Vec<ModelInfo> = root.data.iter().filter_map(model_from_json).collect();
    // Stable, so a duplicated id keeps its first listing first.
    models.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(models)
}

fn model_from_json(item: &Value) -> Option<ModelInfo> {
    let id = item
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.trim().is_empty())?;
    let name = item
        .get("name")
        .and_then(Value::as_str)
        .filter(|name| !name.trim().is_empty())
        .unwrap_or(id);
    let top_provider = item.get("top_provider");
    let pricing = item.get("pricing");
    let price = |key: &str| pricing.and_then(|p| p.get(key)).and_then(price_from_json);
    Some(ModelInfo {
        id: id.to_owned(),
        name: name.to_owned(),
        description: item
            .get("description")
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned),
        context_length: item
            .get("context_length")
            .and_then(Value::as_u64)
            .or_else(|| {
                top_provider
                    .and_then(|top| top.get("context_length"))
                    .and_then(Value::as_u64)
            }),
        max_completion_tokens: top_provider
            .and_then(|top| top.get("max_completion_tokens"))
            .and_then(Value::as_u64),
        pricing: ModelPricing {
            prompt: price("prompt"),
            completion: price("completion"),
            request: price("request"),
            input_cache_read: price("input_cache_read"),
            input_cache_write: price("input_cache_write"),
            web_search: price("web_search"),
        },
        supported_parameters: strings(item.get("supported_parameters")),
        default_parameters: item
            .get("default_parameters")
            .and_then(Value::as_object)
            .map(|defaults| {
                defaults
                    .iter()
                    .filter(|(_, value)| !value.is_null())
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        input_modalities: strings(
            item.get("architecture")
                .and_then(|architecture| architecture.get("input_modalities")),
        ),
        caching: caching_mode(id),
    })
}

/// A catalog price: a decimal string (or, tolerated, a number). Negative prices such as the
/// router models' `"-1"` mean "decided per request", which is as good as unknown.
fn price_from_json(value: &Value) -> Option<f64> {
    let price = match value {
        Value::String(text) => text.trim().parse::<f64>().ok()?,
        Value::Number(number) => number.as_f64()?,
        _ => return None,
    };
    (price.is_finite() && price >= 0.0).then_some(price)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// How prompt caching works for a model, by its vendor prefix.
pub fn caching_mode(id: &str) -> CachingMode {
    let id = id.trim().to_lowercase();
    let starts_with_any = |prefixes: &[&str]| prefixes.iter().any(|p| id.starts_with(p));
    if starts_with_any(&["anthropic/", "qwen/"]) {
        CachingMode::Explicit
    } else if starts_with_any(&["google/gemini-2.5", "google/gemini-3"]) {
        CachingMode::Automatic
    } else if id.starts_with("google/gemini-") {
        CachingMode::Explicit
    } else if starts_with_any(&[
        "openai/",
        "deepseek/",
        "x-ai/",
        "xai/",
        "groq/",
        "moonshotai/",
    ]) {
        CachingMode::Automatic
    } else {
        CachingMode::Unsupported
    }
}

/// The sampling parameters a form offers for a model, with their starting values: the model's own
/// default where it lists a plain value, else OpenRouter's documented default. Structural
/// parameters and those without any known default are left out.
pub fn default_params_for(model: &ModelInfo) -> BTreeMap<String, Value> {
    model
        .supported_parameters
        .iter()
        .filter(|param| !STRUCTURAL_PARAMS.contains(&param.as_str()))
        .filter_map(|param| {
            let own = model
                .default_parameters
                .get(param)
                .filter(|value| value.is_number() || value.is_string() || value.is_boolean())
                .cloned();
            own.or_else(|| documented_default(param))
                .map(|value| (param.clone(), value))
        })
        .collect()
}

/// A model as the console's picker offers it: prices per million tokens, the parameters a form
/// can edit, and the defaults picking it adds.
pub fn choice(model: &ModelInfo) -> ModelChoice {
    let per_million = |price: Option<f64>| price.filter(|p| *p >= 0.0).map(|p| p * 1e6);
    ModelChoice {
        id: model.id.clone(),
        name: model.name.clone(),
        context_length: model.context_length,
        prompt_usd_per_million: per_million(model.pricing.prompt),
        completion_usd_per_million: per_million(model.pricing.completion),
        caching: model.caching,
        parameters: model
            .supported_parameters
            .iter()
            .filter(|param| !STRUCTURAL_PARAMS.contains(&param.as_str()))
            .cloned()
            .collect(),
        defaults: default_params_for(model),
        input_modalities: model.input_modalities.clone(),
        supports_tools: model.supported_parameters.iter().any(|p| p == "tools"),
    }
}

fn documented_default(param: &str) -> Option<Value> {
    let value = match param {
        "temperature" => Value::from(0.7),
        "top_p" | "repetition_penalty" => Value::from(1.0),
        "max_tokens" => Value::from(1024),
        "top_k" => Value::from(0),
        "frequency_penalty" | "presence_penalty" | "min_p" | "top_a" => Value::from(0.0),
        _ => return None,
    };
    Some(value)
}

/// The most a request can cost at list prices, for budget reservations: prompt and completion
/// tokens at their per-token prices plus the per-request price, rounded up to the next
/// nano-dollar. `None` when the prompt or completion price is unknown.
pub fn estimate_cost(
    model: &ModelInfo,
    prompt_tokens: u64,
    completion_tokens: u64,
) -> Option<NanoUsd> {
    let pricing = &model.pricing;
    let prompt = yocto_usd(pricing.prompt?)?;
    let completion = yocto_usd(pricing.completion?)?;
    let request = match pricing.request {
        Some(price) => yocto_usd(price)?,
        None => 0,
    };
    let total = prompt
        .checked_mul(u128::from(prompt_tokens))
        .zip(completion.checked_mul(u128::from(completion_tokens)))
        .and_then(|(prompt, completion)| prompt.checked_add(completion))
        .and_then(|tokens| tokens.checked_add(request));
    // Past u128 the estimate is beyond any budget anyway.
    let nano = total.map_or(u128::MAX, |yocto| yocto.div_ceil(YOCTO_PER_NANO));
    Some(NanoUsd(i64::try_from(nano).unwrap_or(i64::MAX)))
}

/// A USD amount as exact yocto-dollars, rounded up. Prices come from decimal strings and the
/// shortest decimal that reads back as the same float is that string, so the float's imprecision
/// never reaches a sum. `None` for negative or non-finite amounts.
fn yocto_usd(usd: f64) -> Option<u128> {
    if !usd.is_finite() || usd < 0.0 {
        return None;
    }
    // `Display` of a float is its shortest round-trip decimal, never in exponent form.
    let text = usd.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let whole = whole.parse::<u128>().ok()?.checked_mul(YOCTO_PER_USD)?;
    let (kept, dropped) = fraction.split_at(fraction.len().min(FRACTION_DIGITS));
    let kept = if kept.is_empty() {
        0
    } else {
        let missing_digits = u32::try_from(FRACTION_DIGITS - kept.len()).ok()?;
        kept.parse::<u128>().ok()? * 10u128.pow(missing_digits)
    };
    let round_up = u128::from(dropped.bytes().any(|digit| digit != b'0'));
    whole.checked_add(kept)?.checked_add(round_up)
}

/// `$0.15`: a per-token price (yocto-dollars) per million tokens, to the nearest cent.
fn usd_per_million(yocto_per_token: u128) -> String {
    let cents = (yocto_per_token + YOCTO_PER_CENT_PER_MILLION / 2) / YOCTO_PER_CENT_PER_MILLION;
    format!("${}.{:02}", with_thousands(cents / 100), cents % 100)
}

/// `128000` → `128,000`.
fn with_thousands(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODELS_2025: &str = include_str!("../tests/catalog/fixtures/models-2025-05-23.json");

    fn bundled() -> Vec<ModelInfo> {
        parse(BUNDLED_JSON).unwrap()
    }

    fn model(id: &str) -> ModelInfo {
        bundled().into_iter().find(|m| m.id == id).unwrap()
    }

    fn priced(prompt: f64, completion: f64, request: Option<f64>) -> ModelInfo {
        ModelInfo {
            pricing: ModelPricing {
                prompt: Some(prompt),
                completion: Some(completion),
                request,
                ..ModelPricing::default()
            },
            ..model("openai/gpt-4o-mini")
        }
    }

    fn snapshot() -> CatalogSnapshot {
        CatalogSnapshot::new(bundled(), 0, CatalogSource::Bundled)
    }

    #[test]
    fn the_bundled_snapshot_parses_to_four_hundred_models_sorted_by_id() {
        let models = bundled();
        assert_eq!(models.len(), 400);
        assert!(models.windows(2).all(|pair| pair[0].id < pair[1].id));
        assert_eq!(BUNDLED.models().len(), 400);
        assert_eq!(BUNDLED.source(), CatalogSource::Bundled);
    }

    #[test]
    fn a_known_model_keeps_its_fields() {
        let m = model("openai/gpt-4o-mini");
        assert_eq!(m.name, "OpenAI: GPT-4o-mini");
        assert!(m.description.as_deref().unwrap().starts_with("GPT-4o mini"));
        assert_eq!(m.context_length, Some(128_000));
        assert_eq!(m.max_completion_tokens, Some(16_384));
        assert_eq!(m.pricing.prompt, Some(0.000_000_15));
        assert_eq!(m.pricing.completion, Some(0.000_000_6));
        assert_eq!(m.pricing.input_cache_read, Some(0.000_000_075));
        assert_eq!(m.pricing.input_cache_write, None);
        assert_eq!(m.pricing.request, None);
        assert!(m.supported_parameters.contains(&"temperature".to_owned()));
        assert!(m.supported_parameters.contains(&"tools".to_owned()));
        assert_eq!(m.supported_parameters.len(), 17);
        assert!(m.default_parameters.is_empty());
        assert_eq!(m.input_modalities, ["text", "image", "file"]);
        assert_eq!(m.caching, CachingMode::Automatic);
    }

    #[test]
    fn a_model_keeps_only_its_listed_defaults() {
        let m = model("moonshotai/kimi-k3");
        assert_eq!(
            m.default_parameters,
            BTreeMap::from([("top_p".to_owned(), Value::from(0.95))])
        );
    }

    #[test]
    fn the_2025_shape_parses_too() {
        let models = parse(MODELS_2025).unwrap();
        assert_eq!(models.len(), 321);
        let opus = models
            .iter()
            .find(|m| m.id == "anthropic/claude-opus-4")
            .unwrap();
        assert_eq!(opus.name, "Anthropic: Claude Opus 4");
        assert_eq!(opus.context_length, Some(200_000));
        assert_eq!(opus.max_completion_tokens, Some(32_000));
        assert_eq!(opus.pricing.prompt, Some(0.000_015));
        assert_eq!(opus.pricing.request, Some(0.0));
        assert_eq!(opus.pricing.input_cache_write, Some(0.000_018_75));
        assert!(opus.default_parameters.is_empty());
        assert_eq!(opus.input_modalities, ["image", "text"]);
        assert_eq!(opus.caching, CachingMode::Explicit);
    }

    #[test]
    fn router_models_have_unknown_prices() {
        let auto = model("openrouter/auto");
        assert_eq!(auto.pricing.prompt, None);
        assert_eq!(auto.pricing.completion, None);
        assert_eq!(estimate_cost(&auto, 10, 10), None);
        let free = model("openrouter/free");
        assert_eq!(free.pricing.prompt, Some(0.0));
    }

    #[test]
    fn odd_items_are_skipped_or_read_leniently() {
        let body = r#"{"data": [
            {"id": ""},
            {"name": "no id"},
            {"id": "b/model", "name": "", "pricing": {"prompt": "abc", "completion": 2e-6},
             "context_length": "big", "top_provider": {"context_length": 4096},
             "supported_parameters": ["top_p", 7], "default_parameters": null},
            {"id": "a/model"}
        ]}"#;
        let models = parse(body).unwrap();
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a/model", "b/model"]);
        let b = &models[1];
        assert_eq!(b.name, "b/model");
        assert_eq!(b.pricing.prompt, None);
        assert_eq!(b.pricing.completion, Some(0.000_002));
        assert_eq!(b.context_length, Some(4096));
        assert_eq!(b.supported_parameters, ["top_p"]);
        assert!(b.default_parameters.is_empty());
    }

    #[test]
    fn a_body_that_is_not_a_model_list_is_a_parse_error() {
        for body in ["", "not json", "[]", r#"{"models": []}"#] {
            assert!(matches!(parse(body), Err(CatalogError::Parse(_))), "{body}");
        }
        assert!(parse(r#"{"data": []}"#).unwrap().is_empty());
    }

    #[test]
    fn caching_mode_follows_the_vendor_prefix() {
        let cases = [
            ("", CachingMode::Unsupported),
            ("   ", CachingMode::Unsupported),
            ("anthropic/claude-sonnet-4.5", CachingMode::Explicit),
            ("  Anthropic/Claude-Opus-4 ", CachingMode::Explicit),
            ("qwen/qwen3-max", CachingMode::Explicit),
            ("google/gemini-2.5-flash", CachingMode::Automatic),
            ("google/gemini-3-pro-image", CachingMode::Automatic),
            ("google/gemini-3.6-flash", CachingMode::Automatic),
            ("google/gemini-2.0-flash-001", CachingMode::Explicit),
            ("google/gemini-1.5-pro", CachingMode::Explicit),
            ("google/gemma-4-31b-it", CachingMode::Unsupported),
            ("openai/gpt-4o-mini", CachingMode::Automatic),
            ("deepseek/deepseek-chat", CachingMode::Automatic),
            ("x-ai/grok-4", CachingMode::Automatic),
            ("xai/grok-4", CachingMode::Automatic),
            ("groq/kimi-k2", CachingMode::Automatic),
            ("moonshotai/kimi-k3", CachingMode::Automatic),
            (
                "meta-llama/llama-3.3-70b-instruct",
                CachingMode::Unsupported,
            ),
            ("openrouter/auto", CachingMode::Unsupported),
        ];
        for (id, expected) in cases {
            assert_eq!(caching_mode(id), expected, "{id:?}");
        }
    }

    #[test]
    fn default_params_are_typed_and_skip_structural_and_unknown_ones() {
        let defaults = default_params_for(&model("openai/gpt-4o-mini"));
        let expected = BTreeMap::from([
            ("frequency_penalty".to_owned(), Value::from(0.0)),
            ("max_tokens".to_owned(), Value::from(1024)),
            ("presence_penalty".to_owned(), Value::from(0.0)),
            ("temperature".to_owned(), Value::from(0.7)),
            ("top_p".to_owned(), Value::from(1.0)),
        ]);
        assert_eq!(defaults, expected);
        assert_eq!(
            serde_json::to_string(&defaults).unwrap(),
            r#"{"frequency_penalty":0.0,"max_tokens":1024,"presence_penalty":0.0,"temperature":0.7,"top_p":1.0}"#
        );
    }

    #[test]
    fn a_models_own_scalar_default_beats_the_documented_one() {
        let mut m = model("moonshotai/kimi-k3");
        m.default_parameters
            .insert("top_k".to_owned(), serde_json::json!([1, 2]));
        m.supported_parameters.push("top_a".to_owned());
        let defaults = default_params_for(&m);
        assert_eq!(defaults["top_p"], Value::from(0.95));
        assert_eq!(defaults["top_k"], Value::from(0));
        assert_eq!(defaults["min_p"], Value::from(0.0));
        assert_eq!(defaults["repetition_penalty"], Value::from(1.0));
        assert_eq!(defaults["top_a"], Value::from(0.0));
        for absent in ["seed", "reasoning_effort", "tools", "stop", "reasoning"] {
            assert!(!defaults.contains_key(absent), "{absent}");
        }
    }

    #[test]
    fn cost_estimates_are_exact_where_floats_are_not() {
        let m = model("openai/gpt-4o-mini");
        assert_eq!(estimate_cost(&m, 1000, 3), Some(NanoUsd(151_800)));
        // In floats, 3 × 0.0000025 × 1e9 is 7500.000000000001, which would round up to 7501.
        assert_eq!(
            estimate_cost(&priced(0.000_002_5, 0.0, None), 3, 0),
            Some(NanoUsd(7_500))
        );
        assert_eq!(estimate_cost(&m, 0, 0), Some(NanoUsd::ZERO));
        assert_eq!(
            estimate_cost(&priced(0.000_001, 0.000_002, Some(0.005)), 10, 20),
            Some(NanoUsd(5_050_000))
        );
    }

    #[test]
    fn cost_estimates_round_up_to_the_next_nano_dollar() {
        // 0.075 nano-dollars per token.
        let cheap = priced(0.000_000_000_075, 0.0, None);
        assert_eq!(estimate_cost(&cheap, 1, 0), Some(NanoUsd(1)));
        assert_eq!(estimate_cost(&cheap, 40, 0), Some(NanoUsd(3)));
        // A price finer than a yocto-dollar still costs something.
        let tiny = priced(1e-30, 0.0, None);
        assert_eq!(estimate_cost(&tiny, 1, 0), Some(NanoUsd(1)));
        // 0.0000000833333333333333 per token, as listed in the catalog.
        let thirds = priced(0.000_000_083_333_333_333_333_3, 0.0, None);
        assert_eq!(estimate_cost(&thirds, 3, 0), Some(NanoUsd(250)));
        assert_eq!(estimate_cost(&thirds, 12, 0), Some(NanoUsd(1000)));
    }

    #[test]
    fn cost_estimates_saturate_instead_of_overflowing() {
        let dear = priced(1e12, 1e12, None);
        assert_eq!(
            estimate_cost(&dear, u64::MAX, u64::MAX),
            Some(NanoUsd(i64::MAX))
        );
    }

    #[test]
    fn options_label_models_by_name_and_id() {
        let snapshot = snapshot();
        let options = snapshot.options();
        assert_eq!(options.len(), 400);
        assert!(options.windows(2).all(|pair| pair[0].0 < pair[1].0));
        let gpt = options
            .iter()
            .find(|(id, _)| id == "openai/gpt-4o-mini")
            .unwrap();
        assert_eq!(gpt.1, "OpenAI: GPT-4o-mini (openai/gpt-4o-mini)");

        let unnamed = CatalogSnapshot::new(
            parse(r#"{"data": [{"id": "x/y"}]}"#).unwrap(),
            0,
            CatalogSource::Live,
        );
        assert_eq!(unnamed.options(), [("x/y".to_owned(), "x/y".to_owned())]);
    }

    #[test]
    fn meta_summary_shows_context_and_prices_per_million() {
        let snapshot = snapshot();
        assert_eq!(
            snapshot.meta_summary("openai/gpt-4o-mini").as_deref(),
            Some("Context: 128,000 tokens  •  Pricing: $0.15/M in, $0.60/M out")
        );
        assert_eq!(snapshot.meta_summary("no/such-model"), None);
        let router = snapshot.meta_summary("openrouter/auto").unwrap();
        assert!(router.starts_with("Context: "), "{router}");
        assert!(!router.contains("Pricing"), "{router}");

        let bare = CatalogSnapshot::new(
            parse(r#"{"data": [{"id": "x/y", "context_length": 0}]}"#).unwrap(),
            0,
            CatalogSource::Live,
        );
        assert_eq!(
            bare.meta_summary("x/y").as_deref(),
            Some("No catalog metadata available.")
        );
    }

    #[test]
    fn prices_per_million_round_to_the_nearest_cent() {
        assert_eq!(usd_per_million(yocto_usd(0.000_000_125).unwrap()), "$0.13");
        assert_eq!(usd_per_million(yocto_usd(0.000_075).unwrap()), "$75.00");
        assert_eq!(usd_per_million(yocto_usd(0.0012).unwrap()), "$1,200.00");
        assert_eq!(usd_per_million(0), "$0.00");
    }

    #[test]
    fn large_numbers_get_thousands_separators() {
        assert_eq!(with_thousands(0), "0");
        assert_eq!(with_thousands(999), "999");
        assert_eq!(with_thousands(1000), "1,000");
        assert_eq!(with_thousands(1_048_576), "1,048,576");
    }

    #[test]
    fn the_snapshot_finds_models_by_exact_id() {
        let snapshot = snapshot();
        assert_eq!(
            snapshot.find("openai/gpt-4o-mini").unwrap().id,
            "openai/gpt-4o-mini"
        );
        assert!(snapshot.find("OPENAI/GPT-4O-MINI").is_none());
        assert!(snapshot.find("").is_none());
    }

    #[test]
    fn duplicate_ids_keep_the_first_listing() {
        let snapshot = CatalogSnapshot::new(
            parse(r#"{"data": [{"id": "x/y", "name": "First"}, {"id": "x/y", "name": "Second"}]}"#)
                .unwrap(),
            0,
            CatalogSource::Live,
        );
        assert_eq!(snapshot.models().len(), 1);
        assert_eq!(snapshot.find("x/y").unwrap().name, "First");
    }

    #[test]
    fn only_the_bundled_list_and_old_fetches_are_stale() {
        let day = Duration::from_secs(86_400);
        let live = CatalogSnapshot::new(Vec::new(), 1_000_000, CatalogSource::Live);
        assert!(!live.is_stale(day, 1_000_000 + 1000));
        assert!(live.is_stale(Duration::from_secs(1), 1_000_000 + 1000));
        assert!(BUNDLED.is_stale(day, crate::now_ms()));
    }
}
