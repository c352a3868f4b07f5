//! The call's ractor shell: receives commands and network reports, runs the pure core,
//! appends, evolves, and only then acts (telephony, the router, the agents).

use std::time::Duration;

use hotline_events::{
    AgentId, CallEvent, CallId, EndReason, Event, OfferMissReason, Party, QueueId, Timestamp,
    TransferKind, TransferTarget, VoicemailReason,
};
use hotline_infra::config::{CenterConfig, DEFAULT_GREETING, DEFAULT_MAX_LENGTH, VoicemailBox};
use hotline_media::NetworkReport;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use crate::agent::AgentCommand;
use crate::agent::actor::AgentMsg;
use crate::call::{Call, CallCommand, CallState, Phase};
use crate::center::{CommandError, Services};
use crate::ivr::IvrCommand;
use crate::router::actor::RouterMsg;
use crate::store::{self, Versioned};

mod ivr;
mod survey;
pub use ivr::FlowMsg;
pub use survey::{SurveyMsg, stream_of as survey_stream};

/// How long digits are collected in the IVR placeholder.
const DIGIT_TIMEOUT: Duration = Duration::from_secs(5);

/// The after-call work an agent gets when a call of `queue` ends for it: the queue's
/// wrap-up, none for a call that never queued (or whose queue left the configuration).
pub(crate) fn wrap_up_ms(config: &CenterConfig, queue: Option<&QueueId>) -> u64 {
    queue
        .and_then(|q| config.queue(q))
        .map_or(0, |q| q.wrap_up.as_millis() as u64)
}

impl Versioned for CallState {
    fn version(&self) -> u64 {
        self.version
    }

    fn set_version(&mut self, version: u64) {
        self.version = version;
    }
}

/// The stop reason of a call actor whose call ended: any other stop is a fault, and the
/// supervisor restarts the actor.
pub(crate) const ENDED: &str = "call ended";

/// What a call actor is told.
#[derive(Debug)]
pub enum CallMsg {
    Command(CallCommand, Option<RpcReplyPort<Result<(), CommandError>>>),
    Network(NetworkReport),
    /// The offer to `agent` made at `offered_at` rang for its whole timeout.
    RingTimeout {
        agent: AgentId,
        offered_at: Timestamp,
    },
    /// The wait in the queue joined at `queued_at` reached the queue's maximum.
    MaxWait {
        queued_at: Timestamp,
    },
    VoicemailLimit,
    /// The IVR flow of the call's number.
    Flow(FlowMsg),
    /// The post-call survey of the call's queue.
    Survey(SurveyMsg),
    /// After a restart: pick the call up where its stream left it. `lost_at`: when a
    /// whole process stopped, its last sign of life (the time of the log's last event):
    /// a call the network no longer has is taken to have ended then, not at the restart,
    /// so that the downtime does not count as talk.
    Resume {
        lost_at: Option<Timestamp>,
    },
    State(RpcReplyPort<CallState>),
}

/// The actor; one per live call.
#[derive(Debug)]
pub struct CallActor;

/// The actor's state: the fold of its stream, and what it needs to act.
#[derive(Debug)]
pub struct CallShell {
    id: CallId,
    state: CallState,
    services: Services,
    /// A dialed-back customer picked up: only then can an agent's phone ring with the
    /// call. Volatile: after a restart the network says whether the call is still live.
    callee_connected: bool,
    /// The IVR flow the call runs, if its number has one.
    ivr: Option<ivr::IvrRun>,
    /// The post-call survey, once the agent hung up on a caller of a queue with one.
    survey: Option<survey::SurveyRun>,
}

impl Actor for CallActor {
    type Msg = CallMsg;
    type State = CallShell;
    type Arguments = (CallId, Services);

    async fn pre_start(
        &self,
        myself: ActorRef<CallMsg>,
        (id, services): (CallId, Services),
    ) -> Result<CallShell, ActorProcessingErr> {
        let state = store::load::<Call>(services.log.as_ref(), &id.stream(), |e| match e {
            Event::Call(c) => Some(c),
            _ => None,
        })
        .await?;
        services.directory.set_call(id, myself);
        Ok(CallShell {
            id,
            state,
            services,
            callee_connected: false,
            ivr: None,
            survey: None,
        })
    }

    async fn post_stop(
        &self,
        myself: ActorRef<CallMsg>,
        shell: &mut CallShell,
    ) -> Result<(), ActorProcessingErr> {
        shell.services.directory.remove_call(shell.id, &myself);
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<CallMsg>,
        msg: CallMsg,
        shell: &mut CallShell,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CallMsg::Command(cmd, reply) => {
                let result = shell.run(&myself, cmd).await?;
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
            }
            CallMsg::Network(report) => shell.on_report(&myself, report).await?,
            CallMsg::RingTimeout { agent, offered_at } => {
                let still_ringing = shell
                    .state
                    .offers
                    .iter()
                    .any(|o| o.agent == agent && o.at == offered_at);
                if still_ringing {
                    let cmd = CallCommand::MissOffer {
                        agent,
                        reason: OfferMissReason::NoAnswer,
                    };
                    shell.run(&myself, cmd).await?.ok();
                }
            }
            CallMsg::MaxWait { queued_at } => {
                let s = &shell.state;
                if s.phase == Phase::Waiting
                    && s.queued_at == Some(queued_at)
                    && let Some(queue) = s.queue.clone()
                {
                    let cmd = CallCommand::SendToVoicemail {
                        queue,
                        reason: VoicemailReason::MaxWait,
                    };
                    shell.run(&myself, cmd).await?.ok();
                }
            }
            CallMsg::VoicemailLimit => {
                if matches!(shell.state.phase, Phase::Voicemail { .. }) {
                    let cmd = CallCommand::End {
                        reason: EndReason::Voicemail,
                    };
                    shell.run(&myself, cmd).await?.ok();
                }
            }
            CallMsg::Flow(msg) => shell.on_flow(&myself, msg).await?,
            CallMsg::Survey(msg) => shell.on_survey(&myself, msg).await?,
            CallMsg::Resume { lost_at } => shell.resume(&myself, lost_at).await?,
            CallMsg::State(reply) => {
                let _ = reply.send(shell.state.clone());
            }
        }
        // An ended call stays for its survey, if one follows or runs.
        if shell.state.is_ended() && !shell.surveying() && !shell.survey_follows() {
            myself.stop(Some(ENDED.to_owned()));
        }
        Ok(())
    }
}

impl CallShell {
    /// Decide, append, evolve, act. A rejection is the command's answer, not the actor's
    /// failure; a log error fails the actor, and its supervisor restarts it from the log.
    async fn run(
        &mut self,
        myself: &ActorRef<CallMsg>,
        cmd: CallCommand,
    ) -> Result<Result<(), CommandError>, ActorProcessingErr> {
        let now = self.services.clock.now();
        self.run_at(myself, cmd, now).await
    }

    /// [`Self::run`] as of `now`: a time already past when what the command says happened
    /// earlier (a call lost with the process before this one).
    async fn run_at(
        &mut self,
        myself: &ActorRef<CallMsg>,
        cmd: CallCommand,
        now: Timestamp,
    ) -> Result<Result<(), CommandError>, ActorProcessingErr> {
        let before = self.state.clone();
        let (log, stream) = (self.services.log.as_ref(), self.id.stream());
        let decided = store::decide_and_record::<Call>(log, &stream, &mut self.state, &cmd, now);
        let events = match decided.await? {
            Ok(events) => events,
            Err(rejection) => {
                tracing::debug!(call = %self.id, ?cmd, %rejection, "call command refused");
                return Ok(Err(CommandError::Rejected(rejection.to_string())));
            }
        };
        for e in &events {
            self.act(myself, &before, e, now);
        }
        Ok(Ok(()))
    }

    fn router(&self, msg: RouterMsg) {
        if let Some(r) = self.services.directory.router() {
            let _ = r.cast(msg);
        }
    }

    fn agent(&self, agent: AgentId, msg: AgentMsg) {
        if let Some(a) = self.services.directory.agent(agent) {
            let _ = a.cast(msg);
        }
    }

    fn wrap_up_ms(&self) -> u64 {
        wrap_up_ms(&self.services.config, self.state.queue.as_ref())
    }

    fn release(&self, agent: AgentId) {
        let wrap_up_ms = self.wrap_up_ms();
        self.agent(
            agent,
            AgentMsg::Command(
                AgentCommand::Release {
                    call: self.id,
                    wrap_up_ms,
                },
                None,
            ),
        );
    }

    /// The effects of one event, now that it is durable.
    fn act(&self, myself: &ActorRef<CallMsg>, before: &CallState, e: &CallEvent, now: Timestamp) {
        let tel = &self.services.telephony;
        let id = self.id;
        let warn = |what: &str, r: Result<(), hotline_media::TelephonyError>| {
            if let Err(error) = r {
                tracing::debug!(call = %id, %error, "telephony refused {what}");
            }
        };
        match e {
            CallEvent::Arrived { number, .. } => {
                warn("answer", tel.answer(id));
                if self.has_flow() {
                    let _ = myself.cast(CallMsg::Flow(FlowMsg::Start));
                    return;
                }
                match self.services.config.number(number) {
                    Some(n) if !n.menu.is_empty() => {
                        let max = n.menu.iter().map(|(d, _)| d.len()).max().unwrap_or(1);
                        warn(
                            "collect digits",
                            tel.collect_digits(id, max.min(32) as u8, DIGIT_TIMEOUT),
                        );
                    }
                    Some(_) => self.route(myself, None),
                    None => {
                        let _ = myself.cast(CallMsg::Command(
                            CallCommand::End {
                                reason: EndReason::Failed,
                            },
                            None,
                        ));
                    }
                }
            }
            CallEvent::IvrInput { digits } => self.route(myself, Some(digits)),
            CallEvent::Queued {
                queue,
                priority,
                skills,
            } => {
                self.router(RouterMsg::Enqueue {
                    call: id,
                    queue: queue.clone(),
                    priority: *priority,
                    skills: skills.clone(),
                    since: std::time::Instant::now(),
                });
                if let Some(max) = self.services.config.queue(queue).and_then(|q| q.max_wait) {
                    myself.send_after(max, move || CallMsg::MaxWait { queued_at: now });
                }
            }
            CallEvent::Offered {
                agent,
                ring_timeout_ms,
                ..
            } => {
                if matches!(self.state.phase, Phase::CallbackWaiting { .. })
                    && !self.callee_connected
                {
                    // The customer is being dialed back: the agent's phone rings once
                    // they pick up (see `CalleeAnswered`).
                    return;
                }
                self.ring(myself, *agent, *ring_timeout_ms, now);
            }
            CallEvent::OfferMissed { agent, reason } => {
                warn("stop ringing", tel.stop_ringing(id, *agent));
                let auto_pause_after = self.services.config.router.auto_pause_after;
                self.agent(
                    *agent,
                    AgentMsg::Command(
                        AgentCommand::MissOffer {
                            call: id,
                            reason: *reason,
                            auto_pause_after,
                        },
                        None,
                    ),
                );
                self.router(RouterMsg::OfferEnded {
                    call: id,
                    agent: *agent,
                });
            }
            CallEvent::Answered { agent, .. } => {
                warn("bridge", tel.bridge(id, *agent));
                let queue = self.state.queue.clone();
                // The queue's rule, unless the call is a campaign's answered line.
                let campaign = self.services.directory.campaign_of(id);
                (self.services.recorder).call_answered(
                    &self.services,
                    id,
                    queue,
                    campaign.as_deref(),
                    *agent,
                );
                self.agent(
                    *agent,
                    AgentMsg::Command(AgentCommand::Answer { call: id }, None),
                );
                self.router(RouterMsg::Leave { call: id });
            }
            CallEvent::Held { .. } => warn("hold", tel.hold(id)),
            CallEvent::Resumed { .. } => warn("resume", tel.resume(id)),
            CallEvent::Transferred { kind, from, to, .. } => {
                self.release(*from);
                match (kind, to) {
                    (TransferKind::Warm, _) => {
                        warn("drop the transferring agent", tel.drop_agent(id, *from));
                        warn("resume", tel.resume(id));
                    }
                    (TransferKind::Blind, TransferTarget::Agent { agent }) => {
                        warn("drop the transferring agent", tel.drop_agent(id, *from));
                        let queue = self.state.queue.clone();
                        match queue {
                            Some(queue) => self.agent(
                                *agent,
                                AgentMsg::Reserve {
                                    call: id,
                                    queue,
                                    ring_timeout_ms: self.ring_timeout_ms(),
                                },
                            ),
                            None => self.requeue(myself, None),
                        }
                    }
                    (TransferKind::Blind, TransferTarget::Queue { queue }) => {
                        warn("drop the transferring agent", tel.drop_agent(id, *from));
                        self.requeue(myself, Some(queue.clone()));
                    }
                }
            }
            CallEvent::ConsultStarted {
                to: TransferTarget::Agent { agent },
                ..
            } => {
                warn("hold", tel.hold(id));
                warn("consult", tel.conference(id, *agent));
                self.agent(
                    *agent,
                    AgentMsg::Command(AgentCommand::Answer { call: id }, None),
                );
            }
            CallEvent::ConsultStarted { .. } => {}
            CallEvent::ConsultCancelled { .. } => {
                if let Phase::Talking {
                    consult: Some(agent),
                    ..
                } = &before.phase
                {
                    warn("drop the consulted agent", tel.drop_agent(id, *agent));
                    self.release(*agent);
                }
                warn("resume", tel.resume(id));
            }
            CallEvent::ConferenceJoined { agent, .. } => {
                warn("conference", tel.conference(id, *agent));
                self.agent(
                    *agent,
                    AgentMsg::Command(AgentCommand::Answer { call: id }, None),
                );
            }
            CallEvent::ConferenceLeft { agent } => {
                warn("drop agent", tel.drop_agent(id, *agent));
                self.release(*agent);
            }
            CallEvent::Overflowed { .. } => {}
            CallEvent::SentToVoicemail { queue, .. } => {
                if before.phase == Phase::Waiting {
                    self.router(RouterMsg::Leave { call: id });
                }
                let mailbox = self.mailbox(queue);
                let greeting = mailbox.map_or(DEFAULT_GREETING, |b| b.greeting.as_str());
                warn("play", tel.play(id, greeting));
                warn("record", tel.record(id, true));
                match mailbox {
                    Some(mailbox) => crate::voicemail::take_message(
                        &self.services,
                        id,
                        mailbox,
                        self.state.caller.clone(),
                        queue.clone(),
                    ),
                    None => {
                        tracing::debug!(call = %id, %queue, "no voicemail box: the message is not kept")
                    }
                }
                let limit = mailbox.map_or(DEFAULT_MAX_LENGTH, |b| b.max_length);
                myself.send_after(limit, || CallMsg::VoicemailLimit);
            }
            CallEvent::CallbackRequested { number, .. } => {
                warn("play", tel.play(id, "callback-confirmed"));
                warn("hang up", tel.hang_up(id));
                self.router(RouterMsg::RequestCallback {
                    call: id,
                    number: number.clone(),
                });
            }
            CallEvent::CallbackDialed { number } => warn("dial back", tel.originate(id, number)),
            CallEvent::Abandoned { .. } => self.router(RouterMsg::Leave { call: id }),
            CallEvent::Ended { by, .. } => {
                match (by, before.agent()) {
                    (Party::Caller, _) => {}
                    // The caller stays on for the queue's survey.
                    (Party::Agent, Some(agent)) if self.survey_follows() => {
                        let _ = myself.cast(CallMsg::Survey(SurveyMsg::Start { agent }));
                    }
                    _ => warn("hang up", tel.hang_up(id)),
                }
                for agent in before.connected_agents() {
                    self.release(agent);
                }
                if matches!(before.phase, Phase::Waiting | Phase::CallbackWaiting { .. }) {
                    self.router(RouterMsg::Leave { call: id });
                }
                if let (Some(queue), Some(answered)) = (&self.state.queue, self.state.answered_at) {
                    self.router(RouterMsg::HandleTime {
                        queue: queue.clone(),
                        millis: now.millis_since(answered) + self.wrap_up_ms(),
                    });
                }
            }
        }
    }

    /// The box a caller sent to `queue`'s voicemail leaves a message in: the agent's the
    /// flow named, else the queue's; `None` when the center's file gives it none.
    fn mailbox(&self, queue: &QueueId) -> Option<&VoicemailBox> {
        let boxes = &self.services.config.voicemail;
        match self.flow_voicemail_agent() {
            Some(login) => boxes.of_agent(login).or_else(|| boxes.of_queue(queue)),
            None => boxes.of_queue(queue),
        }
    }

    /// Rings `agent` and starts the offer's ring timer.
    fn ring(
        &self,
        myself: &ActorRef<CallMsg>,
        agent: AgentId,
        ring_timeout_ms: u64,
        offered_at: Timestamp,
    ) {
        let timeout = Duration::from_millis(ring_timeout_ms);
        if let Err(error) = self.services.telephony.ring_agent(self.id, agent, timeout) {
            tracing::debug!(call = %self.id, %error, "telephony refused ring");
        }
        myself.send_after(timeout, move || CallMsg::RingTimeout { agent, offered_at });
    }

    fn ring_timeout_ms(&self) -> u64 {
        self.state
            .queue
            .as_ref()
            .and_then(|q| self.services.config.queue(q))
            .map_or(15_000, |q| q.ring_timeout.as_millis() as u64)
    }

    /// The IVR placeholder: the number's menu picks the queue; a closed queue sends the
    /// caller to voicemail.
    fn route(&self, myself: &ActorRef<CallMsg>, digits: Option<&str>) {
        let config = &self.services.config;
        let Some(number) = config.number(&self.state.number) else {
            return;
        };
        let queue = number.route(digits).clone();
        let open = config.is_open(&queue, self.services.clock.now().to_datetime());
        let cmd = if open {
            CallCommand::Queue {
                queue,
                priority: number.priority,
                skills: Vec::new(),
            }
        } else {
            CallCommand::SendToVoicemail {
                queue,
                reason: VoicemailReason::Closed,
            }
        };
        let _ = myself.cast(CallMsg::Command(cmd, None));
    }

    fn requeue(&self, myself: &ActorRef<CallMsg>, queue: Option<QueueId>) {
        let Some(queue) = queue.or_else(|| self.state.queue.clone()) else {
            return;
        };
        let _ = myself.cast(CallMsg::Command(
            CallCommand::Queue {
                queue,
                priority: self.state.priority,
                skills: self.state.skills.clone(),
            },
            None,
        ));
    }

    async fn on_report(
        &mut self,
        myself: &ActorRef<CallMsg>,
        report: NetworkReport,
    ) -> Result<(), ActorProcessingErr> {
        if self.surveying() {
            let command = match &report {
                NetworkReport::Digits { digits, .. } => Some(IvrCommand::Digits {
                    digits: digits.clone(),
                }),
                NetworkReport::DigitsTimedOut { .. } => Some(IvrCommand::Timeout),
                NetworkReport::CallerHungUp { .. } => Some(IvrCommand::CallerHangUp),
                _ => None,
            };
            if let Some(command) = command {
                self.survey_step(myself, command).await?;
            }
            return Ok(());
        }
        if self.in_flow() {
            let command = match &report {
                NetworkReport::Digits { digits, .. } => Some(IvrCommand::Digits {
                    digits: digits.clone(),
                }),
                NetworkReport::DigitsTimedOut { .. } => Some(IvrCommand::Timeout),
                NetworkReport::CallerHungUp { .. } => Some(IvrCommand::CallerHangUp),
                _ => None,
            };
            if let Some(command) = command {
                let hung_up = command == IvrCommand::CallerHangUp;
                self.flow_step(myself, command).await?;
                if !hung_up {
                    return Ok(());
                }
            }
        }
        let cmd = match report {
            NetworkReport::Incoming { .. } => return Ok(()),
            NetworkReport::Digits { digits, .. } => CallCommand::EnterDigits { digits },
            NetworkReport::DigitsTimedOut { .. } => {
                self.route(myself, None);
                return Ok(());
            }
            NetworkReport::CallerHungUp { .. } => CallCommand::CallerHangUp,
            NetworkReport::AgentAnswered { agent, .. } => {
                if self.state.connected_agents().contains(&agent) {
                    return Ok(());
                }
                CallCommand::Answer { agent }
            }
            NetworkReport::AgentDeclined { agent, .. } => CallCommand::MissOffer {
                agent,
                reason: OfferMissReason::Declined,
            },
            NetworkReport::AgentHungUp { agent, .. } => CallCommand::AgentHangUp { agent },
            NetworkReport::CalleeAnswered { .. } => {
                self.callee_connected = true;
                if let Some(agent) = self.state.agent() {
                    if let Err(error) = self.services.telephony.bridge(self.id, agent) {
                        tracing::debug!(call = %self.id, %error, "bridge after dial-back refused");
                    }
                } else {
                    for offer in self.state.offers.clone() {
                        self.ring(myself, offer.agent, offer.ring_timeout_ms, offer.at);
                    }
                }
                return Ok(());
            }
            NetworkReport::DialFailed { .. } => CallCommand::End {
                reason: EndReason::Failed,
            },
        };
        self.run(myself, cmd).await?.ok();
        Ok(())
    }

    /// After a restart: ringing offers are withdrawn (the ring timers died with the old
    /// actor) and the call waits on; a call in the IVR is routed on; a call the network
    /// no longer has is ended with the reason `system_restart`, at `lost_at` if the
    /// process before this one was lost then (see [`CallMsg::Resume`]).
    async fn resume(
        &mut self,
        myself: &ActorRef<CallMsg>,
        lost_at: Option<Timestamp>,
    ) -> Result<(), ActorProcessingErr> {
        let live = self.services.telephony.is_live(self.id);
        let phase = self.state.phase.clone();
        let cmd = match phase {
            Phase::New | Phase::Ended { .. } => return Ok(()),
            Phase::CallbackWaiting { .. } if self.state.offers.is_empty() => {
                self.enqueue_again();
                return Ok(());
            }
            Phase::CallbackWaiting { .. } => None,
            _ if !live => Some(CallCommand::End {
                reason: EndReason::SystemRestart,
            }),
            Phase::Arrived if self.has_flow() => return self.resume_flow(myself).await,
            Phase::Arrived => {
                self.route(myself, self.state.digits.clone().as_deref());
                return Ok(());
            }
            Phase::Waiting | Phase::Transferring { .. } => None,
            Phase::Talking { .. } | Phase::Voicemail { .. } => return Ok(()),
        };
        if let Some(cmd) = cmd {
            let now = self.services.clock.now();
            // At most now: a log written by a clock ahead of this one must not end the
            // call in the future.
            let at = lost_at.map_or(now, |lost| lost.min(now));
            self.run_at(myself, cmd, at).await?.ok();
            return Ok(());
        }
        for offer in self.state.offers.clone() {
            let cmd = CallCommand::MissOffer {
                agent: offer.agent,
                reason: OfferMissReason::Withdrawn,
            };
            self.run(myself, cmd).await?.ok();
        }
        match &self.state.phase {
            Phase::Transferring { .. } => self.requeue(myself, None),
            _ => self.enqueue_again(),
        }
        Ok(())
    }

    /// Tells the router the call waits (it refuses a call it already has).
    fn enqueue_again(&self) {
        if let Some(queue) = self.state.queue.clone() {
            self.router(RouterMsg::Enqueue {
                call: self.id,
                queue,
                priority: self.state.priority,
                skills: self.state.skills.clone(),
                since: std::time::Instant::now(),
            });
        }
    }
}
