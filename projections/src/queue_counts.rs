//! The queue counters and the metrics computed from them, with the rules that decide what
//! counts where; and the fold that fills them per queue and period (a 15-minute interval
//! for [`crate::queue_intervals`], the local day for [`crate::boards`]).
//!
//! The rules, in the domain brief's names:
//! - **offered**: a call counts as offered to a queue each time it is `queued` there. A
//!   call transferred blind to another queue is offered in each queue it was queued in;
//!   overflow does not make a second offer (the call still waits in its first queue, and
//!   counts there even when the other queue's agent answers).
//! - Every outcome of a visit counts in the **period the call was queued in**: a call
//!   queued at 09:14:50 and answered at 09:15:20 is answered in the 09:00 interval.
//! - **answered** (= handled): the visit ended with an agent answering;
//!   **answered within threshold**: and the caller's wait was at most the queue's
//!   service-level threshold.
//! - **abandoned**: the caller hung up while waiting, after at least the short-abandon
//!   time; **short abandons** (under it, 5 s by default) are counted apart and not in
//!   `abandoned`. Voicemail and system ends count in `offered` only.
//! - **SL** = answered within threshold / (offered − short abandons). Calls still waiting
//!   are in the denominator: a live interval's SL is what it would be if none of them were
//!   answered in time.
//! - **ASA** = sum of the waits of answered calls / answered.
//! - **AHT** = (talk + hold + wrap-up) / handled, where talk and hold are the call's
//!   connected time from the answer in this queue until it ended or was queued again, and
//!   wrap-up is every agent's after-call work on the call (it joins the sum when the
//!   agent completes it, so AHT briefly leaves it out). A call is handled once its
//!   conversation is over.
//! - **abandon rate** = (abandoned) / (offered − short abandons).

use std::hash::Hash;

use hotline_events::{AgentEvent, AgentId, CallEvent, CallId, QueueId, Timestamp};

use crate::call_progress::{CallProgress, VisitEnd};
use crate::fast_map::FastMap;
use crate::rules::MetricRules;

/// The counters of one queue over one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueueCounts {
    pub offered: u32,
    pub answered: u32,
    /// Abandons at or after the short-abandon time.
    pub abandoned: u32,
    pub short_abandons: u32,
    pub answered_within_threshold: u32,
    /// Sum of the waits of answered calls (for ASA).
    pub answer_wait_ms: u64,
    /// Sum of the waits of abandoned calls, short ones included (time to abandon).
    pub abandon_wait_ms: u64,
    /// Answered calls whose conversation is over.
    pub handled: u32,
    /// Sum of talk + hold + wrap-up of the handled calls.
    pub handle_ms: u64,
}

fn ratio(num: f64, den: u32) -> Option<f64> {
    (den > 0).then(|| num / f64::from(den))
}

impl QueueCounts {
    fn count_end(&mut self, how: VisitEnd, wait: u64, threshold: u64, rules: &MetricRules) {
        match how {
            VisitEnd::Answered => {
                self.answered += 1;
                self.answer_wait_ms += wait;
                if wait <= threshold {
                    self.answered_within_threshold += 1;
                }
            }
            VisitEnd::Abandoned => {
                if rules.is_short_abandon(wait) {
                    self.short_abandons += 1;
                } else {
                    self.abandoned += 1;
                }
                self.abandon_wait_ms += wait;
            }
            VisitEnd::Voicemail | VisitEnd::Other => {}
        }
    }

    /// answered within threshold / (offered − short abandons), from 0 to 1; `None` when
    /// nothing counts.
    pub fn service_level(&self) -> Option<f64> {
        ratio(
            f64::from(self.answered_within_threshold),
            self.offered.saturating_sub(self.short_abandons),
        )
    }

    /// Average speed of answer, in milliseconds.
    pub fn asa_ms(&self) -> Option<f64> {
        ratio(self.answer_wait_ms as f64, self.answered)
    }

    /// Average handle time, in milliseconds.
    pub fn aht_ms(&self) -> Option<f64> {
        ratio(self.handle_ms as f64, self.handled)
    }

    /// abandoned / (offered − short abandons), from 0 to 1.
    pub fn abandon_rate(&self) -> Option<f64> {
        ratio(
            f64::from(self.abandoned),
            self.offered.saturating_sub(self.short_abandons),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct TallyCall<K> {
    progress: CallProgress,
    /// The period of the visit last answered: its conversation and wrap-ups count there.
    handling: Option<(QueueId, K)>,
    /// Agents on the call now (busy, not yet wrapping up).
    busy_agents: u32,
    ended: bool,
}

impl<K> Default for TallyCall<K> {
    fn default() -> Self {
        Self {
            progress: CallProgress::default(),
            handling: None,
            busy_agents: 0,
            ended: false,
        }
    }
}

/// An agent's open wrap-up: on which call, since when, counted in which period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct OpenWrap<K> {
    call: CallId,
    since: Timestamp,
    period: Option<(QueueId, K)>,
}

/// The fold that fills [`QueueCounts`] per queue and period `K`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct QueueTally<K: Eq + Hash> {
    calls: FastMap<CallId, TallyCall<K>>,
    wraps: FastMap<AgentId, OpenWrap<K>>,
    counts: FastMap<(QueueId, K), QueueCounts>,
    /// Periods before this one are no longer kept (a board's past days).
    oldest: Option<K>,
}

impl<K: Eq + Hash> Default for QueueTally<K> {
    fn default() -> Self {
        Self {
            calls: FastMap::default(),
            wraps: FastMap::default(),
            counts: FastMap::default(),
            oldest: None,
        }
    }
}

/// The counters of `key`, unless its period is one no longer kept.
fn counts_of<K: Copy + Ord + Hash>(
    counts: &mut FastMap<(QueueId, K), QueueCounts>,
    oldest: Option<K>,
    key: (QueueId, K),
) -> Option<&mut QueueCounts> {
    if oldest.is_some_and(|o| key.1 < o) {
        return None;
    }
    Some(counts.entry(key).or_default())
}

impl<K: Copy + Ord + Hash> QueueTally<K> {
    /// `period` maps a time to the period it falls in. Returns the hold that ended, if
    /// one did: who held, for how long.
    pub fn apply_call(
        &mut self,
        call: CallId,
        at: Timestamp,
        event: &CallEvent,
        rules: &MetricRules,
        period: impl Fn(Timestamp) -> K,
    ) -> Option<(AgentId, u64)> {
        let c = self.calls.entry(call).or_default();
        let steps = c.progress.apply(at, event);
        let (counts, oldest) = (&mut self.counts, self.oldest);
        if steps.started
            && let Some(v) = c.progress.waiting()
            && let Some(n) = counts_of(counts, oldest, (v.queue.clone(), period(v.queued_at)))
        {
            n.offered += 1;
        }
        if let Some((v, how, wait)) = steps.visit_ended {
            let threshold = rules.threshold_ms(&v.queue);
            let key = (v.queue, period(v.queued_at));
            if how == VisitEnd::Answered {
                c.handling = Some(key.clone());
            }
            if let Some(n) = counts_of(counts, oldest, key) {
                n.count_end(how, wait, threshold, rules);
            }
        }
        if let Some(conv) = steps.conversation
            && let Some(v) = conv.visit
            && let Some(n) = counts_of(counts, oldest, (v.queue, period(v.queued_at)))
        {
            n.handle_ms += conv.talk_ms + conv.hold_ms;
        }
        if let Some(v) = steps.handled
            && let Some(n) = counts_of(counts, oldest, (v.queue, period(v.queued_at)))
        {
            n.handled += 1;
        }
        if matches!(event, CallEvent::Ended { .. }) {
            c.ended = true;
            if c.busy_agents == 0 {
                self.calls.remove(&call);
            }
        }
        steps.hold
    }

    pub fn apply_agent(&mut self, agent: AgentId, at: Timestamp, event: &AgentEvent) {
        match event {
            AgentEvent::Busy { call } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.busy_agents += 1;
                }
            }
            AgentEvent::WrappingUp { call, .. } => {
                let mut period = None;
                if let Some(c) = self.calls.get_mut(call) {
                    c.busy_agents = c.busy_agents.saturating_sub(1);
                    period = c.handling.clone();
                    if c.ended && c.busy_agents == 0 {
                        self.calls.remove(call);
                    }
                }
                self.wraps.insert(
                    agent,
                    OpenWrap {
                        call: *call,
                        since: at,
                        period,
                    },
                );
            }
            AgentEvent::WrapUpCompleted { call, .. } => {
                if let Some(w) = self.wraps.remove(&agent)
                    && w.call == *call
                    && let Some(key) = w.period
                    && let Some(n) = counts_of(&mut self.counts, self.oldest, key)
                {
                    n.handle_ms += at.millis_since(w.since);
                }
            }
            AgentEvent::LoggedOut { .. } => {
                self.wraps.remove(&agent);
            }
            _ => {}
        }
    }

    pub fn counts(&self, queue: &QueueId, period: K) -> Option<&QueueCounts> {
        self.counts.get(&(queue.clone(), period))
    }

    pub fn all(&self) -> impl Iterator<Item = (&QueueId, K, &QueueCounts)> {
        self.counts.iter().map(|((q, k), c)| (q, *k, c))
    }

    /// Calls waiting in a queue now, with when they were queued.
    pub fn waiting(&self) -> impl Iterator<Item = (&QueueId, Timestamp)> {
        self.calls
            .values()
            .filter_map(|c| c.progress.waiting())
            .map(|v| (&v.queue, v.queued_at))
    }

    /// Drops the periods before `oldest` and keeps no count for them from now on (a
    /// board's past days).
    pub fn forget_before(&mut self, oldest: K) {
        self.oldest = Some(oldest);
        self.counts.retain(|(_, k), _| *k >= oldest);
    }

    /// Calls followed now: live ones, and ended ones whose agents are still on them.
    #[cfg(test)]
    pub fn followed_calls(&self) -> usize {
        self.calls.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_divide_by_what_the_rules_say() {
        let c = QueueCounts {
            offered: 10,
            answered: 6,
            abandoned: 2,
            short_abandons: 2,
            answered_within_threshold: 4,
            answer_wait_ms: 60_000,
            abandon_wait_ms: 0,
            handled: 5,
            handle_ms: 1_000_000,
        };
        // SL = 4 / (10 - 2) = 0.5; ASA = 60 000 / 6 = 10 000; AHT = 1 000 000 / 5.
        assert_eq!(c.service_level(), Some(0.5));
        assert_eq!(c.asa_ms(), Some(10_000.0));
        assert_eq!(c.aht_ms(), Some(200_000.0));
        // Abandon rate = 2 / (10 - 2).
        assert_eq!(c.abandon_rate(), Some(0.25));
        assert_eq!(QueueCounts::default().service_level(), None);
    }
}
