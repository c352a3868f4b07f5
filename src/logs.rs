//! Which event log a command uses: the data directory's embedded SQLite log (the
//! default), or the one `--log` / `HOTLINE_LOG_URL` names (`kafka://HOST:PORT/TOPIC`).
//! One place turns the choice into an open log, so every command reads and writes the
//! same log the same way.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use hotline_infra::config::CenterConfig;
use hotline_infra::{Durability, EventLog, LogTarget, SnapshotStore, SqliteLog};

/// What a command does with the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Appends, synced on each commit (the live center, imports).
    Write,
    /// Appends for a repeatable run on the virtual clock (demo, simulate): the embedded
    /// log defers its commits (`Durability::Deferred`); Kafka acknowledges as always.
    Replayable,
    /// Reads only; can run beside the writing process.
    Read,
}

/// The log a command with a center file runs on: the command line's (`--log` /
/// `HOTLINE_LOG_URL`) if given, else the center file's `log` key (a relative `sqlite://`
/// directory there is taken from the file's directory, as its flow files are), else none
/// (the data directory's). Every command that takes `--config` asks here, so that one
/// file cannot send `serve` to one log and `demo` or `replay` to another.
pub fn chosen(
    target: Option<&LogTarget>,
    config: &CenterConfig,
    file: Option<&Path>,
) -> Option<LogTarget> {
    if let Some(t) = target {
        return Some(t.clone());
    }
    match (&config.log, file.and_then(Path::parent)) {
        (Some(LogTarget::Sqlite(dir)), Some(base)) if dir.is_relative() => {
            Some(LogTarget::Sqlite(base.join(dir)))
        }
        (log, _) => log.clone(),
    }
}

/// The log `target` names, or the data directory's when there is none. An error names
/// the log once (here, not again by the caller).
pub async fn open(
    data_dir: &Path,
    target: Option<&LogTarget>,
    access: Access,
) -> Result<Arc<dyn EventLog>> {
    let opened = match target {
        None => open_sqlite(data_dir, access),
        Some(LogTarget::Sqlite(dir)) => open_sqlite(dir, access),
        Some(LogTarget::Kafka(kafka)) => open_kafka(kafka, access).await,
    };
    opened.with_context(|| match target {
        None => format!(
            "opening the event log {} (use --data-dir or HOTLINE_DATA_DIR for another place, or --log)",
            describe(data_dir, target)
        ),
        Some(_) => format!("opening the event log {}", describe(data_dir, target)),
    })
}

/// The file beside the snapshots naming the log they were folded from: its description
/// on one line, the hash of its first event on the next (empty while the log was empty).
const SNAPSHOTS_LOG: &str = "snapshots.log";

/// The data directory's projection snapshots, for `log`. They are a cache of one log's
/// history, and a data directory can be pointed at another log (`--log`, a center file's
/// key): snapshots folded from another log (another name, or another first event: a log
/// replaced by a new one) would be read as this one's. So the log's identity is kept
/// beside them, and snapshots of another log, or of no known log (a data directory from
/// before this check), are dropped with a warning: the runner rebuilds them from the log.
/// A log that was empty when its snapshots were made matches any first event.
pub async fn snapshots(
    data_dir: &Path,
    target: Option<&LogTarget>,
    log: &dyn EventLog,
) -> Result<SnapshotStore> {
    let store = SnapshotStore::open(data_dir)?;
    let name = describe(data_dir, target);
    let first = log
        .read_all(1, 1)
        .await?
        .first()
        .map(|r| r.hash.to_string())
        .unwrap_or_default();
    let file = data_dir.join(SNAPSHOTS_LOG);
    let identity = format!("{name}\n{first}\n");
    let saved = match std::fs::read_to_string(&file) {
        Ok(saved) => Some(saved),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).with_context(|| format!("reading {}", file.display()));
        }
    };
    let same = saved.as_deref().is_some_and(|saved| {
        let mut lines = saved.lines();
        let (saved_name, saved_first) = (lines.next(), lines.next().unwrap_or(""));
        saved_name == Some(name.as_str()) && (saved_first.is_empty() || saved_first == first)
    });
    if !same {
        let dropped = store.drop_all()?;
        if dropped > 0 {
            tracing::warn!(
                "dropped {dropped} projection snapshots of {}: they were not made from {name} (a cache; rebuilt from the log)",
                data_dir.display()
            );
        }
    }
    // Written only when it changes: not a file write at every start.
    if saved.as_deref() != Some(identity.as_str()) {
        std::fs::write(&file, &identity).with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(store)
}

/// A name for the log in messages: its URL, or the data directory's log file.
pub fn describe(data_dir: &Path, target: Option<&LogTarget>) -> String {
    match target {
        None => SqliteLog::file_in(data_dir).display().to_string(),
        Some(t) => t.to_string(),
    }
}

/// The data directory's embedded log, as `access` needs it.
fn open_sqlite(data_dir: &Path, access: Access) -> Result<Arc<dyn EventLog>> {
    Ok(match access {
        Access::Write => Arc::new(SqliteLog::open(data_dir)?),
        Access::Replayable => Arc::new(SqliteLog::open_with(data_dir, Durability::Deferred)?),
        Access::Read => Arc::new(SqliteLog::open_read_only(data_dir)?),
    })
}

#[cfg(feature = "kafka")]
async fn open_kafka(
    target: &hotline_infra::KafkaTarget,
    access: Access,
) -> Result<Arc<dyn EventLog>> {
    use hotline_infra::KafkaLog;
    Ok(match access {
        Access::Write | Access::Replayable => Arc::new(KafkaLog::open(target).await?),
        Access::Read => Arc::new(KafkaLog::open_read_only(target).await?),
    })
}

#[cfg(not(feature = "kafka"))]
async fn open_kafka(
    target: &hotline_infra::KafkaTarget,
    _access: Access,
) -> Result<Arc<dyn EventLog>> {
    anyhow::bail!(
        "this hotline was built without the Kafka event log, so it cannot open {target}: build it with `cargo build --release --features kafka` (needs cmake: `apt-get install cmake`)"
    )
}

/// The metric rules a command folds under: the center file's when one is given; without
/// it, those the data directory's snapshots were folded under (by the center that ran
/// on it: its snapshots are then used, not rebuilt), else the sample center's.
pub fn rules_for(
    config_given: bool,
    config: &CenterConfig,
    store: &hotline_infra::SnapshotStore,
) -> hotline_projections::MetricRules {
    let stored = (!config_given)
        .then(|| hotline_projections::snapshot::stored_rules(store))
        .flatten();
    stored.unwrap_or_else(|| hotline_projections::MetricRules::from_config(config))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn center(log: &str) -> CenterConfig {
        CenterConfig::parse(&format!("log = \"{log}\"\n"), "center.toml")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn url(text: &str) -> LogTarget {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_command_line_log_wins_over_the_files_and_the_file_over_none() {
        let file = Path::new("/etc/hotline/center.toml");
        let from_file = center("kafka://broker:9092/file");
        let flag = url("kafka://broker:9092/flag");
        assert_eq!(
            chosen(Some(&flag), &from_file, Some(file)),
            Some(flag.clone())
        );
        assert_eq!(
            chosen(None, &from_file, Some(file)),
            Some(url("kafka://broker:9092/file"))
        );
        let none = CenterConfig::parse("", "center.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(chosen(None, &none, Some(file)), None);
        assert_eq!(chosen(Some(&flag), &none, None), Some(flag));
    }

    #[test]
    fn a_relative_sqlite_directory_in_the_file_is_taken_from_the_files_directory() {
        let file = Path::new("/etc/hotline/center.toml");
        assert_eq!(
            chosen(None, &center("sqlite://data"), Some(file)),
            Some(LogTarget::Sqlite(PathBuf::from("/etc/hotline/data")))
        );
        assert_eq!(
            chosen(None, &center("sqlite:///var/hotline"), Some(file)),
            Some(LogTarget::Sqlite(PathBuf::from("/var/hotline")))
        );
    }
}
