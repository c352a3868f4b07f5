//! One simulated call's state: who is on it, how the caller's clocks stand, and what the
//! caller, the callee or a ringing phone will do next on its own.
//!
//! This is plain synchronous code over explicit instants; the network drives it from the
//! call's task (timers) and from commands. After every change [`SimCall::settle`] restores
//! the two clocks' invariants, so no command has to remember them:
//! - the caller's patience runs exactly while nobody is connected (and not while dialing or
//!   leaving a message);
//! - the talk clock runs exactly while an agent is connected and the caller is not on hold,
//!   or while the caller leaves a voicemail message (recording on, nobody connected): the
//!   caller says what they called to say, then hangs up.

use std::sync::Arc;
use std::time::Duration;

use hotline_events::{AgentId, CallId};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::SimStats;
use super::dist::{MAX_SECS, duration};
use crate::telephony::{DialFailure, NetworkReport, TelephonyError};

/// How long a caller takes to key one digit.
pub const DIGIT_INTERVAL: Duration = Duration::from_secs(1);

/// What a ringing agent will do, drawn when the ring starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RingOutcome {
    Answers,
    Declines,
}

/// How an `originate` ends, decided when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DialOutcome {
    Answered,
    Failed(DialFailure),
}

/// Where a call stands, for the live counts of [`SimStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Dialing,
    Waiting,
    Talking,
    OnHold,
    /// Recording with nobody connected: the caller leaves a voicemail message.
    Message,
}

#[derive(Debug, Clone, Copy)]
struct Leg {
    agent: AgentId,
    state: LegState,
}

#[derive(Debug, Clone, Copy)]
enum LegState {
    /// The phone rings until `stops_at` (the ring's timeout); `outcome` is what the person
    /// does before that, and when. `None`: it rings out.
    Ringing {
        outcome: Option<(Instant, RingOutcome)>,
        stops_at: Instant,
    },
    /// Picked up, not yet bridged.
    Answered,
    /// In the conversation.
    Connected,
}

/// The next thing due on a call. Things due at the same instant happen in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Dial,
    Digits,
    Ring(usize),
    CallerLeaves,
}

/// Which firsts a bridge was, for the counts of [`SimStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Firsts {
    pub(crate) answer: bool,
    pub(crate) bridge: bool,
}

/// A digit collection in progress: `take` digits reported at `at`, or a timeout if 0.
#[derive(Debug, Clone, Copy)]
struct Collect {
    at: Instant,
    take: usize,
}

/// One call on the simulated network. Kept small (about two hundred bytes, plus a leg per
/// ringing or connected agent), since a load run holds a hundred thousand of them.
#[derive(Debug)]
pub(crate) struct SimCall {
    /// Wakes the call's task when a command changed what is due.
    pub(crate) wake: Arc<Notify>,
    answered: bool,
    recording: bool,
    held: bool,
    ever_bridged: bool,
    /// An `originate` not yet answered or failed.
    dialing: Option<(Instant, DialOutcome)>,
    /// How long the caller waits for an agent, each time they are left without one.
    patience: Duration,
    gives_up_at: Option<Instant>,
    /// Conversation left while the talk clock is stopped.
    talk_left: Duration,
    talk_ends_at: Option<Instant>,
    /// What the caller will key, and how much of it (bytes) earlier collections took.
    digits: Option<Box<str>>,
    digits_used: usize,
    collect: Option<Collect>,
    legs: Vec<Leg>,
}

impl SimCall {
    /// A caller who dialed in at `now`.
    pub(crate) fn inbound(
        wake: Arc<Notify>,
        now: Instant,
        patience: Duration,
        talk: Duration,
        digits: Option<Box<str>>,
    ) -> Self {
        let mut call = Self::new(wake, None, patience, talk, digits);
        call.settle(now);
        call
    }

    /// A number dialed at the center's request; `outcome` happens at `at`.
    pub(crate) fn outbound(
        wake: Arc<Notify>,
        at: Instant,
        outcome: DialOutcome,
        patience: Duration,
        talk: Duration,
    ) -> Self {
        Self::new(wake, Some((at, outcome)), patience, talk, None)
    }

    fn new(
        wake: Arc<Notify>,
        dialing: Option<(Instant, DialOutcome)>,
        patience: Duration,
        talk: Duration,
        digits: Option<Box<str>>,
    ) -> Self {
        Self {
            wake,
            answered: false,
            recording: false,
            held: false,
            ever_bridged: false,
            dialing,
            patience,
            gives_up_at: None,
            talk_left: talk,
            talk_ends_at: None,
            digits,
            digits_used: 0,
            collect: None,
            legs: Vec::new(),
        }
    }

    pub(crate) fn phase(&self) -> Phase {
        if self.dialing.is_some() {
            Phase::Dialing
        } else if !self.connected() {
            if self.recording {
                Phase::Message
            } else {
                Phase::Waiting
            }
        } else if self.held {
            Phase::OnHold
        } else {
            Phase::Talking
        }
    }

    /// Refuses commands that need the caller on the line while an `originate` still dials.
    pub(crate) fn on_line(&self, call: CallId) -> Result<(), TelephonyError> {
        if self.dialing.is_some() {
            Err(TelephonyError::StillDialing(call))
        } else {
            Ok(())
        }
    }

    /// Marks the call answered; true the first time.
    pub(crate) fn answer(&mut self) -> bool {
        !std::mem::replace(&mut self.answered, true)
    }

    /// Turns recording on or off; true if it was off and is now on. Recording a caller
    /// nobody is connected to is voicemail: the caller starts their message.
    pub(crate) fn record(&mut self, now: Instant, on: bool) -> bool {
        let started = on && !std::mem::replace(&mut self.recording, on);
        self.settle(now);
        started
    }

    /// Starts a digit collection. The caller keys the script's next digits (at most
    /// `max_digits`), one per [`DIGIT_INTERVAL`], then ends the entry; with nothing left to
    /// key, or too slow for `timeout`, the collection times out.
    pub(crate) fn collect_digits(&mut self, now: Instant, max_digits: u8, timeout: Duration) {
        let left = self
            .digits
            .as_deref()
            .map_or("", |d| &d[self.digits_used..]);
        let take = left.chars().take(usize::from(max_digits)).count();
        let keying = DIGIT_INTERVAL.saturating_mul(u32::try_from(take).unwrap_or(u32::MAX));
        self.collect = Some(if take > 0 && keying <= timeout {
            Collect {
                at: deadline(now, keying),
                take,
            }
        } else {
            Collect {
                at: deadline(now, timeout),
                take: 0,
            }
        });
    }

    /// Whether `agent` has a leg on the call (ringing, answered or connected).
    pub(crate) fn has_leg(&mut self, now: Instant, agent: AgentId) -> bool {
        self.prune(now);
        self.legs.iter().any(|leg| leg.agent == agent)
    }

    /// Rings `agent`'s phone until `timeout`; `outcome` is what the person will do and after
    /// how long (ignored if that is not before the timeout: the phone will have stopped).
    pub(crate) fn ring(
        &mut self,
        now: Instant,
        agent: AgentId,
        timeout: Duration,
        outcome: Option<(Duration, RingOutcome)>,
    ) {
        let stops_at = deadline(now, timeout);
        let outcome = outcome.and_then(|(delay, what)| {
            let at = deadline(now, delay);
            (at < stops_at).then_some((at, what))
        });
        self.legs.push(Leg {
            agent,
            state: LegState::Ringing { outcome, stops_at },
        });
    }

    /// A person picks up `agent`'s ringing phone now (a human at the agent desk, not the
    /// model). False if that phone is not ringing on this call.
    pub(crate) fn pick_up(&mut self, now: Instant, agent: AgentId) -> bool {
        self.prune(now);
        for leg in &mut self.legs {
            if leg.agent == agent
                && let LegState::Ringing { outcome, stops_at } = &mut leg.state
                && now < *stops_at
                && !matches!(outcome, Some((at, RingOutcome::Answers)) if *at <= now)
            {
                *outcome = Some((now, RingOutcome::Answers));
                return true;
            }
        }
        false
    }

    /// Stops a ring (or hangs up a picked-up phone not yet bridged). A connected agent, or
    /// one with no leg, is left alone.
    pub(crate) fn stop_ringing(&mut self, agent: AgentId) {
        self.legs
            .retain(|leg| leg.agent != agent || matches!(leg.state, LegState::Connected));
    }

    /// Connects `agent` with the caller (which answers the call, if the system had not).
    pub(crate) fn bridge(
        &mut self,
        call: CallId,
        now: Instant,
        agent: AgentId,
    ) -> Result<Firsts, TelephonyError> {
        self.on_line(call)?;
        if let Some(other) = self.connected_agents().find(|a| *a != agent) {
            return Err(TelephonyError::AlreadyBridged { call, agent: other });
        }
        self.connect(agent);
        self.settle(now);
        Ok(Firsts {
            answer: self.answer(),
            bridge: !std::mem::replace(&mut self.ever_bridged, true),
        })
    }

    /// Adds `agent` to a conversation in progress; everyone talks, so a hold ends.
    pub(crate) fn conference(
        &mut self,
        call: CallId,
        now: Instant,
        agent: AgentId,
    ) -> Result<(), TelephonyError> {
        self.require_connected(call)?;
        self.connect(agent);
        self.held = false;
        self.settle(now);
        Ok(())
    }

    /// Removes `agent`'s leg, whatever its state. With nobody left, the caller waits again.
    pub(crate) fn drop_agent(
        &mut self,
        call: CallId,
        now: Instant,
        agent: AgentId,
    ) -> Result<(), TelephonyError> {
        let before = self.legs.len();
        self.legs.retain(|leg| leg.agent != agent);
        if self.legs.len() == before {
            return Err(TelephonyError::AgentNotOnCall { call, agent });
        }
        self.settle(now);
        Ok(())
    }

    pub(crate) fn hold(&mut self, call: CallId, now: Instant) -> Result<(), TelephonyError> {
        self.require_connected(call)?;
        self.held = true;
        self.settle(now);
        Ok(())
    }

    pub(crate) fn resume(&mut self, now: Instant) {
        self.held = false;
        self.settle(now);
    }

    /// When the call's task must next look at it.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.next_due().map(|(at, _)| at)
    }

    /// Does everything due by `now`, earliest first, pushing the reports to `out`. Returns
    /// true when the call is over (the caller hung up, or the dial failed).
    pub(crate) fn fire(
        &mut self,
        call: CallId,
        now: Instant,
        stats: &mut SimStats,
        out: &mut Vec<NetworkReport>,
    ) -> bool {
        self.prune(now);
        while let Some((at, due)) = self.next_due() {
            if at > now {
                break;
            }
            match due {
                Due::Dial => {
                    let outcome = self.dialing.take().map(|(_, outcome)| outcome);
                    if let Some(DialOutcome::Failed(reason)) = outcome {
                        stats.dial_failures += 1;
                        out.push(NetworkReport::DialFailed { call, reason });
                        return true;
                    }
                    stats.dial_answers += 1;
                    self.answered = true;
                    self.settle(at);
                    out.push(NetworkReport::CalleeAnswered { call });
                }
                Due::Digits => {
                    let take = self.collect.take().map_or(0, |c| c.take);
                    out.push(match self.take_digits(take) {
                        Some(digits) => NetworkReport::Digits { call, digits },
                        None => NetworkReport::DigitsTimedOut { call },
                    });
                }
                Due::Ring(i) => {
                    let Some(leg) = self.legs.get_mut(i) else {
                        break;
                    };
                    let agent = leg.agent;
                    match leg.state {
                        LegState::Ringing {
                            outcome: Some((_, RingOutcome::Answers)),
                            ..
                        } => {
                            leg.state = LegState::Answered;
                            stats.ring_answers += 1;
                            out.push(NetworkReport::AgentAnswered { call, agent });
                        }
                        _ => {
                            self.legs.remove(i);
                            stats.ring_declines += 1;
                            out.push(NetworkReport::AgentDeclined { call, agent });
                        }
                    }
                }
                Due::CallerLeaves => {
                    if self.talk_ends_at.is_some() {
                        stats.completed += 1;
                    } else {
                        stats.abandoned += 1;
                    }
                    out.push(NetworkReport::CallerHungUp { call });
                    return true;
                }
            }
        }
        false
    }

    /// The earliest thing due, ties broken in [`Due`]'s order.
    fn next_due(&self) -> Option<(Instant, Due)> {
        let mut next: Option<(Instant, Due)> = None;
        let mut offer = |at: Instant, due: Due| {
            if next.is_none_or(|(earliest, _)| at < earliest) {
                next = Some((at, due));
            }
        };
        if let Some((at, _)) = self.dialing {
            offer(at, Due::Dial);
        }
        if let Some(collect) = self.collect {
            offer(collect.at, Due::Digits);
        }
        for (i, leg) in self.legs.iter().enumerate() {
            if let LegState::Ringing {
                outcome: Some((at, _)),
                ..
            } = leg.state
            {
                offer(at, Due::Ring(i));
            }
        }
        if let Some(at) = self.gives_up_at.or(self.talk_ends_at) {
            offer(at, Due::CallerLeaves);
        }
        next
    }

    /// Restores the clocks' invariants (see the module doc) after a change at `now`.
    fn settle(&mut self, now: Instant) {
        let connected = self.connected();
        if !connected {
            self.held = false;
        }
        let message = !connected && self.recording && self.dialing.is_none();
        let talking = (connected && !self.held) || message;
        match (self.talk_ends_at, talking) {
            (Some(end), false) => {
                self.talk_left = end.saturating_duration_since(now);
                self.talk_ends_at = None;
            }
            (None, true) => self.talk_ends_at = Some(deadline(now, self.talk_left)),
            _ => {}
        }
        let waiting = !connected && !message && self.dialing.is_none();
        match (self.gives_up_at, waiting) {
            (Some(_), false) => self.gives_up_at = None,
            (None, true) => self.gives_up_at = Some(deadline(now, self.patience)),
            _ => {}
        }
    }

    fn connected(&self) -> bool {
        self.connected_agents().next().is_some()
    }

    fn connected_agents(&self) -> impl Iterator<Item = AgentId> + '_ {
        self.legs
            .iter()
            .filter(|leg| matches!(leg.state, LegState::Connected))
            .map(|leg| leg.agent)
    }

    fn require_connected(&self, call: CallId) -> Result<(), TelephonyError> {
        self.on_line(call)?;
        if self.connected() {
            Ok(())
        } else {
            Err(TelephonyError::NotConnected(call))
        }
    }

    /// Puts `agent` in the conversation, whether its phone rang first or not.
    fn connect(&mut self, agent: AgentId) {
        match self.legs.iter_mut().find(|leg| leg.agent == agent) {
            Some(leg) => leg.state = LegState::Connected,
            None => self.legs.push(Leg {
                agent,
                state: LegState::Connected,
            }),
        }
    }

    /// Forgets rings that have rung out by `now`.
    fn prune(&mut self, now: Instant) {
        self.legs.retain(|leg| match leg.state {
            LegState::Ringing {
                outcome: None,
                stops_at,
            } => stops_at > now,
            _ => true,
        });
    }

    /// The script's next `take` digits (consumed: a later collection gets the ones after).
    fn take_digits(&mut self, take: usize) -> Option<String> {
        let left = self
            .digits
            .as_deref()
            .map_or("", |d| &d[self.digits_used..]);
        let taken: String = left.chars().take(take).collect();
        if taken.is_empty() {
            return None;
        }
        self.digits_used += taken.len();
        Some(taken)
    }
}

/// `now + after`, never overflowing: waits are cut to [`MAX_SECS`] (a timeout of
/// `Duration::MAX` means "a very long time", not a panic).
pub(crate) fn deadline(now: Instant, after: Duration) -> Instant {
    now + after.min(duration(MAX_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn waiting_call(t0: Instant) -> SimCall {
        SimCall::inbound(
            Arc::new(Notify::new()),
            t0,
            secs(60),
            secs(100),
            Some("12".into()),
        )
    }

    fn fire_at(call: &mut SimCall, at: Instant) -> (Vec<NetworkReport>, bool) {
        let mut out = Vec::new();
        let over = call.fire(CallId::generate(), at, &mut SimStats::default(), &mut out);
        (out, over)
    }

    #[test]
    fn hold_stops_the_talk_clock_and_resume_restarts_it() {
        let t0 = Instant::now();
        let id = CallId::generate();
        let agent = AgentId::generate();
        let mut call = waiting_call(t0);
        assert_eq!(call.next_deadline(), Some(t0 + secs(60)));
        call.bridge(id, t0 + secs(10), agent).unwrap();
        assert_eq!(call.phase(), Phase::Talking);
        assert_eq!(call.next_deadline(), Some(t0 + secs(110)));
        call.hold(id, t0 + secs(40)).unwrap();
        assert_eq!(call.phase(), Phase::OnHold);
        assert_eq!(call.next_deadline(), None);
        call.resume(t0 + secs(70));
        assert_eq!(call.next_deadline(), Some(t0 + secs(140)));
    }

    #[test]
    fn a_caller_left_alone_waits_with_fresh_patience() {
        let t0 = Instant::now();
        let id = CallId::generate();
        let agent = AgentId::generate();
        let mut call = waiting_call(t0);
        call.bridge(id, t0, agent).unwrap();
        call.drop_agent(id, t0 + secs(30), agent).unwrap();
        assert_eq!(call.phase(), Phase::Waiting);
        assert_eq!(call.next_deadline(), Some(t0 + secs(90)));
        call.bridge(id, t0 + secs(40), agent).unwrap();
        // 70 s of the 100 s conversation were left.
        assert_eq!(call.next_deadline(), Some(t0 + secs(110)));
    }

    #[test]
    fn a_caller_sent_to_voicemail_talks_then_hangs_up() {
        let t0 = Instant::now();
        let id = CallId::generate();
        let mut call = waiting_call(t0);
        assert!(call.record(t0 + secs(10), true));
        assert_eq!(call.phase(), Phase::Message);
        // The 100 s message replaces the patience: the caller hangs up when done.
        assert_eq!(call.next_deadline(), Some(t0 + secs(110)));
        let mut stats = SimStats::default();
        let mut out = Vec::new();
        assert!(call.fire(id, t0 + secs(110), &mut stats, &mut out));
        assert!(matches!(&out[..], [NetworkReport::CallerHungUp { .. }]));
        assert_eq!((stats.completed, stats.abandoned), (1, 0));
    }

    #[test]
    fn digits_are_consumed_by_successive_collections() {
        let t0 = Instant::now();
        let mut call = waiting_call(t0);
        call.collect_digits(t0, 1, secs(5));
        assert_eq!(call.next_deadline(), Some(t0 + secs(1)));
        let (reports, _) = fire_at(&mut call, t0 + secs(1));
        assert!(matches!(&reports[..], [NetworkReport::Digits { digits, .. }] if digits == "1"));
        call.collect_digits(t0 + secs(1), 4, secs(5));
        let (reports, _) = fire_at(&mut call, t0 + secs(2));
        assert!(matches!(&reports[..], [NetworkReport::Digits { digits, .. }] if digits == "2"));
        call.collect_digits(t0 + secs(2), 4, secs(5));
        assert_eq!(call.next_deadline(), Some(t0 + secs(7)));
        let (reports, _) = fire_at(&mut call, t0 + secs(7));
        assert!(matches!(
            &reports[..],
            [NetworkReport::DigitsTimedOut { .. }]
        ));
    }

    #[test]
    fn too_slow_a_caller_times_out() {
        let t0 = Instant::now();
        let mut call = waiting_call(t0);
        call.collect_digits(t0, 2, secs(1));
        assert_eq!(call.next_deadline(), Some(t0 + secs(1)));
        let (reports, _) = fire_at(&mut call, t0 + secs(1));
        assert!(matches!(
            &reports[..],
            [NetworkReport::DigitsTimedOut { .. }]
        ));
    }

    #[test]
    fn an_answer_after_the_ring_timeout_never_comes() {
        let t0 = Instant::now();
        let agent = AgentId::generate();
        let mut call = waiting_call(t0);
        call.ring(t0, agent, secs(20), Some((secs(25), RingOutcome::Answers)));
        assert_eq!(call.next_deadline(), Some(t0 + secs(60)));
        assert!(call.has_leg(t0 + secs(19), agent));
        assert!(!call.has_leg(t0 + secs(20), agent));
    }

    #[test]
    fn commands_on_the_wrong_call_state_are_refused() {
        let t0 = Instant::now();
        let id = CallId::generate();
        let (a, b) = (AgentId::generate(), AgentId::generate());
        let mut call = waiting_call(t0);
        assert_eq!(call.hold(id, t0), Err(TelephonyError::NotConnected(id)));
        assert_eq!(
            call.conference(id, t0, a),
            Err(TelephonyError::NotConnected(id))
        );
        assert_eq!(
            call.drop_agent(id, t0, a),
            Err(TelephonyError::AgentNotOnCall { call: id, agent: a })
        );
        call.bridge(id, t0, a).unwrap();
        assert_eq!(
            call.bridge(id, t0, a),
            Ok(Firsts {
                answer: false,
                bridge: false
            })
        );
        assert_eq!(
            call.bridge(id, t0, b),
            Err(TelephonyError::AlreadyBridged { call: id, agent: a })
        );
        let mut dialing = SimCall::outbound(
            Arc::new(Notify::new()),
            t0 + secs(5),
            DialOutcome::Answered,
            secs(60),
            secs(60),
        );
        assert_eq!(dialing.phase(), Phase::Dialing);
        assert_eq!(
            dialing.bridge(id, t0, a),
            Err(TelephonyError::StillDialing(id))
        );
    }
}
