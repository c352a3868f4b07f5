//! The supervision tree of one contact center: a supervisor actor over the router, one
//! actor per agent and one per live call, and the switchboard that turns the network's
//! reports into messages to calls.
//!
//! ractor stops a supervisor when a child dies unless told otherwise, and has no restart
//! strategies of its own: the supervisor here respawns a failed child, which rebuilds its
//! state from its stream. A failed call does not disturb the others.
//!
//! At start, the center finds the calls the log says are still live (a stream with no
//! `ended`), respawns their actors and tells each to resume; the router folds its queue
//! streams and drops waiting calls that ended meanwhile. Agents start before the calls
//! resume: one the previous process left logged in is recorded out from that process's
//! last sign of life until now, then back in as it was. A respawn inside a running
//! process does neither: only the actor was lost, not the time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use hotline_events::{AgentEvent, AgentId, CallEvent, CallId, Event, StreamName, Timestamp};
use hotline_infra::config::CenterConfig;
use hotline_infra::{Clock, EventLog, LatencyHistogram, LogError};
use hotline_media::{NetworkReport, Telephony};
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use crate::agent::actor::{AgentActor, AgentMsg};
use crate::agent::{AgentCommand, AgentState};
use crate::call::actor::{CallActor, CallMsg};
use crate::call::{CallCommand, CallState};
use crate::campaign::actor::{CampaignActor, CampaignMsg, CampaignRun};
use crate::directory::Directory;
use crate::ivr::Flows;
use crate::recorder::lifecycle::{Recording, RecordingState};
use crate::roster::Roster;
use crate::router::actor::{RouterActor, RouterMsg};
use crate::store::CategoryFold;

/// What every actor of a center shares.
#[derive(Debug, Clone)]
pub struct Services {
    pub log: Arc<dyn EventLog>,
    pub telephony: Arc<dyn Telephony>,
    pub clock: Clock,
    pub config: Arc<CenterConfig>,
    pub directory: Directory,
    /// The agents on the roster, as their actors report them.
    pub roster: Roster,
    /// The IVR flows numbers run, and their lookup sources.
    pub flows: Flows,
    /// Records answered calls as the configuration's policy says (none by default).
    pub recorder: crate::recorder::Recorder,
    /// Wall-clock time from a routing decision becoming due (a call queued, an agent
    /// free) to the router having appended it durably and acted on it (the agents told to
    /// reserve). Recorded by the router for each `agents_selected` and `call_overflowed`.
    pub routing_latency: Arc<LatencyHistogram>,
}

/// Why a command to an entity did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The entity's rules refused it (the text says which rule).
    #[error("{0}")]
    Rejected(String),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("the center is stopping")]
    Stopped,
}

/// Why a center could not start.
#[derive(Debug, thiserror::Error)]
pub enum CenterError {
    #[error("reading the event log: {0}")]
    Log(#[from] LogError),
    #[error("starting the actors: {0}")]
    Spawn(String),
}

/// Which entity a supervised actor is, to respawn the right one.
#[derive(Debug, Clone, Copy)]
enum Entity {
    Router,
    Agent(AgentId),
    Call(CallId),
}

#[derive(Debug)]
enum SupervisorMsg {
    /// Spawn `entity`'s actor, then give it `first`; answers once it is running.
    /// `lost_at`: for an agent a start spawns, the last sign of life of the process
    /// before (see [`crate::agent::actor::AgentArgs`]).
    Spawn {
        entity: Entity,
        first: Option<CallMsg>,
        lost_at: Option<Timestamp>,
        reply: RpcReplyPort<Result<(), String>>,
    },
    /// The center is stopping: children that stop now are not restarted.
    Stopping(RpcReplyPort<()>),
}

#[derive(Debug)]
struct Supervisor;

#[derive(Debug)]
struct SupervisorState {
    services: Services,
    children: HashMap<ractor::ActorId, Entity>,
    seed: u64,
    stopping: bool,
}

impl SupervisorState {
    async fn spawn(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        entity: Entity,
        lost_at: Option<Timestamp>,
    ) -> Result<ActorCell, ActorProcessingErr> {
        let services = self.services.clone();
        let cell = match entity {
            Entity::Router => {
                let (r, _) = Actor::spawn_linked(
                    None,
                    RouterActor,
                    (services, self.seed),
                    myself.get_cell(),
                )
                .await?;
                r.get_cell()
            }
            Entity::Agent(id) => {
                let args = (id, services, lost_at);
                let (a, _) = Actor::spawn_linked(None, AgentActor, args, myself.get_cell()).await?;
                a.get_cell()
            }
            Entity::Call(id) => {
                let (c, _) =
                    Actor::spawn_linked(None, CallActor, (id, services), myself.get_cell()).await?;
                c.get_cell()
            }
        };
        self.children.insert(cell.get_id(), entity);
        Ok(cell)
    }
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = (Services, u64);

    async fn pre_start(
        &self,
        _myself: ActorRef<SupervisorMsg>,
        (services, seed): (Services, u64),
    ) -> Result<SupervisorState, ActorProcessingErr> {
        Ok(SupervisorState {
            services,
            children: HashMap::new(),
            seed,
            stopping: false,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        msg: SupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            SupervisorMsg::Spawn {
                entity,
                first,
                lost_at,
                reply,
            } => {
                // One actor per agent: two registrations of a new agent at once may both
                // ask for its actor; the supervisor, one message at a time, starts one.
                if let Entity::Agent(id) = entity
                    && state.services.directory.agent(id).is_some()
                {
                    let _ = reply.send(Ok(()));
                    return Ok(());
                }
                let result = match state.spawn(&myself, entity, lost_at).await {
                    Ok(cell) => {
                        if let Some(m) = first {
                            let _ = ActorRef::<CallMsg>::from(cell).cast(m);
                        }
                        Ok(())
                    }
                    Err(error) => {
                        tracing::error!(?entity, %error, "actor did not start");
                        Err(error.to_string())
                    }
                };
                let _ = reply.send(result);
            }
            SupervisorMsg::Stopping(reply) => {
                state.stopping = true;
                let _ = reply.send(());
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<SupervisorMsg>,
        event: SupervisionEvent,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        let (cell, why) = match event {
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                let ended = reason.as_deref() == Some(crate::call::actor::ENDED);
                if ended || state.stopping {
                    state.children.remove(&cell.get_id());
                    return Ok(());
                }
                (cell, reason.unwrap_or_else(|| "stopped".to_owned()))
            }
            SupervisionEvent::ActorFailed(cell, error) => (cell, error.to_string()),
            _ => return Ok(()),
        };
        let Some(entity) = state.children.remove(&cell.get_id()) else {
            return Ok(());
        };
        if state.stopping {
            return Ok(());
        }
        tracing::warn!(?entity, %why, "actor failed; restarting it from its stream");
        // No `lost_at`: only the actor was lost, not the process; an agent's time runs on.
        match state.spawn(&myself, entity, None).await {
            Ok(cell) => {
                if let Entity::Call(_) = entity {
                    // Only the actor was lost, not the process: the call's time runs on.
                    let _ = ActorRef::<CallMsg>::from(cell).cast(CallMsg::Resume { lost_at: None });
                }
            }
            Err(error) => tracing::error!(?entity, %error, "restart failed"),
        }
        Ok(())
    }
}

/// A running contact center.
#[derive(Debug)]
pub struct Center {
    services: Services,
    supervisor: ActorRef<SupervisorMsg>,
    switchboard: JoinHandle<()>,
    reports: Arc<Mutex<mpsc::Receiver<NetworkReport>>>,
}

impl Center {
    /// Starts the actors on `log` and `telephony`, resuming whatever the log says is live.
    /// `seed` makes the router's random strategies repeatable.
    pub async fn start(
        config: CenterConfig,
        log: Arc<dyn EventLog>,
        telephony: Arc<dyn Telephony>,
        reports: mpsc::Receiver<NetworkReport>,
        clock: Clock,
        seed: u64,
    ) -> Result<Center, CenterError> {
        let flows = Flows::default();
        Center::start_with_flows(config, flows, log, telephony, reports, clock, seed).await
    }

    /// [`Center::start`] with IVR `flows`: calls to their numbers run them before queueing.
    pub async fn start_with_flows(
        config: CenterConfig,
        flows: Flows,
        log: Arc<dyn EventLog>,
        telephony: Arc<dyn Telephony>,
        reports: mpsc::Receiver<NetworkReport>,
        clock: Clock,
        seed: u64,
    ) -> Result<Center, CenterError> {
        let recorder = crate::recorder::Recorder::default();
        Center::start_recording(
            config, flows, recorder, log, telephony, reports, clock, seed,
        )
        .await
    }

    /// [`Center::start_with_flows`] with a `recorder`: answered calls are recorded as the
    /// configuration's `[recording]` policy says.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_recording(
        config: CenterConfig,
        flows: Flows,
        recorder: crate::recorder::Recorder,
        log: Arc<dyn EventLog>,
        telephony: Arc<dyn Telephony>,
        reports: mpsc::Receiver<NetworkReport>,
        clock: Clock,
        seed: u64,
    ) -> Result<Center, CenterError> {
        let services = Services {
            recorder,
            log,
            telephony,
            clock,
            config: Arc::new(config),
            directory: Directory::default(),
            roster: Roster::default(),
            flows,
            routing_latency: Arc::default(),
        };
        let Scan {
            live,
            registered,
            recordings,
            lost_at,
        } = scan(services.log.as_ref()).await?;
        // Recordings the last process left running died with it: say so on their streams.
        let recorder = services.recorder.clone();
        let failed = crate::recorder::recover::recover(
            services.log.as_ref(),
            recordings,
            services.clock.now(),
            |call| recorder.is_recording(call),
        )
        .await?;
        if !failed.is_empty() {
            tracing::warn!(
                count = failed.len(),
                "recordings left unfinished by the last process marked failed"
            );
        }
        let (supervisor, _) = Actor::spawn(None, Supervisor, (services.clone(), seed))
            .await
            .map_err(|e| CenterError::Spawn(e.to_string()))?;
        // The router first, so that agents and calls find it when they report.
        spawn(&supervisor, Entity::Router, None, None).await?;
        // Each agent is logged out for the downtime (and back in) before any call resumes.
        for a in &services.config.agents {
            spawn(&supervisor, Entity::Agent(a.id), None, lost_at).await?;
        }
        // Then those registered over the API (a removed one reports itself off the roster).
        for id in registered {
            if !services.config.agents.iter().any(|a| a.id == id) {
                spawn(&supervisor, Entity::Agent(id), None, lost_at).await?;
            }
        }
        if let Some(router) = services.directory.router() {
            let _ = router.cast(RouterMsg::Reconcile { live: live.clone() });
        }
        for call in live {
            let resume = CallMsg::Resume { lost_at };
            spawn(&supervisor, Entity::Call(call), Some(resume), None).await?;
        }
        let reports = Arc::new(Mutex::new(reports));
        let switchboard = tokio::spawn(switchboard(
            reports.clone(),
            services.directory.clone(),
            supervisor.clone(),
        ));
        Ok(Center {
            services,
            supervisor,
            switchboard,
            reports,
        })
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The agents on the roster: the file's, then those registered, less those removed.
    pub fn roster(&self) -> Vec<crate::roster::Entry> {
        self.services.roster.list()
    }

    /// Adds an agent to the roster: starts its actor if it has none (a new agent, or one
    /// removed before this start), then has it register. The agent's stream decides: a
    /// second registration of the same id is refused there.
    pub async fn register_agent(
        &self,
        agent: AgentId,
        profile: crate::agent::Profile,
        by: String,
    ) -> Result<(), CommandError> {
        if self.services.directory.agent(agent).is_none() {
            spawn(&self.supervisor, Entity::Agent(agent), None, None)
                .await
                .map_err(|_| CommandError::Stopped)?;
        }
        self.agent(agent, AgentCommand::Register { profile, by })
            .await
    }

    /// Starts the dialer of `run`'s campaign (its actor folds the campaign's stream and
    /// dials while the campaign runs). Linked to the supervisor, so it stops with the
    /// center; a failed campaign actor is not restarted (start it again).
    pub async fn start_campaign(
        &self,
        run: CampaignRun,
    ) -> Result<ActorRef<CampaignMsg>, CenterError> {
        if let Some(running) = self.services.directory.campaign(run.campaign) {
            return Ok(running);
        }
        let spawner = CallSpawner(self.supervisor.clone());
        let (actor, _) = Actor::spawn_linked(
            None,
            CampaignActor,
            (run, self.services.clone(), spawner),
            self.supervisor.get_cell(),
        )
        .await
        .map_err(|e| CenterError::Spawn(e.to_string()))?;
        Ok(actor)
    }

    /// Runs `cmd` on a campaign's actor (started with [`Center::start_campaign`]).
    pub async fn campaign(
        &self,
        campaign: hotline_events::CampaignId,
        cmd: crate::campaign::CampaignCommand,
    ) -> Result<(), CommandError> {
        let actor = self
            .services
            .directory
            .campaign(campaign)
            .ok_or(CommandError::NotFound("running campaign"))?;
        ractor::call!(actor, |reply| CampaignMsg::Command(cmd, Some(reply)))
            .map_err(|_| CommandError::Stopped)?
    }

    /// A running campaign's state, as its actor folded it.
    pub async fn campaign_state(
        &self,
        campaign: hotline_events::CampaignId,
    ) -> Option<crate::campaign::CampaignState> {
        let actor = self.services.directory.campaign(campaign)?;
        ractor::call!(actor, CampaignMsg::State).ok()
    }

    /// Preview mode: the lead `agent` would dial next on a running campaign, for the
    /// agent's screen (`None`: nothing to dial now).
    pub async fn preview(
        &self,
        campaign: hotline_events::CampaignId,
        agent: AgentId,
    ) -> Result<Option<crate::campaign::Lead>, CommandError> {
        let actor = self
            .services
            .directory
            .campaign(campaign)
            .ok_or(CommandError::NotFound("running campaign"))?;
        ractor::call!(actor, |reply| CampaignMsg::Preview { agent, reply })
            .map_err(|_| CommandError::Stopped)
    }

    /// Preview mode: `agent` saw `lead` and dials it; the call placed, whose answer rings
    /// that agent first.
    pub async fn dial_preview(
        &self,
        campaign: hotline_events::CampaignId,
        agent: AgentId,
        lead: hotline_events::LeadId,
    ) -> Result<CallId, CommandError> {
        let actor = self
            .services
            .directory
            .campaign(campaign)
            .ok_or(CommandError::NotFound("running campaign"))?;
        ractor::call!(actor, |reply| CampaignMsg::DialPreview {
            agent,
            lead,
            reply
        })
        .map_err(|_| CommandError::Stopped)?
    }

    /// What a running campaign's dialer did since its actor started.
    pub async fn dialer_figures(
        &self,
        campaign: hotline_events::CampaignId,
    ) -> Option<crate::campaign::actor::DialerFigures> {
        let actor = self.services.directory.campaign(campaign)?;
        ractor::call!(actor, CampaignMsg::Figures).ok()
    }

    /// The latency of the router's decisions since the center started (see
    /// [`Services::routing_latency`]); shared, so a reader sees it move.
    pub fn routing_latency(&self) -> Arc<LatencyHistogram> {
        self.services.routing_latency.clone()
    }

    /// Runs `cmd` on `agent`'s actor and answers with its outcome.
    pub async fn agent(&self, agent: AgentId, cmd: AgentCommand) -> Result<(), CommandError> {
        let actor = self
            .services
            .directory
            .agent(agent)
            .ok_or(CommandError::NotFound("agent"))?;
        ractor::call!(actor, |reply| AgentMsg::Command(cmd, Some(reply)))
            .map_err(|_| CommandError::Stopped)?
    }

    /// Runs `cmd` on a live call's actor and answers with its outcome.
    pub async fn call(&self, call: CallId, cmd: CallCommand) -> Result<(), CommandError> {
        let actor = self
            .services
            .directory
            .call(call)
            .ok_or(CommandError::NotFound("live call"))?;
        ractor::call!(actor, |reply| CallMsg::Command(cmd, Some(reply)))
            .map_err(|_| CommandError::Stopped)?
    }

    pub async fn agent_state(&self, agent: AgentId) -> Option<AgentState> {
        let actor = self.services.directory.agent(agent)?;
        ractor::call!(actor, AgentMsg::State).ok()
    }

    /// A live call's state (`None` once it ended and its actor stopped).
    pub async fn call_state(&self, call: CallId) -> Option<CallState> {
        let actor = self.services.directory.call(call)?;
        ractor::call!(actor, CallMsg::State).ok()
    }

    pub fn live_calls(&self) -> Vec<CallId> {
        let mut calls = self.services.directory.calls();
        calls.sort();
        calls
    }

    /// The calls waiting in each queue, in the order they will be served.
    pub async fn waiting(&self) -> Vec<(hotline_events::QueueId, Vec<CallId>)> {
        match self.services.directory.router() {
            Some(r) => ractor::call!(r, RouterMsg::Waiting).unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Stops every actor at once, as a crash would (messages in flight are lost), and
    /// hands back the network's report channel so a new center can take the line over.
    pub async fn kill(self) -> mpsc::Receiver<NetworkReport> {
        self.switchboard.abort();
        let _ = self.switchboard.await;
        // Not a fault to recover from: the whole center goes down at once.
        let _ = ractor::call!(self.supervisor, SupervisorMsg::Stopping);
        for cell in self.services.directory.all_cells() {
            cell.kill();
        }
        self.supervisor.kill();
        let _ = self.supervisor.get_cell().kill_and_wait(None).await;
        match Arc::try_unwrap(self.reports) {
            Ok(m) => m.into_inner(),
            Err(shared) => {
                // The aborted switchboard dropped its lock guard; this only waits for it.
                let mut guard = shared.lock().await;
                let (_, empty) = mpsc::channel(1);
                std::mem::replace(&mut *guard, empty)
            }
        }
    }

    /// Stops taking reports and stops the actors; the log stays as it is.
    ///
    /// Each actor finishes the message at hand and what it writes as it stops before this
    /// returns, so nothing of this center appends to the log afterwards: stopping only the
    /// supervisor let its children finish later, and a load run's count of events written
    /// came out short of the log's on a busy machine.
    pub async fn stop(self) {
        self.switchboard.abort();
        let _ = self.switchboard.await;
        let _ = ractor::call!(self.supervisor, SupervisorMsg::Stopping);
        let wait = Some(std::time::Duration::from_secs(5));
        let mut stopping = tokio::task::JoinSet::new();
        for cell in self.services.directory.all_cells() {
            stopping.spawn(async move {
                let _ = cell.stop_and_wait(None, wait).await;
            });
        }
        while stopping.join_next().await.is_some() {}
        let _ = self.supervisor.get_cell().stop_and_wait(None, wait).await;
    }
}

/// Starts call actors for calls the network did not announce: a campaign's line that a
/// person answered becomes a call of the center, as if it had arrived on the campaign's
/// number.
#[derive(Debug, Clone)]
pub struct CallSpawner(ActorRef<SupervisorMsg>);

impl CallSpawner {
    /// Starts `call`'s actor and has it arrive on `number` from `caller`; answers once the
    /// actor runs, so the call's next report finds it.
    pub async fn arrive(
        &self,
        call: CallId,
        number: String,
        caller: String,
        channel: hotline_events::Channel,
    ) -> Result<(), CenterError> {
        let arrive = CallCommand::Arrive {
            number,
            caller,
            channel,
            customer: None,
        };
        spawn(
            &self.0,
            Entity::Call(call),
            Some(CallMsg::Command(arrive, None)),
            None,
        )
        .await
    }
}

async fn spawn(
    supervisor: &ActorRef<SupervisorMsg>,
    entity: Entity,
    first: Option<CallMsg>,
    lost_at: Option<Timestamp>,
) -> Result<(), CenterError> {
    ractor::call!(supervisor, |reply| SupervisorMsg::Spawn {
        entity,
        first,
        lost_at,
        reply
    })
    .map_err(|e| CenterError::Spawn(e.to_string()))?
    .map_err(CenterError::Spawn)
}

/// What a start needs from the log.
struct Scan {
    /// Calls whose stream has no `ended` yet.
    live: Vec<CallId>,
    /// Agents with a `registered` event, in the order of their first one.
    registered: Vec<AgentId>,
    /// Every recording stream's state: those still running died with the last process.
    recordings: BTreeMap<StreamName, RecordingState>,
    /// The time of the log's last event: the last sign of life of the process before.
    lost_at: Option<Timestamp>,
}

/// One full scan of the log, for all a start needs from it: reading is most of a start's
/// time on a long log, so it is read once. Fine for a restart today, to be served by a
/// checkpointed view later.
async fn scan(log: &dyn EventLog) -> Result<Scan, LogError> {
    let mut live: HashSet<CallId> = HashSet::new();
    let mut registered: Vec<AgentId> = Vec::new();
    let mut recordings = CategoryFold::<Recording, _>::new("recording", crate::recorder::typed);
    let mut lost_at = None;
    crate::store::each_event(log, |r| {
        lost_at = Some(r.occurred_at);
        match r.stream.category() {
            "agent" if r.event_type == "registered" => {
                if let Ok(id) = r.stream.id().parse::<AgentId>()
                    && !registered.contains(&id)
                    && matches!(r.event(), Event::Agent(AgentEvent::Registered { .. }))
                {
                    registered.push(id);
                }
            }
            // Only a call's first and last events matter here: the others are not decoded.
            "call" if r.event_type == "arrived" || r.event_type == "ended" => {
                let Ok(id) = r.stream.id().parse::<CallId>() else {
                    return;
                };
                match r.event() {
                    Event::Call(CallEvent::Arrived { .. }) => {
                        live.insert(id);
                    }
                    Event::Call(CallEvent::Ended { .. }) => {
                        live.remove(&id);
                    }
                    _ => {}
                }
            }
            _ => recordings.apply(r),
        }
    })
    .await?;
    let mut live: Vec<CallId> = live.into_iter().collect();
    live.sort();
    Ok(Scan {
        live,
        registered,
        recordings: recordings.into_states(),
        lost_at,
    })
}

/// Network reports to call actors; a new call gets a new actor.
async fn switchboard(
    reports: Arc<Mutex<mpsc::Receiver<NetworkReport>>>,
    directory: Directory,
    supervisor: ActorRef<SupervisorMsg>,
) {
    let mut reports = reports.lock().await;
    while let Some(report) = reports.recv().await {
        let call = report.call();
        if let NetworkReport::Incoming { number, caller, .. } = &report {
            let arrive = CallCommand::Arrive {
                number: number.clone(),
                caller: caller.clone(),
                channel: hotline_events::Channel::Voice,
                customer: None,
            };
            // Awaited, so the call's next report finds its actor.
            let first = Some(CallMsg::Command(arrive, None));
            if let Err(error) = spawn(&supervisor, Entity::Call(call), first, None).await {
                tracing::error!(%call, %error, "an incoming call got no actor");
            }
            continue;
        }
        if let Some(campaign) = directory.dialing(call) {
            // A campaign's line not yet answered: the campaign decides what it came to.
            let _ = campaign.cast(CampaignMsg::Network(report));
            continue;
        }
        match directory.call(call) {
            Some(actor) => {
                let _ = actor.cast(CallMsg::Network(report));
            }
            None => tracing::debug!(%call, ?report, "report for a call with no actor"),
        }
    }
}
