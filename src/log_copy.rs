//! `hotline log copy --from URL --to URL`: moves a history between backends (the embedded
//! log of a data directory and a Kafka topic, either way), in order, without loss.
//!
//! Each event is appended byte for byte (its type, schema, data, ids and time) at the same
//! position and stream version, so the copy's hash chain is the original's: the copy is
//! checked at the end by comparing the last hash. The copy is **resumable**: a target that
//! already holds a prefix of the source (an interrupted copy) goes on after it; a target
//! holding anything else is refused untouched.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use hotline_events::{Event, NewEvent, OpaqueEvent, Recorded, Unreadable};
use hotline_infra::{ExpectedVersion, LogTarget};

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
        let theirs = target.read_all(target_head, 1).await?;
        let ours = source.read_all(target_head, 1).await?;
        let same = matches!((theirs.first(), ours.first()), (Some(t), Some(o)) if t.hash == o.hash);
        if !same {
            bail!(
                "{} already holds {target_head} events that are not the start of {}: copy into an empty log (nothing was written)",
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
    let check = match (
        source.read_all(source_head, 1).await?.first(),
        target.read_all(source_head, 1).await?.first(),
    ) {
        (Some(s), Some(t)) if s.hash == t.hash => Some(t.hash),
        (None, None) => None,
        _ => bail!(
            "the copy in {} does not end with the source's last event: run `hotline audit verify` on both",
            args.to
        ),
    };
    target.close().await?;
    source.close().await?;
    say!(
        "copied {copied} events from {} to {} ({} in all){}",
        args.from,
        args.to,
        source_head,
        check.map_or(String::new(), |h| format!("; both end with hash {h}"))
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Appends one stream's consecutive events, each as it was stored.
async fn append_run(target: &dyn hotline_infra::EventLog, run: &[&Recorded]) -> Result<u64> {
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
