//! The thresholds the metrics depend on: each queue's service-level threshold, what counts
//! as a short abandon, and the time zone whose midnight starts "today" on the boards.

use chrono_tz::Tz;
use hotline_events::QueueId;
use hotline_infra::config::CenterConfig;

use crate::fast_map::FastMap;

/// The rules shared by the read models. Build them from the center's configuration with
/// [`MetricRules::from_config`]; the defaults are the trade's usual ones.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricRules {
    /// An abandon after a wait shorter than this is a short abandon (usually a wrong number
    /// or a caller who changed their mind), reported apart. Default 5 s.
    pub short_abandon_ms: u64,
    /// The service-level threshold of a queue the configuration does not name. Default 20 s.
    pub default_threshold_ms: u64,
    /// Counters "today" reset at midnight in this zone. Default UTC.
    pub time_zone: Tz,
    thresholds: FastMap<QueueId, u64>,
}

impl Default for MetricRules {
    fn default() -> Self {
        Self {
            short_abandon_ms: 5_000,
            default_threshold_ms: 20_000,
            time_zone: Tz::UTC,
            thresholds: FastMap::default(),
        }
    }
}

impl MetricRules {
    /// Each configured queue's service-level threshold; other rules at their defaults.
    pub fn from_config(config: &CenterConfig) -> Self {
        let mut rules = Self::default();
        for q in &config.queues {
            let ms = u64::try_from(q.service_level_threshold.as_millis()).unwrap_or(u64::MAX);
            rules.thresholds.insert(q.id.clone(), ms);
        }
        rules
    }

    pub fn with_threshold(mut self, queue: QueueId, threshold_ms: u64) -> Self {
        self.thresholds.insert(queue, threshold_ms);
        self
    }

    pub fn with_time_zone(mut self, zone: Tz) -> Self {
        self.time_zone = zone;
        self
    }

    pub fn with_short_abandon_ms(mut self, ms: u64) -> Self {
        self.short_abandon_ms = ms;
        self
    }

    /// A call of `queue` answered after at most this wait is answered within the threshold.
    pub fn threshold_ms(&self, queue: &QueueId) -> u64 {
        self.thresholds
            .get(queue)
            .copied()
            .unwrap_or(self.default_threshold_ms)
    }

    pub fn is_short_abandon(&self, waited_ms: u64) -> bool {
        waited_ms < self.short_abandon_ms
    }
}
