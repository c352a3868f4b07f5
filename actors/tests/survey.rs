//! Post-call surveys in the actors: the agent hangs up, the caller stays on and answers
//! the queue's survey flow (`flows/survey.toml`) on the simulated network, which keys the
//! caller's scripted digits; answers, refused answers, completion and abandonment are
//! events on `survey-<call id>` linked to the agent and the queue.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hotline_actors::call::actor::survey_stream;
use hotline_actors::ivr::Flows;
use hotline_actors::ivr::lookup::Lookups;
use hotline_actors::{Center, Recorder};
use hotline_events::{
    AgentId, CallEvent, CallId, EndReason, Event, InvalidReason, Party, QueueId, Skill,
    SurveyEvent, Timestamp,
};
use hotline_infra::config::flow::Flow;
use hotline_infra::config::{
    AgentConfig, CenterConfig, NumberConfig, QueueConfig, RouterSettings, Strategy, Tiers,
};
use hotline_infra::{Clock, Durability, EventLog, SqliteLog, VirtualTimeLog};
use hotline_media::{AgentModel, CallerScript, Dist, SimNetwork};

const NUMBER: &str = "+18005550100";

fn sales() -> QueueId {
    QueueId::new("sales").unwrap()
}

fn ada() -> AgentId {
    AgentConfig::derived_id("ada")
}

fn config() -> CenterConfig {
    CenterConfig {
        log: None,
        router: RouterSettings::default(),
        skills: vec![],
        queues: vec![QueueConfig {
            id: sales(),
            name: "Sales".into(),
            strategy: Strategy::LongestIdle,
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::from_secs(5),
            skills: vec![],
            tiers: Tiers::default(),
            overflow: vec![],
            max_wait: None,
            hours: None,
            service_level_threshold: Duration::from_secs(20),
            service_level_target: 80,
            callback: false,
            default_handle_time: Duration::from_secs(120),
        }],
        agents: vec![AgentConfig {
            id: ada(),
            login: "ada".into(),
            name: "Ada".into(),
            extension: None,
            skills: vec![],
            queues: vec![sales()],
            weight: 1,
        }],
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

async fn start() -> Run {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(Arc::new(
        SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap(),
    )));
    let (net, reports) = SimNetwork::new(5, 4096);
    net.add_agent(
        ada(),
        AgentModel {
            answer_delay: Dist::Fixed { secs: 2.0 },
            answer_probability: 1.0,
        },
    );
    let config = config();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/survey.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let flow = Flow::parse(&text, "survey.toml", &config, &[]).unwrap();
    let flows =
        Flows::new(Lookups::default()).with_survey(sales(), Arc::new(flow), Some("rate".into()));
    let center = Center::start_recording(
        config,
        flows,
        Recorder::default(),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        Clock::starting_at(Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap()),
        5,
    )
    .await
    .unwrap();
    center
        .agent(
            ada(),
            hotline_actors::agent::AgentCommand::LogIn {
                name: "Ada".into(),
                extension: None,
                skills: Vec::<Skill>::new(),
                queues: vec![sales()],
            },
        )
        .await
        .unwrap();
    center
        .agent(ada(), hotline_actors::agent::AgentCommand::Ready)
        .await
        .unwrap();
    Run {
        center,
        net,
        log,
        _dir: dir,
    }
}

/// A caller who keys `digits` when asked and waits `patience` seconds when nobody talks.
fn caller(digits: &str, patience: f64) -> CallerScript {
    CallerScript {
        number: NUMBER.into(),
        caller: "+15555550123".into(),
        digits: Some(digits.into()),
        patience: Dist::Fixed { secs: patience },
        talk: Dist::Fixed { secs: 600.0 },
        callee_answers: true,
    }
}

/// Places the call, lets Ada talk 20 s, then Ada hangs up; returns the call.
async fn talk_then_agent_hangs_up(run: &Run, script: CallerScript) -> CallId {
    let call = run.net.place_call(script).await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    run.net.agent_hangs_up(call, ada()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    call
}

async fn survey(log: &dyn EventLog, call: CallId) -> Vec<SurveyEvent> {
    log.read_stream(&survey_stream(call), 1)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event() {
            Event::Survey(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn started(call: CallId) -> SurveyEvent {
    SurveyEvent::Started {
        call,
        agent: ada(),
        queue: sales(),
        flow: "survey".into(),
        csat_question: Some("rate".into()),
    }
}

fn answered(question: &str, answer: &str) -> SurveyEvent {
    SurveyEvent::Answered {
        question: question.into(),
        answer: answer.into(),
    }
}

#[tokio::test(start_paused = true)]
async fn after_the_agent_hangs_up_the_caller_answers_the_survey() {
    let run = start().await;
    let call = talk_then_agent_hangs_up(&run, caller("5142", 300.0)).await;
    assert_eq!(
        survey(run.log.as_ref(), call).await,
        [
            started(call),
            answered("rate", "5"),
            answered("recommend", "1"),
            answered("reason", "42"),
            SurveyEvent::Completed { answers: 3 },
        ]
    );
    // The call itself ended when the agent hung up; the survey hung up the line after.
    let history = run.log.read_stream(&call.stream(), 1).await.unwrap();
    assert!(matches!(
        history.last().unwrap().event(),
        Event::Call(CallEvent::Ended {
            by: Party::Agent,
            reason: EndReason::Completed
        })
    ));
    assert_eq!(run.net.stats().live, 0, "the line was hung up");
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_caller_who_hangs_up_midway_abandons_the_survey_where_they_were() {
    let run = start().await;
    // Answers the first question, then says nothing and gives up after 10 s.
    let call = talk_then_agent_hangs_up(&run, caller("4", 10.0)).await;
    assert_eq!(
        survey(run.log.as_ref(), call).await,
        [
            started(call),
            answered("rate", "4"),
            SurveyEvent::Abandoned {
                question: "recommend".into(),
                answers: 1,
            },
        ]
    );
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_invalid_answer_is_asked_again_and_silence_moves_on() {
    let run = start().await;
    // 9 is no rating: asked again, 3; then yes; then nothing for the reason code.
    let call = talk_then_agent_hangs_up(&run, caller("931", 300.0)).await;
    assert_eq!(
        survey(run.log.as_ref(), call).await,
        [
            started(call),
            SurveyEvent::InvalidAnswer {
                question: "rate".into(),
                attempt: 1,
                reason: InvalidReason::Pattern,
            },
            answered("rate", "3"),
            answered("recommend", "1"),
            SurveyEvent::Completed { answers: 2 },
        ]
    );
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_caller_who_hangs_up_first_gets_no_survey() {
    let run = start().await;
    let mut script = caller("5", 300.0);
    script.talk = Dist::Fixed { secs: 10.0 };
    let call = run.net.place_call(script).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(survey(run.log.as_ref(), call).await.is_empty());
    run.center.stop().await;
}
