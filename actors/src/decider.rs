//! The shape every entity's pure core has: `decide` what happens, `evolve` the state by
//! what happened. The actor shells are written once against it, and so are the
//! given-when-then tests.

use hotline_events::Timestamp;

/// A pure core: no I/O, no clock, no actor. Anything from outside (the time, what other
/// entities are doing) arrives inside the command.
pub trait Decider {
    type State: Default + Clone + std::fmt::Debug;
    type Command: std::fmt::Debug;
    type Event: Clone + std::fmt::Debug + PartialEq;
    type Rejection: std::error::Error + PartialEq;

    /// What happens when `command` meets `state` at `now`: the events to append, or why not.
    fn decide(
        state: &Self::State,
        command: &Self::Command,
        now: Timestamp,
    ) -> Result<Vec<Self::Event>, Self::Rejection>;

    /// The state after `event`, which happened at `at`. Cannot fail: events are facts.
    /// The time is the envelope's `occurred_at`; states keep it for waits and durations.
    fn evolve(state: Self::State, event: &Self::Event, at: Timestamp) -> Self::State;

    /// The fold of a whole history.
    fn fold<'a>(events: impl IntoIterator<Item = (&'a Self::Event, Timestamp)>) -> Self::State
    where
        Self::Event: 'a,
    {
        events
            .into_iter()
            .fold(Self::State::default(), |s, (e, at)| Self::evolve(s, e, at))
    }
}

/// Given-when-then tables for deciders: `given(events).when(command).then(events)`.
#[cfg(test)]
pub(crate) mod spec {
    use super::Decider;
    use hotline_events::Timestamp;

    /// The time every test history starts at; each given event is one second later.
    pub(crate) fn t0() -> Timestamp {
        Timestamp::parse("2026-11-24T09:00:00.000Z").expect("a valid time")
    }

    /// `secs` after [`t0`].
    pub(crate) fn at(secs: u64) -> Timestamp {
        t0().plus_millis(secs * 1000)
    }

    pub(crate) struct Given<D: Decider> {
        state: D::State,
        now: Timestamp,
    }

    /// A history: the events happened one second apart, starting at [`t0`].
    pub(crate) fn given<D: Decider>(events: impl IntoIterator<Item = D::Event>) -> Given<D> {
        let mut state = D::State::default();
        let mut now = t0();
        for e in events {
            state = D::evolve(state, &e, now);
            now = now.plus_millis(1000);
        }
        Given { state, now }
    }

    impl<D: Decider> Given<D> {
        /// Moves the clock: the command arrives at `at` instead of one second after the
        /// last event.
        pub(crate) fn at(mut self, at: Timestamp) -> Self {
            self.now = at;
            self
        }

        pub(crate) fn state(&self) -> &D::State {
            &self.state
        }

        pub(crate) fn when(self, command: D::Command) -> When<D> {
            let result = D::decide(&self.state, &command, self.now);
            When {
                result,
                state: self.state,
                now: self.now,
            }
        }
    }

    pub(crate) struct When<D: Decider> {
        result: Result<Vec<D::Event>, D::Rejection>,
        state: D::State,
        now: Timestamp,
    }

    impl<D: Decider> When<D> {
        /// The command is accepted with exactly these events; returns the state after them.
        #[track_caller]
        pub(crate) fn then(self, expected: impl IntoIterator<Item = D::Event>) -> D::State {
            let expected: Vec<D::Event> = expected.into_iter().collect();
            match self.result {
                Ok(events) => {
                    assert_eq!(events, expected, "events decided");
                    events
                        .iter()
                        .fold(self.state, |s, e| D::evolve(s, e, self.now))
                }
                Err(r) => panic!("expected {expected:?}, the command was rejected: {r}"),
            }
        }

        /// The command is refused for exactly this reason.
        #[track_caller]
        pub(crate) fn then_err(self, expected: D::Rejection) {
            match self.result {
                Ok(events) => panic!("expected rejection {expected:?}, got events {events:?}"),
                Err(r) => assert_eq!(r, expected, "rejection"),
            }
        }
    }
}
