//! The router's view of agents: who may take a call of which queue right now, indexed per
//! queue so that every strategy finds its agent without scanning all agents.
//!
//! Agent actors own agents; the router only holds what they last reported
//! ([`AgentView`]) plus the offers it made itself. None of this is in the router's streams:
//! it is the volatile part of the router's state, rebuilt from the agents' reports after
//! a restart.

use std::collections::{BTreeMap, HashMap};

use hotline_events::{AgentId, CallId, QueueId, SkillName, Timestamp};

/// The highest skill level; higher reported levels count as this.
pub const MAX_LEVEL: u8 = 10;

/// What the router knows of one agent, as the agent's actor last reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    pub id: AgentId,
    /// Logged in (ready, not ready, busy or in wrap-up): counts as staff for the
    /// estimated wait.
    pub logged_in: bool,
    /// `Some(since)` when ready and free since then; `None` when busy, reserved, not
    /// ready or logged out.
    pub available_since: Option<Timestamp>,
    /// Skill name and level (1–10; 0 counts as not having the skill).
    pub skills: Vec<(SkillName, u8)>,
    /// Queue membership. Only membership matters here: a queue's hunting order is the
    /// order in which the router first saw its agents (see [`crate::router`]).
    pub queues: Vec<QueueId>,
    /// For weighted random: the agent's share is `weight / sum of weights`.
    pub weight: u32,
    pub calls_today: u32,
    pub talk_ms_today: u64,
}

impl AgentView {
    /// The agent's level in `skill`, 0 when it has not got it.
    pub fn level(&self, skill: &SkillName) -> u8 {
        self.skills
            .iter()
            .filter(|(name, _)| name == skill)
            .map(|&(_, level)| level.min(MAX_LEVEL))
            .max()
            .unwrap_or(0)
    }

    /// The agent's lowest level over `needed` (the measure of skill tiers); `u8::MAX`
    /// when nothing is needed, so that everyone qualifies for every tier.
    pub fn min_level(&self, needed: &[SkillName]) -> u8 {
        needed
            .iter()
            .map(|s| self.level(s))
            .min()
            .unwrap_or(u8::MAX)
    }
}

/// Where an agent stands in every queue's hunting order: the rank in which the router
/// first saw it. Kept when the agent leaves, so a returning agent keeps its place.
pub type Order = u64;

/// Longest-idle order: free since, then hunting order for ties.
pub type IdleKey = (Timestamp, Order);

/// One known agent.
#[derive(Debug, Clone)]
pub struct Agent {
    pub view: AgentView,
    pub order: Order,
}

/// The agents of one skill in one queue, by level (index = level), each by idle time.
#[derive(Debug, Default)]
pub struct SkillIndex {
    pub levels: [BTreeMap<IdleKey, AgentId>; MAX_LEVEL as usize + 1],
    pub len: usize,
}

/// The selectable members of one queue (free, with no pending offer), in the orders the
/// strategies need, plus the count of logged-in members. Each agent appears once per
/// index; an agent in several queues appears in each queue's pool.
#[derive(Debug, Default)]
pub struct Pool {
    /// Logged-in members (free or not), for the estimated wait.
    pub staffed: usize,
    /// Hunting order (linear, round-robin, and the candidate order of ring-all and random).
    pub by_order: BTreeMap<Order, AgentId>,
    pub by_idle: BTreeMap<IdleKey, AgentId>,
    pub by_calls: BTreeMap<(u32, Timestamp, Order), AgentId>,
    pub by_talk: BTreeMap<(u64, Timestamp, Order), AgentId>,
    pub by_skill: HashMap<SkillName, SkillIndex>,
}

impl Pool {
    fn insert(&mut self, agent: &Agent, since: Timestamp) {
        let (id, order, view) = (agent.view.id, agent.order, &agent.view);
        self.by_order.insert(order, id);
        self.by_idle.insert((since, order), id);
        self.by_calls.insert((view.calls_today, since, order), id);
        self.by_talk.insert((view.talk_ms_today, since, order), id);
        for (skill, level) in &view.skills {
            let level = (*level).min(MAX_LEVEL);
            if level == 0 {
                continue;
            }
            let index = self.by_skill.entry(skill.clone()).or_default();
            if index.levels[usize::from(level)]
                .insert((since, order), id)
                .is_none()
            {
                index.len += 1;
            }
        }
    }

    fn remove(&mut self, agent: &Agent, since: Timestamp) {
        let (order, view) = (agent.order, &agent.view);
        self.by_order.remove(&order);
        self.by_idle.remove(&(since, order));
        self.by_calls.remove(&(view.calls_today, since, order));
        self.by_talk.remove(&(view.talk_ms_today, since, order));
        for (skill, level) in &view.skills {
            let level = (*level).min(MAX_LEVEL);
            if let Some(index) = self.by_skill.get_mut(skill)
                && index.levels[usize::from(level)]
                    .remove(&(since, order))
                    .is_some()
            {
                index.len -= 1;
            }
        }
    }

    /// How many selectable members have `skill` at any level.
    pub fn skill_len(&self, skill: &SkillName) -> usize {
        self.by_skill.get(skill).map_or(0, |i| i.len)
    }
}

/// Every agent the router knows, their per-queue pools and the pending offers.
#[derive(Debug, Default)]
pub struct Agents {
    agents: HashMap<AgentId, Agent>,
    /// Hunting order of every agent ever seen.
    orders: HashMap<AgentId, Order>,
    next_order: Order,
    pools: HashMap<QueueId, Pool>,
    /// Agent -> the call it is being offered (rung for) and has not answered yet.
    offered: HashMap<AgentId, CallId>,
    /// Call -> the agents it is being offered to.
    offers: HashMap<CallId, Vec<AgentId>>,
    /// Free agents with no pending offer, in all queues.
    selectable: usize,
}

impl Agents {
    pub fn get(&self, id: &AgentId) -> Option<&Agent> {
        self.agents.get(id)
    }

    pub fn pool(&self, queue: &QueueId) -> Option<&Pool> {
        self.pools.get(queue)
    }

    /// The hunting order of an agent ever seen.
    pub fn order_of(&self, id: &AgentId) -> Option<Order> {
        self.orders.get(id).copied()
    }

    /// Free agents with no pending offer.
    pub fn selectable(&self) -> usize {
        self.selectable
    }

    pub fn has_offer(&self, call: &CallId) -> bool {
        self.offers.contains_key(call)
    }

    /// The agent's free-since time if it may be selected now.
    fn selectable_since(&self, agent: &Agent) -> Option<Timestamp> {
        agent
            .view
            .available_since
            .filter(|_| !self.offered.contains_key(&agent.view.id))
    }

    fn index(&mut self, id: &AgentId) {
        let Some(agent) = self.agents.get(id) else {
            return;
        };
        if let Some(since) = self.selectable_since(agent) {
            for queue in &agent.view.queues {
                self.pools
                    .entry(queue.clone())
                    .or_default()
                    .insert(agent, since);
            }
            self.selectable += 1;
        }
    }

    fn unindex(&mut self, id: &AgentId) {
        let Some(agent) = self.agents.get(id) else {
            return;
        };
        if let Some(since) = self.selectable_since(agent) {
            for queue in &agent.view.queues {
                if let Some(pool) = self.pools.get_mut(queue) {
                    pool.remove(agent, since);
                }
            }
            self.selectable -= 1;
        }
    }

    fn staff(&mut self, id: &AgentId, delta: isize) {
        let Some(agent) = self.agents.get(id) else {
            return;
        };
        if agent.view.logged_in {
            for queue in &agent.view.queues {
                let pool = self.pools.entry(queue.clone()).or_default();
                pool.staffed = pool.staffed.saturating_add_signed(delta);
            }
        }
    }

    /// Replaces what the router knows of `view.id`.
    pub fn update(&mut self, mut view: AgentView) {
        // A queue listed twice is one membership.
        let mut seen = Vec::with_capacity(view.queues.len());
        view.queues.retain(|q| {
            let first = !seen.contains(q);
            seen.push(q.clone());
            first
        });
        let id = view.id;
        self.unindex(&id);
        self.staff(&id, -1);
        let next = &mut self.next_order;
        let order = *self.orders.entry(id).or_insert_with(|| {
            *next += 1;
            *next
        });
        self.agents.insert(id, Agent { view, order });
        self.staff(&id, 1);
        self.index(&id);
    }

    pub fn remove(&mut self, id: &AgentId) {
        self.unindex(id);
        self.staff(id, -1);
        self.agents.remove(id);
    }

    /// `call` is being offered to `agents`: none of them may be selected again until the
    /// offer ends.
    pub fn offer(&mut self, call: CallId, agents: &[AgentId]) {
        for id in agents {
            self.unindex(id);
            if let Some(previous) = self.offered.insert(*id, call)
                && previous != call
                && let Some(list) = self.offers.get_mut(&previous)
            {
                list.retain(|a| a != id);
                if list.is_empty() {
                    self.offers.remove(&previous);
                }
            }
            let list = self.offers.entry(call).or_default();
            if !list.contains(id) {
                list.push(*id);
            }
        }
    }

    /// The offer of `call` to `agent` ended; returns whether it was pending.
    pub fn offer_ended(&mut self, call: &CallId, agent: &AgentId) -> bool {
        if self.offered.get(agent) != Some(call) {
            return false;
        }
        self.offered.remove(agent);
        if let Some(list) = self.offers.get_mut(call) {
            list.retain(|a| a != agent);
            if list.is_empty() {
                self.offers.remove(call);
            }
        }
        self.index(agent);
        true
    }

    /// Every offer of `call` ended (the call left).
    pub fn call_gone(&mut self, call: &CallId) {
        for agent in self.offers.remove(call).unwrap_or_default() {
            self.offered.remove(&agent);
            self.index(&agent);
        }
    }

    /// Drops every pending offer (for a shell that rebuilt the router and knows that no
    /// offer survived the restart).
    pub fn forget_offers(&mut self) {
        let agents: Vec<AgentId> = self.offered.keys().copied().collect();
        self.offered.clear();
        self.offers.clear();
        for agent in agents {
            self.index(&agent);
        }
    }
}
