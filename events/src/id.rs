//! Typed ids. Entities born at run time (calls, agents, campaigns) get UUID v7 ids, which
//! sort by creation time; entities an administrator names in configuration (queues) get a
//! validated slug, so that `queue-sales` reads well in the log and in SQL.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::stream::StreamName;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error(
        "`{value}` is not a valid {kind} id: expected a UUID such as 0190c3d2-7b3a-7cc0-8000-000000000001"
    )]
    NotUuid { kind: &'static str, value: String },
    #[error(
        "`{value}` is not a valid {kind} name: use 1 to 64 lowercase letters, digits, `_` or `-`, starting with a letter"
    )]
    BadSlug { kind: &'static str, value: String },
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $category:tt) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered (v7) id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| IdError::NotUuid { kind: $kind, value: s.to_owned() })
            }
        }

        uuid_id!(@stream $name, $category);
    };
    (@stream $name:ident, None) => {};
    (@stream $name:ident, $category:literal) => {
        impl $name {
            /// The name of the stream this entity writes.
            pub fn stream(&self) -> StreamName {
                StreamName::from_parts_unchecked($category, &self.to_string())
            }
        }
    };
}

uuid_id!(
    /// One call (or other contact), from arrival to end. Stream `call-<id>`.
    CallId, "call", "call"
);
uuid_id!(
    /// One agent. Stream `agent-<id>`.
    AgentId, "agent", "agent"
);
uuid_id!(
    /// One outbound campaign. Stream `campaign-<id>`.
    CampaignId, "campaign", "campaign"
);
uuid_id!(
    /// One lead of a campaign's list.
    LeadId, "lead", None
);
uuid_id!(
    /// One customer of the CRM. Stream `customer-<id>`.
    CustomerId, "customer", "customer"
);
uuid_id!(
    /// The id of one message: an event, or the command or request that caused events.
    /// Correlation and causation ids are message ids.
    MessageId, "message", None
);

/// A queue, named by its administrator (`sales`, `support_tier2`). Stream `queue-<name>`,
/// written by the router.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct QueueId(String);

impl QueueId {
    pub fn new(name: &str) -> Result<Self, IdError> {
        if is_slug(name) {
            Ok(Self(name.to_owned()))
        } else {
            Err(IdError::BadSlug {
                kind: "queue",
                value: name.to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn stream(&self) -> StreamName {
        StreamName::from_parts_unchecked("queue", &self.0)
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QueueId({})", self.0)
    }
}

impl FromStr for QueueId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::new(s)
    }
}

impl<'de> Deserialize<'de> for QueueId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A name an administrator gives: 1 to 64 of `[a-z0-9_-]`, starting with a letter.
pub(crate) fn is_slug(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_ids_are_time_ordered_and_round_trip_through_text() {
        let a = CallId::generate();
        let b = CallId::generate();
        assert!(a < b, "v7 ids generated later sort later");
        assert_eq!(a.to_string().parse::<CallId>(), Ok(a));
        assert_eq!(a.stream().as_str(), format!("call-{a}"));
    }

    #[test]
    fn a_bad_id_says_what_it_expected() {
        let err = "nope".parse::<AgentId>().unwrap_err();
        assert!(err.to_string().contains("not a valid agent id"), "{err}");
    }

    #[test]
    fn queue_names_are_slugs() {
        assert!(QueueId::new("sales").is_ok());
        assert!(QueueId::new("support_tier-2").is_ok());
        for bad in ["", "Sales", "2nd", "a b", "x".repeat(65).as_str()] {
            assert!(QueueId::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(serde_json::from_str::<QueueId>("\"Bad Name\"").is_err());
    }
}
