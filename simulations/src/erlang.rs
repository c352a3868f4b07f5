//! Erlang C and Erlang A: the staffing formulas planners use, as pure functions.
//!
//! **Erlang C** (M/M/c): Poisson arrivals at rate λ, exponential handle times of mean
//! `AHT = 1/μ`, `c` agents, callers who never hang up. With the offered load `A = λ·AHT`:
//!
//! - Erlang B by the recursion `B(0) = 1`, `B(n) = A·B(n−1) / (n + A·B(n−1))`, which stays
//!   in [0, 1] at every step, so it neither overflows nor loses precision at c = 10,000
//!   (the textbook `A^c / c!` overflows an f64 from c ≈ 170);
//! - `P(W > 0) = C(c, A) = B / (1 − (A/c)·(1 − B))` (the Erlang C formula through B);
//! - service level `P(W ≤ T) = 1 − C·e^{−(c−A)·T/AHT}`;
//! - ASA `= C·AHT / (c − A)`, occupancy `A/c`.
//!
//! For `A ≥ c` the queue grows without bound: that is [`Evaluation::Unstable`], never a NaN.
//!
//! **Erlang A** (M/M/c+M, Palm's model): callers also hang up after an exponential patience
//! of mean `1/θ`. It is stable for every load. Rather than the ratio of incomplete gamma
//! functions of Mandelbaum & Zeltyn ("The Palm/Erlang-A queue, with applications to call
//! centers", 2007), which needs care in f64, it solves the birth-death chain directly:
//!
//! - states `n` = calls present; births at λ, deaths at `min(n, c)·μ + (n − c)⁺·θ`; the
//!   stationary weights are built in log space (`ln w_n = ln w_{n−1} + ln λ − ln d_n`) and
//!   the chain is cut once the geometric bound on the rest, `w_N·ρ/(1−ρ)` with
//!   `ρ = λ/d_{N+1} < 1`, is below 1e-15 of the total (the death rates grow, so the
//!   ratios fall and the bound holds);
//! - by PASTA an arrival sees that distribution. One arriving in state `n ≥ c` stands at
//!   position `j = n − c + 1` of the line. At position `i` it moves up at
//!   `r_i = c·μ + (i − 1)·θ` (an agent frees up, or one of the `i − 1` ahead hangs up) and
//!   hangs up itself at θ. So it is answered with probability `∏ r_i/(r_i + θ)`, and, being
//!   answered, it spent an `Exp(c·μ + i·θ)` time at each position: ASA follows exactly;
//! - `P(Ab) = θ·E[Q]/λ` (abandons per second over arrivals per second);
//! - the service level is the probability mass of "answered" reached by time T in that
//!   position chain, started from the arrival distribution, computed by uniformization
//!   (the Poisson-weighted powers of a stochastic matrix: only sums of non-negative terms,
//!   so no cancellation). T is cut into steps of at most 20 uniformization events each, so
//!   that `e^{−Λh}` never underflows, and each Poisson sum is carried until its terms fall
//!   under 1e-17.
//!
//! **Service level** is the share of *offered* calls answered within T (the domain brief's
//! definition with the offered denominator): a call that hangs up counts against it, even
//! one that hangs up within T. ASA is the mean wait of *answered* calls.
//!
//! Accuracy: Erlang B / C are exact to f64 rounding (relative ~1e-13 at c = 1000); Erlang A
//! figures are within ~1e-12 absolute of the untruncated model (checked against Erlang C as
//! patience grows, against the identity `P(Ab) = 1 − P(answered)`, and in the tests against
//! an independent 50-digit computation).

use thiserror::Error;

/// The most agents the calculators accept: ten times the largest contact centers.
pub const MAX_AGENTS: u32 = 100_000;
/// The largest offered load accepted, in Erlangs.
pub const MAX_LOAD: f64 = 100_000.0;
/// The longest line the Erlang A chain may hold before it gives up (patience so long, at a
/// load so far above the agents, that the queue holds millions of calls).
pub const MAX_QUEUE_STATES: usize = 2_000_000;
/// The most position-steps the Erlang A service level may take (positions × uniformization
/// events; about a second): beyond it the answer is refused rather than left to run for hours.
pub const MAX_WAIT_WORK: f64 = 1e9;

/// Why a question cannot be answered.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ErlangError {
    #[error("{what} must be a finite number, not {value}")]
    NotFinite { what: &'static str, value: f64 },
    #[error("{what} must be {rule}, not {value}")]
    OutOfRange {
        what: &'static str,
        value: f64,
        rule: &'static str,
    },
    #[error("the number of agents must be between 1 and {MAX_AGENTS}, not {0}")]
    Agents(u32),
    #[error("the offered load is {load:.0} Erlangs, above the {MAX_LOAD} this calculator accepts")]
    LoadTooLarge { load: f64 },
    #[error(
        "with this load and patience the queue grows too long to compute (over {MAX_QUEUE_STATES} calls, or over {MAX_WAIT_WORK:e} steps for its waits); shorten the patience or add agents"
    )]
    QueueTooLong,
    #[error("no staffing up to {MAX_AGENTS} agents meets the target")]
    Unreachable,
}

/// The traffic: how many calls arrive and how long each one keeps an agent busy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    arrivals_per_sec: f64,
    handle_secs: f64,
}

impl Load {
    /// `arrivals_per_sec ≥ 0` and `handle_secs > 0`, both finite, and an offered load of
    /// at most [`MAX_LOAD`] Erlangs.
    pub fn new(arrivals_per_sec: f64, handle_secs: f64) -> Result<Self, ErlangError> {
        finite("the arrival rate", arrivals_per_sec)?;
        finite("the handle time", handle_secs)?;
        if arrivals_per_sec < 0.0 {
            return Err(ErlangError::OutOfRange {
                what: "the arrival rate",
                value: arrivals_per_sec,
                rule: "zero or more",
            });
        }
        if handle_secs <= 0.0 {
            return Err(ErlangError::OutOfRange {
                what: "the handle time",
                value: handle_secs,
                rule: "more than zero",
            });
        }
        let load = arrivals_per_sec * handle_secs;
        if !load.is_finite() || load > MAX_LOAD {
            return Err(ErlangError::LoadTooLarge { load });
        }
        Ok(Self {
            arrivals_per_sec,
            handle_secs,
        })
    }

    /// The offered load `A = λ·AHT`, in Erlangs.
    pub fn offered_load(&self) -> f64 {
        self.arrivals_per_sec * self.handle_secs
    }

    pub fn arrivals_per_sec(&self) -> f64 {
        self.arrivals_per_sec
    }

    pub fn handle_secs(&self) -> f64 {
        self.handle_secs
    }
}

/// Which formula: Erlang C (nobody hangs up) or Erlang A (exponential patience).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    ErlangC,
    ErlangA { patience_secs: f64 },
}

impl Model {
    /// Erlang A with a mean patience of `patience_secs` (finite, more than zero).
    pub fn erlang_a(patience_secs: f64) -> Result<Self, ErlangError> {
        finite("the patience", patience_secs)?;
        if patience_secs <= 0.0 {
            return Err(ErlangError::OutOfRange {
                what: "the patience",
                value: patience_secs,
                rule: "more than zero",
            });
        }
        Ok(Model::ErlangA { patience_secs })
    }
}

/// What `c` agents achieve under a load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub agents: u32,
    /// `A = λ·AHT`, in Erlangs.
    pub offered_load: f64,
    /// Share of the agents' time spent on calls: carried load over agents (`A/c` for
    /// Erlang C, `A·(1 − P(Ab))/c` for Erlang A).
    pub occupancy: f64,
    /// Probability that a call has to wait at all (all agents busy on arrival).
    pub p_wait: f64,
    /// Share of offered calls answered within the threshold.
    pub service_level: f64,
    /// Mean wait of answered calls, in seconds.
    pub asa_secs: f64,
    /// Share of offered calls that hang up before an answer (0 for Erlang C).
    pub abandonment: f64,
}

/// The figures, or the news that the queue grows without bound (Erlang C with `A ≥ c`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evaluation {
    Stable(Figures),
    Unstable { agents: u32, offered_load: f64 },
}

impl Evaluation {
    pub fn figures(&self) -> Option<&Figures> {
        match self {
            Evaluation::Stable(f) => Some(f),
            Evaluation::Unstable { .. } => None,
        }
    }
}

/// Erlang B: the share of calls lost with `agents` lines and no queue, by the recursion
/// `B(n) = A·B(n−1) / (n + A·B(n−1))`.
pub fn erlang_b(offered_load: f64, agents: u32) -> Result<f64, ErlangError> {
    finite("the offered load", offered_load)?;
    if offered_load < 0.0 {
        return Err(ErlangError::OutOfRange {
            what: "the offered load",
            value: offered_load,
            rule: "zero or more",
        });
    }
    if offered_load > MAX_LOAD {
        return Err(ErlangError::LoadTooLarge { load: offered_load });
    }
    check_agents(agents)?;
    Ok(erlang_b_unchecked(offered_load, agents))
}

fn erlang_b_unchecked(a: f64, agents: u32) -> f64 {
    (1..=agents).fold(1.0, |b, n| {
        let ab = a * b;
        ab / (f64::from(n) + ab)
    })
}

/// Erlang C's `P(W > 0)`, or `None` when `A ≥ c`.
pub fn erlang_c(offered_load: f64, agents: u32) -> Result<Option<f64>, ErlangError> {
    let b = erlang_b(offered_load, agents)?;
    let c = f64::from(agents);
    if offered_load >= c {
        return Ok(None);
    }
    Ok(Some(b / (1.0 - offered_load / c * (1.0 - b))))
}

/// The figures of `agents` agents under `load`, with the service level counted against
/// `threshold_secs`.
pub fn evaluate(
    model: Model,
    load: Load,
    agents: u32,
    threshold_secs: f64,
) -> Result<Evaluation, ErlangError> {
    check_agents(agents)?;
    finite("the service-level threshold", threshold_secs)?;
    if threshold_secs < 0.0 {
        return Err(ErlangError::OutOfRange {
            what: "the service-level threshold",
            value: threshold_secs,
            rule: "zero or more",
        });
    }
    match model {
        Model::ErlangC => Ok(evaluate_c(load, agents, threshold_secs)),
        Model::ErlangA { patience_secs } => {
            Model::erlang_a(patience_secs)?;
            evaluate_a(load, patience_secs, agents, threshold_secs).map(Evaluation::Stable)
        }
    }
}

fn evaluate_c(load: Load, agents: u32, t: f64) -> Evaluation {
    let a = load.offered_load();
    let c = f64::from(agents);
    if a >= c {
        return Evaluation::Unstable {
            agents,
            offered_load: a,
        };
    }
    let b = erlang_b_unchecked(a, agents);
    let p_wait = b / (1.0 - a / c * (1.0 - b));
    let aht = load.handle_secs;
    Evaluation::Stable(Figures {
        agents,
        offered_load: a,
        occupancy: a / c,
        p_wait,
        service_level: 1.0 - p_wait * (-(c - a) * t / aht).exp(),
        asa_secs: p_wait * aht / (c - a),
        abandonment: 0.0,
    })
}

fn evaluate_a(load: Load, patience_secs: f64, agents: u32, t: f64) -> Result<Figures, ErlangError> {
    let a = load.offered_load();
    let c = f64::from(agents);
    let lambda = load.arrivals_per_sec;
    if lambda == 0.0 {
        return Ok(Figures {
            agents,
            offered_load: 0.0,
            occupancy: 0.0,
            p_wait: 0.0,
            service_level: 1.0,
            asa_secs: 0.0,
            abandonment: 0.0,
        });
    }
    let mu = 1.0 / load.handle_secs;
    let theta = 1.0 / patience_secs;
    let p = stationary(lambda, mu, theta, agents)?;
    let busy = agents as usize;
    // The line as arrivals see it: waiting[j - 1] = P(arrive at position j).
    let waiting = &p[busy..];
    let p_wait: f64 = waiting.iter().sum();
    let queue_mean: f64 = waiting.iter().enumerate().map(|(k, w)| k as f64 * w).sum();
    let abandonment = (theta * queue_mean / lambda).min(1.0);

    // Answered after waiting from position j: ∏ r_i/(r_i + θ), mean wait Σ 1/(cμ + iθ).
    let (mut answered_p, mut mean_wait) = (1.0, 0.0);
    let mut answered_after_wait = 0.0;
    let mut wait_of_answered = 0.0;
    for (k, w) in waiting.iter().enumerate() {
        let i = (k + 1) as f64;
        let r = c * mu + (i - 1.0) * theta;
        answered_p *= r / (r + theta);
        mean_wait += 1.0 / (r + theta);
        answered_after_wait += w * answered_p;
        wait_of_answered += w * answered_p * mean_wait;
    }
    let answered = (1.0 - p_wait) + answered_after_wait;
    let asa_secs = if answered > 0.0 {
        wait_of_answered / answered
    } else {
        0.0
    };
    let service_level = (1.0 - p_wait) + answered_within(waiting, c * mu, theta, t)?;
    Ok(Figures {
        agents,
        offered_load: a,
        occupancy: (a * (1.0 - abandonment) / c).min(1.0),
        p_wait,
        service_level: service_level.clamp(0.0, 1.0),
        asa_secs,
        abandonment,
    })
}

/// The stationary distribution of the M/M/c+M chain, cut where the rest is below 1e-15.
fn stationary(lambda: f64, mu: f64, theta: f64, agents: u32) -> Result<Vec<f64>, ErlangError> {
    let c = agents as usize;
    let death = |n: usize| -> f64 {
        if n <= c {
            n as f64 * mu
        } else {
            c as f64 * mu + (n - c) as f64 * theta
        }
    };
    let ln_lambda = lambda.ln();
    let mut log_w = Vec::with_capacity(c + 64);
    log_w.push(0.0_f64);
    let mut log_total = 0.0_f64;
    let tail_limit = 1e-15_f64.ln();
    let mut n = 0usize;
    loop {
        let next = n + 1;
        let d = death(next);
        let rho = lambda / d;
        if next > c && rho < 1.0 {
            // Ratios only fall from here: the rest is at most w_n·ρ/(1 − ρ).
            let log_rest = log_w[n] + (rho / (1.0 - rho)).ln();
            if log_rest - log_total < tail_limit {
                break;
            }
        }
        if next > c + MAX_QUEUE_STATES {
            return Err(ErlangError::QueueTooLong);
        }
        let lw = log_w[n] + ln_lambda - d.ln();
        log_w.push(lw);
        log_total = log_add(log_total, lw);
        n = next;
    }
    Ok(log_w.iter().map(|lw| (lw - log_total).exp()).collect())
}

fn log_add(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    hi + (lo - hi).exp().ln_1p()
}

/// Probability mass that is answered within `t` seconds, starting at position `j` with
/// probability `waiting[j - 1]`: uniformization of the position chain.
fn answered_within(waiting: &[f64], c_mu: f64, theta: f64, t: f64) -> Result<f64, ErlangError> {
    if waiting.is_empty() || t == 0.0 {
        return Ok(0.0);
    }
    let positions = waiting.len();
    // The fastest a position is left: cμ + J·θ at the back of the line.
    let uniform_rate = c_mu + positions as f64 * theta;
    let events = uniform_rate * t;
    // Each step of ~20 events carries its Poisson sum to ~60 terms.
    if positions as f64 * (events * 3.0 + 60.0) > MAX_WAIT_WORK {
        return Err(ErlangError::QueueTooLong);
    }
    let steps = (events / 20.0).ceil().max(1.0);
    let q = events / steps;
    // Index i - 1 holds position i; `stay[i]` and `up[i]` are the one-event probabilities.
    let up: Vec<f64> = (0..positions)
        .map(|k| (c_mu + k as f64 * theta) / uniform_rate)
        .collect();
    let stay: Vec<f64> = (0..positions)
        .map(|k| 1.0 - (c_mu + (k + 1) as f64 * theta) / uniform_rate)
        .collect();
    let mut v = waiting.to_vec();
    let mut answered = 0.0;
    let mut power = vec![0.0; positions];
    let mut next = vec![0.0; positions];
    let mut after = vec![0.0; positions];
    for _ in 0..steps as u64 {
        // after = Σ_k Pois(k; q)·v·P^k; the answered mass likewise.
        power.copy_from_slice(&v);
        let mut power_answered = 0.0;
        let mut weight = (-q).exp();
        let mut step_answered = 0.0;
        after
            .iter_mut()
            .zip(&power)
            .for_each(|(a, p)| *a = weight * p);
        let mut k = 0u32;
        loop {
            k += 1;
            weight *= q / f64::from(k);
            // One event: position 1 moving up is answered; i moves to i - 1 or stays.
            power_answered += power[0] * up[0];
            for i in 0..positions {
                let moved_in = if i + 1 < positions {
                    power[i + 1] * up[i + 1]
                } else {
                    0.0
                };
                next[i] = power[i] * stay[i] + moved_in;
            }
            std::mem::swap(&mut power, &mut next);
            for (a, p) in after.iter_mut().zip(&power) {
                *a += weight * p;
            }
            step_answered += weight * power_answered;
            if f64::from(k) > q && weight < 1e-17 {
                break;
            }
        }
        answered += step_answered;
        std::mem::swap(&mut v, &mut after);
    }
    Ok(answered)
}

/// What the staffing must achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// Share of offered calls to answer within the threshold, in (0, 1).
    pub service_level: f64,
    pub threshold_secs: f64,
    pub max_asa_secs: Option<f64>,
    /// The largest share of offered calls that may hang up (only Erlang A has any).
    pub max_abandonment: Option<f64>,
}

impl Target {
    fn validate(&self) -> Result<(), ErlangError> {
        finite("the service-level target", self.service_level)?;
        if !(self.service_level > 0.0 && self.service_level < 1.0) {
            return Err(ErlangError::OutOfRange {
                what: "the service-level target",
                value: self.service_level,
                rule: "between 0 and 100 % (exclusive)",
            });
        }
        finite("the service-level threshold", self.threshold_secs)?;
        if self.threshold_secs < 0.0 {
            return Err(ErlangError::OutOfRange {
                what: "the service-level threshold",
                value: self.threshold_secs,
                rule: "zero or more",
            });
        }
        if let Some(asa) = self.max_asa_secs {
            finite("the maximum ASA", asa)?;
            if asa <= 0.0 {
                return Err(ErlangError::OutOfRange {
                    what: "the maximum ASA",
                    value: asa,
                    rule: "more than zero",
                });
            }
        }
        if let Some(ab) = self.max_abandonment {
            finite("the maximum abandonment", ab)?;
            if !(ab > 0.0 && ab < 1.0) {
                return Err(ErlangError::OutOfRange {
                    what: "the maximum abandonment",
                    value: ab,
                    rule: "between 0 and 100 % (exclusive)",
                });
            }
        }
        Ok(())
    }

    fn met_by(&self, e: &Evaluation) -> bool {
        let Some(f) = e.figures() else {
            return false;
        };
        f.service_level >= self.service_level
            && self.max_asa_secs.is_none_or(|m| f.asa_secs <= m)
            && self.max_abandonment.is_none_or(|m| f.abandonment <= m)
    }
}

/// The fewest agents that meet `target`, with their figures.
///
/// Every figure improves with each agent added (service level up, ASA and abandonment
/// down), so the answer is found by doubling, then bisection: about 2·log₂(c) evaluations.
pub fn staff(model: Model, load: Load, target: &Target) -> Result<Figures, ErlangError> {
    target.validate()?;
    let eval = |agents: u32| evaluate(model, load, agents, target.threshold_secs);
    // Erlang C needs more agents than the load. Erlang A answers at most c·μ calls a second
    // out of λ, so its service level is at most c/A: fewer than SL·A agents cannot do.
    // Starting there also spares evaluating tiny staffings with enormous queues.
    let a = load.offered_load();
    let floor = match model {
        Model::ErlangC => (a.floor() as u32).saturating_add(1),
        Model::ErlangA { .. } => (target.service_level * a).ceil() as u32,
    }
    .clamp(1, MAX_AGENTS);
    let mut low = floor - 1; // known to fail (or zero: no agents)
    let mut high = floor;
    loop {
        if target.met_by(&eval(high)?) {
            break;
        }
        if high == MAX_AGENTS {
            return Err(ErlangError::Unreachable);
        }
        low = high;
        high = high.saturating_mul(2).clamp(1, MAX_AGENTS);
    }
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if target.met_by(&eval(mid)?) {
            high = mid;
        } else {
            low = mid;
        }
    }
    match eval(high)? {
        Evaluation::Stable(f) => Ok(f),
        Evaluation::Unstable { .. } => Err(ErlangError::Unreachable),
    }
}

fn finite(what: &'static str, value: f64) -> Result<(), ErlangError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ErlangError::NotFinite { what, value })
    }
}

fn check_agents(agents: u32) -> Result<(), ErlangError> {
    if agents == 0 || agents > MAX_AGENTS {
        return Err(ErlangError::Agents(agents));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Reference values were computed independently in Python, outside this code:
    //!
    //! Erlang B / C, in plain Python, the factorial form (small c) and, for large c, the
    //! same in 50-digit mpmath:
    //! ```python
    //! def erlang_c(a, c):
    //!     s = sum(a**k / math.factorial(k) for k in range(c))
    //!     top = a**c / math.factorial(c) * c / (c - a)
    //!     return top / (s + top)
    //! sl = 1 - erlang_c(a, c) * math.exp(-(c - a) * t / aht); asa = erlang_c(a, c) * aht / (c - a)
    //! ```
    //! Erlang A, in 60-digit mpmath: the chain's stationary distribution, the wait from each
    //! position as a hypoexponential CDF by partial fractions (exact at that precision), and
    //! Mandelbaum & Zeltyn's incomplete-gamma forms as a cross-check of P(W>0) and P(Ab):
    //! ```python
    //! x, y = c*mu/th, lam/th
    //! Axy = x*exp(y)*y**(-x)*gammainc(x, 0, y)          # A(x, y) = x e^y y^-x γ(x, y)
    //! b = erlang_b(lam/mu, c)
    //! p_wait = Axy*b/(1 + (Axy - 1)*b)
    //! p_ab = (1/(rho*Axy) + 1 - 1/rho)*p_wait           # rho = lam/(c*mu)
    //! ```
    //! and a discrete-event simulation of M/M/c+M (8 × 2,000,000 calls, c = 24, λ = 0.1/s,
    //! AHT 240 s, patience 120 s) agreed within one standard error: P(W>0) 0.4465 ± 0.0004,
    //! P(Ab) 0.0949 ± 0.0001, SL(20 s) 0.7197 ± 0.0003, ASA 10.32 ± 0.01 s.
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[track_caller]
    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    fn per_hour(calls: f64, aht: f64) -> Load {
        Load::new(calls / 3600.0, aht).unwrap()
    }

    fn stable(model: Model, load: Load, agents: u32, t: f64) -> Figures {
        match evaluate(model, load, agents, t).unwrap() {
            Evaluation::Stable(f) => f,
            other => panic!("unstable: {other:?}"),
        }
    }

    const PATIENT_120: Model = Model::ErlangA {
        patience_secs: 120.0,
    };

    #[test]
    fn erlang_b_and_c_match_the_textbook() {
        close(erlang_b(10.0, 10).unwrap(), 0.214_582_343_107_347_4, 1e-13);
        close(
            erlang_c(10.0, 11).unwrap().unwrap(),
            0.682_118_204_689_332_4,
            1e-13,
        );
        close(
            erlang_c(10.0, 12).unwrap().unwrap(),
            0.449_388_224_298_270_9,
            1e-13,
        );
        assert_eq!(erlang_c(10.0, 10).unwrap(), None);
    }

    #[test]
    fn service_level_and_asa_of_the_classic_100_calls_in_30_minutes() {
        // 200 calls an hour, 180 s: A = 10 Erlangs; 13 agents miss 80/20, 14 make it.
        let load = per_hour(200.0, 180.0);
        let thirteen = stable(Model::ErlangC, load, 13, 20.0);
        close(thirteen.p_wait, 0.285_270_453_036_493, 1e-12);
        close(thirteen.service_level, 0.795_594_788_417_783_1, 1e-12);
        close(thirteen.asa_secs, 17.116_227_182_189_58, 1e-9);
        close(thirteen.occupancy, 10.0 / 13.0, 1e-15);
        assert_eq!(thirteen.abandonment, 0.0);
        close(
            stable(Model::ErlangC, load, 14, 20.0).service_level,
            0.888_350_019_179_466_9,
            1e-12,
        );
        close(
            stable(Model::ErlangC, load, 11, 20.0).asa_secs,
            122.781_276_844_079_8,
            1e-9,
        );
    }

    #[test]
    fn erlang_c_at_or_above_the_load_is_unstable_not_nan() {
        let load = per_hour(360.0, 240.0); // 24 Erlangs
        for agents in [1, 23, 24] {
            assert_eq!(
                evaluate(Model::ErlangC, load, agents, 20.0).unwrap(),
                Evaluation::Unstable {
                    agents,
                    offered_load: 24.0
                }
            );
        }
    }

    #[test]
    fn more_agents_never_make_things_worse() {
        let load = per_hour(360.0, 240.0);
        for model in [Model::ErlangC, PATIENT_120] {
            let mut previous: Option<Figures> = None;
            for agents in 25..60 {
                let f = stable(model, load, agents, 20.0);
                if let Some(p) = previous {
                    assert!(f.service_level >= p.service_level, "{model:?} {agents}");
                    assert!(f.p_wait <= p.p_wait && f.asa_secs <= p.asa_secs);
                    assert!(f.abandonment <= p.abandonment);
                }
                previous = Some(f);
            }
        }
    }

    #[test]
    fn erlang_a_matches_the_independent_computation() {
        // 360 calls an hour, AHT 240 s, patience 120 s: A = 24 Erlangs.
        // (agents, P(W>0), P(Ab), SL(20 s) of offered, ASA of answered)
        let table = [
            (
                20,
                0.714_342_501_124,
                0.201_432_273_549,
                0.455_439_776_517,
                23.385_111_597_6,
            ),
            (
                24,
                0.446_882_771_295,
                0.094_927_187_714,
                0.719_457_250_860,
                10.327_706_709_3,
            ),
            (
                25,
                0.378_576_884_892,
                0.075_253_595_192,
                0.774_805_972_604,
                8.108_255_757_3,
            ),
            (
                26,
                0.313_705_743_889,
                0.058_468_542_576,
                0.823_468_624_287,
                6.254_395_242_6,
            ),
            (
                30,
                0.116_318_858_060,
                0.017_090_014_372,
                0.948_191_366_457,
                1.812_918_165_4,
            ),
        ];
        let load = per_hour(360.0, 240.0);
        for (agents, p_wait, ab, sl, asa) in table {
            let f = stable(PATIENT_120, load, agents, 20.0);
            close(f.p_wait, p_wait, 1e-11);
            close(f.abandonment, ab, 1e-11);
            close(f.service_level, sl, 1e-11);
            close(f.asa_secs, asa, 1e-8);
            close(f.occupancy, 24.0 * (1.0 - ab) / f64::from(agents), 1e-10);
        }
    }

    #[test]
    fn erlang_a_stays_finite_far_above_the_load() {
        // 24 Erlangs on 10 agents: Mandelbaum & Zeltyn give P(W>0) 0.99178824572, P(Ab)
        // 0.58384847247; the 60-digit chain SL(20 s) 0.025287112669, ASA 93.7905310173 s.
        let f = stable(PATIENT_120, per_hour(360.0, 240.0), 10, 20.0);
        close(f.p_wait, 0.991_788_245_720_177_1, 1e-11);
        close(f.abandonment, 0.583_848_472_469_703, 1e-11);
        close(f.service_level, 0.025_287_112_669, 1e-11);
        close(f.asa_secs, 93.790_531_017_3, 1e-8);
        assert!(f.asa_secs.is_finite() && f.occupancy <= 1.0);
        close(f.occupancy, 24.0 * (1.0 - f.abandonment) / 10.0, 1e-10);
    }

    #[test]
    fn erlang_a_tends_to_erlang_c_as_patience_grows() {
        let load = per_hour(360.0, 240.0);
        let c = stable(Model::ErlangC, load, 27, 20.0);
        let mut previous_ab = 1.0;
        // The gap closes like 1/patience: AHT/patience is 2.4e-7 at the last step.
        for patience in [1e3, 1e5, 1e7, 1e9] {
            let a = stable(Model::erlang_a(patience).unwrap(), load, 27, 20.0);
            assert!(a.abandonment < previous_ab);
            previous_ab = a.abandonment;
            if patience >= 1e9 {
                close(a.abandonment, 0.0, 1e-6);
                close(a.p_wait, c.p_wait, 1e-6);
                close(a.service_level, c.service_level, 1e-6);
                close(a.asa_secs, c.asa_secs, 1e-4);
            }
        }
    }

    #[test]
    fn a_thousand_agents_stay_finite_and_sensible() {
        // 980 Erlangs on 1000 agents (mpmath factorial form: C = 0.41220029236528, SL(20 s) 0.89134518260).
        let load = Load::new(980.0 / 300.0, 300.0).unwrap();
        let f = stable(Model::ErlangC, load, 1000, 20.0);
        close(f.p_wait, 0.412_200_292_365_281_5, 1e-10);
        close(f.service_level, 0.891_345_182_602_046, 1e-10);
        // Erlang A at and above the agents (M&Z: P(W>0) 0.392607768001, P(Ab) 0.015454009654;
        // at 1100 Erlangs 0.972145337275, 0.091147536409).
        let at = stable(
            PATIENT_120,
            Load::new(1000.0 / 300.0, 300.0).unwrap(),
            1000,
            20.0,
        );
        close(at.p_wait, 0.392_607_768_001_026_4, 1e-10);
        close(at.abandonment, 0.015_454_009_654_117_04, 1e-10);
        let above = stable(
            PATIENT_120,
            Load::new(1100.0 / 300.0, 300.0).unwrap(),
            1000,
            20.0,
        );
        close(above.p_wait, 0.972_145_337_274_675_6, 1e-10);
        close(above.abandonment, 0.091_147_536_408_963_61, 1e-10);
        for f in [at, above] {
            assert!(f.service_level > 0.0 && f.service_level < 1.0 && f.asa_secs.is_finite());
        }
        // Erlang B far beyond a factorial's reach.
        let b = erlang_b(9_000.0, 10_000).unwrap();
        assert!(b.is_finite() && b > 0.0 && b < 1e-6, "{b}");
    }

    #[test]
    fn staffing_for_a_table_of_loads() {
        // (calls per hour, AHT s, agents for 80/20 by Erlang C: the mpmath factorial form)
        let table = [
            (100.0, 180.0, 8),
            (200.0, 180.0, 14),
            (360.0, 240.0, 29),
            (1000.0, 300.0, 91),
            (6000.0, 300.0, 513),
            (36000.0, 360.0, 3621),
        ];
        let target = Target {
            service_level: 0.8,
            threshold_secs: 20.0,
            max_asa_secs: None,
            max_abandonment: None,
        };
        for (calls, aht, agents) in table {
            let f = staff(Model::ErlangC, per_hour(calls, aht), &target).unwrap();
            assert_eq!(f.agents, agents, "{calls} calls/h, {aht} s");
        }
    }

    #[test]
    fn erlang_a_staffing_with_an_abandonment_ceiling() {
        let load = per_hour(360.0, 240.0);
        let mut target = Target {
            service_level: 0.8,
            threshold_secs: 20.0,
            max_asa_secs: None,
            max_abandonment: None,
        };
        // SL(20 s): 25 agents 0.7748, 26 agents 0.8235 (table above).
        assert_eq!(staff(PATIENT_120, load, &target).unwrap().agents, 26);
        // P(Ab) by M&Z: 26 agents 5.85 %, 27 agents 4.45 %.
        target.max_abandonment = Some(0.05);
        assert_eq!(staff(PATIENT_120, load, &target).unwrap().agents, 27);
        // Erlang C ASA: 29 agents 8.93 s... a 5 s ceiling needs more.
        target.max_abandonment = None;
        target.max_asa_secs = Some(5.0);
        let f = staff(Model::ErlangC, load, &target).unwrap();
        assert!(f.asa_secs <= 5.0);
        assert!(stable(Model::ErlangC, load, f.agents - 1, 20.0).asa_secs > 5.0);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(matches!(
            Load::new(f64::NAN, 240.0),
            Err(ErlangError::NotFinite { .. })
        ));
        assert!(matches!(
            Load::new(-1.0, 240.0),
            Err(ErlangError::OutOfRange { .. })
        ));
        assert!(matches!(
            Load::new(1.0, 0.0),
            Err(ErlangError::OutOfRange { .. })
        ));
        assert!(matches!(
            Load::new(1e6, 1e6),
            Err(ErlangError::LoadTooLarge { .. })
        ));
        assert!(matches!(
            Model::erlang_a(f64::INFINITY),
            Err(ErlangError::NotFinite { .. })
        ));
        assert!(matches!(
            Model::erlang_a(0.0),
            Err(ErlangError::OutOfRange { .. })
        ));
        let load = per_hour(360.0, 240.0);
        assert_eq!(
            evaluate(Model::ErlangC, load, 0, 20.0),
            Err(ErlangError::Agents(0))
        );
        assert!(evaluate(Model::ErlangC, load, 30, -1.0).is_err());
        let sure = Target {
            service_level: 1.0,
            threshold_secs: 20.0,
            max_asa_secs: None,
            max_abandonment: None,
        };
        assert!(matches!(
            staff(Model::ErlangC, load, &sure),
            Err(ErlangError::OutOfRange { .. })
        ));
        // Patience of a thousand years at twice the agents: the line would be endless.
        let endless = Model::erlang_a(3e10).unwrap();
        assert_eq!(
            evaluate(endless, load, 12, 20.0),
            Err(ErlangError::QueueTooLong)
        );
        // 100,000 calls a second on one agent, 10 s patience: a line of a million calls,
        // whose waits would take hours to follow: refused at once.
        let flood = Load::new(100_000.0, 1.0).unwrap();
        let impatient = Model::erlang_a(10.0).unwrap();
        assert_eq!(
            evaluate(impatient, flood, 1, 20.0),
            Err(ErlangError::QueueTooLong)
        );
    }

    #[test]
    fn no_calls_means_no_wait() {
        let load = Load::new(0.0, 240.0).unwrap();
        for model in [Model::ErlangC, PATIENT_120] {
            let f = stable(model, load, 1, 20.0);
            assert_eq!((f.p_wait, f.service_level, f.abandonment), (0.0, 1.0, 0.0));
        }
    }
}
