//! Live lag: the time from an event's durable append to its effect on the live boards
//! (the runner has folded it and readers see it), under the inbound issue's load.
//!
//! The load: calls arriving at `HOTLINE_BENCH_RATE` per second (default 1,000, the inbound
//! goal) for `HOTLINE_BENCH_SECS` seconds (default 20), each living through the inbound
//! event chain (arrived, queued, agent reserved, offered, answered, agent busy, ended,
//! agent wrapping up, wrap-up completed: 9 events, about 9,000 events/s) on its own call
//! stream and one of 200 agent streams, appended by the calls' own tasks as the actors
//! would, to a real SQLite log in a temporary directory, with the runner following it.
//! Every append's lag is measured from the moment the append returned (durable) to the
//! moment `Views::wait_for` saw the runner past its last position.
//!
//! `cargo bench -p hotline-projections --bench live_lag`

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hotline_events::NewEvent;
use hotline_events::{
    AgentEvent, AgentId, CallEvent, CallId, Channel, EndReason, Party, QueueId, Skill, Timestamp,
};
use hotline_infra::{EventLog, ExpectedVersion, SnapshotStore, SqliteLog};
use hotline_projections::{MetricRules, Runner, Views};
use tokio::sync::Mutex;

const AGENTS: usize = 200;

fn now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
}

/// Appends and measures the lag of that append.
async fn append(
    log: &Arc<dyn EventLog>,
    views: &Views,
    stream: &hotline_events::StreamName,
    events: Vec<NewEvent>,
    lags: &Mutex<Vec<Duration>>,
) {
    let appended = log
        .append(stream, ExpectedVersion::Any, events)
        .await
        .unwrap();
    let durable = Instant::now();
    views.wait_for(appended.last_position).await.unwrap();
    lags.lock().await.push(durable.elapsed());
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let rate: u64 = std::env::var("HOTLINE_BENCH_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let secs: u64 = std::env::var("HOTLINE_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 1 } else { 20 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let log: Arc<dyn EventLog> = Arc::new(SqliteLog::open(dir.path()).unwrap());
        let store = SnapshotStore::open(dir.path()).unwrap();
        let runner = Runner::start(log.clone(), store, MetricRules::default())
            .await
            .unwrap();
        let views = runner.views();
        let queue = QueueId::new("sales").unwrap();
        let agents: Vec<AgentId> = (0..AGENTS).map(|_| AgentId::generate()).collect();
        for a in &agents {
            let login = NewEvent::new(
                AgentEvent::LoggedIn {
                    name: format!("Agent {a}"),
                    extension: None,
                    skills: Vec::<Skill>::new(),
                    queues: vec![queue.clone()],
                },
                now(),
            );
            let ready = NewEvent::new(AgentEvent::Ready { by: None }, now());
            log.append(&a.stream(), ExpectedVersion::Any, vec![login, ready])
                .await
                .unwrap();
        }
        // Agents take calls in turn: one agent's events never interleave two calls.
        let agent_locks: Arc<Vec<Mutex<()>>> =
            Arc::new((0..AGENTS).map(|_| Mutex::new(())).collect());
        let lags = Arc::new(Mutex::new(Vec::new()));
        let calls = rate * secs;
        let gap = Duration::from_secs_f64(1.0 / rate as f64);
        let started = Instant::now();
        let done = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for n in 0..calls {
            // Arrivals on a fixed schedule: a late tick does not shift the later ones.
            tokio::time::sleep_until((started + gap * n as u32).into()).await;
            let (log, views, lags, queue) =
                (log.clone(), views.clone(), lags.clone(), queue.clone());
            let agent = agents[n as usize % AGENTS];
            let agent_locks = agent_locks.clone();
            let done = done.clone();
            tasks.push(tokio::spawn(async move {
                let call = CallId::generate();
                let cs = call.stream();
                let us = agent.stream();
                append(
                    &log,
                    &views,
                    &cs,
                    vec![
                        NewEvent::new(
                            CallEvent::Arrived {
                                number: "+18005550100".into(),
                                caller: "+15555550123".into(),
                                channel: Channel::Voice,
                                customer: None,
                            },
                            now(),
                        ),
                        NewEvent::new(
                            CallEvent::Queued {
                                queue: queue.clone(),
                                priority: 0,
                                skills: vec![],
                            },
                            now(),
                        ),
                    ],
                    &lags,
                )
                .await;
                let _turn = agent_locks[n as usize % AGENTS].lock().await;
                append(
                    &log,
                    &views,
                    &us,
                    vec![NewEvent::new(
                        AgentEvent::Reserved {
                            call,
                            queue: queue.clone(),
                        },
                        now(),
                    )],
                    &lags,
                )
                .await;
                append(
                    &log,
                    &views,
                    &cs,
                    vec![NewEvent::new(
                        CallEvent::Offered {
                            agent,
                            queue: queue.clone(),
                            ring_timeout_ms: 15_000,
                        },
                        now(),
                    )],
                    &lags,
                )
                .await;
                append(
                    &log,
                    &views,
                    &cs,
                    vec![NewEvent::new(
                        CallEvent::Answered {
                            agent,
                            waited_ms: 2_000,
                        },
                        now(),
                    )],
                    &lags,
                )
                .await;
                append(
                    &log,
                    &views,
                    &us,
                    vec![NewEvent::new(AgentEvent::Busy { call }, now())],
                    &lags,
                )
                .await;
                append(
                    &log,
                    &views,
                    &cs,
                    vec![NewEvent::new(
                        CallEvent::Ended {
                            by: Party::Caller,
                            reason: EndReason::Completed,
                        },
                        now(),
                    )],
                    &lags,
                )
                .await;
                append(
                    &log,
                    &views,
                    &us,
                    vec![
                        NewEvent::new(
                            AgentEvent::WrappingUp {
                                call,
                                limit_ms: 30_000,
                            },
                            now(),
                        ),
                        NewEvent::new(
                            AgentEvent::WrapUpCompleted {
                                call,
                                disposition: None,
                                notes: None,
                            },
                            now(),
                        ),
                    ],
                    &lags,
                )
                .await;
                done.fetch_add(1, Ordering::Relaxed);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();
        let mut lags = lags.lock().await.clone();
        lags.sort();
        let head = log.head().await.unwrap();
        println!(
            "live lag at {rate} calls/s for {secs} s: {} calls, {head} events ({:.0} events/s) \
             in {elapsed:.1} s; append -> boards p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms \
             over {} appends",
            done.load(Ordering::Relaxed),
            head as f64 / elapsed,
            percentile(&lags, 0.5).as_secs_f64() * 1e3,
            percentile(&lags, 0.99).as_secs_f64() * 1e3,
            lags.last().unwrap().as_secs_f64() * 1e3,
            lags.len(),
        );
        assert_eq!(
            views.read().calls.rows().len() as u64,
            calls,
            "every call is on the boards"
        );
        runner.stop().await.unwrap();
    });
}
