//! One module per console page.

pub mod home;
pub mod integrations;
pub mod not_found;
pub mod versions;
