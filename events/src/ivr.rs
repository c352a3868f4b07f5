//! The steps of a call through an IVR flow (stream `ivr-<call id>`): every node entered,
//! prompt played, input taken or refused, lookup and variable, and how the flow let the
//! caller go.
//!
//! A stream of its own, beside the call's, so that the call's vocabulary (and every
//! projection folding it) stays as it is, and so that one call may run several flows (the
//! greeting menu, later a post-call survey): each run starts with `flow_started`. The
//! node names are the flow file's, so containment and drop-off per node are plain SQL
//! over the `events` table (`type = 'node_entered'`, the last node before an
//! `abandoned` exit).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agent::SkillName;
use crate::id::{CallId, QueueId};
use crate::stream::StreamName;

impl CallId {
    /// The stream of this call's IVR steps, `ivr-<call id>`.
    pub fn ivr_stream(&self) -> StreamName {
        StreamName::from_parts_unchecked("ivr", &self.to_string())
    }
}

/// What kind of node a flow entered: the `type` of its table in the flow file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Menu,
    Collect,
    Lookup,
    Condition,
    Set,
    Play,
    Transfer,
    Voicemail,
    Callback,
    HangUp,
}

impl NodeKind {
    /// The name flow files and events use.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Menu => "menu",
            NodeKind::Collect => "collect",
            NodeKind::Lookup => "lookup",
            NodeKind::Condition => "condition",
            NodeKind::Set => "set",
            NodeKind::Play => "play",
            NodeKind::Transfer => "transfer",
            NodeKind::Voicemail => "voicemail",
            NodeKind::Callback => "callback",
            NodeKind::HangUp => "hang_up",
        }
    }

    pub const ALL: [NodeKind; 10] = [
        NodeKind::Menu,
        NodeKind::Collect,
        NodeKind::Lookup,
        NodeKind::Condition,
        NodeKind::Set,
        NodeKind::Play,
        NodeKind::Transfer,
        NodeKind::Voicemail,
        NodeKind::Callback,
        NodeKind::HangUp,
    ];

    /// Whether the flow stops at this node until something from outside arrives (the
    /// caller's keys, a timeout, a lookup's answer).
    pub fn waits(self) -> bool {
        matches!(self, NodeKind::Menu | NodeKind::Collect | NodeKind::Lookup)
    }
}

/// Why keyed digits were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidReason {
    /// A menu has no option for these keys.
    NoSuchOption,
    TooShort,
    TooLong,
    /// Not of the node's pattern (or not digits at all).
    Pattern,
    /// The check digit is wrong (a mistyped account number).
    Checksum,
}

/// How a flow let the caller go: the next step of the call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlowExit {
    /// To an agent: queue in `queue` with this priority and these skills.
    Queue {
        queue: QueueId,
        priority: u8,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skills: Vec<SkillName>,
    },
    /// To `queue`'s voicemail box, or to the box of the agent with the login `agent`.
    Voicemail {
        queue: QueueId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
    },
    /// The caller asked `queue` to call back `number`.
    Callback { queue: QueueId, number: String },
    /// The flow ended the call: served by self-service (containment).
    HangUp,
    /// The caller hung up in the flow.
    Abandoned,
}

/// One step of one flow run. The first is `flow_started`, the last `flow_exited`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IvrEvent {
    /// The call entered flow `flow` (its `[flow] name`) with these variables (the caller's
    /// number, the number dialled, the customer if known).
    FlowStarted {
        flow: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        variables: BTreeMap<String, String>,
    },
    /// The flow moved to `node`.
    NodeEntered { node: String, kind: NodeKind },
    /// The caller heard `prompt` (its variables filled in).
    PromptPlayed { node: String, prompt: String },
    /// The caller keyed `digits`, accepted by the node. A secret node (a PIN) keeps the
    /// digits out of the log: only their number is written.
    DigitsCollected {
        node: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        digits: Option<String>,
        length: u32,
    },
    /// The caller keyed something the node refuses; `attempt` counts from 1.
    InvalidInput {
        node: String,
        attempt: u32,
        reason: InvalidReason,
    },
    /// The caller keyed nothing in time; `attempt` counts from 1.
    InputTimedOut { node: String, attempt: u32 },
    /// A condition node decided: `result` took the `then` branch, otherwise `else`.
    ConditionChecked { node: String, result: bool },
    /// A data lookup through plug-in `source` answered.
    LookupDone { node: String, source: String },
    /// A data lookup failed or timed out; the flow goes to the node's fallback.
    LookupFailed {
        node: String,
        source: String,
        reason: String,
    },
    /// Variable `name` now holds `value`.
    VariableSet { name: String, value: String },
    /// The flow let the caller go from `node`.
    FlowExited { node: String, exit: FlowExit },
}

impl IvrEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_has_a_stable_wire_form() {
        let sales = QueueId::new("sales").expect("a valid queue id");
        let cases = [
            (
                FlowExit::Queue {
                    queue: sales.clone(),
                    priority: 0,
                    skills: vec![],
                },
                r#"{"kind":"queue","queue":"sales","priority":0}"#,
            ),
            (
                FlowExit::Voicemail {
                    queue: sales.clone(),
                    agent: None,
                },
                r#"{"kind":"voicemail","queue":"sales"}"#,
            ),
            (
                FlowExit::Voicemail {
                    queue: sales.clone(),
                    agent: Some("alice".into()),
                },
                r#"{"kind":"voicemail","queue":"sales","agent":"alice"}"#,
            ),
            (
                FlowExit::Callback {
                    queue: sales,
                    number: "+15555550123".into(),
                },
                r#"{"kind":"callback","queue":"sales","number":"+15555550123"}"#,
            ),
            (FlowExit::HangUp, r#"{"kind":"hang_up"}"#),
            (FlowExit::Abandoned, r#"{"kind":"abandoned"}"#),
        ];
        for (exit, json) in cases {
            assert_eq!(serde_json::to_string(&exit).expect("encodes"), json);
            assert_eq!(
                serde_json::from_str::<FlowExit>(json).expect("decodes"),
                exit
            );
        }
        let names: Vec<&str> = NodeKind::ALL.iter().map(|k| k.name()).collect();
        for (kind, name) in NodeKind::ALL.iter().zip(names) {
            assert_eq!(
                serde_json::to_string(kind).expect("encodes"),
                format!("\"{name}\"")
            );
        }
    }
}
