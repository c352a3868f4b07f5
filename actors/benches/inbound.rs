//! The whole inbound path in one process, on the wall clock: the simulated network places
//! calls at a fixed rate, the real actors route them over a real SQLite log, and the log
//! tells how long each call waited from `queued` to `offered` while agents were free.
//! Then the memory a live call and an idle agent cost.
//!
//! `cargo bench -p hotline-actors --bench inbound` prints, per arrival rate: calls placed,
//! how many were offered, p50 / p99 / max of queued -> offered, events per second, and
//! whether the rate was sustained (every call offered, p99 under 10 ms). Rates can be set
//! with `HOTLINE_BENCH_RATES=250,500,1000` and the run length with `HOTLINE_BENCH_SECS`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_actors::Center;
use hotline_actors::agent::AgentCommand;
use hotline_events::{AgentId, CallEvent, Event, QueueId, Skill, SkillName};
use hotline_infra::config::{
    AgentConfig, CenterConfig, NumberConfig, QueueConfig, RouterSettings, Strategy, Tiers,
};
use hotline_infra::{Clock, EventLog, SqliteLog};
use hotline_media::{AgentModel, Arrivals, CallerScript, Dist, SimNetwork};

const NUMBER: &str = "+18005550100";
const TALK_SECS: f64 = 2.0;

fn config(agents: usize) -> CenterConfig {
    let queue = QueueId::new("sales").unwrap();
    let skill = SkillName::new("sales").unwrap();
    CenterConfig {
        log: None,
        router: RouterSettings {
            announce_every: Duration::from_secs(3600),
            ..RouterSettings::default()
        },
        skills: vec![skill.clone()],
        queues: vec![QueueConfig {
            id: queue.clone(),
            name: "Sales".into(),
            strategy: Strategy::LongestIdle,
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::ZERO,
            skills: vec![],
            tiers: Tiers::default(),
            overflow: vec![],
            max_wait: None,
            hours: None,
            service_level_threshold: Duration::from_secs(20),
            service_level_target: 80,
            callback: false,
            default_handle_time: Duration::from_secs(2),
        }],
        agents: (0..agents)
            .map(|n| AgentConfig {
                id: AgentId::generate(),
                login: format!("a{n}"),
                name: format!("Agent {n}"),
                extension: None,
                skills: vec![(skill.clone(), 5)],
                queues: vec![queue.clone()],
                weight: 1,
            })
            .collect(),
        numbers: vec![NumberConfig {
            number: NUMBER.into(),
            queue,
            menu: vec![],
            priority: 0,
            flow: None,
        }],
        hours: vec![],
        recording: Default::default(),
        voicemail: Default::default(),
        surveys: vec![],
    }
}

fn caller(patience_secs: f64) -> CallerScript {
    CallerScript {
        number: NUMBER.into(),
        caller: "+15555550123".into(),
        digits: None,
        patience: Dist::Fixed {
            secs: patience_secs,
        },
        talk: Dist::Fixed { secs: TALK_SECS },
        callee_answers: true,
    }
}

async fn start(
    agents: usize,
    ready: bool,
) -> (Center, SimNetwork, Arc<dyn EventLog>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(SqliteLog::open(dir.path()).unwrap());
    let config = config(agents);
    let (net, reports) = SimNetwork::new(1, 1 << 20);
    for a in &config.agents {
        net.add_agent(
            a.id,
            AgentModel {
                answer_delay: Dist::Fixed { secs: 0.05 },
                answer_probability: 1.0,
            },
        );
    }
    let center = Center::start(
        config.clone(),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        Clock::system(),
        1,
    )
    .await
    .unwrap();
    let mut logins = tokio::task::JoinSet::new();
    let center = Arc::new(center);
    for a in config.agents {
        let center = center.clone();
        logins.spawn(async move {
            let login = AgentCommand::LogIn {
                name: a.name,
                extension: None,
                skills: a
                    .skills
                    .into_iter()
                    .map(|(name, level)| Skill { name, level })
                    .collect(),
                queues: a.queues,
            };
            center.agent(a.id, login).await.unwrap();
            if ready {
                center.agent(a.id, AgentCommand::Ready).await.unwrap();
            }
        });
    }
    while logins.join_next().await.is_some() {}
    let center = Arc::try_unwrap(center).unwrap();
    (center, net, log, dir)
}

struct RateResult {
    placed: usize,
    offered: usize,
    p50: u64,
    p99: u64,
    max: u64,
    events_per_sec: f64,
}

async fn run_rate(rate: f64, secs: f64) -> RateResult {
    // Enough agents that one is always free: each is held ring + talk.
    let agents = ((rate * (TALK_SECS + 0.05) * 1.6) as usize).max(20);
    let (center, net, log, _dir) = start(agents, true).await;
    let head_before = log.head().await.unwrap();
    let mut arrivals = Arrivals::new(rate, 3).unwrap();
    let started = Instant::now();
    let mut next = tokio::time::Instant::now();
    let mut placed = 0;
    while started.elapsed().as_secs_f64() < secs {
        next += arrivals.next().unwrap();
        tokio::time::sleep_until(next).await;
        net.place_call(caller(600.0)).await;
        placed += 1;
    }
    // Let the last calls be offered and talk out.
    tokio::time::sleep(Duration::from_secs_f64(TALK_SECS + 2.0)).await;
    let wall = started.elapsed().as_secs_f64();
    let head = log.head().await.unwrap();
    center.stop().await;

    let mut queued = std::collections::HashMap::new();
    let mut waits = Vec::new();
    let mut from = head_before + 1;
    loop {
        let batch = log.read_all(from, 50_000).await.unwrap();
        let Some(last) = batch.last() else { break };
        from = last.position + 1;
        for r in &batch {
            match r.event() {
                Event::Call(CallEvent::Queued { .. }) => {
                    queued.insert(r.stream.clone(), r.occurred_at);
                }
                Event::Call(CallEvent::Offered { .. }) => {
                    if let Some(q) = queued.remove(&r.stream) {
                        waits.push(r.occurred_at.millis_since(q));
                    }
                }
                _ => {}
            }
        }
    }
    waits.sort_unstable();
    let pct = |p: f64| {
        waits
            .get(((waits.len() as f64 * p) as usize).min(waits.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    RateResult {
        placed,
        offered: waits.len(),
        p50: pct(0.50),
        p99: pct(0.99),
        max: waits.last().copied().unwrap_or(0),
        events_per_sec: (head - head_before) as f64 / wall,
    }
}

fn resident_bytes() -> u64 {
    // Resident pages from /proc/self/statm; 0 where there is no procfs.
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

async fn memory(calls: usize, agents: usize) {
    let base = resident_bytes();
    let (center, net, _log, _dir) = start(agents, false).await;
    let with_agents = resident_bytes();
    // Nobody is ready: every call stays live, waiting in the queue.
    for _ in 0..calls {
        net.place_call(caller(86_400.0)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while center.live_calls().len() < calls && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every call has reached the queue once the router holds it.
    loop {
        let waiting: usize = center.waiting().await.iter().map(|(_, c)| c.len()).sum();
        if waiting >= calls || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let with_calls = resident_bytes();
    let per_agent = with_agents.saturating_sub(base) / agents as u64;
    let per_call = with_calls.saturating_sub(with_agents) / calls as u64;
    println!(
        "memory: {agents} idle agent actors {} MiB ({per_agent} B each); {calls} live calls waiting {} MiB ({per_call} B each, actor + router entry + simulated caller); {} calls would take {:.2} GiB",
        with_agents.saturating_sub(base) >> 20,
        with_calls.saturating_sub(with_agents) >> 20,
        100_000,
        (per_call * 100_000) as f64 / f64::from(1u32 << 30),
    );
    center.stop().await;
}

fn main() {
    let rates: Vec<f64> = std::env::var("HOTLINE_BENCH_RATES")
        .unwrap_or_else(|_| "250,500,1000,1500".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    let secs: f64 = std::env::var("HOTLINE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("inbound path, {secs} s per rate, talk {TALK_SECS} s, answer 50 ms, longest idle");
        println!("rate/s  placed  offered  queued->offered p50/p99/max ms  events/s  sustained");
        for rate in rates {
            let r = run_rate(rate, secs).await;
            let sustained = r.offered == r.placed && r.p99 < 10;
            println!(
                "{rate:>6.0}  {:>6}  {:>7}  {:>5} / {:>4} / {:>5}               {:>8.0}  {}",
                r.placed,
                r.offered,
                r.p50,
                r.p99,
                r.max,
                r.events_per_sec,
                if sustained { "yes" } else { "no" }
            );
        }
        let calls = std::env::var("HOTLINE_BENCH_CALLS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(100_000);
        memory(calls, 10_000).await;
    });
}
