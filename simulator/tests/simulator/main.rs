//! End-to-end tests of the simulator: each test starts one on a random port and talks HTTP to it.

// Marks the shared helpers as test code too, so clippy lets them unwrap like the tests do.
#![cfg(test)]

mod account;
mod cancellation;
mod catalog;
mod chat;
mod faults;
mod helpers;
mod lifecycle;
mod streaming;
mod tools;
