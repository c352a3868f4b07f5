//! The campaign's ractor shell: the one writer of `campaign-<id>`, and the dialer.
//!
//! It folds its stream at start, then runs every command through the pure core (decide,
//! append with the expected version, evolve, act): an operator's start / pause / resume /
//! stop and list changes, and its own dials and outcomes. **Every decision is an event
//! before it is an act**: `attempt_dialed` is durable before the network dials,
//! `attempt_ended` (connected, abandoned, busy…) before the abandoned call is dropped.
//!
//! While the campaign runs, the shell paces (on every outcome and on a one-second tick):
//! - **predictive**: the pacing core ([`super::pacing::Pacer`]) says how many lines to add
//!   from the floor it is shown (free agents, how long each busy agent has been on its
//!   campaign call, how long each line has rung, the people answered and not yet
//!   connected);
//! - **progressive**: one line per free agent not already covered by a line in flight;
//! - **preview**: nothing by itself; an agent asks for a lead ([`CampaignMsg::Preview`])
//!   and dials it ([`CampaignMsg::DialPreview`]).
//!
//! Which lead is the core's `next_lead` (appointments for their agent when that agent is
//! free, calling windows in the lead's zones, the do-not-call list), and `Dial` checks the
//! list and the window once more at the moment of dialing.
//!
//! A line a person answered becomes a call of the center: a call actor is started on the
//! campaign's number (whose queue holds the campaign's agents) and the router and the
//! agents connect it as they do any call; an appointment's or a preview's own agent is
//! asked to take it first. Two seconds (the grace period) after the answer the shell asks
//! the call whether an agent took it: if so the attempt is `connected`, else `abandoned`
//! (the regulations' definition) and the call is ended. Busy, no answer, an answering
//! machine (as the network's AMD hears it) or a failure end the attempt with that outcome,
//! and the core's retry rule schedules the lead again or closes it.
//!
//! The pacer's measurements (answer rate, time to answer, handle times, the abandon
//! window) live in memory: a restarted shell starts them afresh and dials progressively
//! until it has seen enough answers again, which is the safe side.

use std::collections::HashMap;
use std::time::Duration;

use hotline_events::{
    AgentId, AttemptOutcome, CallEvent, CallId, CampaignEvent, CampaignId, Channel, DialMode,
    Event, QueueId, Timestamp,
};
use hotline_media::{DialFailure, NetworkReport};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use super::pacing::{Attempt, Floor, Pacer, PacingConfig};
use super::{Campaign, CampaignCommand, CampaignState, Lead, Status};
use crate::agent::Presence;
use crate::agent::actor::AgentMsg;
use crate::call::CallCommand;
use crate::call::actor::CallMsg;
use crate::center::{CallSpawner, CommandError, Services};
use crate::store::{self, Versioned};

impl Versioned for CampaignState {
    fn version(&self) -> u64 {
        self.version
    }

    fn set_version(&mut self, version: u64) {
        self.version = version;
    }
}

/// What the dialer of one campaign needs from the center.
#[derive(Debug, Clone)]
pub struct CampaignRun {
    pub campaign: CampaignId,
    /// The center's number an answered line arrives on: its queue holds the campaign's
    /// agents.
    pub number: String,
    /// That number's queue: the agents in it are the campaign's floor.
    pub queue: QueueId,
    /// How long an agent's phone rings for a preview's or an appointment's own call.
    pub ring_timeout_ms: u64,
}

/// The messages of a campaign's actor.
#[derive(Debug)]
pub enum CampaignMsg {
    /// An operator's, an import's or an agent's command (dispositions too).
    Command(
        CampaignCommand,
        Option<RpcReplyPort<Result<(), CommandError>>>,
    ),
    /// A report about a line this campaign dialed, not yet answered.
    Network(NetworkReport),
    /// The grace period after a person answered `call` is over.
    Grace {
        call: CallId,
    },
    /// Pace again (sent every second while the campaign runs).
    Tick,
    /// Preview mode: the lead `agent` would dial next, for the agent's screen.
    Preview {
        agent: AgentId,
        reply: RpcReplyPort<Option<Lead>>,
    },
    /// Preview mode: `agent` saw `lead` and dials it.
    DialPreview {
        agent: AgentId,
        lead: hotline_events::LeadId,
        reply: RpcReplyPort<Result<CallId, CommandError>>,
    },
    State(RpcReplyPort<CampaignState>),
    Figures(RpcReplyPort<DialerFigures>),
}

/// What the dialer did since its actor started, for reports and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DialerFigures {
    /// Pacing decisions taken (predictive and progressive).
    pub decisions: u64,
    /// Wall-clock time spent in the predictive pacer's decisions, in nanoseconds.
    pub decide_nanos: u64,
    /// Lines dialed.
    pub dialed: u64,
    /// Dials the core refused at the last moment (`dial_blocked`).
    pub blocked: u64,
}

/// A line dialed and not yet answered or failed.
#[derive(Debug, Clone, Copy)]
struct Line {
    lead: hotline_events::LeadId,
    at: Timestamp,
    /// The agent the call is for (a preview's, an appointment's).
    agent: Option<AgentId>,
}

/// A person answered `call` at `at`; the grace period runs.
#[derive(Debug, Clone, Copy)]
struct Answer {
    lead: hotline_events::LeadId,
    at: Timestamp,
    answer_secs: f64,
}

/// The actor; one per running campaign.
#[derive(Debug)]
pub struct CampaignActor;

/// The actor's state: the fold of its stream, the pacer, and the lines it has out.
#[derive(Debug)]
pub struct CampaignShell {
    id: CampaignId,
    run: CampaignRun,
    state: CampaignState,
    services: Services,
    spawner: CallSpawner,
    pacer: Pacer,
    lines: HashMap<CallId, Line>,
    answers: HashMap<CallId, Answer>,
    /// Agents on a campaign call: the call, and when it connected (handle time from here).
    on_call: HashMap<AgentId, (CallId, Timestamp)>,
    ticking: bool,
    figures: DialerFigures,
    /// The agent the dial being decided is for, until its `attempt_dialed` is acted on.
    last_dial_agent: Option<AgentId>,
}

impl Actor for CampaignActor {
    type Msg = CampaignMsg;
    type State = CampaignShell;
    type Arguments = (CampaignRun, Services, CallSpawner);

    async fn pre_start(
        &self,
        myself: ActorRef<CampaignMsg>,
        (run, services, spawner): (CampaignRun, Services, CallSpawner),
    ) -> Result<CampaignShell, ActorProcessingErr> {
        let id = run.campaign;
        let state = store::load::<Campaign>(services.log.as_ref(), &id.stream(), |e| match e {
            Event::Campaign(c) => Some(c),
            _ => None,
        })
        .await?;
        let pacer = Pacer::new(pacing_config(&state));
        services.directory.set_campaign(id, myself.clone());
        let mut shell = CampaignShell {
            id,
            run,
            state,
            services,
            spawner,
            pacer,
            lines: HashMap::new(),
            answers: HashMap::new(),
            on_call: HashMap::new(),
            ticking: false,
            figures: DialerFigures::default(),
            last_dial_agent: None,
        };
        shell.start_ticking(&myself);
        Ok(shell)
    }

    async fn post_stop(
        &self,
        myself: ActorRef<CampaignMsg>,
        shell: &mut CampaignShell,
    ) -> Result<(), ActorProcessingErr> {
        shell.services.directory.remove_campaign(shell.id, &myself);
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<CampaignMsg>,
        msg: CampaignMsg,
        shell: &mut CampaignShell,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CampaignMsg::Command(cmd, reply) => {
                let result = shell.run(&myself, cmd).await?;
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            CampaignMsg::Network(report) => {
                shell.on_report(&myself, report).await?;
                shell.pace(&myself).await?;
            }
            CampaignMsg::Grace { call } => {
                shell.grace_over(&myself, call).await?;
                shell.pace(&myself).await?;
            }
            CampaignMsg::Tick => {
                if shell.state.status == Status::Running {
                    shell.pace(&myself).await?;
                    myself.send_after(TICK, || CampaignMsg::Tick);
                } else {
                    shell.ticking = false;
                }
            }
            CampaignMsg::Preview { agent, reply } => {
                let now = shell.services.clock.now();
                let lead = (shell.state.status == Status::Running)
                    .then(|| shell.state.next_lead(now, &[agent]))
                    .flatten()
                    .and_then(|next| shell.state.leads.get(&next.lead).cloned());
                let _ = reply.send(lead);
            }
            CampaignMsg::DialPreview { agent, lead, reply } => {
                let call = CallId::generate();
                let cmd = CampaignCommand::Dial {
                    lead,
                    call,
                    agent: Some(agent),
                };
                shell.last_dial_agent = Some(agent);
                let result = shell.run(&myself, cmd).await?;
                shell.last_dial_agent = None;
                let _ = reply.send(result.and_then(|()| {
                    if shell.lines.contains_key(&call) {
                        Ok(call)
                    } else {
                        Err(CommandError::Rejected(
                            "the lead was not dialed: it is outside its calling hours or on the do-not-call list (its dial_blocked event says which)".into(),
                        ))
                    }
                }));
            }
            CampaignMsg::State(reply) => {
                let _ = reply.send(shell.state.clone());
            }
            CampaignMsg::Figures(reply) => {
                let _ = reply.send(shell.figures);
            }
        }
        Ok(())
    }
}

/// How often a running campaign paces when nothing else happens.
const TICK: Duration = Duration::from_secs(1);

fn pacing_config(state: &CampaignState) -> PacingConfig {
    PacingConfig {
        max_abandon_rate: state.settings.max_abandon_rate,
        ..PacingConfig::default()
    }
}

fn outcome_of(reason: DialFailure) -> AttemptOutcome {
    match reason {
        DialFailure::Busy => AttemptOutcome::Busy,
        DialFailure::NoAnswer => AttemptOutcome::NoAnswer,
        DialFailure::AnsweringMachine => AttemptOutcome::AnsweringMachine,
        DialFailure::Failed => AttemptOutcome::Failed,
    }
}

fn secs_between(later: Timestamp, earlier: Timestamp) -> f64 {
    later.millis_since(earlier) as f64 / 1000.0
}

impl CampaignShell {
    fn start_ticking(&mut self, myself: &ActorRef<CampaignMsg>) {
        if self.state.status == Status::Running && !self.ticking {
            self.ticking = true;
            let _ = myself.cast(CampaignMsg::Tick);
        }
    }

    /// Decide, append, evolve, act. A rejection is the command's answer; a log error fails
    /// the actor.
    async fn run(
        &mut self,
        myself: &ActorRef<CampaignMsg>,
        cmd: CampaignCommand,
    ) -> Result<Result<(), CommandError>, ActorProcessingErr> {
        let now = self.services.clock.now();
        let (log, stream) = (self.services.log.as_ref(), self.id.stream());
        let decided =
            store::decide_and_record::<Campaign>(log, &stream, &mut self.state, &cmd, now);
        let events = match decided.await? {
            Ok(events) => events,
            Err(rejection) => {
                tracing::debug!(campaign = %self.id, ?cmd, %rejection, "campaign command refused");
                return Ok(Err(CommandError::Rejected(rejection.to_string())));
            }
        };
        for e in &events {
            self.act(myself, e, now);
        }
        Ok(Ok(()))
    }

    /// The effects of one durable event.
    fn act(&mut self, myself: &ActorRef<CampaignMsg>, e: &CampaignEvent, now: Timestamp) {
        match e {
            CampaignEvent::Started | CampaignEvent::Resumed => self.start_ticking(myself),
            CampaignEvent::Configured(_) => {
                self.pacer = Pacer::new(pacing_config(&self.state));
            }
            CampaignEvent::AttemptDialed {
                lead, call, number, ..
            } => {
                self.figures.dialed += 1;
                let agent = self.last_dial_agent.take();
                self.lines.insert(
                    *call,
                    Line {
                        lead: *lead,
                        at: now,
                        agent,
                    },
                );
                self.services.directory.set_dialing(*call, myself.clone());
                if let Err(error) = self.services.telephony.originate(*call, number) {
                    tracing::warn!(campaign = %self.id, %call, %error, "the network refused a dial");
                    let report = NetworkReport::DialFailed {
                        call: *call,
                        reason: DialFailure::Failed,
                    };
                    let _ = myself.cast(CampaignMsg::Network(report));
                }
            }
            CampaignEvent::DialBlocked { .. } => self.figures.blocked += 1,
            CampaignEvent::AttemptEnded {
                call,
                outcome: AttemptOutcome::Abandoned,
                ..
            } => {
                // The regulations want a message to the person before the line drops.
                let _ = self
                    .services
                    .telephony
                    .play(*call, "campaign-abandon-message");
                if let Some(actor) = self.services.directory.call(*call) {
                    let end = CallCommand::End {
                        reason: hotline_events::EndReason::Abandoned,
                    };
                    let _ = actor.cast(CallMsg::Command(end, None));
                } else {
                    let _ = self.services.telephony.hang_up(*call);
                }
            }
            _ => {}
        }
    }

    async fn on_report(
        &mut self,
        myself: &ActorRef<CampaignMsg>,
        report: NetworkReport,
    ) -> Result<(), ActorProcessingErr> {
        let call = report.call();
        let Some(line) = self.lines.get(&call).copied() else {
            // Handed over meanwhile: the call's actor takes it from here.
            if let Some(actor) = self.services.directory.call(call) {
                let _ = actor.cast(CallMsg::Network(report));
            }
            return Ok(());
        };
        let now = self.services.clock.now();
        match report {
            NetworkReport::CalleeAnswered { .. } => {
                self.lines.remove(&call);
                let phone = self
                    .state
                    .leads
                    .get(&line.lead)
                    .map(|l| l.phone.clone())
                    .unwrap_or_default();
                self.answers.insert(
                    call,
                    Answer {
                        lead: line.lead,
                        at: now,
                        answer_secs: secs_between(now, line.at),
                    },
                );
                // Before the call's actor starts: its answer looks the campaign up for the
                // recording rule.
                (self.services.directory).set_campaign_call(call, self.state.name.clone());
                if let Err(error) = self
                    .spawner
                    .arrive(call, self.run.number.clone(), phone, Channel::Voice)
                    .await
                {
                    self.services.directory.forget_campaign_call(call);
                    tracing::error!(campaign = %self.id, %call, %error, "an answered line got no call actor");
                }
                self.services.directory.remove_dialing(call);
                if let Some(actor) = line.agent.and_then(|a| self.services.directory.agent(a)) {
                    let _ = actor.cast(AgentMsg::Reserve {
                        call,
                        queue: self.run.queue.clone(),
                        ring_timeout_ms: self.run.ring_timeout_ms,
                    });
                }
                let grace = Duration::from_secs_f64(self.pacer.config().grace_secs);
                myself.send_after(grace, move || CampaignMsg::Grace { call });
            }
            NetworkReport::DialFailed { reason, .. } => {
                self.end_line(myself, call, line, outcome_of(reason))
                    .await?;
            }
            NetworkReport::CallerHungUp { .. } => {
                self.end_line(myself, call, line, AttemptOutcome::NoAnswer)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// A line that reached no one ends with `outcome`.
    async fn end_line(
        &mut self,
        myself: &ActorRef<CampaignMsg>,
        call: CallId,
        line: Line,
        outcome: AttemptOutcome,
    ) -> Result<(), ActorProcessingErr> {
        self.lines.remove(&call);
        self.services.directory.remove_dialing(call);
        let now = self.services.clock.now();
        self.pacer.record_attempt(Attempt::NoPerson, now);
        let cmd = CampaignCommand::EndAttempt {
            lead: line.lead,
            call,
            outcome,
        };
        if let Err(error) = self.run(myself, cmd).await? {
            tracing::warn!(campaign = %self.id, %call, %error, "an attempt's end was refused");
        }
        Ok(())
    }

    /// Two seconds after a person answered: connected if an agent took the call, else
    /// abandoned (and the call is ended).
    async fn grace_over(
        &mut self,
        myself: &ActorRef<CampaignMsg>,
        call: CallId,
    ) -> Result<(), ActorProcessingErr> {
        let Some(answer) = self.answers.remove(&call) else {
            return Ok(());
        };
        // The call's own stream says whether an agent answered it: the actor may already
        // be gone (a short call ends within the grace period).
        let history = self.services.log.read_stream(&call.stream(), 1).await?;
        let taken = history.iter().find_map(|r| match r.event() {
            Event::Call(CallEvent::Answered { agent, .. }) => Some((r.occurred_at, agent)),
            _ => None,
        });
        let now = self.services.clock.now();
        let outcome = match taken {
            Some((at, agent)) => {
                self.on_call.insert(agent, (call, at));
                AttemptOutcome::Connected
            }
            None => AttemptOutcome::Abandoned,
        };
        self.pacer.record_attempt(
            Attempt::Person {
                answer_secs: answer.answer_secs,
                abandoned: outcome == AttemptOutcome::Abandoned,
            },
            answer.at.max(now),
        );
        let cmd = CampaignCommand::EndAttempt {
            lead: answer.lead,
            call,
            outcome,
        };
        if let Err(error) = self.run(myself, cmd).await? {
            tracing::warn!(campaign = %self.id, %call, %error, "an attempt's end was refused");
        }
        Ok(())
    }

    /// The campaign's agents as they are now: the free ones, and for each busy one the
    /// seconds since its call connected. Learns the handle time of each campaign call whose
    /// agent is free again.
    async fn floor(&mut self, now: Timestamp) -> (Vec<AgentId>, Vec<f64>) {
        let mut free = Vec::new();
        let mut busy = Vec::new();
        for entry in self.services.roster.list() {
            let Some(actor) = self.services.directory.agent(entry.id) else {
                continue;
            };
            let Ok(agent) = ractor::call!(actor, AgentMsg::State) else {
                continue;
            };
            if !agent.queues.contains(&self.run.queue) {
                continue;
            }
            let on_ours = match agent.presence {
                Presence::Busy { call }
                | Presence::WrappingUp { call, .. }
                | Presence::Reserved { call, .. } => Some(call),
                _ => None,
            };
            if let Some(&(call, since)) = self.on_call.get(&entry.id)
                && on_ours != Some(call)
            {
                // Its campaign call and the wrap-up after it are over.
                self.pacer.record_handle(secs_between(now, since));
                self.on_call.remove(&entry.id);
            }
            match agent.presence {
                Presence::Available => free.push(entry.id),
                Presence::Busy { .. } | Presence::WrappingUp { .. } | Presence::Reserved { .. } => {
                    let since = match self.on_call.get(&entry.id) {
                        Some(&(_, at)) => at,
                        None => agent.since.unwrap_or(now),
                    };
                    busy.push(secs_between(now, since));
                }
                Presence::LoggedOut | Presence::NotReady { .. } => {}
            }
        }
        (free, busy)
    }

    /// Dials as many lines as the campaign's mode says now.
    async fn pace(&mut self, myself: &ActorRef<CampaignMsg>) -> Result<(), ActorProcessingErr> {
        if self.state.status != Status::Running {
            return Ok(());
        }
        let mode = self.state.settings.dial_mode;
        if mode == DialMode::Preview {
            return Ok(());
        }
        let now = self.services.clock.now();
        let (mut free, busy) = self.floor(now).await;
        let ringing: Vec<f64> = self
            .lines
            .values()
            .map(|l| secs_between(now, l.at))
            .collect();
        let waiting = self.answers.len();
        self.figures.decisions += 1;
        let lines = match mode {
            DialMode::Progressive => free.len().saturating_sub(ringing.len() + waiting),
            DialMode::Predictive | DialMode::Preview => {
                let floor = Floor {
                    agents_free: u32::try_from(free.len()).unwrap_or(u32::MAX),
                    busy_for_secs: &busy,
                    ringing_for_secs: &ringing,
                    people_waiting: u32::try_from(waiting).unwrap_or(u32::MAX),
                };
                let started = std::time::Instant::now();
                let decision = self.pacer.decide(floor, now);
                self.figures.decide_nanos += started.elapsed().as_nanos() as u64;
                decision.dial as usize
            }
        };
        for _ in 0..lines {
            let Some(next) = self.state.next_lead(now, &free) else {
                break;
            };
            if let Some(agent) = next.agent {
                free.retain(|a| *a != agent);
            }
            let cmd = CampaignCommand::Dial {
                lead: next.lead,
                call: CallId::generate(),
                agent: next.agent,
            };
            self.last_dial_agent = next.agent;
            let result = self.run(myself, cmd).await?;
            self.last_dial_agent = None;
            if let Err(error) = result {
                tracing::debug!(campaign = %self.id, %error, "a dial was refused");
                break;
            }
        }
        if self.lines.is_empty() && self.answers.is_empty() && self.state.open_leads() == 0 {
            self.run(myself, CampaignCommand::Complete).await?.ok();
        }
        Ok(())
    }
}
