//! The Kafka log's local index, a state store rebuilt from the topic: which records make
//! the log, in what order, and where each stream's events are.
//!
//! Records arrive in any order across partitions (acknowledgements, or a consumer reading
//! partitions side by side) and the topic may hold records that are not part of the log:
//! the unacknowledged tail of a writer killed in the middle of an append (a prefix of its
//! batch, or whole appends after a lost one). So records are *offered* as candidates, and
//! the log grows only by whole appends that chain on: an append is accepted when every
//! record from its first position to its `append_end` is there, each one's `prev_hash`
//! naming the accepted predecessor's hash. Whatever never chains on stays a candidate and
//! is never read. Since a writer answers an append only once it is accepted here, nothing
//! acknowledged is ever left out.
//!
//! Pure: no I/O; the backend feeds it.

use std::collections::{BTreeMap, HashMap};

use hotline_events::{Hash, Recorded, StreamName};

/// A record read from (or acknowledged by) the topic.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub record: Recorded,
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
            if start.record.prev_hash != prev || start.append_end < first {
                continue;
            }
            let mut run = vec![i];
            let mut hash = start.record.hash;
            for position in first + 1..=start.append_end {
                let next = self.pending.get(&position).and_then(|cs| {
                    cs.iter().position(|c| {
                        c.record.prev_hash == hash
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
mod tests {
    use hotline_events::hash::Chained;
    use hotline_events::{MessageId, Timestamp};

    use super::*;

    /// An append of `n` events to `stream` on top of `prev` at `first`, as a writer makes it.
    fn append(stream: &str, first: u64, n: u64, prev: Hash, tag: u8) -> Vec<Candidate> {
        let stream = StreamName::parse(stream).unwrap_or_else(|e| panic!("{e}"));
        let mut prev = prev;
        (first..first + n)
            .map(|position| {
                let data = format!(r#"{{"tag":{tag}}}"#);
                let event_id = MessageId::generate();
                let chained = Chained {
                    position,
                    stream: stream.as_str(),
                    version: position,
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
                    version: position,
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
                prev = hash;
                Candidate {
                    record,
                    append_end: first + n - 1,
                    partition: i32::from(tag),
                    offset: position as i64,
                }
            })
            .collect()
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
}
