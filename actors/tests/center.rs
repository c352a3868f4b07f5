//! The actors together on a real SQLite log and the simulated network, on a paused clock:
//! calls arrive, wait, ring, talk and end, and a center stopped abruptly comes back from
//! its log.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use hotline_actors::agent::{Agent, AgentCommand, AgentState, Presence, Profile};
use hotline_actors::call::{Call, CallState};
use hotline_actors::decider::Decider;
use hotline_actors::{Center, CommandError};
use hotline_events::{
    AgentEvent, AgentId, CallEvent, CallId, EndReason, Event, QueueId, Recorded, Skill, SkillName,
    StreamName, Timestamp,
};
use hotline_infra::config::{
    AgentConfig, CenterConfig, NumberConfig, QueueConfig, RouterSettings, Strategy, Tiers,
};
use hotline_infra::{Clock, Durability, EventLog, SqliteLog, VirtualTimeLog};
use hotline_media::{AgentModel, CallerScript, Dist, NetworkReport, SimNetwork};
use tokio::sync::mpsc;

const NUMBER: &str = "+18005550100";

fn sales() -> QueueId {
    QueueId::new("sales").unwrap()
}

fn agent_id(n: usize) -> AgentId {
    AgentId::from_uuid(uuid::Uuid::from_u128(0xA000 + n as u128))
}

fn config(agents: usize, strategy: Strategy) -> CenterConfig {
    let spanish = SkillName::new("spanish").unwrap();
    CenterConfig {
        log: None,
        router: RouterSettings::default(),
        skills: vec![spanish.clone()],
        queues: vec![QueueConfig {
            id: sales(),
            name: "Sales".into(),
            strategy,
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::from_secs(10),
            skills: vec![],
            tiers: Tiers::default(),
            overflow: vec![],
            max_wait: None,
            hours: None,
            service_level_threshold: Duration::from_secs(20),
            service_level_target: 80,
            callback: true,
            default_handle_time: Duration::from_secs(120),
        }],
        agents: (0..agents)
            .map(|n| AgentConfig {
                id: agent_id(n),
                login: format!("agent{n}"),
                name: format!("Agent {n}"),
                extension: None,
                skills: vec![(spanish.clone(), 5)],
                queues: vec![sales()],
                weight: 1,
            })
            .collect(),
        numbers: vec![NumberConfig {
            number: NUMBER.into(),
            queue: sales(),
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

struct Run {
    center: Center,
    net: SimNetwork,
    log: Arc<dyn EventLog>,
    _dir: tempfile::TempDir,
}

fn clock() -> Clock {
    Clock::starting_at(Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap())
}

async fn start(config: CenterConfig, model: AgentModel) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(Arc::new(
        SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap(),
    )));
    let (net, reports) = SimNetwork::new(7, 4096);
    for a in &config.agents {
        net.add_agent(a.id, model.clone());
    }
    let center = Center::start(
        config.clone(),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        clock(),
        7,
    )
    .await
    .unwrap();
    for a in &config.agents {
        log_in(&center, a).await;
    }
    Run {
        center,
        net,
        log,
        _dir: dir,
    }
}

/// Two hours after the last sign of life of a killed center, a new process starts on
/// the same log and a network that has none of the old calls; it runs 5 s. Returns it and
/// the time it started.
async fn restart_two_hours_on(
    config: &CenterConfig,
    log: &Arc<dyn EventLog>,
    last_sign_of_life: Timestamp,
) -> (Center, Timestamp) {
    tokio::time::sleep(Duration::from_secs(2 * 3_600)).await;
    let restart = last_sign_of_life.plus_millis(2 * 3_600_000);
    let (net, reports) = SimNetwork::new(8, 4096);
    let center = Center::start(
        config.clone(),
        log.clone(),
        Arc::new(net),
        reports,
        Clock::starting_at(restart),
        7,
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    (center, restart)
}

async fn log_in(center: &Center, a: &AgentConfig) {
    let skills = a
        .skills
        .iter()
        .map(|(name, level)| Skill {
            name: name.clone(),
            level: *level,
        })
        .collect();
    center
        .agent(
            a.id,
            AgentCommand::LogIn {
                name: a.name.clone(),
                extension: None,
                skills,
                queues: a.queues.clone(),
            },
        )
        .await
        .unwrap();
    center.agent(a.id, AgentCommand::Ready).await.unwrap();
}

fn prompt_agent() -> AgentModel {
    AgentModel {
        answer_delay: Dist::Fixed { secs: 2.0 },
        answer_probability: 1.0,
    }
}

fn caller(patience: f64, talk: f64) -> CallerScript {
    CallerScript {
        number: NUMBER.into(),
        caller: "+15555550123".into(),
        digits: None,
        patience: Dist::Fixed { secs: patience },
        talk: Dist::Fixed { secs: talk },
        callee_answers: true,
    }
}

async fn types(log: &dyn EventLog, stream: &StreamName) -> Vec<String> {
    log.read_stream(stream, 1)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event_type)
        .collect()
}

async fn everything(log: &dyn EventLog) -> Vec<Recorded> {
    log.read_all(1, usize::MAX).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_call_goes_from_arrival_through_talk_to_wrap_up() {
    let run = start(config(1, Strategy::LongestIdle), prompt_agent()).await;
    let call = run.net.place_call(caller(300.0, 60.0)).await;
    tokio::time::sleep(Duration::from_secs(120)).await;

    let log = run.log.as_ref();
    assert_eq!(
        types(log, &call.stream()).await,
        ["arrived", "queued", "offered", "answered", "ended"]
    );
    assert_eq!(
        types(log, &agent_id(0).stream()).await,
        [
            "logged_in",
            "ready",
            "reserved",
            "busy",
            "wrapping_up",
            "wrap_up_completed"
        ]
    );
    assert_eq!(
        types(log, &sales().stream()).await,
        [
            "call_waiting",
            "position_estimated",
            "agents_selected",
            "call_left"
        ]
    );
    let history = log.read_stream(&call.stream(), 1).await.unwrap();
    let at = |t: &str| {
        history
            .iter()
            .find(|r| r.event_type == t)
            .map(|r| r.occurred_at)
            .unwrap()
    };
    // The agent picks up 2 s after the ring; the caller talks 60 s then hangs up.
    assert_eq!(at("answered").millis_since(at("offered")), 2000);
    assert_eq!(at("ended").millis_since(at("answered")), 60_000);
    let Event::Call(CallEvent::Ended { reason, .. }) = history.last().unwrap().event() else {
        panic!("the last event is the end");
    };
    assert_eq!(reason, EndReason::Completed);
    let agent = run.center.agent_state(agent_id(0)).await.unwrap();
    assert_eq!(agent.presence, Presence::Available);
    assert!(
        run.center.live_calls().is_empty(),
        "the ended call's actor stopped"
    );
}

#[tokio::test(start_paused = true)]
async fn a_caller_out_of_patience_abandons_and_the_queue_forgets_the_call() {
    // Nobody is ready: the caller waits 30 s, then hangs up.
    let run = start(config(0, Strategy::LongestIdle), prompt_agent()).await;
    let call = run.net.place_call(caller(30.0, 60.0)).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        types(run.log.as_ref(), &call.stream()).await,
        ["arrived", "queued", "abandoned", "ended"]
    );
    assert!(run.center.waiting().await.iter().all(|(_, c)| c.is_empty()));
}

#[tokio::test(start_paused = true)]
async fn an_agent_who_misses_two_offers_is_paused_and_the_call_goes_to_another() {
    let mut config = config(2, Strategy::Linear);
    config.router.auto_pause_after = 2;
    let run = start(config, prompt_agent()).await;
    // Agent 0 (first in hunting order) never answers; agent 1 does.
    run.net.add_agent(
        agent_id(0),
        AgentModel {
            answer_delay: Dist::Fixed { secs: 1.0 },
            answer_probability: 0.0,
        },
    );
    let first = run.net.place_call(caller(600.0, 30.0)).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let second = run.net.place_call(caller(600.0, 30.0)).await;
    tokio::time::sleep(Duration::from_secs(200)).await;

    let a0 = run.center.agent_state(agent_id(0)).await.unwrap();
    assert_eq!(
        a0.presence,
        Presence::NotReady {
            reason: "auto_pause".into()
        }
    );
    for call in [first, second] {
        let history = run.log.read_stream(&call.stream(), 1).await.unwrap();
        let answered_by = history.iter().find_map(|r| match r.event() {
            Event::Call(CallEvent::Answered { agent, .. }) => Some(agent),
            _ => None,
        });
        assert_eq!(answered_by, Some(agent_id(1)), "{call} went to agent 1");
    }
}

/// Folds every call and agent stream of the log.
/// Each call's and agent's stream folded; an agent of `config` is folded onto the file's
/// profile, as its actor does.
async fn folded(
    log: &dyn EventLog,
    config: &CenterConfig,
) -> (HashMap<CallId, CallState>, HashMap<AgentId, AgentState>) {
    let mut calls: HashMap<StreamName, Vec<(CallEvent, Timestamp)>> = HashMap::new();
    let mut agents: HashMap<StreamName, Vec<(AgentEvent, Timestamp)>> = HashMap::new();
    for r in everything(log).await {
        match r.event() {
            Event::Call(e) => calls
                .entry(r.stream.clone())
                .or_default()
                .push((e, r.occurred_at)),
            Event::Agent(e) => agents
                .entry(r.stream.clone())
                .or_default()
                .push((e, r.occurred_at)),
            _ => {}
        }
    }
    let id = |s: &StreamName| uuid::Uuid::parse_str(s.id()).unwrap();
    (
        calls
            .iter()
            .map(|(s, es)| {
                (
                    CallId::from_uuid(id(s)),
                    Call::fold(es.iter().map(|(e, t)| (e, *t))),
                )
            })
            .collect(),
        agents
            .iter()
            .map(|(s, es)| {
                let agent = AgentId::from_uuid(id(s));
                let start = config
                    .agents
                    .iter()
                    .find(|a| a.id == agent)
                    .map_or_else(AgentState::default, AgentState::of_config);
                let state = es.iter().fold(start, |st, (e, t)| Agent::evolve(st, e, *t));
                (agent, state)
            })
            .collect(),
    )
}

/// Walks the whole log and checks the promises that must hold across a restart.
async fn check_invariants(log: &dyn EventLog) {
    // Outstanding offers per call, and the call each agent holds.
    let mut ringing: HashMap<StreamName, HashSet<AgentId>> = HashMap::new();
    let mut holding: HashMap<StreamName, Option<CallId>> = HashMap::new();
    for r in everything(log).await {
        match r.event() {
            Event::Call(CallEvent::Offered { agent, .. }) => {
                let set = ringing.entry(r.stream.clone()).or_default();
                set.insert(agent);
                assert!(
                    set.len() <= 1,
                    "{} was offered to two agents at once",
                    r.stream
                );
            }
            Event::Call(
                CallEvent::OfferMissed { agent, .. } | CallEvent::Answered { agent, .. },
            ) => {
                ringing.entry(r.stream.clone()).or_default().remove(&agent);
            }
            Event::Agent(AgentEvent::Reserved { call, .. } | AgentEvent::Busy { call }) => {
                let held = holding.entry(r.stream.clone()).or_default();
                assert!(
                    held.is_none() || *held == Some(call),
                    "{} holds {held:?} and took {call}",
                    r.stream
                );
                *held = Some(call);
            }
            // A logout by hand needs the agent free; one for a restart ends what it held.
            Event::Agent(
                AgentEvent::OfferMissed { .. }
                | AgentEvent::WrapUpCompleted { .. }
                | AgentEvent::LoggedOut { .. },
            ) => {
                holding.insert(r.stream.clone(), None);
            }
            _ => {}
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_center_stopped_abruptly_comes_back_from_its_log() {
    let config = config(6, Strategy::LongestIdle);
    let mut model = prompt_agent();
    model.answer_probability = 0.9;
    model.answer_delay = Dist::Exponential { mean_secs: 4.0 };
    let run = start(config.clone(), model).await;

    // Half an hour of traffic, a call every 20 s on average, for six agents talking 2 min.
    let traffic = {
        let net = run.net.clone();
        tokio::spawn(async move {
            let mut arrivals = hotline_media::Arrivals::new(1.0 / 20.0, 11).unwrap();
            let mut placed = Vec::new();
            for n in 0..100 {
                tokio::time::sleep(arrivals.next().unwrap()).await;
                let mut script = caller(90.0, 120.0);
                script.patience = Dist::Exponential { mean_secs: 90.0 };
                script.talk = Dist::Exponential { mean_secs: 120.0 };
                script.caller = format!("+1555555{n:04}");
                placed.push(net.place_call(script).await);
            }
            placed
        })
    };
    tokio::time::sleep(Duration::from_secs(300)).await;

    // What the actors hold just before the crash…
    let mut before_calls = HashMap::new();
    for call in run.center.live_calls() {
        if let Some(s) = run.center.call_state(call).await {
            before_calls.insert(call, s);
        }
    }
    let mut before_agents = HashMap::new();
    for a in &config.agents {
        before_agents.insert(a.id, run.center.agent_state(a.id).await.unwrap());
    }
    assert!(before_calls.len() > 3, "calls are live at the crash");
    let reports: mpsc::Receiver<NetworkReport> = run.center.kill().await;
    let crash = run.log.head().await.unwrap();

    // …is what their streams say.
    let (calls, agents) = folded(run.log.as_ref(), &config).await;
    for (id, state) in &before_calls {
        assert_eq!(&calls[id], state, "call {id} rebuilt from its stream");
    }
    for (id, state) in &before_agents {
        assert_eq!(&agents[id], state, "agent {id} rebuilt from its stream");
    }

    // A new center takes over the same log and the same line.
    let center = Center::start(
        config.clone(),
        run.log.clone(),
        Arc::new(run.net.clone()),
        reports,
        clock(),
        7,
    )
    .await
    .unwrap();
    let placed = traffic.await.unwrap();
    tokio::time::sleep(Duration::from_secs(3600)).await;

    check_invariants(run.log.as_ref()).await;
    let (calls, _) = folded(run.log.as_ref(), &config).await;
    for call in &placed {
        let state = &calls[call];
        assert!(state.is_ended(), "{call} ended: {:?}", state.phase);
    }
    // Calls that were talking at the crash talked on to their end.
    let mut answered_before = HashSet::new();
    let mut talked_on = 0;
    let mut answered_after = 0;
    let mut restarted = 0;
    for r in everything(run.log.as_ref()).await {
        match r.event() {
            Event::Call(CallEvent::Answered { .. }) if r.position <= crash => {
                answered_before.insert(r.stream.clone());
            }
            Event::Call(CallEvent::Answered { .. }) => answered_after += 1,
            Event::Call(CallEvent::Ended { reason, .. }) if r.position > crash => {
                if reason == EndReason::SystemRestart {
                    restarted += 1;
                } else if reason == EndReason::Completed && answered_before.contains(&r.stream) {
                    talked_on += 1;
                }
            }
            _ => {}
        }
    }
    println!(
        "{talked_on} calls talked on across the restart, {answered_after} answered after it, \
         {restarted} ended by it"
    );
    assert!(talked_on > 0, "conversations survive the restart");
    assert!(answered_after > 10, "traffic goes on after the restart");
    assert!(center.live_calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn calls_lost_with_the_process_end_at_its_last_sign_of_life_not_at_the_restart() {
    let config = config(2, Strategy::LongestIdle);
    let run = start(config.clone(), prompt_agent()).await;
    let talking = run.net.place_call(caller(60.0, 3_600.0)).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let state = run.center.call_state(talking).await.unwrap();
    assert!(
        state.agent().is_some(),
        "answered before the crash: {state:?}"
    );
    // The process dies; its network and calls with it. Two hours later a new one starts
    // on a network that has none of them.
    let _reports = run.center.kill().await;
    let everything_before = everything(run.log.as_ref()).await;
    let last_sign_of_life = everything_before.last().unwrap().occurred_at;
    let (center, _) = restart_two_hours_on(&config, &run.log, last_sign_of_life).await;
    let ended: Vec<Recorded> = run
        .log
        .read_stream(&talking.stream(), 1)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| matches!(r.event(), Event::Call(CallEvent::Ended { .. })))
        .collect();
    let [ended] = &ended[..] else {
        panic!("one `ended`: {ended:?}")
    };
    assert!(matches!(
        ended.event(),
        Event::Call(CallEvent::Ended {
            reason: EndReason::SystemRestart,
            ..
        })
    ));
    // Ended when the process was last heard of: the two hours down are not talk time.
    assert_eq!(ended.occurred_at, last_sign_of_life);
    assert!(center.live_calls().is_empty());
}

/// Folds the whole log into the `agent_states` and boards read models, as the server does.
async fn agent_read_models(
    log: &dyn EventLog,
) -> (
    hotline_projections::AgentStates,
    hotline_projections::Boards,
) {
    use hotline_projections::{AgentStates, Boards, Fact, MetricRules, Projection};
    let mut states = AgentStates::new();
    let mut boards = Boards::new(MetricRules::default());
    for r in everything(log).await {
        let event = r.event();
        let fact = Fact::new(&r, &event);
        states.apply(&fact);
        boards.apply(&fact);
    }
    (states, boards)
}

#[tokio::test(start_paused = true)]
async fn agents_left_logged_in_are_out_from_the_last_sign_of_life_then_back_as_they_were() {
    let t = Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap();
    // Three agents ready at T; one of them takes a call of an hour.
    let config = config(3, Strategy::LongestIdle);
    let run = start(config.clone(), prompt_agent()).await;
    let talking = run.net.place_call(caller(60.0, 3_600.0)).await;
    let on_call = talking_agent(&run.center, talking).await;
    let others: Vec<AgentId> = config
        .agents
        .iter()
        .map(|a| a.id)
        .filter(|a| *a != on_call)
        .collect();
    let [ready, lunch] = others[..] else {
        panic!("two agents free: {others:?}")
    };
    // At T + 1 min the last thing the process does: an agent goes to lunch.
    let spent = run.center.services().clock.now().millis_since(t);
    tokio::time::sleep(Duration::from_millis(60_000 - spent)).await;
    run.center
        .agent(
            lunch,
            AgentCommand::NotReady {
                reason: "lunch".into(),
            },
        )
        .await
        .unwrap();
    let _reports = run.center.kill().await;
    let before = everything(run.log.as_ref()).await;
    let last = before.last().unwrap();
    let last_sign_of_life = last.occurred_at;
    assert_eq!(
        (&last.stream, last_sign_of_life),
        (&lunch.stream(), t.plus_millis(60_000)),
        "the log was last written at T + 1 min, by the lunch break"
    );
    let ready_before = run.log.read_stream(&ready.stream(), 1).await.unwrap();

    // Two hours later a new process starts on a network that has none of the calls.
    let (center, restart) = restart_two_hours_on(&config, &run.log, last_sign_of_life).await;

    // The ready agent: out from the last sign of life, back in and ready at the restart.
    let since_restart: Vec<(AgentEvent, Timestamp)> = run
        .log
        .read_stream(&ready.stream(), ready_before.len() as u64 + 1)
        .await
        .unwrap()
        .into_iter()
        .map(|r| match r.event() {
            Event::Agent(e) => (e, r.occurred_at),
            other => panic!("{other:?}"),
        })
        .collect();
    let profile = &config.agents.iter().find(|a| a.id == ready).unwrap();
    assert_eq!(
        since_restart,
        [
            (
                AgentEvent::LoggedOut {
                    reason: Some("system_restart".into()),
                    by: None
                },
                last_sign_of_life
            ),
            (
                AgentEvent::LoggedIn {
                    name: profile.name.clone(),
                    extension: None,
                    skills: vec![Skill {
                        name: SkillName::new("spanish").unwrap(),
                        level: 5
                    }],
                    queues: vec![sales()],
                },
                restart
            ),
            (AgentEvent::Ready { by: None }, restart),
        ]
    );
    let state = center.agent_state(ready).await.unwrap();
    assert_eq!(
        (state.presence, state.since),
        (Presence::Available, Some(restart))
    );
    // The one at lunch is back at lunch.
    let state = center.agent_state(lunch).await.unwrap();
    assert_eq!(
        state.presence,
        Presence::NotReady {
            reason: "lunch".into()
        }
    );
    // The one whose call the restart ended wraps it up (the queue's 10 s), then is ready.
    let state = center.agent_state(on_call).await.unwrap();
    assert_eq!(
        state.presence,
        Presence::WrappingUp {
            call: talking,
            limit_ms: 10_000
        }
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    let state = center.agent_state(on_call).await.unwrap();
    assert_eq!(state.presence, Presence::Available);

    // agent_states: no interval of anyone spans the downtime; the ready agent was ready
    // from T to the last sign of life and again from the restart.
    let (states, boards) = agent_read_models(run.log.as_ref()).await;
    for row in states.rows() {
        assert!(
            row.start >= restart || row.end.is_some_and(|end| end <= last_sign_of_life),
            "an interval spans the downtime: {row:?}"
        );
    }
    let ready_rows: Vec<_> = states
        .rows()
        .into_iter()
        .filter(|r| r.agent == ready)
        .map(|r| (r.state, r.start, r.end))
        .collect();
    use hotline_projections::AgentStateKind::Available;
    assert_eq!(
        ready_rows,
        [
            (Available, t, Some(last_sign_of_life)),
            (Available, restart, None),
        ]
    );
    // The board's time in state starts at the restart.
    let now = restart.plus_millis(11_000);
    let board = boards.agent(ready, now).unwrap();
    assert_eq!((board.since, board.time_in_state_ms), (restart, 11_000));
    check_invariants(run.log.as_ref()).await;
}

#[tokio::test(start_paused = true)]
async fn an_agent_actor_respawned_inside_a_running_process_keeps_its_state_and_time() {
    let config = config(1, Strategy::LongestIdle);
    let run = start(config, prompt_agent()).await;
    let agent = agent_id(0);
    tokio::time::sleep(Duration::from_secs(60)).await;
    let before = types(run.log.as_ref(), &agent.stream()).await;
    let since = run.center.agent_state(agent).await.unwrap().since;
    let actor = run.center.services().directory.agent(agent).unwrap();
    actor.get_cell().kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = run.center.services().directory.agent(agent).unwrap();
    assert_ne!(
        actor.get_id(),
        again.get_id(),
        "the supervisor respawned it"
    );
    // Only the actor was lost, not the process: nothing recorded, ready since login.
    assert_eq!(types(run.log.as_ref(), &agent.stream()).await, before);
    let state = run.center.agent_state(agent).await.unwrap();
    assert_eq!((state.presence, state.since), (Presence::Available, since));
}

/// A telephony driver with a bug: the third ring it is asked for panics, once.
#[derive(Debug)]
struct PanicsOnce {
    inner: SimNetwork,
    rings: std::sync::atomic::AtomicU32,
    victim: std::sync::Mutex<Option<CallId>>,
}

impl hotline_media::Telephony for PanicsOnce {
    fn answer(&self, call: CallId) -> Result<(), hotline_media::TelephonyError> {
        self.inner.answer(call)
    }
    fn play(&self, call: CallId, prompt: &str) -> Result<(), hotline_media::TelephonyError> {
        self.inner.play(call, prompt)
    }
    fn collect_digits(
        &self,
        call: CallId,
        max: u8,
        timeout: Duration,
    ) -> Result<(), hotline_media::TelephonyError> {
        self.inner.collect_digits(call, max, timeout)
    }
    fn ring_agent(
        &self,
        call: CallId,
        agent: AgentId,
        timeout: Duration,
    ) -> Result<(), hotline_media::TelephonyError> {
        if self.rings.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2 {
            *self.victim.lock().unwrap() = Some(call);
            panic!("driver bug while ringing {agent} for {call}");
        }
        self.inner.ring_agent(call, agent, timeout)
    }
    fn stop_ringing(
        &self,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), hotline_media::TelephonyError> {
        self.inner.stop_ringing(call, agent)
    }
    fn bridge(&self, call: CallId, agent: AgentId) -> Result<(), hotline_media::TelephonyError> {
        self.inner.bridge(call, agent)
    }
    fn hold(&self, call: CallId) -> Result<(), hotline_media::TelephonyError> {
        self.inner.hold(call)
    }
    fn resume(&self, call: CallId) -> Result<(), hotline_media::TelephonyError> {
        self.inner.resume(call)
    }
    fn conference(
        &self,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), hotline_media::TelephonyError> {
        self.inner.conference(call, agent)
    }
    fn drop_agent(
        &self,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), hotline_media::TelephonyError> {
        self.inner.drop_agent(call, agent)
    }
    fn record(&self, call: CallId, on: bool) -> Result<(), hotline_media::TelephonyError> {
        self.inner.record(call, on)
    }
    fn originate(&self, call: CallId, number: &str) -> Result<(), hotline_media::TelephonyError> {
        self.inner.originate(call, number)
    }
    fn hang_up(&self, call: CallId) -> Result<(), hotline_media::TelephonyError> {
        self.inner.hang_up(call)
    }
    fn is_live(&self, call: CallId) -> bool {
        self.inner.is_live(call)
    }
}

#[tokio::test(start_paused = true)]
async fn a_call_actor_that_panics_is_restarted_from_its_stream_without_disturbing_the_others() {
    let config = config(3, Strategy::LongestIdle);
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(Arc::new(
        SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap(),
    )));
    let (net, reports) = SimNetwork::new(7, 4096);
    for a in &config.agents {
        net.add_agent(a.id, prompt_agent());
    }
    let buggy = Arc::new(PanicsOnce {
        inner: net.clone(),
        rings: Default::default(),
        victim: Default::default(),
    });
    let center = Center::start(
        config.clone(),
        log.clone(),
        buggy.clone(),
        reports,
        clock(),
        7,
    )
    .await
    .unwrap();
    for a in &config.agents {
        log_in(&center, a).await;
    }
    let mut calls = Vec::new();
    for _ in 0..5 {
        calls.push(net.place_call(caller(600.0, 30.0)).await);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(300)).await;

    let victim = buggy.victim.lock().unwrap().expect("the driver panicked");
    for call in &calls {
        let t = types(log.as_ref(), &call.stream()).await;
        assert_eq!(t.last().map(String::as_str), Some("ended"), "{call}: {t:?}");
        assert!(t.contains(&"answered".to_owned()), "{call}: {t:?}");
        if *call == victim {
            // Its ring died with the actor: the restarted actor withdrew the offer and the
            // call was offered again.
            assert_eq!(t.iter().filter(|t| *t == "offered").count(), 2, "{t:?}");
            assert!(t.contains(&"offer_missed".to_owned()), "{t:?}");
        } else {
            assert_eq!(
                t,
                ["arrived", "queued", "offered", "answered", "ended"],
                "{call} was not disturbed"
            );
        }
    }
    check_invariants(log.as_ref()).await;
}

/// Waits (in virtual time) until `call` is talking with an agent, and returns the agent.
async fn talking_agent(center: &Center, call: CallId) -> AgentId {
    for _ in 0..600 {
        if let Some(s) = center.call_state(call).await
            && let Some(agent) = s.agent()
        {
            return agent;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{call} was never answered");
}

#[tokio::test(start_paused = true)]
async fn agents_hold_transfer_consult_and_conference_through_the_actors() {
    use hotline_actors::call::CallCommand;
    use hotline_events::TransferTarget;

    let run = start(config(4, Strategy::Linear), prompt_agent()).await;
    let center = &run.center;
    let call = run.net.place_call(caller(600.0, 3600.0)).await;
    let first = talking_agent(center, call).await;

    // Hold and resume.
    center
        .call(call, CallCommand::Hold { by: first })
        .await
        .unwrap();
    center
        .call(call, CallCommand::Resume { by: first })
        .await
        .unwrap();
    // Someone else cannot put it on hold.
    let other = agent_id(3);
    let refused = center.call(call, CallCommand::Hold { by: other }).await;
    assert!(refused.is_err(), "{refused:?}");

    // Warm transfer: consult a free agent, then hand over with a note.
    let consulted = (0..4).map(agent_id).find(|a| *a != first).unwrap();
    center
        .call(
            call,
            CallCommand::StartConsult {
                by: first,
                agent: consulted,
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let busy = center.agent_state(consulted).await.unwrap();
    assert_eq!(busy.presence, Presence::Busy { call });
    center
        .call(
            call,
            CallCommand::CompleteConsult {
                by: first,
                notes: Some("wants a refund".into()),
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s = center.call_state(call).await.unwrap();
    assert_eq!(s.agent(), Some(consulted));
    assert_eq!(s.notes, vec!["wants a refund".to_owned()]);
    let released = center.agent_state(first).await.unwrap();
    assert!(
        matches!(released.presence, Presence::WrappingUp { .. }),
        "{:?}",
        released.presence
    );

    // Conference a third party in, who then leaves.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let third = (0..4)
        .map(agent_id)
        .find(|a| *a != first && *a != consulted)
        .unwrap();
    center
        .call(
            call,
            CallCommand::Conference {
                by: consulted,
                agent: third,
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        center.call_state(call).await.unwrap().connected_agents(),
        vec![consulted, third]
    );
    center
        .call(call, CallCommand::LeaveConference { agent: third })
        .await
        .unwrap();

    // Blind transfer to the queue: the call waits again and another agent answers.
    center
        .call(
            call,
            CallCommand::Transfer {
                by: consulted,
                to: TransferTarget::Queue { queue: sales() },
                notes: Some("second opinion".into()),
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(40)).await;
    let s = center.call_state(call).await.unwrap();
    let last = s.agent().expect("answered again after the transfer");
    assert_ne!(last, consulted);
    assert_eq!(s.transfers, 2);
    assert_eq!(s.notes.len(), 2, "the notes travel with the call");

    let t = types(run.log.as_ref(), &call.stream()).await;
    assert_eq!(
        t,
        [
            "arrived",
            "queued",
            "offered",
            "answered",
            "held",
            "resumed",
            "consult_started",
            "transferred",
            "conference_joined",
            "conference_left",
            "transferred",
            "queued",
            "offered",
            "answered"
        ]
    );
    check_invariants(run.log.as_ref()).await;
}

#[tokio::test(start_paused = true)]
async fn after_the_maximum_wait_the_caller_goes_to_voicemail() {
    let mut config = config(0, Strategy::LongestIdle);
    config.queues[0].max_wait = Some(Duration::from_secs(120));
    let run = start(config, prompt_agent()).await;
    // Patient enough to outwait the queue's maximum, then leaves after the message.
    let call = run.net.place_call(caller(180.0, 60.0)).await;
    tokio::time::sleep(Duration::from_secs(400)).await;
    let history = run.log.read_stream(&call.stream(), 1).await.unwrap();
    let t: Vec<&str> = history.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(t, ["arrived", "queued", "sent_to_voicemail", "ended"]);
    assert_eq!(
        history[2].occurred_at.millis_since(history[1].occurred_at),
        120_000
    );
    let Event::Call(CallEvent::Ended { reason, .. }) = history[3].event() else {
        panic!("ends")
    };
    assert_eq!(reason, EndReason::Voicemail);
    assert!(run.center.waiting().await.iter().all(|(_, c)| c.is_empty()));
}

#[tokio::test(start_paused = true)]
async fn outside_business_hours_the_caller_goes_to_voicemail() {
    let mut config = config(1, Strategy::LongestIdle);
    // Open 10:00-18:00 UTC; the clock starts at 09:00.
    let mut hours = hotline_infra::config::BusinessHours::always_open("day");
    hours.week = std::array::from_fn(|_| vec![(600, 1080)]);
    config.hours = vec![hours];
    config.queues[0].hours = Some("day".into());
    let run = start(config, prompt_agent()).await;
    let call = run.net.place_call(caller(30.0, 60.0)).await;
    // The caller speaks their message (their 60 s of talk), then hangs up.
    tokio::time::sleep(Duration::from_secs(90)).await;
    assert_eq!(
        types(run.log.as_ref(), &call.stream()).await,
        ["arrived", "sent_to_voicemail", "ended"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_callback_keeps_its_place_and_the_customer_is_dialed_back() {
    use hotline_actors::call::CallCommand;
    let run = start(config(1, Strategy::LongestIdle), prompt_agent()).await;
    // The one agent is busy for ten minutes with a first caller.
    let busy = run.net.place_call(caller(600.0, 600.0)).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut script = caller(3600.0, 60.0);
    script.caller = "+15555550999".into();
    let callback = run.net.place_call(script).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    // A later caller waits on the line.
    let later = run.net.place_call(caller(3600.0, 60.0)).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    run.center
        .call(
            callback,
            CallCommand::RequestCallback {
                number: "+15555550999".into(),
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1200)).await;

    let t = types(run.log.as_ref(), &callback.stream()).await;
    assert_eq!(
        t,
        [
            "arrived",
            "queued",
            "callback_requested",
            "callback_dialed",
            "offered",
            "answered",
            "ended"
        ]
    );
    // The callback kept its place: it was answered before the caller who came later.
    let answered_at = |call: CallId| {
        let log = run.log.clone();
        async move {
            log.read_stream(&call.stream(), 1)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.event_type == "answered")
                .map(|r| r.position)
                .unwrap()
        }
    };
    assert!(answered_at(callback).await < answered_at(later).await);
    assert!(answered_at(busy).await < answered_at(callback).await);
}

#[tokio::test(start_paused = true)]
async fn a_call_waiting_too_long_overflows_to_the_backup_queue() {
    let mut config = config(1, Strategy::LongestIdle);
    let support = QueueId::new("support").unwrap();
    let mut backup = config.queues[0].clone();
    backup.id = support.clone();
    backup.name = "Support".into();
    config.queues[0].overflow = vec![hotline_infra::config::OverflowRule {
        to: support.clone(),
        after: Some(Duration::from_secs(30)),
        waiting_over: None,
    }];
    config.queues.push(backup);
    // The only agent works for support, not sales.
    config.agents[0].queues = vec![support];
    let run = start(config, prompt_agent()).await;
    let call = run.net.place_call(caller(600.0, 60.0)).await;
    tokio::time::sleep(Duration::from_secs(200)).await;
    let history = run.log.read_stream(&call.stream(), 1).await.unwrap();
    let t: Vec<&str> = history.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(
        t,
        [
            "arrived",
            "queued",
            "overflowed",
            "offered",
            "answered",
            "ended"
        ]
    );
    // Overflowed after exactly the rule's 30 s, then answered by the support agent.
    assert_eq!(
        history[2].occurred_at.millis_since(history[1].occurred_at),
        30_000
    );
    let Event::Call(CallEvent::Answered { agent, .. }) = history[4].event() else {
        panic!("answered")
    };
    assert_eq!(agent, agent_id(0));
}

#[tokio::test(start_paused = true)]
async fn a_registered_agent_takes_calls_and_a_skill_change_routes_at_once() {
    let spanish = SkillName::new("spanish").unwrap();
    let mut config = config(0, Strategy::LongestIdle);
    config.queues[0].skills = vec![spanish.clone()];
    let run = start(config, prompt_agent()).await;
    let maria = agent_id(42);
    run.net.add_agent(maria, prompt_agent());
    let profile = Profile {
        login: "maria".into(),
        name: "Maria".into(),
        extension: None,
        skills: vec![],
        queues: vec![sales()],
    };
    // Two registrations at once: one actor, one `registered`, the other refused.
    let (a, b) = tokio::join!(
        run.center
            .register_agent(maria, profile.clone(), "admin".into()),
        run.center
            .register_agent(maria, profile.clone(), "another admin".into()),
    );
    assert_eq!(
        usize::from(a.is_ok()) + usize::from(b.is_ok()),
        1,
        "{a:?} {b:?}"
    );
    let refused = if a.is_ok() { b } else { a };
    assert!(
        matches!(&refused, Err(CommandError::Rejected(why)) if why.contains("maria")),
        "{refused:?}"
    );
    let roster = run.center.roster();
    assert_eq!(roster.len(), 1);
    assert_eq!((roster[0].id, &roster[0].profile), (maria, &profile));

    run.center
        .agent(maria, AgentCommand::log_in(&profile))
        .await
        .unwrap();
    run.center.agent(maria, AgentCommand::Ready).await.unwrap();
    // The call needs Spanish, which Maria lacks: it waits.
    let call = run.net.place_call(caller(600.0, 60.0)).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let state = run.center.agent_state(maria).await.unwrap();
    assert_eq!(state.presence, Presence::Available);
    // A supervisor gives her Spanish: the waiting call comes to her at once.
    let edit = AgentCommand::Edit {
        name: None,
        skills: Some(vec![Skill {
            name: spanish,
            level: 6,
        }]),
        queues: None,
        by: "boss".into(),
    };
    run.center.agent(maria, edit).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let state = run.center.agent_state(maria).await.unwrap();
    assert_eq!(state.presence, Presence::Busy { call }, "{state:?}");
    let agent_types = types(run.log.as_ref(), &maria.stream()).await;
    assert_eq!(
        agent_types,
        [
            "registered",
            "logged_in",
            "ready",
            "skills_changed",
            "reserved",
            "busy"
        ]
    );
}
