//! Loading a scenario: the center's sections go to the center's own loader
//! ([`CenterConfig::parse_beside`]); `[scenario]`, `[[arrivals]]` and `[[agent_groups]]` are
//! read here, from toml's spanned tree, so that every error has its line and field.
//!
//! Each entry is deserialized on its own (a typo in one does not hide the next), into raw
//! structs whose every field is optional and whose unknown fields are errors; validation
//! then names fields by path, and the tree says where a path is written.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveTime, TimeDelta};
use hotline_events::{AgentId, QueueId, SkillName};
use hotline_infra::config::{
    AgentConfig, CenterConfig, ConfigError, ConfigErrors, NumberConfig, line_column,
    parse_duration, read_file,
};
use hotline_media::{AgentModel, Dist};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::{AgentGroup, Arrivals, Scenario};

/// Where a stream's callers go: the number, its IVR choices, the queue it routes to.
type Route = (String, Vec<(String, f64)>, QueueId);

/// The sections this module reads; the rest of the file is the center.
const SECTIONS: [&str; 3] = ["scenario", "arrivals", "agent_groups"];
/// When a scenario starts unless it says otherwise: a fixed instant (a Monday), never
/// "now", so that a scenario file always writes the same log.
const DEFAULT_START: &str = "2026-01-05T08:00:00Z";
/// Most agents a group may create.
const MAX_GROUP: i64 = 10_000;

pub(super) fn load(path: &Path) -> Result<Scenario, ConfigErrors> {
    let (text, file) = read_file(path, "scenario")?;
    parse(&text, &file)
}

pub(super) fn parse(text: &str, file: &str) -> Result<Scenario, ConfigErrors> {
    let center = CenterConfig::parse_beside(text, file, &SECTIONS);
    // The center's loader reports TOML syntax errors; nothing more can be read then.
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(_) => {
            return Err(center
                .err()
                .unwrap_or_else(|| ConfigErrors { errors: vec![] }));
        }
    };
    let span = root.span();
    let root = Spanned::new(span, DeValue::Table(root.into_inner()));
    let mut doc = Doc {
        text,
        file,
        root: &root,
        errors: Vec::new(),
    };
    let mut errors = Vec::new();
    let scenario = match center {
        Ok(center) => doc.scenario(center),
        Err(center_errors) => {
            errors.extend(center_errors.errors);
            // Check our sections too, against an empty center, so that one round of edits
            // fixes everything; references to the center's names are not checked then.
            doc.scenario_without_center();
            None
        }
    };
    errors.extend(doc.errors);
    if errors.is_empty()
        && let Some(scenario) = scenario
    {
        return Ok(scenario);
    }
    errors.sort_by_key(|e| (e.line, e.column));
    errors.dedup();
    Err(ConfigErrors { errors })
}

// ---------------------------------------------------------------------------------------
// Raw forms.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    seed: Option<i64>,
    start: Option<String>,
    interval: Option<String>,
    drain: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArrivals {
    queue: Option<String>,
    number: Option<String>,
    ivr: Option<BTreeMap<String, Number>>,
    calls: Option<Vec<Number>>,
    talk: Option<RawDist>,
    patience: Option<RawDist>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: Option<String>,
    agents: Option<Vec<String>>,
    count: Option<i64>,
    queues: Option<Vec<String>>,
    skills: Option<BTreeMap<String, i64>>,
    shift: Option<String>,
    breaks: Option<Vec<String>>,
    answer_delay: Option<RawDist>,
    answer_probability: Option<Number>,
}

/// A distribution: exactly one of these keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDist {
    fixed: Option<String>,
    exponential: Option<String>,
    log_normal: Option<RawLogNormal>,
    empirical: Option<BTreeMap<String, Number>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogNormal {
    mean: Option<String>,
    sd: Option<String>,
}

/// TOML tells integers from floats; a count or a probability may be either.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    fn get(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Validation.

struct Doc<'a, 't> {
    text: &'t str,
    file: &'t str,
    root: &'a Spanned<DeValue<'t>>,
    errors: Vec<ConfigError>,
}

impl<'a, 't> Doc<'a, 't> {
    fn scenario_without_center(&mut self) {
        let mut center = CenterConfig {
            log: None,
            router: Default::default(),
            skills: Vec::new(),
            queues: Vec::new(),
            agents: Vec::new(),
            numbers: Vec::new(),
            hours: Vec::new(),
            recording: Default::default(),
            voicemail: Default::default(),
            surveys: vec![],
        };
        self.settings();
        self.arrivals(&mut center, false);
        self.groups(&mut center, false);
    }

    fn scenario(&mut self, mut center: CenterConfig) -> Option<Scenario> {
        let settings = self.settings();
        let groups = self.groups(&mut center, true);
        let arrivals = self.arrivals(&mut center, true);
        if arrivals.as_ref().is_some_and(Vec::is_empty) {
            self.error(
                "arrivals",
                "the scenario has no callers; add an [[arrivals]] entry with a queue and calls per interval".into(),
            );
        }
        let (name, seed, start, interval, drain) = settings?;
        let mut groups = groups?;
        // Relative times need the start; the groups' clock times are read against it.
        for (path, group, shift, breaks) in &mut groups {
            let Some((from, to)) = self.day_times(path, &start, shift.as_ref(), breaks) else {
                continue;
            };
            group.shift = from;
            group.breaks = to;
        }
        Some(Scenario {
            name: name.unwrap_or_else(|| {
                Path::new(self.file)
                    .file_stem()
                    .map_or_else(|| self.file.to_owned(), |s| s.to_string_lossy().into())
            }),
            seed,
            start,
            interval,
            drain,
            center,
            arrivals: arrivals?,
            groups: groups.into_iter().map(|(_, g, _, _)| g).collect(),
        })
        .filter(|_| self.errors.is_empty())
    }

    #[allow(clippy::type_complexity)]
    fn settings(
        &mut self,
    ) -> Option<(
        Option<String>,
        u64,
        DateTime<FixedOffset>,
        Duration,
        Duration,
    )> {
        let raw = match self.node("scenario") {
            None => RawScenario {
                name: None,
                seed: None,
                start: None,
                interval: None,
                drain: None,
            },
            Some(node) => self.item::<RawScenario>(node, "scenario")?,
        };
        let seed = match raw.seed {
            None => Some(1),
            Some(s) => u64::try_from(s).ok().or_else(|| {
                self.error(
                    "scenario.seed",
                    format!("{s} is not a seed; use a whole number from 0 up"),
                );
                None
            }),
        };
        let start_text = raw.start.as_deref().unwrap_or(DEFAULT_START);
        let start = DateTime::parse_from_rfc3339(start_text).map_err(|e| {
            self.error(
                "scenario.start",
                format!(
                    "\"{start_text}\" is not a date and time ({e}); write it as RFC 3339, such as \"2026-01-05T08:00:00+01:00\""
                ),
            );
        });
        let interval = self.duration("scenario.interval", raw.interval.as_deref(), 3600, true);
        let drain = self.duration("scenario.drain", raw.drain.as_deref(), 3600, false);
        let name = match raw.name {
            Some(n) if n.trim().is_empty() => {
                self.error(
                    "scenario.name",
                    "the name is empty; give one or leave it out".into(),
                );
                None
            }
            other => Some(other),
        };
        Some((name?, seed?, start.ok()?, interval?, drain?))
    }

    fn arrivals(&mut self, center: &mut CenterConfig, check_refs: bool) -> Option<Vec<Arrivals>> {
        let mut all = Some(Vec::new());
        for (i, node) in self.entries("arrivals") {
            let path = format!("arrivals[{i}]");
            let one = self
                .item::<RawArrivals>(node, &path)
                .and_then(|raw| self.one_arrivals(&path, raw, center, check_refs));
            match (one, all.as_mut()) {
                (Some(a), Some(all)) => all.push(a),
                _ => all = None,
            }
        }
        all
    }

    fn one_arrivals(
        &mut self,
        path: &str,
        raw: RawArrivals,
        center: &mut CenterConfig,
        check_refs: bool,
    ) -> Option<Arrivals> {
        let talk = match raw.talk {
            None => {
                self.error(
                    &format!("{path}.talk"),
                    "`talk` is missing; say how long conversations last, such as { exponential = \"3m\" }".into(),
                );
                None
            }
            Some(d) => self.dist(&format!("{path}.talk"), d),
        };
        let patience = match raw.patience {
            None => Some(None),
            Some(d) => self.dist(&format!("{path}.patience"), d).map(Some),
        };
        let calls = match raw.calls {
            None => {
                self.error(
                    &format!("{path}.calls"),
                    "`calls` is missing; give the mean calls of each interval, such as [120, 180, 150]".into(),
                );
                None
            }
            Some(c) if c.is_empty() => {
                self.error(
                    &format!("{path}.calls"),
                    "list at least one interval's calls, such as [120]".into(),
                );
                None
            }
            Some(c) => {
                let mut ok = true;
                for (k, n) in c.iter().enumerate() {
                    let v = n.get();
                    if !(v.is_finite() && v >= 0.0) {
                        self.error(
                            &format!("{path}.calls[{k}]"),
                            format!("{v} is not a number of calls; use 0 or more"),
                        );
                        ok = false;
                    }
                }
                ok.then(|| c.iter().map(|n| n.get()).collect())
            }
        };
        let route = match (raw.queue, raw.number) {
            (Some(_), Some(_)) => {
                self.error(
                    &format!("{path}.number"),
                    "give `queue` (callers reach it directly) or `number` (callers dial it and key the IVR), not both".into(),
                );
                None
            }
            (None, None) => {
                self.error(
                    path,
                    "say where the callers go: `queue = \"sales\"`, or `number = \"+18005550100\"` with `ivr` choices".into(),
                );
                None
            }
            (Some(queue), None) => {
                if raw.ivr.is_some() {
                    self.error(
                        &format!("{path}.ivr"),
                        "IVR choices need a `number` with a menu; with `queue` callers reach the queue directly".into(),
                    );
                }
                if check_refs {
                    self.direct_number(&format!("{path}.queue"), &queue, center)
                } else {
                    None
                }
            }
            (None, Some(number)) => {
                let ivr = raw.ivr.unwrap_or_default();
                if check_refs {
                    self.ivr(path, &number, &ivr, center)
                } else {
                    None
                }
            }
        };
        let (number, ivr, queue) = route?;
        Some(Arrivals {
            number,
            ivr,
            calls_per_interval: calls?,
            talk: talk?,
            patience: patience?,
            queue,
        })
    }

    /// The number callers of `queue` dial: one the center routes straight there, or a new
    /// one (`+1999555` and a counter) when it has none.
    fn direct_number(
        &mut self,
        path: &str,
        queue: &str,
        center: &mut CenterConfig,
    ) -> Option<Route> {
        let Some(id) = center
            .queues
            .iter()
            .map(|q| &q.id)
            .find(|q| q.as_str() == queue)
        else {
            let known: Vec<&str> = center.queues.iter().map(|q| q.id.as_str()).collect();
            self.error(
                path,
                format!(
                    "no queue \"{queue}\" in this center; define it with [[queues]] id = \"{queue}\" (defined: {})",
                    known.join(", ")
                ),
            );
            return None;
        };
        let id = id.clone();
        if let Some(n) = center
            .numbers
            .iter()
            .find(|n| n.queue == id && n.menu.is_empty())
        {
            return Some((n.number.clone(), Vec::new(), id));
        }
        let number = (0..)
            .map(|k| format!("+1999555{k:04}"))
            .find(|candidate| center.number(candidate).is_none())?;
        center.numbers.push(NumberConfig {
            number: number.clone(),
            queue: id.clone(),
            menu: Vec::new(),
            priority: 0,
            flow: None,
        });
        Some((number, Vec::new(), id))
    }

    fn ivr(
        &mut self,
        path: &str,
        number: &str,
        ivr: &BTreeMap<String, Number>,
        center: &CenterConfig,
    ) -> Option<Route> {
        let Some(config) = center.number(number) else {
            self.error(
                &format!("{path}.number"),
                format!(
                    "no number \"{number}\" in this center; define it with [[numbers]], or use `queue = …` to reach a queue directly"
                ),
            );
            return None;
        };
        let mut ok = true;
        let mut choices = Vec::new();
        let mut total = 0.0;
        for (digits, p) in ivr {
            let field = format!("{path}.ivr.{digits:?}");
            let p = p.get();
            if !config.menu.iter().any(|(d, _)| d == digits) {
                let menu: Vec<&str> = config.menu.iter().map(|(d, _)| d.as_str()).collect();
                self.error(
                    &field,
                    format!(
                        "the menu of {number} has no choice \"{digits}\" (it has: {})",
                        if menu.is_empty() {
                            "none".to_owned()
                        } else {
                            menu.join(", ")
                        }
                    ),
                );
                ok = false;
            }
            if !(0.0..=1.0).contains(&p) {
                self.error(
                    &field,
                    format!("{p} is not a probability; use 0 to 1, such as 0.25"),
                );
                ok = false;
            }
            total += p;
            choices.push((digits.clone(), p));
        }
        if ok && total > 1.0 + 1e-9 {
            self.error(
                &format!("{path}.ivr"),
                format!(
                    "the choices add up to {total}; they must add up to at most 1 (the rest key nothing)"
                ),
            );
            ok = false;
        }
        ok.then(|| (number.to_owned(), choices, config.queue.clone()))
    }

    #[allow(clippy::type_complexity)]
    fn groups(
        &mut self,
        center: &mut CenterConfig,
        check_refs: bool,
    ) -> Option<Vec<(String, AgentGroup, Option<String>, Vec<String>)>> {
        let mut all = Some(Vec::new());
        let mut names = HashSet::new();
        let mut grouped: HashMap<AgentId, String> = HashMap::new();
        for (i, node) in self.entries("agent_groups") {
            let path = format!("agent_groups[{i}]");
            let one = self.item::<RawGroup>(node, &path).and_then(|raw| {
                self.one_group(&path, raw, center, check_refs, &mut names, &mut grouped)
            });
            match (one, all.as_mut()) {
                (Some(g), Some(all)) => all.push(g),
                _ => all = None,
            }
        }
        all
    }

    fn one_group(
        &mut self,
        path: &str,
        raw: RawGroup,
        center: &mut CenterConfig,
        check_refs: bool,
        names: &mut HashSet<String>,
        grouped: &mut HashMap<AgentId, String>,
    ) -> Option<(String, AgentGroup, Option<String>, Vec<String>)> {
        let name = match raw.name {
            None => {
                self.error(
                    &format!("{path}.name"),
                    "`name` is missing; every group needs one".into(),
                );
                None
            }
            Some(n) if SkillName::new(&n).is_err() => {
                self.error(
                    &format!("{path}.name"),
                    format!("\"{n}\" is not a group name: use lowercase letters, digits, `_` or `-`, starting with a letter"),
                );
                None
            }
            Some(n) if !names.insert(n.clone()) => {
                self.error(
                    &format!("{path}.name"),
                    format!("group \"{n}\" is defined twice; give each group its own name"),
                );
                None
            }
            Some(n) => Some(n),
        };
        let answer_delay = match raw.answer_delay {
            None => Some(Dist::Fixed { secs: 0.0 }),
            Some(d) => self.dist(&format!("{path}.answer_delay"), d),
        };
        let answer_probability = match raw.answer_probability.map(Number::get) {
            None => Some(1.0),
            Some(p) if (0.0..=1.0).contains(&p) => Some(p),
            Some(p) => {
                self.error(
                    &format!("{path}.answer_probability"),
                    format!("{p} is not a probability; use 0 to 1, such as 0.95"),
                );
                None
            }
        };
        let agents = match (raw.agents, raw.count) {
            (Some(_), Some(_)) => {
                self.error(
                    &format!("{path}.count"),
                    "give `agents` (logins of the center's agents) or `count` (new agents), not both".into(),
                );
                None
            }
            (None, None) => {
                self.error(
                    path,
                    "say who is in the group: `agents = [\"ada\", …]` (the center's logins) or `count = 20` with `queues`".into(),
                );
                None
            }
            (Some(logins), None) => {
                if raw.queues.is_some() || raw.skills.is_some() {
                    self.error(
                        &format!("{path}.agents"),
                        "`queues` and `skills` are for agents the group creates (`count`); the center's agents have theirs".into(),
                    );
                }
                let mut ids = Some(Vec::new());
                for (k, login) in logins.iter().enumerate() {
                    match center.agents.iter().find(|a| &a.login == login) {
                        Some(a) => {
                            if let Some(ids) = ids.as_mut() {
                                ids.push(a.id);
                            }
                        }
                        None if check_refs => {
                            self.error(
                                &format!("{path}.agents[{k}]"),
                                format!("no agent with login \"{login}\" in this center; add it under [[agents]], or use `count` to create agents"),
                            );
                            ids = None;
                        }
                        None => ids = None,
                    }
                }
                ids
            }
            (None, Some(count)) => match (name.as_deref(), count) {
                (_, c) if !(1..=MAX_GROUP).contains(&c) => {
                    self.error(
                        &format!("{path}.count"),
                        format!("{c} agents: a group creates 1 to {MAX_GROUP}"),
                    );
                    None
                }
                (None, _) => None,
                (Some(name), count) => self.create_agents(
                    path, name, count, raw.queues, raw.skills, center, check_refs,
                ),
            },
        };
        let mut shift_ok = true;
        if let Some(shift) = &raw.shift
            && let Err(e) = clock_interval(shift)
        {
            self.error(&format!("{path}.shift"), e);
            shift_ok = false;
        }
        for (k, b) in raw.breaks.iter().flatten().enumerate() {
            if let Err(e) = clock_interval(b) {
                self.error(&format!("{path}.breaks[{k}]"), e);
                shift_ok = false;
            }
        }
        let agents = agents?;
        let name = name?;
        for id in &agents {
            if let Some(other) = grouped.insert(*id, name.clone()) {
                let login = center
                    .agents
                    .iter()
                    .find(|a| a.id == *id)
                    .map_or("?", |a| a.login.as_str());
                self.error(
                    &format!("{path}.agents"),
                    format!("agent \"{login}\" is already in group \"{other}\"; an agent belongs to one group"),
                );
                return None;
            }
        }
        let group = AgentGroup {
            name,
            agents,
            shift: (Duration::ZERO, None),
            breaks: Vec::new(),
            answer: AgentModel {
                answer_delay: answer_delay?,
                answer_probability: answer_probability?,
            },
        };
        shift_ok.then(|| {
            (
                path.to_owned(),
                group,
                raw.shift,
                raw.breaks.unwrap_or_default(),
            )
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn create_agents(
        &mut self,
        path: &str,
        name: &str,
        count: i64,
        queues: Option<Vec<String>>,
        skills: Option<BTreeMap<String, i64>>,
        center: &mut CenterConfig,
        check_refs: bool,
    ) -> Option<Vec<AgentId>> {
        let Some(queues) = queues.filter(|q| !q.is_empty()) else {
            self.error(
                &format!("{path}.queues"),
                "agents a group creates need `queues`, such as [\"sales\"]".into(),
            );
            return None;
        };
        let mut ok = true;
        let mut queue_ids = Vec::new();
        for (k, q) in queues.iter().enumerate() {
            match center.queues.iter().find(|c| c.id.as_str() == q) {
                Some(c) => queue_ids.push(c.id.clone()),
                None => {
                    if check_refs {
                        self.error(
                            &format!("{path}.queues[{k}]"),
                            format!("no queue \"{q}\" in this center; define it with [[queues]]"),
                        );
                    }
                    ok = false;
                }
            }
        }
        let mut levels = Vec::new();
        for (skill, level) in skills.unwrap_or_default() {
            let field = format!("{path}.skills.{skill}");
            match center.skills.iter().find(|s| s.as_str() == skill) {
                None => {
                    if check_refs {
                        self.error(&field, format!("skill \"{skill}\" is not declared; add it to the top-level `skills` list"));
                    }
                    ok = false;
                }
                Some(s) => match u8::try_from(level) {
                    Ok(l) if (1..=10).contains(&l) => levels.push((s.clone(), l)),
                    _ => {
                        self.error(&field, format!("{level} is not a skill level; use 1 to 10"));
                        ok = false;
                    }
                },
            }
        }
        if !ok {
            return None;
        }
        let mut ids = Vec::new();
        for k in 1..=count {
            let login = format!("{name}-{k:03}");
            if center.agents.iter().any(|a| a.login == login) {
                self.error(
                    &format!("{path}.name"),
                    format!("the group would create agent \"{login}\", but the center has that login already; rename the group"),
                );
                return None;
            }
            let id = AgentConfig::derived_id(&login);
            center.agents.push(AgentConfig {
                id,
                name: login.clone(),
                login,
                extension: None,
                skills: levels.clone(),
                queues: queue_ids.clone(),
                weight: 1,
            });
            ids.push(id);
        }
        Some(ids)
    }

    /// A group's shift and breaks as offsets from the start. Clock times are on the
    /// start's date in its offset; a shift ending at or before it begins ends the next
    /// day; a shift that began before the start counts from the start.
    #[allow(clippy::type_complexity)]
    fn day_times(
        &mut self,
        path: &str,
        start: &DateTime<FixedOffset>,
        shift: Option<&String>,
        breaks: &[String],
    ) -> Option<((Duration, Option<Duration>), Vec<(Duration, Duration)>)> {
        let at = |t: NaiveTime, next_day: bool| -> Option<DateTime<FixedOffset>> {
            let day = start.date_naive() + TimeDelta::days(i64::from(next_day));
            day.and_time(t).and_local_timezone(*start.offset()).single()
        };
        let since = |t: DateTime<FixedOffset>| (t - *start).to_std().unwrap_or(Duration::ZERO);
        let (shift_from, shift_to) = match shift {
            None => (*start, None),
            Some(text) => {
                let (a, b) = clock_interval(text).ok()?;
                let from = at(a, false)?;
                let to = at(b, b <= a)?;
                (from, Some(to))
            }
        };
        let mut out = Vec::new();
        for (k, text) in breaks.iter().enumerate() {
            let (a, b) = clock_interval(text).ok()?;
            let mut from = at(a, false)?;
            if from < shift_from {
                from = at(a, true)?;
            }
            let from_next_day = from.date_naive() != start.date_naive();
            let to = at(b, from_next_day || b <= a)?;
            if from < shift_from || shift_to.is_some_and(|end| to > end) || to <= from {
                self.error(
                    &format!("{path}.breaks[{k}]"),
                    format!(
                        "the break {text} is not within the shift{}",
                        shift.map_or(String::new(), |s| format!(" {s}"))
                    ),
                );
                return None;
            }
            out.push((since(from), since(to)));
        }
        out.sort();
        if out.windows(2).any(|w| w[1].0 < w[0].1) {
            self.error(
                &format!("{path}.breaks"),
                "two breaks overlap; merge them".into(),
            );
            return None;
        }
        Some(((since(shift_from), shift_to.map(since)), out))
    }

    fn dist(&mut self, path: &str, raw: RawDist) -> Option<Dist> {
        let given = [
            raw.fixed.is_some(),
            raw.exponential.is_some(),
            raw.log_normal.is_some(),
            raw.empirical.is_some(),
        ]
        .iter()
        .filter(|&&g| g)
        .count();
        if given != 1 {
            self.error(
                path,
                "give exactly one of { fixed = \"30s\" }, { exponential = \"3m\" }, { log_normal = { mean = \"4m\", sd = \"2m\" } } or { empirical = { \"1m\" = 3, \"5m\" = 1 } }".into(),
            );
            return None;
        }
        let secs = |d: Duration| d.as_secs_f64();
        let dist = if let Some(t) = raw.fixed {
            Dist::Fixed {
                secs: secs(self.duration(&format!("{path}.fixed"), Some(t.as_str()), 0, false)?),
            }
        } else if let Some(t) = raw.exponential {
            Dist::Exponential {
                mean_secs: secs(self.duration(
                    &format!("{path}.exponential"),
                    Some(t.as_str()),
                    0,
                    true,
                )?),
            }
        } else if let Some(ln) = raw.log_normal {
            let field = format!("{path}.log_normal");
            let (Some(mean), Some(sd)) = (ln.mean, ln.sd) else {
                self.error(
                    &field,
                    "a log-normal needs `mean` and `sd`, such as { mean = \"4m\", sd = \"2m\" }"
                        .into(),
                );
                return None;
            };
            let mean = self.duration(&format!("{field}.mean"), Some(mean.as_str()), 0, true);
            let sd = self.duration(&format!("{field}.sd"), Some(sd.as_str()), 0, false);
            Dist::LogNormal {
                mean_secs: secs(mean?),
                sd_secs: secs(sd?),
            }
        } else {
            let table = raw.empirical.unwrap_or_default();
            let field = format!("{path}.empirical");
            let mut points = Vec::new();
            let mut ok = true;
            for (text, weight) in &table {
                let point = format!("{field}.{text:?}");
                let d = self.duration(&point, Some(text.as_str()), 0, false);
                let w = weight.get();
                if !(w.is_finite() && w >= 0.0) {
                    self.error(&point, format!("weight {w}: use 0 or more"));
                    ok = false;
                }
                match d {
                    Some(d) => points.push((secs(d), w)),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            Dist::Empirical { points }
        };
        match dist.validate() {
            Ok(()) => Some(dist),
            Err(e) => {
                self.error(path, e.to_string());
                None
            }
        }
    }

    /// A duration field: `default_secs` when absent; zero refused when `non_zero`.
    fn duration(
        &mut self,
        path: &str,
        text: Option<&str>,
        default_secs: u64,
        non_zero: bool,
    ) -> Option<Duration> {
        let Some(text) = text else {
            return Some(Duration::from_secs(default_secs));
        };
        match parse_duration(text) {
            Ok(d) if non_zero && d.is_zero() => {
                self.error(path, "must be more than zero".into());
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.error(path, e.to_string());
                None
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Where things are.

    fn node(&self, key: &str) -> Option<&'a Spanned<DeValue<'t>>> {
        match self.root.get_ref() {
            DeValue::Table(t) => t.get(key),
            _ => None,
        }
    }

    fn entries(&mut self, key: &str) -> Vec<(usize, &'a Spanned<DeValue<'t>>)> {
        match self.node(key).map(|n| n.get_ref()) {
            None => Vec::new(),
            Some(DeValue::Array(items)) => items.iter().enumerate().collect(),
            Some(_) => {
                self.error(key, format!("expected entries written as [[{key}]] tables"));
                Vec::new()
            }
        }
    }

    fn item<T: DeserializeOwned>(&mut self, node: &Spanned<DeValue<'t>>, path: &str) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(node.clone())) {
            Ok(value) => Some(value),
            Err(e) => {
                let span = e.span().unwrap_or_else(|| node.span());
                let field = find(node, span.start, path).unwrap_or_else(|| path.to_owned());
                let mut message = e.message().trim_end().to_owned();
                if message.starts_with("unknown field") {
                    message.push_str("; check the spelling");
                } else if message.contains("did not match any variant of untagged enum Number") {
                    message = "expected a number".into();
                }
                self.push(field, span, message);
                None
            }
        }
    }

    fn error(&mut self, path: &str, message: String) {
        let span = self.span_of(path);
        self.push(path.to_owned(), span, message);
    }

    fn push(&mut self, field: String, span: Range<usize>, message: String) {
        let (line, column) = line_column(self.text, span.start);
        self.errors.push(ConfigError {
            file: self.file.to_owned(),
            line,
            column,
            field,
            message,
        });
    }

    /// Where the dotted `path` is written, or its nearest written ancestor.
    fn span_of(&self, path: &str) -> Range<usize> {
        let mut node = self.root;
        let mut span = 0..0;
        for seg in segments(path) {
            let next = match (&seg, node.get_ref()) {
                (Seg::Key(k), DeValue::Table(t)) => t.get(k.as_str()),
                (Seg::Index(i), DeValue::Array(a)) => a.get(*i),
                _ => None,
            };
            match next {
                Some(n) => {
                    node = n;
                    span = n.span();
                }
                None => break,
            }
        }
        span
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

/// `a[2].b."1"` -> Key(a), Index(2), Key(b), Key(1).
fn segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.trim_start_matches('.');
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').unwrap_or(after.len());
            if let Ok(i) = after[..end].parse() {
                out.push(Seg::Index(i));
            }
            rest = after.get(end + 1..).unwrap_or("");
        } else if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            out.push(Seg::Key(after[..end].to_owned()));
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Seg::Key(rest[..end].to_owned()));
            rest = &rest[end..];
        }
    }
    out
}

/// The dotted path of the deepest key or value under `node` whose span holds `offset`.
fn find(node: &Spanned<DeValue<'_>>, offset: usize, path: &str) -> Option<String> {
    let holds = |span: Range<usize>| span.start <= offset && offset < span.end.max(span.start + 1);
    match node.get_ref() {
        DeValue::Table(t) => t.iter().find_map(|(k, v)| {
            let key: &str = k.get_ref();
            let bare = key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            let child = if bare {
                format!("{path}.{key}")
            } else {
                format!("{path}.{key:?}")
            };
            if holds(k.span()) {
                return Some(child);
            }
            find(v, offset, &child).or_else(|| holds(v.span()).then_some(child))
        }),
        DeValue::Array(a) => a.iter().enumerate().find_map(|(i, v)| {
            let child = format!("{path}[{i}]");
            find(v, offset, &child).or_else(|| holds(v.span()).then_some(child))
        }),
        _ => None,
    }
}

/// `"HH:MM-HH:MM"`.
fn clock_interval(text: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let bad = || {
        format!(
            "\"{text}\" is not a clock interval; write it as \"HH:MM-HH:MM\", such as \"08:00-16:30\""
        )
    };
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
    let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| bad())?;
    if a == b {
        return Err(format!("\"{text}\" is empty: it ends when it begins"));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlang::Model;

    fn example(name: &str) -> Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name);
        match Scenario::load(&path) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// The messages of a bad scenario, one per line, as `hotline simulate` prints them.
    fn problems(text: &str) -> String {
        match Scenario::parse(text, "s.toml") {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    const QUEUE: &str = "[[queues]]\nid = \"support\"\nstrategy = \"linear\"\n";

    #[test]
    fn the_documented_example_loads_with_its_groups_and_times() {
        let s = example("example.toml");
        assert_eq!(s.name, "A weekday morning");
        assert_eq!(s.seed, 7);
        assert_eq!(s.interval, Duration::from_secs(1800));
        assert_eq!(s.intervals(), 6);
        assert_eq!(s.center.agents.len(), 2 + 12 + 10);
        assert_eq!(s.arrivals.len(), 2);
        assert_eq!(s.arrivals[0].ivr.len(), 3);
        assert_eq!(s.arrivals[0].queue.as_str(), "sales");
        // Billing's callers reach it through a number the scenario adds.
        assert_eq!(s.arrivals[1].number, "+19995550000");
        assert_eq!(
            s.center.number("+19995550000").map(|n| n.queue.as_str()),
            Some("billing")
        );
        let hour = Duration::from_secs(3600);
        let early = &s.groups[0];
        assert_eq!(early.agents.len(), 12);
        assert_eq!(early.shift, (Duration::ZERO, Some(3 * hour)));
        assert_eq!(early.breaks, vec![(hour + hour / 2, hour + hour * 3 / 4)]);
        assert_eq!(s.groups[1].shift, (hour, Some(4 * hour)));
        assert_eq!(s.groups[2].agents.len(), 2);
        assert_eq!(s.groups[2].shift, (Duration::ZERO, None));
        assert!(s.erlang().is_err());
        assert_eq!(s.length(), 3 * hour + hour / 2);
    }

    #[test]
    fn the_erlang_example_meets_erlang_a() {
        let s = example("erlang-a.toml");
        let setup = s.erlang().unwrap();
        assert_eq!(setup.agents, 20);
        assert!((setup.load.offered_load() - 18.0).abs() < 1e-9);
        assert_eq!(
            setup.model,
            Model::ErlangA {
                patience_secs: 120.0
            }
        );
        assert_eq!(setup.threshold_secs, 20.0);
    }

    #[test]
    fn a_minimal_scenario_takes_the_defaults() {
        let s = Scenario::parse(
            &format!("{QUEUE}[[arrivals]]\nqueue = \"support\"\ncalls = [10]\ntalk = {{ fixed = \"1m\" }}\n"),
            "min.toml",
        )
        .unwrap();
        assert_eq!(s.name, "min");
        assert_eq!(s.seed, 1);
        assert_eq!(s.start.to_rfc3339(), "2026-01-05T08:00:00+00:00");
        assert_eq!(s.arrivals[0].patience, None);
        assert_eq!(s.length(), Duration::from_secs(7200));
        assert_eq!(s.erlang().unwrap_err(), "talk time is not exponential");
    }

    #[test]
    fn bad_scenarios_name_the_line_and_field() {
        let arrivals =
            "[[arrivals]]\nqueue = \"support\"\ncalls = [10]\ntalk = { exponential = \"3m\" }\n";
        let cases: Vec<(String, &str)> = vec![
            (
                format!("{QUEUE}[scenario]\nseed = -1\n"),
                "s.toml:5:8: scenario.seed: -1 is not a seed",
            ),
            (
                format!("{QUEUE}[scenario]\nstart = \"tomorrow\"\n{arrivals}"),
                "s.toml:5:9: scenario.start: \"tomorrow\" is not a date and time",
            ),
            (
                format!("{QUEUE}[scenario]\nspeed = 2\n{arrivals}"),
                "s.toml:5:1: scenario.speed: unknown field `speed`",
            ),
            (
                format!(
                    "{QUEUE}[[arrivals]]\nqueue = \"sales\"\ncalls = [1]\ntalk = {{ fixed = \"1m\" }}\n"
                ),
                "s.toml:5:9: arrivals[0].queue: no queue \"sales\" in this center",
            ),
            (
                format!(
                    "{QUEUE}[[arrivals]]\nqueue = \"support\"\ncalls = [1, -2]\ntalk = {{ fixed = \"1m\" }}\n"
                ),
                "s.toml:6:13: arrivals[0].calls[1]: -2 is not a number of calls",
            ),
            (
                format!(
                    "{QUEUE}[[arrivals]]\nqueue = \"support\"\ncalls = \"many\"\ntalk = {{ fixed = \"1m\" }}\n"
                ),
                "s.toml:6:9: arrivals[0].calls:",
            ),
            (
                format!("{QUEUE}[[arrivals]]\nqueue = \"support\"\ncalls = [1]\n"),
                "s.toml:4:1: arrivals[0].talk: `talk` is missing",
            ),
            (
                format!(
                    "{QUEUE}[[arrivals]]\nqueue = \"support\"\ncalls = [1]\ntalk = {{ exponential = \"3 minutes\" }}\n"
                ),
                "s.toml:7:24: arrivals[0].talk.exponential: \"3 minutes\" is not a duration",
            ),
            (
                format!(
                    "{QUEUE}[[arrivals]]\nqueue = \"support\"\ncalls = [1]\ntalk = {{ gamma = \"3m\" }}\n"
                ),
                "s.toml:7:10: arrivals[0].talk.gamma: unknown field `gamma`",
            ),
            (
                format!(
                    "{QUEUE}[[arrivals]]\nqueue = \"support\"\ncalls = [1]\ntalk = {{ fixed = \"1m\", exponential = \"1m\" }}\n"
                ),
                "s.toml:7:8: arrivals[0].talk: give exactly one of",
            ),
            (
                format!(
                    "{QUEUE}[[arrivals]]\nqueue = \"support\"\ncalls = [1]\ntalk = {{ empirical = {{ \"1m\" = 0 }} }}\n"
                ),
                "s.toml:7:8: arrivals[0].talk: the empirical table's weights add up to zero",
            ),
            (
                format!(
                    "{QUEUE}[[numbers]]\nnumber = \"+18005550100\"\nqueue = \"support\"\nmenu = {{ \"1\" = \"support\" }}\n[[arrivals]]\nnumber = \"+18005550100\"\nivr = {{ \"1\" = 0.7, \"2\" = 0.2 }}\ncalls = [1]\ntalk = {{ fixed = \"1m\" }}\n"
                ),
                "s.toml:10:26: arrivals[0].ivr.\"2\": the menu of +18005550100 has no choice \"2\" (it has: 1)",
            ),
            (
                format!(
                    "{QUEUE}[[numbers]]\nnumber = \"+18005550100\"\nqueue = \"support\"\nmenu = {{ \"1\" = \"support\", \"2\" = \"support\" }}\n[[arrivals]]\nnumber = \"+18005550100\"\nivr = {{ \"1\" = 0.7, \"2\" = 0.5 }}\ncalls = [1]\ntalk = {{ fixed = \"1m\" }}\n"
                ),
                "s.toml:10:7: arrivals[0].ivr: the choices add up to 1.2",
            ),
            (
                format!("{QUEUE}{arrivals}[[agent_groups]]\nname = \"team\"\ncount = 3\n"),
                "s.toml:8:1: agent_groups[0].queues: agents a group creates need `queues`",
            ),
            (
                format!(
                    "{QUEUE}{arrivals}[[agent_groups]]\nname = \"team\"\ncount = 3\nagents = [\"ada\"]\nqueues = [\"support\"]\n"
                ),
                "s.toml:10:9: agent_groups[0].count: give `agents`",
            ),
            (
                format!("{QUEUE}{arrivals}[[agent_groups]]\nname = \"team\"\nagents = [\"ada\"]\n"),
                "s.toml:10:11: agent_groups[0].agents[0]: no agent with login \"ada\"",
            ),
            (
                format!(
                    "{QUEUE}{arrivals}[[agent_groups]]\nname = \"team\"\ncount = 3\nqueues = [\"support\"]\nshift = \"9 to 5\"\n"
                ),
                "s.toml:12:9: agent_groups[0].shift: \"9 to 5\" is not a clock interval",
            ),
            (
                format!(
                    "{QUEUE}{arrivals}[[agent_groups]]\nname = \"team\"\ncount = 3\nqueues = [\"support\"]\nshift = \"08:00-12:00\"\nbreaks = [\"12:30-12:45\"]\n"
                ),
                "s.toml:13:11: agent_groups[0].breaks[0]: the break 12:30-12:45 is not within the shift 08:00-12:00",
            ),
            (
                format!(
                    "{QUEUE}{arrivals}[[agent_groups]]\nname = \"team\"\ncount = 3\nqueues = [\"support\"]\nanswer_probability = 2\n"
                ),
                "s.toml:12:22: agent_groups[0].answer_probability: 2 is not a probability",
            ),
            (
                format!("{QUEUE}[[queues]]\nid = \"support\"\nstrategy = \"linear\"\n{arrivals}"),
                "s.toml:5:6: queues[1].id:",
            ),
            ("[scenario\n".to_owned(), "s.toml:1:10: invalid TOML"),
            (
                QUEUE.to_owned(),
                "s.toml:1:1: arrivals: the scenario has no callers",
            ),
        ];
        let mut wrong = Vec::new();
        for (text, expected) in cases {
            let got = problems(&text);
            if !got.lines().any(|l| l.starts_with(expected)) {
                wrong.push(format!(
                    "expected a line starting with\n  {expected}\ngot\n  {got}"
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn the_center_and_the_scenario_are_checked_in_one_round() {
        let text = "[[queues]]\nid = \"support\"\nstrategy = \"fastest\"\n[[arrivals]]\nqueue = \"support\"\ncalls = [1]\ntalk = { fixed = \"soon\" }\n";
        let got = problems(text);
        assert!(
            got.contains("s.toml:3:12: queues[0].strategy: unknown strategy"),
            "{got}"
        );
        assert!(
            got.contains("s.toml:7:18: arrivals[0].talk.fixed: \"soon\""),
            "{got}"
        );
        assert!(!got.contains("unknown setting"), "{got}");
    }

    #[test]
    fn an_unreadable_file_is_one_error_naming_it() {
        let got = Scenario::load(Path::new("/nonexistent/day.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            got.starts_with("/nonexistent/day.toml: cannot read the scenario"),
            "{got}"
        );
    }
}
