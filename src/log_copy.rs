//! `hotline log copy --from URL --to URL`: moves a history between backends (the embedded
//! log of a data directory and a Kafka topic, either way), in order, without loss.
//!
//! Each event is appended byte for byte (its type, schema, data, ids and time) at the same
//! position and stream version. Its hashes are the target's own: each backend chains as it
//! does (the embedded log one chain, Kafka one per partition), so a history's hashes
//! differ between a SQLite log and a Kafka topic of several partitions. The checks compare
//! events, not hashes: every event of the source against the target's at its position,
//! then the target's own chain (`verify`). The copy is **resumable**: a target that
//! already holds a prefix of the source (an interrupted copy, judged by its last event)
//! goes on after it; a target holding anything else is refused untouched.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use hotline_events::{Event, Hash, NewEvent, OpaqueEvent, Recorded, Unreadable};
use hotline_infra::{EventLog, ExpectedVersion, LogTarget};

use crate::logs::{self, Access};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The log to read: sqlite://DATA_DIR or kafka://HOST:PORT/TOPIC.
    #[arg(long, value_name = "URL")]
    from: LogTarget,
    /// The log to write: sqlite://DATA_DIR or kafka://HOST:PORT/TOPIC (empty, or holding
    /// the start of an interrupted copy of the same history).
    #[arg(long, value_name = "URL")]
    to: LogTarget,
}

pub async fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    if args.from == args.to {
        bail!(
            "--from and --to are the same log ({}): nothing to copy",
            args.from
        );
    }
    let source = logs::open(data_dir, Some(&args.from), Access::Read).await?;
    let target = logs::open(data_dir, Some(&args.to), Access::Replayable).await?;
    let source_head = source.head().await?;
    let target_head = target.head().await?;
    if target_head > 0 {
        // Every event of the prefix, not only its last: going on after a prefix that
        // differs anywhere would make a copy that is no copy.
        let differs = if target_head > source_head {
            Some(source_head + 1)
        } else {
            first_difference(source.as_ref(), target.as_ref(), target_head, &args.from).await?
        };
        if let Some(position) = differs {
            bail!(
                "{} already holds {target_head} events that are not the start of {} (they differ from position {position}): copy into an empty log (nothing was written)",
                args.to,
                args.from
            );
        }
        say!(
            "{} holds the first {target_head} events already: going on after them",
            args.to
        )?;
    }
    let mut next = target_head + 1;
    let mut copied = 0u64;
    while next <= source_head {
        let batch = source.read_all(next, 4096).await?;
        let Some(last) = batch.last() else { break };
        next = last.position + 1;
        // Consecutive events of one stream go in one append, at the version they had.
        let mut run: Vec<&Recorded> = Vec::new();
        for r in batch.iter().filter(|r| r.position <= source_head) {
            if run.last().is_some_and(|l| l.stream != r.stream) {
                copied += append_run(target.as_ref(), &run).await?;
                run.clear();
            }
            run.push(r);
        }
        copied += append_run(target.as_ref(), &run).await?;
    }
    // Checked on the target as it is stored, not as this writer's memory has it: closed,
    // then opened again to read (a Kafka log rebuilds its index from the broker).
    target.close().await?;
    drop(target);
    let target = logs::open(data_dir, Some(&args.to), Access::Read).await?;
    if let Some(position) =
        first_difference(source.as_ref(), target.as_ref(), source_head, &args.from).await?
    {
        bail!(
            "event {position} of {} differs in the copy in {}: run `hotline audit verify` on both",
            args.from,
            args.to
        );
    }
    let report = target.verify().await?;
    if let Some(b) = &report.first_break {
        bail!(
            "the copy in {} does not verify at position {}: {}",
            args.to,
            b.position,
            b.problem
        );
    }
    target.close().await?;
    source.close().await?;
    say!(
        "copied {copied} events from {} to {} ({} in all); the {source_head} events compared equal and the target's chain verifies",
        args.from,
        args.to,
        source_head,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Whether two logs hold the same event: everything but the hashes, which each log
/// computes along its own chain. The whole record is compared (hashes zeroed), so a field
/// added to it later is compared too.
fn same_event(a: &Recorded, b: &Recorded) -> bool {
    let unhashed = |r: &Recorded| Recorded {
        prev_hash: Hash::ZERO,
        hash: Hash::ZERO,
        ..r.clone()
    };
    unhashed(a) == unhashed(b)
}

/// Compares positions 1..=`head` of both logs event by event: the first position where
/// they differ (or where the target has no event), if any.
async fn first_difference(
    source: &dyn EventLog,
    target: &dyn EventLog,
    head: u64,
    from: &LogTarget,
) -> Result<Option<u64>> {
    let mut next = 1;
    while next <= head {
        let ours = source.read_all(next, 4096).await?;
        let theirs = target.read_all(next, ours.len().max(1)).await?;
        for (i, o) in ours.iter().enumerate().filter(|(_, o)| o.position <= head) {
            match theirs.get(i) {
                Some(t) if same_event(o, t) => {}
                _ => return Ok(Some(o.position)),
            }
        }
        let Some(last) = ours.last() else {
            bail!("{from} ends before its head {head}")
        };
        next = last.position + 1;
    }
    Ok(None)
}

/// Appends one stream's consecutive events, each as it was stored.
async fn append_run(target: &dyn EventLog, run: &[&Recorded]) -> Result<u64> {
    let Some(first) = run.first() else {
        return Ok(0);
    };
    let events = run
        .iter()
        .map(|r| NewEvent {
            // Opaque: the stored bytes move as they are, whatever this build can decode.
            event: Event::Opaque(OpaqueEvent {
                event_type: r.event_type.clone(),
                schema: r.schema,
                data: r.data.clone(),
                why: Unreadable::UnknownCategory,
            }),
            event_id: r.event_id,
            occurred_at: r.occurred_at,
            correlation_id: r.correlation_id,
            causation_id: r.causation_id,
        })
        .collect();
    let appended = target
        .append(
            &first.stream,
            ExpectedVersion::Exact(first.version - 1),
            events,
        )
        .await?;
    if appended.first_position != first.position {
        bail!(
            "event {} landed at position {} of the target: another process is writing to it; stop it and copy again",
            first.position,
            appended.first_position
        );
    }
    Ok(run.len() as u64)
}
