//! `hotline audit`: what an auditor asks of the history. Both commands open the log
//! read-only, so they can run beside a live server.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use hotline_events::{Recorded, StreamName};
use hotline_infra::LogTarget;

use crate::logs::{self, Access};

pub async fn verify(data_dir: &Path, target: Option<&LogTarget>) -> Result<ExitCode> {
    let log = logs::open(data_dir, target, Access::Read).await?;
    let name = logs::describe(data_dir, target);
    let started = std::time::Instant::now();
    let report = log.verify().await?;
    let seconds = started.elapsed().as_secs_f64();
    match report.first_break {
        None if report.partition_hashes.is_empty() => {
            say!(
                "ok: {} events verified in {seconds:.2} s; the hash chain of {} is intact.",
                report.events_checked,
                name
            )?;
            say!(
                "last hash: {} (note it: a later verify proves the log still extends it)",
                report.last_hash
            )?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            say!(
                "ok: {} events verified in {seconds:.2} s; every partition's hash chain of {} is intact and the positions run 1 to {} without gap.",
                report.events_checked,
                name,
                report.events_checked
            )?;
            say!(
                "last hash of each partition (note them: a later verify proves each partition still extends its own):"
            )?;
            for (partition, hash) in &report.partition_hashes {
                say!("  partition {partition}: {hash}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(broken) => {
            let what = match log.read_all(broken.position, 1).await {
                Ok(events) => events
                    .first()
                    .map(|r| format!(" ({} version {}, {})", r.stream, r.version, r.event_type)),
                Err(_) => None,
            };
            say!(
                "ALTERED: the hash chain breaks at position {}{}: {}.",
                broken.position,
                what.unwrap_or_default(),
                broken.problem
            )?;
            say!(
                "Events 1 to {} verify; position {} and everything after it cannot be trusted. Restore the log from a backup and compare.",
                report.events_checked,
                broken.position
            )?;
            Ok(ExitCode::from(1))
        }
    }
}

pub async fn history(
    data_dir: &Path,
    target: Option<&LogTarget>,
    stream: &str,
) -> Result<ExitCode> {
    let stream = StreamName::parse(stream).context("the stream to show")?;
    let log = logs::open(data_dir, target, Access::Read).await?;
    let events = log.read_stream(&stream, 1).await?;
    if events.is_empty() {
        say!(
            "{stream} has no events in {}.",
            logs::describe(data_dir, target)
        )?;
        return Ok(ExitCode::from(1));
    }
    let altered = events.iter().filter(|r| !r.hash_is_valid()).count();
    say!(
        "{stream}: {} events, from {} to {} (UTC){}",
        events.len(),
        events[0].occurred_at,
        events[events.len() - 1].occurred_at,
        if altered == 0 {
            String::new()
        } else {
            format!("; {altered} ALTERED (run `hotline audit verify`)")
        }
    )?;
    for r in &events {
        say!("{}", line(r))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One readable line: time, version, type, and the event's fields as `key=value`.
fn line(r: &Recorded) -> String {
    let time = r.occurred_at.to_datetime().format("%Y-%m-%d %H:%M:%S%.3f");
    let mut out = format!("{time}  #{:<3} {:<18}", r.version, r.event_type);
    match serde_json::from_str::<serde_json::Value>(&r.data) {
        Ok(serde_json::Value::Object(fields)) => {
            for (key, value) in fields {
                let value = match value {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                let _ = write!(out, " {key}={value}");
            }
        }
        _ => out.push_str(" (data unreadable)"),
    }
    if !r.hash_is_valid() {
        out.push_str("  <- ALTERED");
    }
    out
}
