//! One module per console page.

pub mod api_docs;
pub mod dashboard;
pub mod editor;
pub mod integrations;
pub mod invocations;
pub mod not_found;
pub mod settings;
pub mod tokens;
pub mod versions;
