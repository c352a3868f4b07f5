//! Loading a flow file: TOML -> raw serde structs -> a validated [`Flow`], with every
//! error located by file, line, column and field, through the center loader's machinery
//! (`config/load.rs`), so both kinds of file report problems the same way.
//!
//! Each node is read by the struct of its `type`, so an unknown key names the node and the
//! key; references (nodes, queues, skills, hours, variables) are checked once every node
//! is read; the graph (reachability, loops that never wait) only when the rest is sound,
//! so one mistake does not cascade into a page of consequences.

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;
use std::time::Duration;

use hotline_events::{NodeKind, QueueId, SkillName, normalize_phone};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::super::load::{FieldPath, Loader, NonZero, known, line_column, with_article};
use super::super::{CenterConfig, ConfigError, ConfigErrors};
use super::{
    Action, BUILT_IN_VARIABLES, Checksum, Collect, Condition, Flow, Lookup, Menu, Node, Retry,
    Test, is_variable_name, template_variables,
};

/// The top-level keys of a flow file.
const SECTIONS: [&str; 2] = ["flow", "nodes"];

pub(super) fn parse(
    text: &str,
    file: &str,
    center: &CenterConfig,
    sources: &[&str],
) -> Result<Flow, ConfigErrors> {
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
            return Err(ConfigErrors {
                errors: vec![ConfigError {
                    file: file.to_owned(),
                    line,
                    column,
                    field: String::new(),
                    message: format!("invalid TOML: {}", e.message().trim_end()),
                }],
            });
        }
    };
    let span = root.span();
    let root = Spanned::new(span, DeValue::Table(root.into_inner()));
    let mut reader = FlowReader {
        l: Loader {
            text,
            file,
            root: &root,
            others: &[],
            sections: &SECTIONS,
            errors: Vec::new(),
        },
        center,
        sources,
        templates: Vec::new(),
        variable_refs: Vec::new(),
        defined: BUILT_IN_VARIABLES.iter().map(|v| (*v).to_owned()).collect(),
    };
    let flow = reader.flow();
    let mut errors = reader.l.errors;
    if errors.is_empty()
        && let Some(flow) = flow
    {
        return Ok(flow);
    }
    errors.sort_by_key(|e| (e.line, e.column));
    Err(ConfigErrors { errors })
}

// ---------------------------------------------------------------------------------------
// Raw forms, one per node type. `deny_unknown_fields` turns a key of another type (a
// `next` on a menu) or a typo into an error naming it.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    name: Option<String>,
    start: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMenu {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
    options: Option<BTreeMap<String, String>>,
    timeout: Option<String>,
    retries: Option<i64>,
    invalid_prompt: Option<String>,
    timeout_prompt: Option<String>,
    on_failure: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollect {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
    variable: Option<String>,
    length: Option<i64>,
    min_length: Option<i64>,
    max_length: Option<i64>,
    pattern: Option<String>,
    checksum: Option<String>,
    secret: Option<bool>,
    timeout: Option<String>,
    retries: Option<i64>,
    invalid_prompt: Option<String>,
    timeout_prompt: Option<String>,
    next: Option<String>,
    on_failure: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLookup {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
    source: Option<String>,
    params: Option<BTreeMap<String, String>>,
    save: Option<BTreeMap<String, String>>,
    timeout: Option<String>,
    next: Option<String>,
    fallback: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
    open: Option<String>,
    caller_in: Option<Vec<String>>,
    queue_waiting_over: Option<RawQueueLength>,
    variable: Option<String>,
    equals: Option<String>,
    then: Option<String>,
    #[serde(rename = "else")]
    otherwise: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueueLength {
    queue: Option<String>,
    calls: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
    set: Option<BTreeMap<String, String>>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlay {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransfer {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
    queue: Option<String>,
    priority: Option<u8>,
    skills: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVoicemail {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
    queue: Option<String>,
    agent: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCallback {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
    queue: Option<String>,
    number: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHangUp {
    #[serde(rename = "type")]
    _type: Option<String>,
    prompt: Option<String>,
}

/// The retry settings menus and collections share.
struct RawRetry {
    timeout: Option<String>,
    retries: Option<i64>,
    invalid_prompt: Option<String>,
    timeout_prompt: Option<String>,
    on_failure: Option<String>,
}

// ---------------------------------------------------------------------------------------

struct FlowReader<'a, 't> {
    l: Loader<'a, 't>,
    center: &'a CenterConfig,
    sources: &'a [&'a str],
    /// Every template read, to check its variables once all are known.
    templates: Vec<(FieldPath, String)>,
    /// Every variable a node reads by name (a condition's `variable`).
    variable_refs: Vec<(FieldPath, String)>,
    /// Variables some node sets, and the built-in ones.
    defined: HashSet<String>,
}

impl<'a, 't> FlowReader<'a, 't> {
    fn flow(&mut self) -> Option<Flow> {
        let top = FieldPath::default();
        if let DeValue::Table(table) = self.l.root.get_ref() {
            for (key, _) in table.iter() {
                if !SECTIONS.contains(&key.get_ref().as_ref()) {
                    let message = format!(
                        "unknown setting `{}`; a flow file holds only [flow] (name, start) and [nodes.NAME] tables",
                        key.get_ref()
                    );
                    self.l.push(top.key(key.get_ref()), key.span(), message);
                }
            }
        }
        let header = match self.l.node(&top.key("flow")) {
            None => {
                self.l.error(
                    &top.key("flow"),
                    "the [flow] table is missing; start the file with [flow] name = \"main\" start = \"NODE\"".to_owned(),
                );
                None
            }
            Some(node) => self.l.item::<RawFlow>(node, &top.key("flow")),
        };
        let (name, start) = match header {
            Some(raw) => {
                let name = self
                    .l
                    .required(&top.key("flow").key("name"), raw.name)
                    .and_then(|n| self.l.non_empty(&top.key("flow").key("name"), n));
                let start = self.l.required(&top.key("flow").key("start"), raw.start);
                (name, start)
            }
            None => (None, None),
        };

        // Node names come from the tree, so a node with an unrelated error still counts as
        // defined and references to it do not cascade.
        let nodes_path = top.key("nodes");
        let mut entries: Vec<(String, &'a Spanned<DeValue<'t>>)> = Vec::new();
        match self.l.node(&nodes_path).map(|n| n.get_ref()) {
            None => self.l.error(
                &nodes_path,
                "the flow has no nodes; add [nodes.NAME] tables, such as [nodes.welcome] type = \"play\"".to_owned(),
            ),
            Some(DeValue::Table(table)) => {
                for (key, value) in table.iter() {
                    entries.push((key.get_ref().to_string(), value));
                }
            }
            Some(other) => {
                let message = format!(
                    "expected [nodes.NAME] tables, found {}",
                    with_article(other.type_str())
                );
                self.l.error(&nodes_path, message);
            }
        }
        let names: HashSet<String> = entries.iter().map(|(n, _)| n.clone()).collect();
        let mut nodes = BTreeMap::new();
        let mut all_read = true;
        for (node_name, value) in &entries {
            let path = nodes_path.key(node_name);
            if !is_node_name(node_name) {
                self.l.error(
                    &path,
                    format!(
                        "\"{node_name}\" is not a node name; use a lowercase letter, then lowercase letters, digits, `_` or `-` (at most 64)"
                    ),
                );
                all_read = false;
                continue;
            }
            match self.node(&path, value, &names) {
                Some(node) => {
                    nodes.insert(node_name.clone(), node);
                }
                None => all_read = false,
            }
        }
        if let Some(start) = &start
            && !names.contains(start)
        {
            let message = format!(
                "no node `{start}` in this flow; name the node the flow begins with{}",
                known("defined", &names)
            );
            self.l.error(&top.key("flow").key("start"), message);
        }
        self.check_variables();

        if !all_read || !self.l.errors.is_empty() {
            return None;
        }
        let flow = Flow {
            name: name?,
            start: start?,
            nodes,
        };
        self.check_graph(&flow);
        Some(flow)
    }

    fn node(
        &mut self,
        path: &FieldPath,
        value: &Spanned<DeValue<'t>>,
        names: &HashSet<String>,
    ) -> Option<Node> {
        let kinds: Vec<&str> = NodeKind::ALL.iter().map(|k| k.name()).collect();
        let DeValue::Table(table) = value.get_ref() else {
            let message = format!(
                "expected a node table, such as [{path}] type = \"play\", found {}",
                with_article(value.get_ref().type_str())
            );
            self.l.error(path, message);
            return None;
        };
        let Some(type_name) = table.get("type").and_then(|t| t.get_ref().as_str()) else {
            let message = if table.get("type").is_some() {
                format!("`type` must be text, one of {}", kinds.join(", "))
            } else {
                format!(
                    "`type` is missing; every node needs one of {}",
                    kinds.join(", ")
                )
            };
            self.l.error(&path.key("type"), message);
            return None;
        };
        let Some(kind) = NodeKind::ALL.into_iter().find(|k| k.name() == type_name) else {
            let message = format!(
                "unknown node type \"{type_name}\"; expected one of {}",
                kinds.join(", ")
            );
            self.l.error(&path.key("type"), message);
            return None;
        };
        let (prompt, action) = match kind {
            NodeKind::Menu => {
                let raw = self.l.item::<RawMenu>(value, path)?;
                let retry = RawRetry {
                    timeout: raw.timeout,
                    retries: raw.retries,
                    invalid_prompt: raw.invalid_prompt,
                    timeout_prompt: raw.timeout_prompt,
                    on_failure: raw.on_failure,
                };
                (raw.prompt, self.menu(path, raw.options, retry, names))
            }
            NodeKind::Collect => {
                let raw = self.l.item::<RawCollect>(value, path)?;
                let prompt = raw.prompt.clone();
                (prompt, self.collect(path, raw, names))
            }
            NodeKind::Lookup => {
                let raw = self.l.item::<RawLookup>(value, path)?;
                let prompt = raw.prompt.clone();
                (prompt, self.lookup(path, raw, names))
            }
            NodeKind::Condition => {
                let raw = self.l.item::<RawCondition>(value, path)?;
                let prompt = raw.prompt.clone();
                (prompt, self.condition(path, raw, names))
            }
            NodeKind::Set => {
                let raw = self.l.item::<RawSet>(value, path)?;
                let next = self.next(path, "next", raw.next, names);
                let mut values = Vec::new();
                let mut ok = true;
                let set = self
                    .l
                    .required(&path.key("set"), raw.set)
                    .unwrap_or_default();
                for (variable, template) in set {
                    let field = path.key("set").key(&variable);
                    ok &= self.variable_name(&field, &variable);
                    self.defined.insert(variable.clone());
                    self.templates.push((field, template.clone()));
                    values.push((variable, template));
                }
                let action = match (next, ok) {
                    (Some(next), true) => Some(Action::Set { values, next }),
                    _ => None,
                };
                (raw.prompt, action)
            }
            NodeKind::Play => {
                let raw = self.l.item::<RawPlay>(value, path)?;
                let prompt = self.l.required(&path.key("prompt"), raw.prompt);
                let next = self.next(path, "next", raw.next, names);
                (prompt, next.map(|next| Action::Play { next }))
            }
            NodeKind::Transfer => {
                let raw = self.l.item::<RawTransfer>(value, path)?;
                let queue = self.queue(path, raw.queue);
                let mut skills = Vec::new();
                let mut ok = true;
                for (i, skill) in raw.skills.unwrap_or_default().iter().enumerate() {
                    match self.skill(&path.key("skills").index(i), skill) {
                        Some(s) => skills.push(s),
                        None => ok = false,
                    }
                }
                let action = match (queue, ok) {
                    (Some(queue), true) => Some(Action::Transfer {
                        queue,
                        priority: raw.priority.unwrap_or(0),
                        skills,
                    }),
                    _ => None,
                };
                (raw.prompt, action)
            }
            NodeKind::Voicemail => {
                let raw = self.l.item::<RawVoicemail>(value, path)?;
                let queue = self.queue(path, raw.queue);
                let mut ok = true;
                if let Some(login) = &raw.agent
                    && self.center.voicemail.of_agent(login).is_none()
                {
                    self.l.error(
                        &path.key("agent"),
                        format!("the agent `{login}` has no voicemail box; add [[voicemail.boxes]] with agent = \"{login}\" to the center's file"),
                    );
                    ok = false;
                }
                let action = queue.filter(|_| ok).map(|queue| Action::Voicemail {
                    queue,
                    agent: raw.agent,
                });
                (raw.prompt, action)
            }
            NodeKind::Callback => {
                let raw = self.l.item::<RawCallback>(value, path)?;
                let queue = self.queue(path, raw.queue);
                let number = raw.number.unwrap_or_else(|| "{caller}".to_owned());
                self.templates.push((path.key("number"), number.clone()));
                if let Some(q) = &queue
                    && self.center.queue(q).is_some_and(|q| !q.callback)
                {
                    self.l.error(
                        &path.key("queue"),
                        format!(
                            "queue `{q}` does not take callback requests; set `callback = true` on it in the center's configuration, or name another queue"
                        ),
                    );
                }
                (
                    raw.prompt,
                    queue.map(|queue| Action::Callback { queue, number }),
                )
            }
            NodeKind::HangUp => {
                let raw = self.l.item::<RawHangUp>(value, path)?;
                (raw.prompt, Some(Action::HangUp))
            }
        };
        if let Some(prompt) = &prompt {
            self.templates.push((path.key("prompt"), prompt.clone()));
        }
        Some(Node {
            prompt,
            action: action?,
        })
    }

    fn menu(
        &mut self,
        path: &FieldPath,
        options: Option<BTreeMap<String, String>>,
        retry: RawRetry,
        names: &HashSet<String>,
    ) -> Option<Action> {
        let retry = self.retry(path, retry, names);
        let options_path = path.key("options");
        let raw = self.l.required(&options_path, options)?;
        if raw.is_empty() {
            self.l.error(
                &options_path,
                "a menu needs at least one option, such as { \"1\" = \"sales\" }".to_owned(),
            );
            return None;
        }
        let mut options = BTreeMap::new();
        let mut ok = true;
        for (keys, target) in raw {
            let field = options_path.key(&keys);
            if !is_keys(&keys) {
                self.l.error(
                    &field,
                    format!(
                        "\"{keys}\" is not something a caller can key; use 1 to 8 of 0-9, * and #, such as \"1\" or \"*0\""
                    ),
                );
                ok = false;
            }
            ok &= self.node_ref(&field, &target, names);
            options.insert(keys, target);
        }
        Some(Action::Menu(Menu {
            options: ok.then_some(options)?,
            retry: retry?,
        }))
    }

    fn collect(
        &mut self,
        path: &FieldPath,
        raw: RawCollect,
        names: &HashSet<String>,
    ) -> Option<Action> {
        let retry = self.retry(
            path,
            RawRetry {
                timeout: raw.timeout,
                retries: raw.retries,
                invalid_prompt: raw.invalid_prompt,
                timeout_prompt: raw.timeout_prompt,
                on_failure: raw.on_failure,
            },
            names,
        );
        let next = self.next(path, "next", raw.next, names);
        let variable = self
            .l
            .required(&path.key("variable"), raw.variable)
            .filter(|v| self.variable_name(&path.key("variable"), v));
        if let Some(v) = &variable {
            self.defined.insert(v.clone());
        }
        let mut length = |key: &str, value: Option<i64>| -> Option<Option<u32>> {
            let Some(value) = value else {
                return Some(None);
            };
            match u32::try_from(value) {
                Ok(n) if (1..=32).contains(&n) => Some(Some(n)),
                _ => {
                    self.l.error(
                        &path.key(key),
                        format!("{value} is out of range; a caller keys 1 to 32 digits"),
                    );
                    None
                }
            }
        };
        let exact = length("length", raw.length);
        let min = length("min_length", raw.min_length);
        let max = length("max_length", raw.max_length);
        let (min_length, max_length) = match (exact?, min?, max?) {
            (Some(n), None, None) => (n, n),
            (Some(_), _, _) => {
                self.l.error(
                    &path.key("length"),
                    "give either `length` (an exact number of digits) or `min_length` / `max_length`, not both".to_owned(),
                );
                return None;
            }
            (None, min, max) => {
                let (min, max) = (min.unwrap_or(1), max.unwrap_or(32));
                if min > max {
                    self.l.error(
                        &path.key("min_length"),
                        format!("min_length {min} is above max_length {max}; swap them"),
                    );
                    return None;
                }
                (min, max)
            }
        };
        let pattern = match raw.pattern {
            None => Some(None),
            Some(text) => match regex::Regex::new(&format!("^(?:{text})$")) {
                Ok(re) => Some(Some(re)),
                Err(e) => {
                    let why = e.to_string();
                    let why = why.lines().last().unwrap_or("").trim();
                    self.l.error(
                        &path.key("pattern"),
                        format!(
                            "\"{text}\" is not a regular expression ({why}); write one the whole input must match, such as \"[0-9]{{8}}\""
                        ),
                    );
                    None
                }
            },
        };
        let checksum = match raw.checksum {
            None => Some(None),
            Some(name) => match Checksum::ALL.into_iter().find(|c| c.name() == name) {
                Some(c) => Some(Some(c)),
                None => {
                    let all: Vec<&str> = Checksum::ALL.iter().map(|c| c.name()).collect();
                    self.l.error(
                        &path.key("checksum"),
                        format!(
                            "unknown checksum \"{name}\"; expected one of {}",
                            all.join(", ")
                        ),
                    );
                    None
                }
            },
        };
        Some(Action::Collect(Collect {
            variable: variable?,
            min_length,
            max_length,
            pattern: pattern?,
            checksum: checksum?,
            secret: raw.secret.unwrap_or(false),
            next: next?,
            retry: retry?,
        }))
    }

    fn lookup(
        &mut self,
        path: &FieldPath,
        raw: RawLookup,
        names: &HashSet<String>,
    ) -> Option<Action> {
        let next = self.next(path, "next", raw.next, names);
        let fallback = self.next(path, "fallback", raw.fallback, names);
        let source = self
            .l
            .required(&path.key("source"), raw.source)
            .filter(|s| {
                let ok = self.sources.contains(&s.as_str());
                if !ok {
                    let message = format!(
                        "unknown lookup source \"{s}\"; this Hotline has {}",
                        self.sources.join(", ")
                    );
                    self.l.error(&path.key("source"), message);
                }
                ok
            });
        let params = raw.params.unwrap_or_default();
        for (key, template) in &params {
            self.templates
                .push((path.key("params").key(key), template.clone()));
        }
        let save = raw.save.unwrap_or_default();
        let mut ok = true;
        for variable in save.keys() {
            ok &= self.variable_name(&path.key("save").key(variable), variable);
            self.defined.insert(variable.clone());
        }
        let timeout = self.l.duration(
            &path.key("timeout"),
            raw.timeout.as_deref(),
            Duration::from_secs(3),
            NonZero::Required,
        );
        Some(Action::Lookup(Lookup {
            source: source?,
            params,
            save: ok.then_some(save)?,
            timeout: timeout?,
            next: next?,
            fallback: fallback?,
        }))
    }

    fn condition(
        &mut self,
        path: &FieldPath,
        raw: RawCondition,
        names: &HashSet<String>,
    ) -> Option<Action> {
        let then = self.next(path, "then", raw.then, names);
        let otherwise = self.next(path, "else", raw.otherwise, names);
        let given = [
            raw.open.is_some(),
            raw.caller_in.is_some(),
            raw.queue_waiting_over.is_some(),
            raw.variable.is_some() || raw.equals.is_some(),
        ];
        let what = "`open` (business hours), `caller_in` (a list of numbers), `queue_waiting_over` ({ queue, calls }) or `variable` with `equals`";
        if given.iter().filter(|g| **g).count() != 1 {
            self.l
                .error(path, format!("a condition tests exactly one of {what}"));
            return None;
        }
        let test = if let Some(name) = raw.open {
            match self.center.hours(&name) {
                Some(hours) => Some(Test::Open(hours.clone())),
                None => {
                    let defined: HashSet<String> =
                        self.center.hours.iter().map(|h| h.name.clone()).collect();
                    let message = format!(
                        "no business hours named \"{name}\" in the center's configuration; define them there with [[hours]] name = \"{name}\"{}",
                        known("defined", &defined)
                    );
                    self.l.error(&path.key("open"), message);
                    None
                }
            }
        } else if let Some(list) = raw.caller_in {
            let mut numbers = Vec::new();
            let mut ok = true;
            for (i, number) in list.iter().enumerate() {
                match normalize_phone(number) {
                    Ok(n) => numbers.push(n),
                    Err(e) => {
                        self.l.error(&path.key("caller_in").index(i), e.to_string());
                        ok = false;
                    }
                }
            }
            ok.then_some(Test::CallerIn(numbers))
        } else if let Some(length) = raw.queue_waiting_over {
            let field = path.key("queue_waiting_over");
            let queue = self.queue(&field, length.queue);
            let calls = self.l.required(&field.key("calls"), length.calls);
            Some(Test::QueueWaitingOver {
                queue: queue?,
                calls: calls?,
            })
        } else {
            let variable = self.l.required(&path.key("variable"), raw.variable);
            let value = self.l.required(&path.key("equals"), raw.equals);
            if let Some(v) = &variable {
                self.variable_refs.push((path.key("variable"), v.clone()));
            }
            Some(Test::Equals {
                variable: variable?,
                value: value?,
            })
        };
        Some(Action::Condition(Condition {
            test: test?,
            then: then?,
            otherwise: otherwise?,
        }))
    }

    fn retry(&mut self, path: &FieldPath, raw: RawRetry, names: &HashSet<String>) -> Option<Retry> {
        let timeout = self.l.duration(
            &path.key("timeout"),
            raw.timeout.as_deref(),
            Duration::from_secs(5),
            NonZero::Required,
        );
        let retries = match raw.retries {
            None => Some(2),
            Some(n) => match u32::try_from(n) {
                Ok(n) if n <= 9 => Some(n),
                _ => {
                    self.l.error(
                        &path.key("retries"),
                        format!("{n} is out of range; allow 0 to 9 more tries after the first"),
                    );
                    None
                }
            },
        };
        for (key, prompt) in [
            ("invalid_prompt", &raw.invalid_prompt),
            ("timeout_prompt", &raw.timeout_prompt),
        ] {
            if let Some(p) = prompt {
                self.templates.push((path.key(key), p.clone()));
            }
        }
        let on_failure = self.next(path, "on_failure", raw.on_failure, names);
        Some(Retry {
            timeout: timeout?,
            retries: retries?,
            invalid_prompt: raw.invalid_prompt,
            timeout_prompt: raw.timeout_prompt,
            on_failure: on_failure?,
        })
    }

    /// A required reference to another node, in field `key` of the node at `path`.
    fn next(
        &mut self,
        path: &FieldPath,
        key: &str,
        target: Option<String>,
        names: &HashSet<String>,
    ) -> Option<String> {
        let target = self.l.required(&path.key(key), target)?;
        self.node_ref(&path.key(key), &target, names)
            .then_some(target)
    }

    fn node_ref(&mut self, field: &FieldPath, target: &str, names: &HashSet<String>) -> bool {
        let ok = names.contains(target);
        if !ok {
            let message = format!(
                "no node `{target}` in this flow; add [nodes.{target}] or fix the name{}",
                known("defined", names)
            );
            self.l.error(field, message);
        }
        ok
    }

    fn queue(&mut self, path: &FieldPath, queue: Option<String>) -> Option<QueueId> {
        let field = path.key("queue");
        let text = self.l.required(&field, queue)?;
        let id = match QueueId::from_str(&text) {
            Ok(id) => id,
            Err(e) => {
                self.l.error(&field, e.to_string());
                return None;
            }
        };
        if self.center.queue(&id).is_some() {
            Some(id)
        } else {
            let defined: HashSet<String> = self
                .center
                .queues
                .iter()
                .map(|q| q.id.to_string())
                .collect();
            let message = format!(
                "no queue `{text}` in the center's configuration; define it there with [[queues]] id = \"{text}\", or fix the name{}",
                known("defined", &defined)
            );
            self.l.error(&field, message);
            None
        }
    }

    fn skill(&mut self, field: &FieldPath, text: &str) -> Option<SkillName> {
        match SkillName::new(text) {
            Ok(skill) if self.center.skills.contains(&skill) => Some(skill),
            Ok(_) => {
                let declared: HashSet<String> =
                    self.center.skills.iter().map(|s| s.to_string()).collect();
                let message = format!(
                    "skill `{text}` is not declared in the center's configuration; add it to its `skills` list, or fix the name{}",
                    known("declared", &declared)
                );
                self.l.error(field, message);
                None
            }
            Err(e) => {
                self.l.error(field, e.to_string());
                None
            }
        }
    }

    fn variable_name(&mut self, field: &FieldPath, name: &str) -> bool {
        let ok = is_variable_name(name);
        if !ok {
            self.l.error(
                field,
                format!(
                    "\"{name}\" is not a variable name; use a lowercase letter, then lowercase letters, digits and `_` (at most 32)"
                ),
            );
        }
        ok
    }

    /// Every `{variable}` of every template, and every variable a condition reads, is set
    /// somewhere in the flow or built in: a misspelt name would otherwise play as nothing.
    fn check_variables(&mut self) {
        let mut checks: Vec<(FieldPath, String)> = Vec::new();
        for (field, template) in std::mem::take(&mut self.templates) {
            match template_variables(&template) {
                Ok(names) => checks.extend(names.into_iter().map(|n| (field.clone(), n.to_owned()))),
                Err(at) => self.l.error(
                    &field,
                    format!(
                        "unbalanced brace at character {} of \"{template}\"; write variables as {{name}}",
                        template[..at].chars().count() + 1
                    ),
                ),
            }
        }
        checks.append(&mut self.variable_refs);
        for (field, name) in checks {
            if !self.defined.contains(&name) {
                let message = format!(
                    "no node sets the variable `{name}`; set it with a set, collect or lookup node, or use a built-in one ({})",
                    BUILT_IN_VARIABLES.join(", ")
                );
                self.l.error(&field, message);
            }
        }
    }

    /// Every node is reachable from the start, and no loop runs without waiting for the
    /// caller or a lookup (it would spin forever with the caller hearing nothing).
    fn check_graph(&mut self, flow: &Flow) {
        let nodes_path = FieldPath::default().key("nodes");
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack = vec![flow.start.as_str()];
        while let Some(name) = stack.pop() {
            if !seen.insert(name) {
                continue;
            }
            if let Some(node) = flow.nodes.get(name) {
                stack.extend(node.successors());
            }
        }
        for name in flow.nodes.keys() {
            if !seen.contains(name.as_str()) {
                self.l.error(
                    &nodes_path.key(name),
                    format!(
                        "node `{name}` cannot be reached from the start node `{}`; point a menu option or a `next` at it, or remove it",
                        flow.start
                    ),
                );
            }
        }
        // Loops among nodes that do not wait: a depth-first search that reports a cycle
        // once, at the node it closes on.
        let mut done: HashSet<&str> = HashSet::new();
        for name in flow.nodes.keys() {
            let mut path: Vec<&str> = Vec::new();
            if let Some(cycle) = spin(flow, name, &mut path, &mut done) {
                done.extend(cycle.iter().copied());
                let first = cycle.first().copied().unwrap_or(name.as_str());
                self.l.error(
                    &nodes_path.key(first),
                    format!(
                        "the flow can loop {} without waiting for the caller; put a menu or collect node in the loop, or end it",
                        cycle.join(" -> ")
                    ),
                );
            }
        }
    }
}

/// A loop through nodes that do not wait, found from `name`, as the names around it with
/// the first repeated at the end; `done` holds nodes already cleared.
fn spin<'f>(
    flow: &'f Flow,
    name: &'f str,
    path: &mut Vec<&'f str>,
    done: &mut HashSet<&'f str>,
) -> Option<Vec<&'f str>> {
    if let Some(i) = path.iter().position(|n| *n == name) {
        let mut cycle = path[i..].to_vec();
        cycle.push(name);
        return Some(cycle);
    }
    if done.contains(name) {
        return None;
    }
    let node = flow.nodes.get(name)?;
    if node.kind().waits() {
        done.insert(name);
        return None;
    }
    path.push(name);
    for to in node.successors() {
        if let Some(cycle) = spin(flow, to, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(name);
    None
}

/// Keys a caller can press: 1 to 8 of 0-9, `*` and `#`.
fn is_keys(keys: &str) -> bool {
    (1..=8).contains(&keys.len())
        && keys
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}

fn is_node_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && name.len() <= 64
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}
