//! Typed ids. Entities born at run time (calls, agents, campaigns) get UUID v7 ids, which
//! sort by creation time; entities an administrator names in configuration (queues) get a
//! validated slug, so that `queue-sales` reads well in the log and in SQL.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;

use serde::de::Visitor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
            /// A fresh, time-ordered (v7) id; on a thread running [`SeededIds`], the next
            /// id of its seeded sequence instead.
            pub fn generate() -> Self {
                Self(next_uuid())
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
                let mut id = [0; uuid::fmt::Hyphenated::LENGTH];
                StreamName::from_parts_unchecked($category, self.0.hyphenated().encode_lower(&mut id))
            }
        }
    };
}

thread_local! {
    /// The seeded sequence of this thread, if a [`SeededIds`] is installed: (seed, next index).
    static SEEDED: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
    /// This thread's last v7 id: its millisecond and its 74 bits after the time.
    static LAST_V7: Cell<(u64, u128)> = const { Cell::new((0, 0)) };
}

/// The id behind every `generate()`: random and time-ordered (v7), unless this thread runs
/// a seeded sequence.
fn next_uuid() -> Uuid {
    SEEDED.with(|seeded| match seeded.get() {
        None => random_v7(),
        Some((seed, n)) => {
            seeded.set(Some((seed, n.wrapping_add(1))));
            seeded_uuid(seed, n)
        }
    })
}

/// A v7 id (RFC 9562): the Unix time in milliseconds, then 74 bits that are random for
/// the first id of a millisecond on this thread and grow by a random step for the next
/// ones, so that a thread's ids are strictly increasing (ids of several threads within one
/// millisecond are not ordered among themselves). The bits come from the thread's
/// generator, seeded by the OS: `Uuid::now_v7` asked the OS for them on every id, a system
/// call that was a twentieth of an appender's CPU time.
fn random_v7() -> Uuid {
    const BITS: u32 = 74;
    const MASK: u128 = (1 << BITS) - 1;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let (last_ms, last_bits) = LAST_V7.get();
    let fresh = || rand::random::<u128>() & MASK;
    let (ms, bits) = if now > last_ms {
        (now, fresh())
    } else {
        // Within the last id's millisecond (or the clock stepped back): after it.
        let step = 1 + u128::from(rand::random::<u32>());
        match last_bits.checked_add(step).filter(|next| *next <= MASK) {
            Some(next) => (last_ms, next),
            None => (last_ms + 1, fresh()),
        }
    };
    LAST_V7.set((ms, bits));
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    // Version 7, then 12 bits; variant 0b10, then 62 bits.
    bytes[6] = 0x70 | ((bits >> 70) & 0x0f) as u8;
    bytes[7] = (bits >> 62) as u8;
    bytes[8] = 0x80 | ((bits >> 56) & 0x3f) as u8;
    bytes[9..].copy_from_slice(&(bits as u64).to_be_bytes()[1..]);
    Uuid::from_bytes(bytes)
}

/// The `n`-th id of the sequence of `seed`: `n` in the first 48 bits, then SplitMix64
/// outputs of the seed and `n`, marked as a custom (version 8, RFC 9562) UUID so that no one
/// mistakes it for a random or time-ordered one.
///
/// Why `n` first: the ids of a sequence increase, as v7 ids do in production, so streams
/// named by them (an outbound call's, a registered agent's) grow at the end of the log's
/// index of stream names, as the simulated network's call ids do (`hotline_media::sim`,
/// where random ids made a million-call run a third slower). Alone, this change did not
/// measurably speed such a run: its inbound calls are named by the network.
fn seeded_uuid(seed: u64, n: u64) -> Uuid {
    const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
    let x = seed.wrapping_add(n.wrapping_mul(2).wrapping_add(1).wrapping_mul(GOLDEN));
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&n.to_be_bytes()[2..]);
    bytes[6..14].copy_from_slice(&splitmix64(x).to_be_bytes());
    bytes[14..].copy_from_slice(&splitmix64(x.wrapping_add(GOLDEN)).to_be_bytes()[..2]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Makes every id generated on this thread (`MessageId::generate`, `CallId::generate`…)
/// follow a sequence fixed by `seed`, until the guard is dropped.
///
/// Why: a simulation must write the same log, byte for byte, for the same seed, and event
/// ids are part of each event's hash. A simulation runs its actors on one thread (a
/// current-thread runtime), so a thread-local sequence is seen by all of them and by no
/// one else: production threads keep random v7 ids at the cost of one thread-local read.
/// The sequence depends on the order of the `generate` calls, which a deterministic
/// schedule fixes.
#[derive(Debug)]
pub struct SeededIds {
    previous: Option<(u64, u64)>,
    /// The guard restores this thread's state: it must not move to another thread.
    _not_send: PhantomData<*const ()>,
}

impl SeededIds {
    pub fn install(seed: u64) -> SeededIds {
        let previous = SEEDED.with(|seeded| seeded.replace(Some((seed, 0))));
        SeededIds {
            previous,
            _not_send: PhantomData,
        }
    }
}

impl Drop for SeededIds {
    fn drop(&mut self) {
        SEEDED.with(|seeded| seeded.set(self.previous));
    }
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
///
/// Shared text: the read models copy a call's queue into every visit, period key and row
/// they keep of it, several times per event in a rebuild; a copy is a count, not a string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId(Arc<str>);

impl QueueId {
    pub fn new(name: &str) -> Result<Self, IdError> {
        if is_slug(name) {
            Ok(Self(name.into()))
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

impl Serialize for QueueId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for QueueId {
    /// Checks the name where it lies in the input, then copies it once.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = QueueId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a queue name")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<QueueId, E> {
                QueueId::new(s).map_err(E::custom)
            }
        }
        d.deserialize_str(Name)
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
    fn a_queue_name_is_read_escaped_or_not_and_checked() {
        let plain: QueueId = serde_json::from_str(r#""sales""#).unwrap();
        let escaped: QueueId = serde_json::from_str(r#""sa\u006ces""#).unwrap();
        assert_eq!((plain.as_str(), &escaped), ("sales", &plain));
        assert_eq!(serde_json::to_string(&plain).unwrap(), r#""sales""#);
        let err = serde_json::from_str::<QueueId>(r#""Sales Team""#).unwrap_err();
        assert!(err.to_string().contains("not a valid queue name"), "{err}");
        assert!(serde_json::from_str::<QueueId>("7").is_err());
    }

    #[test]
    fn seeded_ids_repeat_for_a_seed_and_stay_on_their_thread() {
        let first: Vec<MessageId> = {
            let _seeded = SeededIds::install(42);
            (0..50).map(|_| MessageId::generate()).collect()
        };
        let again: Vec<MessageId> = {
            let _seeded = SeededIds::install(42);
            let other = std::thread::spawn(MessageId::generate).join().unwrap();
            assert_eq!(
                other.as_uuid().get_version_num(),
                7,
                "other threads stay random"
            );
            (0..50).map(|_| MessageId::generate()).collect()
        };
        assert_eq!(first, again);
        assert!(
            first.windows(2).all(|w| w[0] < w[1]),
            "a sequence's ids increase: {first:?}"
        );
        assert_eq!(first[0].as_uuid().get_version_num(), 8);
        let _other_seed = SeededIds::install(43);
        assert_ne!(MessageId::generate(), first[0]);
        drop(_other_seed);
        assert_eq!(MessageId::generate().as_uuid().get_version_num(), 7);
    }

    #[test]
    fn a_threads_v7_ids_increase_strictly_and_carry_the_time() {
        let ms = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
        };
        let before = ms();
        let ids: Vec<Uuid> = (0..20_000).map(|_| random_v7()).collect();
        let after = ms();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
        }
        for id in [ids[0], ids[ids.len() - 1]] {
            assert_eq!(id.get_version_num(), 7);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
            let (secs, nanos) = id.get_timestamp().unwrap().to_unix();
            let at = secs * 1000 + u64::from(nanos) / 1_000_000;
            // A burst may run a few milliseconds ahead of the clock, never behind it.
            assert!(
                at >= before && at <= after + 5,
                "{before} <= {at} <= {after}"
            );
        }
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }

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
