//! Versions as the console reads them: settings and times as display text, and the difference
//! between two drafts, a unified line diff of the prompt template (longest common subsequence)
//! plus the settings whose text changed. Pure: no store, no clock.

use std::time::{Duration, UNIX_EPOCH};

use gateway_types::{
    DiffLine, Hunk, LineChange, PromptVariable, Setting, SettingChange, VersionDraft,
};

/// Unchanged lines shown around each change, as `diff -u` does.
pub const CONTEXT_LINES: usize = 3;

/// Above this many comparison cells (old lines × new lines, after the common ends are set aside)
/// the middle is shown as wholly removed and re-added, so a huge prompt cannot exhaust memory.
const MAX_CELLS: usize = 4_000_000;

/// Shown for a setting a version does not have.
pub const ABSENT: &str = "—";

/// The unified hunks that turn `old` into `new`. Lines are compared exactly; a difference only in
/// the final line break is not shown.
pub fn prompt_hunks(old: &str, new: &str) -> Vec<Hunk> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    hunks(&edit_script(&old, &new))
}

/// The settings whose display text differs, in the order `settings` lists them; a field only one
/// side has shows [`ABSENT`] on the other.
pub fn setting_changes(old: &VersionDraft, new: &VersionDraft) -> Vec<SettingChange> {
    let before = settings(old);
    let after = settings(new);
    // The new version's order, with each field it dropped placed after its neighbour from before,
    // so that parameters and variables stay together.
    let mut fields: Vec<&str> = after.iter().map(|s| s.field.as_str()).collect();
    let mut previous: Option<usize> = None;
    for setting in &before {
        let at = match fields.iter().position(|f| *f == setting.field) {
            Some(at) => at,
            None => {
                let at = previous.map_or(0, |p| p + 1);
                fields.insert(at, &setting.field);
                at
            }
        };
        previous = Some(at);
    }
    let value_in = |list: &[Setting], field: &str| {
        list.iter()
            .find(|s| s.field == field)
            .map_or_else(|| ABSENT.to_owned(), |s| s.value.clone())
    };
    fields
        .into_iter()
        .map(|field| SettingChange {
            field: field.to_owned(),
            before: value_in(&before, field),
            after: value_in(&after, field),
        })
        .filter(|change| change.before != change.after)
        .collect()
}

/// Everything of a draft but its prompt template, one display line per setting. Each default
/// parameter and each variable is a setting of its own, so a diff names exactly what changed.
pub fn settings(draft: &VersionDraft) -> Vec<Setting> {
    let mut list = vec![
        setting("Models", or_absent(draft.models.join(", "))),
        setting(
            "Prompt caching",
            if draft.cacheable { "on" } else { "off" }.to_owned(),
        ),
    ];
    list.extend(
        draft
            .default_params
            .iter()
            .map(|(name, value)| setting(&format!("Parameter {name}"), value.to_string())),
    );
    list.extend(
        draft
            .variables
            .iter()
            .map(|v| setting(&format!("Variable {}", v.name), describe_variable(v))),
    );
    let tools = &draft.server_tools;
    list.push(setting("Web search", tool(tools.web_search.as_ref())));
    list.push(setting("Web fetch", tool(tools.web_fetch.as_ref())));
    list.push(setting(
        "Notes",
        or_absent(draft.notes.clone().unwrap_or_default()),
    ));
    list
}

/// UTC epoch milliseconds as a person reads them, e.g. `Sat, 27 Jun 2026 13:11:00 GMT`.
pub fn display_time(ms: i64) -> String {
    let since_epoch = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    httpdate::fmt_http_date(UNIX_EPOCH + since_epoch)
}

fn setting(field: &str, value: String) -> Setting {
    Setting {
        field: field.to_owned(),
        value,
    }
}

fn or_absent(text: String) -> String {
    if text.trim().is_empty() {
        ABSENT.to_owned()
    } else {
        text
    }
}

fn describe_variable(variable: &PromptVariable) -> String {
    let mut parts = vec![
        variable.kind.as_str().to_owned(),
        if variable.required {
            "required"
        } else {
            "optional"
        }
        .to_owned(),
    ];
    if let Some(default) = &variable.default {
        parts.push(format!("default {default}"));
    }
    if let Some(description) = variable.description.as_deref().filter(|d| !d.is_empty()) {
        parts.push(format!("\"{description}\""));
    }
    parts.join(", ")
}

/// A server tool's settings as compact JSON (`on` when it has none), or `off`.
fn tool<T: serde::Serialize>(config: Option<&T>) -> String {
    let Some(config) = config else {
        return "off".to_owned();
    };
    match serde_json::to_value(config) {
        Ok(serde_json::Value::Object(map)) if map.is_empty() => "on".to_owned(),
        Ok(value) => format!("on {value}"),
        // The tool types are plain data; should one ever fail to serialise, say so rather than hide it.
        Err(_) => "on (settings unreadable)".to_owned(),
    }
}

/// The whole edit from `old` to `new`, with 1-based line numbers on each side.
fn edit_script(old: &[&str], new: &[&str]) -> Vec<DiffLine> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[prefix..old.len() - suffix];
    let new_mid = &new[prefix..new.len() - suffix];

    let mut script = Vec::with_capacity(old.len().max(new.len()));
    let mut at = Cursor::default();
    for line in &old[..prefix] {
        script.push(at.kept(line));
    }
    for change in middle(old_mid, new_mid) {
        script.push(match change {
            Step::Keep(i) => at.kept(old_mid[i]),
            Step::Remove(i) => at.removed(old_mid[i]),
            Step::Add(j) => at.added(new_mid[j]),
        });
    }
    for line in &old[old.len() - suffix..] {
        script.push(at.kept(line));
    }
    script
}

enum Step {
    Keep(usize),
    Remove(usize),
    Add(usize),
}

/// The steps through the middle: a longest common subsequence kept, the rest removed then added.
fn middle(old: &[&str], new: &[&str]) -> Vec<Step> {
    let (n, m) = (old.len(), new.len());
    if n.saturating_mul(m) > MAX_CELLS {
        return (0..n)
            .map(Step::Remove)
            .chain((0..m).map(Step::Add))
            .collect();
    }
    // common[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let width = m + 1;
    let mut common = vec![0_u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i * width + j] = if old[i] == new[j] {
                common[(i + 1) * width + j + 1] + 1
            } else {
                common[(i + 1) * width + j].max(common[i * width + j + 1])
            };
        }
    }
    let mut steps = Vec::with_capacity(n + m);
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            steps.push(Step::Keep(i));
            i += 1;
            j += 1;
        } else if j == m || (i < n && common[(i + 1) * width + j] >= common[i * width + j + 1]) {
            // Preferring removal on a tie puts removed lines before added ones, as `diff -u` does.
            steps.push(Step::Remove(i));
            i += 1;
        } else {
            steps.push(Step::Add(j));
            j += 1;
        }
    }
    steps
}

/// The next line number on each side.
#[derive(Default)]
struct Cursor {
    old: u32,
    new: u32,
}

impl Cursor {
    fn kept(&mut self, text: &str) -> DiffLine {
        self.old += 1;
        self.new += 1;
        line(LineChange::Kept, Some(self.old), Some(self.new), text)
    }

    fn removed(&mut self, text: &str) -> DiffLine {
        self.old += 1;
        line(LineChange::Removed, Some(self.old), None, text)
    }

    fn added(&mut self, text: &str) -> DiffLine {
        self.new += 1;
        line(LineChange::Added, None, Some(self.new), text)
    }
}

fn line(change: LineChange, old: Option<u32>, new: Option<u32>, text: &str) -> DiffLine {
    DiffLine {
        change,
        old_number: old,
        new_number: new,
        text: text.to_owned(),
    }
}

/// Groups the changed lines of `script` with their context; changes closer than twice the context
/// share a hunk.
fn hunks(script: &[DiffLine]) -> Vec<Hunk> {
    let changed: Vec<usize> = script
        .iter()
        .enumerate()
        .filter(|(_, l)| l.change != LineChange::Kept)
        .map(|(i, _)| i)
        .collect();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for index in changed {
        let start = index.saturating_sub(CONTEXT_LINES);
        let end = (index + CONTEXT_LINES + 1).min(script.len());
        match ranges.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => ranges.push((start, end)),
        }
    }
    ranges
        .into_iter()
        .map(|(start, end)| hunk(&script[start..end], &script[..start]))
        .collect()
}

fn hunk(lines: &[DiffLine], before: &[DiffLine]) -> Hunk {
    let count = |side: fn(&DiffLine) -> Option<u32>, lines: &[DiffLine]| {
        u32::try_from(lines.iter().filter(|l| side(l).is_some()).count()).unwrap_or(u32::MAX)
    };
    let old_len = count(|l| l.old_number, lines);
    let new_len = count(|l| l.new_number, lines);
    // As in `diff -u`, an empty side starts at the line before the hunk (0 at the top).
    let start = |len: u32, side: fn(&DiffLine) -> Option<u32>| {
        let seen = count(side, before);
        if len == 0 { seen } else { seen + 1 }
    };
    Hunk {
        old_start: start(old_len, |l| l.old_number),
        old_len,
        new_start: start(new_len, |l| l.new_number),
        new_len,
        lines: lines.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use gateway_types::WebSearchTool;

    use super::*;
    use crate::test_support::sample_draft as draft;

    /// A hunk as `diff -u` would print it, without the header.
    fn render(hunk: &Hunk) -> Vec<String> {
        hunk.lines
            .iter()
            .map(|l| {
                let mark = match l.change {
                    LineChange::Kept => ' ',
                    LineChange::Added => '+',
                    LineChange::Removed => '-',
                };
                format!("{mark}{}", l.text)
            })
            .collect()
    }

    #[test]
    fn identical_prompts_have_no_hunks() {
        assert!(prompt_hunks("a\nb\nc", "a\nb\nc").is_empty());
        assert!(prompt_hunks("", "").is_empty());
    }

    #[test]
    fn a_changed_line_is_removed_then_added_with_numbers_on_its_own_side() {
        let hunks = prompt_hunks("one\ntwo\nthree", "one\n2\nthree");
        assert_eq!(hunks.len(), 1);
        assert_eq!(hunks[0].header(), "@@ -1,3 +1,3 @@");
        assert_eq!(render(&hunks[0]), [" one", "-two", "+2", " three"]);
        let removed = &hunks[0].lines[1];
        assert_eq!((removed.old_number, removed.new_number), (Some(2), None));
        let added = &hunks[0].lines[2];
        assert_eq!((added.old_number, added.new_number), (None, Some(2)));
    }

    #[test]
    fn the_longest_common_subsequence_is_kept() {
        let hunks = prompt_hunks("a\nb\nc\nd", "b\nx\nd\ne");
        assert_eq!(render(&hunks[0]), ["-a", " b", "-c", "+x", " d", "+e"]);
    }

    #[test]
    fn distant_changes_get_separate_hunks_with_three_lines_of_context() {
        let old: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
        let mut new = old.clone();
        new[1] = "two".into();
        new[17] = "eighteen".into();
        let hunks = prompt_hunks(&old.join("\n"), &new.join("\n"));
        assert_eq!(hunks.len(), 2);
        assert_eq!(hunks[0].header(), "@@ -1,5 +1,5 @@");
        assert_eq!(hunks[1].header(), "@@ -15,6 +15,6 @@");
        assert_eq!(render(&hunks[1]).first().map(String::as_str), Some(" 15"));
    }

    #[test]
    fn close_changes_share_a_hunk() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8";
        let new = "1\nB\n3\n4\n5\n6\nG\n8";
        assert_eq!(prompt_hunks(old, new).len(), 1);
    }

    #[test]
    fn adding_to_an_empty_prompt_starts_the_old_side_at_zero() {
        let hunks = prompt_hunks("", "hello\nworld");
        assert_eq!(hunks[0].header(), "@@ -0,0 +1,2 @@");
        assert_eq!(render(&hunks[0]), ["+hello", "+world"]);
    }

    #[test]
    fn a_huge_rewrite_falls_back_to_removing_and_adding_everything() {
        let old: Vec<String> = (0..2_500).map(|n| format!("old {n}")).collect();
        let new: Vec<String> = (0..2_500).map(|n| format!("new {n}")).collect();
        let hunks = prompt_hunks(&old.join("\n"), &new.join("\n"));
        assert_eq!(hunks.len(), 1);
        assert_eq!(hunks[0].header(), "@@ -1,2500 +1,2500 @@");
    }

    #[test]
    fn settings_spell_out_every_part_of_a_draft_but_the_prompt() {
        let fields: Vec<String> = settings(&draft()).into_iter().map(|s| s.field).collect();
        assert_eq!(
            fields,
            [
                "Models",
                "Prompt caching",
                "Parameter max_tokens",
                "Variable question",
                "Web search",
                "Web fetch",
                "Notes"
            ]
        );
    }

    #[test]
    fn only_changed_settings_are_listed_with_before_and_after() {
        let old = draft();
        let mut new = draft();
        new.models = vec!["anthropic/claude-haiku-4.5".into()];
        new.default_params.clear();
        new.default_params
            .insert("temperature".into(), serde_json::json!(0.2));
        new.server_tools.web_search = Some(WebSearchTool {
            max_results: Some(3),
            ..WebSearchTool::default()
        });
        new.notes = Some("shorter".into());
        new.prompt_template = "changed, but not a setting".into();
        let changes = setting_changes(&old, &new);
        let rows: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_str(), c.after.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("Models", "openai/gpt-4o-mini", "anthropic/claude-haiku-4.5"),
                ("Parameter max_tokens", "1024", ABSENT),
                ("Parameter temperature", ABSENT, "0.2"),
                ("Web search", "off", r#"on {"max_results":3}"#),
                ("Notes", ABSENT, "shorter"),
            ]
        );
    }

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(
            display_time(1_782_565_860_000),
            "Sat, 27 Jun 2026 13:11:00 GMT"
        );
        assert_eq!(display_time(-1), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn equal_drafts_have_no_setting_changes() {
        assert!(setting_changes(&draft(), &draft()).is_empty());
    }
}
