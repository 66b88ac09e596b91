//! The bundled model catalog: served verbatim on `/models`, and the source of prices and provider
//! names.

use std::{collections::HashMap, ops::Add, sync::LazyLock};

use axum::{
    http::{HeaderValue, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

const CATALOG_JSON: &str = include_str!("../../gateway/data/openrouter-models.json");

/// Atto-dollars (1e-18 USD) per dollar: fine enough for every catalog price, so that costs add up
/// exactly.
const ATTO_PER_USD: u128 = 1_000_000_000_000_000_000;

/// An exact amount of US dollars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Money(u128);

impl Money {
    /// Parses a catalog price such as `"0.00000015"`. Router pseudo-models price themselves at
    /// `"-1"` (decided per request); the simulator serves those, like anything unparsable, for
    /// free.
    fn parse(text: &str) -> Self {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let fraction: String = fraction
            .chars()
            .chain(std::iter::repeat('0'))
            .take(18)
            .collect();
        match (whole.parse::<u128>(), fraction.parse::<u128>()) {
            (Ok(whole), Ok(fraction)) => Self(whole.saturating_mul(ATTO_PER_USD) + fraction),
            _ => Self::default(),
        }
    }

    pub(crate) fn times(self, count: u64) -> Self {
        Self(self.0.saturating_mul(u128::from(count)))
    }

    pub(crate) fn usd(self) -> f64 {
        // Both operands are exact for amounts below 2^53 atto-dollars, so the quotient is the
        // float nearest to the exact amount and serializes as its short decimal form.
        self.0 as f64 / ATTO_PER_USD as f64
    }
}

impl Add for Money {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
}

/// Prices per token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pricing {
    pub(crate) prompt: Money,
    pub(crate) completion: Money,
}

impl Pricing {
    /// What the reserved `simulator/...` fault models cost: 0.000001 and 0.000002 USD per token.
    pub(crate) const RESERVED: Self = Self {
        prompt: Money(ATTO_PER_USD / 1_000_000),
        completion: Money(2 * ATTO_PER_USD / 1_000_000),
    };
}

#[derive(Deserialize)]
struct Catalog {
    data: Vec<CatalogModel>,
}

#[derive(Deserialize)]
struct CatalogModel {
    id: String,
    pricing: CatalogPricing,
}

#[derive(Deserialize)]
struct CatalogPricing {
    prompt: String,
    completion: String,
}

static PRICES: LazyLock<HashMap<String, Pricing>> =
    LazyLock::new(|| match serde_json::from_str::<Catalog>(CATALOG_JSON) {
        Ok(catalog) => catalog
            .data
            .into_iter()
            .map(|model| {
                let pricing = Pricing {
                    prompt: Money::parse(&model.pricing.prompt),
                    completion: Money::parse(&model.pricing.completion),
                };
                (model.id, pricing)
            })
            .collect(),
        Err(error) => {
            tracing::error!(%error, "the bundled catalog does not parse; no model can be served");
            HashMap::new()
        }
    });

/// The prices of a catalog model, `None` when the catalog does not list `id`.
pub(crate) fn pricing(id: &str) -> Option<Pricing> {
    PRICES.get(id).copied()
}

/// The display name OpenRouter reports as `provider`, guessed from the model's vendor prefix.
pub(crate) fn provider_name(model_id: &str) -> String {
    let vendor = model_id
        .trim_start_matches('~')
        .split('/')
        .next()
        .unwrap_or_default();
    let known = match vendor {
        "openai" => "OpenAI",
        "anthropic" => "Anthropic",
        "google" => "Google",
        "x-ai" => "xAI",
        "deepseek" => "DeepSeek",
        "meta-llama" => "Meta",
        "mistralai" => "Mistral",
        "qwen" => "Alibaba",
        "z-ai" => "Z.AI",
        "moonshotai" => "Moonshot AI",
        _ => return title_case(vendor),
    };
    known.to_owned()
}

fn title_case(slug: &str) -> String {
    slug.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /models`: the bundled catalog, byte for byte (public, like OpenRouter's).
pub(crate) async fn models() -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        CATALOG_JSON,
    )
        .into_response()
}
