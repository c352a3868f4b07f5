//! A number with an IVR flow, end to end: the call actors run the flow on a real log and
//! the simulated network (callers key their scripts' digits into menus and collections),
//! with a lookup plug-in that answers, fails, or is too slow; each caller leaves the flow
//! the way its keys lead, and the call goes on from there.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use hotline_actors::Center;
use hotline_actors::agent::AgentCommand;
use hotline_actors::ivr::Flows;
use hotline_actors::ivr::lookup::Lookups;
use hotline_events::{
    CallEvent, CallId, EndReason, Event, FlowExit, IvrEvent, QueueId, Recorded, Timestamp,
};
use hotline_infra::config::CenterConfig;
use hotline_infra::config::flow::Flow;
use hotline_infra::lookup::{Fields, LookupError, LookupSource};
use hotline_infra::{Clock, Durability, EventLog, SqliteLog, VirtualTimeLog};
use hotline_media::{AgentModel, CallerScript, Dist, SimNetwork};

const NUMBER: &str = "+18005550100";

const CENTER: &str = r#"
[[queues]]
id = "sales"
strategy = "longest_idle"
callback = true

[[agents]]
login = "ada"
queues = ["sales"]

[[numbers]]
number = "+18005550100"
queue = "sales"
"#;

const FLOW: &str = r#"
[flow]
name = "e2e"
start = "menu"

[nodes.menu]
type = "menu"
prompt = "For your balance press 1, for sales press 2, to be called back press 3."
options = { "1" = "account", "2" = "sales", "3" = "call_me" }
retries = 1
on_failure = "sales"

[nodes.account]
type = "collect"
prompt = "Your account number, please."
variable = "account"
length = 8
checksum = "luhn"
timeout = "15s"
next = "balance"
on_failure = "sales"

[nodes.balance]
type = "lookup"
source = "bank"
params = { account = "{account}" }
save = { balance = "balance" }
timeout = "2s"
next = "say"
fallback = "sales"

[nodes.say]
type = "play"
prompt = "Your balance is {balance}."
next = "bye"

[nodes.bye]
type = "hang_up"

[nodes.call_me]
type = "callback"
queue = "sales"

[nodes.sales]
type = "transfer"
queue = "sales"
priority = 3
"#;

/// The business system: knows one account, and is very slow for another.
#[derive(Debug)]
struct Bank;

#[async_trait::async_trait]
impl LookupSource for Bank {
    fn name(&self) -> &str {
        "bank"
    }

    async fn lookup(&self, params: &Fields) -> Result<Fields, LookupError> {
        match params.get("account").map(String::as_str) {
            Some("12345674") => Ok([("balance".to_owned(), "42.50".to_owned())].into()),
            Some("22222228") => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(Fields::new())
            }
            _ => Err(LookupError::NotFound("no such account".into())),
        }
    }
}

fn caller(n: u32, digits: Option<&str>) -> CallerScript {
    CallerScript {
        number: NUMBER.into(),
        caller: format!("+1555555{n:04}"),
        digits: digits.map(str::to_owned),
        patience: Dist::Fixed { secs: 900.0 },
        talk: Dist::Fixed { secs: 20.0 },
        callee_answers: true,
    }
}

async fn history(log: &dyn EventLog, call: CallId) -> (Vec<CallEvent>, Vec<IvrEvent>) {
    let read = |records: Vec<Recorded>| records.into_iter().map(|r| r.event());
    let calls = read(log.read_stream(&call.stream(), 1).await.unwrap())
        .filter_map(|e| match e {
            Event::Call(e) => Some(e),
            _ => None,
        })
        .collect();
    let steps = read(log.read_stream(&call.ivr_stream(), 1).await.unwrap())
        .filter_map(|e| match e {
            Event::Ivr(e) => Some(e),
            _ => None,
        })
        .collect();
    (calls, steps)
}

fn exit_of(steps: &[IvrEvent]) -> FlowExit {
    match steps.last() {
        Some(IvrEvent::FlowExited { exit, .. }) => exit.clone(),
        other => panic!("the flow did not exit: {other:?} in {steps:#?}"),
    }
}

fn queued_in_sales(calls: &[CallEvent], priority: u8) -> bool {
    calls.iter().any(|e| {
        matches!(e, CallEvent::Queued { queue, priority: p, .. }
            if queue.as_str() == "sales" && *p == priority)
    })
}

struct Line {
    log: Arc<dyn EventLog>,
    net: SimNetwork,
    _dir: tempfile::TempDir,
}

/// A log and a simulated network with one prompt agent, and a center on them running the
/// flow for `NUMBER`.
async fn start(center: &str) -> (Center, Line, CenterConfig) {
    let center_config = CenterConfig::parse(center, "center.toml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(Arc::new(
        SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap(),
    )));
    let (net, reports) = SimNetwork::new(7, 4096);
    let agent = center_config.agents[0].clone();
    net.add_agent(
        agent.id,
        AgentModel {
            answer_delay: Dist::Fixed { secs: 2.0 },
            answer_probability: 1.0,
        },
    );
    let line = Line {
        log,
        net,
        _dir: dir,
    };
    let center = restart(&line, &center_config, reports).await;
    center
        .agent(
            agent.id,
            AgentCommand::LogIn {
                name: agent.name.clone(),
                extension: None,
                skills: vec![],
                queues: agent.queues.clone(),
            },
        )
        .await
        .unwrap();
    center.agent(agent.id, AgentCommand::Ready).await.unwrap();
    (center, line, center_config)
}

/// A center with the flow on `line`, taking its reports.
async fn restart(
    line: &Line,
    center_config: &CenterConfig,
    reports: tokio::sync::mpsc::Receiver<hotline_media::NetworkReport>,
) -> Center {
    let flow = Flow::parse(FLOW, "e2e.toml", center_config, &["bank"]).unwrap();
    let flows = Flows::new(Lookups::default().with(Arc::new(Bank))).with(NUMBER, Arc::new(flow));
    Center::start_with_flows(
        center_config.clone(),
        flows,
        line.log.clone(),
        Arc::new(line.net.clone()),
        reports,
        Clock::starting_at(Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap()),
        7,
    )
    .await
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn callers_walk_the_flow_and_leave_it_for_self_service_a_queue_or_a_callback() {
    let (center, line, _) = start(CENTER).await;
    let net = &line.net;
    let self_served = net.place_call(caller(1, Some("112345674"))).await;
    let to_sales = net.place_call(caller(2, Some("2"))).await;
    let silent = net.place_call(caller(3, None)).await;
    let unknown_account = net.place_call(caller(4, Some("179927398"))).await;
    let slow_bank = net.place_call(caller(5, Some("122222228"))).await;
    let callback = net.place_call(caller(6, Some("3"))).await;
    tokio::time::sleep(Duration::from_secs(600)).await;

    let log = line.log.as_ref();
    // Balance by self-service: keyed, looked up, played, hung up by the flow.
    let (calls, steps) = history(log, self_served).await;
    assert_eq!(exit_of(&steps), FlowExit::HangUp, "{steps:#?}");
    assert!(steps.contains(&IvrEvent::PromptPlayed {
        node: "say".into(),
        prompt: "Your balance is 42.50.".into()
    }));
    assert!(steps.contains(&IvrEvent::DigitsCollected {
        node: "account".into(),
        digits: Some("12345674".into()),
        length: 8
    }));
    assert_eq!(
        calls.last(),
        Some(&CallEvent::Ended {
            by: hotline_events::Party::System,
            reason: EndReason::SelfService
        })
    );
    assert!(!calls.iter().any(|e| matches!(e, CallEvent::Queued { .. })));

    // A menu choice, silence until the tries run out, an unknown account and a bank too
    // slow to answer: all reach the sales queue, with the transfer's priority, and an agent.
    for call in [to_sales, silent, unknown_account, slow_bank] {
        let (calls, steps) = history(log, call).await;
        assert_eq!(
            exit_of(&steps),
            FlowExit::Queue {
                queue: QueueId::new("sales").unwrap(),
                priority: 3,
                skills: vec![]
            },
            "{steps:#?}"
        );
        assert!(queued_in_sales(&calls, 3), "{calls:#?}");
        assert!(
            calls
                .iter()
                .any(|e| matches!(e, CallEvent::Answered { .. })),
            "{calls:#?}"
        );
    }
    let (_, steps) = history(log, silent).await;
    assert_eq!(
        steps
            .iter()
            .filter(|e| matches!(e, IvrEvent::InputTimedOut { .. }))
            .count(),
        2
    );
    let (_, steps) = history(log, unknown_account).await;
    assert!(steps.iter().any(|e| matches!(e,
        IvrEvent::LookupFailed { reason, .. } if reason == "not found: no such account")));
    let (_, steps) = history(log, slow_bank).await;
    assert!(steps.iter().any(|e| matches!(e,
        IvrEvent::LookupFailed { reason, .. } if reason == "timed out after 2000 ms")));

    // A callback request: the call joins the queue and keeps its place by virtual hold.
    let (calls, steps) = history(log, callback).await;
    assert_eq!(
        exit_of(&steps),
        FlowExit::Callback {
            queue: QueueId::new("sales").unwrap(),
            number: "+15555550006".into()
        }
    );
    assert!(
        calls
            .iter()
            .any(|e| matches!(e, CallEvent::CallbackRequested { number, .. }
            if number == "+15555550006")),
        "{calls:#?}"
    );
    center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_center_stopped_mid_flow_resumes_the_run_from_its_stream() {
    let (center, line, center_config) = start(CENTER).await;
    let call = line.net.place_call(caller(7, Some("112345674"))).await;
    // The menu key is in after a second; the eight account digits take eight more.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (_, steps) = history(line.log.as_ref(), call).await;
    assert_eq!(
        steps.last(),
        Some(&IvrEvent::PromptPlayed {
            node: "account".into(),
            prompt: "Your account number, please.".into()
        }),
        "{steps:#?}"
    );
    let reports = center.kill().await;
    let center = restart(&line, &center_config, reports).await;
    tokio::time::sleep(Duration::from_secs(120)).await;

    let (calls, steps) = history(line.log.as_ref(), call).await;
    assert_eq!(exit_of(&steps), FlowExit::HangUp, "{steps:#?}");
    let started = steps
        .iter()
        .filter(|e| matches!(e, IvrEvent::FlowStarted { .. }))
        .count();
    assert_eq!(started, 1, "the run went on, not again: {steps:#?}");
    assert!(steps.contains(&IvrEvent::DigitsCollected {
        node: "account".into(),
        digits: Some("12345674".into()),
        length: 8
    }));
    assert!(matches!(
        calls.last(),
        Some(CallEvent::Ended {
            reason: EndReason::SelfService,
            ..
        })
    ));
    center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_flow_that_transfers_to_a_closed_queue_leaves_the_caller_at_its_voicemail() {
    // Sales keeps office hours on weekends only; the test's day is a Tuesday.
    let closed = CENTER.replace("callback = true", "callback = true\nhours = \"weekends\"")
        + "\n[[hours]]\nname = \"weekends\"\ntime_zone = \"UTC\"\nsat = [\"09:00-17:00\"]\n";
    let (center, line, _) = start(&closed).await;
    let call = line.net.place_call(caller(8, Some("2"))).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (calls, steps) = history(line.log.as_ref(), call).await;
    assert!(matches!(exit_of(&steps), FlowExit::Queue { .. }));
    assert!(
        calls.contains(&CallEvent::SentToVoicemail {
            queue: QueueId::new("sales").unwrap(),
            reason: hotline_events::VoicemailReason::Closed
        }),
        "{calls:#?}"
    );
    assert!(!calls.iter().any(|e| matches!(e, CallEvent::Queued { .. })));
    center.stop().await;
}
