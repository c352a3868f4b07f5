//! The virtual-clock run: a scenario's day through the production actors
//! ([`hotline_actors::Center`]) on the simulated network, with tokio's clock paused so
//! that simulated hours pass in seconds, every event written to the log.
//!
//! [`on_virtual_clock`] is the reusable part (`hotline demo` uses it too): a runtime of its
//! own, one thread, time paused, ids seeded. One thread matters: with the log's work done
//! on that thread ([`VirtualTimeLog`]), what runs when follows from the seed alone, so the
//! same scenario writes the same log, byte for byte.
//!
//! [`simulate`] drives the day from one loop over a timeline: arrivals of each stream
//! (Poisson per interval, [`ArrivalTimes`]), agents logging in and out and going on
//! breaks, and a tick each simulated minute for progress and for ending the run once the
//! arrivals are over and no call is left.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hotline_actors::Center;
use hotline_actors::agent::{AgentCommand, Profile};
use hotline_events::{AgentId, SeededIds, Timestamp};
use hotline_infra::config::AgentConfig;
use hotline_infra::{Clock, EventLog, LogError, VirtualTimeLog};
use hotline_media::{AgentModel, CallerScript, Dist, MAX_SECS, SimNetwork};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::scenario::{ArrivalTimes, Scenario};

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start the simulation's runtime: {0}")]
    Runtime(#[from] std::io::Error),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(
        "the log already holds {0} events; simulate into an empty data directory (--data-dir), so that the run starts from nothing and its report covers it alone"
    )]
    NotEmpty(u64),
    #[error("cannot start the center: {0}")]
    Center(String),
    /// A run's options do not make sense (the text names the option and what to give).
    #[error("{0}")]
    Options(String),
}

/// How far a run is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Simulated time since the start.
    pub simulated: Duration,
    /// The run's length if it lasts until the end of its drain.
    pub length: Duration,
    /// Calls placed so far.
    pub placed: u64,
    /// Calls in progress now.
    pub live: u64,
}

/// What a run did, as the driver saw it; the figures come from the log ([`crate::report`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub placed: u64,
    /// Calls still in progress when the run ended (its drain ran out).
    pub live_at_end: u64,
    /// Simulated time the run lasted.
    pub simulated: Duration,
}

/// Runs `body` on a runtime of its own, on this thread: one thread, tokio's clock paused
/// (it jumps to the next timer whenever every task waits), and every id generated on the
/// thread drawn from `id_seed`. Blocks until `body` is done.
pub fn on_virtual_clock<T>(id_seed: u64, body: impl Future<Output = T>) -> Result<T, RunError> {
    let _ids = SeededIds::install(id_seed);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()?;
    Ok(runtime.block_on(body))
}

/// A sub-seed for one use of the scenario's seed, so that the network, the router, the ids
/// and each arrivals stream draw independent numbers (SplitMix64 of seed and purpose).
pub fn sub_seed(seed: u64, purpose: u64) -> u64 {
    let mut z = seed ^ purpose.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const NETWORK: u64 = 1;
const ROUTER: u64 = 2;
const IDS: u64 = 3;
const CALLERS: u64 = 4;
const ARRIVALS: u64 = 100;

/// How often an agent whose break or logout was refused (on a call, wrapping up) tries
/// again.
const RETRY: Duration = Duration::from_secs(1);
/// How often the run reports progress and checks whether it is over.
const TICK: Duration = Duration::from_secs(60);

/// Runs `scenario` into `log` (which must be empty) on a virtual clock, on this thread;
/// `progress` is called each simulated minute.
pub fn run(
    scenario: &Scenario,
    log: Arc<dyn EventLog>,
    progress: impl FnMut(Progress),
) -> Result<Summary, RunError> {
    on_virtual_clock(
        sub_seed(scenario.seed, IDS),
        simulate(scenario, log, progress),
    )?
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    /// The next call of arrivals stream `n`.
    Call(usize),
    LogIn(usize),
    BreakStart(usize, usize),
    BreakEnd(usize),
    LogOut(usize),
    Tick,
}

/// The command that logs `agent` in with the skills and queues of the configuration.
pub fn log_in(agent: &AgentConfig) -> AgentCommand {
    AgentCommand::log_in(&Profile::of_config(agent))
}

/// The day itself; must run on a paused clock (see [`on_virtual_clock`]).
pub async fn simulate(
    scenario: &Scenario,
    log: Arc<dyn EventLog>,
    mut progress: impl FnMut(Progress),
) -> Result<Summary, RunError> {
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(log));
    let head = log.head().await?;
    if head > 0 {
        return Err(RunError::NotEmpty(head));
    }
    let seed = scenario.seed;
    let center_config = &scenario.center;
    let (net, reports) = SimNetwork::new(sub_seed(seed, NETWORK), 65_536);

    // The agents, in file order, with their group's schedule (none: all day).
    struct Scheduled {
        id: AgentId,
        login: AgentCommand,
        breaks: Vec<(Duration, Duration)>,
    }
    let mut agents = Vec::new();
    let mut timeline: BinaryHeap<Reverse<(Duration, u64, Item)>> = BinaryHeap::new();
    let mut order = 0u64;
    let mut at = |timeline: &mut BinaryHeap<_>, when: Duration, item: Item| {
        order += 1;
        timeline.push(Reverse((when, order, item)));
    };
    let instant = AgentModel {
        answer_delay: Dist::Fixed { secs: 0.0 },
        answer_probability: 1.0,
    };
    for a in &center_config.agents {
        let group = scenario.groups.iter().find(|g| g.agents.contains(&a.id));
        net.add_agent(a.id, group.map_or(instant.clone(), |g| g.answer.clone()));
        let k = agents.len();
        let (shift, breaks) = group.map_or(((Duration::ZERO, None), Vec::new()), |g| {
            (g.shift, g.breaks.clone())
        });
        at(&mut timeline, shift.0, Item::LogIn(k));
        for (b, (from, to)) in breaks.iter().enumerate() {
            at(&mut timeline, *from, Item::BreakStart(k, b));
            at(&mut timeline, *to, Item::BreakEnd(k));
        }
        if let Some(end) = shift.1 {
            at(&mut timeline, end, Item::LogOut(k));
        }
        agents.push(Scheduled {
            id: a.id,
            login: log_in(a),
            breaks,
        });
    }
    let mut streams: Vec<ArrivalTimes> = scenario
        .arrivals
        .iter()
        .enumerate()
        .map(|(n, a)| {
            ArrivalTimes::new(
                &a.calls_per_interval,
                scenario.interval,
                sub_seed(seed, ARRIVALS + n as u64),
            )
        })
        .collect();
    for (n, stream) in streams.iter_mut().enumerate() {
        if let Some(t) = stream.next() {
            at(&mut timeline, Duration::from_secs_f64(t), Item::Call(n));
        }
    }
    at(&mut timeline, Duration::ZERO, Item::Tick);

    let start = Timestamp::from_datetime(scenario.start.to_utc());
    let center = Center::start(
        center_config.clone(),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        Clock::starting_at(start),
        sub_seed(seed, ROUTER),
    )
    .await
    .map_err(|e| RunError::Center(e.to_string()))?;

    let origin = tokio::time::Instant::now();
    let window = scenario.arrival_window();
    let length = scenario.length();
    let mut callers = StdRng::seed_from_u64(sub_seed(seed, CALLERS));
    let mut placed = 0u64;
    let never = Dist::Fixed { secs: MAX_SECS };
    while let Some(Reverse((when, _, item))) = timeline.pop() {
        if when > length {
            break;
        }
        tokio::time::sleep_until(origin + when).await;
        match item {
            Item::Call(n) => {
                let stream = &scenario.arrivals[n];
                let mut pick: f64 = callers.random();
                let digits = stream
                    .ivr
                    .iter()
                    .find(|(_, p)| {
                        pick -= p;
                        pick < 0.0
                    })
                    .map(|(d, _)| d.clone());
                let script = CallerScript {
                    number: stream.number.clone(),
                    caller: format!("+1555{:07}", callers.random_range(0..10_000_000u32)),
                    digits,
                    patience: stream.patience.clone().unwrap_or_else(|| never.clone()),
                    talk: stream.talk.clone(),
                    callee_answers: true,
                };
                net.place_call(script).await;
                placed += 1;
                if let Some(t) = streams[n].next() {
                    at(&mut timeline, Duration::from_secs_f64(t), Item::Call(n));
                }
            }
            Item::LogIn(k) => {
                let agent = &agents[k];
                // Refused only if already logged in, which a fresh log rules out.
                let _ = center.agent(agent.id, agent.login.clone()).await;
                let _ = center.agent(agent.id, AgentCommand::Ready).await;
            }
            Item::BreakStart(k, b) => {
                let agent = &agents[k];
                let not_ready = AgentCommand::NotReady {
                    reason: "break".into(),
                };
                // On a call or wrapping up: the break starts when the agent is free, as
                // long as it has not ended meanwhile.
                let end = agent.breaks[b].1;
                if center.agent(agent.id, not_ready).await.is_err() && when + RETRY < end {
                    at(&mut timeline, when + RETRY, Item::BreakStart(k, b));
                }
            }
            Item::BreakEnd(k) => {
                let _ = center.agent(agents[k].id, AgentCommand::Ready).await;
            }
            Item::LogOut(k) => {
                if center
                    .agent(agents[k].id, AgentCommand::LogOut)
                    .await
                    .is_err()
                {
                    at(&mut timeline, when + RETRY, Item::LogOut(k));
                }
            }
            Item::Tick => {
                let live = center.live_calls().len() as u64;
                progress(Progress {
                    simulated: when,
                    length,
                    placed,
                    live,
                });
                if when >= window && live == 0 {
                    break;
                }
                at(&mut timeline, when + TICK, Item::Tick);
            }
        }
    }
    let simulated = origin.elapsed();
    let live_at_end = center.live_calls().len() as u64;
    progress(Progress {
        simulated,
        length,
        placed,
        live: live_at_end,
    });
    center.stop().await;
    Ok(Summary {
        placed,
        live_at_end,
        simulated,
    })
}
