//! Which event log a command uses: the data directory's embedded SQLite log (the
//! default), or the one `--log` / `HOTLINE_LOG_URL` names (`kafka://HOST:PORT/TOPIC`).
//! One place turns the choice into an open log, so every command reads and writes the
//! same log the same way.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
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

/// The log `target` names, or the data directory's when there is none.
pub async fn open(
    data_dir: &Path,
    target: Option<&LogTarget>,
    access: Access,
) -> Result<Arc<dyn EventLog>> {
    match target {
        None => open_sqlite(data_dir, access),
        Some(LogTarget::Sqlite(dir)) => open_sqlite(dir, access),
        Some(LogTarget::Kafka(kafka)) => open_kafka(kafka, access).await,
    }
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
    let context = || {
        format!(
            "opening the event log in {} (use --data-dir or HOTLINE_DATA_DIR for another place)",
            data_dir.display()
        )
    };
    Ok(match access {
        Access::Write => Arc::new(SqliteLog::open(data_dir).with_context(context)?),
        Access::Replayable => {
            Arc::new(SqliteLog::open_with(data_dir, Durability::Deferred).with_context(context)?)
        }
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
