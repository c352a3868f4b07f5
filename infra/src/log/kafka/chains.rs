//! `verify` on the Kafka log: one hash chain per partition, and the global positions.
//!
//! Each event's `prev_hash` is the hash of the event before it *in its partition* (the
//! first event of a partition chains on [`Hash::ZERO`], as the first event of the embedded
//! log does), so a consumer of one partition can check that partition alone, and
//! partitions could one day have writers of their own. What ties the partitions into one
//! log is the writer-assigned global position: it must run 1..=head with no gap and no
//! repeat, and each stream's versions must follow one another along it.
//!
//! Pure: it walks the index's events and their locations.

use std::collections::{BTreeMap, HashMap};

use hotline_events::{Hash, Recorded, StreamName};

use crate::log::{ChainBreak, VerifyReport};

/// Checks every partition's chain in offset order, and the positions and versions in
/// position order; reports the break with the lowest position (and the partition and
/// offset it is at). `topic` names the log in the problem.
pub(crate) fn verify(events: &[Recorded], locations: &[(i32, i64)], topic: &str) -> VerifyReport {
    let mut breaks: Vec<ChainBreak> = Vec::new();
    let at = |i: usize| {
        locations.get(i).map_or(String::new(), |(p, o)| {
            format!(" (partition {p}, offset {o} of {topic})")
        })
    };

    // The positions and each stream's versions, along the log.
    let mut versions: HashMap<&StreamName, u64> = HashMap::new();
    for (i, r) in events.iter().enumerate() {
        let expected = i as u64 + 1;
        let version = versions.entry(&r.stream).or_insert(0);
        let problem = if r.position != expected {
            Some(format!(
                "expected position {expected}, found {}",
                r.position
            ))
        } else if r.version != *version + 1 {
            Some(format!(
                "{} should be at version {}, found {}",
                r.stream,
                *version + 1,
                r.version
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            breaks.push(ChainBreak {
                position: expected,
                problem: format!("{problem}{}", at(i)),
            });
            break;
        }
        *version = r.version;
    }

    // Each partition's chain, in offset order.
    let mut partitions: BTreeMap<i32, Vec<(i64, usize)>> = BTreeMap::new();
    for (i, (partition, offset)) in locations.iter().enumerate().take(events.len()) {
        partitions.entry(*partition).or_default().push((*offset, i));
    }
    for (partition, mut records) in partitions {
        records.sort_unstable();
        let mut prev: Option<usize> = None;
        for (_, i) in records {
            let r = &events[i];
            let expected = prev.map_or(Hash::ZERO, |p| events[p].hash);
            let problem = if r.prev_hash != expected {
                Some(match prev {
                    None => format!(
                        "it is the first event of partition {partition}, but its predecessor hash is not the zero hash"
                    ),
                    Some(p) => format!(
                        "its predecessor hash does not match the hash of the event before it in partition {partition} (position {})",
                        p + 1
                    ),
                })
            } else if !r.hash_is_valid() {
                Some("its hash does not match its content: the event was altered".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                breaks.push(ChainBreak {
                    position: i as u64 + 1,
                    problem: format!("{problem}{}", at(i)),
                });
                break;
            }
            prev = Some(i);
        }
    }

    let first_break = breaks.into_iter().min_by_key(|b| b.position);
    let checked = first_break
        .as_ref()
        .map_or(events.len() as u64, |b| b.position.saturating_sub(1));
    let last_hash = usize::try_from(checked)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| events.get(i))
        .map_or(Hash::ZERO, |r| r.hash);
    let mut partition_hashes: BTreeMap<i32, Hash> = BTreeMap::new();
    let good = usize::try_from(checked).unwrap_or(usize::MAX);
    for (r, (partition, _)) in events.iter().zip(locations).take(good) {
        partition_hashes.insert(*partition, r.hash);
    }
    VerifyReport {
        events_checked: checked,
        head: events.len() as u64,
        last_hash,
        partition_hashes: partition_hashes.into_iter().collect(),
        first_break,
    }
}

#[cfg(test)]
mod tests {
    use super::super::index::Candidate;
    use super::super::index::tests::append_in;
    use super::*;

    /// Three appends in two partitions, chained as the writer chains them.
    fn log() -> Vec<Candidate> {
        let a = append_in("probe-a", 1, 2, Hash::ZERO, Hash::ZERO, 0, 1);
        let b = append_in("probe-b", 3, 2, a[1].record.hash, Hash::ZERO, 1, 2);
        let c = append_in("probe-c", 5, 1, b[1].record.hash, a[1].record.hash, 0, 3);
        a.into_iter().chain(b).chain(c).collect()
    }

    fn check(log: &[Candidate]) -> VerifyReport {
        let events: Vec<Recorded> = log.iter().map(|c| c.record.clone()).collect();
        let locations: Vec<(i32, i64)> = log.iter().map(|c| (c.partition, c.offset)).collect();
        verify(&events, &locations, "kafka://b:1/t")
    }

    #[test]
    fn each_partition_chains_on_its_own_from_the_zero_hash() {
        let log = log();
        let report = check(&log);
        assert_eq!(report.first_break, None);
        assert_eq!((report.events_checked, report.head), (5, 5));
        assert_eq!(report.last_hash, log[4].record.hash);
    }

    #[test]
    fn an_altered_event_is_named_with_its_partition() {
        let mut log = log();
        log[3].record.data = r#"{"tag":9}"#.into();
        let report = check(&log);
        let broken = report.first_break.expect("found");
        assert_eq!(broken.position, 4);
        assert!(broken.problem.contains("was altered"), "{}", broken.problem);
        assert!(
            broken.problem.contains("partition 1,"),
            "{}",
            broken.problem
        );
        assert_eq!(report.events_checked, 3);
        assert_eq!(report.last_hash, log[2].record.hash);
    }

    #[test]
    fn a_global_chain_is_not_a_partition_chain() {
        // Position 3 opens partition 1 but names position 2's hash, as a log chained
        // across partitions would.
        let mut log = log();
        log[2].record.prev_hash = log[1].record.hash;
        log[2].record.hash = log[2].record.chained().hash(&log[2].record.prev_hash);
        let broken = check(&log).first_break.expect("found");
        assert_eq!(broken.position, 3);
        assert!(
            broken.problem.contains("first event of partition 1"),
            "{}",
            broken.problem
        );
    }

    #[test]
    fn a_missing_or_repeated_position_is_a_break() {
        let mut log = log();
        log[3].record.position = 3;
        let broken = check(&log).first_break.expect("found");
        assert_eq!(broken.position, 4);
        assert!(
            broken.problem.contains("expected position 4, found 3"),
            "{}",
            broken.problem
        );
    }
}
