//! What the console shows about an integration's versions: the history, each version's settings as
//! display text, and the difference between two versions. Computed by the core; only shapes here.

use serde::{Deserialize, Serialize};

use crate::{Integration, Version};

/// One setting of a version as a person reads it, e.g. `Models` = `a, b`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub field: String,
    pub value: String,
}

/// A version with its settings spelled out for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: Version,
    /// When it was saved, e.g. `Sat, 27 Jun 2026 13:11:00 GMT`.
    pub created_at: String,
    pub settings: Vec<Setting>,
}

/// An integration and every one of its versions, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionHistory {
    pub integration: Integration,
    pub versions: Vec<VersionView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineChange {
    Kept,
    Added,
    Removed,
}

/// One line of a unified diff. Line numbers count from 1; a line has a number only on the sides it
/// appears on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub change: LineChange,
    pub old_number: Option<u32>,
    pub new_number: Option<u32>,
    pub text: String,
}

/// A run of changed lines with a little unchanged context around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub old_start: u32,
    pub old_len: u32,
    pub new_start: u32,
    pub new_len: u32,
    pub lines: Vec<DiffLine>,
}

impl Hunk {
    /// The `@@ -a,b +c,d @@` line of a unified diff.
    pub fn header(&self) -> String {
        format!(
            "@@ -{},{} +{},{} @@",
            self.old_start, self.old_len, self.new_start, self.new_len
        )
    }
}

/// A setting whose display text differs between two versions; `—` stands for absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// How version `to` differs from version `from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDiff {
    pub from: i32,
    pub to: i32,
    pub prompt: Vec<Hunk>,
    pub settings: Vec<SettingChange>,
}

impl VersionDiff {
    pub fn is_empty(&self) -> bool {
        self.prompt.is_empty() && self.settings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hunk_header_reads_like_a_unified_diff() {
        let hunk = Hunk {
            old_start: 3,
            old_len: 2,
            new_start: 3,
            new_len: 4,
            lines: Vec::new(),
        };
        assert_eq!(hunk.header(), "@@ -3,2 +3,4 @@");
    }
}
