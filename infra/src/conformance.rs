//! The conformance suite every [`EventLog`] backend must pass. A backend's tests provide a
//! [`Harness`] and call each check; see `infra/tests/sqlite.rs`.
//!
//! The checks append opaque `probe` events (stream category `probe`), which exercises the
//! pass-through of events this build does not interpret as a side effect.

#![allow(clippy::unwrap_used)] // test support: a failed check panics, as in a test

#[cfg(feature = "kafka")]
pub mod broker;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hotline_events::{
    AgentEvent, AgentId, Decoded, Event, NewEvent, OpaqueEvent, Recorded, StreamName, Timestamp,
    Unreadable,
};

use crate::log::{EventLog, ExpectedVersion, LogError};

/// What a backend's test supplies.
#[async_trait]
pub trait Harness: Send + Sync {
    type Log: EventLog + Clone + 'static;

    /// Opens the log under test: empty the first time, the same log each later time.
    async fn open(&self) -> Self::Log;

    /// Alters one byte of the stored form of the event at `position` (the log is closed).
    fn tamper(&self, position: u64);

    /// Starts another process that opens the same log and runs [`crash_writer`]. It prints
    /// a line on stdout once it has appended.
    fn spawn_writer(&self) -> Child;
}

/// A probe event carrying `fields`, padded to about 200 bytes of data.
pub fn probe(fields: &str) -> NewEvent {
    let data = format!(
        r#"{{{fields},"pad":"{}"}}"#,
        "x".repeat(150usize.saturating_sub(fields.len()))
    );
    NewEvent::new(
        Event::Opaque(OpaqueEvent {
            event_type: "probe".into(),
            schema: 1,
            data,
            why: Unreadable::UnknownCategory,
        }),
        Timestamp::from_millis(1_795_339_800_000),
    )
}

pub fn stream(name: &str) -> StreamName {
    StreamName::parse(&format!("probe-{name}")).unwrap_or_else(|e| panic!("{e}"))
}

async fn everything<L: EventLog>(log: &L) -> Vec<Recorded> {
    let mut all = Vec::new();
    loop {
        let batch = log
            .read_all(all.len() as u64 + 1, 1000)
            .await
            .unwrap_or_else(|e| panic!("read_all: {e}"));
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

fn field(r: &Recorded, name: &str) -> u64 {
    let v: serde_json::Value =
        serde_json::from_str(&r.data).unwrap_or_else(|e| panic!("data of {}: {e}", r.position));
    v[name]
        .as_u64()
        .unwrap_or_else(|| panic!("event {} has no {name}", r.position))
}

/// Positions run from 1 without gaps in append order; versions per stream likewise;
/// streams read back in order; data comes back byte for byte.
pub async fn ordering<H: Harness>(h: &H) {
    let log = h.open().await;
    assert_eq!(log.head().await.unwrap(), 0);
    let (a, b) = (stream("a"), stream("b"));
    let first = log
        .append(
            &a,
            ExpectedVersion::Exact(0),
            vec![probe(r#""n":1"#), probe(r#""n":2"#)],
        )
        .await
        .unwrap();
    assert_eq!(
        (first.first_position, first.last_position, first.version),
        (1, 2, 2)
    );
    let second = log
        .append(&b, ExpectedVersion::Any, vec![probe(r#""n":3"#)])
        .await
        .unwrap();
    assert_eq!(
        (second.first_position, second.last_position, second.version),
        (3, 3, 1)
    );
    let third = log
        .append(&a, ExpectedVersion::Exact(2), vec![probe(r#""n":4"#)])
        .await
        .unwrap();
    assert_eq!((third.first_position, third.version), (4, 3));
    assert_eq!(log.head().await.unwrap(), 4);

    let all = everything(&log).await;
    let seen: Vec<(u64, &str, u64, u64)> = all
        .iter()
        .map(|r| (r.position, r.stream.as_str(), r.version, field(r, "n")))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, a.as_str(), 1, 1),
            (2, a.as_str(), 2, 2),
            (3, b.as_str(), 1, 3),
            (4, a.as_str(), 3, 4)
        ]
    );
    assert_eq!(
        all[0].data,
        match &probe(r#""n":1"#).event {
            Event::Opaque(o) => o.data.clone(),
            _ => unreachable!(),
        }
    );
    assert!(all.iter().all(Recorded::hash_is_valid));
    assert!(
        all.windows(2).all(|w| w[1].prev_hash == w[0].hash),
        "each event chains to the one before"
    );

    let from_two: Vec<u64> = log
        .read_stream(&a, 2)
        .await
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(from_two, vec![2, 3]);
    assert!(
        log.read_stream(&stream("none"), 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(log.read_all(3, 1).await.unwrap().len(), 1);
    assert!(log.read_all(5, 10).await.unwrap().is_empty());

    let empty = log.append(&a, ExpectedVersion::Any, vec![]).await;
    assert!(matches!(empty, Err(LogError::EmptyBatch(_))), "{empty:?}");
    let report = log.verify().await.unwrap();
    assert_eq!(
        (report.events_checked, report.head, report.first_break),
        (4, 4, None)
    );
    log.close().await.unwrap();
}

/// A decoded read ([`EventLog::read_decoded`]) gives what decoding a whole read gives, event
/// for event: known events decoded (an agent's stream with its UUID), events this build does
/// not know passed through as opaque values, long pages (read in parts by some backends)
/// and short pages from any position alike, and nothing past the head.
pub async fn decoded_reads_match_whole_reads<H: Harness>(h: &H) {
    let log = h.open().await;
    let agent = AgentId::generate().stream();
    let at = Timestamp::from_millis(1_795_339_800_000);
    for n in 0..1_500u64 {
        let (name, event) = if n % 3 == 0 {
            let ready = AgentEvent::Ready {
                by: Some(format!("supervisor {n}")),
            };
            (agent.clone(), NewEvent::new(ready, at.plus_millis(n)))
        } else {
            (
                stream(&format!("s{}", n % 7)),
                probe(&format!(r#""n":{n}"#)),
            )
        };
        log.append(&name, ExpectedVersion::Any, vec![event])
            .await
            .unwrap();
    }
    let whole: Vec<Decoded> = everything(&log).await.iter().map(Decoded::of).collect();
    assert_eq!(whole.len(), 1_500);
    assert!(matches!(
        whole[0].event,
        Event::Agent(AgentEvent::Ready { .. })
    ));
    assert_eq!(
        whole[0].entity.map(|u| u.to_string()).as_deref(),
        Some(agent.id())
    );
    assert!(matches!(whole[1].event, Event::Opaque(_)));
    assert_eq!(whole[1].entity, None);
    for (from, max) in [
        (1, 2_000),
        (1, 1_500),
        (2, 1_200),
        (700, 3),
        (1_499, 10),
        (1_501, 5),
    ] {
        let decoded = log.read_decoded(from, max).await.unwrap();
        let start = usize::try_from(from - 1).unwrap().min(whole.len());
        let end = (start + max).min(whole.len());
        assert_eq!(decoded, whole[start..end], "read_decoded({from}, {max})");
    }
    log.close().await.unwrap();
}

/// Writers racing on one stream at the same expected version: exactly one wins each round,
/// the others get a conflict naming the actual version, and nothing is overwritten.
pub async fn version_conflicts<H: Harness>(h: &H) {
    let log = h.open().await;
    let contested = stream("contested");
    let writers = 8;
    let rounds = 25u64;
    for round in 0..rounds {
        let barrier = Arc::new(tokio::sync::Barrier::new(writers));
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let (log, stream, barrier) = (log.clone(), contested.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let event = probe(&format!(r#""round":{round},"writer":{w}"#));
                    log.append(&stream, ExpectedVersion::Exact(round), vec![event])
                        .await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(appended) => {
                    wins += 1;
                    assert_eq!(appended.version, round + 1);
                }
                Err(LogError::Conflict {
                    expected, actual, ..
                }) => {
                    assert_eq!((expected, actual), (round, round + 1));
                }
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one writer wins");
    }
    let events = log.read_stream(&contested, 1).await.unwrap();
    assert_eq!(events.len() as u64, rounds);
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, r)| r.version == i as u64 + 1 && field(r, "round") == i as u64)
    );
    log.close().await.unwrap();
}

/// A subscriber started while writers race, and one started in the middle, each see every
/// position exactly once and in order, through the hand-over from history to live.
pub async fn catch_up_then_live<H: Harness>(h: &H) {
    let log = h.open().await;
    let writers = 4u64;
    let appends = 300u64;
    let total: u64 = writers * (1..=appends).map(|i| i % 5 + 1).sum::<u64>();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let log = log.clone();
            tokio::spawn(async move {
                for i in 1..=appends {
                    let batch = (0..i % 5 + 1)
                        .map(|k| probe(&format!(r#""w":{w},"i":{i},"k":{k}"#)))
                        .collect();
                    log.append(&stream(&format!("w{w}")), ExpectedVersion::Any, batch)
                        .await
                        .unwrap();
                    if i % 50 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    // Start once the history is non-trivial but the writers are still going.
    while log.head().await.unwrap() < 100 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut from_start = log.subscribe(1);
    let mut from_middle = log.subscribe(50);
    let got_all = positions_until(&mut from_start, total).await;
    let got_middle = positions_until(&mut from_middle, total).await;
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        got_all,
        (1..=total).collect::<Vec<_>>(),
        "no gap, no duplicate, in order"
    );
    assert_eq!(got_middle, (50..=total).collect::<Vec<_>>());
    // And live after the writers stopped: a new append arrives.
    log.append(
        &stream("late"),
        ExpectedVersion::Exact(0),
        vec![probe(r#""late":1"#)],
    )
    .await
    .unwrap();
    let late = tokio::time::timeout(Duration::from_secs(5), from_start.next())
        .await
        .expect("live event not delivered");
    assert_eq!(late.unwrap().unwrap().position, total + 1);
    log.close().await.unwrap();
}

async fn positions_until(sub: &mut crate::log::Subscription, until: u64) -> Vec<u64> {
    let mut positions = Vec::new();
    while positions.last().copied().unwrap_or(0) < until {
        let next = tokio::time::timeout(Duration::from_secs(30), sub.next()).await;
        let r = next
            .expect("the feed stalled")
            .expect("the feed ended")
            .expect("the feed failed");
        positions.push(r.position);
    }
    positions
}

/// What was appended is there, unchanged, after closing and opening again, and the chain
/// goes on from where it was.
pub async fn durable_across_reopen<H: Harness>(h: &H) {
    let log = h.open().await;
    for i in 0..50 {
        log.append(
            &stream(&format!("s{}", i % 7)),
            ExpectedVersion::Any,
            vec![probe(&format!(r#""i":{i}"#))],
        )
        .await
        .unwrap();
    }
    let before = everything(&log).await;
    log.close().await.unwrap();
    drop(log);

    let log = h.open().await;
    assert_eq!(log.head().await.unwrap(), 50);
    assert_eq!(everything(&log).await, before);
    let next = log
        .append(
            &stream("s0"),
            ExpectedVersion::Exact(8),
            vec![probe(r#""i":50"#)],
        )
        .await
        .unwrap();
    assert_eq!((next.first_position, next.version), (51, 9));
    let conflict = log
        .append(
            &stream("s1"),
            ExpectedVersion::Exact(0),
            vec![probe(r#""i":51"#)],
        )
        .await;
    assert!(
        matches!(conflict, Err(LogError::Conflict { actual: 7, .. })),
        "{conflict:?}"
    );
    let report = log.verify().await.unwrap();
    assert_eq!((report.events_checked, report.first_break), (51, None));
    log.close().await.unwrap();
}

/// Run by the child process of [`killed_process_leaves_no_partial_batch`]: four tasks
/// append batches of 50 events, each event saying its batch and its index, until killed.
pub async fn crash_writer<L: EventLog + Clone + 'static>(log: &L) -> ! {
    let announced = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks: Vec<_> = (0..4u64)
        .map(|w| {
            let (log, announced) = (log.clone(), announced.clone());
            tokio::spawn(async move {
                let start = log.head().await.unwrap_or(0);
                for n in 0u64.. {
                    let batch_id = start * 10 + n * 4 + w;
                    let batch = (0..50)
                        .map(|i| probe(&format!(r#""batch":{batch_id},"index":{i}"#)))
                        .collect();
                    if log
                        .append(&stream(&format!("crash{w}")), ExpectedVersion::Any, batch)
                        .await
                        .is_err()
                    {
                        break;
                    }
                    if !announced.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        println!("appending");
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    std::process::exit(3)
}

/// A writer process killed (SIGKILL) while appending batches leaves only whole batches:
/// after reopening, every batch is there with all of its 50 events or not at all, the chain
/// verifies, and appending goes on. Three kills in a row.
pub async fn killed_process_leaves_no_partial_batch<H: Harness>(h: &H) {
    for round in 0..3 {
        let mut child = h.spawn_writer();
        let stdout = child.stdout.take().expect("the writer's stdout is piped");
        // The child's stdout may carry its test runner's lines before ours.
        let read = tokio::task::spawn_blocking(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .any(|line| line.trim_end().ends_with("appending"))
        });
        let started = tokio::time::timeout(Duration::from_secs(60), read).await;
        if !matches!(started, Ok(Ok(true))) {
            let _ = child.kill();
            panic!("round {round}: the writer process never started appending");
        }
        tokio::time::sleep(Duration::from_millis(150 + 70 * round)).await;
        child.kill().expect("kill the writer");
        let _ = child.wait();

        let log = h.open().await;
        let all = everything(&log).await;
        let mut batches: BTreeMap<u64, HashSet<u64>> = BTreeMap::new();
        for r in all
            .iter()
            .filter(|r| r.stream.as_str().starts_with("probe-crash"))
        {
            batches
                .entry(field(r, "batch"))
                .or_default()
                .insert(field(r, "index"));
        }
        assert!(
            !batches.is_empty(),
            "round {round}: the writer appended before it was killed"
        );
        for (batch, indices) in &batches {
            assert_eq!(indices.len(), 50, "round {round}: batch {batch} is partial");
        }
        let report = log.verify().await.unwrap();
        assert_eq!(report.first_break, None, "round {round}");
        assert_eq!(report.events_checked, all.len() as u64);
        let after = log
            .append(
                &stream("after"),
                ExpectedVersion::Any,
                vec![probe(r#""after":1"#)],
            )
            .await;
        assert!(
            after.is_ok(),
            "round {round}: appending after the crash: {after:?}"
        );
        log.close().await.unwrap();
    }
}

/// One altered byte in the stored event at position 42 is found by `verify`, which names
/// position 42, and not an earlier one.
pub async fn tamper_is_detected<H: Harness>(h: &H) {
    let log = h.open().await;
    for i in 1..=100u64 {
        log.append(
            &stream(&format!("t{}", i % 3)),
            ExpectedVersion::Any,
            vec![probe(&format!(r#""nonce":{}"#, 7_000_000 + i))],
        )
        .await
        .unwrap();
    }
    assert_eq!(log.verify().await.unwrap().first_break, None);
    log.close().await.unwrap();
    drop(log);

    h.tamper(42);
    let log = h.open().await;
    let report = log.verify().await.unwrap();
    let broken = report.first_break.expect("the altered event is found");
    assert_eq!(broken.position, 42, "{}", broken.problem);
    assert_eq!(report.events_checked, 41);
    log.close().await.unwrap();
}
