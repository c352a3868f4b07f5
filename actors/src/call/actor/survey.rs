//! The call actor's post-call survey: when the agent hangs up (the call `ended` by the
//! agent) and the call's queue has a survey, the actor keeps the caller on the line and
//! runs the survey's flow with the IVR engine, writing only what reports need to the
//! stream `survey-<call id>` (started with the agent and queue, each answer, refused
//! answers, completed or abandoned), then hangs up. The actor stops once the survey ends.
//!
//! The flow run itself is held in memory: a survey interrupted by a restart is not
//! resumed (its stream ends without `completed` or `abandoned`).

use hotline_events::{AgentId, FlowExit, IvrEvent, QueueId, StreamName, SurveyEvent};
use ractor::{ActorProcessingErr, ActorRef};

use super::{CallMsg, CallShell};
use crate::ivr::run::FlowRun;
use crate::ivr::{Awaiting, Facts, IvrCommand};
use crate::store;

/// A survey in progress.
#[derive(Debug)]
pub(super) struct SurveyRun {
    run: FlowRun,
    version: u64,
    agent: AgentId,
    queue: QueueId,
    csat: Option<String>,
    answers: u32,
    done: bool,
}

/// What the survey of a call actor is told.
#[derive(Debug)]
pub enum SurveyMsg {
    /// The agent hung up: start the queue's survey.
    Start {
        agent: AgentId,
    },
    Command(IvrCommand),
}

/// The stream of `call`'s survey.
pub fn stream_of(call: hotline_events::CallId) -> StreamName {
    StreamName::parse(&format!("survey-{call}"))
        .expect("`survey-` and a call id make a valid stream name")
}

impl CallShell {
    /// Whether a survey runs and has not ended: the actor stays for it.
    pub(super) fn surveying(&self) -> bool {
        self.survey.as_ref().is_some_and(|s| !s.done)
    }

    /// Whether the call's end starts a survey: ended by the agent, answered, of a queue
    /// with one, and none has started yet.
    pub(super) fn survey_follows(&self) -> bool {
        self.survey.is_none()
            && matches!(
                self.state.phase,
                crate::call::Phase::Ended {
                    by: hotline_events::Party::Agent,
                    ..
                }
            )
            && self.state.answered_at.is_some()
            && self
                .state
                .queue
                .as_ref()
                .is_some_and(|q| self.services.flows.survey_for(q).is_some())
    }

    pub(super) async fn on_survey(
        &mut self,
        myself: &ActorRef<CallMsg>,
        msg: SurveyMsg,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            SurveyMsg::Start { agent } => {
                let Some(queue) = self.state.queue.clone() else {
                    return Ok(());
                };
                let Some((engine, csat)) = self.services.flows.survey_for(&queue) else {
                    return Ok(());
                };
                if self.survey.is_some() {
                    return Ok(());
                }
                // An agent who hung up at the desk (not on the phone) still has a leg on
                // the network: the survey is between the caller and the system.
                if let Err(error) = self.services.telephony.drop_agent(self.id, agent) {
                    tracing::debug!(call = %self.id, %error, "no agent leg to drop before the survey");
                }
                self.survey = Some(SurveyRun {
                    run: FlowRun::new(engine.clone()),
                    version: 0,
                    agent,
                    queue,
                    csat: csat.map(str::to_owned),
                    answers: 0,
                    done: false,
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
                self.survey_step(myself, IvrCommand::Start { variables })
                    .await
            }
            SurveyMsg::Command(command) if self.surveying() => {
                self.survey_step(myself, command).await
            }
            SurveyMsg::Command(_) => Ok(()),
        }
    }

    /// One command through the survey: decide, append what reports need, apply, act.
    pub(super) async fn survey_step(
        &mut self,
        myself: &ActorRef<CallMsg>,
        command: IvrCommand,
    ) -> Result<(), ActorProcessingErr> {
        let now = self.services.clock.now();
        let id = self.id;
        let Some(survey) = self.survey.as_mut() else {
            return Ok(());
        };
        let events = match survey.run.decide(&command, &Facts::default(), now) {
            Ok(events) => events,
            Err(rejection) => {
                tracing::debug!(call = %id, ?command, %rejection, "survey command refused");
                return Ok(());
            }
        };
        let written = survey.report(id, &events);
        if !written.is_empty() {
            store::append(
                self.services.log.as_ref(),
                &stream_of(id),
                survey.version,
                &written,
                now,
            )
            .await?;
            survey.version += written.len() as u64;
        }
        survey.run.apply(&command, &events);
        let tel = &self.services.telephony;
        for e in &events {
            if let IvrEvent::PromptPlayed { prompt, .. } = e
                && let Err(error) = tel.play(id, prompt)
            {
                tracing::debug!(call = %id, %error, "telephony refused play");
            }
        }
        match survey.run.awaiting() {
            Awaiting::Input {
                max_digits,
                timeout,
                ..
            } => {
                if let Err(error) = tel.collect_digits(id, max_digits, timeout) {
                    tracing::debug!(call = %id, %error, "telephony refused collect digits");
                }
            }
            Awaiting::Lookup(request) => {
                // Surveys ask; they do not look anything up.
                let command = IvrCommand::LookupFailed {
                    reason: format!("lookups ({}) do not run in surveys", request.source),
                };
                let _ = myself.cast(CallMsg::Survey(SurveyMsg::Command(command)));
            }
            Awaiting::Nothing => {
                // The actor stops once it has handled this message.
                survey.done = true;
                let abandoned = matches!(survey.run.exit(), Some(FlowExit::Abandoned));
                if !abandoned && let Err(error) = tel.hang_up(id) {
                    tracing::debug!(call = %id, %error, "telephony refused hang up");
                }
            }
        }
        Ok(())
    }
}

impl SurveyRun {
    /// The survey events the flow's steps make.
    fn report(&mut self, call: hotline_events::CallId, events: &[IvrEvent]) -> Vec<SurveyEvent> {
        let mut out = Vec::new();
        for e in events {
            match e {
                IvrEvent::FlowStarted { flow, .. } => out.push(SurveyEvent::Started {
                    call,
                    agent: self.agent,
                    queue: self.queue.clone(),
                    flow: flow.clone(),
                    csat_question: self.csat.clone(),
                }),
                IvrEvent::DigitsCollected {
                    node,
                    digits: Some(digits),
                    ..
                } => {
                    self.answers += 1;
                    out.push(SurveyEvent::Answered {
                        question: node.clone(),
                        answer: digits.clone(),
                    });
                }
                IvrEvent::InvalidInput {
                    node,
                    attempt,
                    reason,
                } => out.push(SurveyEvent::InvalidAnswer {
                    question: node.clone(),
                    attempt: *attempt,
                    reason: *reason,
                }),
                IvrEvent::FlowExited { node, exit } => out.push(match exit {
                    FlowExit::Abandoned => SurveyEvent::Abandoned {
                        question: node.clone(),
                        answers: self.answers,
                    },
                    _ => SurveyEvent::Completed {
                        answers: self.answers,
                    },
                }),
                _ => {}
            }
        }
        out
    }
}
