//! The estimated wait announced to callers: recent handle times per queue and the
//! formula that turns a position into milliseconds.

use std::collections::VecDeque;

/// The last `capacity` handle times of one queue, with their running sum.
#[derive(Debug, Clone)]
pub struct HandleTimes {
    window: VecDeque<u64>,
    sum: u64,
    capacity: usize,
}

impl HandleTimes {
    /// A window of `capacity` calls (at least one).
    pub fn new(capacity: u32) -> HandleTimes {
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        HandleTimes {
            window: VecDeque::with_capacity(capacity.min(1024)),
            sum: 0,
            capacity,
        }
    }

    pub fn observe(&mut self, millis: u64) {
        if self.window.len() == self.capacity
            && let Some(oldest) = self.window.pop_front()
        {
            self.sum = self.sum.saturating_sub(oldest);
        }
        self.window.push_back(millis);
        self.sum = self.sum.saturating_add(millis);
    }

    /// The mean of the window, or `default` before any call was measured.
    pub fn mean(&self, default: u64) -> u64 {
        match self.window.len() {
            0 => default,
            n => self.sum / n as u64,
        }
    }
}

/// `ceil(position / max(staffed, 1)) × mean_handle_ms`.
///
/// An approximation, and a deliberately pessimistic one: it assumes the `staffed`
/// members work through the line in rounds of one full handle time each, and ignores
/// that the calls in progress are already part-way through (which would halve the first
/// round on average), agents in wrap-up or not ready, abandonment, other queues sharing
/// the same agents and overflow. Callers prefer being told too long to too short.
pub fn estimated_wait(position: u32, staffed: usize, mean_handle_ms: u64) -> u64 {
    let staffed = u64::try_from(staffed).unwrap_or(u64::MAX).max(1);
    u64::from(position)
        .div_ceil(staffed)
        .saturating_mul(mean_handle_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_covers_only_the_last_window_of_calls() {
        let mut h = HandleTimes::new(2);
        assert_eq!(h.mean(300), 300, "the default before any measure");
        h.observe(100);
        h.observe(200);
        h.observe(400);
        assert_eq!(h.mean(300), 300, "(200 + 400) / 2");
        h.observe(1000);
        assert_eq!(h.mean(0), 700);
    }

    #[test]
    fn the_wait_grows_by_one_handle_time_per_round_of_staff() {
        assert_eq!(estimated_wait(1, 3, 100), 100);
        assert_eq!(estimated_wait(3, 3, 100), 100);
        assert_eq!(estimated_wait(4, 3, 100), 200);
        assert_eq!(estimated_wait(2, 0, 100), 200, "no staff counts as one");
    }
}
