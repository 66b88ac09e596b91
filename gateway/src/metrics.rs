//! Prometheus metrics: counters and latency histograms kept in memory from every telemetry row,
//! rendered as text exposition format. Reading them never touches the database.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};

use crate::telemetry::{InvocationRecord, TelemetryStats};

/// Upper bounds of the latency buckets, in milliseconds.
const BUCKETS_MS: [u64; 13] = [
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
];

/// One counter family: name, type, help text and how to read it from a call's stats.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    fn(&CallStats) -> String,
);

#[derive(Debug, Default)]
pub struct Metrics {
    by_call: Mutex<BTreeMap<(String, &'static str), CallStats>>,
    rejections: Mutex<BTreeMap<(String, String), u64>>,
}

#[derive(Debug, Default)]
struct CallStats {
    requests: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    cost_nanos: i64,
    total: Histogram,
    added: Histogram,
}

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_ms: u64,
}

impl Histogram {
    fn observe(&mut self, ms: u64) {
        self.count += 1;
        self.sum_ms = self.sum_ms.saturating_add(ms);
        for (bound, count) in BUCKETS_MS.iter().zip(self.counts.iter_mut()) {
            if ms <= *bound {
                *count += 1;
            }
        }
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (bound, count) in BUCKETS_MS.iter().zip(self.counts.iter()) {
            let seconds = *bound as f64 / 1000.0;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{seconds}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(
            out,
            "{name}_sum{{{labels}}} {}",
            self.sum_ms as f64 / 1000.0
        );
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

impl Metrics {
    /// Counts one finished call from its telemetry row.
    pub fn observe(&self, record: &InvocationRecord) {
        let status = record.status.as_str();
        if let Some(class) = record.error_class.as_deref().filter(|c| is_rejection(c)) {
            let mut rejections = self
                .rejections
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *rejections
                .entry((record.integration_slug.clone(), class.to_owned()))
                .or_default() += 1;
        }
        let mut calls = self.by_call.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = calls
            .entry((record.integration_slug.clone(), status))
            .or_default();
        stats.requests += 1;
        stats.prompt_tokens += record.prompt_tokens.unwrap_or(0);
        stats.completion_tokens += record.completion_tokens.unwrap_or(0);
        stats.cost_nanos = stats
            .cost_nanos
            .saturating_add(record.cost.map_or(0, |c| c.0));
        stats.total.observe(record.latency_ms);
        if let Some(upstream_ms) = record.upstream_ms {
            stats
                .added
                .observe(record.latency_ms.saturating_sub(upstream_ms));
        }
    }

    /// The text exposition of every metric, telemetry queue figures included.
    pub fn render(&self, telemetry: &TelemetryStats) -> String {
        let mut out = String::with_capacity(4096);
        let calls = self.by_call.lock().unwrap_or_else(PoisonError::into_inner);
        let families: [Family; 4] = [
            (
                "ai_gateway_requests_total",
                "counter",
                "Calls by integration and status.",
                |s| s.requests.to_string(),
            ),
            (
                "ai_gateway_prompt_tokens_total",
                "counter",
                "Prompt tokens billed.",
                |s| s.prompt_tokens.to_string(),
            ),
            (
                "ai_gateway_completion_tokens_total",
                "counter",
                "Completion tokens billed.",
                |s| s.completion_tokens.to_string(),
            ),
            (
                "ai_gateway_cost_usd_total",
                "counter",
                "Billed cost in USD.",
                |s| (s.cost_nanos as f64 / 1e9).to_string(),
            ),
        ];
        for (name, kind, help, value) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((slug, status), stats) in calls.iter() {
                let _ = writeln!(
                    out,
                    "{name}{{integration=\"{}\",status=\"{status}\"}} {}",
                    escape(slug),
                    value(stats)
                );
            }
        }
        for (name, help, pick) in [
            (
                "ai_gateway_request_duration_seconds",
                "Whole call latency.",
                (|s: &CallStats| &s.total) as fn(&CallStats) -> &Histogram,
            ),
            (
                "ai_gateway_added_latency_seconds",
                "Latency the gateway adds on top of OpenRouter.",
                |s: &CallStats| &s.added,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
            for ((slug, status), stats) in calls.iter() {
                pick(stats).render(
                    &mut out,
                    name,
                    &format!("integration=\"{}\",status=\"{status}\"", escape(slug)),
                );
            }
        }
        drop(calls);
        let _ = writeln!(
            out,
            "# HELP ai_gateway_limit_rejections_total Calls refused before any spend.\n# TYPE ai_gateway_limit_rejections_total counter"
        );
        for ((slug, reason), count) in self
            .rejections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "ai_gateway_limit_rejections_total{{integration=\"{}\",reason=\"{reason}\"}} {count}",
                escape(slug)
            );
        }
        let written = telemetry.written.load(Ordering::Relaxed);
        let batches = telemetry.batches.load(Ordering::Relaxed);
        for (name, kind, help, value) in [
            (
                "ai_gateway_telemetry_queue_depth",
                "gauge",
                "Invocation rows waiting to be written, those in the spill file included.",
                telemetry.depth(),
            ),
            (
                "ai_gateway_telemetry_rows_written_total",
                "counter",
                "Invocation rows written.",
                written,
            ),
            (
                "ai_gateway_telemetry_batches_total",
                "counter",
                "Insert batches written.",
                batches,
            ),
            (
                "ai_gateway_telemetry_failed_batches_total",
                "counter",
                "Insert batches that failed and were retried.",
                telemetry.failed_batches.load(Ordering::Relaxed),
            ),
            (
                "ai_gateway_telemetry_spill_backlog",
                "gauge",
                "Invocation rows waiting in the spill file for the database.",
                telemetry.spill_backlog.load(Ordering::Relaxed),
            ),
            (
                "ai_gateway_telemetry_quarantined_total",
                "counter",
                "Invocation rows the database refused, set aside in the quarantine file.",
                telemetry.quarantined.load(Ordering::Relaxed),
            ),
            (
                "ai_gateway_telemetry_lost_total",
                "counter",
                "Invocation rows lost because the spill file was full or could not be written.",
                telemetry.lost.load(Ordering::Relaxed),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}

fn is_rejection(class: &str) -> bool {
    matches!(class, "rate_limited" | "budget_exceeded")
}

/// Label values escape backslashes, quotes and newlines.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::Status;

    fn record(
        slug: &str,
        status: Status,
        latency_ms: u64,
        upstream_ms: Option<u64>,
    ) -> InvocationRecord {
        let mut record = InvocationRecord::new(slug, "api", None, 0);
        record.status = status;
        record.latency_ms = latency_ms;
        record.upstream_ms = upstream_ms;
        record.prompt_tokens = Some(10);
        record.cost = Some(gateway_types::NanoUsd(1_500));
        record
    }

    #[test]
    fn calls_are_counted_by_integration_and_status_with_latency_buckets() {
        let metrics = Metrics::default();
        metrics.observe(&record("a", Status::Ok, 120, Some(100)));
        metrics.observe(&record("a", Status::Ok, 30, Some(28)));
        let mut limited = record("a", Status::Error, 1, None);
        limited.error_class = Some("rate_limited".to_owned());
        metrics.observe(&limited);
        let text = metrics.render(&TelemetryStats::default());
        assert!(
            text.contains("ai_gateway_requests_total{integration=\"a\",status=\"ok\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("ai_gateway_prompt_tokens_total{integration=\"a\",status=\"ok\"} 20")
        );
        assert!(text.contains("ai_gateway_request_duration_seconds_bucket{integration=\"a\",status=\"ok\",le=\"0.25\"} 2"));
        assert!(text.contains("ai_gateway_request_duration_seconds_bucket{integration=\"a\",status=\"ok\",le=\"0.1\"} 1"));
        assert!(text.contains("ai_gateway_added_latency_seconds_bucket{integration=\"a\",status=\"ok\",le=\"0.025\"} 2"));
        assert!(text.contains(
            "ai_gateway_limit_rejections_total{integration=\"a\",reason=\"rate_limited\"} 1"
        ));
        assert!(
            text.contains("ai_gateway_cost_usd_total{integration=\"a\",status=\"ok\"} 0.000003")
        );
        assert!(text.contains("ai_gateway_telemetry_queue_depth 0"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
