//! One module per console page.

pub mod home;
pub mod not_found;
