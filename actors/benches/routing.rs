//! Benchmark of the router's pure core: how long picking the agent for one call takes in
//! a large center.
//!
//! Run: `cargo bench -p hotline-actors --bench routing`.
//!
//! The center (built from a fixed seed): 10,000 logged-in, free agents, each with 3 of 50
//! skills at levels 1–10 and free since a random moment of the last hour; two queues
//! with every agent a member, `skills` (skills strategy, tiers 8/5/1 widening every 20 s)
//! and `idle` (longest idle); 1,000 calls waiting, 500 in each, each needing one skill (one
//! in five needs two), enqueued over the last two minutes so that tiers differ.
//!
//! 1. **criterion** (`target/criterion`):
//!    - `select/skills`, `select/longest_idle`: one `Router::select_for`, the decision
//!      that picks the agent for one call, cycling over the queue's 500 waiting calls;
//!    - `dispatch/1000_calls`: one `decide(Dispatch)` that serves all 1,000 calls (an
//!      element is one selection);
//!    - `agent_changed`: one agent report that moves an agent in every index (free since
//!      a new time).
//! 2. **summary** (stdout): p50 / p99 / max of 10,000 individually timed `select_for`
//!    per strategy (`Instant` around each call), against the goal p99 < 1 ms.
//!
//! Under `cargo test` (no `--bench` argument) each criterion benchmark runs once as a
//! smoke test and the summary is skipped.

#![allow(clippy::unwrap_used)] // a benchmark: any failure should abort the run loudly

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use hotline_actors::router::{AgentView, Router, RouterCommand};
use hotline_events::{AgentId, CallId, QueueEvent, QueueId, SkillName, Timestamp};
use hotline_infra::config::{QueueConfig, RouterSettings, Strategy, Tiers};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const AGENTS: u32 = 10_000;
const SKILLS: usize = 50;
const SKILLS_PER_AGENT: usize = 3;
const CALLS: u32 = 1_000;
/// Individually timed decisions per strategy in the summary.
const SAMPLES: usize = 10_000;
const GOAL_P99: Duration = Duration::from_millis(1);

/// The moment every decision is taken.
fn now() -> Timestamp {
    Timestamp::parse("2026-11-24T10:00:00.000Z").unwrap()
}

fn queue(id: &str, strategy: Strategy) -> QueueConfig {
    QueueConfig {
        id: QueueId::new(id).unwrap(),
        name: id.to_owned(),
        strategy,
        ring_timeout: Duration::from_secs(15),
        wrap_up: Duration::from_secs(10),
        skills: Vec::new(),
        tiers: Tiers {
            levels: vec![8, 5, 1],
            widen_after: Duration::from_secs(20),
        },
        overflow: Vec::new(),
        max_wait: None,
        hours: None,
        service_level_threshold: Duration::from_secs(20),
        service_level_target: 80,
        callback: true,
        default_handle_time: Duration::from_secs(180),
    }
}

/// A UUID-shaped id from a number (v7 layout, deterministic).
fn uuid(kind: u16, n: u32) -> String {
    format!("00000000-0000-7000-{kind:04x}-{n:012}")
}

/// The center: the router and the waiting calls of each queue.
struct Center {
    router: Router,
    skills_calls: Vec<CallId>,
    idle_calls: Vec<CallId>,
}

fn center() -> Center {
    let mut rng = StdRng::seed_from_u64(2026);
    let skills: Vec<SkillName> = (0..SKILLS)
        .map(|i| SkillName::new(&format!("skill{i:02}")).unwrap())
        .collect();
    let queues = [
        queue("skills", Strategy::Skills),
        queue("idle", Strategy::LongestIdle),
    ];
    let ids: Vec<QueueId> = queues.iter().map(|q| q.id.clone()).collect();
    let mut router = Router::new(queues.to_vec(), RouterSettings::default());
    for n in 0..AGENTS {
        let mut own: Vec<(SkillName, u8)> = Vec::new();
        while own.len() < SKILLS_PER_AGENT {
            let s = &skills[rng.random_range(0..SKILLS)];
            if !own.iter().any(|(name, _)| name == s) {
                own.push((s.clone(), rng.random_range(1..=10)));
            }
        }
        router.agent_changed(AgentView {
            id: uuid(0x8000, n).parse().unwrap(),
            logged_in: true,
            available_since: Some(Timestamp::from_millis(
                now().as_millis() - rng.random_range(0..3_600_000),
            )),
            skills: own,
            queues: ids.clone(),
            weight: 1,
            calls_today: rng.random_range(0..40),
            talk_ms_today: rng.random_range(0..10_000_000),
        });
    }
    let (mut skills_calls, mut idle_calls) = (Vec::new(), Vec::new());
    for n in 0..CALLS {
        let call: CallId = uuid(0x9000, n).parse().unwrap();
        let needs = if rng.random_range(0..5) == 0 { 2 } else { 1 };
        let needed: Vec<SkillName> = (0..needs)
            .map(|_| skills[rng.random_range(0..SKILLS)].clone())
            .collect();
        let (queue, list) = if n % 2 == 0 {
            (&ids[0], &mut skills_calls)
        } else {
            (&ids[1], &mut idle_calls)
        };
        // Enqueued over the last two minutes, oldest first.
        let at = Timestamp::from_millis(now().as_millis() - 120_000 + i64::from(n) * 120);
        router.evolve(
            queue,
            &QueueEvent::CallWaiting {
                call,
                priority: 0,
                skills: needed,
            },
            at,
        );
        list.push(call);
    }
    Center {
        router,
        skills_calls,
        idle_calls,
    }
}

fn criterion_part(center: &mut Center) {
    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut rng = StdRng::seed_from_u64(1);

    let mut group = c.benchmark_group("select");
    group.throughput(Throughput::Elements(1));
    for (name, calls) in [
        ("skills", &center.skills_calls),
        ("longest_idle", &center.idle_calls),
    ] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % calls.len();
                black_box(center.router.select_for(calls[i], now(), &mut rng))
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("dispatch");
    group.throughput(Throughput::Elements(u64::from(CALLS)));
    group.bench_function("1000_calls", |b| {
        b.iter(|| {
            let events = center
                .router
                .decide(&RouterCommand::Dispatch, now(), &mut rng)
                .unwrap();
            assert!(events.len() >= CALLS as usize * 9 / 10, "{}", events.len());
            black_box(events)
        });
    });
    group.finish();

    let mut group = c.benchmark_group("agent_changed");
    group.throughput(Throughput::Elements(1));
    let ids: Vec<QueueId> = ["skills", "idle"]
        .map(|q| QueueId::new(q).unwrap())
        .to_vec();
    let mut n = 0u32;
    let mut t = now().as_millis();
    group.bench_function("free_again", |b| {
        b.iter(|| {
            n = (n + 1) % AGENTS;
            t += 1;
            let id: AgentId = uuid(0x8000, n).parse().unwrap();
            center.router.agent_changed(AgentView {
                id,
                logged_in: true,
                available_since: Some(Timestamp::from_millis(t)),
                skills: vec![(SkillName::new("skill07").unwrap(), 5)],
                queues: ids.clone(),
                weight: 1,
                calls_today: 3,
                talk_ms_today: 600_000,
            });
        });
    });
    group.finish();

    c.final_summary();
}

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

fn summary_part(center: &Center) {
    let mut rng = StdRng::seed_from_u64(3);
    println!();
    println!(
        "select_for over {AGENTS} free agents, {SKILLS} skills, {CALLS} waiting calls; \
         {SAMPLES} individually timed decisions each"
    );
    println!(
        "{:<14} {:>10} {:>10} {:>10} {:>10}  goal p99 < {:?}",
        "strategy", "p50", "p99", "max", "mean", GOAL_P99
    );
    for (name, calls) in [
        ("skills", &center.skills_calls),
        ("longest_idle", &center.idle_calls),
    ] {
        let mut times = Vec::with_capacity(SAMPLES);
        let mut found = 0usize;
        for i in 0..SAMPLES {
            let call = calls[i % calls.len()];
            let start = Instant::now();
            let picked = center.router.select_for(call, now(), &mut rng);
            times.push(start.elapsed());
            found += usize::from(black_box(picked).is_some());
        }
        times.sort_unstable();
        let mean = times.iter().sum::<Duration>() / SAMPLES as u32;
        let p99 = percentile(&times, 0.99);
        println!(
            "{:<14} {:>10.2?} {:>10.2?} {:>10.2?} {:>10.2?}  {} ({found} of {SAMPLES} found an agent)",
            name,
            percentile(&times, 0.50),
            p99,
            times[SAMPLES - 1],
            mean,
            if p99 < GOAL_P99 { "PASS" } else { "MISS" },
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let benchmarking = args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a.starts_with("--profile-time"));
    let started = Instant::now();
    let mut center = center();
    if benchmarking {
        println!(
            "(built the center in {:.0} ms)",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    let part = std::env::var("HOTLINE_BENCH").unwrap_or_default();
    if benchmarking && part != "criterion" {
        // Before criterion: `agent_changed` moves agents, the summary sees the fresh center.
        summary_part(&center);
    }
    if part != "summary" {
        criterion_part(&mut center);
    }
}
