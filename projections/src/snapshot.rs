//! Snapshots of the read models: a projection's state in a compact binary form (postcard),
//! stamped with the layout it was written in and the metric rules it was folded under.
//!
//! A snapshot is a cache, so anything doubtful about one is answered by discarding it and
//! rebuilding from the log, never by guessing: an older layout ([`Stored::SCHEMA`]), other
//! rules (a changed service-level threshold changes every past "answered within"), bytes
//! that do not decode, or a state whose position is not the stored one.

use hotline_infra::StoredSnapshot;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::projection::Projection;
use crate::rules::MetricRules;
use crate::{AgentStates, Boards, Calls, QueueIntervals};

/// A projection whose state can be saved and restored.
pub trait Stored: Projection + Serialize + DeserializeOwned {
    /// The name it is stored under (and known by to `hotline replay --projection`).
    const NAME: &'static str;
    /// The layout of the saved state. **Bump it with any change to the fields of the
    /// projection or of anything it holds**: postcard is not self-describing, so a snapshot
    /// of another layout could decode into a wrong state instead of failing.
    const SCHEMA: u32;
    /// Whether the fold depends on [`MetricRules`]; if so, a snapshot folded under other
    /// rules is rebuilt.
    const USES_RULES: bool;
}

impl Stored for Calls {
    const NAME: &'static str = "calls";
    const SCHEMA: u32 = 1;
    const USES_RULES: bool = true;
}

impl Stored for crate::CampaignAttempts {
    const NAME: &'static str = "campaign_attempts";
    // 2: campaigns' names, ceilings and status. 3: each attempt judged against the
    // calling hours and the do-not-call list.
    const SCHEMA: u32 = 3;
    const USES_RULES: bool = false;
}

impl Stored for crate::Recordings {
    const NAME: &'static str = "recordings";
    const SCHEMA: u32 = 1;
    const USES_RULES: bool = false;
}

impl Stored for crate::Surveys {
    const NAME: &'static str = "surveys";
    const SCHEMA: u32 = 1;
    const USES_RULES: bool = false;
}

impl Stored for crate::Voicemails {
    const NAME: &'static str = "voicemails";
    const SCHEMA: u32 = 1;
    const USES_RULES: bool = false;
}

impl Stored for AgentStates {
    const NAME: &'static str = "agent_states";
    const SCHEMA: u32 = 1;
    const USES_RULES: bool = false;
}

impl Stored for QueueIntervals {
    const NAME: &'static str = "queue_intervals";
    const SCHEMA: u32 = 1;
    const USES_RULES: bool = true;
}

impl Stored for Boards {
    const NAME: &'static str = "boards";
    // 2: the latest day kept with its start (`Today`).
    const SCHEMA: u32 = 2;
    const USES_RULES: bool = true;
}

/// Why a stored snapshot was not used. The caller starts the projection empty and
/// rebuilds it from the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Discarded {
    #[error("it has layout {found}, this build writes layout {current}")]
    OtherSchema { found: u32, current: u32 },
    #[error("it was folded under other metric rules (thresholds, short abandon or time zone)")]
    OtherRules,
    #[error("it cannot be decoded: {0}")]
    Undecodable(String),
    #[error("it claims position {stored}, but its state is at {state}")]
    WrongPosition { stored: u64, state: u64 },
}

/// What a snapshot's bytes hold: the rules first, so that a change of rules is told apart
/// from damage.
#[derive(Serialize)]
struct Envelope<'a, P> {
    rules: Option<&'a MetricRules>,
    state: &'a P,
}

#[derive(serde::Deserialize)]
struct OwnedEnvelope<P> {
    rules: Option<MetricRules>,
    state: P,
}

/// The bytes of `projection`'s state, folded under `rules`.
pub fn encode<P: Stored>(projection: &P, rules: &MetricRules) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_stdvec(&Envelope {
        rules: P::USES_RULES.then_some(rules),
        state: projection,
    })
}

/// The projection saved in `stored`, if it is usable under `rules`.
pub fn decode<P: Stored>(stored: &StoredSnapshot, rules: &MetricRules) -> Result<P, Discarded> {
    if stored.schema != P::SCHEMA {
        return Err(Discarded::OtherSchema {
            found: stored.schema,
            current: P::SCHEMA,
        });
    }
    let envelope: OwnedEnvelope<P> =
        postcard::from_bytes(&stored.bytes).map_err(|e| Discarded::Undecodable(e.to_string()))?;
    if P::USES_RULES && envelope.rules.as_ref() != Some(rules) {
        return Err(Discarded::OtherRules);
    }
    if envelope.state.position() != stored.position {
        return Err(Discarded::WrongPosition {
            stored: stored.position,
            state: envelope.state.position(),
        });
    }
    Ok(envelope.state)
}

/// The rules the snapshots in `store` were folded under (the boards', which every run
/// saves), if there are any: what a command without a center file (`hotline sql`,
/// `hotline replay`) folds under, so that it neither throws away the snapshots the center
/// saved under its own rules nor reports by the sample center's thresholds. Read only
/// from a snapshot of the current layout, whose rules this build decodes alike.
pub fn stored_rules(store: &hotline_infra::SnapshotStore) -> Option<MetricRules> {
    let stored = store.load(Boards::NAME).ok()??;
    if stored.schema != Boards::SCHEMA {
        return None;
    }
    // The rules come first in the envelope: the state after them is left unread.
    let (rules, _) = postcard::take_from_bytes::<Option<MetricRules>>(&stored.bytes).ok()?;
    rules
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::history::{morning, q};

    fn rules() -> MetricRules {
        MetricRules::default()
            .with_threshold(q("support"), 30_000)
            .with_time_zone(chrono_tz::Europe::Paris)
    }

    fn stored<P: Stored>(p: &P, rules: &MetricRules) -> StoredSnapshot {
        StoredSnapshot {
            position: p.position(),
            schema: P::SCHEMA,
            bytes: encode(p, rules).unwrap(),
        }
    }

    #[track_caller]
    fn round_trips<P: Stored + PartialEq + std::fmt::Debug>(mut p: P) {
        let h = morning();
        let half = h.len() / 2;
        h.fold_range(&mut p, 0..half);
        let back: P = decode(&stored(&p, &rules()), &rules()).unwrap();
        assert_eq!(back, p, "{} halfway", P::NAME);
        h.fold(&mut p);
        let back: P = decode(&stored(&p, &rules()), &rules()).unwrap();
        assert_eq!(back, p, "{} at the end", P::NAME);
    }

    #[test]
    fn every_read_model_decodes_to_the_state_it_was_saved_from() {
        round_trips(Calls::new(rules()));
        round_trips(AgentStates::new());
        round_trips(QueueIntervals::new(rules()));
        round_trips(Boards::new(rules()));
    }

    #[test]
    fn the_rules_a_store_was_folded_under_are_read_from_its_boards() {
        let dir = tempfile::tempdir().unwrap();
        let store = hotline_infra::SnapshotStore::open(dir.path()).unwrap();
        assert_eq!(stored_rules(&store), None, "an empty store has none");
        let mut boards = Boards::new(rules());
        morning().fold(&mut boards);
        let s = stored(&boards, &rules());
        store
            .save(Boards::NAME, s.position, s.schema, &s.bytes)
            .unwrap();
        assert_eq!(stored_rules(&store), Some(rules()));
        assert_ne!(rules(), MetricRules::default());
        // Boards of an older layout are not read for their rules.
        store
            .save(Boards::NAME, s.position, Boards::SCHEMA - 1, &s.bytes)
            .unwrap();
        assert_eq!(stored_rules(&store), None);
    }

    #[test]
    fn a_snapshot_of_another_layout_is_discarded_unread() {
        let mut calls = Calls::new(rules());
        morning().fold(&mut calls);
        let mut s = stored(&calls, &rules());
        s.schema = Calls::SCHEMA - 1;
        assert_eq!(
            decode::<Calls>(&s, &rules()),
            Err(Discarded::OtherSchema {
                found: Calls::SCHEMA - 1,
                current: Calls::SCHEMA
            })
        );
    }

    #[test]
    fn a_snapshot_folded_under_other_rules_is_discarded() {
        let mut boards = Boards::new(rules());
        morning().fold(&mut boards);
        let s = stored(&boards, &rules());
        let stricter = rules().with_threshold(q("sales"), 10_000);
        assert_eq!(decode::<Boards>(&s, &stricter), Err(Discarded::OtherRules));
        // agent_states does not depend on the rules.
        let mut states = AgentStates::new();
        morning().fold(&mut states);
        let back: AgentStates = decode(&stored(&states, &rules()), &stricter).unwrap();
        assert_eq!(back, states);
    }

    #[test]
    fn damaged_or_mislabelled_bytes_are_discarded_not_misread() {
        let mut intervals = QueueIntervals::new(rules());
        morning().fold(&mut intervals);
        let mut s = stored(&intervals, &rules());
        s.bytes.truncate(s.bytes.len() / 2);
        assert!(matches!(
            decode::<QueueIntervals>(&s, &rules()),
            Err(Discarded::Undecodable(_))
        ));
        let mut s = stored(&intervals, &rules());
        s.position += 1;
        assert!(matches!(
            decode::<QueueIntervals>(&s, &rules()),
            Err(Discarded::WrongPosition { .. })
        ));
        let garbage = StoredSnapshot {
            position: 3,
            schema: QueueIntervals::SCHEMA,
            bytes: vec![0xff; 40],
        };
        assert!(decode::<QueueIntervals>(&garbage, &rules()).is_err());
    }
}
