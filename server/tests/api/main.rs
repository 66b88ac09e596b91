//! The server as people use it: its HTTP surface over real HTTP and its command line, each against a
//! real database.

// Marks the shared helpers as test code too, so clippy lets them unwrap like the tests do.
#![cfg(test)]

mod accounting;
mod assets;
mod auth;
mod cli;
mod console;
mod contract;
mod draft;
mod edge;
mod headers;
mod health;
mod helpers;
mod invocations;
mod invoke;
mod knobs;
mod messages;
mod openai;
mod openapi;
mod outage;
mod test_run;
