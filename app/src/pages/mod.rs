//! One module per console page.

pub mod dashboard;
pub mod editor;
pub mod integrations;
pub mod not_found;
pub mod versions;
