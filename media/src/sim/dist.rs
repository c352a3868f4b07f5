//! Durations drawn at random: how long callers wait and talk, how long agents take to pick
//! up, and the gaps between Poisson arrivals.
//!
//! Distributions come from scenario files, so a bad one is an error value from
//! [`Dist::validate`], never a panic; and sampling an unvalidated one still never panics (a
//! value that is not a duration becomes zero, one too long is cut to [`MAX_SECS`]).

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

/// The longest duration a distribution may give: a year. Anything longer is a mistake in a
/// scenario (milliseconds typed as seconds), and would overflow timers.
pub const MAX_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// A distribution of durations, in seconds.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dist {
    /// Always the same.
    Fixed { secs: f64 },
    /// Memoryless: the classic model of patience and of gaps between arrivals.
    Exponential { mean_secs: f64 },
    /// Right-skewed and never negative: the usual fit for talk and handling times. Given by
    /// the distribution's own mean and standard deviation (not the underlying normal's), as
    /// reports state them.
    LogNormal { mean_secs: f64, sd_secs: f64 },
    /// A measured table: each `(secs, weight)` point is drawn with probability
    /// proportional to its weight.
    Empirical { points: Vec<(f64, f64)> },
}

/// Why a distribution (or a rate, or a probability) is not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistError {
    #[error("{what} is {value}: it must be a finite number")]
    NotFinite { what: String, value: f64 },
    #[error("{what} is {value}: it must not be negative")]
    Negative { what: String, value: f64 },
    #[error("{what} is {value}: it must be greater than zero")]
    NotPositive { what: String, value: f64 },
    #[error(
        "{what} is {value} s: durations are limited to a year ({MAX_SECS} s); was it given in milliseconds?"
    )]
    TooLong { what: String, value: f64 },
    #[error("the empirical table has no points: give at least one [secs, weight] pair")]
    EmptyTable,
    #[error(
        "the empirical table's weights add up to zero: give at least one point a positive weight"
    )]
    ZeroWeight,
    #[error("{what} is {value}: it must be a probability, from 0 to 1")]
    NotProbability { what: String, value: f64 },
    /// The error of a distribution inside something larger, naming the field.
    #[error("{field}: {error}")]
    Field {
        field: &'static str,
        error: Box<DistError>,
    },
}

impl Dist {
    /// One duration drawn from the distribution.
    pub fn sample(&self, rng: &mut impl Rng) -> Duration {
        let secs = match self {
            Self::Fixed { secs } => *secs,
            Self::Exponential { mean_secs } => {
                let e: f64 = Exp1.sample(rng);
                e * mean_secs
            }
            Self::LogNormal { mean_secs, sd_secs } => {
                let (mu, sigma) = log_normal_params(*mean_secs, *sd_secs);
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Self::Empirical { points } => pick(points, rng),
        };
        duration(secs)
    }

    /// The same distribution with every duration divided by `factor` (its shape kept):
    /// time compressed for a load run, where three minutes of talk become 0.18 s at 1000.
    pub fn compressed(&self, factor: f64) -> Dist {
        match self {
            Self::Fixed { secs } => Self::Fixed {
                secs: secs / factor,
            },
            Self::Exponential { mean_secs } => Self::Exponential {
                mean_secs: mean_secs / factor,
            },
            Self::LogNormal { mean_secs, sd_secs } => Self::LogNormal {
                mean_secs: mean_secs / factor,
                sd_secs: sd_secs / factor,
            },
            Self::Empirical { points } => Self::Empirical {
                points: points.iter().map(|(s, w)| (s / factor, *w)).collect(),
            },
        }
    }

    /// The distribution's mean: what Erlang formulas and reports use.
    pub fn mean(&self) -> Duration {
        let secs = match self {
            Self::Fixed { secs } => *secs,
            Self::Exponential { mean_secs } | Self::LogNormal { mean_secs, .. } => *mean_secs,
            Self::Empirical { points } => {
                let total: f64 = points.iter().map(|(_, w)| w.max(0.0)).sum();
                let weighted: f64 = points.iter().map(|(s, w)| s * w.max(0.0)).sum();
                weighted / total
            }
        };
        duration(secs)
    }

    /// Whether the distribution describes durations: no negative, NaN or infinite values, no
    /// zero means, no empty or weightless tables, nothing longer than [`MAX_SECS`].
    pub fn validate(&self) -> Result<(), DistError> {
        match self {
            Self::Fixed { secs } => check_secs("fixed secs", *secs),
            Self::Exponential { mean_secs } => check_mean("exponential mean_secs", *mean_secs),
            Self::LogNormal { mean_secs, sd_secs } => {
                check_mean("log_normal mean_secs", *mean_secs)?;
                check_secs("log_normal sd_secs", *sd_secs)
            }
            Self::Empirical { points } => {
                if points.is_empty() {
                    return Err(DistError::EmptyTable);
                }
                for (i, (secs, weight)) in points.iter().enumerate() {
                    check_secs(&format!("empirical point {i}'s secs"), *secs)?;
                    check_finite(&format!("empirical point {i}'s weight"), *weight)?;
                    if *weight < 0.0 {
                        return Err(DistError::Negative {
                            what: format!("empirical point {i}'s weight"),
                            value: *weight,
                        });
                    }
                }
                if points.iter().map(|(_, w)| w).sum::<f64>() > 0.0 {
                    Ok(())
                } else {
                    Err(DistError::ZeroWeight)
                }
            }
        }
    }
}

/// Whether `value` is a probability; `what` names it in the error.
pub fn check_probability(what: &str, value: f64) -> Result<(), DistError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(DistError::NotProbability {
            what: what.to_owned(),
            value,
        })
    }
}

/// The gap before the next arrival of a Poisson stream of `rate_per_sec` arrivals a second
/// (an exponential gap of mean `1 / rate_per_sec`). A rate that is not positive and finite
/// means no arrivals: the gap is [`MAX_SECS`], longer than any run.
pub fn poisson_gap(rate_per_sec: f64, rng: &mut impl Rng) -> Duration {
    if rate_per_sec.is_finite() && rate_per_sec > 0.0 {
        let e: f64 = Exp1.sample(rng);
        duration(e / rate_per_sec)
    } else {
        duration(MAX_SECS)
    }
}

/// The gaps between the arrivals of a Poisson stream, from its own seeded generator, so that
/// a driver's arrivals do not depend on what else draws random numbers.
#[derive(Debug, Clone)]
pub struct Arrivals {
    rate_per_sec: f64,
    rng: StdRng,
}

impl Arrivals {
    pub fn new(rate_per_sec: f64, seed: u64) -> Result<Self, DistError> {
        check_finite("arrival rate per second", rate_per_sec)?;
        if rate_per_sec <= 0.0 {
            return Err(DistError::NotPositive {
                what: "arrival rate per second".to_owned(),
                value: rate_per_sec,
            });
        }
        Ok(Self {
            rate_per_sec,
            rng: StdRng::seed_from_u64(seed),
        })
    }

    pub fn rate_per_sec(&self) -> f64 {
        self.rate_per_sec
    }
}

impl Iterator for Arrivals {
    type Item = Duration;

    /// The gap before the next arrival; the stream never ends.
    fn next(&mut self) -> Option<Duration> {
        Some(poisson_gap(self.rate_per_sec, &mut self.rng))
    }
}

/// Seconds as a duration, without panicking: NaN and negatives become zero, anything longer
/// than [`MAX_SECS`] becomes [`MAX_SECS`].
pub(crate) fn duration(secs: f64) -> Duration {
    if secs > MAX_SECS {
        Duration::from_secs_f64(MAX_SECS)
    } else if secs > 0.0 {
        Duration::from_secs_f64(secs)
    } else {
        Duration::ZERO
    }
}

/// The underlying normal's (μ, σ) for a log-normal of the given mean and standard deviation.
fn log_normal_params(mean: f64, sd: f64) -> (f64, f64) {
    let variance = (1.0 + (sd * sd) / (mean * mean)).ln();
    (mean.ln() - variance / 2.0, variance.sqrt())
}

/// One point of an empirical table, by weight. Negative weights count as zero; a table with
/// no weight gives NaN (which [`duration`] makes zero).
fn pick(points: &[(f64, f64)], rng: &mut impl Rng) -> f64 {
    let total: f64 = points.iter().map(|(_, w)| w.max(0.0)).sum();
    if !(total.is_finite() && total > 0.0) {
        return f64::NAN;
    }
    let mut left = rng.random::<f64>() * total;
    let mut last = f64::NAN;
    for (secs, weight) in points {
        let weight = weight.max(0.0);
        if weight > 0.0 {
            if left < weight {
                return *secs;
            }
            left -= weight;
            last = *secs;
        }
    }
    // Rounding left a sliver past the last point: it belongs to the last one.
    last
}

fn check_finite(what: &str, value: f64) -> Result<(), DistError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(DistError::NotFinite {
            what: what.to_owned(),
            value,
        })
    }
}

fn check_secs(what: &str, value: f64) -> Result<(), DistError> {
    check_finite(what, value)?;
    if value < 0.0 {
        Err(DistError::Negative {
            what: what.to_owned(),
            value,
        })
    } else if value > MAX_SECS {
        Err(DistError::TooLong {
            what: what.to_owned(),
            value,
        })
    } else {
        Ok(())
    }
}

fn check_mean(what: &str, value: f64) -> Result<(), DistError> {
    check_secs(what, value)?;
    if value > 0.0 {
        Ok(())
    } else {
        Err(DistError::NotPositive {
            what: what.to_owned(),
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn compressing_divides_every_duration_and_keeps_the_shape() {
        let table = Dist::Empirical {
            points: vec![(60.0, 1.0), (300.0, 3.0)],
        };
        let fast = table.compressed(100.0);
        assert_eq!(
            fast,
            Dist::Empirical {
                points: vec![(0.6, 1.0), (3.0, 3.0)]
            }
        );
        assert_eq!(fast.mean(), Duration::from_millis(2400));
        let talk = Dist::LogNormal {
            mean_secs: 180.0,
            sd_secs: 90.0,
        };
        assert_eq!(
            talk.compressed(1000.0),
            Dist::LogNormal {
                mean_secs: 0.18,
                sd_secs: 0.09
            }
        );
    }

    use super::*;

    const N: usize = 100_000;

    /// The mean of `N` samples, in seconds, and the standard error the test allows for.
    fn sample_mean(dist: &Dist, seed: u64) -> f64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let sum: f64 = (0..N).map(|_| dist.sample(&mut rng).as_secs_f64()).sum();
        sum / N as f64
    }

    #[track_caller]
    fn assert_within(measured: f64, expected: f64, tolerance: f64) {
        let error = (measured - expected).abs() / expected;
        assert!(
            error < tolerance,
            "measured mean {measured:.3}, expected {expected:.3} within {:.1} %",
            tolerance * 100.0
        );
    }

    #[test]
    fn exponential_samples_average_to_the_mean() {
        let dist = Dist::Exponential { mean_secs: 180.0 };
        // The standard error of the mean is 180 / sqrt(100k) ≈ 0.57 s ≈ 0.32 %: 2 % is > 6 σ.
        assert_within(sample_mean(&dist, 1), 180.0, 0.02);
        assert_eq!(dist.mean(), Duration::from_secs(180));
    }

    #[test]
    fn log_normal_samples_have_the_given_mean_and_sd() {
        let dist = Dist::LogNormal {
            mean_secs: 240.0,
            sd_secs: 120.0,
        };
        let mut rng = StdRng::seed_from_u64(2);
        let samples: Vec<f64> = (0..N)
            .map(|_| dist.sample(&mut rng).as_secs_f64())
            .collect();
        let mean = samples.iter().sum::<f64>() / N as f64;
        let variance = samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / N as f64;
        assert_within(mean, 240.0, 0.02);
        assert_within(variance.sqrt(), 120.0, 0.05);
        assert!(samples.iter().all(|s| *s > 0.0));
    }

    #[test]
    fn empirical_samples_follow_the_weights() {
        let dist = Dist::Empirical {
            points: vec![(10.0, 1.0), (20.0, 0.0), (60.0, 3.0)],
        };
        assert_eq!(dist.mean(), Duration::from_millis(47_500));
        assert_within(sample_mean(&dist, 3), 47.5, 0.02);
        let mut rng = StdRng::seed_from_u64(4);
        assert!((0..1000).all(|_| dist.sample(&mut rng) != Duration::from_secs(20)));
    }

    #[test]
    fn fixed_is_fixed() {
        let dist = Dist::Fixed { secs: 2.5 };
        let mut rng = StdRng::seed_from_u64(5);
        assert_eq!(dist.sample(&mut rng), Duration::from_millis(2500));
        assert_eq!(dist.mean(), Duration::from_millis(2500));
    }

    #[test]
    fn poisson_gaps_average_to_the_inverse_rate() {
        let mut arrivals = Arrivals::new(0.5, 6).unwrap();
        let sum: f64 = arrivals.by_ref().take(N).map(|g| g.as_secs_f64()).sum();
        assert_within(sum / N as f64, 2.0, 0.02);
        let mut rng = StdRng::seed_from_u64(7);
        assert_eq!(poisson_gap(0.0, &mut rng), duration(MAX_SECS));
        assert_eq!(poisson_gap(f64::NAN, &mut rng), duration(MAX_SECS));
    }

    #[test]
    fn the_same_seed_draws_the_same_arrivals() {
        let a: Vec<_> = Arrivals::new(3.0, 9).unwrap().take(100).collect();
        let b: Vec<_> = Arrivals::new(3.0, 9).unwrap().take(100).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn good_distributions_pass() {
        for dist in [
            Dist::Fixed { secs: 0.0 },
            Dist::Exponential { mean_secs: 180.0 },
            Dist::LogNormal {
                mean_secs: 240.0,
                sd_secs: 0.0,
            },
            Dist::Empirical {
                points: vec![(0.0, 0.0), (5.0, 1.0)],
            },
        ] {
            assert_eq!(dist.validate(), Ok(()), "{dist:?}");
        }
    }

    #[test]
    fn bad_distributions_are_rejected_with_what_is_wrong() {
        let cases = [
            (
                Dist::Fixed { secs: -1.0 },
                "fixed secs is -1: it must not be negative",
            ),
            (
                Dist::Fixed { secs: f64::NAN },
                "fixed secs is NaN: it must be a finite number",
            ),
            (
                Dist::Exponential { mean_secs: 0.0 },
                "exponential mean_secs is 0: it must be greater than zero",
            ),
            (
                Dist::Exponential {
                    mean_secs: f64::INFINITY,
                },
                "exponential mean_secs is inf: it must be a finite number",
            ),
            (
                Dist::LogNormal {
                    mean_secs: 100.0,
                    sd_secs: -5.0,
                },
                "log_normal sd_secs is -5: it must not be negative",
            ),
            (
                Dist::Fixed { secs: 1e9 },
                "fixed secs is 1000000000 s: durations are limited to a year",
            ),
            (
                Dist::Empirical { points: vec![] },
                "the empirical table has no points",
            ),
            (
                Dist::Empirical {
                    points: vec![(1.0, 0.0)],
                },
                "the empirical table's weights add up to zero",
            ),
            (
                Dist::Empirical {
                    points: vec![(1.0, 1.0), (2.0, -1.0)],
                },
                "empirical point 1's weight is -1: it must not be negative",
            ),
            (
                Dist::Empirical {
                    points: vec![(f64::NAN, 1.0)],
                },
                "empirical point 0's secs is NaN",
            ),
        ];
        for (dist, expected) in cases {
            let message = dist.validate().unwrap_err().to_string();
            assert!(message.starts_with(expected), "{dist:?}: {message}");
        }
        assert_eq!(
            Arrivals::new(-2.0, 0).unwrap_err().to_string(),
            "arrival rate per second is -2: it must be greater than zero"
        );
        assert_eq!(
            check_probability("answer_probability", 1.5)
                .unwrap_err()
                .to_string(),
            "answer_probability is 1.5: it must be a probability, from 0 to 1"
        );
    }

    #[test]
    fn sampling_a_bad_distribution_never_panics() {
        let mut rng = StdRng::seed_from_u64(8);
        for dist in [
            Dist::Fixed { secs: -1.0 },
            Dist::Fixed { secs: f64::NAN },
            Dist::Fixed { secs: 1e300 },
            Dist::Exponential { mean_secs: -3.0 },
            Dist::LogNormal {
                mean_secs: 0.0,
                sd_secs: f64::NAN,
            },
            Dist::Empirical { points: vec![] },
            Dist::Empirical {
                points: vec![(1.0, f64::INFINITY)],
            },
        ] {
            let sample = dist.sample(&mut rng);
            assert!(sample <= duration(MAX_SECS), "{dist:?}");
            assert!(dist.mean() <= duration(MAX_SECS), "{dist:?}");
        }
    }
}
