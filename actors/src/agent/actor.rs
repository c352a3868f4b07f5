//! The agent's ractor shell: commands from the agent's desktop, a supervisor, the router
//! and the calls; after each durable change it tells the router what the agent can take.

use std::time::Duration;

use hotline_events::{AgentId, CallId, Event, OfferMissReason, QueueId, Timestamp};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use crate::agent::{Agent, AgentCommand, AgentEvent, AgentState, Presence};
use crate::call::actor::CallMsg;
use crate::call::{Call, CallCommand};
use crate::center::{CommandError, Services};
use crate::router::AgentView;
use crate::router::actor::RouterMsg;
use crate::store::{self, Versioned};

impl Versioned for AgentState {
    fn version(&self) -> u64 {
        self.version
    }

    fn set_version(&mut self, version: u64) {
        self.version = version;
    }
}

/// What an agent actor is told.
#[derive(Debug)]
pub enum AgentMsg {
    Command(AgentCommand, Option<RpcReplyPort<Result<(), CommandError>>>),
    /// The router picked this agent for `call`: reserve, then have the call ring here.
    Reserve {
        call: CallId,
        queue: QueueId,
        ring_timeout_ms: u64,
    },
    /// After-call work on `call` reached its limit.
    WrapUpLimit {
        call: CallId,
    },
    State(RpcReplyPort<AgentState>),
}

/// The actor; one per agent the center knows.
#[derive(Debug)]
pub struct AgentActor;

#[derive(Debug)]
pub struct AgentShell {
    id: AgentId,
    state: AgentState,
    services: Services,
    weight: u32,
    /// In the center's file (else registered over the API).
    from_config: bool,
}

/// What an agent actor starts from: the agent, the center's services, and for an actor a
/// start spawns (not one the supervisor respawns in a running process) the last sign of
/// life of the process before, from which an agent it left logged in counts as out.
pub type AgentArgs = (AgentId, Services, Option<Timestamp>);

impl Actor for AgentActor {
    type Msg = AgentMsg;
    type State = AgentShell;
    type Arguments = AgentArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<AgentMsg>,
        (id, services, lost_at): AgentArgs,
    ) -> Result<AgentShell, ActorProcessingErr> {
        let configured = services.config.agents.iter().find(|a| a.id == id);
        // An agent of the file is on the roster before any event; its stream's edits
        // (and a removal) then apply over the file's profile.
        let start = configured.map_or_else(AgentState::default, AgentState::of_config);
        let state =
            store::load_onto::<Agent>(services.log.as_ref(), &id.stream(), start, |e| match e {
                Event::Agent(a) => Some(a),
                _ => None,
            })
            .await?;
        let weight = configured.map_or(1, |a| a.weight);
        let from_config = configured.is_some();
        services.directory.set_agent(id, myself.clone());
        let mut shell = AgentShell {
            id,
            state,
            services,
            weight,
            from_config,
        };
        if let Some(lost_at) = lost_at {
            shell.come_back(lost_at).await?;
        }
        // The router's view of agents is volatile: every (re)started agent reports itself.
        shell.report();
        if let Presence::WrappingUp { call, limit_ms } = shell.state.presence {
            let left = shell.wrap_up_left(limit_ms);
            myself.send_after(left, move || AgentMsg::WrapUpLimit { call });
        }
        Ok(shell)
    }

    async fn handle(
        &self,
        myself: ActorRef<AgentMsg>,
        msg: AgentMsg,
        shell: &mut AgentShell,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            AgentMsg::Command(cmd, reply) => {
                let result = shell.run(&myself, cmd).await?;
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            AgentMsg::Reserve {
                call,
                queue,
                ring_timeout_ms,
            } => {
                let cmd = AgentCommand::Reserve {
                    call,
                    queue: queue.clone(),
                };
                match shell.run(&myself, cmd).await? {
                    Ok(()) => {
                        if let Some(c) = shell.services.directory.call(call) {
                            let offer = CallCommand::Offer {
                                agent: shell.id,
                                queue,
                                ring_timeout_ms,
                            };
                            let _ = c.cast(CallMsg::Command(offer, None));
                        } else {
                            // The call is gone: the reservation is void.
                            let cmd = AgentCommand::MissOffer {
                                call,
                                reason: OfferMissReason::Withdrawn,
                                auto_pause_after: 0,
                            };
                            shell.run(&myself, cmd).await?.ok();
                            shell.offer_ended(call);
                        }
                    }
                    Err(_) => shell.offer_ended(call),
                }
            }
            AgentMsg::WrapUpLimit { call } => {
                let cmd = AgentCommand::CompleteWrapUp {
                    call,
                    disposition: None,
                    notes: None,
                };
                shell.run(&myself, cmd).await?.ok();
            }
            AgentMsg::State(reply) => {
                let _ = reply.send(shell.state.clone());
            }
        }
        Ok(())
    }
}

impl AgentShell {
    async fn run(
        &mut self,
        myself: &ActorRef<AgentMsg>,
        cmd: AgentCommand,
    ) -> Result<Result<(), CommandError>, ActorProcessingErr> {
        let now = self.services.clock.now();
        let (log, stream) = (self.services.log.as_ref(), self.id.stream());
        let decided = store::decide_and_record::<Agent>(log, &stream, &mut self.state, &cmd, now);
        let events = match decided.await? {
            Ok(events) => events,
            Err(rejection) => {
                tracing::debug!(agent = %self.id, ?cmd, %rejection, "agent command refused");
                return Ok(Err(CommandError::Rejected(rejection.to_string())));
            }
        };
        if events.is_empty() {
            // An edit that changes nothing: nothing recorded, nothing to report.
            return Ok(Ok(()));
        }
        for e in &events {
            if let AgentEvent::WrappingUp { call, limit_ms } = e {
                let call = *call;
                myself.send_after(Duration::from_millis(*limit_ms), move || {
                    AgentMsg::WrapUpLimit { call }
                });
            }
        }
        self.report();
        Ok(Ok(()))
    }

    /// At a start: an agent the stopped process left logged in is logged out as of its
    /// last sign of life `lost_at`, then back in now as it was (see
    /// [`AgentCommand::ProcessLost`] and [`AgentCommand::Restore`]). Before any message:
    /// the calls resume after the agents, and a call's `release` for a call that ended with
    /// the process then finds the agent already past it.
    async fn come_back(&mut self, lost_at: Timestamp) -> Result<(), ActorProcessingErr> {
        let now = self.services.clock.now();
        if self.state.is_logged_in() {
            let call_live = match self.state.presence {
                Presence::Busy { call } => self.services.telephony.is_live(call),
                _ => false,
            };
            let out = self.state.logged_out_at(lost_at, now);
            self.record(AgentCommand::ProcessLost { call_live }, out)
                .await?;
        }
        let wrap_up_ms = match self.state.lost {
            Some(Presence::Busy { call }) => self.wrap_up_after(call).await?,
            _ => 0,
        };
        self.record(AgentCommand::Restore { wrap_up_ms }, now).await
    }

    /// The after-call work `call` gives, as the call would have given it at its end: its
    /// queue's wrap-up (none for a call that never queued).
    async fn wrap_up_after(&self, call: CallId) -> Result<u64, ActorProcessingErr> {
        let state = store::load::<Call>(self.services.log.as_ref(), &call.stream(), |e| match e {
            Event::Call(c) => Some(c),
            _ => None,
        })
        .await?;
        Ok(crate::call::actor::wrap_up_ms(
            &self.services.config,
            state.queue.as_ref(),
        ))
    }

    /// Decides and records `cmd` as of `at`, with no effects: for a start, before the
    /// agent reports itself and sets its timers.
    async fn record(&mut self, cmd: AgentCommand, at: Timestamp) -> Result<(), ActorProcessingErr> {
        let (log, stream) = (self.services.log.as_ref(), self.id.stream());
        let decided = store::decide_and_record::<Agent>(log, &stream, &mut self.state, &cmd, at);
        if let Err(rejection) = decided.await? {
            tracing::debug!(agent = %self.id, ?cmd, %rejection, "agent command refused");
        }
        Ok(())
    }

    /// What remains of a wrap-up after a restart.
    fn wrap_up_left(&self, limit_ms: u64) -> Duration {
        let spent = self
            .state
            .since
            .map_or(0, |since| self.services.clock.now().millis_since(since));
        Duration::from_millis(limit_ms.saturating_sub(spent))
    }

    fn offer_ended(&self, call: CallId) {
        if let Some(r) = self.services.directory.router() {
            let _ = r.cast(RouterMsg::OfferEnded {
                call,
                agent: self.id,
            });
        }
    }

    /// Tells the roster and the router what this agent is and can take now.
    fn report(&self) {
        self.services
            .roster
            .report(self.id, &self.state, self.weight, self.from_config);
        let Some(router) = self.services.directory.router() else {
            return;
        };
        let s = &self.state;
        let msg = if s.is_logged_in() {
            RouterMsg::AgentChanged(
                AgentView {
                    id: self.id,
                    available_since: if s.is_available() { s.since } else { None },
                    logged_in: true,
                    skills: s.skills.iter().map(|k| (k.name.clone(), k.level)).collect(),
                    queues: s.queues.clone(),
                    weight: self.weight,
                    calls_today: s.calls_answered,
                    talk_ms_today: s.talk_ms,
                },
                std::time::Instant::now(),
            )
        } else {
            RouterMsg::AgentGone(self.id)
        };
        let _ = router.cast(msg);
    }
}
