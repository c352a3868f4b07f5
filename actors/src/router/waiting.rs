//! The waiting calls of every queue, in line order: the durable part of the router's
//! state, folded from its `queue-<id>` streams (plus the agents who missed each call,
//! which the shell reports and the log does not hold).

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use hotline_events::{AgentId, CallId, QueueId, SkillName, Timestamp};

/// Where a call stands in line: higher priority first, then earlier enqueue time, then
/// enqueue order (for two calls of the same millisecond). A callback keeps its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    priority: Reverse<u8>,
    since: Timestamp,
    seq: u64,
}

/// One waiting call.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub call: CallId,
    pub queue: QueueId,
    pub priority: u8,
    /// Skills the call needs beyond its queue's.
    pub skills: Vec<SkillName>,
    /// When it joined the line; its wait is measured from here.
    pub since: Timestamp,
    pub place: Place,
    /// The number to call back, once the caller asked for it.
    pub callback: Option<String>,
    /// Whether the callback was dialed (`CallbackDialed` is emitted once).
    pub dialed: bool,
    /// Queues whose agents may also take this call.
    pub overflowed: Vec<QueueId>,
    /// When its position was last announced (`PositionEstimated`).
    pub announced: Option<Timestamp>,
    /// Agents whose offer of this call ended unanswered (volatile: from the shell).
    pub missed: Vec<AgentId>,
}

/// Every waiting call, across queues.
#[derive(Debug, Default)]
pub struct Line {
    calls: HashMap<CallId, Waiting>,
    /// All queues together: the order in which Dispatch serves calls.
    order: BTreeMap<Place, CallId>,
    /// Per queue: the order positions are counted in.
    queues: HashMap<QueueId, BTreeMap<Place, CallId>>,
    /// Enqueue counter, for the tie-break of [`Place`]; advanced by the fold, so a
    /// rebuilt router gives the same places.
    seq: u64,
}

impl Line {
    pub fn get(&self, call: &CallId) -> Option<&Waiting> {
        self.calls.get(call)
    }

    pub fn get_mut(&mut self, call: &CallId) -> Option<&mut Waiting> {
        self.calls.get_mut(call)
    }

    /// The place the next call enqueued at `since` with `priority` would get.
    pub fn next_place(&self, priority: u8, since: Timestamp) -> Place {
        Place {
            priority: Reverse(priority),
            since,
            seq: self.seq + 1,
        }
    }

    /// The 1-based position `place` has (or would have) in `queue`.
    pub fn position(&self, queue: &QueueId, place: &Place) -> u32 {
        let ahead = self
            .queues
            .get(queue)
            .map_or(0, |line| line.range(..place).count());
        u32::try_from(ahead).unwrap_or(u32::MAX).saturating_add(1)
    }

    /// How many calls wait in `queue`.
    pub fn len(&self, queue: &QueueId) -> usize {
        self.queues.get(queue).map_or(0, BTreeMap::len)
    }

    /// The calls of `queue`, first in line first.
    pub fn in_queue<'a>(&'a self, queue: &QueueId) -> impl Iterator<Item = &'a Waiting> + 'a {
        self.queues
            .get(queue)
            .into_iter()
            .flat_map(BTreeMap::values)
            .filter_map(|call| self.calls.get(call))
    }

    /// Every call, first served first.
    pub fn all(&self) -> impl Iterator<Item = &Waiting> {
        self.order.values().filter_map(|call| self.calls.get(call))
    }

    /// A call joined `queue`. A call already waiting is moved (it cannot wait twice).
    pub fn join(
        &mut self,
        call: CallId,
        queue: QueueId,
        priority: u8,
        skills: Vec<SkillName>,
        since: Timestamp,
    ) {
        self.leave(&call);
        let place = self.next_place(priority, since);
        self.seq += 1;
        self.order.insert(place, call);
        self.queues
            .entry(queue.clone())
            .or_default()
            .insert(place, call);
        self.calls.insert(
            call,
            Waiting {
                call,
                queue,
                priority,
                skills,
                since,
                place,
                callback: None,
                dialed: false,
                overflowed: Vec::new(),
                announced: None,
                missed: Vec::new(),
            },
        );
    }

    pub fn leave(&mut self, call: &CallId) -> Option<Waiting> {
        let waiting = self.calls.remove(call)?;
        self.order.remove(&waiting.place);
        if let Some(line) = self.queues.get_mut(&waiting.queue) {
            line.remove(&waiting.place);
            if line.is_empty() {
                self.queues.remove(&waiting.queue);
            }
        }
        Some(waiting)
    }
}
