//! Pieces several console pages share: the page frame, notifications, badges.

pub mod layout;
pub mod toast;
