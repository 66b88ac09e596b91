//! The writer's files on local disk: the spill (`spill.jsonl`, operations waiting for the
//! database, replayed in order) and the quarantine (`quarantine.jsonl`, operations the database
//! refused for a reason of their own, kept for the operator). Deciding what goes where belongs
//! to the writer, not here.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::{Operation, TelemetryStats};

pub(super) const SPILL_FILE: &str = "spill.jsonl";
pub(super) const QUARANTINE_FILE: &str = "quarantine.jsonl";

/// The spill directory a database gets when none is configured: one per database, so that two
/// deployments (or two test databases) never replay each other's rows. `sqlite:<path>` spills
/// next to its file, in `<path>.spill`; PostgreSQL in `data/spill/<database name>`.
pub fn default_spill_dir(database_url: &str) -> PathBuf {
    if let Some(rest) = database_url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or_default();
        if !path.is_empty() && path != ":memory:" {
            return PathBuf::from(format!("{path}.spill"));
        }
        return PathBuf::from("data/spill/sqlite-memory");
    }
    let without_query = database_url.split('?').next().unwrap_or_default();
    let after_scheme = without_query
        .split_once("://")
        .map_or(without_query, |(_, rest)| rest);
    let name = after_scheme
        .split_once('/')
        .map(|(_, name)| name)
        .filter(|name| !name.is_empty())
        .unwrap_or("postgres");
    // A database name may hold characters a file name should not; the directory only needs to
    // be distinct and recognisable.
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Path::new("data/spill").join(name)
}

/// One line read back from the spill file.
pub(super) struct Entry {
    /// `None` when the line is not an operation (a write cut short by a crash).
    pub(super) op: Option<Operation>,
    /// The file offset just after this line.
    pub(super) end: u64,
}

/// The spill file and how far it has been replayed. Only the writer task touches it, so its
/// bookkeeping lives in memory; after a restart the whole file is replayed again, which is
/// harmless because every operation is idempotent.
pub(super) struct Spill {
    dir: PathBuf,
    max_bytes: u64,
    /// Bytes in the file.
    size: u64,
    /// Bytes already replayed into the database.
    offset: u64,
    /// Operations after `offset`.
    backlog: u64,
}

impl Spill {
    /// Looks for a spill file left by a previous process. The directory is created only when
    /// something needs to be spilled, so a healthy deployment leaves nothing on disk.
    pub(super) fn open(dir: PathBuf, max_bytes: u64) -> Self {
        let mut spill = Self {
            dir,
            max_bytes,
            size: 0,
            offset: 0,
            backlog: 0,
        };
        let path = spill.path();
        match File::open(&path) {
            Ok(file) => {
                spill.size = file.metadata().map(|m| m.len()).unwrap_or(0);
                spill.backlog = count_lines(file);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::error!(error = %e, path = %path.display(), "cannot read the telemetry spill file");
            }
        }
        spill
    }

    pub(super) fn path(&self) -> PathBuf {
        self.dir.join(SPILL_FILE)
    }

    pub(super) fn backlog(&self) -> u64 {
        self.backlog
    }

    pub(super) fn is_empty(&self) -> bool {
        self.backlog == 0
    }

    /// Appends `ops` in order. Operations that would grow the file beyond its bound, or that
    /// cannot be written at all, are dropped and counted as lost. Returns whether every one was
    /// kept.
    pub(super) fn append(&mut self, ops: &[Operation], stats: &TelemetryStats) -> bool {
        if ops.is_empty() {
            return true;
        }
        let mut buffer = String::new();
        let mut kept = 0u64;
        let mut dropped = 0u64;
        for op in ops {
            let line = match serde_json::to_string(op) {
                Ok(line) => line,
                Err(e) => {
                    tracing::error!(error = %e, ?op, "an invocation operation cannot be encoded; it is lost");
                    dropped += 1;
                    continue;
                }
            };
            let grown = self.size + buffer.len() as u64 + line.len() as u64 + 1;
            if grown > self.max_bytes {
                tracing::error!(operation = %line, max_bytes = self.max_bytes, "the telemetry spill file is full; an invocation operation is lost");
                dropped += 1;
                continue;
            }
            buffer.push_str(&line);
            buffer.push('\n');
            kept += 1;
        }
        if !buffer.is_empty()
            && let Err(e) = self.write(buffer.as_bytes())
        {
            tracing::error!(error = %e, path = %self.path().display(), operations = kept, "cannot write the telemetry spill file; invocation operations are lost");
            dropped += kept;
            kept = 0;
        }
        self.backlog += kept;
        stats.spill_backlog.store(self.backlog, Ordering::Relaxed);
        if dropped > 0 {
            stats.lost.fetch_add(dropped, Ordering::Relaxed);
            stats.failing.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        let mut file = open_private(&self.path())?;
        if let Err(e) = file.write_all(bytes) {
            // A half-written line would glue itself to the next one; cut it off.
            let _ = file.set_len(self.size);
            return Err(e);
        }
        self.size += bytes.len() as u64;
        Ok(())
    }

    /// Reads up to `max` lines after the replayed part, in order.
    pub(super) fn read(&self, max: usize) -> std::io::Result<Vec<Entry>> {
        let mut file = File::open(self.path())?;
        file.seek(SeekFrom::Start(self.offset))?;
        let mut reader = BufReader::new(file);
        let mut entries = Vec::new();
        let mut end = self.offset;
        let mut line = String::new();
        while entries.len() < max && end < self.size {
            line.clear();
            let read = reader.read_line(&mut line)?;
            if read == 0 {
                break;
            }
            end += read as u64;
            let op = match serde_json::from_str::<Operation>(line.trim_end()) {
                Ok(op) => Some(op),
                Err(e) => {
                    tracing::error!(error = %e, line = %line.trim_end(), "a line of the telemetry spill file is not an operation");
                    None
                }
            };
            entries.push(Entry { op, end });
        }
        Ok(entries)
    }

    /// Marks the first `consumed` entries of a [`Spill::read`] as done; truncates the file once
    /// everything in it is.
    pub(super) fn advance(&mut self, entries: &[Entry], consumed: usize, stats: &TelemetryStats) {
        let done = &entries[..consumed.min(entries.len())];
        let Some(last) = done.last() else {
            return;
        };
        let unreadable = done.iter().filter(|e| e.op.is_none()).count() as u64;
        if unreadable > 0 {
            stats.lost.fetch_add(unreadable, Ordering::Relaxed);
        }
        self.offset = last.end;
        self.backlog = self.backlog.saturating_sub(done.len() as u64);
        if self.offset >= self.size {
            self.truncate();
        }
        stats.spill_backlog.store(self.backlog, Ordering::Relaxed);
    }

    fn truncate(&mut self) {
        let cut = OpenOptions::new()
            .write(true)
            .open(self.path())
            .and_then(|file| file.set_len(0));
        match cut {
            Ok(()) => {
                self.size = 0;
                self.offset = 0;
                self.backlog = 0;
            }
            // The file is replayed again later; every operation in it is idempotent.
            Err(e) => {
                tracing::error!(error = %e, path = %self.path().display(), "cannot truncate the replayed telemetry spill file")
            }
        }
    }
}

/// Appends a refused operation, with the database's reason, to `quarantine.jsonl`.
pub(super) fn quarantine(dir: &Path, op: &Operation, reason: &str) {
    let line = serde_json::json!({
        "quarantined_at_ms": now_ms(),
        "reason": reason,
        "operation": op,
    });
    let written = create_private_dir(dir)
        .and_then(|()| open_private(&dir.join(QUARANTINE_FILE)))
        .and_then(|mut file| writeln!(file, "{line}"));
    if let Err(e) = written {
        // The row is still in the log, in full.
        tracing::error!(error = %e, dir = %dir.display(), "cannot write the telemetry quarantine file");
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn count_lines(file: File) -> u64 {
    let mut reader = BufReader::new(file);
    let mut lines = 0;
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match reader.read_until(b'\n', &mut buffer) {
            Ok(0) | Err(_) => return lines,
            Ok(_) => lines += 1,
        }
    }
}

/// Rows hold what callers sent; only the gateway's own user may read them.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn open_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::InvocationRecord;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("ai-gateway-spill-test-{}", uuid::Uuid::new_v4()))
    }

    fn op(slug: &str) -> Operation {
        Operation::Insert(InvocationRecord::new(slug, "api", None, 1))
    }

    #[test]
    fn default_directories_are_one_per_database() {
        assert_eq!(
            default_spill_dir("sqlite:data/ai-gateway.db"),
            PathBuf::from("data/ai-gateway.db.spill")
        );
        assert_eq!(
            default_spill_dir("sqlite:///tmp/x.db?mode=rwc"),
            PathBuf::from("/tmp/x.db.spill")
        );
        assert_eq!(
            default_spill_dir("postgres://u:p@db:5432/gateway?sslmode=require"),
            PathBuf::from("data/spill/gateway")
        );
        assert_eq!(
            default_spill_dir("postgresql://u@db"),
            PathBuf::from("data/spill/postgres")
        );
    }

    #[test]
    fn operations_beyond_the_bound_are_counted_as_lost() {
        let dir = temp_dir();
        let line = serde_json::to_string(&op("a")).unwrap().len() as u64 + 1;
        let stats = TelemetryStats::default();
        let mut spill = Spill::open(dir.clone(), line * 3);
        assert!(spill.append(&[op("a"), op("b")], &stats));
        assert!(!stats.failing.load(Ordering::Relaxed));
        assert!(!spill.append(&[op("c"), op("d"), op("e")], &stats));
        assert_eq!(spill.backlog(), 3);
        assert_eq!(stats.lost.load(Ordering::Relaxed), 2);
        assert_eq!(stats.spill_backlog.load(Ordering::Relaxed), 3);
        assert!(stats.failing.load(Ordering::Relaxed));
        assert_eq!(
            std::fs::metadata(spill.path()).unwrap().len(),
            line * 3,
            "the file stays within its bound"
        );

        // What was kept reads back in order, and a new process finds it too.
        let slugs: Vec<String> = spill
            .read(10)
            .unwrap()
            .into_iter()
            .map(|e| match e.op {
                Some(Operation::Insert(r)) => r.integration_slug,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(slugs, ["a", "b", "c"]);
        assert_eq!(Spill::open(dir.clone(), line * 3).backlog(), 3);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_replayed_file_is_truncated_and_unreadable_lines_are_lost() {
        let dir = temp_dir();
        let stats = TelemetryStats::default();
        let mut spill = Spill::open(dir.clone(), 1 << 20);
        assert!(spill.append(&[op("a")], &stats));
        // A write cut short by a crash.
        let mut file = open_private(&spill.path()).unwrap();
        file.write_all(b"{\"op\":\"ins\n").unwrap();
        drop(file);
        let mut spill = Spill::open(dir.clone(), 1 << 20);
        assert!(spill.append(&[op("b")], &stats));
        assert_eq!(spill.backlog(), 3);

        let first = spill.read(1).unwrap();
        spill.advance(&first, 1, &stats);
        assert_eq!(spill.backlog(), 2);
        let rest = spill.read(10).unwrap();
        assert_eq!(rest.len(), 2);
        assert!(rest[0].op.is_none());
        spill.advance(&rest, 2, &stats);
        assert_eq!(spill.backlog(), 0);
        assert_eq!(stats.lost.load(Ordering::Relaxed), 1);
        assert_eq!(std::fs::metadata(spill.path()).unwrap().len(), 0);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&spill.path()), 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
