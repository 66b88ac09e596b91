//! The core's error type: what went wrong in domain terms, with no HTTP status attached.

use gateway_types::{FieldErrors, NanoUsd};

/// Everything the core can fail with. Surfaces map variants to their own status codes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or may not be seen by this caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input broke a rule; the messages are keyed by field.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// Input clashes with stored state (a taken slug, a turn already in progress).
    #[error("conflict: {0}")]
    Conflict(FieldErrors),
    #[error("rate limit of {limit}/min exceeded for integration '{slug}'")]
    RateLimited {
        slug: String,
        limit: u32,
        retry_after_secs: u64,
    },
    #[error(
        "daily cost limit of {} reached for integration '{slug}': spent {} today, and this call \
         may cost up to {}{}",
        cap.cost_text(),
        spent.cost_text(),
        estimate.cost_text(),
        if *held {
            "; the estimates held for calls in flight leave no room until they finish"
        } else {
            ""
        }
    )]
    BudgetExceeded {
        slug: String,
        /// Today's settled spend.
        spent: NanoUsd,
        cap: NanoUsd,
        /// This call's worst-case cost, which had to fit under the cap.
        estimate: NanoUsd,
        /// Only the holds of calls in flight stood in the way: the call would fit once they settle.
        held: bool,
    },
    /// OpenRouter failed, timed out or answered something unusable.
    #[error("upstream: {0}")]
    Upstream(crate::upstream::UpstreamError),
    #[error("{context}: {source}")]
    Store {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database url {0:?}: expected sqlite:… or postgres://…")]
    UnsupportedDatabase(String),
    #[error("preparing the database file: {0}")]
    DatabaseFile(#[source] std::io::Error),
    /// A failure with no domain meaning (a background task died, a library refused its input).
    #[error("internal error: {0}")]
    Internal(String),
    /// Stored data the core wrote itself could not be read back (a bug or manual tampering).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldErrors::single(field, message))
    }

    /// A unique-constraint violation reported by either engine.
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Store { source: sqlx::Error::Database(e), .. } if e.is_unique_violation())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what the store was doing to a database error.
pub(crate) trait StoreContext<T> {
    fn context(self, context: &'static str) -> Result<T>;
}

impl<T> StoreContext<T> for Result<T, sqlx::Error> {
    fn context(self, context: &'static str) -> Result<T> {
        self.map_err(|source| Error::Store { context, source })
    }
}

/// Decodes a JSON column the core wrote itself.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising plain data types to a string cannot fail; fall back to null just in case.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(spent: i64, held: bool) -> String {
        Error::BudgetExceeded {
            slug: "capped".to_owned(),
            spent: NanoUsd(spent),
            cap: NanoUsd(2_000_000),
            estimate: NanoUsd(1_500_000),
            held,
        }
        .to_string()
    }

    #[test]
    fn a_cap_refusal_states_cap_spend_and_estimate_with_their_significant_digits() {
        assert_eq!(
            refusal(600_000, false),
            "daily cost limit of $0.002 reached for integration 'capped': spent $0.0006 today, \
             and this call may cost up to $0.0015"
        );
    }

    #[test]
    fn a_cap_refusal_says_when_holds_of_calls_in_flight_stand_in_the_way() {
        assert!(
            refusal(100_000, true).ends_with(
                "; the estimates held for calls in flight leave no room until they finish"
            ),
            "{}",
            refusal(100_000, true)
        );
        assert!(!refusal(100_000, false).contains("in flight"));
    }
}
