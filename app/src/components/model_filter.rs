//! Finding models in the catalog the way a person searches it: every word of the query matched
//! fuzzily against a model's id, name, provider and tags (`free`, `cheap`, `vision`, `tools`, …),
//! best matches first; then narrowed by filters and ordered by price, context or name.

use gateway_types::ModelChoice;
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// At most this many models are listed; the list scrolls.
pub const SHOWN: usize = 30;

/// A model whose prompt and completion prices are at most these (USD per million tokens) is
/// tagged `cheap`.
const CHEAP_PROMPT: f64 = 0.5;
const CHEAP_COMPLETION: f64 = 2.0;

/// What the picker's filters ask for; the defaults let every model through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// The id's prefix before `/` (`openai`, `anthropic`).
    pub provider: Option<String>,
    pub max_prompt_per_million: Option<f64>,
    pub max_completion_per_million: Option<f64>,
    pub min_context: Option<u64>,
    /// An input the model must read besides text (`image`, `file`, `audio`).
    pub modality: Option<String>,
    pub tools: bool,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    fn admit(&self, model: &ModelChoice) -> bool {
        let within = |price: Option<f64>, max: Option<f64>| {
            max.is_none_or(|max| price.is_some_and(|price| price <= max))
        };
        self.provider
            .as_deref()
            .is_none_or(|provider| self::provider(&model.id) == provider)
            && within(model.prompt_usd_per_million, self.max_prompt_per_million)
            && within(
                model.completion_usd_per_million,
                self.max_completion_per_million,
            )
            && self
                .min_context
                .is_none_or(|min| model.context_length.is_some_and(|length| length >= min))
            && self
                .modality
                .as_ref()
                .is_none_or(|wanted| model.input_modalities.contains(wanted))
            && (!self.tools || model.supports_tools)
    }
}

/// How the matches are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match first (catalog order without a query).
    #[default]
    Relevance,
    /// Cheapest first, by prompt then completion price; unknown prices last.
    Price,
    /// Longest context first.
    Context,
    Name,
}

impl Sort {
    pub const ALL: [(Self, &'static str); 4] = [
        (Self::Relevance, "Best match"),
        (Self::Price, "Price"),
        (Self::Context, "Context"),
        (Self::Name, "Name"),
    ];

    /// The sort a `<select>`'s value names; anything else is relevance.
    pub fn from_value(value: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|(_, label)| *label == value)
            .map_or(Self::Relevance, |(sort, _)| sort)
    }
}

/// The model's provider: its id up to the `/`.
pub fn provider(id: &str) -> &str {
    id.split_once('/').map_or(id, |(provider, _)| provider)
}

/// Words a person might search by that the id and name do not say.
pub fn tags(model: &ModelChoice) -> Vec<&'static str> {
    let mut tags = Vec::new();
    match (
        model.prompt_usd_per_million,
        model.completion_usd_per_million,
    ) {
        (Some(prompt), Some(completion)) if prompt == 0.0 && completion == 0.0 => {
            tags.extend(["free", "cheap"]);
        }
        (Some(prompt), Some(completion))
            if prompt <= CHEAP_PROMPT && completion <= CHEAP_COMPLETION =>
        {
            tags.push("cheap");
        }
        _ => {}
    }
    for (modality, tag) in [("image", "vision"), ("audio", "audio"), ("file", "files")] {
        if model.input_modalities.iter().any(|m| m == modality) {
            tags.push(tag);
        }
    }
    if model.supports_tools {
        tags.push("tools");
    }
    tags
}

/// Everything a query is matched against.
fn searchable(model: &ModelChoice) -> String {
    format!(
        "{} {} {} {}",
        model.id,
        model.name,
        provider(&model.id),
        tags(model).join(" ")
    )
}

/// The models that match `query` (every word, fuzzily) and the filters, not in `exclude`,
/// ordered by `sort`, at most [`SHOWN`]. An empty query lists nothing unless a filter is set.
pub fn find(
    models: &[ModelChoice],
    query: &str,
    filters: &Filters,
    sort: Sort,
    exclude: &[String],
) -> Vec<ModelChoice> {
    let query = query.trim();
    if query.is_empty() && filters.is_empty() {
        return Vec::new();
    }
    let pattern = Pattern::new(
        query,
        CaseMatching::Ignore,
        Normalization::Smart,
        AtomKind::Fuzzy,
    );
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buffer = Vec::new();
    let mut found: Vec<(u32, &ModelChoice)> = models
        .iter()
        .filter(|model| !exclude.contains(&model.id) && filters.admit(model))
        .filter_map(|model| {
            let text = searchable(model);
            let score = if query.is_empty() {
                Some(0)
            } else {
                pattern.score(Utf32Str::new(&text, &mut buffer), &mut matcher)
            };
            score.map(|score| (score, model))
        })
        .collect();
    // Letters of a word scattered across a long text still match fuzzily, with a far lower score
    // than the word itself; when some model has the word, such stragglers are left out.
    let best = found.iter().map(|(score, _)| *score).max().unwrap_or(0);
    found.retain(|(score, _)| score.saturating_mul(2) >= best);
    // Stable sorts: ties keep the better match, then the catalog's order.
    found.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    match sort {
        Sort::Relevance => {}
        Sort::Price => found.sort_by(|(_, a), (_, b)| {
            let price = |m: &ModelChoice| {
                (
                    m.prompt_usd_per_million.unwrap_or(f64::INFINITY),
                    m.completion_usd_per_million.unwrap_or(f64::INFINITY),
                )
            };
            let (a, b) = (price(a), price(b));
            a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1))
        }),
        Sort::Context => found.sort_by_key(|(_, m)| std::cmp::Reverse(m.context_length)),
        Sort::Name => found.sort_by_cached_key(|(_, m)| m.name.to_lowercase()),
    }
    found
        .into_iter()
        .take(SHOWN)
        .map(|(_, model)| model.clone())
        .collect()
}

/// A price per million tokens, the same way everywhere: `free`, or dollars with two decimals
/// (three decimals below a cent).
pub fn price_per_million(price: f64) -> String {
    if price == 0.0 {
        "free".to_owned()
    } else if price < 0.01 {
        format!("${price:.3}")
    } else {
        format!("${price:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str, name: &str, prices: (f64, f64), context: u64) -> ModelChoice {
        ModelChoice {
            id: id.to_owned(),
            name: name.to_owned(),
            context_length: Some(context),
            prompt_usd_per_million: Some(prices.0),
            completion_usd_per_million: Some(prices.1),
            caching: gateway_types::CachingMode::Unsupported,
            parameters: Vec::new(),
            defaults: Default::default(),
            input_modalities: vec!["text".to_owned()],
            supports_tools: false,
        }
    }

    fn catalog() -> Vec<ModelChoice> {
        let mut vision = model("openai/gpt-4o", "OpenAI: GPT-4o", (2.5, 10.0), 128_000);
        vision.input_modalities.push("image".to_owned());
        vision.supports_tools = true;
        vec![
            model(
                "anthropic/claude-haiku-4.5",
                "Anthropic: Claude Haiku 4.5",
                (1.0, 5.0),
                200_000,
            ),
            vision,
            model(
                "openai/gpt-4o-mini",
                "OpenAI: GPT-4o-mini",
                (0.15, 0.6),
                128_000,
            ),
            model(
                "meta-llama/llama-3.3-70b:free",
                "Meta: Llama 3.3 70B (free)",
                (0.0, 0.0),
                65_536,
            ),
            model(
                "openai/gpt-3.5-turbo",
                "OpenAI: GPT-3.5 Turbo",
                (0.5, 1.5),
                16_385,
            ),
        ]
    }

    fn ids(found: &[ModelChoice]) -> Vec<&str> {
        found.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn words_match_apart_and_the_closest_model_ranks_first() {
        let found = find(
            &catalog(),
            "gpt 4o",
            &Filters::default(),
            Sort::Relevance,
            &[],
        );
        assert_eq!(ids(&found)[..2], ["openai/gpt-4o", "openai/gpt-4o-mini"]);
        assert!(!ids(&found).contains(&"anthropic/claude-haiku-4.5"));
    }

    #[test]
    fn tags_from_prices_and_inputs_are_searchable() {
        let cheap = find(&catalog(), "cheap", &Filters::default(), Sort::Price, &[]);
        assert_eq!(
            ids(&cheap),
            [
                "meta-llama/llama-3.3-70b:free",
                "openai/gpt-4o-mini",
                "openai/gpt-3.5-turbo"
            ]
        );
        let vision = find(
            &catalog(),
            "vision",
            &Filters::default(),
            Sort::Relevance,
            &[],
        );
        assert_eq!(ids(&vision), ["openai/gpt-4o"]);
    }

    #[test]
    fn filters_narrow_and_sorts_order() {
        let filters = Filters {
            provider: Some("openai".to_owned()),
            max_prompt_per_million: Some(1.0),
            min_context: Some(100_000),
            ..Filters::default()
        };
        assert_eq!(
            ids(&find(&catalog(), "", &filters, Sort::Name, &[])),
            ["openai/gpt-4o-mini"]
        );
        let tools = Filters {
            tools: true,
            modality: Some("image".to_owned()),
            ..Filters::default()
        };
        assert_eq!(
            ids(&find(&catalog(), "", &tools, Sort::Relevance, &[])),
            ["openai/gpt-4o"]
        );
        let all = Filters {
            min_context: Some(1),
            ..Filters::default()
        };
        let by_context = find(&catalog(), "", &all, Sort::Context, &[]);
        assert_eq!(by_context[0].id, "anthropic/claude-haiku-4.5");
        // A model without a known price never passes a price ceiling.
        let mut unknown = catalog();
        unknown[0].prompt_usd_per_million = None;
        let ceiling = Filters {
            max_prompt_per_million: Some(1e9),
            ..Filters::default()
        };
        assert_eq!(find(&unknown, "", &ceiling, Sort::Relevance, &[]).len(), 4);
    }

    #[test]
    fn chosen_models_and_an_empty_search_list_nothing() {
        assert!(find(&catalog(), "  ", &Filters::default(), Sort::Relevance, &[]).is_empty());
        let found = find(
            &catalog(),
            "gpt 4o",
            &Filters::default(),
            Sort::Relevance,
            &["openai/gpt-4o".to_owned()],
        );
        assert!(!ids(&found).contains(&"openai/gpt-4o"));
    }

    #[test]
    fn hostile_queries_match_nothing_without_failing() {
        for query in ["\0", "ü\u{202e}𝕏", "^$!'", &"a".repeat(10_000), "\\ \\"] {
            let found = find(&catalog(), query, &Filters::default(), Sort::Relevance, &[]);
            assert!(found.len() <= SHOWN, "{query:?}");
        }
        let nan = Filters {
            max_prompt_per_million: Some(f64::NAN),
            ..Filters::default()
        };
        assert!(find(&catalog(), "", &nan, Sort::Price, &[]).is_empty());
    }

    #[test]
    fn prices_read_the_same_everywhere() {
        assert_eq!(price_per_million(0.0), "free");
        assert_eq!(price_per_million(0.15), "$0.15");
        assert_eq!(price_per_million(0.0042), "$0.004");
        assert_eq!(price_per_million(15.0), "$15.00");
    }
}
