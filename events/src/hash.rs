//! The tamper-evident chain. Each event's hash is SHA-256 over its predecessor's hash and
//! its own canonical bytes, so altering, removing or reordering any event breaks every
//! hash after it.
//!
//! The canonical bytes are length-prefixed, big-endian, and independent of JSON
//! formatting, so an auditor can recompute them in any language:
//!
//! ```text
//! "hotline-event-v1" 0x00
//! prev_hash[32]
//! position u64 | len u32, stream | version u64 | len u32, type | schema u16
//! occurred_at_ms i64 | event_id[16]
//! correlation: 0x00, or 0x01 id[16] | causation: 0x00, or 0x01 id[16]
//! len u32, data (the JSON text of the `data` object, as stored)
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::id::MessageId;
use crate::timestamp::Timestamp;

/// A SHA-256 digest, written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The predecessor of the first event of a chain.
    pub const ZERO: Hash = Hash([0; 32]);

    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(bytes).ok().map(Hash)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", hex::encode(&self.0[..6]))
    }
}

impl FromStr for Hash {
    type Err = hex::FromHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)?;
        Ok(Hash(out))
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The fields of one event that its hash covers.
#[derive(Debug, Clone, Copy)]
pub struct Chained<'a> {
    pub position: u64,
    pub stream: &'a str,
    pub version: u64,
    pub event_type: &'a str,
    pub schema: u16,
    pub occurred_at: Timestamp,
    pub event_id: MessageId,
    pub correlation_id: Option<MessageId>,
    pub causation_id: Option<MessageId>,
    pub data: &'a str,
}

impl Chained<'_> {
    /// The hash of this event, following `prev`.
    pub fn hash(&self, prev: &Hash) -> Hash {
        let mut h = Sha256::new();
        h.update(b"hotline-event-v1\0");
        h.update(prev.0);
        h.update(self.position.to_be_bytes());
        put_str(&mut h, self.stream);
        h.update(self.version.to_be_bytes());
        put_str(&mut h, self.event_type);
        h.update(self.schema.to_be_bytes());
        h.update(self.occurred_at.as_millis().to_be_bytes());
        h.update(self.event_id.as_uuid().as_bytes());
        put_id(&mut h, self.correlation_id);
        put_id(&mut h, self.causation_id);
        put_str(&mut h, self.data);
        Hash(h.finalize().into())
    }
}

fn put_str(h: &mut Sha256, s: &str) {
    // Lengths beyond u32 cannot reach the log: appends are far smaller.
    h.update(u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
    h.update(s.as_bytes());
}

fn put_id(h: &mut Sha256, id: Option<MessageId>) {
    match id {
        Some(id) => {
            h.update([1]);
            h.update(id.as_uuid().as_bytes());
        }
        None => h.update([0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn sample(data: &str) -> Chained<'_> {
        Chained {
            position: 1,
            stream: "agent-0190c3d2-7b3a-7cc0-8000-000000000001",
            version: 1,
            event_type: "ready",
            schema: 1,
            occurred_at: Timestamp::from_millis(1_795_339_800_250),
            event_id: MessageId::from_uuid(Uuid::from_u128(7)),
            correlation_id: None,
            causation_id: None,
            data,
        }
    }

    #[test]
    fn the_hash_is_pinned() {
        // Pinned so that a change to the canonical bytes cannot slip in unnoticed:
        // every existing log would fail verification.
        let h = sample("{}").hash(&Hash::ZERO);
        assert_eq!(
            h.to_string(),
            include_str!("../tests/golden/hash_of_sample.txt").trim()
        );
    }

    #[test]
    fn every_covered_field_changes_the_hash() {
        let base = sample("{}").hash(&Hash::ZERO);
        assert_ne!(sample("{ }").hash(&Hash::ZERO), base);
        assert_ne!(sample("{}").hash(&Hash([1; 32])), base);
        assert_ne!(
            Chained {
                position: 2,
                ..sample("{}")
            }
            .hash(&Hash::ZERO),
            base
        );
        assert_ne!(
            Chained {
                version: 2,
                ..sample("{}")
            }
            .hash(&Hash::ZERO),
            base
        );
        assert_ne!(
            Chained {
                schema: 2,
                ..sample("{}")
            }
            .hash(&Hash::ZERO),
            base
        );
        assert_ne!(
            Chained {
                event_type: "readz",
                ..sample("{}")
            }
            .hash(&Hash::ZERO),
            base
        );
        assert_ne!(
            Chained {
                causation_id: Some(MessageId::from_uuid(Uuid::nil())),
                ..sample("{}")
            }
            .hash(&Hash::ZERO),
            base
        );
    }

    #[test]
    fn hashes_round_trip_as_hex() {
        let h = sample("{}").hash(&Hash::ZERO);
        assert_eq!(h.to_string().parse::<Hash>().unwrap(), h);
        assert!("xyz".parse::<Hash>().is_err());
    }
}
