//! IVR flows: what a caller hears and keys before reaching a queue, as the administrator
//! writes it in a TOML flow file (`flows/example.toml` at the repository root documents
//! the format).
//!
//! A flow is a graph of named nodes. These are the validated types: every node a node
//! names exists, every queue, skill and business hours a node names exists in the
//! center's configuration, every node is reachable from the start, and no loop runs
//! without waiting for the caller (or a lookup), so a flow that loads cannot send a caller
//! into nothing or spin. The engine that walks a flow is `hotline-actors`' `ivr` module.

mod load;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use hotline_events::{NodeKind, QueueId, SkillName};

use super::{BusinessHours, CenterConfig, ConfigErrors};

/// Variables every flow starts with: the caller's number, the number dialled, and the
/// customer's id when the caller is a known customer (empty otherwise).
pub const BUILT_IN_VARIABLES: [&str; 3] = ["caller", "number", "customer"];

/// A loaded, validated flow.
#[derive(Debug, Clone)]
pub struct Flow {
    /// The `[flow] name`, written in every `flow_started` event.
    pub name: String,
    /// The node the flow starts at.
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
}

/// One node: an optional prompt played on entry, and what the node does.
#[derive(Debug, Clone)]
pub struct Node {
    /// Played when the flow enters the node; `{variable}` is replaced by its value.
    pub prompt: Option<String>,
    pub action: Action,
}

/// What a node does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Play the prompt, wait for keys, go where the keys say.
    Menu(Menu),
    /// Play the prompt, wait for a number, check it, store it in a variable.
    Collect(Collect),
    /// Ask a plug-in for business data (an account's balance), store the answer.
    Lookup(Lookup),
    /// Branch on business hours, the caller, a queue's length or a variable.
    Condition(Condition),
    /// Set variables, then go on.
    Set {
        values: Vec<(String, String)>,
        next: String,
    },
    /// Play the prompt, then go on.
    Play { next: String },
    /// Leave the flow for a queue.
    Transfer {
        queue: QueueId,
        priority: u8,
        skills: Vec<SkillName>,
    },
    /// Leave the flow for a voicemail box: the queue's, or the agent's with this login
    /// (the call is still counted for the queue).
    Voicemail {
        queue: QueueId,
        agent: Option<String>,
    },
    /// Leave the flow with a callback request to a queue; `number` is a template
    /// (`{caller}` by default).
    Callback { queue: QueueId, number: String },
    /// End the call: the caller was served by the flow itself.
    HangUp,
}

/// How a node that waits for keys handles silence and wrong keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// How long the caller has to key the whole entry after the prompt.
    pub timeout: Duration,
    /// How many more tries after the first; then the flow goes to `on_failure`.
    pub retries: u32,
    /// Played after wrong keys, before the prompt is played again.
    pub invalid_prompt: Option<String>,
    /// Played after silence, before the prompt is played again.
    pub timeout_prompt: Option<String>,
    /// Where the caller goes when the tries run out: a safe place, such as an agent.
    pub on_failure: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Menu {
    /// Keys -> node.
    pub options: BTreeMap<String, String>,
    pub retry: Retry,
}

/// Digit collection, such as an account number or a PIN.
#[derive(Debug, Clone)]
pub struct Collect {
    /// The variable the digits are stored in.
    pub variable: String,
    pub min_length: u32,
    pub max_length: u32,
    /// A regular expression the whole input must match.
    pub pattern: Option<regex::Regex>,
    pub checksum: Option<Checksum>,
    /// A PIN: the digits never reach the log, only their number.
    pub secret: bool,
    pub next: String,
    pub retry: Retry,
}

/// A check digit scheme a collected number must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// The Luhn (mod 10) check digit of card and many account numbers.
    Luhn,
}

impl Checksum {
    pub const ALL: [Checksum; 1] = [Checksum::Luhn];

    pub fn name(self) -> &'static str {
        match self {
            Checksum::Luhn => "luhn",
        }
    }

    /// Whether `digits` (only 0-9) carry a valid check digit.
    pub fn verify(self, digits: &str) -> bool {
        match self {
            Checksum::Luhn => luhn(digits),
        }
    }
}

/// The Luhn check: from the right, double every second digit (subtracting 9 above 9);
/// the sum is a multiple of 10.
fn luhn(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A data lookup through a plug-in.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// The plug-in's name (`crm`, `http`).
    pub source: String,
    /// What the plug-in is asked, its values templates (`{account}`).
    pub params: BTreeMap<String, String>,
    /// Variable <- field of the answer. A missing field fails the lookup.
    pub save: BTreeMap<String, String>,
    /// A lookup that takes longer fails.
    pub timeout: Duration,
    pub next: String,
    /// Where the caller goes when the lookup fails or times out.
    pub fallback: String,
}

#[derive(Debug, Clone)]
pub struct Condition {
    pub test: Test,
    pub then: String,
    pub otherwise: String,
}

/// What a condition node tests.
#[derive(Debug, Clone)]
pub enum Test {
    /// The business hours (of the center's configuration) are open now.
    Open(BusinessHours),
    /// The caller's number is in the list (a VIP list).
    CallerIn(Vec<String>),
    /// More than `calls` calls wait in `queue`.
    QueueWaitingOver { queue: QueueId, calls: u32 },
    /// The variable holds exactly this value.
    Equals { variable: String, value: String },
}

impl Node {
    pub fn kind(&self) -> NodeKind {
        match &self.action {
            Action::Menu(_) => NodeKind::Menu,
            Action::Collect(_) => NodeKind::Collect,
            Action::Lookup(_) => NodeKind::Lookup,
            Action::Condition(_) => NodeKind::Condition,
            Action::Set { .. } => NodeKind::Set,
            Action::Play { .. } => NodeKind::Play,
            Action::Transfer { .. } => NodeKind::Transfer,
            Action::Voicemail { .. } => NodeKind::Voicemail,
            Action::Callback { .. } => NodeKind::Callback,
            Action::HangUp => NodeKind::HangUp,
        }
    }

    /// The nodes this node may go to.
    pub fn successors(&self) -> Vec<&str> {
        match &self.action {
            Action::Menu(m) => m
                .options
                .values()
                .map(String::as_str)
                .chain([m.retry.on_failure.as_str()])
                .collect(),
            Action::Collect(c) => vec![c.next.as_str(), c.retry.on_failure.as_str()],
            Action::Lookup(l) => vec![l.next.as_str(), l.fallback.as_str()],
            Action::Condition(c) => vec![c.then.as_str(), c.otherwise.as_str()],
            Action::Set { next, .. } | Action::Play { next } => vec![next.as_str()],
            Action::Transfer { .. }
            | Action::Voicemail { .. }
            | Action::Callback { .. }
            | Action::HangUp => Vec::new(),
        }
    }
}

impl Flow {
    /// Reads and validates the flow file at `path` against the center's configuration;
    /// `sources` are the lookup plug-ins this process has (`crm`, `http`). Errors name the
    /// file, line, column and field, all of them at once.
    pub fn load(
        path: &Path,
        center: &CenterConfig,
        sources: &[&str],
    ) -> Result<Flow, ConfigErrors> {
        let (text, file) = super::read_file(path, "flow")?;
        Flow::parse(&text, &file, center, sources)
    }

    /// [`Flow::load`] for text, reporting errors against `file_name`.
    pub fn parse(
        text: &str,
        file_name: &str,
        center: &CenterConfig,
        sources: &[&str],
    ) -> Result<Flow, ConfigErrors> {
        load::parse(text, file_name, center, sources)
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.get(name)
    }
}

/// The variables `template` refers to (`{name}`), or the offset of a brace that does not
/// open or close one.
pub fn template_variables(template: &str) -> Result<Vec<&str>, usize> {
    let mut names = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(offset + open);
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find(['{', '}']) else {
            return Err(offset + open);
        };
        if after[close..].starts_with('{') {
            return Err(offset + open);
        }
        names.push(&after[..close]);
        offset += open + 1 + close + 1;
        rest = &after[close + 1..];
    }
    Ok(names)
}

/// `template` with each `{name}` replaced by `value(name)`.
pub fn fill_template(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&value(&rest[open + 1..open + close]));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether `name` may name a variable: a lowercase letter, then lowercase letters,
/// digits and `_`, at most 32.
pub fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && name.len() <= 32
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
