//! Voicemail boxes: which queues and agents have a box, what the caller hears first, and
//! how long a message may be and is kept. `[voicemail]` in the center's file;
//! `config/center.toml` documents it.
//!
//! A box is named `queue:<queue id>` or `agent:<login>`: the name is what the API's URLs,
//! the events and the `voicemails` table carry. A queue without a box keeps no messages:
//! its callers hear the default greeting and nothing is stored (the center's file says
//! which queues take messages, so nobody owns a box that nobody reads).

use std::collections::HashSet;
use std::time::Duration;

use hotline_events::{AgentId, QueueId};
use serde::Deserialize;

use super::AgentConfig;
use super::load::{FieldPath, Loader, NonZero};

/// The prompt a box without its own greeting plays.
pub const DEFAULT_GREETING: &str = "voicemail-greeting";

/// Whose messages a box holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoxOwner {
    /// Supervisors and administrators read it.
    Queue(QueueId),
    /// The agent reads it (and supervisors and administrators).
    Agent { id: AgentId, login: String },
}

/// One voicemail box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailBox {
    /// `queue:<id>` or `agent:<login>`.
    pub name: String,
    pub owner: BoxOwner,
    /// The prompt played before the caller speaks.
    pub greeting: String,
    /// The longest message: the call is ended then.
    pub max_length: Duration,
}

/// The center's boxes. The default has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailConfig {
    pub boxes: Vec<VoicemailBox>,
    /// Messages older than this (from when they were left) are purged.
    pub retention: Duration,
}

impl Default for VoicemailConfig {
    fn default() -> Self {
        Self {
            boxes: Vec::new(),
            retention: Duration::from_secs(30 * 86_400),
        }
    }
}

/// The longest message when a box does not say.
pub const DEFAULT_MAX_LENGTH: Duration = Duration::from_secs(120);

impl VoicemailConfig {
    pub fn by_name(&self, name: &str) -> Option<&VoicemailBox> {
        self.boxes.iter().find(|b| b.name == name)
    }

    /// The box of `queue`, if it has one.
    pub fn of_queue(&self, queue: &QueueId) -> Option<&VoicemailBox> {
        self.boxes
            .iter()
            .find(|b| matches!(&b.owner, BoxOwner::Queue(q) if q == queue))
    }

    /// The box of the agent with `login`, if it has one.
    pub fn of_agent(&self, login: &str) -> Option<&VoicemailBox> {
        self.boxes
            .iter()
            .find(|b| matches!(&b.owner, BoxOwner::Agent { login: l, .. } if l == login))
    }

    /// Whether any box exists: a center with boxes needs the recordings key to seal them.
    pub fn has_boxes(&self) -> bool {
        !self.boxes.is_empty()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVoicemail {
    max_length: Option<String>,
    retention_days: Option<i64>,
    boxes: Option<Vec<RawBox>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBox {
    queue: Option<String>,
    agent: Option<String>,
    greeting: Option<String>,
    max_length: Option<String>,
}

impl Loader<'_, '_> {
    /// Validates `[voicemail]`; queues and agents are checked against the file's.
    pub(super) fn voicemail(
        &mut self,
        path: &FieldPath,
        raw: RawVoicemail,
        queues: &HashSet<String>,
        agents: &[AgentConfig],
    ) -> Option<VoicemailConfig> {
        let defaults = VoicemailConfig::default();
        let mut ok = true;
        let max_length = self.duration(
            &path.key("max_length"),
            raw.max_length.as_deref(),
            DEFAULT_MAX_LENGTH,
            NonZero::Required,
        );
        ok &= max_length.is_some();
        let max_length = max_length.unwrap_or(DEFAULT_MAX_LENGTH);
        let retention = self.retention_days(
            &path.key("retention_days"),
            raw.retention_days,
            defaults.retention,
            "purges a message once handled or at the next purge",
        );
        ok &= retention.is_some();
        let retention = retention.unwrap_or(defaults.retention);
        let mut boxes: Vec<VoicemailBox> = Vec::new();
        for (i, raw) in raw.boxes.unwrap_or_default().into_iter().enumerate() {
            let at = path.key("boxes").index(i);
            let owner = match (raw.queue, raw.agent) {
                (Some(_), Some(_)) => {
                    self.error(
                        &at.key("agent"),
                        "a box belongs to a queue or to an agent, not both; split it into two [[voicemail.boxes]]".to_owned(),
                    );
                    None
                }
                (None, None) => {
                    self.error(
                        &at,
                        "this box names no owner; write `queue = \"<queue id>\"` or `agent = \"<login>\"`".to_owned(),
                    );
                    None
                }
                (Some(queue), None) => {
                    if !queues.contains(&queue) {
                        self.error(
                            &at.key("queue"),
                            format!(
                                "no queue `{queue}` is defined; name one of the [[queues]] ids"
                            ),
                        );
                        None
                    } else {
                        QueueId::new(&queue).ok().map(BoxOwner::Queue)
                    }
                }
                (None, Some(login)) => match agents.iter().find(|a| a.login == login) {
                    Some(agent) => Some(BoxOwner::Agent {
                        id: agent.id,
                        login,
                    }),
                    None => {
                        self.error(
                            &at.key("agent"),
                            format!("no agent with the login `{login}` is defined; name one of the [[agents]] logins"),
                        );
                        None
                    }
                },
            };
            let length = self.duration(
                &at.key("max_length"),
                raw.max_length.as_deref(),
                max_length,
                NonZero::Required,
            );
            let greeting = match raw.greeting {
                None => Some(DEFAULT_GREETING.to_owned()),
                Some(text) => self.non_empty(&at.key("greeting"), text),
            };
            let (Some(owner), Some(max_length), Some(greeting)) = (owner, length, greeting) else {
                ok = false;
                continue;
            };
            let name = match &owner {
                BoxOwner::Queue(q) => format!("queue:{q}"),
                BoxOwner::Agent { login, .. } => format!("agent:{login}"),
            };
            if boxes.iter().any(|b| b.name == name) {
                self.error(
                    &at,
                    format!("`{name}` has a box already; give each queue or agent one box"),
                );
                ok = false;
                continue;
            }
            boxes.push(VoicemailBox {
                name,
                owner,
                greeting,
                max_length,
            });
        }
        ok.then_some(VoicemailConfig { boxes, retention })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::CenterConfig;

    const CENTER: &str = r#"
[[queues]]
id = "sales"
name = "Sales"
strategy = "ring_all"

[[agents]]
login = "alice"
name = "Alice"
queues = ["sales"]
"#;

    #[test]
    fn queues_and_agents_have_boxes_with_their_own_greeting_and_length() {
        let text = format!(
            "{CENTER}\n[voicemail]\nmax_length = \"90s\"\nretention_days = 7\n\n[[voicemail.boxes]]\nqueue = \"sales\"\ngreeting = \"sales-after-hours\"\n\n[[voicemail.boxes]]\nagent = \"alice\"\nmax_length = \"30s\"\n"
        );
        let config = CenterConfig::parse(&text, "center.toml").unwrap();
        let v = &config.voicemail;
        assert_eq!(v.retention, Duration::from_secs(7 * 86_400));
        let sales = v.of_queue(&QueueId::new("sales").unwrap()).unwrap();
        assert_eq!(sales.name, "queue:sales");
        assert_eq!(sales.greeting, "sales-after-hours");
        assert_eq!(sales.max_length, Duration::from_secs(90));
        let alice = v.by_name("agent:alice").unwrap();
        assert_eq!(alice.greeting, DEFAULT_GREETING);
        assert_eq!(alice.max_length, Duration::from_secs(30));
        assert!(
            matches!(&alice.owner, BoxOwner::Agent { id, .. } if *id == AgentConfig::derived_id("alice"))
        );
    }

    #[test]
    fn a_center_without_the_section_has_no_boxes() {
        let config = CenterConfig::parse(CENTER, "center.toml").unwrap();
        assert!(!config.voicemail.has_boxes());
    }

    #[test]
    fn bad_boxes_are_located() {
        let text = format!(
            "{CENTER}\n[voicemail]\nmax_length = \"0s\"\n\n[[voicemail.boxes]]\nqueue = \"billing\"\n\n[[voicemail.boxes]]\nagent = \"bob\"\n\n[[voicemail.boxes]]\ngreeting = \"hi\"\n\n[[voicemail.boxes]]\nqueue = \"sales\"\n\n[[voicemail.boxes]]\nqueue = \"sales\"\n"
        );
        let errors = CenterConfig::parse(&text, "center.toml")
            .unwrap_err()
            .to_string();
        for want in [
            "voicemail.max_length: \"0s\" is zero",
            "voicemail.boxes[0].queue: no queue `billing`",
            "voicemail.boxes[1].agent: no agent with the login `bob`",
            "voicemail.boxes[2]: this box names no owner",
            "voicemail.boxes[4]: `queue:sales` has a box already",
        ] {
            assert!(errors.contains(want), "{want}\n{errors}");
        }
    }
}
