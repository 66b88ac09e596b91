//! The core through its Rust API: real databases (SQLite and PostgreSQL) and the OpenRouter
//! simulator over real HTTP.

// Marks the shared helpers as test code too, so clippy lets them unwrap like the tests do.
#![cfg(test)]

mod accounts;
mod admin;
mod builder;
mod conversations;
mod dashboard;
mod exchanges;
mod helpers;
mod history;
mod invoke;
mod knobs;
mod limits;
mod manifest;
mod registry;
mod telemetry;
