//! The log's ceiling for `hotline simulate`: how fast this machine's embedded log takes a
//! simulated day's events when nothing else runs, the most calls per second a run could
//! reach however cheap its actors were.
//!
//!     cargo bench --profile release -p hotline-simulations --bench log_ceiling -- DATA_DIR [ROUNDS]
//!
//! DATA_DIR holds a day that `hotline simulate` wrote. Its first [`MAX_EVENTS`] events
//! (enough for a steady rate, and a few hundred MiB in memory) are read into memory, then
//! appended again, one event per append with the version each had, into a fresh log
//! opened as `simulate` opens it (deferred commits, behind [`VirtualTimeLog`], on a
//! one-thread runtime): the appends of a run without the actors that decided them. A round
//! is timed from the first append until the log is closed (every event written, hashed
//! and committed); the median of ROUNDS (default 3) is printed with the spread, as events
//! per second and as calls per second at the day's events per call. `simulations/bench/
//! erlang_a.sh` runs it on the benchmark's own day.

#![allow(clippy::unwrap_used)] // a benchmark: any failure should abort the run loudly

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_events::{NewEvent, StreamName};
use hotline_infra::{Durability, EventLog, ExpectedVersion, SqliteLog, VirtualTimeLog};

/// How many of the day's events a round appends.
const MAX_EVENTS: usize = 2_000_000;

/// One append of the day: its stream, the version before it, and the event.
#[derive(Clone)]
struct Append {
    stream: StreamName,
    before: u64,
    event: NewEvent,
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let usage = "usage: cargo bench --profile release -p hotline-simulations --bench log_ceiling -- DATA_DIR [ROUNDS]";
    let Some(day) = args.next().map(PathBuf::from) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let rounds = match args.next().map_or(Ok(3), |r| r.parse::<usize>()) {
        Ok(n) if n > 0 => n,
        _ => {
            eprintln!("ROUNDS must be a whole number of at least 1\n{usage}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let source = SqliteLog::open_read_only(&day).unwrap();
    let mut day_events = Vec::new();
    let mut calls = 0u64;
    runtime.block_on(async {
        let mut from = 1;
        while day_events.len() < MAX_EVENTS {
            let page = source.read_all(from, 10_000).await.unwrap();
            let Some(last) = page.last() else { break };
            from = last.position + 1;
            for r in page.into_iter().take(MAX_EVENTS - day_events.len()) {
                calls += u64::from(r.stream.category() == "call" && r.version == 1);
                day_events.push(Append {
                    stream: r.stream.clone(),
                    before: r.version - 1,
                    event: NewEvent {
                        event: r.event(),
                        event_id: r.event_id,
                        occurred_at: r.occurred_at,
                        correlation_id: r.correlation_id,
                        causation_id: r.causation_id,
                    },
                });
            }
        }
    });
    let events = day_events.len() as f64;
    println!(
        "the day in {} (its first {} events at most): {} events, {calls} calls ({:.1} events a call)",
        day.display(),
        MAX_EVENTS,
        day_events.len(),
        events / calls.max(1) as f64
    );
    let mut times = Vec::new();
    for round in 1..=rounds {
        let work = day_events.clone();
        let dir = tempfile::tempdir().unwrap();
        let elapsed = runtime.block_on(async {
            let inner: Arc<dyn EventLog> =
                Arc::new(SqliteLog::open_with(dir.path(), Durability::Deferred).unwrap());
            let log = VirtualTimeLog::new(inner);
            let start = Instant::now();
            for a in work {
                log.append(&a.stream, ExpectedVersion::Exact(a.before), vec![a.event])
                    .await
                    .unwrap();
            }
            log.close().await.unwrap();
            start.elapsed()
        });
        println!(
            "round {round}: {:.2} s, {:.0} events/s",
            elapsed.as_secs_f64(),
            events / elapsed.as_secs_f64()
        );
        times.push(elapsed);
    }
    times.sort();
    let rate = |t: Duration| events / t.as_secs_f64();
    let median = rate(times[times.len() / 2]);
    let per_call = events / calls.max(1) as f64;
    println!(
        "log ceiling: {median:.0} events/s ({:.0}-{:.0}), {:.0} calls/s at {per_call:.1} events a call",
        rate(times[times.len() - 1]),
        rate(times[0]),
        median / per_call
    );
}
