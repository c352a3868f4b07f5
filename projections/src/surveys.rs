//! `surveys`: one row per answer to a post-call survey, from the `survey-<call>` streams:
//! the call, the agent who took it and the queue (from `started`), the question (the
//! survey flow's node), the answer, when, whether it is the CSAT question, and how the
//! survey ended (completed, abandoned, or still running). CSAT is the share of 4 and 5
//! among the answers to the CSAT question (`sql/reports.rs`: `csat_by_agent`,
//! `csat_by_queue`).

use hotline_events::{AgentId, CallId, Event, QueueId, SurveyEvent, Timestamp};

use crate::fast_map::FastMap;
use crate::projection::{Checkpoint, Fact, Projection};

/// How a survey ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyStatus {
    Running,
    Completed,
    Abandoned,
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SurveyAnswer {
    pub call: CallId,
    pub agent: AgentId,
    pub queue: QueueId,
    pub question: String,
    pub answer: String,
    pub at: Timestamp,
    /// The answer to the survey's CSAT question (1-5).
    pub csat: bool,
}

/// One survey: who it is about, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SurveyRun {
    pub call: CallId,
    pub agent: AgentId,
    pub queue: QueueId,
    pub flow: String,
    pub csat_question: Option<String>,
    pub started_at: Timestamp,
    pub status: SurveyStatus,
    /// Where an abandoned survey was left.
    pub abandoned_at_question: Option<String>,
}

/// The `surveys` read model.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Surveys {
    checkpoint: Checkpoint,
    runs: Vec<SurveyRun>,
    by_call: FastMap<CallId, usize>,
    answers: Vec<SurveyAnswer>,
}

impl Surveys {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every answer, in order.
    pub fn answers(&self) -> &[SurveyAnswer] {
        &self.answers
    }

    pub fn run(&self, call: CallId) -> Option<&SurveyRun> {
        self.by_call.get(&call).map(|&i| &self.runs[i])
    }

    pub fn runs(&self) -> &[SurveyRun] {
        &self.runs
    }
}

impl Projection for Surveys {
    fn name(&self) -> &'static str {
        "surveys"
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) {
            return;
        }
        let Event::Survey(event) = fact.event else {
            return;
        };
        let at = fact.occurred_at;
        if let SurveyEvent::Started {
            call,
            agent,
            queue,
            flow,
            csat_question,
        } = event
        {
            if !self.by_call.contains_key(call) {
                self.by_call.insert(*call, self.runs.len());
                self.runs.push(SurveyRun {
                    call: *call,
                    agent: *agent,
                    queue: queue.clone(),
                    flow: flow.clone(),
                    csat_question: csat_question.clone(),
                    started_at: at,
                    status: SurveyStatus::Running,
                    abandoned_at_question: None,
                });
            }
            return;
        }
        let Some(run) = fact
            .id(CallId::from_uuid)
            .and_then(|call| self.by_call.get(&call))
            .and_then(|&i| self.runs.get_mut(i))
        else {
            return;
        };
        match event {
            SurveyEvent::Answered { question, answer } => self.answers.push(SurveyAnswer {
                call: run.call,
                agent: run.agent,
                queue: run.queue.clone(),
                question: question.clone(),
                answer: answer.clone(),
                at,
                csat: run.csat_question.as_deref() == Some(question.as_str()),
            }),
            SurveyEvent::Completed { .. } => run.status = SurveyStatus::Completed,
            SurveyEvent::Abandoned { question, .. } => {
                run.status = SurveyStatus::Abandoned;
                run.abandoned_at_question = Some(question.clone());
            }
            SurveyEvent::Started { .. } | SurveyEvent::InvalidAnswer { .. } => {}
        }
    }

    fn position(&self) -> u64 {
        self.checkpoint.position()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hotline_events::StreamName;

    #[test]
    fn answers_are_linked_to_the_agent_and_queue_and_the_csat_question_is_marked() {
        let call: CallId = "00000000-0000-7000-8000-000000000001".parse().unwrap();
        let agent: AgentId = "00000000-0000-7000-8000-0000000000aa".parse().unwrap();
        let stream = StreamName::parse(&format!("survey-{call}")).unwrap();
        let events = [
            SurveyEvent::Started {
                call,
                agent,
                queue: QueueId::new("sales").unwrap(),
                flow: "survey".into(),
                csat_question: Some("rate".into()),
            },
            SurveyEvent::Answered {
                question: "rate".into(),
                answer: "4".into(),
            },
            SurveyEvent::Answered {
                question: "recommend".into(),
                answer: "1".into(),
            },
            SurveyEvent::Abandoned {
                question: "reason".into(),
                answers: 2,
            },
        ];
        let mut model = Surveys::new();
        let t0 = Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap();
        for (i, e) in events.into_iter().enumerate() {
            let event = Event::Survey(e);
            let fact = Fact::of(
                i as u64 + 1,
                &stream,
                t0.plus_millis(i as u64 * 1000),
                &event,
            );
            model.apply(&fact);
            model.apply(&fact);
        }
        let answers = model.answers();
        assert_eq!(answers.len(), 2);
        assert_eq!((answers[0].agent, answers[0].csat), (agent, true));
        assert_eq!(
            (answers[1].question.as_str(), answers[1].csat),
            ("recommend", false)
        );
        let run = model.run(call).unwrap();
        assert_eq!(run.status, SurveyStatus::Abandoned);
        assert_eq!(run.abandoned_at_question.as_deref(), Some("reason"));
    }
}
