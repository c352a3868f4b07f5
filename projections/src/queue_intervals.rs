//! `queue_intervals`: 15-minute aggregates per queue (offered, answered, abandoned, short
//! abandons, answered within the threshold, and the sums behind SL, ASA and AHT). A call
//! counts in the interval it was queued in, whenever it is answered or abandoned; the
//! rules are in [`crate::queue_counts`].

use hotline_events::{AgentId, CallId, Event, QueueId, Timestamp};

use crate::projection::{Checkpoint, Fact, Projection};
use crate::queue_counts::{QueueCounts, QueueTally};
use crate::rules::MetricRules;

/// The length of an interval: 15 minutes, aligned on the hour (UTC; every time zone in
/// use is offset by a multiple of 15 minutes, so intervals align locally too).
pub const INTERVAL_MS: i64 = 15 * 60 * 1000;

/// The start of the interval `t` falls in.
pub fn interval_start(t: Timestamp) -> Timestamp {
    Timestamp::from_millis(t.as_millis().div_euclid(INTERVAL_MS) * INTERVAL_MS)
}

/// One queue's counters over one interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntervalRow {
    pub queue: QueueId,
    pub start: Timestamp,
    pub counts: QueueCounts,
}

/// The `queue_intervals` read model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueueIntervals {
    checkpoint: Checkpoint,
    rules: MetricRules,
    tally: QueueTally<Timestamp>,
}

impl QueueIntervals {
    pub fn new(rules: MetricRules) -> Self {
        Self {
            checkpoint: Checkpoint::default(),
            rules,
            tally: QueueTally::default(),
        }
    }

    /// The counters of `queue` in the interval starting at `start`.
    pub fn get(&self, queue: &QueueId, start: Timestamp) -> Option<&QueueCounts> {
        self.tally.counts(queue, start)
    }

    /// Every interval with something in it, by queue then start.
    pub fn rows(&self) -> Vec<IntervalRow> {
        let mut rows: Vec<_> = self
            .tally
            .all()
            .map(|(queue, start, counts)| IntervalRow {
                queue: queue.clone(),
                start,
                counts: *counts,
            })
            .collect();
        rows.sort_by(|a, b| (&a.queue, a.start).cmp(&(&b.queue, b.start)));
        rows
    }
}

impl Projection for QueueIntervals {
    fn name(&self) -> &'static str {
        "queue_intervals"
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) {
            return;
        }
        let at = fact.occurred_at;
        match fact.event {
            Event::Call(e) => {
                if let Some(call) = fact.id(CallId::from_uuid) {
                    self.tally
                        .apply_call(call, at, e, &self.rules, interval_start);
                }
            }
            Event::Agent(e) => {
                if let Some(agent) = fact.id(AgentId::from_uuid) {
                    self.tally.apply_agent(agent, at, e);
                }
            }
            _ => {}
        }
    }

    fn position(&self) -> u64 {
        self.checkpoint.position()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::history::{check_idempotent_and_incremental, morning, q, t};

    fn rules() -> MetricRules {
        MetricRules::default()
            .with_threshold(q("sales"), 20_000)
            .with_threshold(q("support"), 30_000)
    }

    fn morning_intervals() -> QueueIntervals {
        let mut intervals = QueueIntervals::new(rules());
        morning().fold(&mut intervals);
        intervals
    }

    #[test]
    fn intervals_start_every_quarter_hour() {
        assert_eq!(interval_start(t("09:14:59")), t("09:00:00"));
        assert_eq!(interval_start(t("09:15:00")), t("09:15:00"));
        assert_eq!(interval_start(t("09:29:59.999")), t("09:15:00"));
    }

    #[test]
    fn the_first_interval_counts_answers_abandons_and_the_call_answered_in_the_next() {
        let i = morning_intervals();
        let c = *i.get(&q("sales"), t("09:00:00")).unwrap();
        assert_eq!(
            c,
            QueueCounts {
                // Calls 1, 2, 3 and 6 (queued 09:14:50, answered 09:15:20).
                offered: 4,
                // Calls 1 (8 s) and 6 (30 s).
                answered: 2,
                // Call 2 (45 s); call 3 (3 s) is a short abandon.
                abandoned: 1,
                short_abandons: 1,
                // Only call 1 within 20 s.
                answered_within_threshold: 1,
                answer_wait_ms: 8_000 + 30_000,
                abandon_wait_ms: 45_000 + 3_000,
                handled: 2,
                // Call 1: talk 270 + hold 30 + wrap 30 = 330 s; call 6: 180 + 30 = 210 s.
                handle_ms: 330_000 + 210_000,
            }
        );
        // SL = 1 / (4 offered - 1 short abandon); ASA = 38 / 2 = 19 s; AHT = 540 / 2.
        assert_eq!(c.service_level(), Some(1.0 / 3.0));
        assert_eq!(c.asa_ms(), Some(19_000.0));
        assert_eq!(c.aht_ms(), Some(270_000.0));
        // Call 6 answered at 09:15:20 is not in the 09:15 interval, which holds only call 4.
        assert_eq!(i.get(&q("sales"), t("09:15:00")).unwrap().offered, 1);
    }

    #[test]
    fn a_blind_transfer_counts_an_offer_in_each_queue() {
        let i = morning_intervals();
        let sales = *i.get(&q("sales"), t("09:15:00")).unwrap();
        let support = *i.get(&q("support"), t("09:15:00")).unwrap();
        // Sales: answered after 5 s; 180 s of talk, then agent 2's 20 s wrap-up.
        assert_eq!(
            sales,
            QueueCounts {
                offered: 1,
                answered: 1,
                answered_within_threshold: 1,
                answer_wait_ms: 5_000,
                handled: 1,
                handle_ms: 180_000 + 20_000,
                ..QueueCounts::default()
            }
        );
        // Support (queued 09:23:07): answered after 30 s, within its 30 s threshold;
        // 240 s of talk and agent 3's 30 s wrap-up.
        assert_eq!(
            support,
            QueueCounts {
                offered: 1,
                answered: 1,
                answered_within_threshold: 1,
                answer_wait_ms: 30_000,
                handled: 1,
                handle_ms: 240_000 + 30_000,
                ..QueueCounts::default()
            }
        );
    }

    #[test]
    fn overflow_counts_once_in_the_first_queue_and_ring_all_once() {
        let i = morning_intervals();
        let c = *i.get(&q("sales"), t("09:30:00")).unwrap();
        assert_eq!(
            c,
            QueueCounts {
                // Call 5 (overflowed, answered by support's agent 3 after 40 s) and call 7
                // (ring-all to three agents, answered after 6 s).
                offered: 2,
                answered: 2,
                answered_within_threshold: 1,
                answer_wait_ms: 40_000 + 6_000,
                handled: 2,
                // Call 5: 180 + 20 s; call 7: 120 + 10 s.
                handle_ms: 200_000 + 130_000,
                ..QueueCounts::default()
            }
        );
        assert_eq!(c.service_level(), Some(0.5));
        assert_eq!(c.aht_ms(), Some(165_000.0));
        // Support saw no offer of its own in that interval.
        assert_eq!(i.get(&q("support"), t("09:30:00")), None);
    }

    #[test]
    fn voicemail_and_callbacks_count_where_they_were_queued() {
        let i = morning_intervals();
        // Call 8: offered, then voicemail: neither answered nor abandoned; SL 0 / 1.
        let vm = *i.get(&q("sales"), t("09:45:00")).unwrap();
        assert_eq!((vm.offered, vm.answered, vm.abandoned), (1, 0, 0));
        assert_eq!(vm.service_level(), Some(0.0));
        // Call 9: queued 10:00:01, answered after the callback at 10:10:11 = 610 s.
        let cb = *i.get(&q("sales"), t("10:00:00")).unwrap();
        assert_eq!(
            cb,
            QueueCounts {
                offered: 1,
                answered: 1,
                answer_wait_ms: 610_000,
                handled: 1,
                handle_ms: 120_000 + 10_000,
                ..QueueCounts::default()
            }
        );
        // Call 10: the dial-back failed.
        let failed = *i.get(&q("sales"), t("10:15:00")).unwrap();
        assert_eq!(
            failed,
            QueueCounts {
                offered: 1,
                ..QueueCounts::default()
            }
        );
        assert_eq!(i.rows().len(), 7, "six sales intervals and one of support");
        assert_eq!(
            i.tally.followed_calls(),
            0,
            "every call ended and wrapped up"
        );
    }

    #[test]
    fn applying_twice_changes_nothing_and_halves_equal_one_pass() {
        check_idempotent_and_incremental(|| QueueIntervals::new(rules()));
        assert_eq!(QueueIntervals::new(rules()).name(), "queue_intervals");
    }
}
