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

use std::collections::{BTreeMap, HashMap, HashSet};

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
    /// Records at accepted positions that are not the accepted ones (another writer's, or
    /// a dead writer's tail the log went past), kept so that [`Index::problem`] can tell a
    /// fork from a superseded unfinished append.
    superseded: Vec<Candidate>,
}

/// Why the topic holds records the log does not explain: `verify` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub position: u64,
    pub detail: String,
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

    /// Takes a record in; one at or behind the head is already decided: kept aside if it
    /// is not the accepted record (for [`Index::problem`]), else ignored.
    pub fn offer(&mut self, candidate: Candidate) {
        let position = candidate.record.position;
        if position > self.head() {
            self.pending.entry(position).or_default().push(candidate);
        } else if position > 0
            && self
                .events
                .get((position - 1) as usize)
                .is_some_and(|r| r.hash != candidate.record.hash)
        {
            self.superseded.push(candidate);
        }
    }

    /// Accepts every whole append that chains on from the head; returns the new head.
    pub fn advance(&mut self) -> u64 {
        while let Some(run) = self.next_append() {
            let end = self.head() + run.len() as u64;
            let mut taken = Vec::with_capacity(run.len());
            for (position, i) in (self.head() + 1..=end).zip(run) {
                if let Some(mut candidates) = self.pending.remove(&position) {
                    let accepted = candidates.swap_remove(i);
                    // A copy of the accepted record is no rival.
                    let hash = accepted.record.hash;
                    self.superseded
                        .extend(candidates.into_iter().filter(|c| c.record.hash != hash));
                    taken.push(accepted);
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

    /// The hash the event at `position` follows in the log (zero for the first).
    fn log_prev_of(&self, position: u64) -> Hash {
        position
            .checked_sub(2)
            .and_then(|i| self.events.get(usize::try_from(i).ok()?))
            .map_or(Hash::ZERO, |r| r.hash)
    }

    /// What the topic holds beyond the accepted log that verify must report, if anything:
    ///
    /// - **A fork**: a second whole append, following on from the same event as an
    ///   accepted one, at the same position. Only two writers at once make it (a writer
    ///   that opened after the first append landed would have followed it), and one of
    ///   them had acknowledged events the log does not read.
    /// - **Stray records past the head** that are not a dead writer's unacknowledged
    ///   tail. The tail is provable when the records past the head, in position order,
    ///   start at head + 1 following the log's last event (or, when head + 1 is missing
    ///   altogether, a first append in flight lost whole, no partition's offsets after
    ///   its last accepted record have a hole) and are, append by append
    ///   (grouped by `append_end`), each a gap-free prefix of one append in one
    ///   partition, linked by `log_prev`, the appends in order without overlap: what a
    ///   writer killed with appends in flight leaves. None of them was acknowledged: a
    ///   writer answers only once its append is accepted, which the first, unfinished,
    ///   blocks. Anything else (a gap before them, a first record that follows another
    ///   history, two records at one position) means records of the log were altered or
    ///   removed, or a second writer wrote. A removal that leaves exactly that shape (the
    ///   end of an append and nothing else) cannot be told from a crash: noting the last
    ///   hash and checking later that the log still extends it is what finds that.
    pub fn problem(&self) -> Option<Problem> {
        self.fork().or_else(|| self.stray_problem())
    }

    fn fork(&self) -> Option<Problem> {
        let mut by_position: HashMap<u64, Vec<&Candidate>> = HashMap::new();
        for c in self
            .superseded
            .iter()
            .chain(self.pending.values().flatten())
        {
            by_position.entry(c.record.position).or_default().push(c);
        }
        let mut starts: Vec<&Candidate> = self
            .superseded
            .iter()
            .filter(|c| c.log_prev == self.log_prev_of(c.record.position))
            .collect();
        starts.sort_by_key(|c| c.record.position);
        for start in starts {
            let mut hash = start.record.hash;
            let whole = (start.record.position + 1..=start.append_end).all(|p| {
                let next = by_position.get(&p).and_then(|cs| {
                    cs.iter().find(|c| {
                        c.log_prev == hash
                            && c.append_end == start.append_end
                            && c.partition == start.partition
                    })
                });
                next.map(|c| hash = c.record.hash).is_some()
            });
            if whole {
                let p = start.record.position;
                let (kept_partition, kept_offset) = self.location(p).unwrap_or((-1, -1));
                return Some(Problem {
                    position: p,
                    detail: format!(
                        "a fork: two whole appends follow the same event at position {p}, at partition {kept_partition}, offset {kept_offset} (read as the log) and at partition {}, offset {} (left out): two processes wrote the topic at once, and the events one of them acknowledged are not in the log",
                        start.partition, start.offset
                    ),
                });
            }
        }
        None
    }

    fn stray_problem(&self) -> Option<Problem> {
        let first = self
            .pending
            .values()
            .flatten()
            .min_by_key(|c| c.record.position)?;
        let problem = |why: &str| {
            Some(Problem {
                position: first.record.position,
                detail: format!(
                    "{} record{} past the log's end (head {}) are not an unfinished append of a stopped writer: {why}; the first is position {} at partition {}, offset {}: records of the log were altered or removed, or another process wrote the topic",
                    self.stray(),
                    if self.stray() == 1 { "" } else { "s" },
                    self.head(),
                    first.record.position,
                    first.partition,
                    first.offset
                ),
            })
        };
        if first.record.position != self.head() + 1 {
            // The writer's first append in flight may have lost every record (it went to
            // another partition than the later ones). That leaves no hole in any
            // partition's offsets; records removed from the middle of a partition do.
            if !self.offsets_follow_on() {
                return problem("there is a gap after the log's end and in a partition's offsets");
            }
        } else if first.log_prev != self.last_hash() {
            return problem("the first does not follow the log's last event");
        }
        // Walk the records in position order, append by append.
        let mut previous: Option<&Candidate> = None;
        for cs in self.pending.values() {
            let [c] = cs.as_slice() else {
                return problem("two records claim one position");
            };
            if let Some(p) = previous {
                if p.append_end == c.append_end {
                    // The same append: next position, same partition, linked.
                    if c.record.position != p.record.position + 1
                        || c.partition != p.partition
                        || c.log_prev != p.record.hash
                    {
                        return problem("an append's records do not follow one another");
                    }
                } else if c.record.position <= p.append_end
                    || (p.record.position == p.append_end
                        && c.record.position == p.append_end + 1
                        && c.log_prev != p.record.hash)
                {
                    // The next append must come after the previous one's end, linked to
                    // it when the previous one is whole here.
                    return problem("the appends overlap or do not follow one another");
                }
            }
            if c.record.position > c.append_end {
                return problem("a record lies past its append's end");
            }
            previous = Some(c);
        }
        None
    }

    /// Whether, in every partition holding records past the head, the offsets after the
    /// partition's last accepted record are all records the index knows (left out or past
    /// the head): no record is missing there.
    fn offsets_follow_on(&self) -> bool {
        let mut last_accepted: HashMap<i32, i64> = HashMap::new();
        for (partition, offset) in &self.locations {
            let o = last_accepted.entry(*partition).or_insert(*offset);
            *o = (*o).max(*offset);
        }
        let mut known: HashMap<i32, HashSet<i64>> = HashMap::new();
        for c in self
            .superseded
            .iter()
            .chain(self.pending.values().flatten())
        {
            known.entry(c.partition).or_default().insert(c.offset);
        }
        self.pending.values().flatten().all(|c| {
            let Some(offsets) = known.get(&c.partition) else {
                return false;
            };
            let from = last_accepted.get(&c.partition).map_or(0, |o| o + 1);
            (from..c.offset).all(|o| offsets.contains(&o))
        })
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
        // The superseded partial append is no fork and no stray: nothing to report.
        assert_eq!(index.problem(), None);
        assert_eq!(rebuilt.problem(), None);
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
        // Position 2 is missing before it: not provably a dead writer's tail.
        let problem = index.problem().expect("a gap past the head is reported");
        assert_eq!(problem.position, 3);
        assert!(problem.detail.contains("gap"), "{}", problem.detail);
        assert!(
            problem.detail.contains("partition 3, offset 3"),
            "{}",
            problem.detail
        );
        // The same with the lost append's offsets free of holes (it never reached the
        // topic: the later append is the next record of its partition) is a dead writer.
        let mut index = Index::default();
        let mut after = after[0].clone();
        after.partition = 1;
        after.offset = 2;
        index.offer(a[0].clone());
        index.offer(after);
        assert_eq!(index.advance(), 1);
        assert_eq!(index.problem(), None);
    }

    /// A writer killed with appends in flight leaves, past the head, a prefix of its first
    /// append and whole or partial later ones: never acknowledged, so no problem.
    #[test]
    fn a_dead_writers_appends_in_flight_are_no_problem() {
        let mut index = Index::default();
        let a = append("probe-a", 1, 1, Hash::ZERO, 1);
        let unfinished = append("probe-b", 2, 3, a[0].record.hash, 2);
        let whole = append("probe-c", 5, 2, unfinished[2].record.hash, 3);
        for c in a.iter().chain(&unfinished[..2]).chain(&whole) {
            index.offer(c.clone());
        }
        assert_eq!(index.advance(), 1);
        assert_eq!(index.stray(), 4);
        assert_eq!(index.problem(), None);
    }

    /// An altered record whose hash was recomputed cuts the log (the next record no longer
    /// follows it): what is left past the head does not follow the log, and is reported.
    #[test]
    fn records_past_the_head_that_follow_another_history_are_reported() {
        let mut index = Index::default();
        let a = append("probe-a", 1, 2, Hash::ZERO, 1);
        let b = append("probe-b", 3, 2, a[1].record.hash, 2);
        let mut altered = a[1].clone();
        altered.record.data = r#"{"tag":9}"#.into();
        altered.record.hash = altered.record.chained().hash(&altered.record.prev_hash);
        for c in [&a[0], &altered, &b[0], &b[1]] {
            index.offer(c.clone());
        }
        assert_eq!(index.advance(), 2, "the altered record itself follows on");
        let problem = index.problem().expect("the cut is reported");
        assert_eq!(problem.position, 3);
        assert!(
            problem
                .detail
                .contains("does not follow the log's last event"),
            "{}",
            problem.detail
        );
    }

    /// Two writers at once: both append at position 2 after event 1, whole. Whichever was
    /// offered first is read; the other is named as a fork.
    #[test]
    fn two_whole_appends_at_one_position_are_a_fork() {
        let a = append("probe-a", 1, 1, Hash::ZERO, 1);
        let one = append("probe-b", 2, 2, a[0].record.hash, 2);
        let other = append_in("probe-c", 2, 1, a[0].record.hash, Hash::ZERO, 3, 3);
        for order in [[&one, &other], [&other, &one]] {
            let mut index = Index::default();
            index.offer(a[0].clone());
            index.advance();
            for c in order.into_iter().flatten() {
                index.offer(c.clone());
            }
            index.advance();
            let problem = index.problem().expect("the fork is reported");
            assert_eq!(problem.position, 2, "{}", problem.detail);
            assert!(problem.detail.contains("fork"), "{}", problem.detail);
            assert!(problem.detail.contains("partition 2"), "{}", problem.detail);
            assert!(problem.detail.contains("partition 3"), "{}", problem.detail);
        }
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
