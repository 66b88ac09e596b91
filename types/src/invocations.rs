//! The invocations page: its query (search, filters, sort, page), the rows, the Σ totals, the
//! chart buckets, one call's detail, and how money reads on that page.

use serde::{Deserialize, Serialize};

use crate::{NanoUsd, Page};

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvocationStatus {
    /// The primary model answered.
    Ok,
    /// A fallback model answered.
    Fallback,
    Error,
    /// The caller went away before the answer was complete; billed for what was generated.
    Cancelled,
}

impl InvocationStatus {
    pub const ALL: [Self; 4] = [Self::Ok, Self::Fallback, Self::Error, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Fallback => "fallback",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The caller types the gateway records, for the caller filter.
pub const CALLER_TYPES: [&str; 5] = ["api", "openai", "internal", "admin-test", "prompt-builder"];

/// The columns the grid sorts by; anything else is refused when the query is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvocationSort {
    #[default]
    Time,
    Status,
    Cost,
    Latency,
}

impl InvocationSort {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Time => "time",
            Self::Status => "status",
            Self::Cost => "cost",
            Self::Latency => "latency",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortDirection {
    Asc,
    #[default]
    Desc,
}

impl SortDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// The invocations grid's search, filters, sort and page. The CSV export takes the same fields
/// as a query string (see [`InvocationQuery::to_query_string`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationQuery {
    /// Matched case-insensitively against the integration slug and the model that answered.
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub status: Option<InvocationStatus>,
    #[serde(default)]
    pub caller_type: Option<String>,
    /// An integration slug, exactly.
    #[serde(default)]
    pub integration: Option<String>,
    /// First day, `YYYY-MM-DD` in UTC, inclusive.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` in UTC, inclusive of the whole day.
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub sort: InvocationSort,
    #[serde(default)]
    pub direction: SortDirection,
    /// 1-based; 0 counts as 1.
    #[serde(default)]
    pub page: u32,
}

impl InvocationQuery {
    pub const PER_PAGE: u32 = 25;

    /// The filters and sort as `key=value&…` (percent-encoded, unset ones left out); the page is
    /// left out because an export takes every matching row.
    pub fn to_query_string(&self) -> String {
        fn text(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let pairs = [
            ("search", Some(self.search.trim()).filter(|s| !s.is_empty())),
            ("status", self.status.map(InvocationStatus::as_str)),
            ("caller_type", text(&self.caller_type)),
            ("integration", text(&self.integration)),
            ("from", text(&self.from)),
            ("until", text(&self.until)),
            ("sort", Some(self.sort.as_str())),
            ("direction", Some(self.direction.as_str())),
        ];
        pairs
            .into_iter()
            .filter_map(|(key, value)| value.map(|v| format!("{key}={}", encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A whole number with thousands separators: `1,234,567`.
pub fn group_digits(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        grouped.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// One row of the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationRow {
    pub id: String,
    pub created_at_ms: i64,
    /// `2026-11-30 14:05:09 UTC`.
    pub created_at: String,
    pub integration_slug: String,
    pub status: InvocationStatus,
    pub model_used: Option<String>,
    pub caller_type: String,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub cost: Option<NanoUsd>,
    pub latency_ms: i64,
}

/// The Σ row: sums over every row matching the filters, not just the page shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationTotals {
    pub count: u64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost: NanoUsd,
}

/// The width of one chart bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BucketSize {
    Hour,
    Day,
}

impl BucketSize {
    pub fn millis(self) -> i64 {
        match self {
            Self::Hour => 3_600_000,
            Self::Day => 86_400_000,
        }
    }
}

/// Calls, errors and spend in one hour or day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartBucket {
    pub start_ms: i64,
    /// `2026-11-30` for days, `2026-11-30 14:00` for hours.
    pub label: String,
    pub calls: u64,
    pub errors: u64,
    pub cost: NanoUsd,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationChart {
    pub bucket: BucketSize,
    /// Consecutive buckets over the filtered range, empty ones included.
    pub buckets: Vec<ChartBucket>,
}

/// What the invocations page shows for one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvocationPage {
    pub rows: Page<InvocationRow>,
    pub totals: InvocationTotals,
    pub chart: InvocationChart,
    /// The server's clock when the page was read, so "5 minutes ago" renders the same on the
    /// server and in the browser.
    pub now_ms: i64,
}

/// Everything stored about one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationDetail {
    pub id: String,
    pub integration_slug: String,
    pub status: InvocationStatus,
    pub caller_type: String,
    pub caller_id: Option<String>,
    pub model_requested: Option<String>,
    pub model_used: Option<String>,
    pub created_at_ms: i64,
    pub created_at: String,
    pub attempts: i64,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub cached_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    pub citation_count: Option<i64>,
    pub cost: Option<NanoUsd>,
    pub latency_ms: i64,
    pub finish_reason: Option<String>,
    pub streamed: bool,
    pub error_class: Option<String>,
    pub error_message: Option<String>,
    pub generation_id: Option<String>,
    pub conversation_id: Option<String>,
    /// The prompt and answer, when the integration kept them and their retention has not ended.
    #[serde(default)]
    pub exchange: Option<InvocationExchange>,
}

/// A kept prompt and answer, as stored: JSON text, cut with a marker when it was too long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationExchange {
    /// The messages sent upstream, the rendered prompt first.
    pub prompt: String,
    /// The answer message (content, tool calls); `None` when the call failed before one.
    pub answer: Option<String>,
}

impl InvocationDetail {
    /// The call on OpenRouter's activity log.
    pub fn openrouter_url(&self) -> Option<String> {
        self.generation_id
            .as_deref()
            .map(|id| format!("https://openrouter.ai/logs?generation={}", encode(id)))
    }
}

impl NanoUsd {
    /// One call's cost: `$` and at most six decimals, trailing zeros dropped (`$0.000096`,
    /// `$0.00009`, `$0`).
    pub fn cost_text(self) -> String {
        let (whole, micros) = self.micros();
        let fraction = format!("{micros:06}");
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            format!("${whole}")
        } else {
            format!("${whole}.{fraction}")
        }
    }

    /// A Σ: `$` and exactly six decimals, with thousands separators (`$1,234.500000`).
    pub fn total_text(self) -> String {
        let (whole, micros) = self.micros();
        let grouped = group_digits(whole);
        format!("${grouped}.{micros:06}")
    }

    /// The exact amount in dollars as a plain number (`0.000096123`), for exports.
    pub fn usd_text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let nanos = self.0.unsigned_abs();
        let fraction = format!("{:09}", nanos % 1_000_000_000);
        let fraction = fraction.trim_end_matches('0');
        let whole = nanos / 1_000_000_000;
        if fraction.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{fraction}")
        }
    }

    /// Whole dollars and micro-dollars, rounded half up; costs are never negative.
    fn micros(self) -> (u64, u64) {
        let micros = (self.0.max(0).unsigned_abs() + 500) / 1000;
        (micros / 1_000_000, micros % 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cost_reads_with_six_decimals_at_most_and_no_trailing_zeros() {
        assert_eq!(NanoUsd(96_000).cost_text(), "$0.000096");
        assert_eq!(NanoUsd(90_000).cost_text(), "$0.00009");
        assert_eq!(NanoUsd(0).cost_text(), "$0");
        assert_eq!(NanoUsd(1_500_000_000).cost_text(), "$1.5");
        assert_eq!(NanoUsd(499).cost_text(), "$0");
        assert_eq!(NanoUsd(500).cost_text(), "$0.000001");
    }

    #[test]
    fn a_total_reads_with_six_fixed_decimals_and_thousands_separators() {
        assert_eq!(NanoUsd(0).total_text(), "$0.000000");
        assert_eq!(NanoUsd(96_000).total_text(), "$0.000096");
        assert_eq!(NanoUsd(1_234_500_000_000).total_text(), "$1,234.500000");
        assert_eq!(
            NanoUsd(1_234_567_890_123_456).total_text(),
            "$1,234,567.890123"
        );
        assert_eq!(NanoUsd(999_999_999_600).total_text(), "$1,000.000000");
        assert_eq!(group_digits(-1_234_567_i64), "-1,234,567");
        assert_eq!(group_digits(999_u64), "999");
    }

    #[test]
    fn an_export_keeps_every_nano_dollar() {
        assert_eq!(NanoUsd(96_123).usd_text(), "0.000096123");
        assert_eq!(NanoUsd(2_000_000_000).usd_text(), "2");
    }

    #[test]
    fn the_query_string_carries_the_set_filters_encoded() {
        let query = InvocationQuery {
            search: " gpt 4o ".to_owned(),
            status: Some(InvocationStatus::Error),
            caller_type: Some(String::new()),
            integration: Some("a&b".to_owned()),
            from: Some("2026-11-01".to_owned()),
            sort: InvocationSort::Cost,
            direction: SortDirection::Asc,
            page: 4,
            ..InvocationQuery::default()
        };
        assert_eq!(
            query.to_query_string(),
            "search=gpt%204o&status=error&integration=a%26b&from=2026-11-01&sort=cost&direction=asc"
        );
    }

    #[test]
    fn sort_columns_outside_the_list_are_refused() {
        let bad = serde_json::from_value::<InvocationQuery>(
            serde_json::json!({"sort": "cost_nanos; drop table ai_invocations"}),
        );
        assert!(bad.unwrap_err().to_string().contains("unknown variant"));
        let good: InvocationQuery =
            serde_json::from_value(serde_json::json!({"sort": "latency"})).unwrap();
        assert_eq!(good.sort, InvocationSort::Latency);
    }

    #[test]
    fn the_generation_link_opens_openrouters_log_of_that_call() {
        let detail = InvocationDetail {
            id: "x".into(),
            integration_slug: "s".into(),
            status: InvocationStatus::Ok,
            caller_type: "api".into(),
            caller_id: None,
            model_requested: None,
            model_used: None,
            created_at_ms: 0,
            created_at: String::new(),
            attempts: 1,
            prompt_tokens: None,
            completion_tokens: None,
            cached_tokens: None,
            reasoning_tokens: None,
            citation_count: None,
            cost: None,
            latency_ms: 0,
            finish_reason: None,
            streamed: false,
            error_class: None,
            error_message: None,
            generation_id: Some("gen-1 2".into()),
            conversation_id: None,
            exchange: None,
        };
        assert_eq!(
            detail.openrouter_url().as_deref(),
            Some("https://openrouter.ai/logs?generation=gen-1%202")
        );
    }
}
