//! `hotline recordings`: the retention purge on demand (recordings and voicemail
//! messages), and what `hotline serve` needs to record (the vault, from the recording key)
//! and to purge every hour.
//!
//! The key comes from `HOTLINE_RECORDING_KEY` (64 hexadecimal digits), never from a file
//! in the repository and never printed. A center whose `[recording]` policy records calls
//! refuses to start without it, and so does a center with voicemail boxes (messages are
//! sealed in the same vault).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use hotline_actors::recorder::purge::PurgeReport;
use hotline_actors::retention::{Retention, SweepReport, sweep};
use hotline_events::Timestamp;
use hotline_infra::config::CenterConfig;
use hotline_infra::vault::KEY_VARIABLE;
use hotline_infra::{EventLog, LogTarget, RecordingKey, Vault};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Delete the recordings and voicemail messages whose retention period is over (each
    /// purge is an event on the recording's or message's stream, so the indexes say so).
    /// Needs HOTLINE_RECORDING_KEY.
    Purge {
        /// The center whose `[recording]` and `[voicemail]` `retention_days` apply; without
        /// it, 90 days for recordings and 30 for messages.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Override both retention periods, in days (0: every finished recording and
        /// every message).
        #[arg(long)]
        retention_days: Option<u64>,
    },
}

pub async fn run(
    data_dir: &Path,
    target: Option<&LogTarget>,
    command: Command,
) -> Result<ExitCode> {
    let Command::Purge {
        config,
        retention_days,
    } = command;
    let (config, target) = match &config {
        Some(path) => {
            let config = CenterConfig::load(path).map_err(|e| anyhow!("{e}"))?;
            let target = crate::logs::chosen(target, &config, Some(path));
            (Some(config), target)
        }
        None => (None, target.cloned()),
    };
    let target = target.as_ref();
    let retention = match (retention_days, &config) {
        (Some(days), _) => Duration::from_secs(days.saturating_mul(86_400)),
        (None, Some(c)) => c.recording.retention,
        (None, None) => hotline_infra::config::RecordingConfig::default().retention,
    };
    let message_retention = match (retention_days, &config) {
        (Some(days), _) => Duration::from_secs(days.saturating_mul(86_400)),
        (None, Some(c)) => c.voicemail.retention,
        (None, None) => hotline_infra::config::VoicemailConfig::default().retention,
    };
    let key = key_from_env()?.ok_or_else(|| {
        anyhow!("{KEY_VARIABLE} is not set: the purge opens the recordings vault with the key the recordings were stored with")
    })?;
    let vault = Vault::open(data_dir, &key)?;
    let log = crate::logs::open(data_dir, target, crate::logs::Access::Write)
        .await
        .context(
            "the purges are written to the log (stop `hotline serve` first: it purges every hour by itself)",
        )?;
    let by = "hotline recordings purge";
    let retention = Retention {
        recordings: retention,
        messages: message_retention,
    };
    let report = sweep(log.as_ref(), &vault, now(), retention, by).await;
    log.close().await?;
    let SweepReport {
        recordings,
        messages,
    } = report?;
    said_purged("recording(s)", &recordings, retention.recordings)?;
    said_purged("voicemail message(s)", &messages, retention.messages)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints what one kind's purge did: the count, the retention, what was kept, and each
/// purged call with its storage key.
fn said_purged(what: &str, report: &PurgeReport, retention: Duration) -> Result<()> {
    say!(
        "purged {} {what} older than {} day(s); {} kept",
        report.purged.len(),
        retention.as_secs() / 86_400,
        report.kept
    )?;
    for (call, key) in &report.purged {
        say!("  {call}  {key}")?;
    }
    Ok(())
}

fn now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
}

/// The recording key from the environment, if set; a malformed one is an error.
fn key_from_env() -> Result<Option<RecordingKey>> {
    match std::env::var(KEY_VARIABLE) {
        Ok(text) if !text.trim().is_empty() => RecordingKey::from_hex(&text)
            .map(Some)
            .with_context(|| KEY_VARIABLE),
        _ => Ok(None),
    }
}

/// The vault `hotline serve` records into: opened when the key is set; a center whose
/// policy records calls without a key is a startup error.
pub fn vault_for(data_dir: &Path, config: &CenterConfig) -> Result<Option<Vault>> {
    let key = key_from_env()?;
    match key {
        Some(key) => Ok(Some(Vault::open(data_dir, &key)?)),
        None if config.recording.records_anything() => bail!(
            "the center's [recording] policy records calls, but {KEY_VARIABLE} is not set: set it to 64 hexadecimal digits (make one with `openssl rand -hex 32` and keep it safe: recordings cannot be read without it), or set record = \"none\""
        ),
        None if config.voicemail.has_boxes() => bail!(
            "the center has [[voicemail.boxes]], whose messages are sealed like recordings, but {KEY_VARIABLE} is not set: set it to 64 hexadecimal digits (make one with `openssl rand -hex 32` and keep it safe), or remove the boxes"
        ),
        None => Ok(None),
    }
}

/// Runs the purges (recordings, then voicemail messages, from one read of the log) now
/// and every hour, until aborted.
pub fn purge_every_hour(
    log: Arc<dyn EventLog>,
    vault: Vault,
    retention: Duration,
    message_retention: Duration,
) -> tokio::task::JoinHandle<()> {
    let retention = Retention {
        recordings: retention,
        messages: message_retention,
    };
    tokio::spawn(async move {
        loop {
            match sweep(log.as_ref(), &vault, now(), retention, "retention").await {
                Ok(SweepReport {
                    recordings,
                    messages,
                }) => {
                    if !recordings.purged.is_empty() {
                        let count = recordings.purged.len();
                        tracing::info!(count, "expired recordings purged");
                    }
                    if !messages.purged.is_empty() {
                        let count = messages.purged.len();
                        tracing::info!(count, "expired voicemail messages purged");
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "the retention purge failed; it runs again in an hour")
                }
            }
            tokio::time::sleep(Duration::from_secs(3_600)).await;
        }
    })
}
