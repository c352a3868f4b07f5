//! The router (ACD): which waiting call goes to which agent, as a pure core. No I/O, no
//! actor, no clock: time, agents' availability and randomness come in as arguments.
//!
//! # State
//!
//! - **Durable** (the fold of the router's own streams `queue-<id>`, through
//!   [`Router::evolve`]): per queue, the waiting calls (priority, needed skills, enqueue
//!   time, callback number, queues overflowed to, last announcement) and the
//!   round-robin memory (the last agent picked, from `AgentsSelected`).
//! - **Volatile** (reported by the shell, not in the log): the view of every agent
//!   ([`Router::agent_changed`], [`Router::agent_gone`]), who missed which call
//!   ([`Router::offer_ended`]) and recent handle times ([`Router::handle_time_observed`]).
//!   Pending offers are recorded by `evolve` of `AgentsSelected` (so the live router
//!   never offers an agent twice between append and ring) and cleared by `CallLeft` or
//!   `offer_ended`; a rebuilt router therefore believes the offers pending at the crash
//!   are still pending, until the call actors report them ended or the shell calls
//!   [`Router::forget_offers`].
//!
//! # Routing semantics (the spec the tests check)
//!
//! - **Line order.** Higher `priority` first; within a priority, first come first
//!   served by enqueue time (then enqueue order). Dispatch serves the calls of all
//!   queues in this one order, since queues share agents. A callback keeps its place
//!   (its original enqueue time); when a callback call is selected, `AgentsSelected` is
//!   followed by `CallbackDialed` in the same decision (once per call: a re-selection
//!   after a missed offer does not dial again).
//! - **Eligible agents** for a call of queue Q: free (`available_since` is `Some`), no
//!   pending offer, member of Q or of a queue the call overflowed to, every needed skill
//!   (call skills ∪ Q's skills) at level ≥ 1, not already selected by this Dispatch, and
//!   did not miss this call's offer before, unless nobody else is eligible.
//! - **Hunting order** of a queue: the order in which the router first saw its members
//!   through `agent_changed`; the shell reports agents in configuration file order at
//!   start, which makes it the file's member order. (`AgentView::queues` lists
//!   memberships, not ranks.) A returning agent keeps its first rank.
//! - **Strategies** (ties: earlier in hunting order):
//!   ring_all = every eligible agent, in one `AgentsSelected`;
//!   linear = the first eligible in hunting order;
//!   round_robin = the first eligible after the last one picked in Q (from the log),
//!   wrapping; within one Dispatch, after the one just picked; from the first when the
//!   last one picked was never reported;
//!   longest_idle = the smallest `available_since`;
//!   fewest_calls = the smallest `calls_today`, ties longest idle;
//!   least_talk_time = the smallest `talk_ms_today`, ties longest idle;
//!   random = uniform; weighted_random = proportional to `weight` (uniform if all 0);
//!   skills = tiers: an agent's measure is its lowest level over the needed skills, tier
//!   `k` holds the agents whose measure ≥ `tiers.levels[k]`, and a call that waited `w`
//!   may use tiers `0..=floor(w / widen_after)` (capped at the last). The pick is the
//!   highest measure among the agents of the allowed tiers, then the longest idle; that
//!   is the best non-empty allowed tier, and within it the highest measure. The event
//!   records the best tier the pick belongs to. A call needing no skill takes the
//!   longest idle at tier 0. For the other strategies the tier is 0.
//! - **Overflow.** A call that overflowed takes agents of Q and of every target, chosen
//!   by Q's strategy over the union (not the target's strategy: one order per call keeps
//!   the pick well defined). Rules of Q, in order, for each waiting call and each target
//!   not yet overflowed to: `after` → once the call has waited that long
//!   (`WaitedTooLong`); `waiting_over` N → while more than N calls wait in Q, every call
//!   of Q overflows (`QueueTooLong`; all of them rather than the tail, so the target's
//!   agents still serve Q in line order). Checked on Enqueue and Tick; one
//!   `CallOverflowed` per (call, target).
//! - **Estimated wait** for position `p` (1-based, callbacks included) in Q with `n`
//!   logged-in members: `ceil(p / max(n, 1)) × mean handle time` of Q's last
//!   `estimate_window` calls (`default_handle_time` until one is measured). A rough,
//!   pessimistic approximation: see [`estimate::estimated_wait`].
//! - **Announcements.** Enqueue announces the new call's position; Tick re-announces a
//!   waiting call (not a callback: that caller is not on the line) once
//!   `announce_every` passed since its last `PositionEstimated` (never when zero).
//! - **Tier widening** needs no event: the tier is computed from the wait at each
//!   decision, and `AgentsSelected` records the one used. [`Router::next_deadline`]
//!   includes widening times so the shell dispatches again then.
//!
//! # Performance
//!
//! Per queue, the free members are indexed by hunting order, idle time, calls today,
//! talk time and (skill, level) ([`agents::Pool`]); a pick walks one index from its best
//! end and stops at the first eligible agent. Dispatch stops once no free agent is left.
//! Ring-all and random walk the rarest needed skill's index in full. The state is
//! updated in place (`&mut self`): it holds thousands of agents and must not be cloned
//! per event, which is also why [`Router`] is not a `Decider` with a by-value `evolve`.

pub mod actor;
pub mod agents;
pub mod estimate;
pub mod strategy;
pub mod waiting;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use hotline_events::{AgentId, CallId, OverflowReason, QueueEvent, QueueId, SkillName, Timestamp};
use hotline_infra::config::{QueueConfig, RouterSettings, Strategy};
use rand::Rng;

pub use agents::AgentView;
use agents::{Agents, Pool};
use estimate::HandleTimes;
use strategy::{Ask, Picked};
use waiting::{Line, Waiting};

/// What the router is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouterCommand {
    /// A call joins `queue`: `CallWaiting` + `PositionEstimated` (+ `CallOverflowed` when
    /// the queue is too long).
    Enqueue {
        call: CallId,
        queue: QueueId,
        priority: u8,
        skills: Vec<SkillName>,
    },
    /// Match waiting calls with free agents: one `AgentsSelected` per call that can be
    /// served now, in line order.
    Dispatch,
    /// Time passed: `CallOverflowed` by the time and length rules, `PositionEstimated`
    /// re-announcements.
    Tick,
    /// The caller hangs up but keeps the place: `CallbackRequested`.
    RequestCallback { call: CallId, number: String },
    /// The call no longer waits (answered, abandoned, voicemail, transferred away):
    /// `CallLeft`.
    Leave { call: CallId },
}

/// Why the router refused a command. Nothing was decided; the state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouterRejection {
    #[error(
        "queue `{0}` is not configured: add it to the center's configuration or route the call elsewhere"
    )]
    UnknownQueue(QueueId),
    #[error("call {call} already waits in queue `{queue}`: it must leave before it joins again")]
    AlreadyWaiting { call: CallId, queue: QueueId },
    #[error("call {0} is not waiting in any queue")]
    NotWaiting(CallId),
    #[error(
        "queue `{queue}` does not offer callbacks (call {call}): enable `callback` on the queue"
    )]
    CallbackNotAllowed { call: CallId, queue: QueueId },
    #[error("call {0} already asked to be called back")]
    CallbackAlreadyRequested(CallId),
    #[error("call {0} asked to be called back without a number")]
    NoCallbackNumber(CallId),
}

/// The agents chosen for one call (see [`Router::select_for`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub queue: QueueId,
    pub agents: Vec<AgentId>,
    pub strategy: Strategy,
    pub tier: u8,
}

/// A waiting call as boards and tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingCall {
    pub call: CallId,
    /// 1-based, in the queue's line order.
    pub position: u32,
    pub priority: u8,
    pub since: Timestamp,
    pub callback: bool,
    pub overflowed_to: Vec<QueueId>,
    /// Whether an offer of it is ringing.
    pub offered: bool,
}

/// One configured queue.
#[derive(Debug)]
struct Queue {
    config: QueueConfig,
    handle_times: HandleTimes,
}

/// The ACD: waiting calls, the view of agents, and the decisions that match them.
#[derive(Debug)]
pub struct Router {
    settings: RouterSettings,
    /// In configuration order (the order Tick reports queues in).
    queues: Vec<Queue>,
    by_id: HashMap<QueueId, usize>,
    line: Line,
    /// Round-robin memory: the last agent picked per queue, from `AgentsSelected`.
    last_picked: HashMap<QueueId, AgentId>,
    agents: Agents,
}

impl Router {
    pub fn new(queues: Vec<QueueConfig>, settings: RouterSettings) -> Router {
        let queues: Vec<Queue> = queues
            .into_iter()
            .map(|config| Queue {
                config,
                handle_times: HandleTimes::new(settings.estimate_window),
            })
            .collect();
        let by_id = queues
            .iter()
            .enumerate()
            .map(|(i, q)| (q.config.id.clone(), i))
            .collect();
        Router {
            settings,
            queues,
            by_id,
            line: Line::default(),
            last_picked: HashMap::new(),
            agents: Agents::default(),
        }
    }

    fn queue(&self, id: &QueueId) -> Option<&Queue> {
        self.by_id.get(id).map(|&i| &self.queues[i])
    }

    /// Folds one event of the router's own stream `queue` (`queue-<id>`) that happened
    /// at `at`. Cannot fail: events are facts; one about a call no longer waiting is
    /// ignored. Takes `&mut self` because the state holds thousands of agents and
    /// calls and must not be cloned per event.
    pub fn evolve(&mut self, queue: &QueueId, event: &QueueEvent, at: Timestamp) {
        match event {
            QueueEvent::CallWaiting {
                call,
                priority,
                skills,
            } => {
                self.agents.call_gone(call);
                self.line
                    .join(*call, queue.clone(), *priority, skills.clone(), at);
            }
            QueueEvent::PositionEstimated { call, .. } => {
                if let Some(w) = self.line.get_mut(call) {
                    w.announced = Some(at);
                }
            }
            QueueEvent::AgentsSelected { call, agents, .. } => {
                if let Some(last) = agents.last() {
                    let queue = self.line.get(call).map_or(queue, |w| &w.queue);
                    self.last_picked.insert(queue.clone(), *last);
                }
                if self.line.get(call).is_some() {
                    self.agents.offer(*call, agents);
                }
            }
            QueueEvent::CallbackRequested { call, number } => {
                if let Some(w) = self.line.get_mut(call) {
                    w.callback = Some(number.clone());
                }
            }
            QueueEvent::CallbackDialed { call } => {
                if let Some(w) = self.line.get_mut(call) {
                    w.dialed = true;
                }
            }
            QueueEvent::CallOverflowed { call, to, .. } => {
                if let Some(w) = self.line.get_mut(call)
                    && !w.overflowed.contains(to)
                {
                    w.overflowed.push(to.clone());
                }
            }
            QueueEvent::CallLeft { call } => {
                self.line.leave(call);
                self.agents.call_gone(call);
            }
        }
    }

    /// What `command` at `now` leads to: the events to append, each with the queue whose
    /// stream it goes to, or why not. Pure: `rng` is the only source of chance (random
    /// strategies), so a seeded one makes decisions reproducible.
    pub fn decide(
        &self,
        command: &RouterCommand,
        now: Timestamp,
        rng: &mut impl Rng,
    ) -> Result<Vec<(QueueId, QueueEvent)>, RouterRejection> {
        match command {
            RouterCommand::Enqueue {
                call,
                queue,
                priority,
                skills,
            } => self.enqueue(*call, queue, *priority, skills, now),
            RouterCommand::Dispatch => Ok(self.dispatch(now, rng)),
            RouterCommand::Tick => Ok(self.tick(now)),
            RouterCommand::RequestCallback { call, number } => {
                let w = self.waiting_call(call)?;
                if !self.queue(&w.queue).is_some_and(|q| q.config.callback) {
                    return Err(RouterRejection::CallbackNotAllowed {
                        call: *call,
                        queue: w.queue.clone(),
                    });
                }
                if w.callback.is_some() {
                    return Err(RouterRejection::CallbackAlreadyRequested(*call));
                }
                if number.trim().is_empty() {
                    return Err(RouterRejection::NoCallbackNumber(*call));
                }
                Ok(vec![(
                    w.queue.clone(),
                    QueueEvent::CallbackRequested {
                        call: *call,
                        number: number.clone(),
                    },
                )])
            }
            RouterCommand::Leave { call } => {
                let w = self.waiting_call(call)?;
                Ok(vec![(
                    w.queue.clone(),
                    QueueEvent::CallLeft { call: *call },
                )])
            }
        }
    }

    fn waiting_call(&self, call: &CallId) -> Result<&Waiting, RouterRejection> {
        self.line
            .get(call)
            .ok_or(RouterRejection::NotWaiting(*call))
    }

    fn enqueue(
        &self,
        call: CallId,
        queue: &QueueId,
        priority: u8,
        skills: &[SkillName],
        now: Timestamp,
    ) -> Result<Vec<(QueueId, QueueEvent)>, RouterRejection> {
        let q = self
            .queue(queue)
            .ok_or_else(|| RouterRejection::UnknownQueue(queue.clone()))?;
        if let Some(w) = self.line.get(&call) {
            return Err(RouterRejection::AlreadyWaiting {
                call,
                queue: w.queue.clone(),
            });
        }
        let place = self.line.next_place(priority, now);
        let position = self.line.position(queue, &place);
        let mut events = vec![
            QueueEvent::CallWaiting {
                call,
                priority,
                skills: skills.to_vec(),
            },
            QueueEvent::PositionEstimated {
                call,
                position,
                estimated_wait_ms: self.estimate(q, position),
            },
        ];
        // The new call is last among equals: it joins the line after every call whose
        // place is before its own.
        let length = self.line.len(queue) + 1;
        let mut before: Vec<(CallId, &[QueueId])> = self
            .line
            .in_queue(queue)
            .map(|w| (w.call, w.overflowed.as_slice()))
            .collect();
        let at = usize::try_from(position - 1).unwrap_or(before.len());
        before.insert(at.min(before.len()), (call, &[]));
        // Time rules are Tick's: here every call counts as having waited 0 ms, so only
        // the length rules (and an `after` of zero for the new call) apply.
        for (c, overflowed) in before {
            events.extend(overflows(&q.config, c, overflowed, 0, length));
        }
        Ok(events.into_iter().map(|e| (queue.clone(), e)).collect())
    }

    fn tick(&self, now: Timestamp) -> Vec<(QueueId, QueueEvent)> {
        let every = u64::try_from(self.settings.announce_every.as_millis()).unwrap_or(u64::MAX);
        let mut events = Vec::new();
        for q in &self.queues {
            let id = &q.config.id;
            let length = self.line.len(id);
            for (i, w) in self.line.in_queue(id).enumerate() {
                let wait = now.millis_since(w.since);
                for e in overflows(&q.config, w.call, &w.overflowed, wait, length) {
                    events.push((id.clone(), e));
                }
                let last = w.announced.unwrap_or(w.since);
                if every > 0 && w.callback.is_none() && now.millis_since(last) >= every {
                    let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
                    events.push((
                        id.clone(),
                        QueueEvent::PositionEstimated {
                            call: w.call,
                            position,
                            estimated_wait_ms: self.estimate(q, position),
                        },
                    ));
                }
            }
        }
        events
    }

    fn dispatch(&self, now: Timestamp, rng: &mut impl Rng) -> Vec<(QueueId, QueueEvent)> {
        let mut events = Vec::new();
        let mut taken: HashSet<AgentId> = HashSet::new();
        // Round-robin memory as it will be once this decision's events are folded.
        let mut picked_now: HashMap<&QueueId, AgentId> = HashMap::new();
        for w in self.line.all() {
            if self.agents.selectable() <= taken.len() {
                break;
            }
            if self.agents.has_offer(&w.call) {
                continue;
            }
            let Some(q) = self.queue(&w.queue) else {
                continue;
            };
            let last = picked_now
                .get(&w.queue)
                .or_else(|| self.last_picked.get(&w.queue));
            let Some(picked) = self.select(w, q, now, last, &taken, rng) else {
                continue;
            };
            taken.extend(picked.agents.iter().copied());
            if let Some(agent) = picked.agents.last() {
                picked_now.insert(&w.queue, *agent);
            }
            events.push((
                w.queue.clone(),
                QueueEvent::AgentsSelected {
                    call: w.call,
                    agents: picked.agents,
                    strategy: q.config.strategy.name().to_owned(),
                    tier: picked.tier,
                },
            ));
            if w.callback.is_some() && !w.dialed {
                events.push((w.queue.clone(), QueueEvent::CallbackDialed { call: w.call }));
            }
        }
        events
    }

    /// The agents `call` would be offered to now, by its queue's strategy, as Dispatch
    /// would pick them if it were first in line; `None` when it is not waiting, an offer
    /// of it is ringing, or nobody is eligible. For a shell that routes one call at a
    /// time, and for the benchmark.
    pub fn select_for(
        &self,
        call: CallId,
        now: Timestamp,
        rng: &mut impl Rng,
    ) -> Option<Selection> {
        let w = self.line.get(&call)?;
        if self.agents.has_offer(&call) {
            return None;
        }
        let q = self.queue(&w.queue)?;
        let picked = self.select(
            w,
            q,
            now,
            self.last_picked.get(&w.queue),
            &HashSet::new(),
            rng,
        )?;
        Some(Selection {
            queue: w.queue.clone(),
            agents: picked.agents,
            strategy: q.config.strategy,
            tier: picked.tier,
        })
    }

    fn select(
        &self,
        w: &Waiting,
        q: &Queue,
        now: Timestamp,
        last: Option<&AgentId>,
        taken: &HashSet<AgentId>,
        rng: &mut impl Rng,
    ) -> Option<Picked> {
        let config = &q.config;
        let mut needed: Vec<SkillName> = config.skills.clone();
        for s in &w.skills {
            if !needed.contains(s) {
                needed.push(s.clone());
            }
        }
        // Pools where some needed skill has no free member cannot supply anyone: leave
        // them out before any walk.
        let pools: Vec<&Pool> = std::iter::once(&w.queue)
            .chain(&w.overflowed)
            .filter_map(|id| self.agents.pool(id))
            .filter(|pool| needed.iter().all(|s| pool.skill_len(s) > 0))
            .collect();
        if pools.is_empty() {
            return None;
        }
        let levels: &[u8] = if config.tiers.levels.is_empty() {
            &[1]
        } else {
            &config.tiers.levels
        };
        let min_level = match config.strategy {
            Strategy::Skills => {
                let widen = u64::try_from(config.tiers.widen_after.as_millis()).unwrap_or(u64::MAX);
                let last_tier = levels.len() - 1;
                let allowed = match widen {
                    0 => last_tier,
                    widen => usize::try_from(now.millis_since(w.since) / widen)
                        .unwrap_or(usize::MAX)
                        .min(last_tier),
                };
                levels[allowed].max(1)
            }
            _ => 1,
        };
        let cursor = last.and_then(|a| self.agents.order_of(a));
        let without_missed = |a: &AgentId| taken.contains(a) || w.missed.contains(a);
        let only_taken = |a: &AgentId| taken.contains(a);
        let ask = Ask {
            pools: &pools,
            needed: &needed,
            min_level,
            excluded: &without_missed as &dyn Fn(&AgentId) -> bool,
            cursor,
            tiers: levels,
        };
        if let Some(picked) = strategy::pick(&self.agents, config.strategy, &ask, rng) {
            return Some(picked);
        }
        if w.missed.is_empty() {
            return None;
        }
        // Nobody but agents who missed this call: offer it to them again.
        let ask = Ask {
            excluded: &only_taken as &dyn Fn(&AgentId) -> bool,
            ..ask
        };
        strategy::pick(&self.agents, config.strategy, &ask, rng)
    }

    fn estimate(&self, q: &Queue, position: u32) -> u64 {
        let default = u64::try_from(q.config.default_handle_time.as_millis()).unwrap_or(u64::MAX);
        let staffed = self.agents.pool(&q.config.id).map_or(0, |p| p.staffed);
        estimate::estimated_wait(position, staffed, q.handle_times.mean(default))
    }

    /// Records what the router knows of an agent (log in or out, state, skills, queues,
    /// a finished call). The first report of an agent fixes its rank in every queue's
    /// hunting order.
    pub fn agent_changed(&mut self, view: AgentView) {
        self.agents.update(view);
    }

    /// The agent is no longer known (removed from the center). Its rank is kept.
    pub fn agent_gone(&mut self, agent: AgentId) {
        self.agents.remove(&agent);
    }

    /// The offer of `call` to `agent` ended without an answer (missed, refused, failed):
    /// the agent is free for other calls again (as its `available_since` says), and is
    /// excluded from this call's next selection unless nobody else is eligible.
    pub fn offer_ended(&mut self, call: CallId, agent: AgentId) {
        self.agents.offer_ended(&call, &agent);
        if let Some(w) = self.line.get_mut(&call)
            && !w.missed.contains(&agent)
        {
            w.missed.push(agent);
        }
    }

    /// Drops every pending offer: for a shell that rebuilt the router after a restart and
    /// knows no offer survived it.
    pub fn forget_offers(&mut self) {
        self.agents.forget_offers();
    }

    /// A call of `queue` was handled in `millis` (talk + hold + wrap-up): feeds the
    /// estimated wait.
    pub fn handle_time_observed(&mut self, queue: &QueueId, millis: u64) {
        if let Some(&i) = self.by_id.get(queue) {
            self.queues[i].handle_times.observe(millis);
        }
    }

    /// The earliest time at which a Tick would announce or overflow, or a Dispatch could
    /// use a wider tier; `None` with nothing waiting. For the shell's one timer: at that
    /// time, Tick then Dispatch.
    ///
    /// `now` is the time of the last Tick and Dispatch: a widening time at or before it
    /// counts as done (widening leaves no event to mark it, so without `now` a passed
    /// widening time would stay the earliest deadline and the timer would spin), while
    /// an announcement or overflow still due is returned as is (at or before `now`: tick
    /// at once).
    pub fn next_deadline(&self, now: Timestamp) -> Option<Timestamp> {
        let every = u64::try_from(self.settings.announce_every.as_millis()).unwrap_or(u64::MAX);
        let mut next: Option<Timestamp> = None;
        let mut consider = |t: Timestamp| {
            if next.is_none_or(|n| t < n) {
                next = Some(t);
            }
        };
        for w in self.line.all() {
            let Some(q) = self.queue(&w.queue) else {
                continue;
            };
            if every > 0 && w.callback.is_none() {
                consider(w.announced.unwrap_or(w.since).plus_millis(every));
            }
            for rule in &q.config.overflow {
                if let Some(after) = rule.after
                    && rule.to != w.queue
                    && !w.overflowed.contains(&rule.to)
                {
                    consider(
                        w.since
                            .plus_millis(u64::try_from(after.as_millis()).unwrap_or(u64::MAX)),
                    );
                }
            }
            let widen = u64::try_from(q.config.tiers.widen_after.as_millis()).unwrap_or(0);
            let tiers = q.config.tiers.levels.len() as u64;
            if q.config.strategy == Strategy::Skills && widen > 0 && tiers > 1 {
                let k = now.millis_since(w.since) / widen + 1;
                if k < tiers {
                    consider(w.since.plus_millis(k.saturating_mul(widen)));
                }
            }
        }
        next
    }

    /// The calls waiting in `queue`, first in line first.
    pub fn waiting(&self, queue: &QueueId) -> Vec<WaitingCall> {
        self.line
            .in_queue(queue)
            .enumerate()
            .map(|(i, w)| WaitingCall {
                call: w.call,
                position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                priority: w.priority,
                since: w.since,
                callback: w.callback.is_some(),
                overflowed_to: w.overflowed.clone(),
                offered: self.agents.has_offer(&w.call),
            })
            .collect()
    }

    /// Every waiting call, in the order Dispatch serves them (all queues together).
    pub fn waiting_calls(&self) -> Vec<CallId> {
        self.line.all().map(|w| w.call).collect()
    }

    /// The waiting calls of each configured queue (in configuration order), each list in
    /// line order.
    pub fn waiting_by_queue(&self) -> Vec<(QueueId, Vec<CallId>)> {
        self.queues
            .iter()
            .map(|q| {
                let id = &q.config.id;
                (id.clone(), self.line.in_queue(id).map(|w| w.call).collect())
            })
            .collect()
    }

    /// The queue `call` waits in.
    pub fn queue_of(&self, call: &CallId) -> Option<&QueueId> {
        self.line.get(call).map(|w| &w.queue)
    }

    /// The estimated wait of position `position` in `queue` now.
    pub fn estimated_wait(&self, queue: &QueueId, position: u32) -> Option<u64> {
        self.queue(queue).map(|q| self.estimate(q, position))
    }

    /// Agents that are free and not being offered a call, in all queues.
    pub fn selectable_agents(&self) -> usize {
        self.agents.selectable()
    }
}

/// The `CallOverflowed` events the rules of `config` call for, for a call that waited
/// `wait` ms and has overflowed to `overflowed`, in a queue where `length` calls wait.
fn overflows(
    config: &QueueConfig,
    call: CallId,
    overflowed: &[QueueId],
    wait: u64,
    length: usize,
) -> Vec<QueueEvent> {
    let mut events: Vec<QueueEvent> = Vec::new();
    for rule in &config.overflow {
        let done = |to: &QueueId| {
            overflowed.contains(to)
                || events
                    .iter()
                    .any(|e| matches!(e, QueueEvent::CallOverflowed { to: t, .. } if t == to))
        };
        if rule.to == config.id || done(&rule.to) {
            continue;
        }
        let reason = if rule
            .after
            .is_some_and(|after| u128::from(wait) >= after.as_millis())
        {
            OverflowReason::WaitedTooLong
        } else if rule
            .waiting_over
            .is_some_and(|n| length > usize::try_from(n).unwrap_or(usize::MAX))
        {
            OverflowReason::QueueTooLong
        } else {
            continue;
        };
        events.push(QueueEvent::CallOverflowed {
            call,
            to: rule.to.clone(),
            reason,
        });
    }
    events
}
