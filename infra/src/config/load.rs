//! Loading: TOML text -> raw serde structs -> validated [`CenterConfig`], with every error
//! located by file, line, column and dotted field path.
//!
//! The document is first parsed into toml's spanned tree ([`DeTable`]), which knows where
//! every key and value sits. Each section entry (`[router]`, each `[[queues]]`…) is then
//! deserialized on its own, so a typo in one queue does not hide the problems of the next,
//! and validation names fields by path; the position of a path is looked up in the tree.
//! One source of truth for "where" keeps the line and the field of an error in agreement.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use hotline_events::{AgentId, QueueId, SkillName};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::hours::parse_interval;
use super::{
    AgentConfig, BusinessHours, CenterConfig, ConfigError, ConfigErrors, NumberConfig,
    OverflowRule, QueueConfig, RouterSettings, Strategy, Tiers, parse_duration,
};
use crate::log::target::LogTarget;

pub(super) fn load(path: &Path) -> Result<CenterConfig, ConfigErrors> {
    let (text, file) = read_file(path, "configuration")?;
    parse(&text, &file)
}

/// The text of a TOML file and its name as given, or the one error saying it cannot be
/// read (`what` names the kind of file: "configuration", "scenario").
pub fn read_file(path: &Path, what: &str) -> Result<(String, String), ConfigErrors> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((text, file)),
        Err(e) => Err(ConfigErrors {
            errors: vec![ConfigError {
                file,
                line: 0,
                column: 0,
                field: String::new(),
                message: format!(
                    "cannot read the {what}: {e}; check the path, its permissions, and that it is UTF-8 text"
                ),
            }],
        }),
    }
}

pub(super) fn parse(text: &str, file: &str) -> Result<CenterConfig, ConfigErrors> {
    parse_beside(text, file, &[])
}

/// [`parse`] for a file that holds other sections too (a simulation scenario): the
/// top-level keys in `others` are left to their reader instead of reported as unknown.
pub(super) fn parse_beside(
    text: &str,
    file: &str,
    others: &[&str],
) -> Result<CenterConfig, ConfigErrors> {
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let (line, column) = line_column(text, offset);
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
    let mut loader = Loader {
        text,
        file,
        root: &root,
        others,
        sections: &SECTIONS,
        errors: Vec::new(),
    };
    let config = loader.center();
    let mut errors = loader.errors;
    if errors.is_empty()
        && let Some(config) = config
    {
        return Ok(config);
    }
    errors.sort_by_key(|e| (e.line, e.column));
    Err(ConfigErrors { errors })
}

// ---------------------------------------------------------------------------------------
// Raw forms: what serde reads, before validation. `deny_unknown_fields` turns typos into
// errors instead of silently ignored settings. Required fields are `Option`s too, checked
// by `Loader::required`: a field dropped for its wrong type is then not reported again as
// missing, and the rest of its entry is still validated.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRouter {
    auto_pause_after: Option<i64>,
    announce_every: Option<String>,
    estimate_window: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHours {
    name: Option<String>,
    time_zone: Option<String>,
    mon: Option<Vec<String>>,
    tue: Option<Vec<String>>,
    wed: Option<Vec<String>>,
    thu: Option<Vec<String>>,
    fri: Option<Vec<String>>,
    sat: Option<Vec<String>>,
    sun: Option<Vec<String>>,
    holidays: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueue {
    id: Option<String>,
    name: Option<String>,
    strategy: Option<String>,
    ring_timeout: Option<String>,
    wrap_up: Option<String>,
    skills: Option<Vec<String>>,
    tiers: Option<RawTiers>,
    overflow: Option<Vec<RawOverflow>>,
    max_wait: Option<String>,
    hours: Option<String>,
    service_level: Option<RawServiceLevel>,
    callback: Option<bool>,
    default_handle_time: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiers {
    levels: Option<Vec<i64>>,
    widen_after: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverflow {
    to: Option<String>,
    after: Option<String>,
    waiting_over: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServiceLevel {
    threshold: Option<String>,
    target: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    id: Option<String>,
    login: Option<String>,
    name: Option<String>,
    extension: Option<String>,
    skills: Option<BTreeMap<String, i64>>,
    queues: Option<Vec<String>>,
    weight: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumber {
    number: Option<String>,
    queue: Option<String>,
    priority: Option<u8>,
    menu: Option<BTreeMap<String, String>>,
    flow: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Field paths.

#[derive(Debug, Clone)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// A dotted path into the document, such as `queues[2].overflow[0].to`.
#[derive(Debug, Clone, Default)]
pub(super) struct FieldPath(pub(super) Vec<Seg>);

impl FieldPath {
    pub(super) fn key(&self, key: &str) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_owned()));
        FieldPath(segs)
    }

    pub(super) fn index(&self, index: usize) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        FieldPath(segs)
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    // As TOML writes keys: bare when it can, quoted otherwise.
                    let bare = !k.is_empty()
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The top-level keys, in the order they are validated (later ones refer to earlier ones).
const SECTIONS: [&str; 10] = [
    "log",
    "router",
    "skills",
    "hours",
    "queues",
    "agents",
    "numbers",
    "recording",
    "voicemail",
    "surveys",
];

// ---------------------------------------------------------------------------------------
// Validation.

pub(super) struct Loader<'a, 't> {
    pub(super) text: &'t str,
    pub(super) file: &'t str,
    pub(super) root: &'a Spanned<DeValue<'t>>,
    /// Top-level keys another reader handles.
    pub(super) others: &'a [&'a str],
    /// The top-level keys of this kind of file: an unknown field of an entry named like
    /// one of them was most likely meant for the top level.
    pub(super) sections: &'a [&'a str],
    pub(super) errors: Vec<ConfigError>,
}

/// What later sections may refer to. Names are gathered from the tree, so a queue whose
/// entry has an unrelated error still counts as defined and its references don't cascade.
#[derive(Debug, Default)]
struct Names {
    /// `None` when the `skills` list could not be read: skill references then go unchecked
    /// rather than each reported as undeclared.
    skills: Option<HashSet<String>>,
    hours: HashSet<String>,
    queues: HashSet<String>,
}

impl<'a, 't> Loader<'a, 't> {
    fn center(&mut self) -> Option<CenterConfig> {
        let root = self.root;
        if let DeValue::Table(table) = root.get_ref() {
            for (key, _) in table.iter() {
                let key_name: &str = key.get_ref().as_ref();
                if key_name == "log" && !self.others.is_empty() && !self.others.contains(&"log") {
                    // A file of another kind (a scenario) holds a center beside other
                    // sections; its command takes the log from the command line.
                    self.push(
                        FieldPath::default().key("log"),
                        key.span(),
                        "`log` chooses the event log of a center file that `hotline serve --config` runs; for this file give --log on the command line instead".to_owned(),
                    );
                    continue;
                }
                if !SECTIONS.contains(&key_name) && !self.others.contains(&key_name) {
                    let all: Vec<&str> = SECTIONS.iter().chain(self.others).copied().collect();
                    let message = format!(
                        "unknown setting `{}`; the top level holds only {} (check the spelling, or the [section] it belongs under)",
                        key.get_ref(),
                        all.join(", ")
                    );
                    self.push(FieldPath::default().key(key.get_ref()), key.span(), message);
                }
            }
        }
        let top = FieldPath::default();

        let log = match self.node(&top.key("log")) {
            Some(node) if self.others.is_empty() => self
                .item::<String>(node, &top.key("log"))
                .and_then(|url| self.log(&top.key("log"), &url)),
            _ => Some(None),
        };

        let router = match self.node(&top.key("router")) {
            None => Some(RouterSettings::default()),
            Some(node) => self
                .item::<RawRouter>(node, &top.key("router"))
                .and_then(|raw| self.router(&top.key("router"), raw)),
        };

        let mut names = Names::default();
        let skills = match self.node(&top.key("skills")) {
            // Written under [router] by mistake (reported there): don't also call every
            // skill undeclared.
            None if self.node(&top.key("router").key("skills")).is_some() => Some(Vec::new()),
            None => {
                names.skills = Some(HashSet::new());
                Some(Vec::new())
            }
            Some(node) => self
                .item::<Vec<String>>(node, &top.key("skills"))
                .and_then(|raw| self.skills(&top.key("skills"), raw, &mut names)),
        };

        let hours_nodes = self.entries(&top.key("hours"));
        names.hours = self.unique_names(&hours_nodes, "name");
        let mut hours = Vec::new();
        for (path, node) in &hours_nodes {
            if let Some(raw) = self.item::<RawHours>(node, path) {
                hours.push(self.business_hours(path, raw));
            }
        }

        let queue_nodes = self.entries(&top.key("queues"));
        names.queues = self.unique_names(&queue_nodes, "id");
        let mut queues = Vec::new();
        for (path, node) in &queue_nodes {
            if let Some(raw) = self.item::<RawQueue>(node, path) {
                queues.push(self.queue(path, raw, &names));
            }
        }

        let agent_nodes = self.entries(&top.key("agents"));
        self.unique_names(&agent_nodes, "login");
        self.unique_names(&agent_nodes, "extension");
        let mut agents = Vec::new();
        for (path, node) in &agent_nodes {
            if let Some(raw) = self.item::<RawAgent>(node, path) {
                let explicit = raw.id.is_some();
                agents.push((path.clone(), explicit, self.agent(path, raw, &names)));
            }
        }
        // Explicit ids may collide with each other or with a derived one. Two derived ids
        // collide only when the logins do, which is reported already.
        let mut ids: HashMap<AgentId, (FieldPath, bool)> = HashMap::new();
        for (path, explicit, agent) in &agents {
            let Some(agent) = agent else { continue };
            match ids.get(&agent.id) {
                Some((first, first_explicit)) if *explicit || *first_explicit => {
                    let first_field = first.key(if *first_explicit { "id" } else { "login" });
                    let line = self.line_of(&first_field);
                    let (field, message) = if *explicit {
                        (
                            path.key("id"),
                            format!(
                                "agent id {} is already used by the agent at line {line} ({first_field}); give each agent its own id, or none to derive it from the login",
                                agent.id
                            ),
                        )
                    } else {
                        (
                            path.key("login"),
                            format!(
                                "the id derived from this login, {}, is already given to the agent at line {line} ({first_field}); change that agent's id",
                                agent.id
                            ),
                        )
                    };
                    self.error(&field, message);
                }
                Some(_) => {}
                None => {
                    ids.insert(agent.id, (path.clone(), *explicit));
                }
            }
        }
        let agents: Vec<Option<AgentConfig>> = agents.into_iter().map(|(_, _, a)| a).collect();

        let number_nodes = self.entries(&top.key("numbers"));
        self.unique_names(&number_nodes, "number");
        let mut numbers = Vec::new();
        for (path, node) in &number_nodes {
            if let Some(raw) = self.item::<RawNumber>(node, path) {
                numbers.push(self.number(path, raw, &names));
            }
        }

        let recording = match self.node(&top.key("recording")) {
            None => Some(super::RecordingConfig::default()),
            Some(node) => self
                .item::<super::recording::RawRecording>(node, &top.key("recording"))
                .and_then(|raw| self.recording(&top.key("recording"), raw, &names.queues)),
        };

        let known_agents: Vec<AgentConfig> = agents.iter().flatten().cloned().collect();
        let voicemail = match self.node(&top.key("voicemail")) {
            None => Some(super::VoicemailConfig::default()),
            Some(node) => self
                .item::<super::voicemail::RawVoicemail>(node, &top.key("voicemail"))
                .and_then(|raw| {
                    self.voicemail(&top.key("voicemail"), raw, &names.queues, &known_agents)
                }),
        };

        let survey_nodes = self.entries(&top.key("surveys"));
        self.unique_names(&survey_nodes, "queue");
        let mut surveys = Vec::new();
        for (path, node) in &survey_nodes {
            if let Some(raw) = self.item::<super::survey::RawSurvey>(node, path) {
                surveys.push(self.survey(path, raw, &names.queues));
            } else {
                surveys.push(None);
            }
        }

        Some(CenterConfig {
            log: log?,
            router: router?,
            skills: skills?,
            queues: queues.into_iter().collect::<Option<_>>()?,
            agents: agents.into_iter().collect::<Option<_>>()?,
            numbers: numbers.into_iter().collect::<Option<_>>()?,
            hours: hours.into_iter().collect::<Option<_>>()?,
            recording: recording?,
            voicemail: voicemail?,
            surveys: surveys.into_iter().collect::<Option<_>>()?,
        })
    }

    /// The event log `url` names, or `None` when it cannot be used (reported at the key,
    /// with what is wrong in it).
    fn log(&mut self, path: &FieldPath, url: &str) -> Option<Option<LogTarget>> {
        match url.parse::<LogTarget>() {
            Ok(target) => Some(Some(target)),
            Err(e) => {
                self.error(path, e.to_string());
                None
            }
        }
    }

    fn router(&mut self, path: &FieldPath, raw: RawRouter) -> Option<RouterSettings> {
        let defaults = RouterSettings::default();
        let auto_pause_after = self.at_least_one(
            &path.key("auto_pause_after"),
            raw.auto_pause_after,
            defaults.auto_pause_after,
            "missed offers",
        );
        let announce_every = self.duration(
            &path.key("announce_every"),
            raw.announce_every.as_deref(),
            defaults.announce_every,
            NonZero::Required,
        );
        let estimate_window = self.at_least_one(
            &path.key("estimate_window"),
            raw.estimate_window,
            defaults.estimate_window,
            "handle times",
        );
        Some(RouterSettings {
            auto_pause_after: auto_pause_after?,
            announce_every: announce_every?,
            estimate_window: estimate_window?,
        })
    }

    fn skills(
        &mut self,
        path: &FieldPath,
        raw: Vec<String>,
        names: &mut Names,
    ) -> Option<Vec<SkillName>> {
        let mut declared = HashSet::new();
        let mut skills = Vec::new();
        let mut ok = true;
        for (i, name) in raw.iter().enumerate() {
            match SkillName::new(name) {
                Ok(skill) => {
                    if declared.insert(name.clone()) {
                        skills.push(skill);
                    } else {
                        self.error(
                            &path.index(i),
                            format!("skill `{name}` is listed twice; remove one"),
                        );
                        ok = false;
                    }
                }
                Err(e) => {
                    self.error(&path.index(i), e.to_string());
                    ok = false;
                }
            }
        }
        // Even a partly broken list checks references: the valid names are still declared.
        names.skills = Some(declared);
        ok.then_some(skills)
    }

    fn business_hours(&mut self, path: &FieldPath, raw: RawHours) -> Option<BusinessHours> {
        let name = self
            .required(&path.key("name"), raw.name)
            .and_then(|name| self.non_empty(&path.key("name"), name));
        let time_zone = self
            .required(&path.key("time_zone"), raw.time_zone)
            .and_then(|tz| match chrono_tz::Tz::from_str(&tz) {
                Ok(tz) => Some(tz),
                Err(_) => {
                    self.error(
                        &path.key("time_zone"),
                        format!(
                            "unknown time zone \"{tz}\"; use an IANA name such as \"Europe/Paris\", \"America/New_York\" or \"UTC\""
                        ),
                    );
                    None
                }
            });
        let days = [
            ("mon", raw.mon),
            ("tue", raw.tue),
            ("wed", raw.wed),
            ("thu", raw.thu),
            ("fri", raw.fri),
            ("sat", raw.sat),
            ("sun", raw.sun),
        ];
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        let mut ok = true;
        for ((day, intervals), slot) in days.into_iter().zip(week.iter_mut()) {
            let day_path = path.key(day);
            let mut parsed: Vec<(usize, (u16, u16))> = Vec::new();
            for (i, text) in intervals.unwrap_or_default().iter().enumerate() {
                match parse_interval(text) {
                    Ok(interval) => parsed.push((i, interval)),
                    Err(message) => {
                        self.error(&day_path.index(i), message);
                        ok = false;
                    }
                }
            }
            parsed.sort_by_key(|&(_, interval)| interval);
            for pair in parsed.windows(2) {
                let [(_, (_, closes)), (i, (opens, _))] = pair else {
                    continue;
                };
                if opens < closes {
                    self.error(
                        &day_path.index(*i),
                        "this interval overlaps another of the same day; merge them into one"
                            .to_owned(),
                    );
                    ok = false;
                }
            }
            *slot = parsed.into_iter().map(|(_, interval)| interval).collect();
        }
        let mut holidays = Vec::new();
        for (i, text) in raw.holidays.unwrap_or_default().iter().enumerate() {
            match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => holidays.push(date),
                Err(e) => {
                    self.error(
                        &path.key("holidays").index(i),
                        format!(
                            "\"{text}\" is not a date ({e}); write it as \"YYYY-MM-DD\", such as \"2026-12-25\""
                        ),
                    );
                    ok = false;
                }
            }
        }
        Some(BusinessHours {
            name: name?,
            time_zone: time_zone?,
            week: ok.then_some(week)?,
            holidays,
        })
    }

    fn queue(&mut self, path: &FieldPath, raw: RawQueue, names: &Names) -> Option<QueueConfig> {
        let raw_id = self.required(&path.key("id"), raw.id);
        let id = raw_id
            .as_deref()
            .and_then(|id| self.queue_id(&path.key("id"), id));
        let name = match raw.name {
            Some(name) => self.non_empty(&path.key("name"), name),
            None => raw_id.clone(),
        };
        let strategy = self
            .required(&path.key("strategy"), raw.strategy)
            .and_then(|name| {
                let strategy = Strategy::from_name(&name);
                if strategy.is_none() {
                    let expected: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
                    self.error(
                        &path.key("strategy"),
                        format!(
                            "unknown strategy \"{name}\"; expected one of {}",
                            expected.join(", ")
                        ),
                    );
                }
                strategy
            });
        let ring_timeout = self.duration(
            &path.key("ring_timeout"),
            raw.ring_timeout.as_deref(),
            Duration::from_secs(15),
            NonZero::Required,
        );
        let wrap_up = self.duration(
            &path.key("wrap_up"),
            raw.wrap_up.as_deref(),
            Duration::from_secs(30),
            NonZero::Allowed,
        );
        let skills = self.skill_list(&path.key("skills"), raw.skills.unwrap_or_default(), names);
        let tiers = self.tiers(&path.key("tiers"), raw.tiers);
        let mut overflow = Vec::new();
        for (i, rule) in raw.overflow.unwrap_or_default().into_iter().enumerate() {
            overflow.push(self.overflow(
                &path.key("overflow").index(i),
                rule,
                raw_id.as_deref(),
                names,
            ));
        }
        let max_wait = match raw.max_wait.as_deref() {
            None => Some(None),
            Some(text) => self
                .duration(
                    &path.key("max_wait"),
                    Some(text),
                    Duration::ZERO,
                    NonZero::Required,
                )
                .map(Some),
        };
        let hours = match raw.hours {
            None => Some(None),
            Some(name) if names.hours.contains(&name) => Some(Some(name)),
            Some(name) => {
                let message = format!(
                    "no business hours named \"{name}\"; define them with [[hours]] name = \"{name}\", or remove this line to stay always open{}",
                    known("defined", &names.hours)
                );
                self.error(&path.key("hours"), message);
                None
            }
        };
        let sl_path = path.key("service_level");
        let (threshold, target) = raw
            .service_level
            .map_or((None, None), |sl| (sl.threshold, sl.target));
        let service_level_threshold = self.duration(
            &sl_path.key("threshold"),
            threshold.as_deref(),
            Duration::from_secs(20),
            NonZero::Required,
        );
        let service_level_target = match target {
            None => Some(80),
            Some(t) => match u8::try_from(t) {
                Ok(t) if t <= 100 => Some(t),
                _ => {
                    self.error(
                        &sl_path.key("target"),
                        format!("{t} is not a percentage; use 0 to 100, such as 80"),
                    );
                    None
                }
            },
        };
        let default_handle_time = self.duration(
            &path.key("default_handle_time"),
            raw.default_handle_time.as_deref(),
            Duration::from_secs(180),
            NonZero::Required,
        );
        Some(QueueConfig {
            id: id?,
            name: name?,
            strategy: strategy?,
            ring_timeout: ring_timeout?,
            wrap_up: wrap_up?,
            skills: skills?,
            tiers: tiers?,
            overflow: overflow.into_iter().collect::<Option<_>>()?,
            max_wait: max_wait?,
            hours: hours?,
            service_level_threshold: service_level_threshold?,
            service_level_target: service_level_target?,
            callback: raw.callback.unwrap_or(false),
            default_handle_time: default_handle_time?,
        })
    }

    fn tiers(&mut self, path: &FieldPath, raw: Option<RawTiers>) -> Option<Tiers> {
        let defaults = Tiers::default();
        let Some(raw) = raw else {
            return Some(defaults);
        };
        let widen_after = self.duration(
            &path.key("widen_after"),
            raw.widen_after.as_deref(),
            defaults.widen_after,
            NonZero::Required,
        );
        let levels = match raw.levels {
            None => Some(defaults.levels),
            Some(raw_levels) if raw_levels.is_empty() => {
                self.error(
                    &path.key("levels"),
                    "list at least one minimum skill level, best first, such as [8, 5, 1]"
                        .to_owned(),
                );
                None
            }
            Some(raw_levels) => {
                let mut levels = Vec::new();
                let mut ok = true;
                for (i, &level) in raw_levels.iter().enumerate() {
                    let level_path = path.key("levels").index(i);
                    match self.level(&level_path, level) {
                        Some(level) => {
                            if let Some(&before) = levels.last()
                                && level >= before
                            {
                                self.error(
                                    &level_path,
                                    format!(
                                        "tier levels must strictly decrease (best-skilled first), but {level} follows {before}; order them such as [8, 5, 1]"
                                    ),
                                );
                                ok = false;
                            }
                            levels.push(level);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(levels)
            }
        };
        Some(Tiers {
            levels: levels?,
            widen_after: widen_after?,
        })
    }

    fn overflow(
        &mut self,
        path: &FieldPath,
        raw: RawOverflow,
        own: Option<&str>,
        names: &Names,
    ) -> Option<OverflowRule> {
        let to = self
            .required(&path.key("to"), raw.to)
            .and_then(|to| self.queue_ref(&path.key("to"), &to, names));
        let to = match to {
            Some(to) if Some(to.as_str()) == own => {
                self.error(
                    &path.key("to"),
                    format!(
                        "queue `{to}` overflows to itself, which does nothing; name another queue"
                    ),
                );
                None
            }
            other => other,
        };
        let after = match raw.after.as_deref() {
            None => Some(None),
            Some(text) => self
                .duration(
                    &path.key("after"),
                    Some(text),
                    Duration::ZERO,
                    NonZero::Allowed,
                )
                .map(Some),
        };
        if raw.after.is_none() && raw.waiting_over.is_none() {
            self.error(
                path,
                "an overflow rule needs `after` (a wait, such as \"60s\") or `waiting_over` (a number of waiting calls), or both".to_owned(),
            );
            return None;
        }
        Some(OverflowRule {
            to: to?,
            after: after?,
            waiting_over: raw.waiting_over,
        })
    }

    fn agent(&mut self, path: &FieldPath, raw: RawAgent, names: &Names) -> Option<AgentConfig> {
        let raw_login = self.required(&path.key("login"), raw.login);
        let login = raw_login
            .clone()
            .and_then(|login| self.non_empty(&path.key("login"), login));
        let login = login.filter(|login| {
            let ok = !login.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                self.error(
                    &path.key("login"),
                    format!("login \"{login}\" contains spaces or control characters; remove them"),
                );
            }
            ok
        });
        let id = match raw.id {
            None => raw_login.as_deref().map(AgentConfig::derived_id),
            Some(text) => match AgentId::from_str(&text) {
                Ok(id) => Some(id),
                Err(e) => {
                    self.error(
                        &path.key("id"),
                        format!("{e}; or remove `id` to derive a stable one from the login"),
                    );
                    None
                }
            },
        };
        let name = match raw.name {
            Some(name) => self.non_empty(&path.key("name"), name),
            None => raw_login.clone(),
        };
        let extension = match raw.extension {
            None => Some(None),
            Some(ext) => self.non_empty(&path.key("extension"), ext).map(Some),
        };
        let mut skills = Vec::new();
        let mut skills_ok = true;
        for (skill, level) in raw.skills.unwrap_or_default() {
            let skill_path = path.key("skills").key(&skill);
            let skill = self.skill_ref(&skill_path, &skill, names);
            let level = self.level(&skill_path, level);
            match (skill, level) {
                (Some(skill), Some(level)) => skills.push((skill, level)),
                _ => skills_ok = false,
            }
        }
        let mut queues = Vec::new();
        let mut queues_ok = true;
        for (i, queue) in raw.queues.unwrap_or_default().iter().enumerate() {
            let queue_path = path.key("queues").index(i);
            match self.queue_ref(&queue_path, queue, names) {
                Some(q) if queues.contains(&q) => {
                    self.error(
                        &queue_path,
                        format!("queue `{q}` is listed twice; remove one"),
                    );
                    queues_ok = false;
                }
                Some(q) => queues.push(q),
                None => queues_ok = false,
            }
        }
        let weight = self.at_least_one(&path.key("weight"), raw.weight, 1, "");
        Some(AgentConfig {
            id: id?,
            login: login?,
            name: name?,
            extension: extension?,
            skills: skills_ok.then_some(skills)?,
            queues: queues_ok.then_some(queues)?,
            weight: weight?,
        })
    }

    fn number(&mut self, path: &FieldPath, raw: RawNumber, names: &Names) -> Option<NumberConfig> {
        let number = self
            .required(&path.key("number"), raw.number)
            .and_then(|number| {
                let digits = number.strip_prefix('+').unwrap_or(&number);
                let ok = (1..=15).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    self.error(
                        &path.key("number"),
                        format!(
                            "\"{number}\" is not a phone number; write it as the network delivers it, in E.164 (\"+\" and up to 15 digits, such as \"+18005550100\")"
                        ),
                    );
                }
                ok.then_some(number)
            });
        let queue = self
            .required(&path.key("queue"), raw.queue)
            .and_then(|queue| self.queue_ref(&path.key("queue"), &queue, names));
        let mut menu = Vec::new();
        let mut menu_ok = true;
        for (keys, target) in raw.menu.unwrap_or_default() {
            let entry_path = path.key("menu").key(&keys);
            let keys_ok = (1..=8).contains(&keys.len())
                && keys
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#');
            if !keys_ok {
                self.error(
                    &entry_path,
                    format!(
                        "\"{keys}\" is not something a caller can key; use 1 to 8 of 0-9, * and #, such as \"1\" or \"*0\""
                    ),
                );
            }
            match self.queue_ref(&entry_path, &target, names) {
                Some(q) if keys_ok => menu.push((keys, q)),
                _ => menu_ok = false,
            }
        }
        let flow = match raw.flow {
            Some(f) if f.trim().is_empty() => {
                self.error(
                    &path.key("flow"),
                    "the flow file is empty text; give the path of a flow file such as \"flows/example.toml\", or leave `flow` out".to_owned(),
                );
                return None;
            }
            other => other,
        };
        Some(NumberConfig {
            number: number?,
            queue: queue?,
            menu: menu_ok.then_some(menu)?,
            priority: raw.priority.unwrap_or(0),
            flow,
        })
    }

    // -- Field helpers: each reports its own error and returns None on failure. --------

    /// Reports a missing required field, unless its value was already reported (and
    /// dropped) for its type.
    pub(super) fn required<T>(&mut self, path: &FieldPath, value: Option<T>) -> Option<T> {
        if value.is_none() {
            let field = path.to_string();
            if !self.errors.iter().any(|e| e.field == field) {
                let name = match path.0.last() {
                    Some(Seg::Key(k)) => k.as_str(),
                    _ => "",
                };
                self.error(
                    path,
                    format!("`{name}` is missing; every entry here needs one"),
                );
            }
        }
        value
    }

    fn queue_id(&mut self, path: &FieldPath, text: &str) -> Option<QueueId> {
        QueueId::new(text)
            .map_err(|e| self.error(path, e.to_string()))
            .ok()
    }

    fn queue_ref(&mut self, path: &FieldPath, text: &str, names: &Names) -> Option<QueueId> {
        let id = self.queue_id(path, text)?;
        if names.queues.contains(text) {
            Some(id)
        } else {
            let message = format!(
                "no queue `{text}` is defined; define it with [[queues]] id = \"{text}\", or fix the name{}",
                known("defined", &names.queues)
            );
            self.error(path, message);
            None
        }
    }

    fn skill_ref(&mut self, path: &FieldPath, text: &str, names: &Names) -> Option<SkillName> {
        let skill = SkillName::new(text)
            .map_err(|e| self.error(path, e.to_string()))
            .ok()?;
        match &names.skills {
            Some(declared) if !declared.contains(text) => {
                let message = format!(
                    "skill `{text}` is not declared; add it to the top-level `skills` list, or fix the name{}",
                    known("declared", declared)
                );
                self.error(path, message);
                None
            }
            _ => Some(skill),
        }
    }

    fn skill_list(
        &mut self,
        path: &FieldPath,
        raw: Vec<String>,
        names: &Names,
    ) -> Option<Vec<SkillName>> {
        let mut skills = Vec::new();
        let mut ok = true;
        for (i, name) in raw.iter().enumerate() {
            match self.skill_ref(&path.index(i), name, names) {
                Some(skill) if skills.contains(&skill) => {
                    self.error(
                        &path.index(i),
                        format!("skill `{name}` is listed twice; remove one"),
                    );
                    ok = false;
                }
                Some(skill) => skills.push(skill),
                None => ok = false,
            }
        }
        ok.then_some(skills)
    }

    fn level(&mut self, path: &FieldPath, level: i64) -> Option<u8> {
        match u8::try_from(level) {
            Ok(level) if (1..=10).contains(&level) => Some(level),
            _ => {
                self.error(
                    path,
                    format!("skill level {level} is out of range; use 1 (novice) to 10 (expert)"),
                );
                None
            }
        }
    }

    fn at_least_one(
        &mut self,
        path: &FieldPath,
        value: Option<i64>,
        default: u32,
        unit: &str,
    ) -> Option<u32> {
        let Some(value) = value else {
            return Some(default);
        };
        match u32::try_from(value) {
            Ok(v) if v >= 1 => Some(v),
            _ => {
                let unit = if unit.is_empty() {
                    String::new()
                } else {
                    format!(" {unit}")
                };
                self.error(
                    path,
                    format!(
                        "{value} is out of range; use a whole number from 1 to {}{unit}",
                        u32::MAX
                    ),
                );
                None
            }
        }
    }

    pub(super) fn duration(
        &mut self,
        path: &FieldPath,
        text: Option<&str>,
        default: Duration,
        zero: NonZero,
    ) -> Option<Duration> {
        let Some(text) = text else {
            return Some(default);
        };
        match parse_duration(text) {
            Ok(d) if d.is_zero() && zero == NonZero::Required => {
                self.error(
                    path,
                    format!("\"{text}\" is zero, which makes no sense here; use a positive duration, such as \"20s\""),
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.error(path, e.to_string());
                None
            }
        }
    }

    pub(super) fn non_empty(&mut self, path: &FieldPath, text: String) -> Option<String> {
        if text.trim().is_empty() {
            self.error(
                path,
                "this is empty; write a value, or remove the line if it is optional".to_owned(),
            );
            None
        } else {
            Some(text)
        }
    }

    // -- The tree: sections, names, positions. -----------------------------------------

    /// The node at `path`, if the document has it.
    pub(super) fn node(&self, path: &FieldPath) -> Option<&'a Spanned<DeValue<'t>>> {
        let mut node = self.root;
        for seg in &path.0 {
            node = match (seg, node.get_ref()) {
                (Seg::Key(k), DeValue::Table(t)) => t.get(k.as_str())?,
                (Seg::Index(i), DeValue::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The entries of an array-of-tables section (`[[queues]]`), with their paths.
    fn entries(&mut self, path: &FieldPath) -> Vec<(FieldPath, &'a Spanned<DeValue<'t>>)> {
        let Some(node) = self.node(path) else {
            return Vec::new();
        };
        match node.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (path.index(i), item))
                .collect(),
            other => {
                let message = format!(
                    "expected entries written as [[{path}]] tables, found {}",
                    with_article(other.type_str())
                );
                self.error(path, message);
                Vec::new()
            }
        }
    }

    /// Reads the string `key` of each entry, reporting duplicates; returns the set of
    /// names, including those of entries that fail for other reasons.
    fn unique_names(
        &mut self,
        entries: &[(FieldPath, &Spanned<DeValue<'t>>)],
        key: &str,
    ) -> HashSet<String> {
        let mut first: HashMap<String, FieldPath> = HashMap::new();
        for (path, node) in entries {
            let Some(name) = node.get_ref().get(key).and_then(|v| v.get_ref().as_str()) else {
                continue;
            };
            if let Some(earlier) = first.get(name) {
                let line = self.line_of(earlier);
                let message = format!(
                    "\"{name}\" is already the {key} of the entry at line {line} ({earlier}); each entry needs its own {key}"
                );
                self.error(&path.key(key), message);
            } else {
                first.insert(name.to_owned(), path.key(key));
            }
        }
        first.into_keys().collect()
    }

    /// Deserializes one entry. A serde error (wrong type, unknown or missing field) is
    /// reported at the deepest key or value that holds its position; that key or value is
    /// then dropped and the entry read again, so one typo does not hide the entry's other
    /// problems. The entry is given up only when a field it cannot do without is missing.
    pub(super) fn item<T: DeserializeOwned>(
        &mut self,
        node: &Spanned<DeValue<'t>>,
        path: &FieldPath,
    ) -> Option<T> {
        let mut remaining = node.clone();
        let mut reported: Vec<String> = Vec::new();
        loop {
            let e = match T::deserialize(ValueDeserializer::from(remaining.clone())) {
                Ok(value) => return Some(value),
                Err(e) => e,
            };
            let span = e.span().unwrap_or_else(|| node.span());
            // Paths come from the original entry, whose indices nothing has shifted.
            let mut field = find(node, span.start, path).unwrap_or_else(|| path.clone());
            let mut message = e.message().trim_end().to_owned();
            if let Some(name) = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.strip_suffix('`'))
            {
                field = field.key(name);
                message = format!("`{name}` is missing; every entry here needs one");
            } else if let Some(name) = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                && self.sections.contains(&name)
            {
                message = format!(
                    "`{name}` belongs at the top level, but here it falls inside the table above it (in TOML, keys after a [section] header belong to it); move it above the first [section]"
                );
            } else if message.starts_with("unknown field") {
                message.push_str("; check the spelling");
            } else {
                message = plain_types(&message);
            }
            let field_name = field.to_string();
            // A required field dropped for its type then shows up missing: said already.
            if !reported.contains(&field_name) {
                self.push(field, span.clone(), message);
                reported.push(field_name);
            }
            if !remove_at(&mut remaining, span.start) {
                return None;
            }
        }
    }

    pub(super) fn error(&mut self, path: &FieldPath, message: String) {
        let span = self.span_of(path);
        self.push(path.clone(), span, message);
    }

    pub(super) fn push(&mut self, field: FieldPath, span: Range<usize>, message: String) {
        let (line, column) = line_column(self.text, span.start);
        self.errors.push(ConfigError {
            file: self.file.to_owned(),
            line,
            column,
            field: field.to_string(),
            message,
        });
    }

    /// Where `path` is written, or its nearest enclosing entry when it is not (a missing
    /// field is reported where its entry is).
    fn span_of(&self, path: &FieldPath) -> Range<usize> {
        (0..=path.0.len())
            .rev()
            .find_map(|n| self.node(&FieldPath(path.0[..n].to_vec())))
            .map_or(0..0, |node| node.span())
    }

    pub(super) fn line_of(&self, path: &FieldPath) -> usize {
        line_column(self.text, self.span_of(path).start).0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NonZero {
    /// Zero makes no sense (a ring timeout of nothing).
    Required,
    /// Zero is meaningful (no wrap-up, overflow at once).
    Allowed,
}

/// The deepest key or value under `node` whose span holds `offset`.
fn find(node: &Spanned<DeValue<'_>>, offset: usize, path: &FieldPath) -> Option<FieldPath> {
    let holds = |span: Range<usize>| span.start <= offset && offset < span.end.max(span.start + 1);
    // A key or a value holding the offset, most specific first.
    let visit =
        |child_path: FieldPath, key_span: Option<Range<usize>>, child: &Spanned<DeValue<'_>>| {
            if key_span.is_some_and(holds) {
                return Some(child_path);
            }
            find(child, offset, &child_path).or_else(|| holds(child.span()).then_some(child_path))
        };
    match node.get_ref() {
        DeValue::Table(t) => t
            .iter()
            .find_map(|(k, v)| visit(path.key(k.get_ref()), Some(k.span()), v)),
        DeValue::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| visit(path.index(i), None, v)),
        _ => None,
    }
}

/// Removes the deepest key or array element under `node` that holds `offset`; false when
/// none does (the problem is the node itself). Every removal shrinks the tree, so a loop
/// over removals ends.
fn remove_at(node: &mut Spanned<DeValue<'_>>, offset: usize) -> bool {
    let holds = |span: Range<usize>| span.start <= offset && offset < span.end.max(span.start + 1);
    match node.get_mut() {
        DeValue::Table(t) => {
            let Some((key, on_key)) = t
                .iter()
                .find(|(k, v)| holds(k.span()) || holds(v.span()))
                .map(|(k, _)| (k.get_ref().to_string(), holds(k.span())))
            else {
                return false;
            };
            if !on_key
                && let Some(child) = t.get_mut(key.as_str())
                && remove_at(child, offset)
            {
                return true;
            }
            t.remove(key.as_str()).is_some()
        }
        DeValue::Array(a) => {
            let Some(i) = a.iter().position(|v| holds(v.span())) else {
                return false;
            };
            if let Some(child) = a.get_mut(i)
                && remove_at(child, offset)
            {
                return true;
            }
            *a = a
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, v)| v.clone())
                .collect();
            true
        }
        _ => false,
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text
        .char_indices()
        .take_while(|&(i, _)| i < offset)
        .map(|(_, c)| c);
    let (mut line, mut column) = (1, 1);
    for c in before {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// `" (defined: a, b)"`, sorted, to help fix a misspelt reference; empty when there are none.
pub(super) fn known(what: &str, names: &HashSet<String>) -> String {
    if names.is_empty() {
        return String::new();
    }
    let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
    names.sort_unstable();
    format!(" ({what}: {})", names.join(", "))
}

/// serde's type names in an administrator's words: `expected u8` -> `expected a whole
/// number from 0 to 255`.
pub(super) fn plain_types(message: &str) -> String {
    const WORDS: [(&str, &str); 5] = [
        ("expected i64", "expected a whole number"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected u8", "expected a whole number from 0 to 255"),
        (
            "expected a sequence",
            "expected a list, such as [\"a\", \"b\"]",
        ),
        (
            "expected a map",
            "expected a table, such as { key = \"value\" }",
        ),
    ];
    WORDS
        .iter()
        .fold(message.to_owned(), |m, (from, to)| m.replace(from, to))
}

pub(super) fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}
