//! The IVR flow engine: a pure core that walks a loaded [`Flow`] (infra's
//! `config::flow`) for one call, shaped like the call core: `decide` what happens when a
//! command meets the state, `evolve` the state by what happened.
//!
//! The state is where the caller is (the node), the variables, and the failed tries at the
//! node; the commands are what arrives from outside (the caller's keys, a timeout, a
//! lookup's answer, the caller hanging up); the events are one per step (`ivr_*` on the
//! stream `ivr-<call id>`). One command walks the flow until it must wait (a menu, a
//! collection, a lookup) or lets the caller go (a transfer, voicemail, callback or hang
//! up), so the shell only ever waits on one thing, which [`FlowEngine::awaiting`] names.
//!
//! The rules a flow run keeps:
//! - every way out of a node that waits leads somewhere: wrong keys and silence are retried
//!   then go to the node's `on_failure`; a failed or slow lookup goes to its `fallback`;
//! - a secret collection (a PIN) never writes its digits to the log; the state holds
//!   [`SECRET`] in their place and [`run::FlowRun`] keeps the digits in memory for the
//!   lookup that checks them;
//! - `flow_exited` is the last event of a run: an exited run refuses every command.

pub mod lookup;
pub mod run;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use hotline_events::{FlowExit, InvalidReason, IvrEvent, QueueId, Timestamp, normalize_phone};
use hotline_infra::config::flow::{
    Action, BUILT_IN_VARIABLES, Collect, Flow, Node, Retry, Test, fill_template,
};

/// What a secret variable holds in the state (and in prompts): the digits are not in the
/// log, so a fold of the log cannot know them.
pub const SECRET: &str = "****";

/// A run of one flow, folded from its events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IvrState {
    /// Events folded so far.
    pub version: u64,
    /// The flow's name, once started.
    pub flow: Option<String>,
    /// The node the caller is at.
    pub node: Option<String>,
    /// Failed tries (wrong keys, silence) at the current node.
    pub attempts: u32,
    pub variables: BTreeMap<String, String>,
    /// How the run ended, once it has.
    pub exit: Option<FlowExit>,
}

/// What arrives from outside.
#[derive(Debug, Clone, PartialEq)]
pub enum IvrCommand {
    /// The call enters the flow with these variables (`caller`, `number`, `customer`).
    Start { variables: BTreeMap<String, String> },
    /// The caller keyed `digits` (a whole entry, the terminating `#` removed).
    Digits { digits: String },
    /// The node's timeout ran out with no keys.
    Timeout,
    /// The lookup plug-in answered with these fields.
    LookupAnswered { fields: BTreeMap<String, String> },
    /// The lookup failed or did not answer in time.
    LookupFailed { reason: String },
    /// The caller hung up.
    CallerHangUp,
}

/// What the world looks like when a command arrives, for condition nodes: anything from
/// outside arrives with the command, so `decide` stays pure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Calls waiting per queue now (a queue not listed has none).
    pub waiting: BTreeMap<QueueId, u32>,
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IvrRejection {
    #[error("the flow has not started")]
    NotStarted,
    #[error("the flow has already started")]
    AlreadyStarted,
    #[error("the flow has exited")]
    Exited,
    #[error("node `{0}` does not wait for keys")]
    NotWaitingForDigits(String),
    #[error("node `{0}` does not wait for a lookup")]
    NotWaitingForLookup(String),
    /// The run is at a node this flow does not have: the flow file changed under a live
    /// call. The shell sends such a caller to a safe place itself.
    #[error("this flow has no node `{0}`")]
    UnknownNode(String),
    /// Only a flow that was not validated can loop without waiting.
    #[error("the flow ran {0} steps without waiting for the caller")]
    Spins(usize),
}

/// What the run waits for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaiting {
    /// Nothing: not started, or exited.
    Nothing,
    /// The caller's keys at `node`, at most `max_digits` of them, for at most `timeout`
    /// (then [`IvrCommand::Timeout`]).
    Input {
        node: String,
        max_digits: u8,
        timeout: Duration,
    },
    /// A lookup's answer (then [`IvrCommand::LookupAnswered`] or `LookupFailed`).
    Lookup(LookupRequest),
}

/// The flows the center's numbers run, and the lookup sources they may use: what call
/// actors need to run a flow. Empty by default: numbers then use their `menu`.
#[derive(Debug, Clone, Default)]
pub struct Flows {
    by_number: HashMap<String, FlowEngine>,
    /// Post-call surveys by queue, with the CSAT question's node.
    surveys: HashMap<QueueId, (FlowEngine, Option<String>)>,
    lookups: lookup::Lookups,
}

impl Flows {
    pub fn new(lookups: lookup::Lookups) -> Self {
        Self {
            by_number: HashMap::new(),
            surveys: HashMap::new(),
            lookups,
        }
    }

    /// After an agent of `queue` hangs up, a caller who stays on answers `flow`; the
    /// answer to the node `csat` (1-5) is the CSAT score.
    pub fn with_survey(mut self, queue: QueueId, flow: Arc<Flow>, csat: Option<String>) -> Self {
        self.surveys.insert(queue, (FlowEngine::new(flow), csat));
        self
    }

    /// The survey of `queue`'s calls and its CSAT question, if it has one.
    pub fn survey_for(&self, queue: &QueueId) -> Option<(&FlowEngine, Option<&str>)> {
        self.surveys
            .get(queue)
            .map(|(engine, csat)| (engine, csat.as_deref()))
    }

    /// Calls to `number` (as the network delivers it) run `flow` before they queue.
    pub fn with(mut self, number: impl Into<String>, flow: Arc<Flow>) -> Self {
        self.by_number.insert(number.into(), FlowEngine::new(flow));
        self
    }

    pub fn for_number(&self, number: &str) -> Option<&FlowEngine> {
        self.by_number.get(number)
    }

    pub fn lookups(&self) -> &lookup::Lookups {
        &self.lookups
    }
}

/// A lookup to run: the plug-in, its parameters filled in, and how long it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRequest {
    pub node: String,
    pub source: String,
    pub params: BTreeMap<String, String>,
    pub timeout: Duration,
}

/// The most steps one command may walk without waiting; a validated flow cannot loop
/// without waiting, so only a hand-built one reaches this.
const MAX_STEPS: usize = 1000;

/// The engine for one flow: `decide` and `evolve` for its runs.
#[derive(Debug, Clone)]
pub struct FlowEngine {
    flow: Arc<Flow>,
}

impl FlowEngine {
    pub fn new(flow: Arc<Flow>) -> Self {
        Self { flow }
    }

    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// Whether a condition of this flow reads queue lengths ([`Facts::waiting`]), so that a
    /// shell asks the router for them only when they matter.
    pub fn reads_queue_lengths(&self) -> bool {
        self.flow.nodes.values().any(|n| {
            matches!(
                &n.action,
                Action::Condition(c) if matches!(c.test, Test::QueueWaitingOver { .. })
            )
        })
    }

    /// What happens when `command` meets `state` at `now`, with `facts` about the world.
    pub fn decide(
        &self,
        state: &IvrState,
        command: &IvrCommand,
        facts: &Facts,
        now: Timestamp,
    ) -> Result<Vec<IvrEvent>, IvrRejection> {
        if state.exit.is_some() {
            return Err(IvrRejection::Exited);
        }
        let mut step = Step {
            engine: self,
            state: state.clone(),
            events: Vec::new(),
            facts,
            now,
        };
        let (name, node) = match (command, &state.flow) {
            (IvrCommand::Start { variables }, None) => {
                let mut variables = variables.clone();
                for v in BUILT_IN_VARIABLES {
                    variables.entry(v.to_owned()).or_default();
                }
                step.emit(IvrEvent::FlowStarted {
                    flow: self.flow.name.clone(),
                    variables,
                });
                step.enter(self.flow.start.clone())?;
                return Ok(step.events);
            }
            (IvrCommand::Start { .. }, Some(_)) => return Err(IvrRejection::AlreadyStarted),
            (_, None) => return Err(IvrRejection::NotStarted),
            (_, Some(_)) => {
                let name = state.node.clone().unwrap_or_default();
                let node = self
                    .flow
                    .node(&name)
                    .ok_or_else(|| IvrRejection::UnknownNode(name.clone()))?;
                (name, node)
            }
        };
        match (command, &node.action) {
            (IvrCommand::Start { .. }, _) => return Err(IvrRejection::AlreadyStarted),
            (IvrCommand::CallerHangUp, _) => step.emit(IvrEvent::FlowExited {
                node: name,
                exit: FlowExit::Abandoned,
            }),
            (IvrCommand::Digits { digits }, Action::Menu(menu)) => match menu.options.get(digits) {
                Some(to) => {
                    step.emit(IvrEvent::DigitsCollected {
                        node: name,
                        digits: Some(digits.clone()),
                        length: length(digits),
                    });
                    step.enter(to.clone())?;
                }
                None => step.failed(&name, node, &menu.retry, Some(InvalidReason::NoSuchOption))?,
            },
            (IvrCommand::Digits { digits }, Action::Collect(collect)) => {
                match check(collect, digits) {
                    Ok(()) => {
                        step.emit(IvrEvent::DigitsCollected {
                            node: name,
                            digits: (!collect.secret).then(|| digits.clone()),
                            length: length(digits),
                        });
                        step.enter(collect.next.clone())?;
                    }
                    Err(why) => step.failed(&name, node, &collect.retry, Some(why))?,
                }
            }
            (IvrCommand::Digits { .. }, _) => return Err(IvrRejection::NotWaitingForDigits(name)),
            (IvrCommand::Timeout, Action::Menu(menu)) => {
                step.failed(&name, node, &menu.retry, None)?;
            }
            (IvrCommand::Timeout, Action::Collect(collect)) => {
                step.failed(&name, node, &collect.retry, None)?;
            }
            (IvrCommand::Timeout, _) => return Err(IvrRejection::NotWaitingForDigits(name)),
            (IvrCommand::LookupAnswered { fields }, Action::Lookup(lookup)) => {
                let missing = lookup.save.values().find(|f| !fields.contains_key(*f));
                if let Some(field) = missing {
                    step.emit(IvrEvent::LookupFailed {
                        node: name,
                        source: lookup.source.clone(),
                        reason: format!("the answer has no field `{field}`"),
                    });
                    step.enter(lookup.fallback.clone())?;
                } else {
                    step.emit(IvrEvent::LookupDone {
                        node: name,
                        source: lookup.source.clone(),
                    });
                    for (variable, field) in &lookup.save {
                        step.emit(IvrEvent::VariableSet {
                            name: variable.clone(),
                            value: fields.get(field).cloned().unwrap_or_default(),
                        });
                    }
                    step.enter(lookup.next.clone())?;
                }
            }
            (IvrCommand::LookupFailed { reason }, Action::Lookup(lookup)) => {
                step.emit(IvrEvent::LookupFailed {
                    node: name,
                    source: lookup.source.clone(),
                    reason: reason.clone(),
                });
                step.enter(lookup.fallback.clone())?;
            }
            (IvrCommand::LookupAnswered { .. } | IvrCommand::LookupFailed { .. }, _) => {
                return Err(IvrRejection::NotWaitingForLookup(name));
            }
        }
        Ok(step.events)
    }

    /// The state after `event`. Cannot fail: events are facts; a node this flow no longer
    /// has changes nothing but the position.
    pub fn evolve(&self, mut s: IvrState, event: &IvrEvent) -> IvrState {
        s.version += 1;
        match event {
            IvrEvent::FlowStarted { flow, variables } => {
                s.flow = Some(flow.clone());
                s.variables = variables.clone();
                s.node = None;
                s.attempts = 0;
                s.exit = None;
            }
            IvrEvent::NodeEntered { node, .. } => {
                s.node = Some(node.clone());
                s.attempts = 0;
            }
            IvrEvent::DigitsCollected { node, digits, .. } => {
                if let Some(Node {
                    action: Action::Collect(c),
                    ..
                }) = self.flow.node(node)
                {
                    let value = digits.clone().unwrap_or_else(|| SECRET.to_owned());
                    s.variables.insert(c.variable.clone(), value);
                }
            }
            IvrEvent::InvalidInput { attempt, .. } | IvrEvent::InputTimedOut { attempt, .. } => {
                s.attempts = *attempt;
            }
            IvrEvent::VariableSet { name, value } => {
                s.variables.insert(name.clone(), value.clone());
            }
            IvrEvent::FlowExited { exit, .. } => s.exit = Some(exit.clone()),
            IvrEvent::PromptPlayed { .. }
            | IvrEvent::ConditionChecked { .. }
            | IvrEvent::LookupDone { .. }
            | IvrEvent::LookupFailed { .. } => {}
        }
        s
    }

    /// The fold of a run's events.
    pub fn fold<'e>(&self, events: impl IntoIterator<Item = &'e IvrEvent>) -> IvrState {
        events
            .into_iter()
            .fold(IvrState::default(), |s, e| self.evolve(s, e))
    }

    /// What the run at `state` waits for; lookup parameters are filled from the variables,
    /// with `secrets` (digits of secret collections) in place of [`SECRET`].
    pub fn awaiting(&self, state: &IvrState, secrets: &BTreeMap<String, String>) -> Awaiting {
        if state.exit.is_some() || state.flow.is_none() {
            return Awaiting::Nothing;
        }
        let Some((name, node)) = state
            .node
            .as_ref()
            .and_then(|n| self.flow.node(n).map(|node| (n, node)))
        else {
            return Awaiting::Nothing;
        };
        match &node.action {
            Action::Menu(m) => Awaiting::Input {
                node: name.clone(),
                max_digits: m.options.keys().map(String::len).max().map_or(1, digits_u8),
                timeout: m.retry.timeout,
            },
            Action::Collect(c) => Awaiting::Input {
                node: name.clone(),
                max_digits: u8::try_from(c.max_length).unwrap_or(u8::MAX),
                timeout: c.retry.timeout,
            },
            Action::Lookup(l) => Awaiting::Lookup(LookupRequest {
                node: name.clone(),
                source: l.source.clone(),
                params: l
                    .params
                    .iter()
                    .map(|(k, t)| {
                        let value = fill_template(t, |v| {
                            secrets
                                .get(v)
                                .or_else(|| state.variables.get(v))
                                .cloned()
                                .unwrap_or_default()
                        });
                        (k.clone(), value)
                    })
                    .collect(),
                timeout: l.timeout,
            }),
            _ => Awaiting::Nothing,
        }
    }
}

/// One command's walk: the events so far and the state they lead to.
struct Step<'e> {
    engine: &'e FlowEngine,
    state: IvrState,
    events: Vec<IvrEvent>,
    facts: &'e Facts,
    now: Timestamp,
}

impl Step<'_> {
    fn emit(&mut self, event: IvrEvent) {
        let state = std::mem::take(&mut self.state);
        self.state = self.engine.evolve(state, &event);
        self.events.push(event);
    }

    fn fill(&self, template: &str) -> String {
        fill_template(template, |v| {
            self.state.variables.get(v).cloned().unwrap_or_default()
        })
    }

    /// Walks from `name` until a node waits or the flow exits.
    fn enter(&mut self, mut name: String) -> Result<(), IvrRejection> {
        let flow = self.engine.flow.clone();
        for _ in 0..MAX_STEPS {
            let node = flow
                .node(&name)
                .ok_or_else(|| IvrRejection::UnknownNode(name.clone()))?;
            let kind = node.kind();
            self.emit(IvrEvent::NodeEntered {
                node: name.clone(),
                kind,
            });
            if let Some(prompt) = &node.prompt {
                let prompt = self.fill(prompt);
                self.emit(IvrEvent::PromptPlayed {
                    node: name.clone(),
                    prompt,
                });
            }
            let exit = match &node.action {
                Action::Menu(_) | Action::Collect(_) | Action::Lookup(_) => return Ok(()),
                Action::Condition(c) => {
                    let result = self.test(&c.test);
                    self.emit(IvrEvent::ConditionChecked {
                        node: name.clone(),
                        result,
                    });
                    name = if result { &c.then } else { &c.otherwise }.clone();
                    continue;
                }
                Action::Set { values, next } => {
                    for (variable, template) in values {
                        let value = self.fill(template);
                        self.emit(IvrEvent::VariableSet {
                            name: variable.clone(),
                            value,
                        });
                    }
                    name = next.clone();
                    continue;
                }
                Action::Play { next } => {
                    name = next.clone();
                    continue;
                }
                Action::Transfer {
                    queue,
                    priority,
                    skills,
                } => FlowExit::Queue {
                    queue: queue.clone(),
                    priority: *priority,
                    skills: skills.clone(),
                },
                Action::Voicemail { queue, agent } => FlowExit::Voicemail {
                    queue: queue.clone(),
                    agent: agent.clone(),
                },
                Action::Callback { queue, number } => FlowExit::Callback {
                    queue: queue.clone(),
                    number: self.fill(number),
                },
                Action::HangUp => FlowExit::HangUp,
            };
            self.emit(IvrEvent::FlowExited { node: name, exit });
            return Ok(());
        }
        Err(IvrRejection::Spins(MAX_STEPS))
    }

    /// A failed try at `name`: wrong keys (`why`) or silence (`None`). Retried with the
    /// node's prompt while tries remain, then off to `on_failure`.
    fn failed(
        &mut self,
        name: &str,
        node: &Node,
        retry: &Retry,
        why: Option<InvalidReason>,
    ) -> Result<(), IvrRejection> {
        let attempt = self.state.attempts + 1;
        let (event, sorry) = match why {
            Some(reason) => (
                IvrEvent::InvalidInput {
                    node: name.to_owned(),
                    attempt,
                    reason,
                },
                &retry.invalid_prompt,
            ),
            None => (
                IvrEvent::InputTimedOut {
                    node: name.to_owned(),
                    attempt,
                },
                &retry.timeout_prompt,
            ),
        };
        self.emit(event);
        if attempt > retry.retries {
            return self.enter(retry.on_failure.clone());
        }
        for prompt in [sorry, &node.prompt].into_iter().flatten() {
            let prompt = self.fill(prompt);
            self.emit(IvrEvent::PromptPlayed {
                node: name.to_owned(),
                prompt,
            });
        }
        Ok(())
    }

    fn test(&self, test: &Test) -> bool {
        match test {
            Test::Open(hours) => hours.is_open(self.now.to_datetime()),
            Test::CallerIn(numbers) => {
                let caller = self
                    .state
                    .variables
                    .get("caller")
                    .map(String::as_str)
                    .unwrap_or("");
                let caller = normalize_phone(caller).unwrap_or_else(|_| caller.to_owned());
                numbers.contains(&caller)
            }
            Test::QueueWaitingOver { queue, calls } => {
                self.facts.waiting.get(queue).copied().unwrap_or(0) > *calls
            }
            Test::Equals { variable, value } => self.state.variables.get(variable) == Some(value),
        }
    }
}

/// Whether `digits` pass a collection's checks, or why not.
fn check(c: &Collect, digits: &str) -> Result<(), InvalidReason> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidReason::Pattern);
    }
    let n = length(digits);
    if n < c.min_length {
        return Err(InvalidReason::TooShort);
    }
    if n > c.max_length {
        return Err(InvalidReason::TooLong);
    }
    if let Some(pattern) = &c.pattern
        && !pattern.is_match(digits)
    {
        return Err(InvalidReason::Pattern);
    }
    if let Some(checksum) = c.checksum
        && !checksum.verify(digits)
    {
        return Err(InvalidReason::Checksum);
    }
    Ok(())
}

fn digits_u8(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

fn length(digits: &str) -> u32 {
    u32::try_from(digits.chars().count()).unwrap_or(u32::MAX)
}
