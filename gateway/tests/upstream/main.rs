//! The OpenRouter client against the simulator over real HTTP: answers, errors, retries,
//! deadlines, streaming and the catalog.

// Marks the shared helpers as test code too, so clippy lets them unwrap like the tests do.
#![cfg(test)]

mod chat;
mod errors;
mod helpers;
mod models;
mod retries;
mod streaming;
