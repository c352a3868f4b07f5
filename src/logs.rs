//! Which event log a command uses: the data directory's embedded SQLite log (the
//! default), or the one `--log` / `HOTLINE_LOG_URL` names (`kafka://HOST:PORT/TOPIC`).
//! One place turns the choice into an open log, so every command reads and writes the
//! same log the same way.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use hotline_infra::config::CenterConfig;
use hotline_infra::{Durability, EventLog, LogTarget, SqliteLog};

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
