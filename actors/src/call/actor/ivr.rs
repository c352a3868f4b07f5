//! The call actor's IVR: a call to a number with a flow runs it before anything else.
//! The shell's usual loop, for the flow's stream (`ivr-<call id>`, which this actor alone
//! writes): decide, append, apply, then act (play the prompts, collect keys, run a lookup
//! in a task of its own), and when the flow lets the caller go, turn its exit into the
//! call's next command (queue, voicemail, callback, or the end of a self-served call).

use hotline_events::{EndReason, Event, FlowExit, IvrEvent, VoicemailReason};
use ractor::{ActorProcessingErr, ActorRef};

use super::{CallMsg, CallShell};
use crate::call::{CallCommand, Phase};
use crate::ivr::run::FlowRun;
use crate::ivr::{Awaiting, Facts, IvrCommand};
use crate::router::actor::RouterMsg;
use crate::store;

/// A flow run in progress, and the version of its stream.
#[derive(Debug)]
pub(super) struct IvrRun {
    run: FlowRun,
    version: u64,
}

/// What the IVR of a call actor is told.
#[derive(Debug)]
pub enum FlowMsg {
    /// The call arrived on a number with a flow.
    Start,
    /// A lookup finished (answered or failed).
    Command(IvrCommand),
}

impl CallShell {
    /// Whether a flow runs and has not let the caller go.
    pub(super) fn in_flow(&self) -> bool {
        self.ivr.as_ref().is_some_and(|r| r.run.exit().is_none())
    }

    /// The login of the agent whose voicemail box the flow sent the caller to, if it did.
    pub(super) fn flow_voicemail_agent(&self) -> Option<&str> {
        match self.ivr.as_ref()?.run.exit()? {
            FlowExit::Voicemail {
                agent: Some(login), ..
            } => Some(login),
            _ => None,
        }
    }

    /// Whether the call's number runs a flow.
    pub(super) fn has_flow(&self) -> bool {
        self.services.flows.for_number(&self.state.number).is_some()
    }

    pub(super) async fn on_flow(
        &mut self,
        myself: &ActorRef<CallMsg>,
        msg: FlowMsg,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            FlowMsg::Start => {
                let Some(engine) = self.services.flows.for_number(&self.state.number) else {
                    return Ok(());
                };
                if self.ivr.is_some() || self.state.phase != Phase::Arrived {
                    return Ok(());
                }
                self.ivr = Some(IvrRun {
                    run: FlowRun::new(engine.clone()),
                    version: 0,
                });
                let s = &self.state;
                let variables = [
                    ("caller", s.caller.clone()),
                    ("number", s.number.clone()),
                    (
                        "customer",
                        s.customer.map(|c| c.to_string()).unwrap_or_default(),
                    ),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
                self.flow_step(myself, IvrCommand::Start { variables })
                    .await
            }
            FlowMsg::Command(command) if self.in_flow() => self.flow_step(myself, command).await,
            FlowMsg::Command(_) => Ok(()),
        }
    }

    /// Decide, append, apply, act: one command through the flow.
    pub(super) async fn flow_step(
        &mut self,
        myself: &ActorRef<CallMsg>,
        command: IvrCommand,
    ) -> Result<(), ActorProcessingErr> {
        let facts = self.facts().await;
        let now = self.services.clock.now();
        let Some(ivr) = self.ivr.as_mut() else {
            return Ok(());
        };
        let events = match ivr.run.decide(&command, &facts, now) {
            Ok(events) => events,
            Err(rejection) => {
                tracing::debug!(call = %self.id, ?command, %rejection, "flow command refused");
                return Ok(());
            }
        };
        let stream = self.id.ivr_stream();
        store::append(
            self.services.log.as_ref(),
            &stream,
            ivr.version,
            &events,
            now,
        )
        .await?;
        ivr.version += events.len() as u64;
        ivr.run.apply(&command, &events);
        for e in &events {
            if let IvrEvent::PromptPlayed { prompt, .. } = e
                && let Err(error) = self.services.telephony.play(self.id, prompt)
            {
                tracing::debug!(call = %self.id, %error, "telephony refused play");
            }
        }
        self.flow_wait(myself);
        Ok(())
    }

    /// Queue lengths, for flows whose conditions read them; asked of the router.
    async fn facts(&self) -> Facts {
        let reads = self
            .services
            .flows
            .for_number(&self.state.number)
            .is_some_and(|e| e.reads_queue_lengths());
        let mut facts = Facts::default();
        if reads && let Some(router) = self.services.directory.router() {
            let waiting = ractor::call!(router, RouterMsg::Waiting).unwrap_or_default();
            facts.waiting = waiting
                .into_iter()
                .map(|(q, calls)| (q, u32::try_from(calls.len()).unwrap_or(u32::MAX)))
                .collect();
        }
        facts
    }

    /// Arms what the run waits for (keys, a lookup), or acts on how it let the caller go.
    fn flow_wait(&self, myself: &ActorRef<CallMsg>) {
        let Some(ivr) = &self.ivr else {
            return;
        };
        match ivr.run.awaiting() {
            Awaiting::Input {
                max_digits,
                timeout,
                ..
            } => {
                let tel = &self.services.telephony;
                if let Err(error) = tel.collect_digits(self.id, max_digits, timeout) {
                    tracing::debug!(call = %self.id, %error, "telephony refused collect digits");
                }
            }
            Awaiting::Lookup(request) => {
                let lookups = self.services.flows.lookups().clone();
                let me = myself.clone();
                // Its own task: a slow business system never holds the actor up, and the
                // lookup's timeout guarantees an answer comes back.
                tokio::spawn(async move {
                    let command = lookups.run(&request).await;
                    let _ = me.cast(CallMsg::Flow(FlowMsg::Command(command)));
                });
            }
            Awaiting::Nothing => {
                if let Some(exit) = ivr.run.exit() {
                    self.leave_flow(myself, exit.clone());
                }
            }
        }
    }

    /// The call's next step after the flow.
    fn leave_flow(&self, myself: &ActorRef<CallMsg>, exit: FlowExit) {
        let now = self.services.clock.now().to_datetime();
        let commands = match exit {
            // A queue outside its business hours takes no calls, whatever the flow says
            // (as for a number's menu): its voicemail does.
            FlowExit::Queue { queue, .. } if !self.services.config.is_open(&queue, now) => {
                vec![CallCommand::SendToVoicemail {
                    queue,
                    reason: VoicemailReason::Closed,
                }]
            }
            FlowExit::Queue {
                queue,
                priority,
                skills,
            } => vec![CallCommand::Queue {
                queue,
                priority,
                skills,
            }],
            FlowExit::Voicemail { queue, .. } => vec![CallCommand::SendToVoicemail {
                queue,
                reason: VoicemailReason::Flow,
            }],
            // The call core takes a callback request from a waiting call: it joins the
            // queue, then keeps its place there as a virtual hold.
            FlowExit::Callback { queue, number } => vec![
                CallCommand::Queue {
                    queue,
                    priority: 0,
                    skills: Vec::new(),
                },
                CallCommand::RequestCallback { number },
            ],
            FlowExit::HangUp => vec![CallCommand::End {
                reason: EndReason::SelfService,
            }],
            // The caller's hang-up report ends the call.
            FlowExit::Abandoned => Vec::new(),
        };
        for command in commands {
            let _ = myself.cast(CallMsg::Command(command, None));
        }
    }

    /// After a restart in the IVR: the run is rebuilt from its stream (its secrets are
    /// gone) and waits again for what it waited for, or acts on its exit.
    pub(super) async fn resume_flow(
        &mut self,
        myself: &ActorRef<CallMsg>,
    ) -> Result<(), ActorProcessingErr> {
        let Some(engine) = self.services.flows.for_number(&self.state.number).cloned() else {
            return Ok(());
        };
        let records = self
            .services
            .log
            .read_stream(&self.id.ivr_stream(), 1)
            .await?;
        if records.is_empty() {
            return self.on_flow(myself, FlowMsg::Start).await;
        }
        let events: Vec<IvrEvent> = records
            .iter()
            .filter_map(|r| match r.event() {
                Event::Ivr(e) => Some(e),
                _ => None,
            })
            .collect();
        self.ivr = Some(IvrRun {
            run: FlowRun::resume(engine, &events),
            version: records.last().map_or(0, |r| r.version),
        });
        self.flow_wait(myself);
        Ok(())
    }
}
