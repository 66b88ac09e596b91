//! The API token suite: minting, listing, revoking, verifying and usage tracking, each test once
//! on SQLite and once on PostgreSQL.

// Marks the shared helpers as test code too, so clippy lets them unwrap like the tests do.
#![cfg(test)]

mod helpers;
mod lifecycle;
mod usage;
