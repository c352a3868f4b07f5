//! `hotline log tail`: the log as JSON lines, the same form auditors and Kafka consumers read.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use hotline_events::{Recorded, StreamName};
use hotline_infra::LogTarget;

use crate::logs::{self, Access};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start at this log position (with --stream: this stream version). Without it, the
    /// last 10 events are shown.
    #[arg(long)]
    from: Option<u64>,
    /// Only this stream's events.
    #[arg(long)]
    stream: Option<String>,
    /// Keep printing new events as they are appended (Ctrl-C to stop).
    #[arg(long)]
    follow: bool,
}

pub async fn run(data_dir: &Path, target: Option<&LogTarget>, args: Args) -> Result<ExitCode> {
    let stream = args
        .stream
        .as_deref()
        .map(StreamName::parse)
        .transpose()
        .context("--stream")?;
    let log = logs::open(data_dir, target, Access::Read).await?;
    let mut out = std::io::stdout().lock();
    let mut print = |r: &Recorded| -> Result<()> {
        serde_json::to_writer(&mut out, r)
            .with_context(|| format!("event {} cannot be written as JSON", r.position))?;
        out.write_all(b"\n")?;
        Ok(out.flush()?)
    };

    let mut next_position = 1;
    let mut unknown_stream = false;
    match &stream {
        Some(stream) => {
            let from = args.from.unwrap_or(1);
            let events = log.read_stream(stream, from).await?;
            // A stream with no event at all is most often a mistyped name: silence would
            // look like an empty history. (Past its end, with --from, is only empty; read
            // from 1 is the whole stream, read already.)
            let none_at_all =
                events.is_empty() && (from <= 1 || log.read_stream(stream, 1).await?.is_empty());
            if none_at_all {
                unknown_stream = true;
                eprintln!(
                    "{stream} has no events{}: check the name (such as queue-sales, or a stream of `hotline log tail`)",
                    if args.follow { " yet" } else { "" }
                );
            }
            let skip = if args.from.is_some() {
                0
            } else {
                events.len().saturating_sub(10)
            };
            for r in &events[skip..] {
                print(r)?;
            }
            // Follow from after the stream's last event (or from the head, if it has none).
            next_position = match events.last() {
                Some(last) => last.position + 1,
                None => log.head().await? + 1,
            };
        }
        None => {
            let head = log.head().await?;
            let mut from = args.from.unwrap_or_else(|| head.saturating_sub(9).max(1));
            while from <= head {
                let batch = log.read_all(from, 4096).await?;
                let Some(last) = batch.last() else { break };
                from = last.position + 1;
                for r in batch.iter().filter(|r| r.position <= head) {
                    print(r)?;
                }
            }
            next_position = next_position.max(from);
        }
    }
    if args.follow {
        let mut feed = log.subscribe(next_position);
        let mut interrupt = crate::interrupt::Interrupt::listen()?;
        loop {
            tokio::select! {
                next = feed.next() => match next {
                    Some(r) => {
                        let r = r?;
                        if stream.as_ref().is_none_or(|s| *s == r.stream) {
                            print(&r)?;
                        }
                    }
                    None => break,
                },
                signal = interrupt.wait() => {
                    signal?;
                    break;
                }
            }
        }
    }
    Ok(if unknown_stream && !args.follow {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
