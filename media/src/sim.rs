//! The simulated phone network: synthetic callers who follow a script, synthetic agents'
//! phones, and dial-backs, on tokio time, deterministic for a seed.
//!
//! Each call is a tokio task that sleeps until the next thing due on it (the caller gives
//! up, the conversation ends, digits are keyed, a phone is picked up), and is woken early
//! when a command changes what is due. The state lives in one table behind a mutex, held
//! only for short synchronous steps, so commands answer at once, as the port requires.
//!
//! Memory: a waiting call costs about 1.3 KB (its task and timer, its table entry), so a
//! hundred thousand concurrent calls take about 135 MB. The network also remembers, by
//! caller number, how each caller behaves when dialed back (a few dozen bytes a number).
//!
//! Determinism: on a current-thread runtime with paused time, the same seed and the same
//! commands give the same reports at the same virtual instants. Every random draw is made
//! in the order the driver places calls and adds agents, and the system rings them: each
//! call draws its id and a sub-seed from the network's generator, then its patience and
//! talk time from its own sub-seed; each agent's phone draws from its own stream. So a
//! change of distribution or of routing does not shift any other call's draws (common
//! random numbers, which is what comparing two routing strategies needs).

mod audio;
mod call;
mod dist;
mod outbound;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hotline_events::{AgentId, CallId};
use rand::rngs::{SmallRng, StdRng};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep_until};

use crate::telephony::{
    AudioFrame, DialFailure, FRAME_TIME, NetworkReport, Telephony, TelephonyError,
};
use call::{DialOutcome, Phase, RingOutcome, SimCall};

pub use audio::{AGENT_HZ, CALLER_HZ, TURN};
pub use call::DIGIT_INTERVAL;
pub use dist::{Arrivals, Dist, DistError, MAX_SECS, check_probability, poisson_gap};
pub use outbound::{AMD_LISTENS, OutboundScript};

/// How long a dialed-back caller's phone rings before they pick up.
pub const CALLEE_ANSWER_DELAY: Duration = Duration::from_secs(6);
/// How long a dialed-back number rings before the network gives up (`DialFailed { NoAnswer }`).
pub const CALLEE_NO_ANSWER_AFTER: Duration = Duration::from_secs(25);
/// How long the network takes to fail a number it does not know (`DialFailed { Failed }`).
pub const DIAL_FAILURE_DELAY: Duration = Duration::from_secs(2);
/// Of the rings an agent does not answer, the share it declines (the rest ring out).
pub const DECLINE_SHARE: f64 = 0.25;

/// How one synthetic caller behaves.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CallerScript {
    /// The number dialed (DID).
    pub number: String,
    /// The caller's own number (ANI); dialing it back reaches this caller.
    pub caller: String,
    /// What the caller keys when digits are collected; `None`: nothing (collections time out).
    pub digits: Option<String>,
    /// How long the caller waits for an agent (from arrival until bridged) before hanging up.
    pub patience: Dist,
    /// The conversation's length once bridged (time on hold does not count).
    pub talk: Dist,
    /// Whether the caller picks up when dialed back (a callback).
    pub callee_answers: bool,
}

impl CallerScript {
    pub fn validate(&self) -> Result<(), DistError> {
        within("patience", self.patience.validate())?;
        within("talk", self.talk.validate())
    }
}

/// How one synthetic agent (the person and the phone) answers rings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AgentModel {
    /// How long the agent takes to pick up (or to decline).
    pub answer_delay: Dist,
    /// The chance of picking up a ring. Otherwise the agent lets it ring out or, in a
    /// [`DECLINE_SHARE`] of the cases, declines it. A ring whose drawn delay reaches the
    /// ring's timeout rings out too.
    pub answer_probability: f64,
}

impl AgentModel {
    /// A person at the agent desk: the phone rings until the person picks up
    /// ([`SimNetwork::pick_up`]) or the ring times out; the model itself never answers or
    /// declines (its drawn moment lies past any ring timeout).
    pub fn by_hand() -> Self {
        Self {
            answer_delay: Dist::Fixed { secs: 1e9 },
            answer_probability: 0.0,
        }
    }

    pub fn validate(&self) -> Result<(), DistError> {
        within("answer_delay", self.answer_delay.validate())?;
        check_probability("answer_probability", self.answer_probability)
    }
}

/// Counts since the network was created (`placed` … `dial_failures`) and the calls on it
/// now (`live` … `on_hold`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Synthetic callers who dialed in.
    pub placed: u64,
    /// Incoming calls the system answered (or bridged without answering first).
    pub answered: u64,
    /// Calls that reached an agent at least once.
    pub bridged: u64,
    /// Callers who hung up while waiting for an agent.
    pub abandoned: u64,
    /// Callers who hung up at the end of their conversation.
    pub completed: u64,
    /// Calls the system hung up.
    pub ended_by_system: u64,
    pub rings: u64,
    pub ring_answers: u64,
    pub ring_declines: u64,
    /// Times a call's recording was turned on.
    pub recordings: u64,
    /// Numbers dialed by `originate`.
    pub dials: u64,
    pub dial_answers: u64,
    pub dial_failures: u64,
    /// Calls on the network now: the sum of the next four.
    pub live: u64,
    pub dialing: u64,
    /// With no agent connected (in the IVR, queued, ringing an agent).
    pub waiting: u64,
    pub talking: u64,
    pub on_hold: u64,
}

impl SimStats {
    fn gauge(&mut self, phase: Phase) -> &mut u64 {
        match phase {
            Phase::Dialing => &mut self.dialing,
            Phase::Waiting | Phase::Message => &mut self.waiting,
            Phase::Talking => &mut self.talking,
            Phase::OnHold => &mut self.on_hold,
        }
    }

    fn moved(&mut self, from: Phase, to: Phase) {
        if from != to {
            *self.gauge(from) -= 1;
            *self.gauge(to) += 1;
        }
    }
}

/// The simulated phone network. Clones share one network.
#[derive(Clone)]
pub struct SimNetwork {
    shared: Arc<Shared>,
}

struct Shared {
    reports: mpsc::Sender<NetworkReport>,
    state: Mutex<State>,
}

struct State {
    rng: StdRng,
    calls: HashMap<CallId, SimCall>,
    agents: HashMap<AgentId, SimAgent>,
    /// How each caller behaves when dialed back, by their number (the latest call's script).
    callees: HashMap<String, Callee>,
    /// How numbers a campaign dials behave, by number; then the default for the rest.
    leads: HashMap<String, OutboundScript>,
    outbound: Option<OutboundScript>,
    stats: SimStats,
    /// Calls placed so far: the sequence in their ids.
    placed: u64,
}

struct SimAgent {
    model: AgentModel,
    rng: SmallRng,
}

/// A caller's behaviour when dialed back, drawn when they called in.
#[derive(Clone, Copy)]
struct Callee {
    answers: bool,
    patience: Duration,
    talk: Duration,
}

impl SimNetwork {
    /// A network whose draws all follow from `seed`, and the receiver of its reports (one
    /// consumer: the system's switchboard). A full channel holds the network back rather
    /// than losing reports; a capacity of 0 counts as 1.
    pub fn new(seed: u64, report_capacity: usize) -> (SimNetwork, mpsc::Receiver<NetworkReport>) {
        let (reports, receiver) = mpsc::channel(report_capacity.max(1));
        let state = State {
            rng: StdRng::seed_from_u64(seed),
            calls: HashMap::new(),
            agents: HashMap::new(),
            callees: HashMap::new(),
            leads: HashMap::new(),
            outbound: None,
            stats: SimStats::default(),
            placed: 0,
        };
        let shared = Arc::new(Shared {
            reports,
            state: Mutex::new(state),
        });
        (SimNetwork { shared }, receiver)
    }

    /// A synthetic caller dials in; its behaviour follows the script. Returns the call's id
    /// after the Incoming report is queued. The caller's patience runs from now.
    pub async fn place_call(&self, script: CallerScript) -> CallId {
        let CallerScript {
            number,
            caller,
            digits,
            patience,
            talk,
            callee_answers,
        } = script;
        let wake = Arc::new(Notify::new());
        let call = {
            let mut state = self.shared.lock();
            state.placed += 1;
            let call = call_id(state.placed, &mut state.rng);
            let mut rng = SmallRng::seed_from_u64(state.rng.random());
            let patience = patience.sample(&mut rng);
            let talk_now = talk.sample(&mut rng);
            let talk_later = talk.sample(&mut rng);
            state.callees.insert(
                caller.clone(),
                Callee {
                    answers: callee_answers,
                    patience,
                    talk: talk_later,
                },
            );
            let digits = digits.map(String::into_boxed_str);
            let sim = SimCall::inbound(wake.clone(), Instant::now(), patience, talk_now, digits);
            state.stats.placed += 1;
            state.insert(call, sim);
            call
        };
        let incoming = NetworkReport::Incoming {
            call,
            number,
            caller,
        };
        if self.shared.reports.send(incoming).await.is_err() {
            tracing::warn!(%call, "no one reads the network's reports: the call is dropped");
            self.shared.lock().end(call);
            return call;
        }
        tokio::spawn(run_call(self.shared.clone(), call, wake));
        call
    }

    /// A synthetic agent's phone and person: answers a ring after a drawn delay with some
    /// probability. Registering an agent again replaces its model.
    pub fn add_agent(&self, agent: AgentId, model: AgentModel) {
        let mut state = self.shared.lock();
        let rng = SmallRng::seed_from_u64(state.rng.random());
        state.agents.insert(agent, SimAgent { model, rng });
    }

    /// A person answers `agent`'s ringing phone on `call` now, as the agent desk's
    /// "accept" does for an agent whose model never answers by itself
    /// (`answer_probability` 0).
    pub fn pick_up(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError> {
        self.open()?;
        let mut guard = self.shared.lock();
        let state = &mut *guard;
        let sim = state
            .calls
            .get_mut(&call)
            .ok_or(TelephonyError::UnknownCall(call))?;
        if !sim.pick_up(Instant::now(), agent) {
            return Err(TelephonyError::AgentNotOnCall { call, agent });
        }
        sim.wake.notify_one();
        Ok(())
    }

    /// How `number` behaves when a campaign dials it (a caller who called in from it is
    /// dialed back as their script says, whatever this says).
    pub fn add_lead(&self, number: &str, script: OutboundScript) {
        self.shared.lock().leads.insert(number.to_owned(), script);
    }

    /// How every dialed number with no script of its own behaves; without it such a
    /// number fails after [`DIAL_FAILURE_DELAY`].
    pub fn set_outbound(&self, script: OutboundScript) {
        self.shared.lock().outbound = Some(script);
    }

    pub fn stats(&self) -> SimStats {
        let state = self.shared.lock();
        let mut stats = state.stats;
        stats.live = u64::try_from(state.calls.len()).unwrap_or(u64::MAX);
        stats
    }

    /// The caller hangs up now, whatever the script says (for tests and scripted scenes).
    pub async fn caller_hangs_up(&self, call: CallId) -> Result<(), TelephonyError> {
        self.open()?;
        {
            let mut state = self.shared.lock();
            let sim = state.call(call)?;
            sim.on_line(call)?;
            match sim.phase() {
                Phase::Waiting => state.stats.abandoned += 1,
                _ => state.stats.completed += 1,
            }
            state.end(call);
        }
        self.report(NetworkReport::CallerHungUp { call }).await
    }

    /// The agent hangs up their leg now; the caller stays (for tests and scripted scenes).
    pub async fn agent_hangs_up(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError> {
        self.open()?;
        self.shared
            .lock()
            .change(call, |sim, now| sim.drop_agent(call, now, agent))?;
        self.report(NetworkReport::AgentHungUp { call, agent })
            .await
    }

    async fn report(&self, report: NetworkReport) -> Result<(), TelephonyError> {
        self.shared
            .reports
            .send(report)
            .await
            .map_err(|_| TelephonyError::Closed)
    }

    fn open(&self) -> Result<(), TelephonyError> {
        if self.shared.reports.is_closed() {
            Err(TelephonyError::Closed)
        } else {
            Ok(())
        }
    }

    /// Runs `change` on a live call, for a command.
    fn command<R>(
        &self,
        call: CallId,
        change: impl FnOnce(&mut SimCall, Instant) -> Result<R, TelephonyError>,
    ) -> Result<R, TelephonyError> {
        self.open()?;
        self.shared.lock().change(call, change)
    }
}

impl fmt::Debug for SimNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimNetwork")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Telephony for SimNetwork {
    fn answer(&self, call: CallId) -> Result<(), TelephonyError> {
        let first = self.command(call, |sim, _| {
            sim.on_line(call)?;
            Ok(sim.answer())
        })?;
        if first {
            self.shared.lock().stats.answered += 1;
        }
        Ok(())
    }

    /// Prompts take no time on the simulated network, and nothing is reported.
    fn play(&self, call: CallId, _prompt: &str) -> Result<(), TelephonyError> {
        self.command(call, |sim, _| sim.on_line(call))
    }

    fn collect_digits(
        &self,
        call: CallId,
        max_digits: u8,
        timeout: Duration,
    ) -> Result<(), TelephonyError> {
        self.command(call, |sim, now| {
            sim.on_line(call)?;
            sim.collect_digits(now, max_digits, timeout);
            Ok(())
        })
    }

    /// Rings the agent's phone; the agent's model draws what the person does. Ringing an
    /// agent already on the call (ringing, picked up or connected) does nothing.
    fn ring_agent(
        &self,
        call: CallId,
        agent: AgentId,
        timeout: Duration,
    ) -> Result<(), TelephonyError> {
        self.open()?;
        let mut guard = self.shared.lock();
        let state = &mut *guard;
        let sim = state
            .calls
            .get_mut(&call)
            .ok_or(TelephonyError::UnknownCall(call))?;
        sim.on_line(call)?;
        let phone = state
            .agents
            .get_mut(&agent)
            .ok_or(TelephonyError::UnknownAgent(agent))?;
        let now = Instant::now();
        if sim.has_leg(now, agent) {
            return Ok(());
        }
        sim.ring(now, agent, timeout, phone.draw());
        sim.wake.notify_one();
        state.stats.rings += 1;
        Ok(())
    }

    /// Stops a ring, or hangs up the agent's picked-up phone if it was not yet bridged. An
    /// agent with no leg on the call, or already connected, is left alone.
    fn stop_ringing(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError> {
        self.open()?;
        let mut state = self.shared.lock();
        state.require_agent(agent)?;
        state.change(call, |sim, _| {
            sim.stop_ringing(agent);
            Ok(())
        })
    }

    fn bridge(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError> {
        self.open()?;
        let mut state = self.shared.lock();
        state.require_agent(agent)?;
        let firsts = state.change(call, |sim, now| sim.bridge(call, now, agent))?;
        state.stats.answered += u64::from(firsts.answer);
        state.stats.bridged += u64::from(firsts.bridge);
        Ok(())
    }

    /// The talk clock stops while the caller is on hold: the conversation is longer by the
    /// time on hold. The caller does not give up while on hold.
    fn hold(&self, call: CallId) -> Result<(), TelephonyError> {
        self.command(call, |sim, now| sim.hold(call, now))
    }

    fn resume(&self, call: CallId) -> Result<(), TelephonyError> {
        self.command(call, |sim, now| {
            sim.on_line(call)?;
            sim.resume(now);
            Ok(())
        })
    }

    /// Connects the agent to a conversation in progress (ringing the agent first is the
    /// system's choice); a caller on hold is taken off hold.
    fn conference(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError> {
        self.open()?;
        let mut state = self.shared.lock();
        state.require_agent(agent)?;
        state.change(call, |sim, now| sim.conference(call, now, agent))
    }

    /// Removes the agent's leg, whatever its state. A caller left with no agent waits again,
    /// with the patience drawn at arrival; the conversation left resumes at the next bridge.
    fn drop_agent(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError> {
        self.command(call, |sim, now| sim.drop_agent(call, now, agent))
    }

    /// Recording is a flag on the simulated network: no media is kept (the recorder
    /// listens through [`Telephony::audio`]). Recording a caller nobody is connected to is
    /// voicemail: the caller talks for their talk time, then hangs up.
    fn record(&self, call: CallId, on: bool) -> Result<(), TelephonyError> {
        let started = self.command(call, |sim, now| {
            sim.on_line(call)?;
            Ok(sim.record(now, on))
        })?;
        if started {
            self.shared.lock().stats.recordings += 1;
        }
        Ok(())
    }

    /// The call's synthesized audio ([`audio`]), a frame every 20 ms of tokio time from now
    /// until the call leaves the network. A recorder that falls behind holds the sender back
    /// (frames are never dropped); one that goes away ends the stream.
    fn audio(&self, call: CallId) -> Result<mpsc::Receiver<AudioFrame>, TelephonyError> {
        self.open()?;
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| TelephonyError::NoRuntime)?;
        if !self.is_live(call) {
            return Err(TelephonyError::UnknownCall(call));
        }
        let (sender, receiver) = mpsc::channel(64);
        let shared = self.shared.clone();
        runtime.spawn(async move {
            let start = Instant::now();
            for index in 0u64.. {
                let due = start + FRAME_TIME * u32::try_from(index + 1).unwrap_or(u32::MAX);
                sleep_until(due).await;
                let Some(phase) = shared.lock().calls.get(&call).map(SimCall::phase) else {
                    return;
                };
                if sender.send(audio::frame(index, phase)).await.is_err() {
                    return;
                }
            }
        });
        Ok(receiver)
    }

    /// Dials a caller back, by the number they called from: after [`CALLEE_ANSWER_DELAY`]
    /// they answer if their script says so (then wait for an agent with their patience, and
    /// talk for a second draw of their talk time), else it is `DialFailed { NoAnswer }` after
    /// [`CALLEE_NO_ANSWER_AFTER`]. A number no synthetic caller called from fails after
    /// [`DIAL_FAILURE_DELAY`], unless a campaign's script covers it ([`SimNetwork::add_lead`],
    /// [`SimNetwork::set_outbound`]): then busy, no answer, an answering machine (as AMD
    /// hears it) or a person, drawn from the script.
    fn originate(&self, call: CallId, number: &str) -> Result<(), TelephonyError> {
        self.open()?;
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| TelephonyError::NoRuntime)?;
        let wake = Arc::new(Notify::new());
        {
            let mut state = self.shared.lock();
            if state.calls.contains_key(&call) {
                return Err(TelephonyError::CallInProgress(call));
            }
            let now = Instant::now();
            let sim = match state.callees.get(number).copied() {
                Some(callee) if callee.answers => SimCall::outbound(
                    wake.clone(),
                    now + CALLEE_ANSWER_DELAY,
                    DialOutcome::Answered,
                    callee.patience,
                    callee.talk,
                ),
                Some(_) => SimCall::outbound(
                    wake.clone(),
                    now + CALLEE_NO_ANSWER_AFTER,
                    DialOutcome::Failed(DialFailure::NoAnswer),
                    Duration::ZERO,
                    Duration::ZERO,
                ),
                None => match state.leads.get(number).or(state.outbound.as_ref()).cloned() {
                    Some(script) => {
                        let mut rng = SmallRng::seed_from_u64(state.rng.random());
                        match script.draw(&mut rng) {
                            outbound::Drawn::Answers {
                                after,
                                patience,
                                talk,
                            } => SimCall::outbound(
                                wake.clone(),
                                now + after,
                                DialOutcome::Answered,
                                patience,
                                talk,
                            ),
                            outbound::Drawn::Fails { after, reason } => SimCall::outbound(
                                wake.clone(),
                                now + after,
                                DialOutcome::Failed(reason),
                                Duration::ZERO,
                                Duration::ZERO,
                            ),
                        }
                    }
                    None => SimCall::outbound(
                        wake.clone(),
                        now + DIAL_FAILURE_DELAY,
                        DialOutcome::Failed(DialFailure::Failed),
                        Duration::ZERO,
                        Duration::ZERO,
                    ),
                },
            };
            state.stats.dials += 1;
            state.insert(call, sim);
        }
        runtime.spawn(run_call(self.shared.clone(), call, wake));
        Ok(())
    }

    /// Ends the call for everyone on it; nothing is reported, and no report still due for it
    /// will come.
    fn hang_up(&self, call: CallId) -> Result<(), TelephonyError> {
        self.open()?;
        let mut state = self.shared.lock();
        state.end(call).ok_or(TelephonyError::UnknownCall(call))?;
        state.stats.ended_by_system += 1;
        Ok(())
    }

    fn is_live(&self, call: CallId) -> bool {
        self.shared.lock().calls.contains_key(&call)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the table as consistent as the step that
        // panicked did; the simulation is better served going on than poisoning every call.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn call(&mut self, call: CallId) -> Result<&mut SimCall, TelephonyError> {
        self.calls
            .get_mut(&call)
            .ok_or(TelephonyError::UnknownCall(call))
    }

    fn require_agent(&self, agent: AgentId) -> Result<(), TelephonyError> {
        if self.agents.contains_key(&agent) {
            Ok(())
        } else {
            Err(TelephonyError::UnknownAgent(agent))
        }
    }

    fn insert(&mut self, call: CallId, sim: SimCall) {
        *self.stats.gauge(sim.phase()) += 1;
        if let Some(old) = self.calls.insert(call, sim) {
            // Two calls drew the same 122 random bits: the older one is lost.
            tracing::error!(%call, "call id drawn twice");
            *self.stats.gauge(old.phase()) -= 1;
            old.wake.notify_one();
        }
    }

    /// Takes the call off the network and wakes its task, which then ends.
    fn end(&mut self, call: CallId) -> Option<SimCall> {
        let sim = self.calls.remove(&call)?;
        *self.stats.gauge(sim.phase()) -= 1;
        sim.wake.notify_one();
        Some(sim)
    }

    /// Applies a command's change to a live call, keeping the live counts right and waking
    /// the call's task, whose next deadline may have moved.
    fn change<R>(
        &mut self,
        call: CallId,
        change: impl FnOnce(&mut SimCall, Instant) -> Result<R, TelephonyError>,
    ) -> Result<R, TelephonyError> {
        let sim = self
            .calls
            .get_mut(&call)
            .ok_or(TelephonyError::UnknownCall(call))?;
        let before = sim.phase();
        let result = change(sim, Instant::now());
        self.stats.moved(before, sim.phase());
        sim.wake.notify_one();
        result
    }

    /// Does what is due on the call by `now`, collecting its reports in `out`.
    fn fire(&mut self, call: CallId, now: Instant, out: &mut Vec<NetworkReport>) {
        let Some(sim) = self.calls.get_mut(&call) else {
            return;
        };
        let before = sim.phase();
        if sim.fire(call, now, &mut self.stats, out) {
            *self.stats.gauge(before) -= 1;
            self.calls.remove(&call);
        } else {
            self.stats.moved(before, sim.phase());
        }
    }
}

impl SimAgent {
    /// What the person does with a ring, and after how long; `None`: lets it ring out.
    fn draw(&mut self) -> Option<(Duration, RingOutcome)> {
        let picks_up = self.rng.random::<f64>() < self.model.answer_probability;
        let delay = self.model.answer_delay.sample(&mut self.rng);
        if picks_up {
            Some((delay, RingOutcome::Answers))
        } else if self.rng.random::<f64>() < DECLINE_SHARE {
            Some((delay, RingOutcome::Declines))
        } else {
            None
        }
    }
}

/// One call's task: sleeps until the next thing due on the call or until a command wakes
/// it, does what is due and sends the reports; ends with the call.
async fn run_call(shared: Arc<Shared>, call: CallId, wake: Arc<Notify>) {
    let mut out = Vec::new();
    loop {
        let next = match shared.lock().calls.get(&call) {
            Some(sim) => sim.next_deadline(),
            None => return,
        };
        match next {
            // Biased: tokio's random branch choice would make runs differ.
            Some(at) => tokio::select! {
                biased;
                () = wake.notified() => {}
                () = sleep_until(at) => {}
            },
            None => wake.notified().await,
        }
        shared.lock().fire(call, Instant::now(), &mut out);
        for report in out.drain(..) {
            if shared.reports.send(report).await.is_err() {
                shared.lock().end(call);
                return;
            }
        }
    }
}

/// The id of the network's `n`-th call, the rest of its bits from the network's seeded
/// generator (`CallId::generate` reads the system clock, which would make runs differ).
/// `n` comes first, so that ids increase as calls are placed, as production's time-ordered
/// (v7) ids do: the log's index of stream names then grows at its end, where random ids
/// sent each new call's stream to another page of it. Laid out as a custom (version 8)
/// UUID, so that no one takes it for a time-ordered or random one.
fn call_id(n: u64, rng: &mut StdRng) -> CallId {
    let bits: u128 = rng.random();
    let bits =
        (bits & !(u128::from(u64::MAX >> 16) << 80)) | (u128::from(n & (u64::MAX >> 16)) << 80);
    let bits = (bits & !(0xF << 76)) | (0x8 << 76);
    let bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    let text = format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        bits >> 96,
        (bits >> 80) & 0xFFFF,
        (bits >> 64) & 0xFFFF,
        (bits >> 48) & 0xFFFF,
        bits & 0xFFFF_FFFF_FFFF
    );
    text.parse()
        .expect("128 bits formatted as a UUID always parse as one")
}

/// Names the script field a distribution error is about.
fn within(field: &'static str, result: Result<(), DistError>) -> Result<(), DistError> {
    result.map_err(|error| DistError::Field {
        field,
        error: Box::new(error),
    })
}

#[cfg(test)]
mod tests;
