//! The router's spec as given-when-then tables: queue events and agent views given, one
//! command, the events (or the rejection) expected.

use std::time::Duration;

use hotline_events::{AgentId, CallId, OverflowReason, QueueEvent, QueueId, SkillName, Timestamp};
use hotline_infra::config::{OverflowRule, QueueConfig, RouterSettings, Strategy, Tiers};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::{AgentView, Router, RouterCommand, RouterRejection};

// ---- vocabulary -------------------------------------------------------------------

fn q(name: &str) -> QueueId {
    QueueId::new(name).expect("a valid queue name")
}

fn skill(name: &str) -> SkillName {
    SkillName::new(name).expect("a valid skill name")
}

fn agent(n: u32) -> AgentId {
    format!("00000000-0000-7000-8000-{n:012}")
        .parse()
        .expect("a valid agent id")
}

fn call(n: u32) -> CallId {
    format!("00000000-0000-7000-9000-{n:012}")
        .parse()
        .expect("a valid call id")
}

/// `secs` after the start of every test history.
fn t(secs: u64) -> Timestamp {
    Timestamp::parse("2026-11-24T09:00:00.000Z")
        .expect("a valid time")
        .plus_millis(secs * 1000)
}

/// A queue named `name`: tiers 8/5/1 widening every 20 s, callbacks allowed, 180 s
/// default handle time, no overflow.
fn queue(name: &str, strategy: Strategy) -> QueueConfig {
    QueueConfig {
        id: q(name),
        name: name.to_owned(),
        strategy,
        ring_timeout: Duration::from_secs(15),
        wrap_up: Duration::ZERO,
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

/// Agent `n`, logged in, a member of `sales`, free since `since` seconds.
fn free(n: u32, since: u64) -> AgentView {
    AgentView {
        id: agent(n),
        logged_in: true,
        available_since: Some(t(since)),
        skills: Vec::new(),
        queues: vec![q("sales")],
        weight: 1,
        calls_today: 0,
        talk_ms_today: 0,
    }
}

/// Agent `n`, logged in to `sales` but on a call.
fn busy(n: u32) -> AgentView {
    AgentView {
        available_since: None,
        ..free(n, 0)
    }
}

trait Build {
    fn skill(self, name: &str, level: u8) -> Self;
    fn calls(self, n: u32) -> Self;
    fn talk(self, secs: u64) -> Self;
    fn weight(self, w: u32) -> Self;
    fn queues(self, names: &[&str]) -> Self;
}

impl Build for AgentView {
    fn skill(mut self, name: &str, level: u8) -> Self {
        self.skills.push((skill(name), level));
        self
    }
    fn calls(mut self, n: u32) -> Self {
        self.calls_today = n;
        self
    }
    fn talk(mut self, secs: u64) -> Self {
        self.talk_ms_today = secs * 1000;
        self
    }
    fn weight(mut self, w: u32) -> Self {
        self.weight = w;
        self
    }
    fn queues(mut self, names: &[&str]) -> Self {
        self.queues = names.iter().map(|n| q(n)).collect();
        self
    }
}

fn waiting(n: u32, priority: u8) -> QueueEvent {
    QueueEvent::CallWaiting {
        call: call(n),
        priority,
        skills: Vec::new(),
    }
}

fn waiting_for(n: u32, skills: &[&str]) -> QueueEvent {
    QueueEvent::CallWaiting {
        call: call(n),
        priority: 0,
        skills: skills.iter().map(|s| skill(s)).collect(),
    }
}

fn selected(
    queue: &str,
    c: u32,
    agents: &[u32],
    strategy: Strategy,
    tier: u8,
) -> (QueueId, QueueEvent) {
    (
        q(queue),
        QueueEvent::AgentsSelected {
            call: call(c),
            agents: agents.iter().map(|&a| agent(a)).collect(),
            strategy: strategy.name().to_owned(),
            tier,
        },
    )
}

fn position(queue: &str, c: u32, position: u32, wait_secs: u64) -> (QueueId, QueueEvent) {
    (
        q(queue),
        QueueEvent::PositionEstimated {
            call: call(c),
            position,
            estimated_wait_ms: wait_secs * 1000,
        },
    )
}

fn overflowed(queue: &str, c: u32, to: &str, reason: OverflowReason) -> (QueueId, QueueEvent) {
    (
        q(queue),
        QueueEvent::CallOverflowed {
            call: call(c),
            to: q(to),
            reason,
        },
    )
}

// ---- given / when / then ----------------------------------------------------------

/// Announcements every 30 s, handle times averaged over 2 calls.
fn settings() -> RouterSettings {
    RouterSettings {
        announce_every: Duration::from_secs(30),
        estimate_window: 2,
        ..RouterSettings::default()
    }
}

struct Given {
    router: Router,
    rng: StdRng,
}

/// A router over `queues`, with nothing waiting and no agents yet.
fn given(queues: Vec<QueueConfig>) -> Given {
    Given {
        router: Router::new(queues, settings()),
        rng: StdRng::seed_from_u64(7),
    }
}

impl Given {
    /// Agents as their actors report them, in this order (the hunting order).
    fn agents(mut self, views: impl IntoIterator<Item = AgentView>) -> Self {
        for view in views {
            self.router.agent_changed(view);
        }
        self
    }

    /// An event of `queue`'s stream that happened at `at`.
    fn event(mut self, queue: &str, event: QueueEvent, at: Timestamp) -> Self {
        self.router.evolve(&q(queue), &event, at);
        self
    }

    fn missed(mut self, c: u32, a: u32) -> Self {
        self.router.offer_ended(call(c), agent(a));
        self
    }

    fn when(mut self, command: RouterCommand, now: Timestamp) -> When {
        let result = self.router.decide(&command, now, &mut self.rng);
        When {
            given: self,
            result,
            now,
        }
    }

    fn when_dispatched_at(self, now: Timestamp) -> When {
        self.when(RouterCommand::Dispatch, now)
    }
}

struct When {
    given: Given,
    result: Result<Vec<(QueueId, QueueEvent)>, RouterRejection>,
    now: Timestamp,
}

impl When {
    #[track_caller]
    fn then(self, expected: Vec<(QueueId, QueueEvent)>) -> Given {
        match &self.result {
            Ok(events) => assert_eq!(events, &expected),
            Err(rejection) => panic!("expected {expected:#?}, rejected: {rejection}"),
        }
        self.and_applied()
    }

    #[track_caller]
    fn then_err(self, expected: RouterRejection) {
        assert_eq!(self.result, Err(expected));
    }

    /// The decided events folded into the router (as happened at the command's time), as
    /// the shell would after appending them.
    fn and_applied(self) -> Given {
        let mut given = self.given;
        for (queue, event) in self.result.unwrap_or_default() {
            given.router.evolve(&queue, &event, self.now);
        }
        given
    }
}

// ---- strategies -------------------------------------------------------------------

/// The agents and tier Dispatch picks for call 1 (waiting in `sales` since 100 s), asked
/// at `now`, with `agents` reported in order after `history`.
fn pick(
    config: QueueConfig,
    agents: Vec<AgentView>,
    history: Vec<QueueEvent>,
    call_skills: &[&str],
    now: u64,
) -> Option<(Vec<AgentId>, u8)> {
    let strategy = config.strategy;
    let mut given = given(vec![config]).agents(agents);
    for e in history {
        given = given.event("sales", e, t(50));
    }
    let when = given
        .event("sales", waiting_for(1, call_skills), t(100))
        .when_dispatched_at(t(now));
    let events = when.result.expect("dispatch never fails");
    match events.as_slice() {
        [] => None,
        [
            (
                queue,
                QueueEvent::AgentsSelected {
                    call: c,
                    agents,
                    strategy: s,
                    tier,
                },
            ),
        ] => {
            assert_eq!(
                (queue, c, s.as_str()),
                (&q("sales"), &call(1), strategy.name())
            );
            Some((agents.clone(), *tier))
        }
        other => panic!("expected one selection, got {other:#?}"),
    }
}

/// Picked last by round-robin (in an earlier call's `AgentsSelected`).
fn last_picked(a: u32) -> Vec<QueueEvent> {
    vec![
        waiting(90, 0),
        QueueEvent::AgentsSelected {
            call: call(90),
            agents: vec![agent(a)],
            strategy: "round_robin".to_owned(),
            tier: 0,
        },
        QueueEvent::CallLeft { call: call(90) },
    ]
}

/// Four members in hunting order 1..4: agent 1 free since 30 s (5 calls, 100 s talk),
/// agent 2 since 10 s (7 calls, 50 s), agent 3 since 20 s (2 calls, 300 s), agent 4 busy.
fn team() -> Vec<AgentView> {
    vec![
        free(1, 30).calls(5).talk(100),
        free(2, 10).calls(7).talk(50),
        free(3, 20).calls(2).talk(300),
        busy(4).calls(0).talk(0),
    ]
}

/// A row of the strategy table: case, strategy, members in hunting order, earlier queue
/// events, the agents expected.
type StrategyCase = (
    &'static str,
    Strategy,
    Vec<AgentView>,
    Vec<QueueEvent>,
    &'static [u32],
);

#[test]
fn each_strategy_picks_its_agent_from_the_free_members() {
    use Strategy::*;
    #[rustfmt::skip]
    let table: Vec<StrategyCase> = vec![
        ("ring-all rings every free member", RingAll, team(), vec![], &[1, 2, 3]),
        ("linear takes the first free in hunting order", Linear, team(), vec![], &[1]),
        ("linear skips the busy ones", Linear, vec![busy(1), free(2, 10), free(3, 5)], vec![], &[2]),
        ("round-robin without memory starts at the first", RoundRobin, team(), vec![], &[1]),
        ("round-robin takes the one after the last picked", RoundRobin, team(), last_picked(1), &[2]),
        ("round-robin skips busy members after the last", RoundRobin, team(), last_picked(3), &[1]),
        ("round-robin wraps around", RoundRobin, team(), last_picked(4), &[1]),
        ("round-robin after an agent no longer free", RoundRobin, team(), last_picked(2), &[3]),
        ("longest-idle takes the earliest free", LongestIdle, team(), vec![], &[2]),
        ("longest-idle tie goes to hunting order", LongestIdle, vec![free(1, 10), free(2, 10)], vec![], &[1]),
        ("fewest-calls takes the fewest calls today", FewestCalls, team(), vec![], &[3]),
        ("fewest-calls tie goes to the longest idle", FewestCalls, vec![free(1, 10).calls(2), free(2, 5).calls(2), free(3, 1).calls(3)], vec![], &[2]),
        ("least-talk-time takes the least talk today", LeastTalkTime, team(), vec![], &[2]),
        ("least-talk-time tie goes to the longest idle", LeastTalkTime, vec![free(1, 10).talk(9), free(2, 5).talk(9), free(3, 1).talk(10)], vec![], &[2]),
        ("skills with no skill needed is longest idle", Skills, team(), vec![], &[2]),
        ("random with one free member takes it", Random, vec![busy(1), free(2, 10)], vec![], &[2]),
        ("weighted random never takes a zero weight beside others", WeightedRandom, vec![free(1, 10).weight(0), free(2, 10).weight(3)], vec![], &[2]),
        ("a non-member is never picked", Linear, vec![free(1, 10).queues(&["support"]), free(2, 10)], vec![], &[2]),
        ("a logged-in member who is not free is never picked", RingAll, vec![busy(1), busy(2)], vec![], &[]),
    ];
    for (case, strategy, agents, history, expected) in table {
        let got = pick(queue("sales", strategy), agents, history, &[], 100);
        let expected = (!expected.is_empty())
            .then(|| (expected.iter().map(|&a| agent(a)).collect::<Vec<_>>(), 0));
        assert_eq!(got, expected, "{case}");
    }
}

#[test]
fn every_strategy_requires_every_needed_skill_at_level_one_or_more() {
    for strategy in Strategy::ALL {
        let mut sales = queue("sales", strategy);
        sales.skills = vec![skill("english")];
        sales.tiers.levels = vec![1];
        let agents = vec![
            free(1, 1).skill("english", 9),                     // lacks billing
            free(2, 2).skill("billing", 9),                     // lacks english
            free(3, 3).skill("english", 4).skill("billing", 0), // billing 0 is not having it
            free(4, 4).skill("english", 2).skill("billing", 3),
        ];
        let got = pick(sales, agents, vec![], &["billing"], 100);
        assert_eq!(got, Some((vec![agent(4)], 0)), "{}", strategy.name());
    }
}

/// A row of the tier table: case, members, the call's skills, the time of the decision
/// (s), the agent and tier expected.
type TierCase = (
    &'static str,
    Vec<AgentView>,
    &'static [&'static str],
    u64,
    Option<(u32, u8)>,
);

#[test]
fn skills_tiers_widen_with_the_wait() {
    // Tiers 8 / 5 / 1, widening every 20 s; the call waits from 100 s.
    #[rustfmt::skip]
    let table: Vec<TierCase> = vec![
        ("tier 0 only at 5 s: a level-6 agent is not offered yet", vec![free(2, 0).skill("en", 6)], &["en"], 105, None),
        ("tier 1 at 25 s: the same agent is", vec![free(2, 0).skill("en", 6)], &["en"], 125, Some((2, 1))),
        ("tier 2 at 45 s", vec![free(3, 0).skill("en", 3)], &["en"], 145, Some((3, 2))),
        ("the best non-empty tier first", vec![free(2, 0).skill("en", 6), free(3, 0).skill("en", 3)], &["en"], 145, Some((2, 1))),
        ("widening stops at the last tier", vec![free(3, 0).skill("en", 1)], &["en"], 1000, Some((3, 2))),
        ("tier 0 at once", vec![free(2, 0).skill("en", 6), free(1, 50).skill("en", 8)], &["en"], 100, Some((1, 0))),
        ("within a tier the highest level, before idle time", vec![free(1, 0).skill("en", 8), free(5, 50).skill("en", 10)], &["en"], 100, Some((5, 0))),
        ("equal levels: the longest idle", vec![free(1, 50).skill("en", 9), free(2, 20).skill("en", 9)], &["en"], 100, Some((2, 0))),
        ("several skills: the lowest of them counts", vec![free(1, 0).skill("en", 10).skill("billing", 2), free(2, 0).skill("en", 6).skill("billing", 6)], &["en", "billing"], 125, Some((2, 1))),
        ("several skills: no tier 0 agent at once", vec![free(1, 0).skill("en", 10).skill("billing", 2)], &["en", "billing"], 105, None),
        ("several skills: a weak skill reaches the last tier", vec![free(1, 0).skill("en", 10).skill("billing", 2)], &["en", "billing"], 145, Some((1, 2))),
    ];
    for (case, agents, skills, now, expected) in table {
        let got = pick(
            queue("sales", Strategy::Skills),
            agents,
            vec![],
            skills,
            now,
        );
        assert_eq!(
            got,
            expected.map(|(a, tier)| (vec![agent(a)], tier)),
            "{case}"
        );
    }
}

#[test]
fn random_picks_uniformly_among_the_eligible() {
    let g = given(vec![queue("sales", Strategy::Random)])
        .agents([free(1, 0), free(2, 0), free(3, 0), busy(4)])
        .event("sales", waiting(1, 0), t(0));
    let shares = draw_shares(&g.router, 30_000);
    for a in 1..=3 {
        assert!(
            (shares[a] - 1.0 / 3.0).abs() < 0.02,
            "agent {a}: {shares:?}"
        );
    }
    assert_eq!(shares[4], 0.0);
}

#[test]
fn weighted_random_picks_in_proportion_to_weight() {
    let g = given(vec![queue("sales", Strategy::WeightedRandom)])
        .agents([
            free(1, 0).weight(1),
            free(2, 0).weight(2),
            free(3, 0).weight(7),
        ])
        .event("sales", waiting(1, 0), t(0));
    let shares = draw_shares(&g.router, 30_000);
    for (a, share) in [(1, 0.1), (2, 0.2), (3, 0.7)] {
        assert!((shares[a] - share).abs() < 0.02, "agent {a}: {shares:?}");
    }
}

/// The share of `draws` selections of call 1 each of agents 0..=4 got, with a seeded rng.
fn draw_shares(router: &Router, draws: u32) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(42);
    let mut counts = [0u32; 5];
    for _ in 0..draws {
        let s = router
            .select_for(call(1), t(1), &mut rng)
            .expect("someone is free");
        let n = (0..5)
            .find(|&n| agent(n) == s.agents[0])
            .expect("a known agent");
        counts[n as usize] += 1;
    }
    counts
        .iter()
        .map(|&c| f64::from(c) / f64::from(draws))
        .collect()
}

// ---- line order -------------------------------------------------------------------

#[test]
fn higher_priority_is_served_first_then_first_come_first_served() {
    given(vec![queue("sales", Strategy::Linear)])
        .agents([free(1, 0), free(2, 0)])
        .event("sales", waiting(1, 0), t(1))
        .event("sales", waiting(2, 5), t(2))
        .event("sales", waiting(3, 0), t(3))
        .when_dispatched_at(t(10))
        .then(vec![
            selected("sales", 2, &[1], Strategy::Linear, 0),
            selected("sales", 1, &[2], Strategy::Linear, 0),
        ]);
}

#[test]
fn calls_enqueued_in_the_same_millisecond_keep_their_enqueue_order() {
    given(vec![queue("sales", Strategy::Linear)])
        .agents([free(1, 0)])
        .event("sales", waiting(2, 0), t(1))
        .event("sales", waiting(1, 0), t(1))
        .when_dispatched_at(t(10))
        .then(vec![selected("sales", 2, &[1], Strategy::Linear, 0)]);
}

#[test]
fn the_longest_waiting_call_of_any_queue_gets_a_shared_agent() {
    given(vec![
        queue("sales", Strategy::Linear),
        queue("support", Strategy::Linear),
    ])
    .agents([free(1, 0).queues(&["sales", "support"])])
    .event("sales", waiting(1, 0), t(2))
    .event("support", waiting(2, 0), t(1))
    .when_dispatched_at(t(10))
    .then(vec![selected("support", 2, &[1], Strategy::Linear, 0)]);
}

#[test]
fn dispatch_serves_as_many_calls_as_there_are_free_agents() {
    given(vec![queue("sales", Strategy::LongestIdle)])
        .agents([free(1, 30), free(2, 10), free(3, 20)])
        .event("sales", waiting(1, 0), t(1))
        .event("sales", waiting(2, 0), t(2))
        .when_dispatched_at(t(10))
        .then(vec![
            selected("sales", 1, &[2], Strategy::LongestIdle, 0),
            selected("sales", 2, &[3], Strategy::LongestIdle, 0),
        ]);
}

#[test]
fn a_call_the_free_agents_cannot_take_does_not_block_the_calls_behind_it() {
    given(vec![queue("sales", Strategy::Linear)])
        .agents([free(1, 0).skill("en", 5)])
        .event("sales", waiting_for(1, &["fr"]), t(1))
        .event("sales", waiting_for(2, &["en"]), t(2))
        .when_dispatched_at(t(10))
        .then(vec![selected("sales", 2, &[1], Strategy::Linear, 0)]);
}

// ---- offers -----------------------------------------------------------------------

#[test]
fn an_agent_is_never_selected_for_two_calls_in_one_dispatch() {
    for strategy in Strategy::ALL {
        let given = given(vec![queue("sales", strategy)])
            .agents([free(1, 0)])
            .event("sales", waiting(1, 0), t(1))
            .event("sales", waiting(2, 0), t(2));
        given
            .when_dispatched_at(t(10))
            .then(vec![selected("sales", 1, &[1], strategy, 0)]);
    }
}

#[test]
fn ring_all_takes_every_free_member_for_the_first_call_only() {
    given(vec![queue("sales", Strategy::RingAll)])
        .agents([free(1, 0), free(2, 0)])
        .event("sales", waiting(1, 0), t(1))
        .event("sales", waiting(2, 0), t(2))
        .when_dispatched_at(t(10))
        .then(vec![selected("sales", 1, &[1, 2], Strategy::RingAll, 0)]);
}

#[test]
fn an_agent_with_a_pending_offer_is_not_selected_again_and_its_call_is_skipped() {
    given(vec![queue("sales", Strategy::Linear)])
        .agents([free(1, 0), free(2, 0)])
        .event("sales", waiting(1, 0), t(1))
        .event("sales", waiting(2, 0), t(2))
        .when_dispatched_at(t(10))
        .then(vec![
            selected("sales", 1, &[1], Strategy::Linear, 0),
            selected("sales", 2, &[2], Strategy::Linear, 0),
        ])
        // Both offers ring and the agents still say they are free.
        .when_dispatched_at(t(11))
        .then(vec![]);
}

#[test]
fn an_agent_who_missed_a_call_is_not_offered_it_again_while_another_is_free() {
    given(vec![queue("sales", Strategy::Linear)])
        .agents([free(1, 0), free(2, 0)])
        .event("sales", waiting(1, 0), t(1))
        .event(
            "sales",
            selected("sales", 1, &[1], Strategy::Linear, 0).1,
            t(2),
        )
        .missed(1, 1)
        .when_dispatched_at(t(20))
        .then(vec![selected("sales", 1, &[2], Strategy::Linear, 0)]);
}

#[test]
fn an_agent_who_missed_a_call_is_offered_it_again_when_nobody_else_is_free() {
    given(vec![queue("sales", Strategy::Linear)])
        .agents([free(1, 0), busy(2)])
        .event("sales", waiting(1, 0), t(1))
        .event(
            "sales",
            selected("sales", 1, &[1], Strategy::Linear, 0).1,
            t(2),
        )
        .missed(1, 1)
        .when_dispatched_at(t(20))
        .then(vec![selected("sales", 1, &[1], Strategy::Linear, 0)]);
}

#[test]
fn a_missed_agent_is_still_offered_other_calls() {
    given(vec![queue("sales", Strategy::Linear)])
        .agents([free(1, 0), busy(2)])
        .event("sales", waiting(1, 0), t(1))
        .event("sales", waiting(2, 0), t(1))
        .event(
            "sales",
            selected("sales", 1, &[1], Strategy::Linear, 0).1,
            t(2),
        )
        .missed(1, 1)
        .agents([free(2, 0)])
        .when_dispatched_at(t(20))
        .then(vec![
            selected("sales", 1, &[2], Strategy::Linear, 0),
            selected("sales", 2, &[1], Strategy::Linear, 0),
        ]);
}

#[test]
fn when_a_call_leaves_the_agents_of_its_ringing_offer_are_free_again() {
    given(vec![queue("sales", Strategy::RingAll)])
        .agents([free(1, 0), free(2, 0)])
        .event("sales", waiting(1, 0), t(1))
        .event("sales", waiting(2, 0), t(2))
        .when_dispatched_at(t(3))
        .then(vec![selected("sales", 1, &[1, 2], Strategy::RingAll, 0)])
        // Agent 1 answers: call 1 leaves; its agent reports busy, agent 2 is released.
        .when(RouterCommand::Leave { call: call(1) }, t(4))
        .then(vec![(q("sales"), QueueEvent::CallLeft { call: call(1) })])
        .agents([busy(1)])
        .when_dispatched_at(t(5))
        .then(vec![selected("sales", 2, &[2], Strategy::RingAll, 0)]);
}

// ---- overflow ---------------------------------------------------------------------

fn with_overflow(rule: OverflowRule) -> Vec<QueueConfig> {
    let mut sales = queue("sales", Strategy::LongestIdle);
    sales.overflow = vec![rule];
    vec![sales, queue("backup", Strategy::Linear)]
}

#[test]
fn a_call_overflows_after_waiting_and_the_target_agents_become_eligible() {
    let rule = OverflowRule {
        to: q("backup"),
        after: Some(Duration::from_secs(60)),
        waiting_over: None,
    };
    let given = given(with_overflow(rule))
        .agents([busy(1), free(2, 0).queues(&["backup"])])
        .event("sales", waiting(1, 0), t(0))
        .event("sales", position("sales", 1, 1, 180).1, t(59));
    let given = given
        .when(RouterCommand::Tick, t(59))
        .then(vec![])
        .when_dispatched_at(t(59))
        .then(vec![])
        .when(RouterCommand::Tick, t(60))
        .then(vec![overflowed(
            "sales",
            1,
            "backup",
            OverflowReason::WaitedTooLong,
        )]);
    given
        .when(RouterCommand::Tick, t(61))
        .then(vec![])
        .when_dispatched_at(t(61))
        .then(vec![selected("sales", 1, &[2], Strategy::LongestIdle, 0)]);
}

#[test]
fn when_the_queue_is_too_long_every_call_in_it_overflows_once() {
    let rule = OverflowRule {
        to: q("backup"),
        after: None,
        waiting_over: Some(2),
    };
    let given = given(with_overflow(rule))
        .agents([busy(1)])
        .event("sales", waiting(1, 0), t(0))
        .event("sales", waiting(2, 0), t(1));
    let enqueue3 = RouterCommand::Enqueue {
        call: call(3),
        queue: q("sales"),
        priority: 0,
        skills: Vec::new(),
    };
    given
        .when(enqueue3, t(2))
        .then(vec![
            (q("sales"), waiting(3, 0)),
            position("sales", 3, 3, 540),
            overflowed("sales", 1, "backup", OverflowReason::QueueTooLong),
            overflowed("sales", 2, "backup", OverflowReason::QueueTooLong),
            overflowed("sales", 3, "backup", OverflowReason::QueueTooLong),
        ])
        .when(RouterCommand::Tick, t(3))
        .then(vec![]);
}

#[test]
fn a_tick_overflows_the_calls_of_a_queue_that_is_too_long() {
    let rule = OverflowRule {
        to: q("backup"),
        after: None,
        waiting_over: Some(1),
    };
    given(with_overflow(rule))
        .event("sales", waiting(1, 0), t(0))
        .event("sales", waiting(2, 0), t(1))
        .when(RouterCommand::Tick, t(2))
        .then(vec![
            overflowed("sales", 1, "backup", OverflowReason::QueueTooLong),
            overflowed("sales", 2, "backup", OverflowReason::QueueTooLong),
        ]);
}

#[test]
fn an_overflowed_call_is_served_by_its_own_queue_strategy_over_both_teams() {
    let rule = OverflowRule {
        to: q("backup"),
        after: Some(Duration::ZERO),
        waiting_over: None,
    };
    given(with_overflow(rule))
        .agents([free(1, 20), free(2, 10).queues(&["backup"])])
        .event("sales", waiting(1, 0), t(0))
        .event(
            "sales",
            overflowed("sales", 1, "backup", OverflowReason::WaitedTooLong).1,
            t(0),
        )
        .when_dispatched_at(t(30))
        // Longest idle over sales ∪ backup: agent 2 (free since 10 s).
        .then(vec![selected("sales", 1, &[2], Strategy::LongestIdle, 0)]);
}

// ---- callbacks --------------------------------------------------------------------

#[test]
fn a_callback_keeps_its_place_and_is_dialed_when_selected() {
    given(vec![queue("sales", Strategy::Linear)])
        .agents([busy(1)])
        .event("sales", waiting(1, 0), t(0))
        .event("sales", waiting(2, 0), t(5))
        .when(
            RouterCommand::RequestCallback {
                call: call(1),
                number: "+15550100".to_owned(),
            },
            t(10),
        )
        .then(vec![(
            q("sales"),
            QueueEvent::CallbackRequested {
                call: call(1),
                number: "+15550100".to_owned(),
            },
        )])
        .event("sales", waiting(3, 0), t(20))
        .agents([free(1, 30)])
        .when_dispatched_at(t(30))
        .then(vec![
            selected("sales", 1, &[1], Strategy::Linear, 0),
            (q("sales"), QueueEvent::CallbackDialed { call: call(1) }),
        ])
        .missed(1, 1)
        .when_dispatched_at(t(40))
        // Nobody else is free; the callback was dialed already.
        .then(vec![selected("sales", 1, &[1], Strategy::Linear, 0)]);
}

#[test]
fn a_callback_is_not_announced_but_keeps_counting_in_positions() {
    given(vec![queue("sales", Strategy::Linear)])
        .agents([busy(1)])
        .event("sales", waiting(1, 0), t(0))
        .event(
            "sales",
            QueueEvent::CallbackRequested {
                call: call(1),
                number: "+15550100".to_owned(),
            },
            t(1),
        )
        .event("sales", waiting(2, 0), t(0))
        .when(RouterCommand::Tick, t(30))
        .then(vec![position("sales", 2, 2, 360)]);
}

#[test]
fn a_callback_is_refused_where_the_queue_does_not_offer_them() {
    let mut sales = queue("sales", Strategy::Linear);
    sales.callback = false;
    given(vec![sales])
        .event("sales", waiting(1, 0), t(0))
        .when(
            RouterCommand::RequestCallback {
                call: call(1),
                number: "+15550100".to_owned(),
            },
            t(1),
        )
        .then_err(RouterRejection::CallbackNotAllowed {
            call: call(1),
            queue: q("sales"),
        });
}

#[test]
fn a_callback_is_refused_for_a_call_not_waiting_or_asked_twice_or_without_number() {
    let given = || {
        given(vec![queue("sales", Strategy::Linear)])
            .event("sales", waiting(1, 0), t(0))
            .event(
                "sales",
                QueueEvent::CallbackRequested {
                    call: call(1),
                    number: "+1555".to_owned(),
                },
                t(1),
            )
            .event("sales", waiting(2, 0), t(0))
    };
    let ask = |c, number: &str| RouterCommand::RequestCallback {
        call: call(c),
        number: number.to_owned(),
    };
    given()
        .when(ask(9, "+1555"), t(2))
        .then_err(RouterRejection::NotWaiting(call(9)));
    given()
        .when(ask(1, "+1555"), t(2))
        .then_err(RouterRejection::CallbackAlreadyRequested(call(1)));
    given()
        .when(ask(2, " "), t(2))
        .then_err(RouterRejection::NoCallbackNumber(call(2)));
}

// ---- leaving and joining ----------------------------------------------------------

#[test]
fn a_call_not_waiting_cannot_leave() {
    given(vec![queue("sales", Strategy::Linear)])
        .event("sales", waiting(1, 0), t(0))
        .event("sales", QueueEvent::CallLeft { call: call(1) }, t(1))
        .when(RouterCommand::Leave { call: call(1) }, t(2))
        .then_err(RouterRejection::NotWaiting(call(1)));
}

#[test]
fn a_call_cannot_join_an_unknown_queue_or_wait_twice() {
    let enqueue = |queue: &str| RouterCommand::Enqueue {
        call: call(1),
        queue: q(queue),
        priority: 0,
        skills: Vec::new(),
    };
    given(vec![queue("sales", Strategy::Linear)])
        .when(enqueue("nowhere"), t(0))
        .then_err(RouterRejection::UnknownQueue(q("nowhere")));
    given(vec![
        queue("sales", Strategy::Linear),
        queue("support", Strategy::Linear),
    ])
    .event("sales", waiting(1, 0), t(0))
    .when(enqueue("support"), t(1))
    .then_err(RouterRejection::AlreadyWaiting {
        call: call(1),
        queue: q("sales"),
    });
}

// ---- positions and estimates ------------------------------------------------------

#[test]
fn enqueue_announces_the_position_and_an_estimate_from_staff_and_handle_times() {
    let enqueue = |c, priority| RouterCommand::Enqueue {
        call: call(c),
        queue: q("sales"),
        priority,
        skills: Vec::new(),
    };
    // Two logged-in members (one busy), one logged out: n = 2; 180 s until measured.
    let logged_out = AgentView {
        logged_in: false,
        ..busy(3)
    };
    let g = given(vec![queue("sales", Strategy::Linear)])
        .agents([busy(1), busy(2), logged_out])
        .when(enqueue(1, 0), t(0))
        .then(vec![
            (q("sales"), waiting(1, 0)),
            position("sales", 1, 1, 180),
        ])
        .when(enqueue(2, 0), t(1))
        .then(vec![
            (q("sales"), waiting(2, 0)),
            position("sales", 2, 2, 180),
        ])
        .when(enqueue(3, 0), t(2))
        .then(vec![
            (q("sales"), waiting(3, 0)),
            position("sales", 3, 3, 360),
        ]);
    let mut g = g;
    // The window holds 2 calls: 100 s is pushed out, the mean is (60 + 120) / 2 = 90 s.
    for secs in [100, 60, 120] {
        g.router.handle_time_observed(&q("sales"), secs * 1000);
    }
    g.when(enqueue(4, 9), t(3)).then(vec![
        (q("sales"), waiting(4, 9)),
        position("sales", 4, 1, 90),
    ]);
}

#[test]
fn a_tick_reannounces_positions_every_period() {
    let g = given(vec![queue("sales", Strategy::Linear)])
        .agents([busy(1)])
        .event("sales", waiting(1, 0), t(0))
        .event("sales", position("sales", 1, 1, 180).1, t(0))
        .event("sales", waiting(2, 5), t(10))
        .event("sales", position("sales", 2, 1, 180).1, t(10));
    let mut g = g.when(RouterCommand::Tick, t(29)).then(vec![]);
    let events = g
        .router
        .decide(&RouterCommand::Tick, t(30), &mut g.rng)
        .expect("tick");
    assert_eq!(
        events,
        vec![position("sales", 1, 2, 360)],
        "the VIP call moved ahead of call 1"
    );
    for (queue, e) in &events {
        g.router.evolve(queue, e, t(30));
    }
    g.when(RouterCommand::Tick, t(40))
        .then(vec![position("sales", 2, 1, 180)]);
}

#[test]
fn the_waiting_list_reads_in_line_order() {
    let g = given(vec![queue("sales", Strategy::Linear)])
        .event("sales", waiting(1, 0), t(0))
        .event("sales", waiting(2, 3), t(1));
    let list = g.router.waiting(&q("sales"));
    let order: Vec<(CallId, u32)> = list.iter().map(|w| (w.call, w.position)).collect();
    assert_eq!(order, vec![(call(2), 1), (call(1), 2)]);
    assert_eq!(g.router.queue_of(&call(1)), Some(&q("sales")));
}

// ---- deadlines --------------------------------------------------------------------

#[test]
fn the_next_deadline_is_the_earliest_announcement_overflow_or_widening() {
    let mut sales = queue("sales", Strategy::Skills);
    sales.overflow = vec![OverflowRule {
        to: q("backup"),
        after: Some(Duration::from_secs(45)),
        waiting_over: None,
    }];
    let g = given(vec![sales, queue("backup", Strategy::Linear)])
        .event("sales", waiting(1, 0), t(0))
        .event("sales", position("sales", 1, 1, 180).1, t(0));
    // Widening at 20 s and 40 s, announcement at 30 s, overflow at 45 s.
    assert_eq!(g.router.next_deadline(t(0)), Some(t(20)));
    assert_eq!(g.router.next_deadline(t(20)), Some(t(30)));
    let g = g.event("sales", position("sales", 1, 1, 180).1, t(30));
    assert_eq!(g.router.next_deadline(t(30)), Some(t(40)));
    assert_eq!(g.router.next_deadline(t(40)), Some(t(45)));
    let g = g.event(
        "sales",
        overflowed("sales", 1, "backup", OverflowReason::WaitedTooLong).1,
        t(45),
    );
    assert_eq!(g.router.next_deadline(t(45)), Some(t(60)));
    let g = g.event("sales", QueueEvent::CallLeft { call: call(1) }, t(50));
    assert_eq!(g.router.next_deadline(t(50)), None);
}

// ---- rebuild ----------------------------------------------------------------------

#[test]
fn a_router_rebuilt_from_its_events_decides_like_the_live_one() {
    let team = || [free(1, 0), free(2, 0), free(3, 0)];
    let mut live = given(vec![queue("sales", Strategy::RoundRobin)]).agents(team());
    let mut log: Vec<(QueueId, QueueEvent, Timestamp)> = Vec::new();
    for c in 1..=4u32 {
        let now = t(u64::from(c) * 10);
        let commands = [
            RouterCommand::Enqueue {
                call: call(c),
                queue: q("sales"),
                priority: 0,
                skills: Vec::new(),
            },
            RouterCommand::Dispatch,
            RouterCommand::Leave { call: call(c) },
        ];
        for command in commands {
            let events = live
                .router
                .decide(&command, now, &mut live.rng)
                .expect("decided");
            for (queue, e) in events {
                live.router.evolve(&queue, &e, now);
                log.push((queue, e, now));
            }
        }
    }
    let picks: Vec<&[AgentId]> = log
        .iter()
        .filter_map(|(_, e, _)| match e {
            QueueEvent::AgentsSelected { agents, .. } => Some(agents.as_slice()),
            _ => None,
        })
        .collect();
    assert_eq!(picks, [[agent(1)], [agent(2)], [agent(3)], [agent(1)]]);

    let mut rebuilt = given(vec![queue("sales", Strategy::RoundRobin)]);
    for (queue, e, at) in &log {
        rebuilt.router.evolve(queue, e, *at);
    }
    let rebuilt = rebuilt.agents(team());
    let next = |g: Given| {
        g.event("sales", waiting(5, 0), t(100))
            .when_dispatched_at(t(100))
            .result
            .expect("dispatch")
    };
    let live_next = next(live);
    assert_eq!(
        live_next,
        vec![selected("sales", 5, &[2], Strategy::RoundRobin, 0)]
    );
    assert_eq!(next(rebuilt), live_next);
}
