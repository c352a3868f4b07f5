//! Test histories: small, known sequences of events turned into [`Fact`]s with positions,
//! and `morning()`, the day most tests check their numbers against.

#![allow(clippy::unwrap_used)]

use std::ops::Range;

use hotline_events::{
    AgentEvent, AgentId, CallEvent, CallId, Channel, EndReason, Event, OfferMissReason,
    OverflowReason, Party, QueueId, Skill, StreamName, Timestamp, TransferKind, TransferTarget,
    VoicemailReason,
};

use crate::projection::{Fact, Projection};

pub(crate) fn call(n: u32) -> CallId {
    format!("00000000-0000-7000-8000-{n:012}").parse().unwrap()
}

pub(crate) fn agent(n: u32) -> AgentId {
    format!("00000000-0000-7000-a000-{n:012}").parse().unwrap()
}

pub(crate) fn q(name: &str) -> QueueId {
    QueueId::new(name).unwrap()
}

/// `hms` ("09:14:50") on 2026-11-24, UTC.
pub(crate) fn t(hms: &str) -> Timestamp {
    at(&format!("2026-11-24T{hms}Z"))
}

/// An RFC 3339 time.
pub(crate) fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse(rfc3339).unwrap()
}

/// Events in time order (events at the same time keep the order they were added in),
/// numbered from position 1 when folded.
#[derive(Debug, Default, Clone)]
pub(crate) struct History {
    events: Vec<(StreamName, Timestamp, Event)>,
}

impl History {
    pub fn push(&mut self, stream: StreamName, at: Timestamp, e: impl Into<Event>) -> &mut Self {
        let i = self.events.partition_point(|(_, t, _)| *t <= at);
        self.events.insert(i, (stream, at, e.into()));
        self
    }

    pub fn call(&mut self, c: CallId, at: Timestamp, e: CallEvent) -> &mut Self {
        self.push(c.stream(), at, e)
    }

    pub fn agent(&mut self, a: AgentId, at: Timestamp, e: AgentEvent) -> &mut Self {
        self.push(a.stream(), at, e)
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn fold<P: Projection>(&self, p: &mut P) {
        self.fold_range(p, 0..self.len());
    }

    /// Folds the events up to and including time `until`.
    pub fn fold_until<P: Projection>(&self, p: &mut P, until: Timestamp) {
        let n = self.events.partition_point(|(_, t, _)| *t <= until);
        self.fold_range(p, 0..n);
    }

    pub fn fold_range<P: Projection>(&self, p: &mut P, range: Range<usize>) {
        for i in range {
            let (stream, occurred_at, event) = &self.events[i];
            p.apply(&Fact::of(i as u64 + 1, stream, *occurred_at, event));
        }
    }

    pub fn log_in(&mut self, a: AgentId, at: Timestamp, queues: &[&str]) -> &mut Self {
        self.agent(
            a,
            at,
            AgentEvent::LoggedIn {
                name: format!("Agent {a}"),
                extension: None,
                skills: Vec::<Skill>::new(),
                queues: queues.iter().map(|n| q(n)).collect(),
            },
        )
    }

    pub fn arrive(&mut self, c: CallId, at: Timestamp) -> &mut Self {
        self.call(
            c,
            at,
            CallEvent::Arrived {
                number: "+18005550100".into(),
                caller: "+15555550123".into(),
                channel: Channel::Voice,
                customer: None,
            },
        )
    }

    pub fn queue(&mut self, c: CallId, at: Timestamp, queue: &str) -> &mut Self {
        self.call(
            c,
            at,
            CallEvent::Queued {
                queue: q(queue),
                priority: 0,
                skills: vec![],
            },
        )
    }

    /// The agent is reserved, then the call rings there.
    pub fn offer(&mut self, c: CallId, at: Timestamp, a: AgentId, queue: &str) -> &mut Self {
        self.agent(
            a,
            at,
            AgentEvent::Reserved {
                call: c,
                queue: q(queue),
            },
        )
        .call(
            c,
            at,
            CallEvent::Offered {
                agent: a,
                queue: q(queue),
                ring_timeout_ms: 15_000,
            },
        )
    }

    pub fn miss(&mut self, c: CallId, at: Timestamp, a: AgentId, r: OfferMissReason) -> &mut Self {
        self.call(
            c,
            at,
            CallEvent::OfferMissed {
                agent: a,
                reason: r,
            },
        )
        .agent(a, at, AgentEvent::OfferMissed { call: c, reason: r })
    }

    pub fn answer(&mut self, c: CallId, at: Timestamp, a: AgentId, waited_ms: u64) -> &mut Self {
        self.call(
            c,
            at,
            CallEvent::Answered {
                agent: a,
                waited_ms,
            },
        )
        .agent(a, at, AgentEvent::Busy { call: c })
    }

    pub fn end(&mut self, c: CallId, at: Timestamp, by: Party, reason: EndReason) -> &mut Self {
        self.call(c, at, CallEvent::Ended { by, reason })
    }

    pub fn wrap(
        &mut self,
        a: AgentId,
        c: CallId,
        from: Timestamp,
        to: Timestamp,
        disposition: Option<&str>,
    ) -> &mut Self {
        self.agent(
            a,
            from,
            AgentEvent::WrappingUp {
                call: c,
                limit_ms: 60_000,
            },
        )
        .agent(
            a,
            to,
            AgentEvent::WrapUpCompleted {
                call: c,
                disposition: disposition.map(str::to_owned),
                notes: None,
            },
        )
    }
}

pub(crate) const A1: u32 = 1;
pub(crate) const A2: u32 = 2;
pub(crate) const A3: u32 = 3;
pub(crate) const A4: u32 = 4;

/// A morning on 2026-11-24 (UTC) with queues `sales` (SL threshold 20 s) and `support`
/// (30 s): agents 1, 2 and 4 take sales calls, agent 3 support calls. Call `n` is
/// `call(n)`:
/// 1. answered after 8 s, 30 s on hold, 300 s connected, wrap-up 30 s (`sale`);
/// 2. abandoned after 45 s;
/// 3. a short abandon (3 s);
/// 4. answered in sales after 5 s, transferred blind to support after 180 s, answered
///    there after 30 s, 240 s more, wrap-ups 20 s (agent 2) and 30 s (agent 3);
/// 5. overflowed from sales to support, answered by agent 3 after 40 s, 180 s, wrap 20 s;
/// 6. queued at 09:14:50, answered at 09:15:20 (30 s), 180 s, wrap 30 s;
/// 7. ring-all to agents 1, 2 and 4: agent 2 answers after 6 s, the others miss
///    `answered_elsewhere`; 120 s, wrap 10 s;
/// 8. agent 4 lets it ring out (then auto-paused); voicemail after the 120 s maximum wait;
/// 9. a callback: requested after 30 s, dialed at 10:10:01, answered at 10:10:11 (610 s
///    after queueing), 120 s, wrap 10 s;
/// 10. a callback whose dial-back failed.
///
/// Plus an event this build cannot read, on a call stream and on an unknown stream.
pub(crate) fn morning() -> History {
    use EndReason as R;
    use OfferMissReason as M;
    use Party as P;
    let (a1, a2, a3, a4) = (agent(A1), agent(A2), agent(A3), agent(A4));
    let mut h = History::default();
    for (a, queues) in [
        (a1, &["sales"][..]),
        (a2, &["sales"]),
        (a3, &["support"]),
        (a4, &["sales"]),
    ] {
        h.log_in(a, t("08:55:00"), queues)
            .agent(a, t("08:58:00"), AgentEvent::Ready { by: None });
    }

    let c = call(1);
    h.arrive(c, t("09:00:00"))
        .queue(c, t("09:00:02"), "sales")
        .offer(c, t("09:00:03"), a1, "sales")
        .answer(c, t("09:00:10"), a1, 8_000)
        .call(c, t("09:02:00"), CallEvent::Held { by: a1 })
        .call(c, t("09:02:30"), CallEvent::Resumed { by: a1 })
        .end(c, t("09:05:10"), P::Caller, R::Completed)
        .agent(
            a1,
            t("09:05:10"),
            AgentEvent::WrappingUp {
                call: c,
                limit_ms: 60_000,
            },
        )
        .agent(
            a1,
            t("09:05:40"),
            AgentEvent::WrapUpCompleted {
                call: c,
                disposition: Some("sale".into()),
                notes: Some("upsold".into()),
            },
        );

    let c = call(2);
    h.arrive(c, t("09:01:00"))
        .queue(c, t("09:01:01"), "sales")
        .call(
            c,
            t("09:01:46"),
            CallEvent::Abandoned {
                queue: q("sales"),
                waited_ms: 45_000,
            },
        )
        .end(c, t("09:01:46"), P::Caller, R::Abandoned);

    let c = call(3);
    h.arrive(c, t("09:03:00"))
        .queue(c, t("09:03:01"), "sales")
        .call(
            c,
            t("09:03:04"),
            CallEvent::Abandoned {
                queue: q("sales"),
                waited_ms: 3_000,
            },
        )
        .end(c, t("09:03:04"), P::Caller, R::Abandoned);

    let c = call(4);
    h.arrive(c, t("09:20:00"))
        .queue(c, t("09:20:01"), "sales")
        .offer(c, t("09:20:02"), a2, "sales")
        .answer(c, t("09:20:06"), a2, 5_000)
        .call(
            c,
            t("09:23:06"),
            CallEvent::Transferred {
                kind: TransferKind::Blind,
                from: a2,
                to: TransferTarget::Queue {
                    queue: q("support"),
                },
                notes: Some("billing question".into()),
            },
        )
        .wrap(a2, c, t("09:23:06"), t("09:23:26"), None)
        .queue(c, t("09:23:07"), "support")
        .offer(c, t("09:23:08"), a3, "support")
        .answer(c, t("09:23:37"), a3, 30_000)
        .end(c, t("09:27:37"), P::Agent, R::Completed)
        .wrap(a3, c, t("09:27:37"), t("09:28:07"), Some("resolved"));

    let c = call(5);
    h.arrive(c, t("09:30:00"))
        .queue(c, t("09:30:01"), "sales")
        .call(
            c,
            t("09:30:31"),
            CallEvent::Overflowed {
                from: q("sales"),
                to: q("support"),
                reason: OverflowReason::WaitedTooLong,
            },
        )
        .offer(c, t("09:30:32"), a3, "support")
        .answer(c, t("09:30:41"), a3, 40_000)
        .end(c, t("09:33:41"), P::Caller, R::Completed)
        .wrap(a3, c, t("09:33:41"), t("09:34:01"), None);

    let c = call(6);
    h.arrive(c, t("09:14:45"))
        .queue(c, t("09:14:50"), "sales")
        .offer(c, t("09:15:10"), a1, "sales")
        .answer(c, t("09:15:20"), a1, 30_000)
        .end(c, t("09:18:20"), P::Agent, R::Completed)
        .wrap(a1, c, t("09:18:20"), t("09:18:50"), None);

    let c = call(7);
    h.arrive(c, t("09:40:00")).queue(c, t("09:40:01"), "sales");
    for a in [a1, a2, a4] {
        h.offer(c, t("09:40:02"), a, "sales");
    }
    h.answer(c, t("09:40:07"), a2, 6_000)
        .miss(c, t("09:40:07"), a1, M::AnsweredElsewhere)
        .miss(c, t("09:40:07"), a4, M::AnsweredElsewhere)
        .end(c, t("09:42:07"), P::Caller, R::Completed)
        .wrap(a2, c, t("09:42:07"), t("09:42:17"), None);

    let c = call(8);
    h.arrive(c, t("09:50:00"))
        .queue(c, t("09:50:01"), "sales")
        .offer(c, t("09:50:02"), a4, "sales")
        .miss(c, t("09:50:17"), a4, M::NoAnswer)
        .agent(
            a4,
            t("09:50:17"),
            AgentEvent::NotReady {
                reason: "auto_pause".into(),
                by: None,
            },
        )
        .call(
            c,
            t("09:52:01"),
            CallEvent::SentToVoicemail {
                queue: q("sales"),
                reason: VoicemailReason::MaxWait,
            },
        )
        .end(c, t("09:52:31"), P::Caller, R::Voicemail)
        .agent(a4, t("10:00:00"), AgentEvent::Ready { by: None })
        .agent(
            a4,
            t("10:45:00"),
            AgentEvent::LoggedOut {
                reason: None,
                by: None,
            },
        );

    let c = call(9);
    let number = "+15555550123".to_owned();
    h.arrive(c, t("10:00:00"))
        .queue(c, t("10:00:01"), "sales")
        .call(
            c,
            t("10:00:31"),
            CallEvent::CallbackRequested {
                queue: q("sales"),
                number: number.clone(),
            },
        )
        .call(
            c,
            t("10:10:01"),
            CallEvent::CallbackDialed {
                number: number.clone(),
            },
        )
        .offer(c, t("10:10:01"), a1, "sales")
        .answer(c, t("10:10:11"), a1, 610_000)
        .end(c, t("10:12:11"), P::Agent, R::Completed)
        .wrap(a1, c, t("10:12:11"), t("10:12:21"), None);

    let c = call(10);
    h.arrive(c, t("10:20:00"))
        .queue(c, t("10:20:01"), "sales")
        .call(
            c,
            t("10:20:11"),
            CallEvent::CallbackRequested {
                queue: q("sales"),
                number: number.clone(),
            },
        )
        .call(c, t("10:30:00"), CallEvent::CallbackDialed { number })
        .end(c, t("10:30:05"), P::System, R::Failed);

    h.push(
        call(1).stream(),
        t("10:40:00"),
        Event::decode("call", "teleported", 1, r#"{"to":"mars"}"#),
    )
    .push(
        StreamName::parse("robot-1").unwrap(),
        t("10:40:00"),
        Event::decode("robot", "beeped", 1, "{}"),
    );
    h
}

/// Checks the two properties every projection keeps on `morning()`: applying the same
/// facts again changes nothing, and folding in two halves equals folding in one pass.
#[track_caller]
pub(crate) fn check_idempotent_and_incremental<P>(fresh: impl Fn() -> P)
where
    P: Projection + PartialEq + std::fmt::Debug + Clone,
{
    let h = morning();
    let mut once = fresh();
    h.fold(&mut once);
    assert_eq!(once.position(), h.len() as u64);

    let mut twice = once.clone();
    h.fold(&mut twice);
    assert_eq!(twice, once, "the same facts again change nothing");

    for cut in [1, h.len() / 3, h.len() / 2, h.len() - 1] {
        let mut halves = fresh();
        h.fold_range(&mut halves, 0..cut);
        // A restart re-delivers a few facts before the checkpoint.
        h.fold_range(&mut halves, cut.saturating_sub(3)..h.len());
        assert_eq!(halves, once, "two halves cut at {cut} equal one pass");
    }
}
