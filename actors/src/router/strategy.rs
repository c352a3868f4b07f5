//! The strategies: given the pools a call may draw from, which agent(s) to offer it to.
//!
//! Each ordered strategy walks a per-queue index in its own order and stops at the first
//! eligible agent, so its cost depends on how many free agents it skips (missing skills,
//! missed this call, already taken), not on how many agents exist. Ring-all, random and
//! weighted random need every eligible agent: they walk the index of the call's rarest
//! needed skill (or all free members when no skill is needed).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

use hotline_events::{AgentId, SkillName};
use hotline_infra::config::Strategy;
use rand::Rng;

use super::agents::{Agents, MAX_LEVEL, Order, Pool, SkillIndex};

/// What one selection asks for.
pub struct Ask<'a, X> {
    /// The call's queue and the queues it overflowed to (those with any members).
    pub pools: &'a [&'a Pool],
    /// Call skills ∪ queue skills.
    pub needed: &'a [SkillName],
    /// The lowest level (over `needed`) an agent must have: 1, or for the skills
    /// strategy the level of the widest tier the call may use.
    pub min_level: u8,
    /// Agents this selection must not take (already taken by this Dispatch, or missed
    /// this call).
    pub excluded: X,
    /// Round-robin: the hunting order of the agent picked last in the call's queue.
    pub cursor: Option<Order>,
    /// Skills strategy: the tier levels, best first.
    pub tiers: &'a [u8],
}

impl<X> fmt::Debug for Ask<'_, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ask")
            .field("pools", &self.pools.len())
            .field("needed", &self.needed)
            .field("min_level", &self.min_level)
            .field("cursor", &self.cursor)
            .field("tiers", &self.tiers)
            .finish_non_exhaustive()
    }
}

/// The agents chosen for one call, and the tier they were chosen from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub agents: Vec<AgentId>,
    pub tier: u8,
}

impl Picked {
    fn one(agent: AgentId) -> Picked {
        Picked {
            agents: vec![agent],
            tier: 0,
        }
    }
}

/// Chooses by `strategy`; `None` when nobody is eligible.
pub fn pick<X, R>(
    agents: &Agents,
    strategy: Strategy,
    ask: &Ask<'_, X>,
    rng: &mut R,
) -> Option<Picked>
where
    X: Fn(&AgentId) -> bool,
    R: Rng + ?Sized,
{
    let ok = |id: &AgentId| fits(agents, ask, id).is_some();
    match strategy {
        Strategy::Linear => first_in(ask, |p| &p.by_order, ok).map(Picked::one),
        Strategy::LongestIdle => first_in(ask, |p| &p.by_idle, ok).map(Picked::one),
        Strategy::FewestCalls => first_in(ask, |p| &p.by_calls, ok).map(Picked::one),
        Strategy::LeastTalkTime => first_in(ask, |p| &p.by_talk, ok).map(Picked::one),
        Strategy::RoundRobin => round_robin(ask, ok).map(Picked::one),
        Strategy::Skills => skills(agents, ask),
        Strategy::RingAll => {
            let all = every_eligible(agents, ask);
            if all.is_empty() {
                return None;
            }
            Some(Picked {
                agents: all,
                tier: 0,
            })
        }
        Strategy::Random => {
            let all = every_eligible(agents, ask);
            if all.is_empty() {
                return None;
            }
            Some(Picked::one(all[rng.random_range(0..all.len())]))
        }
        Strategy::WeightedRandom => weighted(agents, ask, rng).map(Picked::one),
    }
}

/// The agent's lowest level over the needed skills, if it is eligible for this ask.
fn fits<X: Fn(&AgentId) -> bool>(agents: &Agents, ask: &Ask<'_, X>, id: &AgentId) -> Option<u8> {
    if (ask.excluded)(id) {
        return None;
    }
    let level = agents.get(id)?.view.min_level(ask.needed);
    (level >= ask.min_level).then_some(level)
}

/// The first eligible agent in `index` order, over the union of the pools.
fn first_in<K: Ord + Copy>(
    ask: &Ask<'_, impl Fn(&AgentId) -> bool>,
    index: impl Fn(&Pool) -> &BTreeMap<K, AgentId>,
    ok: impl Fn(&AgentId) -> bool,
) -> Option<AgentId> {
    ask.pools
        .iter()
        .filter_map(|pool| index(pool).iter().find(|(_, id)| ok(id)))
        .min_by_key(|(key, _)| **key)
        .map(|(_, id)| *id)
}

/// The first eligible agent after the cursor in hunting order, wrapping around.
fn round_robin(
    ask: &Ask<'_, impl Fn(&AgentId) -> bool>,
    ok: impl Fn(&AgentId) -> bool,
) -> Option<AgentId> {
    let first = |range: (Bound<Order>, Bound<Order>)| {
        ask.pools
            .iter()
            .filter_map(|pool| pool.by_order.range(range).find(|(_, id)| ok(id)))
            .min_by_key(|(order, _)| **order)
            .map(|(_, id)| *id)
    };
    match ask.cursor {
        None => first((Bound::Unbounded, Bound::Unbounded)),
        Some(last) => first((Bound::Excluded(last), Bound::Unbounded))
            .or_else(|| first((Bound::Unbounded, Bound::Included(last)))),
    }
}

/// The tier an agent with lowest level `level` belongs to: the best one it reaches.
fn tier_of(level: u8, tiers: &[u8]) -> u8 {
    let k = tiers
        .iter()
        .position(|&min| level >= min)
        .unwrap_or(tiers.len().saturating_sub(1));
    u8::try_from(k).unwrap_or(u8::MAX)
}

/// The index of the needed skill fewest members of `pool` have; `Err` when a needed
/// skill has no selectable member at all (nobody in this pool fits), `Ok(None)` when
/// nothing is needed.
fn rarest<'p>(pool: &'p Pool, needed: &[SkillName]) -> Result<Option<&'p SkillIndex>, ()> {
    let mut best: Option<&SkillIndex> = None;
    for skill in needed {
        match pool.by_skill.get(skill) {
            Some(index) if index.len > 0 => {
                if best.is_none_or(|b| index.len < b.len) {
                    best = Some(index);
                }
            }
            _ => return Err(()),
        }
    }
    Ok(best)
}

/// Skills strategy: the highest lowest-level over the needed skills among agents at or
/// above `min_level`, then the longest idle; its tier is the best one that level reaches.
///
/// Walks the rarest needed skill's index from level 10 down: an agent listed at level
/// `L` there has a lowest level of at most `L`, so once `L` is below the best found the
/// walk stops, and within a level the first agent whose lowest level is `L` ends that
/// level (the rest idled less). For one-skill calls that is the first eligible agent of
/// the highest non-empty level.
fn skills<X: Fn(&AgentId) -> bool>(agents: &Agents, ask: &Ask<'_, X>) -> Option<Picked> {
    if ask.needed.is_empty() {
        // Everyone has every skill of an empty list at the top level: longest idle.
        let ok = |id: &AgentId| fits(agents, ask, id).is_some();
        return first_in(ask, |p| &p.by_idle, ok).map(Picked::one);
    }
    let floor = ask.min_level.max(1);
    // (lowest level, idle key, agent) of the best so far.
    let mut best: Option<(u8, (hotline_events::Timestamp, Order), AgentId)> = None;
    for pool in ask.pools {
        let Ok(Some(index)) = rarest(pool, ask.needed) else {
            continue;
        };
        for level in (floor..=MAX_LEVEL).rev() {
            if best.is_some_and(|(b, _, _)| level < b) {
                break;
            }
            for (key, id) in &index.levels[usize::from(level)] {
                let Some(m) = fits(agents, ask, id) else {
                    continue;
                };
                let better = match best {
                    None => true,
                    Some((b, bkey, _)) => m > b || (m == b && *key < bkey),
                };
                if better {
                    best = Some((m, *key, *id));
                }
                if m == level {
                    break;
                }
            }
        }
    }
    best.map(|(m, _, id)| Picked {
        agents: vec![id],
        tier: tier_of(m, ask.tiers),
    })
}

/// Every eligible agent of the pools, once each, in hunting order.
fn every_eligible<X: Fn(&AgentId) -> bool>(agents: &Agents, ask: &Ask<'_, X>) -> Vec<AgentId> {
    let floor = usize::from(ask.min_level.clamp(1, MAX_LEVEL));
    let mut found: Vec<(Order, AgentId)> = Vec::new();
    for pool in ask.pools {
        match rarest(pool, ask.needed) {
            Err(()) => {}
            Ok(Some(index)) => {
                for level in &index.levels[floor..] {
                    found.extend(
                        level
                            .iter()
                            .filter(|(_, id)| fits(agents, ask, id).is_some())
                            .map(|((_, order), id)| (*order, *id)),
                    );
                }
            }
            Ok(None) => found.extend(
                pool.by_order
                    .iter()
                    .filter(|(_, id)| fits(agents, ask, id).is_some())
                    .map(|(order, id)| (*order, *id)),
            ),
        }
    }
    found.sort_unstable();
    found.dedup();
    found.into_iter().map(|(_, id)| id).collect()
}

/// One eligible agent, drawn with probability weight / total weight (uniformly when
/// every weight is 0).
fn weighted<X, R>(agents: &Agents, ask: &Ask<'_, X>, rng: &mut R) -> Option<AgentId>
where
    X: Fn(&AgentId) -> bool,
    R: Rng + ?Sized,
{
    let all = every_eligible(agents, ask);
    if all.is_empty() {
        return None;
    }
    let weight = |id: &AgentId| agents.get(id).map_or(0, |a| u64::from(a.view.weight));
    let total: u64 = all.iter().map(weight).sum();
    if total == 0 {
        return Some(all[rng.random_range(0..all.len())]);
    }
    let mut draw = rng.random_range(0..total);
    for id in &all {
        let w = weight(id);
        if draw < w {
            return Some(*id);
        }
        draw -= w;
    }
    all.last().copied()
}
