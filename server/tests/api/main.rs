//! The server's HTTP surface, exercised over real HTTP against a real database.

// Marks the shared helpers as test code too, so clippy lets them unwrap like the tests do.
#![cfg(test)]

mod console;
mod health;
mod helpers;
mod invoke;
mod openai;
mod openapi;
