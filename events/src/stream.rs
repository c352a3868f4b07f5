//! Stream names: `<category>-<id>`, one stream per entity, written by exactly one actor.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid stream name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a valid stream name: expected `<category>-<id>` such as `call-0190c3d2-7b3a-7cc0-8000-000000000001` (lowercase category, at most 200 characters, no spaces)"
)]
pub struct StreamError(pub String);

/// The name of one entity's stream, such as `call-0190c3d2-…` or `queue-sales`.
/// The category (before the first `-`) says which event enum the stream holds.
///
/// Shared text: every event read from a log carries its stream's name, and a scan of
/// millions of events would otherwise copy the name once each.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamName(Arc<str>);

impl StreamName {
    pub fn parse(s: &str) -> Result<Self, StreamError> {
        let valid = match s.split_once('-') {
            Some((category, id)) => {
                crate::id::is_slug(category)
                    && !category.contains('-')
                    && !id.is_empty()
                    && s.len() <= 200
                    && s.chars().all(|c| c.is_ascii_graphic())
            }
            None => false,
        };
        if valid {
            Ok(Self(s.into()))
        } else {
            Err(StreamError(s.to_owned()))
        }
    }

    /// For ids whose text is known to be valid (UUIDs, slugs). Built on the stack when
    /// short (an entity's always is), so the name costs one allocation, not three: actors
    /// name their stream at every append (about 3 % of a simulation's thread in a profile).
    pub(crate) fn from_parts_unchecked(category: &str, id: &str) -> Self {
        let len = category.len() + 1 + id.len();
        let mut name = [0u8; 128];
        if let Some(out) = name.get_mut(..len) {
            let (head, rest) = out.split_at_mut(category.len());
            head.copy_from_slice(category.as_bytes());
            rest[0] = b'-';
            rest[1..].copy_from_slice(id.as_bytes());
            if let Ok(text) = std::str::from_utf8(out) {
                return Self(text.into());
            }
        }
        Self(format!("{category}-{id}").into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `call` for `call-0190…`.
    pub fn category(&self) -> &str {
        self.dash().map_or(&self.0, |i| &self.0[..i])
    }

    /// `0190…` for `call-0190…`.
    pub fn id(&self) -> &str {
        self.dash().map_or("", |i| &self.0[i + 1..])
    }

    /// The id as a UUID, for the streams of entities (`call-<uuid>`, `agent-<uuid>`…);
    /// `None` for a stream named otherwise (`queue-sales`).
    pub fn entity(&self) -> Option<uuid::Uuid> {
        uuid::Uuid::parse_str(self.id()).ok()
    }

    /// Where the category ends. A plain loop over the few bytes of a category: `split_once`
    /// searches with `memchr`, whose setup for a long haystack cost more than the search
    /// (3.5 % of a rebuild's folding thread, which asks every event's category and id).
    fn dash(&self) -> Option<usize> {
        self.0.bytes().position(|b| b == b'-')
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamName({})", self.0)
    }
}

impl std::str::FromStr for StreamName {
    type Err = StreamError;
    fn from_str(s: &str) -> Result<Self, StreamError> {
        Self::parse(s)
    }
}

impl Serialize for StreamName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for StreamName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_and_id_split_at_the_first_dash() {
        let s = StreamName::parse("call-0190c3d2-7b3a-7cc0-8000-000000000001").unwrap();
        assert_eq!(s.category(), "call");
        assert_eq!(s.id(), "0190c3d2-7b3a-7cc0-8000-000000000001");
    }

    /// Names built from parts (on the stack, or past its room) read as the parsed ones.
    #[test]
    fn names_from_parts_equal_parsed_ones() {
        let call = crate::CallId::generate();
        let name = format!("call-{call}");
        assert_eq!(call.stream(), StreamName::parse(&name).unwrap());
        let long = "q".repeat(150);
        let queue = StreamName::from_parts_unchecked("queue", &long);
        assert_eq!(queue.as_str(), format!("queue-{long}"));
        assert_eq!((queue.category(), queue.id()), ("queue", long.as_str()));
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in [
            "",
            "call",
            "call-",
            "-x",
            "Call-1",
            "call-a b",
            "call-\u{e9}",
        ] {
            assert!(StreamName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
