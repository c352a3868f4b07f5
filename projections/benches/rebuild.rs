//! The rebuild rate of every projection from position 0, as `hotline replay` does it
//! (reading, decoding, folding; not the final snapshot save), on a real SQLite log of
//! `HOTLINE_BENCH_CALLS` synthetic calls (default 30,000: about 270,000 events, each call
//! the inbound chain of 9 events on its call stream and one of 200 agent streams).
//! Median of 5 runs (`HOTLINE_BENCH_RUNS` more, so that a profile of the whole process
//! is mostly the rebuild's, not the log's writing).
//!
//! `cargo bench -p hotline-projections --bench rebuild`

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use hotline_events::{
    AgentEvent, AgentId, CallEvent, CallId, Channel, EndReason, NewEvent, Party, QueueId, Skill,
    Timestamp,
};
use hotline_infra::{EventLog, ExpectedVersion, SqliteLog};
use hotline_projections::runner::rebuild;
use hotline_projections::{MetricRules, Name};

const AGENTS: usize = 200;

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let calls: usize = std::env::var("HOTLINE_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 500 } else { 30_000 });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let log: Arc<dyn EventLog> = Arc::new(SqliteLog::open(dir.path()).unwrap());
        let queue = QueueId::new("sales").unwrap();
        let agents: Vec<AgentId> = (0..AGENTS).map(|_| AgentId::generate()).collect();
        let t0 = Timestamp::parse("2026-11-24T08:00:00Z").unwrap();
        for a in &agents {
            let login = AgentEvent::LoggedIn {
                name: format!("Agent {a}"),
                extension: None,
                skills: Vec::<Skill>::new(),
                queues: vec![queue.clone()],
            };
            log.append(
                &a.stream(),
                ExpectedVersion::Any,
                vec![
                    NewEvent::new(login, t0),
                    NewEvent::new(AgentEvent::Ready { by: None }, t0),
                ],
            )
            .await
            .unwrap();
        }
        // The calls, appended by 64 writers at once (the log groups their commits).
        let per_writer = calls.div_ceil(64);
        let mut writers = Vec::new();
        for w in 0..64 {
            let (log, queue, agents) = (log.clone(), queue.clone(), agents.clone());
            writers.push(tokio::spawn(async move {
                for i in 0..per_writer {
                    let n = w * per_writer + i;
                    if n >= calls {
                        break;
                    }
                    let at = t0.plus_millis(n as u64 * 1_000);
                    let call = CallId::generate();
                    let agent = agents[n % AGENTS];
                    let e = |e: CallEvent, ms: u64| NewEvent::new(e, at.plus_millis(ms));
                    log.append(
                        &call.stream(),
                        ExpectedVersion::Exact(0),
                        vec![
                            e(
                                CallEvent::Arrived {
                                    number: "+18005550100".into(),
                                    caller: "+15555550123".into(),
                                    channel: Channel::Voice,
                                    customer: None,
                                },
                                0,
                            ),
                            e(
                                CallEvent::Queued {
                                    queue: queue.clone(),
                                    priority: 0,
                                    skills: vec![],
                                },
                                10,
                            ),
                            e(
                                CallEvent::Offered {
                                    agent,
                                    queue: queue.clone(),
                                    ring_timeout_ms: 15_000,
                                },
                                20,
                            ),
                            e(
                                CallEvent::Answered {
                                    agent,
                                    waited_ms: 2_000,
                                },
                                2_020,
                            ),
                            e(
                                CallEvent::Ended {
                                    by: Party::Caller,
                                    reason: EndReason::Completed,
                                },
                                180_000,
                            ),
                        ],
                    )
                    .await
                    .unwrap();
                    let a = |e: AgentEvent, ms: u64| NewEvent::new(e, at.plus_millis(ms));
                    log.append(
                        &agent.stream(),
                        ExpectedVersion::Any,
                        vec![
                            a(
                                AgentEvent::Reserved {
                                    call,
                                    queue: queue.clone(),
                                },
                                20,
                            ),
                            a(AgentEvent::Busy { call }, 2_020),
                            a(
                                AgentEvent::WrappingUp {
                                    call,
                                    limit_ms: 30_000,
                                },
                                180_000,
                            ),
                            a(
                                AgentEvent::WrapUpCompleted {
                                    call,
                                    disposition: None,
                                    notes: None,
                                },
                                190_000,
                            ),
                        ],
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        let head = log.head().await.unwrap();
        let rules = MetricRules::default();
        // HOTLINE_BENCH_ONLY=calls (etc.) times one projection alone.
        let names: Vec<Name> = match std::env::var("HOTLINE_BENCH_ONLY") {
            Ok(n) => vec![n.parse().unwrap()],
            Err(_) => Name::ALL.to_vec(),
        };
        let runs: usize = std::env::var("HOTLINE_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if quick { 1 } else { 5 });
        let mut rates = Vec::new();
        let cpu_before = cpu_seconds("/proc/self/stat");
        // The rebuild folds on this thread (`block_on`); its readers run on others.
        let folder_before = cpu_seconds("/proc/thread-self/stat");
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            let (models, folded) = rebuild(log.clone(), &rules, &names, head, |_| {})
                .await
                .unwrap();
            let secs = started.elapsed().as_secs_f64();
            assert_eq!(folded, head);
            if names.contains(&Name::Calls) {
                assert_eq!(models.calls.rows().len(), calls);
            }
            rates.push(folded as f64 / secs);
        }
        // CPU time per event: on a machine shared with other work the rate swings by a
        // fifth from run to run, the CPU the rebuild spent much less.
        let per_event = |before: Option<f64>, after: Option<f64>| {
            before
                .zip(after)
                .map(|(b, a)| (a - b) * 1e6 / (head as f64 * rates.len() as f64))
        };
        let cpu = per_event(cpu_before, cpu_seconds("/proc/self/stat"))
            .zip(per_event(
                folder_before,
                cpu_seconds("/proc/thread-self/stat"),
            ))
            .map(|(all, folder)| {
                format!(", {all:.2} µs of CPU per event ({folder:.2} on the folding thread)")
            })
            .unwrap_or_default();
        rates.sort_by(f64::total_cmp);
        println!(
            "rebuild of {} from position 0: {head} events, median {:.0} events/s \
             over {} runs (min {:.0}, max {:.0}){cpu}",
            Name::listed(&names),
            rates[rates.len() / 2],
            rates.len(),
            rates[0],
            rates[rates.len() - 1],
        );
    });
}

/// The user and system CPU time so far of this process (all its threads:
/// `/proc/self/stat`) or of this thread (`/proc/thread-self/stat`); `None` where there
/// is no such file.
fn cpu_seconds(stat: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(stat).ok()?;
    // The fields after the command name (in parentheses, which may hold spaces): utime
    // and stime are the 14th and 15th fields, in clock ticks (100 a second on Linux).
    let after = &stat[stat.rfind(')')? + 2..];
    let mut fields = after.split(' ').skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
