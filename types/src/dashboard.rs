//! What the console's landing page shows: today's spend against the daily caps, the last day's
//! calls and errors, and the integrations that cost the most. Built by `gateway::dashboard`.

use serde::{Deserialize, Serialize};

use crate::{NanoUsd, SystemStatus};

/// The whole landing page, as of `generated_at_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub generated_at_ms: i64,
    pub status: SystemStatus,
    /// Integrations with a cap or with spend today (UTC), the closest to their cap first.
    pub spend_today: Vec<IntegrationSpend>,
    /// Integrations with neither a cap nor spend today, left out of `spend_today`.
    pub idle_uncapped: u64,
    /// Every recorded call of the last 24 hours, admin tests and drafts included.
    pub last_24h: CallStats,
    /// The most expensive integrations over `TOP_DAYS` days.
    pub top_by_cost: Vec<CostRow>,
}

impl Dashboard {
    /// The window of `top_by_cost`, in days.
    pub const TOP_DAYS: i64 = 7;
    /// How many rows `top_by_cost` holds at most.
    pub const TOP_ROWS: usize = 5;
}

/// One integration's settled spend today against the cap its calls are held to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationSpend {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub spent: NanoUsd,
    /// The integration's own cap, else the deployment default; `None` when uncapped.
    pub cap: Option<NanoUsd>,
    /// The cap comes from the deployment default rather than the integration.
    pub cap_is_default: bool,
}

impl IntegrationSpend {
    /// Spend as a share of the cap (0.0 ..= 1.0, more only if the cap was lowered today);
    /// `None` when uncapped. A zero cap counts as fully used.
    pub fn used(&self) -> Option<f64> {
        self.cap.map(|cap| {
            if cap.0 <= 0 {
                1.0
            } else {
                self.spent.0 as f64 / cap.0 as f64
            }
        })
    }
}

/// Calls, errors and cost over a window, with per-hour buckets (oldest first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStats {
    pub calls: u64,
    pub errors: u64,
    pub cost: NanoUsd,
    pub hours: Vec<HourBucket>,
}

impl CallStats {
    /// Errors per call, 0.0 without calls.
    pub fn error_rate(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.errors as f64 / self.calls as f64
        }
    }
}

/// The calls that started within one hour.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourBucket {
    pub start_ms: i64,
    pub calls: u64,
    pub errors: u64,
}

/// One integration's calls and cost over the top-cost window. Rows of deleted integrations and
/// of the prompt builder keep their recorded slug; `id` is set while the integration exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostRow {
    pub slug: String,
    pub id: Option<i64>,
    pub calls: u64,
    pub errors: u64,
    pub cost: NanoUsd,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_the_cap_and_error_rates_handle_the_edges() {
        let mut spend = IntegrationSpend {
            id: 1,
            slug: "a".into(),
            name: "A".into(),
            spent: NanoUsd(250),
            cap: Some(NanoUsd(1000)),
            cap_is_default: false,
        };
        assert_eq!(spend.used(), Some(0.25));
        spend.cap = Some(NanoUsd::ZERO);
        assert_eq!(spend.used(), Some(1.0));
        spend.cap = None;
        assert_eq!(spend.used(), None);
        assert!(CallStats::default().error_rate().abs() < f64::EPSILON);
        let stats = CallStats {
            calls: 4,
            errors: 1,
            ..CallStats::default()
        };
        assert!((stats.error_rate() - 0.25).abs() < f64::EPSILON);
    }
}
