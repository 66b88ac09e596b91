//! The `ai-gateway` server as a library: configuration, command line, startup and the HTTP
//! routers, so integration tests start exactly what the binary starts.

mod auth;
pub mod cli;
mod client_limit;
pub mod config;
mod console;
mod edge;
mod error;
mod extract;
mod headers;
mod logging;
mod routes;
mod startup;

pub use config::Config;
pub use logging::init_logging;
pub use startup::Application;
