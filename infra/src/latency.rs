//! Latency histograms cheap enough to record on every append and every routing decision,
//! from any thread, and read at any time by `/metrics` or a load run.
//!
//! Log-linear buckets over nanoseconds: each power of two is cut into eight, so a quantile
//! is known within an eighth (12.5 %) of its value, from a nanosecond to centuries, in 496
//! fixed counters (4 KiB). Recording is four relaxed atomic operations and no lock, so a
//! reader never holds up the router. (An HDR histogram would give finer quantiles, but needs
//! a lock or per-thread recorders to be shared; an eighth is finer than run-to-run noise.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sub-buckets per power of two (a power of two itself).
const SUB: u64 = 8;
const SUB_BITS: u32 = SUB.trailing_zeros();
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

/// A shared histogram of durations: record from anywhere, read quantiles at any time.
#[derive(Debug)]
pub struct LatencyHistogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_ns: AtomicU64,
    max_ns: AtomicU64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
            max_ns: AtomicU64::new(0),
        }
    }
}

/// The bucket of `ns`: values below [`SUB`] have one each; above, each power of two `2^e` is
/// cut into [`SUB`] equal parts.
fn bucket(ns: u64) -> usize {
    if ns < SUB {
        return ns as usize;
    }
    let e = 63 - ns.leading_zeros();
    let sub = (ns >> (e - SUB_BITS)) & (SUB - 1);
    ((e - SUB_BITS + 1) as u64 * SUB + sub) as usize
}

/// The largest value bucket `i` holds.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let e = (i / SUB) as u32 + SUB_BITS - 1;
    let width = 1u64 << (e - SUB_BITS);
    let lower = (SUB + i % SUB) << (e - SUB_BITS);
    lower.saturating_add(width - 1)
}

/// What a histogram held when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySummary {
    pub count: u64,
    pub sum: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl LatencySummary {
    pub fn mean(&self) -> Option<Duration> {
        (self.count > 0).then(|| self.sum / u32::try_from(self.count).unwrap_or(u32::MAX))
    }
}

impl LatencyHistogram {
    pub fn record(&self, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.buckets[bucket(ns)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
        self.max_ns.fetch_max(ns, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The value at or below which a share `q` (0 to 1) of the recorded values lie, as the
    /// upper edge of its bucket (never above the largest value recorded); zero when empty.
    /// Read while others record, the figures are each a moment apart, never torn.
    pub fn quantile(&self, q: f64) -> Duration {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        let max = self.max_ns.load(Ordering::Relaxed);
        Duration::from_nanos(quantile_of(&counts, total, q).map_or(0, |v| v.min(max)))
    }

    pub fn summary(&self) -> LatencySummary {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        let max = self.max_ns.load(Ordering::Relaxed);
        let at = |q| Duration::from_nanos(quantile_of(&counts, total, q).map_or(0, |v| v.min(max)));
        LatencySummary {
            count: self.count.load(Ordering::Relaxed),
            sum: Duration::from_nanos(self.sum_ns.load(Ordering::Relaxed)),
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: Duration::from_nanos(max),
        }
    }
}

fn quantile_of(counts: &[u64], total: u64, q: f64) -> Option<u64> {
    if total == 0 {
        return None;
    }
    // The rank of the value asked for, 1-based: the smallest with q of the values at or below.
    let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).clamp(1, total);
    let mut seen = 0;
    for (i, n) in counts.iter().enumerate() {
        seen += n;
        if seen >= rank {
            return Some(upper(i));
        }
    }
    counts.iter().rposition(|n| *n > 0).map(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_falls_in_a_bucket_whose_upper_edge_is_within_an_eighth() {
        let mut probes: Vec<u64> = (0..5000).collect();
        for shift in 0..64 {
            let p = 1u64 << shift;
            probes.extend([p - 1, p, p + 1, p + p / 3, p.saturating_mul(3) / 2]);
        }
        probes.push(u64::MAX);
        for v in probes {
            let b = bucket(v);
            assert!(b < BUCKETS, "{v}: bucket {b}");
            let up = upper(b);
            assert!(up >= v, "{v}: upper {up}");
            assert!(
                (up - v) as f64 <= v as f64 / SUB as f64,
                "{v}: upper {up} too far"
            );
            if b > 0 {
                assert!(upper(b - 1) < v, "{v}: belongs below bucket {b}");
            }
        }
    }

    #[test]
    fn given_a_thousand_latencies_the_quantiles_are_read_within_an_eighth() {
        let h = LatencyHistogram::default();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert_eq!(s.max, Duration::from_micros(1000));
        assert_eq!(s.sum, Duration::from_micros(500_500));
        for (got, want) in [(s.p50, 500u64), (s.p90, 900), (s.p99, 990)] {
            let got = got.as_nanos() as f64 / 1000.0;
            assert!(
                got >= want as f64 && got <= want as f64 * 1.125,
                "{got} for {want}"
            );
        }
        assert_eq!(h.quantile(1.0), Duration::from_micros(1000));
    }

    #[test]
    fn an_empty_histogram_reads_zero() {
        let s = LatencyHistogram::default().summary();
        assert_eq!(s, LatencySummary::default());
        assert_eq!(s.mean(), None);
    }
}
