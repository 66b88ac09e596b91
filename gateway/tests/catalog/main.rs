//! The catalog suite: loading, refreshing and keeping the model list, on SQLite and PostgreSQL.

// Marks the shared helpers as test code too, so clippy lets them unwrap like the tests do.
#![cfg(test)]

mod helpers;
mod loading;
mod refreshing;
mod staleness;
