//! Given-when-then walks through a flow with every node type: menus, collections with
//! checks and a PIN, lookups that answer, fail, miss a field or time out, conditions on
//! hours, holidays, the caller, a queue's length and a variable, and every way out.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hotline_events::{FlowExit, InvalidReason, IvrEvent, NodeKind, QueueId, SkillName, Timestamp};
use hotline_infra::config::CenterConfig;
use hotline_infra::config::flow::Flow;
use hotline_infra::lookup::{Fields, LookupError, LookupSource};

use super::lookup::Lookups;
use super::run::FlowRun;
use super::*;

const CENTER: &str = r#"
skills = ["spanish"]

[[hours]]
name = "office"
time_zone = "Europe/Paris"
mon = ["08:00-18:00"]
tue = ["08:00-18:00"]
wed = ["08:00-18:00"]
thu = ["08:00-18:00"]
fri = ["08:00-18:00"]
holidays = ["2026-12-25"]

[[queues]]
id = "sales"
strategy = "longest_idle"
callback = true

[[queues]]
id = "support"
strategy = "skills"
"#;

const FLOW: &str = r#"
[flow]
name = "test"
start = "welcome"

[nodes.welcome]
type = "play"
prompt = "Welcome."
next = "vip"

[nodes.vip]
type = "condition"
caller_in = ["+15555550100"]
then = "vip_line"
else = "hours"

[nodes.vip_line]
type = "transfer"
queue = "sales"
priority = 9

[nodes.hours]
type = "condition"
open = "office"
then = "menu"
else = "closed"

[nodes.closed]
type = "voicemail"
prompt = "We are closed."
queue = "sales"

[nodes.menu]
type = "menu"
prompt = "1 balance, 2 sales, 3 spanish."
options = { "1" = "account", "2" = "busy", "3" = "spanish" }
retries = 1
invalid_prompt = "Not an option."
timeout_prompt = "Nothing heard."
on_failure = "agent"

[nodes.account]
type = "collect"
prompt = "Account number?"
variable = "account"
length = 8
pattern = "[1-9][0-9]*"
checksum = "luhn"
retries = 2
next = "pin"
on_failure = "agent"

[nodes.pin]
type = "collect"
prompt = "PIN?"
variable = "pin"
length = 4
secret = true
next = "balance"
on_failure = "agent"

[nodes.balance]
type = "lookup"
source = "bank"
params = { account = "{account}", pin = "{pin}" }
save = { balance = "balance" }
timeout = "2s"
next = "say_balance"
fallback = "agent"

[nodes.say_balance]
type = "play"
prompt = "Your balance is {balance}."
next = "bye"

[nodes.bye]
type = "hang_up"
prompt = "Goodbye."

[nodes.busy]
type = "condition"
queue_waiting_over = { queue = "sales", calls = 5 }
then = "call_me"
else = "to_sales"

[nodes.call_me]
type = "callback"
prompt = "We will call you back on {caller}."
queue = "sales"

[nodes.to_sales]
type = "transfer"
queue = "sales"

[nodes.spanish]
type = "set"
set = { lang = "es" }
next = "is_spanish"

[nodes.is_spanish]
type = "condition"
variable = "lang"
equals = "es"
then = "spanish_agent"
else = "agent"

[nodes.spanish_agent]
type = "transfer"
queue = "support"
skills = ["spanish"]

[nodes.agent]
type = "transfer"
prompt = "Please hold for an agent."
queue = "support"
"#;

/// A Tuesday, 10:00 in Paris: the office is open.
fn open() -> Timestamp {
    Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap()
}

fn engine() -> FlowEngine {
    let center = CenterConfig::parse(CENTER, "center.toml").unwrap();
    let flow = Flow::parse(FLOW, "test.toml", &center, &["bank"]).unwrap_or_else(|e| panic!("{e}"));
    FlowEngine::new(Arc::new(flow))
}

fn q(name: &str) -> QueueId {
    QueueId::new(name).unwrap()
}

fn start(caller: &str) -> IvrCommand {
    IvrCommand::Start {
        variables: [("caller".to_owned(), caller.to_owned())].into(),
    }
}

fn digits(d: &str) -> IvrCommand {
    IvrCommand::Digits { digits: d.into() }
}

const CALLER: &str = "+15555550123";

// -- Event builders, so the expectations read as the steps they are. --------------------

fn entered(node: &str, kind: NodeKind) -> IvrEvent {
    IvrEvent::NodeEntered {
        node: node.into(),
        kind,
    }
}
fn played(node: &str, prompt: &str) -> IvrEvent {
    IvrEvent::PromptPlayed {
        node: node.into(),
        prompt: prompt.into(),
    }
}
fn checked(node: &str, result: bool) -> IvrEvent {
    IvrEvent::ConditionChecked {
        node: node.into(),
        result,
    }
}
fn keyed(node: &str, d: &str) -> IvrEvent {
    IvrEvent::DigitsCollected {
        node: node.into(),
        digits: Some(d.into()),
        length: d.len() as u32,
    }
}
fn exited(node: &str, exit: FlowExit) -> IvrEvent {
    IvrEvent::FlowExited {
        node: node.into(),
        exit,
    }
}
fn to_agent() -> Vec<IvrEvent> {
    vec![
        entered("agent", NodeKind::Transfer),
        played("agent", "Please hold for an agent."),
        exited(
            "agent",
            FlowExit::Queue {
                queue: q("support"),
                priority: 0,
                skills: vec![],
            },
        ),
    ]
}

// -- Given / when / then. -----------------------------------------------------------------

/// The events of a run that took `commands` at `now`, each accepted.
fn history(commands: &[IvrCommand]) -> Vec<IvrEvent> {
    let mut run = FlowRun::new(engine());
    let mut events = Vec::new();
    for c in commands {
        events.extend(run.handle(c, &Facts::default(), open()).unwrap());
    }
    events
}

struct Given {
    engine: FlowEngine,
    state: IvrState,
    facts: Facts,
    now: Timestamp,
}

fn given(events: impl IntoIterator<Item = IvrEvent>) -> Given {
    let engine = engine();
    let events: Vec<IvrEvent> = events.into_iter().collect();
    let state = engine.fold(&events);
    Given {
        engine,
        state,
        facts: Facts::default(),
        now: open(),
    }
}

struct When {
    engine: FlowEngine,
    state: IvrState,
    result: Result<Vec<IvrEvent>, IvrRejection>,
}

impl Given {
    fn at(mut self, now: &str) -> Self {
        self.now = Timestamp::parse(now).unwrap();
        self
    }

    fn waiting(mut self, queue: &str, calls: u32) -> Self {
        self.facts.waiting.insert(q(queue), calls);
        self
    }

    fn when(self, command: IvrCommand) -> When {
        let result = self
            .engine
            .decide(&self.state, &command, &self.facts, self.now);
        When {
            engine: self.engine,
            state: self.state,
            result,
        }
    }
}

impl When {
    /// Exactly these events; returns the state after them.
    #[track_caller]
    fn then(self, expected: impl IntoIterator<Item = IvrEvent>) -> IvrState {
        let expected: Vec<IvrEvent> = expected.into_iter().collect();
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected, "events decided");
                self.engine.fold_onto(self.state, &events)
            }
            Err(r) => panic!("expected {expected:?}, the command was rejected: {r}"),
        }
    }

    /// The run ends with exactly this last event (the walk to it is tested elsewhere).
    #[track_caller]
    fn ends_with(self, last: IvrEvent) -> Vec<IvrEvent> {
        match self.result {
            Ok(events) => {
                assert_eq!(events.last(), Some(&last), "last event of {events:#?}");
                events
            }
            Err(r) => panic!("expected {last:?}, the command was rejected: {r}"),
        }
    }

    #[track_caller]
    fn then_err(self, expected: IvrRejection) {
        match self.result {
            Ok(events) => panic!("expected rejection {expected:?}, got events {events:?}"),
            Err(r) => assert_eq!(r, expected, "rejection"),
        }
    }
}

impl FlowEngine {
    fn fold_onto(&self, state: IvrState, events: &[IvrEvent]) -> IvrState {
        events.iter().fold(state, |s, e| self.evolve(s, e))
    }
}

fn at_menu() -> Vec<IvrEvent> {
    history(&[start(CALLER)])
}

// -- The walks. ---------------------------------------------------------------------------

#[test]
fn a_caller_is_greeted_and_waits_at_the_menu_when_the_office_is_open() {
    let state = given([]).when(start(CALLER)).then([
        IvrEvent::FlowStarted {
            flow: "test".into(),
            variables: [
                ("caller".to_owned(), CALLER.to_owned()),
                ("customer".to_owned(), String::new()),
                ("number".to_owned(), String::new()),
            ]
            .into(),
        },
        entered("welcome", NodeKind::Play),
        played("welcome", "Welcome."),
        entered("vip", NodeKind::Condition),
        checked("vip", false),
        entered("hours", NodeKind::Condition),
        checked("hours", true),
        entered("menu", NodeKind::Menu),
        played("menu", "1 balance, 2 sales, 3 spanish."),
    ]);
    assert_eq!(state.node.as_deref(), Some("menu"));
    assert_eq!(
        engine().awaiting(&state, &BTreeMap::new()),
        Awaiting::Input {
            node: "menu".into(),
            max_digits: 1,
            timeout: Duration::from_secs(5)
        }
    );
}

#[test]
fn a_vip_caller_goes_straight_to_the_priority_line() {
    given([]).when(start("+1 555 555 0100")).ends_with(exited(
        "vip_line",
        FlowExit::Queue {
            queue: q("sales"),
            priority: 9,
            skills: vec![],
        },
    ));
}

#[test]
fn outside_business_hours_and_on_holidays_the_caller_leaves_a_message() {
    let closed = exited(
        "closed",
        FlowExit::Voicemail {
            queue: q("sales"),
            agent: None,
        },
    );
    // Saturday 10:00 in Paris.
    let events = given([])
        .at("2026-11-28T09:00:00.000Z")
        .when(start(CALLER))
        .ends_with(closed.clone());
    assert!(events.contains(&checked("hours", false)));
    assert!(events.contains(&played("closed", "We are closed.")));
    // Christmas is a Friday, 10:00 in Paris, but a holiday.
    given([])
        .at("2026-12-25T09:00:00.000Z")
        .when(start(CALLER))
        .ends_with(closed.clone());
    // A Tuesday 18:30 in Paris (17:30 UTC): after closing, in the hours' own time zone.
    given([])
        .at("2026-11-24T17:30:00.000Z")
        .when(start(CALLER))
        .ends_with(closed);
}

#[test]
fn a_menu_choice_leads_on_and_a_short_queue_is_joined() {
    given(at_menu()).when(digits("2")).then([
        keyed("menu", "2"),
        entered("busy", NodeKind::Condition),
        checked("busy", false),
        entered("to_sales", NodeKind::Transfer),
        exited(
            "to_sales",
            FlowExit::Queue {
                queue: q("sales"),
                priority: 0,
                skills: vec![],
            },
        ),
    ]);
}

#[test]
fn when_the_queue_is_too_long_the_caller_is_offered_a_callback() {
    given(at_menu())
        .waiting("sales", 6)
        .when(digits("2"))
        .then([
            keyed("menu", "2"),
            entered("busy", NodeKind::Condition),
            checked("busy", true),
            entered("call_me", NodeKind::Callback),
            played("call_me", &format!("We will call you back on {CALLER}.")),
            exited(
                "call_me",
                FlowExit::Callback {
                    queue: q("sales"),
                    number: CALLER.into(),
                },
            ),
        ]);
}

#[test]
fn wrong_keys_are_retried_with_the_prompt_then_go_to_the_safe_fallback() {
    let state = given(at_menu()).when(digits("7")).then([
        IvrEvent::InvalidInput {
            node: "menu".into(),
            attempt: 1,
            reason: InvalidReason::NoSuchOption,
        },
        played("menu", "Not an option."),
        played("menu", "1 balance, 2 sales, 3 spanish."),
    ]);
    assert_eq!((state.node.as_deref(), state.attempts), (Some("menu"), 1));
    // One retry allowed: the second wrong entry runs the tries out.
    let mut expected = vec![IvrEvent::InvalidInput {
        node: "menu".into(),
        attempt: 2,
        reason: InvalidReason::NoSuchOption,
    }];
    expected.extend(to_agent());
    given(history(&[start(CALLER), digits("7")]))
        .when(digits("*"))
        .then(expected);
}

#[test]
fn silence_is_retried_then_goes_to_the_safe_fallback_and_mixes_with_wrong_keys() {
    given(at_menu()).when(IvrCommand::Timeout).then([
        IvrEvent::InputTimedOut {
            node: "menu".into(),
            attempt: 1,
        },
        played("menu", "Nothing heard."),
        played("menu", "1 balance, 2 sales, 3 spanish."),
    ]);
    let mut expected = vec![IvrEvent::InputTimedOut {
        node: "menu".into(),
        attempt: 2,
    }];
    expected.extend(to_agent());
    given(history(&[start(CALLER), digits("9")]))
        .when(IvrCommand::Timeout)
        .then(expected);
}

#[test]
fn an_account_number_is_checked_for_length_pattern_and_check_digit() {
    let at_account = history(&[start(CALLER), digits("1")]);
    assert_eq!(
        at_account.last(),
        Some(&played("account", "Account number?"))
    );
    let refused = |d: &str, reason: InvalidReason| {
        given(at_account.clone()).when(digits(d)).then([
            IvrEvent::InvalidInput {
                node: "account".into(),
                attempt: 1,
                reason,
            },
            played("account", "Account number?"),
        ]);
    };
    refused("1234567", InvalidReason::TooShort);
    refused("123456789", InvalidReason::TooLong);
    refused("02345674", InvalidReason::Pattern);
    refused("1234*674", InvalidReason::Pattern);
    refused("12345678", InvalidReason::Checksum);
    let state = given(at_account).when(digits("12345674")).then([
        keyed("account", "12345674"),
        entered("pin", NodeKind::Collect),
        played("pin", "PIN?"),
    ]);
    assert_eq!(state.variables["account"], "12345674");
}

#[test]
fn three_wrong_account_numbers_go_to_an_agent() {
    let mut expected = vec![IvrEvent::InvalidInput {
        node: "account".into(),
        attempt: 3,
        reason: InvalidReason::Checksum,
    }];
    expected.extend(to_agent());
    given(history(&[
        start(CALLER),
        digits("1"),
        digits("12345678"),
        IvrCommand::Timeout,
    ]))
    .when(digits("12345678"))
    .then(expected);
}

#[test]
fn a_pin_never_reaches_the_log_but_reaches_the_lookup() {
    let mut run = FlowRun::new(engine());
    for c in [start(CALLER), digits("1"), digits("12345674")] {
        run.handle(&c, &Facts::default(), open()).unwrap();
    }
    let events = run
        .handle(&digits("4321"), &Facts::default(), open())
        .unwrap();
    assert_eq!(
        events,
        [
            IvrEvent::DigitsCollected {
                node: "pin".into(),
                digits: None,
                length: 4,
            },
            entered("balance", NodeKind::Lookup),
        ]
    );
    for e in &events {
        let wire = hotline_events::Event::from(e.clone())
            .encode()
            .unwrap()
            .data;
        assert!(!wire.contains("4321"), "{wire}");
    }
    assert_eq!(run.state().variables["pin"], SECRET);
    let Awaiting::Lookup(request) = run.awaiting() else {
        panic!("the run waits for the lookup: {:?}", run.awaiting())
    };
    assert_eq!(
        request.params,
        [
            ("account".to_owned(), "12345674".to_owned()),
            ("pin".to_owned(), "4321".to_owned())
        ]
        .into()
    );
    assert_eq!(request.timeout, Duration::from_secs(2));
    // Rebuilt from the log, the run no longer knows the PIN.
    let resumed = FlowRun::resume(engine(), &history_through_pin());
    let Awaiting::Lookup(request) = resumed.awaiting() else {
        panic!("the resumed run waits for the lookup")
    };
    assert_eq!(request.params["pin"], SECRET);
}

fn history_through_pin() -> Vec<IvrEvent> {
    history(&[
        start(CALLER),
        digits("1"),
        digits("12345674"),
        digits("4321"),
    ])
}

#[test]
fn a_lookup_answer_is_saved_played_and_the_call_is_contained() {
    let answer: Fields = [
        ("balance".to_owned(), "42.50".to_owned()),
        ("currency".to_owned(), "USD".to_owned()),
    ]
    .into();
    let state = given(history_through_pin())
        .when(IvrCommand::LookupAnswered { fields: answer })
        .then([
            IvrEvent::LookupDone {
                node: "balance".into(),
                source: "bank".into(),
            },
            IvrEvent::VariableSet {
                name: "balance".into(),
                value: "42.50".into(),
            },
            entered("say_balance", NodeKind::Play),
            played("say_balance", "Your balance is 42.50."),
            entered("bye", NodeKind::HangUp),
            played("bye", "Goodbye."),
            exited("bye", FlowExit::HangUp),
        ]);
    assert_eq!(state.exit, Some(FlowExit::HangUp));
    assert_eq!(state.variables["balance"], "42.50");
}

#[test]
fn a_failed_lookup_sends_the_caller_to_the_fallback_not_to_silence() {
    let mut expected = vec![IvrEvent::LookupFailed {
        node: "balance".into(),
        source: "bank".into(),
        reason: "connection refused".into(),
    }];
    expected.extend(to_agent());
    given(history_through_pin())
        .when(IvrCommand::LookupFailed {
            reason: "connection refused".into(),
        })
        .then(expected);
}

#[test]
fn an_answer_without_the_saved_field_is_a_failed_lookup() {
    let mut expected = vec![IvrEvent::LookupFailed {
        node: "balance".into(),
        source: "bank".into(),
        reason: "the answer has no field `balance`".into(),
    }];
    expected.extend(to_agent());
    given(history_through_pin())
        .when(IvrCommand::LookupAnswered {
            fields: [("owed".to_owned(), "1".to_owned())].into(),
        })
        .then(expected);
}

#[test]
fn set_variables_steer_a_condition_to_a_skilled_queue() {
    let state = given(at_menu()).when(digits("3")).then([
        keyed("menu", "3"),
        entered("spanish", NodeKind::Set),
        IvrEvent::VariableSet {
            name: "lang".into(),
            value: "es".into(),
        },
        entered("is_spanish", NodeKind::Condition),
        checked("is_spanish", true),
        entered("spanish_agent", NodeKind::Transfer),
        exited(
            "spanish_agent",
            FlowExit::Queue {
                queue: q("support"),
                priority: 0,
                skills: vec![SkillName::new("spanish").unwrap()],
            },
        ),
    ]);
    assert_eq!(state.variables["lang"], "es");
}

#[test]
fn a_caller_hanging_up_abandons_at_the_node_they_were_at() {
    let state = given(history(&[start(CALLER), digits("1")]))
        .when(IvrCommand::CallerHangUp)
        .then([exited("account", FlowExit::Abandoned)]);
    assert_eq!(state.exit, Some(FlowExit::Abandoned));
    assert_eq!(
        engine().awaiting(&state, &BTreeMap::new()),
        Awaiting::Nothing
    );
}

#[test]
fn commands_out_of_place_are_refused() {
    given([])
        .when(digits("1"))
        .then_err(IvrRejection::NotStarted);
    given(at_menu())
        .when(start(CALLER))
        .then_err(IvrRejection::AlreadyStarted);
    given(at_menu())
        .when(IvrCommand::LookupFailed { reason: "x".into() })
        .then_err(IvrRejection::NotWaitingForLookup("menu".into()));
    given(history_through_pin())
        .when(digits("1"))
        .then_err(IvrRejection::NotWaitingForDigits("balance".into()));
    given(history_through_pin())
        .when(IvrCommand::Timeout)
        .then_err(IvrRejection::NotWaitingForDigits("balance".into()));
    let done = history(&[start(CALLER), digits("2")]);
    given(done.clone())
        .when(digits("1"))
        .then_err(IvrRejection::Exited);
    given(done)
        .when(IvrCommand::CallerHangUp)
        .then_err(IvrRejection::Exited);
}

#[test]
fn the_fold_of_a_run_is_its_state() {
    let mut run = FlowRun::new(engine());
    let mut events = Vec::new();
    for c in [start(CALLER), digits("1"), digits("1"), IvrCommand::Timeout] {
        events.extend(run.handle(&c, &Facts::default(), open()).unwrap());
    }
    let folded = engine().fold(&events);
    assert_eq!(&folded, run.state());
    assert_eq!(folded.version, events.len() as u64);
    assert_eq!(
        (folded.node.as_deref(), folded.attempts),
        (Some("account"), 2)
    );
}

// -- Running lookups through plug-ins. ----------------------------------------------------

#[derive(Debug)]
struct Bank {
    delay: Duration,
}

#[async_trait::async_trait]
impl LookupSource for Bank {
    fn name(&self) -> &str {
        "bank"
    }

    async fn lookup(&self, params: &Fields) -> Result<Fields, LookupError> {
        tokio::time::sleep(self.delay).await;
        match params.get("pin").map(String::as_str) {
            Some("4321") => Ok([("balance".to_owned(), "42.50".to_owned())].into()),
            Some(_) => Err(LookupError::Failed("wrong PIN".into())),
            None => Err(LookupError::MissingParameter("pin".into())),
        }
    }
}

fn request(pin: &str) -> LookupRequest {
    LookupRequest {
        node: "balance".into(),
        source: "bank".into(),
        params: [("pin".to_owned(), pin.to_owned())].into(),
        timeout: Duration::from_secs(2),
    }
}

#[tokio::test(start_paused = true)]
async fn a_lookup_answers_fails_or_times_out_into_a_command() {
    let quick = Lookups::default().with(Arc::new(Bank {
        delay: Duration::from_millis(300),
    }));
    assert_eq!(quick.names(), ["bank"]);
    assert_eq!(
        quick.run(&request("4321")).await,
        IvrCommand::LookupAnswered {
            fields: [("balance".to_owned(), "42.50".to_owned())].into()
        }
    );
    assert_eq!(
        quick.run(&request("0000")).await,
        IvrCommand::LookupFailed {
            reason: "wrong PIN".into()
        }
    );
    let slow = Lookups::default().with(Arc::new(Bank {
        delay: Duration::from_secs(30),
    }));
    assert_eq!(
        slow.run(&request("4321")).await,
        IvrCommand::LookupFailed {
            reason: "timed out after 2000 ms".into()
        }
    );
    let mut other = request("4321");
    other.source = "ldap".into();
    assert_eq!(
        quick.run(&other).await,
        IvrCommand::LookupFailed {
            reason: "no lookup source `ldap` in this process".into()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_lookup_walks_the_caller_to_the_fallback() {
    let lookups = Lookups::default().with(Arc::new(Bank {
        delay: Duration::from_secs(30),
    }));
    let mut run = FlowRun::new(engine());
    for c in [
        start(CALLER),
        digits("1"),
        digits("12345674"),
        digits("4321"),
    ] {
        run.handle(&c, &Facts::default(), open()).unwrap();
    }
    let Awaiting::Lookup(req) = run.awaiting() else {
        panic!("waits for the lookup")
    };
    let command = lookups.run(&req).await;
    let events = run.handle(&command, &Facts::default(), open()).unwrap();
    assert_eq!(
        events.first(),
        Some(&IvrEvent::LookupFailed {
            node: "balance".into(),
            source: "bank".into(),
            reason: "timed out after 2000 ms".into(),
        })
    );
    assert_eq!(&events[1..], to_agent().as_slice());
}
