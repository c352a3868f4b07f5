//! Live demo traffic: the sample center's agents log in on the simulated network (each
//! answers after a few seconds, now and then not at all) and synthetic callers arrive at
//! a steady Poisson rate on the wall clock, so the wallboard moves within seconds of
//! `hotline serve --demo-traffic N`.

use std::time::Duration;

use anyhow::{Result, anyhow};
use hotline_actors::agent::AgentCommand;
use hotline_media::{AgentModel, Arrivals, CallerScript, Dist};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinHandle;

use super::State;
use super::auth::{Principal, Role};

/// The tokens a demo prints: one for the wallboard, one for the first agent's desk.
#[derive(Debug)]
pub struct DemoTokens {
    pub supervisor: String,
    pub agent: String,
    pub agent_name: String,
}

pub fn demo_tokens(state: &State) -> Result<DemoTokens> {
    let supervisor = state.tokens.issue(Principal {
        name: "demo supervisor".into(),
        role: Role::Supervisor,
        agent: None,
    })?;
    let first = state
        .config
        .agents
        .first()
        .ok_or_else(|| anyhow!("the center has no agents"))?;
    let agent = state.tokens.issue(Principal {
        name: first.login.clone(),
        role: Role::Agent,
        agent: Some(first.id),
    })?;
    Ok(DemoTokens {
        supervisor,
        agent,
        agent_name: first.name.clone(),
    })
}

/// The most demo calls a minute `--demo-traffic` (and `demo --rate`) takes.
pub const MAX_PER_MINUTE: f64 = 6_000.0;

/// Whether `per_minute` is a rate the demo traffic takes: more than 0, at most
/// [`MAX_PER_MINUTE`]. Each command checks it before it starts anything.
pub fn rate_ok(per_minute: f64) -> bool {
    per_minute > 0.0 && per_minute <= MAX_PER_MINUTE
}

/// Logs every agent in (but the first, left to a person at `/agent`), then places calls
/// at `per_minute` until aborted. The callers' talk and patience and the agents' answer
/// delays are divided by `compress` (1: real time; the center's own durations are the
/// caller's to compress, see [`hotline_infra::config::CenterConfig::compressed`]).
pub async fn start(
    state: State,
    per_minute: f64,
    compress: f64,
    seed: u64,
) -> Result<JoinHandle<()>> {
    if !rate_ok(per_minute) {
        return Err(anyhow!(
            "--demo-traffic {per_minute}: give calls per minute, more than 0 and at most {MAX_PER_MINUTE}"
        ));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    {
        let center = state.center.read().await;
        let center = center
            .as_ref()
            .ok_or_else(|| anyhow!("the center is stopping"))?;
        // The first agent is for a person at /agent: logged out until they log in (a
        // morning written by `hotline demo` may have left it logged in).
        if let Some(first) = state.config.agents.first() {
            let _ = center.agent(first.id, AgentCommand::LogOut).await;
        }
        for a in state.config.agents.iter().skip(1) {
            state.network.add_agent(
                a.id,
                AgentModel {
                    answer_delay: Dist::LogNormal {
                        mean_secs: rng.random_range(2.0..5.0),
                        sd_secs: 1.5,
                    }
                    .compressed(compress),
                    answer_probability: rng.random_range(0.92..1.0),
                },
            );
            // As the roster says now (a supervisor may have moved or re-skilled the agent;
            // a removed one stays out). An agent already logged in (a restart on the same
            // data) just goes on.
            let Some(entry) = state.roster.get(a.id) else {
                continue;
            };
            let _ = center
                .agent(a.id, AgentCommand::log_in(&entry.profile))
                .await;
            let _ = center.agent(a.id, AgentCommand::Ready).await;
        }
    }
    let mut arrivals =
        Arrivals::new(per_minute / 60.0, seed).map_err(|e| anyhow!("the demo's arrivals: {e}"))?;
    Ok(tokio::spawn(async move {
        loop {
            let gap = arrivals.next().unwrap_or(Duration::from_secs(1));
            tokio::time::sleep(gap).await;
            let numbers = &state.config.numbers;
            if numbers.is_empty() {
                return;
            }
            let number = &numbers[rng.random_range(0..numbers.len())];
            let digits = (!number.menu.is_empty()).then(|| {
                number.menu[rng.random_range(0..number.menu.len())]
                    .0
                    .clone()
            });
            let script = CallerScript {
                number: number.number.clone(),
                caller: format!("+1555{:07}", rng.random_range(0..10_000_000u32)),
                digits,
                patience: Dist::Exponential { mean_secs: 90.0 }.compressed(compress),
                talk: Dist::LogNormal {
                    mean_secs: 45.0,
                    sd_secs: 20.0,
                }
                .compressed(compress),
                callee_answers: true,
            };
            state.network.place_call(script).await;
        }
    }))
}
