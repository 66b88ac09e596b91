//! The store suite: every test runs once on SQLite and once on PostgreSQL, through the same code.

// Marks the shared helpers as test code too, so clippy lets them unwrap like the tests do.
#![cfg(test)]

mod helpers;
mod invocations;
mod invocations_timing;
mod settings;
mod sqlite_file;
mod telemetry_writer;
