//! [`FastMap`], the hash map of the read models' state.
//!
//! The models key their maps by call, agent and queue ids, and a rebuild looks one up
//! several times per event: with the standard library's SipHash, hashing was 6.5 % of a
//! rebuild's folding thread in perf. foldhash is several times faster on such short keys
//! and still seeded per process, so a log's ids cannot be chosen to collide on purpose
//! from outside. It is the crate hashbrown (the standard map's table) already builds, so
//! it costs no new dependency to compile; no-std (default features off) as hashbrown
//! builds it, so that no other crate is rebuilt with other features.

/// A `HashMap` with foldhash's fast, per-process seeded hasher. Make one with
/// `FastMap::default()`.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
