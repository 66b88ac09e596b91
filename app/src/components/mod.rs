//! Pieces several console pages share: the page frame, notifications, badges.

pub mod confirm;
pub mod draft_with_ai;
pub mod filters;
pub mod form;
pub mod layout;
pub mod model_filter;
pub mod model_picker;
pub mod pager;
pub mod prompt_editor;
pub mod run;
pub mod side_by_side;
pub mod test_panel;
pub mod theme;
pub mod toast;
pub mod variables;
