//! The Kafka log's local index, a state store rebuilt from the topic: which records make
//! the log, in what order, and where each stream's events are.
//!
//! Records arrive in any order across partitions (acknowledgements, or a consumer reading
//! partitions side by side) and the topic may hold records that are not part of the log:
//! the unacknowledged tail of a writer killed in the middle of an append (a prefix of its
//! batch, or whole appends after a lost one). So records are *offered* as candidates, and
//! the log grows only by whole appends that follow on: an append is accepted when every
//! record from its first position to its `append_end` is there, in one partition, each
//! one's `log_prev` header naming the hash of the accepted event just before it in the
//! log. Whatever never follows on stays a candidate and is never read. Since a writer
//! answers an append only once it is accepted here, nothing acknowledged is ever left out.
//!
//! `log_prev` is the writer's claim of where its record goes, not the hash chain: each
//! event's `prev_hash` (which its hash covers) is the hash of the event before it *in its
//! partition*, checked by `verify` ([`super::chains`]), not here, so that an altered link
//! is reported rather than silently dropped. Per-partition chains alone could not tell
//! the log's records from a dead writer's: its append after a lost one still links onto
//! its partition's chain when no other append went to that partition in between.
//!
//! Pure: no I/O; the backend feeds it.

use std::collections::{BTreeMap, HashMap};

use hotline_events::{Hash, Recorded, StreamName};

/// A record read from (or acknowledged by) the topic.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub record: Recorded,
    /// The hash of the event before this one in the log (position - 1), as its writer saw
    /// it: which history the record continues.
    pub log_prev: Hash,
    /// The last position of the append this record belongs to.
    pub append_end: u64,
    pub partition: i32,
    pub offset: i64,
}

#[derive(Debug, Default)]
pub(crate) struct Index {
    /// The log: position `p` is `events[p - 1]`.
    events: Vec<Recorded>,
    /// Where each event is in the topic, by position.
    locations: Vec<(i32, i64)>,
    /// Each stream's positions: version `v` is at `streams[s][v - 1]`.
    streams: HashMap<StreamName, Vec<u64>>,
    /// The hash of each partition's last event: what the partition's next event chains on.
    partition_heads: HashMap<i32, Hash>,
    /// Records offered beyond the head, by position.
    pending: BTreeMap<u64, Vec<Candidate>>,
}

impl Index {
    pub fn head(&self) -> u64 {
        self.events.len() as u64
    }

    pub fn last_hash(&self) -> Hash {
        self.events.last().map_or(Hash::ZERO, |r| r.hash)
    }

    /// The hash of each partition's last event (a partition not listed has none yet: its
    /// first event chains on [`Hash::ZERO`], as the first event of a log does).
    pub fn partition_heads(&self) -> HashMap<i32, Hash> {
        self.partition_heads.clone()
    }

    /// The log's events, by position, and where each is in the topic.
    pub fn log(&self) -> (&[Recorded], &[(i32, i64)]) {
        (&self.events, &self.locations)
    }

    /// Each stream's version.
    pub fn versions(&self) -> HashMap<StreamName, u64> {
        self.streams
            .iter()
            .map(|(s, p)| (s.clone(), p.len() as u64))
            .collect()
    }

    /// Where the event at `position` is in the topic (partition, offset).
    pub fn location(&self, position: u64) -> Option<(i32, i64)> {
        let at = usize::try_from(position.checked_sub(1)?).ok()?;
        self.locations.get(at).copied()
    }

    /// Records beyond the head that no accepted append leads to.
    pub fn stray(&self) -> usize {
        self.pending.values().map(Vec::len).sum()
    }

    /// Takes a record in; one at or behind the head is already decided and ignored.
    pub fn offer(&mut self, candidate: Candidate) {
        if candidate.record.position > self.head() {
            self.pending
                .entry(candidate.record.position)
                .or_default()
                .push(candidate);
        }
    }

    /// Accepts every whole append that chains on from the head; returns the new head.
    pub fn advance(&mut self) -> u64 {
        while let Some(run) = self.next_append() {
            let end = self.head() + run.len() as u64;
            let mut taken = Vec::with_capacity(run.len());
            for (position, i) in (self.head() + 1..=end).zip(run) {
                if let Some(mut candidates) = self.pending.remove(&position) {
                    taken.push(candidates.swap_remove(i));
                }
            }
            for c in taken {
                let position = c.record.position;
                self.streams
                    .entry(c.record.stream.clone())
                    .or_default()
                    .push(position);
                self.locations.push((c.partition, c.offset));
                self.partition_heads.insert(c.partition, c.record.hash);
                self.events.push(c.record);
            }
        }
        self.head()
    }

    /// The candidates (their index at each position) of the next whole append, if one is
    /// there.
    fn next_append(&self) -> Option<Vec<usize>> {
        let first = self.head() + 1;
        let prev = self.last_hash();
        let candidates = self.pending.get(&first)?;
        'start: for (i, start) in candidates.iter().enumerate() {
            if start.log_prev != prev || start.append_end < first {
                continue;
            }
            let mut run = vec![i];
            let mut hash = start.record.hash;
            for position in first + 1..=start.append_end {
                let next = self.pending.get(&position).and_then(|cs| {
                    cs.iter().position(|c| {
                        c.log_prev == hash
                            && c.append_end == start.append_end
                            && c.partition == start.partition
                    })
                });
                let Some(j) = next else { continue 'start };
                hash = self.pending[&position][j].record.hash;
                run.push(j);
            }
            return Some(run);
        }
        None
    }

    /// Up to `max` events from `from`.
    pub fn read_all(&self, from: u64, max: usize) -> Vec<Recorded> {
        let start = usize::try_from(from.max(1) - 1).unwrap_or(usize::MAX);
        self.events.iter().skip(start).take(max).cloned().collect()
    }

    /// A stream's events from `from_version`.
    pub fn read_stream(&self, stream: &StreamName, from_version: u64) -> Vec<Recorded> {
        let Some(positions) = self.streams.get(stream) else {
            return Vec::new();
        };
        let skip = usize::try_from(from_version.max(1) - 1).unwrap_or(usize::MAX);
        positions
            .iter()
            .skip(skip)
            .filter_map(|p| self.events.get(usize::try_from(*p).ok()?.checked_sub(1)?))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use hotline_events::hash::Chained;
    use hotline_events::{MessageId, Timestamp};

    use super::*;

    /// An append of `n` events to `stream` at `first`, as a writer makes it: the first
    /// follows `log_prev` in the log and chains on `partition_prev` in `partition`.
    pub(crate) fn append_in(
        stream: &str,
        first: u64,
        n: u64,
        log_prev: Hash,
        partition_prev: Hash,
        partition: i32,
        tag: u8,
    ) -> Vec<Candidate> {
        let stream = StreamName::parse(stream).unwrap_or_else(|e| panic!("{e}"));
        let (mut log_prev, mut prev) = (log_prev, partition_prev);
        (first..first + n)
            .map(|position| {
                let data = format!(r#"{{"tag":{tag}}}"#);
                let event_id = MessageId::generate();
                let chained = Chained {
                    position,
                    stream: stream.as_str(),
                    version: position - first + 1,
                    event_type: "probe",
                    schema: 1,
                    occurred_at: Timestamp::from_millis(0),
                    event_id,
                    correlation_id: None,
                    causation_id: None,
                    data: &data,
                };
                let hash = chained.hash(&prev);
                let record = Recorded {
                    position,
                    stream: stream.clone(),
                    version: position - first + 1,
                    event_type: "probe".into(),
                    schema: 1,
                    occurred_at: Timestamp::from_millis(0),
                    event_id,
                    correlation_id: None,
                    causation_id: None,
                    prev_hash: prev,
                    hash,
                    data,
                };
                let c = Candidate {
                    record,
                    log_prev,
                    append_end: first + n - 1,
                    partition,
                    offset: position as i64,
                };
                (log_prev, prev) = (hash, hash);
                c
            })
            .collect()
    }

    /// [`append_in`] partition `tag`, whose chain it continues from `prev` as the log does.
    fn append(stream: &str, first: u64, n: u64, prev: Hash, tag: u8) -> Vec<Candidate> {
        append_in(stream, first, n, prev, prev, i32::from(tag), tag)
    }

    fn tags(index: &Index) -> Vec<String> {
        index
            .read_all(1, 100)
            .iter()
            .map(|r| r.data.clone())
            .collect()
    }

    #[test]
    fn appends_acknowledged_out_of_order_are_read_in_position_order() {
        let mut index = Index::default();
        let a = append("probe-a", 1, 2, Hash::ZERO, 1);
        let b = append("probe-b", 3, 1, a[1].record.hash, 2);
        index.offer(b[0].clone());
        assert_eq!(index.advance(), 0, "position 3 waits for 1 and 2");
        index.offer(a[1].clone());
        index.offer(a[0].clone());
        assert_eq!(index.advance(), 3);
        let s = StreamName::parse("probe-a").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(index.read_stream(&s, 2).len(), 1);
        assert_eq!(index.location(3), Some((2, 3)));
        assert_eq!(index.stray(), 0);
    }

    #[test]
    fn a_partial_append_is_never_read_and_a_later_writer_takes_its_place() {
        // Given a writer killed after two of its three records reached the topic,
        let mut index = Index::default();
        let first = append("probe-a", 1, 1, Hash::ZERO, 1);
        let killed = append("probe-b", 2, 3, first[0].record.hash, 2);
        for c in first.iter().chain(&killed[..2]) {
            index.offer(c.clone());
        }
        // when the index is rebuilt, the log ends before the partial append;
        assert_eq!(index.advance(), 1);
        // and when the next writer appends at position 2 on the same predecessor,
        let next = append("probe-c", 2, 2, first[0].record.hash, 3);
        for c in &next {
            index.offer(c.clone());
        }
        // its append is the log and the stray records are left out.
        assert_eq!(index.advance(), 3);
        assert_eq!(
            tags(&index),
            [r#"{"tag":1}"#, r#"{"tag":3}"#, r#"{"tag":3}"#]
        );
        // A rebuild offering everything in topic order decides the same.
        let mut rebuilt = Index::default();
        for c in first.iter().chain(&killed[..2]).chain(&next) {
            rebuilt.offer(c.clone());
        }
        assert_eq!(rebuilt.advance(), 3);
        assert_eq!(tags(&rebuilt), tags(&index));
    }

    #[test]
    fn whole_appends_after_a_lost_one_do_not_chain_on() {
        let mut index = Index::default();
        let a = append("probe-a", 1, 1, Hash::ZERO, 1);
        let lost = append("probe-b", 2, 1, a[0].record.hash, 2);
        let after = append("probe-c", 3, 1, lost[0].record.hash, 3);
        index.offer(a[0].clone());
        index.offer(after[0].clone());
        assert_eq!(index.advance(), 1);
        assert_eq!(index.stray(), 1);
    }

    /// Per-partition chains alone would take a dead writer's append that came after a
    /// lost one: it still links onto its partition (nothing else went there meanwhile).
    /// `log_prev` says it continues another history, so the next writer's event is read.
    #[test]
    fn a_dead_writers_append_after_a_lost_one_is_left_out_though_its_partition_links() {
        let mut index = Index::default();
        let a = append_in("probe-a", 1, 1, Hash::ZERO, Hash::ZERO, 1, 1);
        // The dead writer: position 2 (partition 2) never reached the topic; position 3
        // went to partition 3, empty until then, so it chains on the zero hash.
        let lost = append_in("probe-b", 2, 1, a[0].record.hash, Hash::ZERO, 2, 2);
        let stray = append_in("probe-c", 3, 1, lost[0].record.hash, Hash::ZERO, 3, 3);
        // The next writer: position 2 in partition 1, then 3 in partition 2.
        let next2 = append_in("probe-d", 2, 1, a[0].record.hash, a[0].record.hash, 1, 4);
        let next3 = append_in("probe-e", 3, 1, next2[0].record.hash, Hash::ZERO, 2, 5);
        for c in a.iter().chain(&stray).chain(&next2).chain(&next3) {
            index.offer(c.clone());
        }
        assert_eq!(index.advance(), 3);
        assert_eq!(
            tags(&index),
            [r#"{"tag":1}"#, r#"{"tag":4}"#, r#"{"tag":5}"#]
        );
        let heads = index.partition_heads();
        assert_eq!(heads.get(&1), Some(&next2[0].record.hash));
        assert_eq!(heads.get(&2), Some(&next3[0].record.hash));
        assert_eq!(
            heads.get(&3),
            None,
            "the stray record is no partition's head"
        );
    }
}
