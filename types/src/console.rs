//! What the console's lists ask for and get back: queries, rows and pages.

use serde::{Deserialize, Serialize};

use crate::Visibility;

/// One page of a server-paginated list, with the number of rows matching the query in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        let pages = self.total.div_ceil(u64::from(self.per_page.max(1)));
        u32::try_from(pages).unwrap_or(u32::MAX).max(1)
    }
}

/// The integrations list's search, filters and page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationQuery {
    /// Matched case-insensitively against slug and name.
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// 1-based; 0 counts as 1.
    #[serde(default)]
    pub page: u32,
}

impl IntegrationQuery {
    pub const PER_PAGE: u32 = 10;
}

/// One row of the integrations list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub primary_model: Option<String>,
    pub fallback_count: usize,
    pub visibility: Visibility,
    pub active: bool,
    /// The active version's number.
    pub version: i32,
    pub created_at_ms: i64,
}
