//! An entity's stream as its shell sees it: fold it into the state at start, append what
//! `decide` returned with the version the state says, so a second writer is a conflict.

use std::collections::BTreeMap;

use hotline_events::{Event, NewEvent, Recorded, StreamName, Timestamp};
use hotline_infra::{EventLog, ExpectedVersion, LogError};

use crate::decider::Decider;

/// Folds `stream` into `D`'s state. Events of another family or that this build cannot
/// read are skipped by `typed`, but still counted, so the version stays the stream's.
pub(crate) async fn load<D: Decider>(
    log: &dyn EventLog,
    stream: &StreamName,
    typed: impl Fn(Event) -> Option<D::Event>,
) -> Result<D::State, LogError>
where
    D::State: Versioned,
{
    load_onto::<D>(log, stream, D::State::default(), typed).await
}

/// [`load`] from `start` rather than the empty state: what the configuration says of an
/// entity before its first event (an agent of the center's file is on the roster).
pub(crate) async fn load_onto<D: Decider>(
    log: &dyn EventLog,
    stream: &StreamName,
    start: D::State,
    typed: impl Fn(Event) -> Option<D::Event>,
) -> Result<D::State, LogError>
where
    D::State: Versioned,
{
    let records = log.read_stream(stream, 1).await?;
    let mut state = start;
    for r in &records {
        match typed(r.event()) {
            Some(e) => state = D::evolve(state, &e, r.occurred_at),
            None => {
                tracing::warn!(stream = %stream, version = r.version, event_type = %r.event_type,
                    "an event this build cannot apply was skipped");
                state.set_version(r.version);
            }
        }
    }
    Ok(state)
}

/// Folds every stream of `category` (`recording`, `voicemail`…) into `D`'s state, reading
/// the whole log in pages: what a sweep over all such entities (a retention purge) starts
/// from. Events `typed` cannot read are counted in the version, as in [`load`].
pub(crate) async fn load_category<D: Decider>(
    log: &dyn EventLog,
    category: &'static str,
    typed: impl Fn(Event) -> Option<D::Event>,
) -> Result<BTreeMap<StreamName, D::State>, LogError>
where
    D::State: Versioned,
{
    let mut fold = CategoryFold::<D, _>::new(category, typed);
    each_event(log, |r| fold.apply(r)).await?;
    Ok(fold.into_states())
}

/// Feeds every event of the log, in order, to `f`, reading it in long pages: the one pass
/// a start or a sweep makes over the whole history.
pub(crate) async fn each_event(
    log: &dyn EventLog,
    mut f: impl FnMut(&Recorded),
) -> Result<(), LogError> {
    let mut from = 1;
    loop {
        let page = log.read_all(from, 10_000).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        from = last.position + 1;
        page.iter().for_each(&mut f);
    }
}

/// The states of every stream of one category, fed the log's events in order: the work of
/// [`load_category`], for a pass over the log that gathers other things too (the center's
/// start reads the log once for its calls, agents and recordings).
pub(crate) struct CategoryFold<D: Decider, F> {
    category: &'static str,
    typed: F,
    states: BTreeMap<StreamName, D::State>,
}

impl<D: Decider, F: Fn(Event) -> Option<D::Event>> CategoryFold<D, F>
where
    D::State: Versioned,
{
    pub(crate) fn new(category: &'static str, typed: F) -> Self {
        Self {
            category,
            typed,
            states: BTreeMap::new(),
        }
    }

    /// Evolves the state of `r`'s stream by it; events of other categories are ignored.
    pub(crate) fn apply(&mut self, r: &Recorded) {
        if r.stream.category() != self.category {
            return;
        }
        let state = self.states.entry(r.stream.clone()).or_default();
        let mut next = std::mem::take(state);
        match (self.typed)(r.event()) {
            Some(e) => next = D::evolve(next, &e, r.occurred_at),
            None => next.set_version(r.version),
        }
        *state = next;
    }

    pub(crate) fn into_states(self) -> BTreeMap<StreamName, D::State> {
        self.states
    }
}

/// States that count the version of their stream, even over events they skip.
pub(crate) trait Versioned {
    fn version(&self) -> u64;
    fn set_version(&mut self, version: u64);
}

/// Appends what `decide` returned to `stream`, expecting it at `state`'s version, then
/// evolves `state` by each event: the step every shell takes between deciding and acting.
pub(crate) async fn record<D: Decider>(
    log: &dyn EventLog,
    stream: &StreamName,
    state: &mut D::State,
    events: &[D::Event],
    now: Timestamp,
) -> Result<(), LogError>
where
    D::State: Versioned,
    D::Event: Into<Event>,
{
    append(log, stream, state.version(), events, now).await?;
    for e in events {
        *state = D::evolve(std::mem::take(state), e, now);
    }
    Ok(())
}

/// Decides `command` on `state`, then [`record`]s what was decided: the step every shell
/// takes before acting on the events it returns. A rejection is returned, not recorded;
/// when `decide` returns no events nothing is appended (an empty append is an error).
pub(crate) async fn decide_and_record<D: Decider>(
    log: &dyn EventLog,
    stream: &StreamName,
    state: &mut D::State,
    command: &D::Command,
    now: Timestamp,
) -> Result<Result<Vec<D::Event>, D::Rejection>, LogError>
where
    D::State: Versioned,
    D::Event: Into<Event>,
{
    let events = match D::decide(state, command, now) {
        Ok(events) => events,
        Err(rejection) => return Ok(Err(rejection)),
    };
    if !events.is_empty() {
        record::<D>(log, stream, state, &events, now).await?;
    }
    Ok(Ok(events))
}

/// Appends `events` to `stream`, expecting it at `version`.
pub(crate) async fn append<E: Clone + Into<Event>>(
    log: &dyn EventLog,
    stream: &StreamName,
    version: u64,
    events: &[E],
    now: Timestamp,
) -> Result<(), LogError> {
    let batch = events
        .iter()
        .map(|e| NewEvent::new(e.clone(), now))
        .collect();
    log.append(stream, ExpectedVersion::Exact(version), batch)
        .await
        .map(|_| ())
}
