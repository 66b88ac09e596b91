//! One module per console page.

pub mod editor;
pub mod home;
pub mod integrations;
pub mod invocations;
pub mod not_found;
pub mod versions;
