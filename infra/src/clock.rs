//! The clock everything reads time from. It runs on tokio's time, so a simulation on a
//! runtime with paused time gets a virtual clock from the very same code.

use hotline_events::Timestamp;
use tokio::time::Instant;

/// Wall-clock time as an origin plus tokio's elapsed time since it.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Timestamp,
    since: Instant,
}

impl Clock {
    /// The system's time now, advancing with tokio's time.
    pub fn system() -> Self {
        Self::starting_at(Timestamp::from_datetime(chrono::Utc::now()))
    }

    /// A clock that reads `origin` now. On a runtime with paused time, it advances only as
    /// tokio's virtual time does.
    pub fn starting_at(origin: Timestamp) -> Self {
        Self {
            origin,
            since: Instant::now(),
        }
    }

    pub fn now(&self) -> Timestamp {
        let elapsed = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.origin.plus_millis(elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn on_paused_time_the_clock_advances_only_with_virtual_time() {
        let clock = Clock::starting_at(Timestamp::from_millis(1_000));
        assert_eq!(clock.now(), Timestamp::from_millis(1_000));
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(clock.now(), Timestamp::from_millis(3_601_000));
    }
}
