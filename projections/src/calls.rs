//! `calls`: one row per call, with every timing (arrived, queued, offered, answered,
//! ended; wait, talk, hold, wrap-up), its queues, agents, outcome and disposition.

use hotline_events::{
    AgentEvent, AgentId, CallEvent, CallId, Channel, CustomerId, EndReason, Event, OfferMissReason,
    Party, QueueId, Timestamp, TransferKind, TransferTarget,
};

use crate::call_progress::{CallProgress, VisitEnd};
use crate::fast_map::FastMap;
use crate::projection::{Checkpoint, Fact, Projection};
use crate::rules::MetricRules;

/// How a call turned out, from its end reason and whether an agent answered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An agent answered it (whatever ended it afterwards).
    Answered,
    /// The caller hung up waiting in a queue, after at least the short-abandon time.
    Abandoned,
    /// The caller hung up waiting in a queue within the short-abandon time.
    ShortAbandon,
    /// The caller hung up in the IVR, before reaching a queue (not an offered call).
    IvrHangUp,
    Voicemail,
    /// The caller asked to be called back and no agent answered the callback (the
    /// dial-back failed, or the callback is scheduled as another call).
    Callback,
    /// Self-service in the IVR finished the call (IVR containment).
    SelfService,
    /// Outside business hours, with nowhere to go.
    Closed,
    /// Handed to a number outside the center before an agent answered.
    TransferredOut,
    Failed,
    SystemRestart,
}

impl Outcome {
    fn of(
        reason: EndReason,
        row: &CallRow,
        abandon_wait_ms: Option<u64>,
        rules: &MetricRules,
    ) -> Self {
        if row.answered_at.is_some() {
            return Outcome::Answered;
        }
        match reason {
            EndReason::Abandoned if row.first_queue.is_none() => Outcome::IvrHangUp,
            EndReason::Abandoned => match abandon_wait_ms {
                Some(w) if rules.is_short_abandon(w) => Outcome::ShortAbandon,
                _ => Outcome::Abandoned,
            },
            EndReason::Voicemail => Outcome::Voicemail,
            EndReason::CallbackScheduled => Outcome::Callback,
            _ if row.callback => Outcome::Callback,
            EndReason::SelfService => Outcome::SelfService,
            EndReason::Closed => Outcome::Closed,
            EndReason::TransferredOut => Outcome::TransferredOut,
            EndReason::SystemRestart => Outcome::SystemRestart,
            // `completed` needs an answer; without one, the call did not work.
            EndReason::Failed | EndReason::Completed => Outcome::Failed,
        }
    }
}

/// One call. Times are `None` until they happen; durations are in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallRow {
    pub call: CallId,
    /// The number dialed (DID).
    pub number: String,
    /// The caller's number (ANI).
    pub caller: String,
    pub channel: Option<Channel>,
    pub customer: Option<CustomerId>,
    /// The digits keyed last in the IVR.
    pub digits: Option<String>,
    pub first_queue: Option<QueueId>,
    /// The queue it was queued in last (after a blind transfer to a queue, that one).
    pub last_queue: Option<QueueId>,
    /// Agents who handled it, in order: each answer, warm transfer and conference party.
    pub agents: Vec<AgentId>,
    pub arrived_at: Option<Timestamp>,
    /// When it was first queued.
    pub queued_at: Option<Timestamp>,
    pub first_offered_at: Option<Timestamp>,
    /// When an agent first answered.
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Time waiting in queues: each queue visit from `queued` to the answer, abandon,
    /// voicemail or end, summed. A callback keeps its place, so its wait runs until the
    /// agent answers the dial-back.
    pub wait_ms: u64,
    /// Connected time (answer to blind transfer or end), minus hold.
    pub talk_ms: u64,
    /// On hold, including the caller's wait while the agent consulted another.
    pub hold_ms: u64,
    /// After-call work on this call, summed over its agents.
    pub wrap_ms: u64,
    /// `None` while the call lives.
    pub outcome: Option<Outcome>,
    pub end_reason: Option<EndReason>,
    pub ended_by: Option<Party>,
    /// The latest disposition and notes an agent gave in wrap-up.
    pub disposition: Option<String>,
    pub notes: Option<String>,
    pub transfers: u32,
    /// The first queue it overflowed to.
    pub overflowed_to: Option<QueueId>,
    /// The caller asked to be called back (virtual hold).
    pub callback: bool,
    /// Offers (rings) to agents, several per ring-all.
    pub offers: u32,
    /// Offers the agent missed (`no_answer`, `declined`); a ring-all's other offers
    /// (`answered_elsewhere`) and withdrawn ones are not misses.
    pub missed_offers: u32,
}

impl CallRow {
    /// A call seen, nothing known of it yet.
    pub fn new(call: CallId) -> Self {
        Self {
            call,
            number: String::new(),
            caller: String::new(),
            channel: None,
            customer: None,
            digits: None,
            first_queue: None,
            last_queue: None,
            agents: Vec::new(),
            arrived_at: None,
            queued_at: None,
            first_offered_at: None,
            answered_at: None,
            ended_at: None,
            wait_ms: 0,
            talk_ms: 0,
            hold_ms: 0,
            wrap_ms: 0,
            outcome: None,
            end_reason: None,
            ended_by: None,
            disposition: None,
            notes: None,
            transfers: 0,
            overflowed_to: None,
            callback: false,
            offers: 0,
            missed_offers: 0,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct LiveCall {
    progress: CallProgress,
    abandon_wait_ms: Option<u64>,
}

/// The `calls` read model. Rows are kept in the order calls first appear in the log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Calls {
    checkpoint: Checkpoint,
    rules: MetricRules,
    rows: Vec<CallRow>,
    index: FastMap<CallId, usize>,
    live: FastMap<CallId, LiveCall>,
    /// Agents wrapping up now: on which call, since when. Wrap-up comes on the agent's
    /// stream, after the call ended; it is joined to the row by call id.
    wraps: FastMap<AgentId, (CallId, Timestamp)>,
}

impl Calls {
    pub fn new(rules: MetricRules) -> Self {
        Self {
            checkpoint: Checkpoint::default(),
            rules,
            rows: Vec::new(),
            index: FastMap::default(),
            live: FastMap::default(),
            wraps: FastMap::default(),
        }
    }

    pub fn rows(&self) -> &[CallRow] {
        &self.rows
    }

    pub fn get(&self, call: CallId) -> Option<&CallRow> {
        self.index.get(&call).map(|&i| &self.rows[i])
    }

    fn apply_call(&mut self, call: CallId, at: Timestamp, event: &CallEvent) {
        let rows = &mut self.rows;
        let i = *self.index.entry(call).or_insert_with(|| {
            rows.push(CallRow::new(call));
            rows.len() - 1
        });
        let row = &mut rows[i];
        let live = self.live.entry(call).or_default();
        let steps = live.progress.apply(at, event);
        if let Some((_, how, wait)) = &steps.visit_ended {
            row.wait_ms += wait;
            if *how == VisitEnd::Abandoned {
                live.abandon_wait_ms = Some(*wait);
            }
        }
        if let Some(c) = &steps.conversation {
            row.talk_ms += c.talk_ms;
            row.hold_ms += c.hold_ms;
        }
        match event {
            CallEvent::Arrived {
                number,
                caller,
                channel,
                customer,
            } => {
                row.number.clone_from(number);
                row.caller.clone_from(caller);
                row.channel = Some(*channel);
                row.customer = *customer;
                row.arrived_at = Some(at);
            }
            CallEvent::IvrInput { digits } => row.digits = Some(digits.clone()),
            CallEvent::Queued { queue, .. } => {
                if row.first_queue.is_none() {
                    row.first_queue = Some(queue.clone());
                }
                row.last_queue = Some(queue.clone());
                row.queued_at.get_or_insert(at);
            }
            CallEvent::Offered { .. } => {
                row.offers += 1;
                row.first_offered_at.get_or_insert(at);
            }
            CallEvent::OfferMissed { reason, .. } => {
                if matches!(
                    reason,
                    OfferMissReason::NoAnswer | OfferMissReason::Declined
                ) {
                    row.missed_offers += 1;
                }
            }
            CallEvent::Answered { agent, .. } => {
                row.answered_at.get_or_insert(at);
                row.agents.push(*agent);
            }
            CallEvent::Transferred { kind, to, .. } => {
                row.transfers += 1;
                if let (TransferKind::Warm, TransferTarget::Agent { agent }) = (kind, to) {
                    row.agents.push(*agent);
                }
            }
            CallEvent::ConferenceJoined { agent, .. } => row.agents.push(*agent),
            CallEvent::Overflowed { to, .. } if row.overflowed_to.is_none() => {
                row.overflowed_to = Some(to.clone());
            }
            CallEvent::CallbackRequested { .. } => row.callback = true,
            CallEvent::Ended { by, reason } => {
                row.ended_at = Some(at);
                row.ended_by = Some(*by);
                row.end_reason = Some(*reason);
                row.outcome = Some(Outcome::of(*reason, row, live.abandon_wait_ms, &self.rules));
                self.live.remove(&call);
            }
            _ => {}
        }
    }

    fn apply_agent(&mut self, agent: AgentId, at: Timestamp, event: &AgentEvent) {
        match event {
            AgentEvent::WrappingUp { call, .. } => {
                self.wraps.insert(agent, (*call, at));
            }
            AgentEvent::WrapUpCompleted {
                call,
                disposition,
                notes,
            } => {
                let Some((wrapping, since)) = self.wraps.remove(&agent) else {
                    return;
                };
                let Some(&i) = self.index.get(call) else {
                    return;
                };
                let row = &mut self.rows[i];
                if wrapping == *call {
                    row.wrap_ms += at.millis_since(since);
                }
                if disposition.is_some() {
                    row.disposition.clone_from(disposition);
                }
                if notes.is_some() {
                    row.notes.clone_from(notes);
                }
            }
            AgentEvent::LoggedOut { .. } => {
                self.wraps.remove(&agent);
            }
            _ => {}
        }
    }
}

impl Projection for Calls {
    fn name(&self) -> &'static str {
        "calls"
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) {
            return;
        }
        match fact.event {
            Event::Call(e) => {
                if let Some(call) = fact.id(CallId::from_uuid) {
                    self.apply_call(call, fact.occurred_at, e);
                }
            }
            Event::Agent(e) => {
                if let Some(agent) = fact.id(AgentId::from_uuid) {
                    self.apply_agent(agent, fact.occurred_at, e);
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
    use crate::history::{
        A1, A2, A3, History, agent, call, check_idempotent_and_incremental, morning, q, t,
    };

    fn morning_calls() -> Calls {
        let mut calls = Calls::new(MetricRules::default());
        morning().fold(&mut calls);
        calls
    }

    #[test]
    fn an_answered_call_has_every_timing_and_the_agents_disposition() {
        let calls = morning_calls();
        let r = calls.get(call(1)).unwrap();
        assert_eq!(r.number, "+18005550100");
        assert_eq!(r.caller, "+15555550123");
        assert_eq!(r.channel, Some(Channel::Voice));
        assert_eq!(
            (r.first_queue.clone(), r.last_queue.clone()),
            (Some(q("sales")), Some(q("sales")))
        );
        assert_eq!(r.agents, vec![agent(A1)]);
        assert_eq!(r.arrived_at, Some(t("09:00:00")));
        assert_eq!(r.queued_at, Some(t("09:00:02")));
        assert_eq!(r.first_offered_at, Some(t("09:00:03")));
        assert_eq!(r.answered_at, Some(t("09:00:10")));
        assert_eq!(r.ended_at, Some(t("09:05:10")));
        // Wait 09:00:02 -> 09:00:10 = 8 s. Connected 09:00:10 -> 09:05:10 = 300 s, of
        // which on hold 09:02:00 -> 09:02:30 = 30 s: talk 270 s. Wrap 09:05:10 -> 09:05:40.
        assert_eq!(
            (r.wait_ms, r.talk_ms, r.hold_ms, r.wrap_ms),
            (8_000, 270_000, 30_000, 30_000)
        );
        assert_eq!(r.outcome, Some(Outcome::Answered));
        assert_eq!(
            (r.end_reason, r.ended_by),
            (Some(EndReason::Completed), Some(Party::Caller))
        );
        assert_eq!(r.disposition.as_deref(), Some("sale"));
        assert_eq!(r.notes.as_deref(), Some("upsold"));
        assert_eq!((r.offers, r.missed_offers, r.transfers), (1, 0, 0));
        assert_eq!(r.overflowed_to, None);
        assert!(!r.callback);
    }

    #[test]
    fn abandons_are_short_under_five_seconds() {
        let calls = morning_calls();
        let long = calls.get(call(2)).unwrap();
        assert_eq!(long.outcome, Some(Outcome::Abandoned));
        // 09:01:01 -> 09:01:46.
        assert_eq!(
            (long.wait_ms, long.talk_ms, long.answered_at),
            (45_000, 0, None)
        );
        let short = calls.get(call(3)).unwrap();
        assert_eq!(short.outcome, Some(Outcome::ShortAbandon));
        assert_eq!(short.wait_ms, 3_000);
        // The threshold is a rule: at 2 s, a 3 s abandon is a real one.
        let mut strict = Calls::new(MetricRules::default().with_short_abandon_ms(2_000));
        morning().fold(&mut strict);
        assert_eq!(
            strict.get(call(3)).unwrap().outcome,
            Some(Outcome::Abandoned)
        );
    }

    #[test]
    fn a_blind_transfer_to_another_queue_adds_up_both_stays() {
        let r = morning_calls().get(call(4)).unwrap().clone();
        assert_eq!(r.first_queue, Some(q("sales")));
        assert_eq!(r.last_queue, Some(q("support")));
        assert_eq!(r.agents, vec![agent(A2), agent(A3)]);
        assert_eq!(r.answered_at, Some(t("09:20:06")), "the first answer");
        // Waits: 5 s in sales + 30 s in support (09:23:07 -> 09:23:37).
        assert_eq!(r.wait_ms, 35_000);
        // Talk: 09:20:06 -> 09:23:06 = 180 s with agent 2, then 09:23:37 -> 09:27:37 =
        // 240 s with agent 3. Wrap: 20 s (agent 2) + 30 s (agent 3).
        assert_eq!((r.talk_ms, r.hold_ms, r.wrap_ms), (420_000, 0, 50_000));
        assert_eq!((r.transfers, r.offers), (1, 2));
        assert_eq!(r.disposition.as_deref(), Some("resolved"));
        assert_eq!(r.outcome, Some(Outcome::Answered));
    }

    #[test]
    fn an_overflowed_call_keeps_its_queue_and_names_the_overflow() {
        let r = morning_calls().get(call(5)).unwrap().clone();
        assert_eq!(r.first_queue, Some(q("sales")));
        assert_eq!(r.last_queue, Some(q("sales")));
        assert_eq!(r.overflowed_to, Some(q("support")));
        assert_eq!(r.agents, vec![agent(A3)]);
        // 09:30:01 -> 09:30:41; 09:30:41 -> 09:33:41; wrap 09:33:41 -> 09:34:01.
        assert_eq!((r.wait_ms, r.talk_ms, r.wrap_ms), (40_000, 180_000, 20_000));
    }

    #[test]
    fn a_call_spanning_two_intervals_keeps_its_own_times() {
        let r = morning_calls().get(call(6)).unwrap().clone();
        assert_eq!(r.queued_at, Some(t("09:14:50")));
        assert_eq!(r.answered_at, Some(t("09:15:20")));
        assert_eq!((r.wait_ms, r.talk_ms, r.wrap_ms), (30_000, 180_000, 30_000));
    }

    #[test]
    fn ring_all_misses_answered_elsewhere_are_offers_not_misses() {
        let r = morning_calls().get(call(7)).unwrap().clone();
        assert_eq!((r.offers, r.missed_offers), (3, 0));
        assert_eq!(r.agents, vec![agent(A2)]);
        // 09:40:01 -> 09:40:07; 09:40:07 -> 09:42:07.
        assert_eq!((r.wait_ms, r.talk_ms, r.wrap_ms), (6_000, 120_000, 10_000));
    }

    #[test]
    fn voicemail_after_a_missed_offer() {
        let r = morning_calls().get(call(8)).unwrap().clone();
        assert_eq!(r.outcome, Some(Outcome::Voicemail));
        assert_eq!((r.offers, r.missed_offers), (1, 1));
        // Waited 09:50:01 -> 09:52:01, when it went to voicemail.
        assert_eq!((r.wait_ms, r.answered_at), (120_000, None));
    }

    #[test]
    fn a_callback_answered_is_answered_and_one_that_failed_is_a_callback() {
        let calls = morning_calls();
        let r = calls.get(call(9)).unwrap();
        assert!(r.callback);
        assert_eq!(r.outcome, Some(Outcome::Answered));
        // The place is kept: 10:00:01 -> 10:10:11 = 610 s.
        assert_eq!(
            (r.wait_ms, r.talk_ms, r.wrap_ms),
            (610_000, 120_000, 10_000)
        );
        let r = calls.get(call(10)).unwrap();
        assert!(r.callback);
        assert_eq!(r.outcome, Some(Outcome::Callback));
        assert_eq!(
            (r.end_reason, r.ended_by),
            (Some(EndReason::Failed), Some(Party::System))
        );
        // Still waiting (for the callback) from 10:20:01 until the end at 10:30:05.
        assert_eq!(r.wait_ms, 604_000);
    }

    #[test]
    fn one_row_per_call_in_order_of_arrival_and_unreadable_events_are_ignored() {
        let calls = morning_calls();
        let order: Vec<_> = calls.rows().iter().map(|r| r.call).collect();
        assert_eq!(
            order,
            [1, 2, 3, 6, 4, 5, 7, 8, 9, 10].map(call),
            "call 6 arrived at 09:14:45, before call 4"
        );
        assert!(
            calls.live.is_empty() && calls.wraps.is_empty(),
            "nothing left open"
        );
    }

    #[test]
    fn a_warm_transfer_holds_the_caller_during_the_consult() {
        let (c, a1, a2) = (call(20), agent(A1), agent(A2));
        let mut h = History::default();
        h.arrive(c, t("11:00:00"))
            .queue(c, t("11:00:00"), "sales")
            .offer(c, t("11:00:01"), a1, "sales")
            .answer(c, t("11:00:05"), a1, 5_000)
            .call(
                c,
                t("11:01:05"),
                CallEvent::ConsultStarted {
                    by: a1,
                    to: TransferTarget::Agent { agent: a2 },
                },
            )
            .agent(a2, t("11:01:06"), AgentEvent::Busy { call: c })
            .call(
                c,
                t("11:01:35"),
                CallEvent::Transferred {
                    kind: TransferKind::Warm,
                    from: a1,
                    to: TransferTarget::Agent { agent: a2 },
                    notes: None,
                },
            )
            .end(c, t("11:02:35"), Party::Caller, EndReason::Completed);
        let mut calls = Calls::new(MetricRules::default());
        h.fold(&mut calls);
        let r = calls.get(c).unwrap();
        // Connected 11:00:05 -> 11:02:35 = 150 s; held during the consult 11:01:05 ->
        // 11:01:35 = 30 s; talk 120 s.
        assert_eq!((r.talk_ms, r.hold_ms, r.transfers), (120_000, 30_000, 1));
        assert_eq!(r.agents, vec![a1, a2]);
    }

    #[test]
    fn hanging_up_in_the_ivr_is_not_an_abandon() {
        let c = call(21);
        let mut h = History::default();
        h.arrive(c, t("11:00:00"))
            .end(c, t("11:00:09"), Party::Caller, EndReason::Abandoned);
        let mut calls = Calls::new(MetricRules::default());
        h.fold(&mut calls);
        assert_eq!(calls.get(c).unwrap().outcome, Some(Outcome::IvrHangUp));
        assert_eq!(calls.get(c).unwrap().wait_ms, 0);
    }

    #[test]
    fn applying_twice_changes_nothing_and_halves_equal_one_pass() {
        check_idempotent_and_incremental(|| Calls::new(MetricRules::default()));
        assert_eq!(Calls::new(MetricRules::default()).name(), "calls");
        let _ = A3;
    }
}
