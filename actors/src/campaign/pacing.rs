//! Predictive pacing: how many more lines to dial now so that agents stay busy while the
//! **abandon rate** (a person answers and no agent is free within the grace period, 2 s,
//! over calls answered by a person) stays under the campaign's limit (3 % by default).
//!
//! # The algorithm
//!
//! At each decision (an agent frees, a line ends, a tick) the pacer looks at the floor:
//! free agents, busy agents with how long each has been on its call (talk plus wrap-up),
//! and the lines still ringing with how long each has rung. From what it has measured
//! (a sliding sample of recent attempts and durations) it builds two distributions:
//!
//! - `A`, the agents available within the horizon `H` (median time to answer plus the
//!   grace period): every free agent, plus each busy agent with the probability that its
//!   remaining handle time is under `H`, from the empirical handle-time distribution
//!   conditioned on the time already spent (a Poisson-binomial sum, computed exactly);
//! - `X`, the calls a person will answer: each ringing line with the probability that it
//!   is still answered given it has not been yet (`p(1-F(s)) / (1-pF(s))`, `F` the
//!   distribution of time to answer, `s` the time rung), plus `k` new lines at the
//!   measured answer rate `p`.
//!
//! It dials the largest `k` for which the expected share of abandoned answers,
//! `E[(X - A)+] / E[X]`, stays within the **allowance**. Counting every future answer
//! against the agents free within `H` only is deliberately pessimistic (later answers find
//! more agents), which leaves room for estimation error.
//!
//! The allowance is a feedback on what happened: it starts at a safety share (80 %) of the
//! limit and moves with the abandon rate measured over the rolling window (one hour by
//! default), by as much as the window's count of answers can be trusted: a window above
//! target tightens it (down to a quarter of the target), one below loosens it (up to the
//! limit itself). Until enough answers were seen to estimate `p` and `F`, the pacer dials
//! progressively (one line per free agent, which cannot abandon).
//!
//! Everything here is pure: the time comes in the calls, so the same history gives the
//! same decisions in a simulation and live.

use std::collections::VecDeque;

use hotline_events::Timestamp;

#[cfg(test)]
mod tests;

/// A campaign's pacing settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PacingConfig {
    /// The ceiling on abandoned / answered by a person, as a fraction (0.03).
    pub max_abandon_rate: f64,
    /// How long a person who answered may wait for an agent before the call counts as
    /// abandoned (2 s in the regulations).
    pub grace_secs: f64,
    /// The span the measured abandon rate covers.
    pub window_secs: f64,
    /// The share of the limit aimed at before anything was measured.
    pub safety: f64,
    /// Lines in flight at most, per staffed agent.
    pub max_lines_per_agent: f64,
    /// Answers by a person to see (dialing progressively) before pacing predictively.
    pub warmup_answers: u32,
    /// The mean handle time (talk and wrap-up) assumed until calls were measured.
    pub expected_handle_secs: f64,
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self {
            max_abandon_rate: 0.03,
            grace_secs: 2.0,
            window_secs: 3600.0,
            safety: 0.6,
            max_lines_per_agent: 5.0,
            warmup_answers: 50,
            expected_handle_secs: 150.0,
        }
    }
}

/// What the dialer sees at a decision.
#[derive(Debug, Clone, Copy)]
pub struct Floor<'a> {
    /// Agents ready for a call now.
    pub agents_free: u32,
    /// For each agent on a call or in wrap-up, the seconds since its call connected.
    pub busy_for_secs: &'a [f64],
    /// For each line dialed and not yet answered or ended, the seconds it has rung.
    pub ringing_for_secs: &'a [f64],
    /// People who answered and wait for an agent (within the grace period).
    pub people_waiting: u32,
}

impl Floor<'_> {
    fn staffed(&self) -> usize {
        self.agents_free as usize + self.busy_for_secs.len()
    }
}

/// How the pacer chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Too little measured yet: one line per free agent.
    Warmup,
    /// From the measured answer rate and durations.
    Predicted,
}

/// One pacing decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// New lines to dial now.
    pub dial: u32,
    pub basis: Basis,
    /// The expected share of abandoned answers among the lines in play after dialing.
    pub expected_abandon_rate: f64,
    /// The share allowed at this decision (see the module's documentation).
    pub allowance: f64,
}

/// What one attempt came to, as the pacer learns from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Attempt {
    /// A person answered after `answer_secs` of ringing; `abandoned` if no agent took the
    /// call within the grace period.
    Person { answer_secs: f64, abandoned: bool },
    /// Busy, no answer, an answering machine, a failure: no agent was needed.
    NoPerson,
}

/// The measurements a campaign's pacing rests on, and its decisions.
#[derive(Debug, Clone)]
pub struct Pacer {
    config: PacingConfig,
    /// Whether a person answered, for the most recent attempts.
    answered: Recent<bool>,
    answer_times: Samples,
    handle_times: Samples,
    /// Answers by a person within the window: when, and whether abandoned.
    window: VecDeque<(Timestamp, bool)>,
    window_abandoned: usize,
    people_seen: u64,
}

/// Attempts and durations kept for the estimates: recent enough to follow a list whose
/// answer rate drifts, many enough to be stable.
const SAMPLES: usize = 500;

impl Pacer {
    pub fn new(config: PacingConfig) -> Self {
        Self {
            config,
            answered: Recent::new(SAMPLES),
            answer_times: Samples::new(SAMPLES),
            handle_times: Samples::new(SAMPLES),
            window: VecDeque::new(),
            window_abandoned: 0,
            people_seen: 0,
        }
    }

    pub fn config(&self) -> &PacingConfig {
        &self.config
    }

    /// Learns what an attempt that ended (or was answered) at `at` came to.
    pub fn record_attempt(&mut self, attempt: Attempt, at: Timestamp) {
        match attempt {
            Attempt::Person {
                answer_secs,
                abandoned,
            } => {
                self.answered.push(true);
                self.answer_times.push(answer_secs.max(0.0));
                self.people_seen += 1;
                self.window.push_back((at, abandoned));
                self.window_abandoned += usize::from(abandoned);
            }
            Attempt::NoPerson => {
                self.answered.push(false);
            }
        }
    }

    /// Learns one connected call's handle time (talk plus wrap-up).
    pub fn record_handle(&mut self, secs: f64) {
        self.handle_times.push(secs.max(0.0));
    }

    /// Abandoned and answered-by-a-person calls in the window ending at `now`.
    pub fn window_counts(&mut self, now: Timestamp) -> (usize, usize) {
        self.expire(now);
        (self.window_abandoned, self.window.len())
    }

    fn expire(&mut self, now: Timestamp) {
        let horizon = (self.config.window_secs * 1000.0) as u64;
        while let Some(&(at, abandoned)) = self.window.front() {
            if at.plus_millis(horizon) > now {
                break;
            }
            self.window.pop_front();
            self.window_abandoned -= usize::from(abandoned);
        }
    }

    /// How many new lines to dial now.
    pub fn decide(&mut self, floor: Floor<'_>, now: Timestamp) -> Decision {
        let (abandoned, answered) = self.window_counts(now);
        let allowance = self.allowance(abandoned, answered);
        let ringing = floor.ringing_for_secs.len();
        let cap = ((self.config.max_lines_per_agent * floor.staffed() as f64).ceil() as usize)
            .saturating_sub(ringing);
        if self.people_seen < u64::from(self.config.warmup_answers) {
            let dial = (floor.agents_free as usize)
                .saturating_sub(ringing)
                .min(cap);
            return Decision {
                dial: dial as u32,
                basis: Basis::Warmup,
                expected_abandon_rate: 0.0,
                allowance,
            };
        }
        let outlook = self.outlook(floor);
        let per_line: f64 = outlook.per_new_line.iter().sum();
        let mut lost = vec![None; cap + 1];
        let mut lost_with = |k: usize| *lost[k].get_or_insert_with(|| outlook.expected_lost(k));
        // The k-th new line fits when the abandons it adds, over the answers it brings,
        // stay within the allowance. Judging each line at the margin (not the average over
        // all lines in play) matters: the slots further ahead look safe only because later
        // decisions have not filled them yet. The margin grows with k: the most that fit
        // are found by galloping then bisection (most decisions add a line or two, and a
        // fresh floor's first decision may add hundreds).
        let mut fits_line = |k: usize| lost_with(k) - lost_with(k - 1) <= allowance * per_line;
        let (mut fits, mut fails) = (0usize, cap + 1);
        let mut step = 1;
        while fits + step <= cap {
            if !fits_line(fits + step) {
                fails = fits + step;
                break;
            }
            fits += step;
            step *= 2;
        }
        while fails - fits > 1 {
            let mid = fits + (fails - fits) / 2;
            if fits_line(mid) {
                fits = mid;
            } else {
                fails = mid;
            }
        }
        let offered = outlook.offered(fits);
        Decision {
            dial: fits as u32,
            basis: Basis::Predicted,
            expected_abandon_rate: if offered > f64::EPSILON {
                lost_with(fits) / offered
            } else {
                0.0
            },
            allowance,
        }
    }

    /// The share of abandoned answers this decision may plan for: the target (a safety
    /// share of the limit), tightened when the window's measured rate runs above it, by as
    /// much as the window's count of answers can be trusted. It never loosens beyond the
    /// target: a quiet hour is no licence to abandon more in the next.
    fn allowance(&self, abandoned: usize, answered: usize) -> f64 {
        let limit = self.config.max_abandon_rate;
        let target = limit * self.config.safety;
        if target <= 0.0 {
            return 0.0;
        }
        let measured = if answered == 0 {
            0.0
        } else {
            abandoned as f64 / answered as f64
        };
        let trust = answered as f64 / (answered as f64 + 100.0);
        let factor = 1.0 + trust * (target - measured) / target;
        (target * factor).clamp(target * 0.25, target)
    }

    /// The next seconds of the floor, slot by slot (one grace period each): the answers
    /// expected from the lines ringing and from each new line, and the agents expected to
    /// come free.
    fn outlook(&self, floor: Floor<'_>) -> Outlook {
        let slot = self.config.grace_secs.max(0.5);
        let p = self.answered.share_true_at_most();
        let latest = self.answer_times.quantile(1.0).unwrap_or(30.0);
        let slots = ((latest / slot).ceil() as usize + 1).clamp(1, MAX_SLOTS);
        let mut answers = vec![0.0; slots];
        let mut per_new_line = vec![0.0; slots];
        let answer_cdf = |t: f64| self.answer_times.cdf(t).unwrap_or(1.0);
        for (j, share) in per_new_line.iter_mut().enumerate() {
            let (from, to) = (j as f64 * slot, (j + 1) as f64 * slot);
            *share = p * (answer_cdf(to) - answer_cdf(from));
        }
        for &rung in floor.ringing_for_secs {
            let left = 1.0 - p * answer_cdf(rung);
            if left <= f64::EPSILON {
                continue;
            }
            for (j, expected) in answers.iter_mut().enumerate() {
                let (from, to) = (rung + j as f64 * slot, rung + (j + 1) as f64 * slot);
                *expected += p * (answer_cdf(to) - answer_cdf(from)) / left;
            }
        }
        let mean = self
            .handle_times
            .mean()
            .unwrap_or(self.config.expected_handle_secs)
            .max(1.0);
        let mut frees = vec![0.0; slots];
        for &elapsed in floor.busy_for_secs {
            let done = self.handle_times.cdf(elapsed).unwrap_or(1.0);
            for (j, expected) in frees.iter_mut().enumerate() {
                let (from, to) = (j as f64 * slot, (j + 1) as f64 * slot);
                *expected += if done < 1.0 - 1e-9 {
                    let cdf = |t: f64| self.handle_times.cdf(elapsed + t).unwrap_or(1.0);
                    (cdf(to) - cdf(from)) / (1.0 - done)
                } else {
                    // Past every measured call, or nothing measured: a memoryless remainder.
                    (-from / mean).exp() - (-to / mean).exp()
                };
            }
        }
        Outlook {
            free_now: floor.agents_free as usize,
            ringing: floor.ringing_for_secs.len(),
            waiting: floor.people_waiting as usize,
            answers,
            per_new_line,
            frees,
        }
    }
}

/// Slots looked ahead at most (a minute at a 2 s grace period).
const MAX_SLOTS: usize = 30;

/// Expected answers and agents freed per slot ahead, for [`Pacer::decide`].
#[derive(Debug)]
struct Outlook {
    free_now: usize,
    /// Lines ringing now.
    ringing: usize,
    waiting: usize,
    /// Answers expected per slot from the lines already ringing.
    answers: Vec<f64>,
    /// Answers expected per slot from one more line dialed now.
    per_new_line: Vec<f64>,
    /// Agents expected to come free per slot.
    frees: Vec<f64>,
}

impl Outlook {
    /// The answers expected with `extra` more lines dialed.
    fn offered(&self, extra: usize) -> f64 {
        let per_line: f64 = self.per_new_line.iter().sum();
        self.waiting as f64 + self.answers.iter().sum::<f64>() + extra as f64 * per_line
    }

    /// The answers expected to find no agent, with `extra` more lines dialed.
    ///
    /// The free agents are carried from slot to slot as a distribution: each slot adds the
    /// agents who come free in it (Poisson), its answers (Poisson, plus the people already
    /// waiting in the first) take free agents, and the answers beyond them are abandoned.
    fn expected_lost(&self, extra: usize) -> f64 {
        let mut free = vec![0.0; self.free_now + 1];
        free[self.free_now] = 1.0;
        let mut lost = 0.0;
        for (j, &frees) in self.frees.iter().enumerate() {
            free = add(&free, &poisson(frees));
            let lines = self.ringing + extra;
            let mean = self.answers[j] + extra as f64 * self.per_new_line[j];
            let mut come = binomial(lines, mean / lines.max(1) as f64);
            if j == 0 && self.waiting > 0 {
                let mut shifted = vec![0.0; self.waiting];
                shifted.extend(come);
                come = shifted;
            }
            let mut after = vec![0.0; free.len()];
            for (f, &pf) in free.iter().enumerate() {
                if pf == 0.0 {
                    continue;
                }
                for (n, &pn) in come.iter().enumerate() {
                    let p = pf * pn;
                    if n > f {
                        lost += p * (n - f) as f64;
                        after[0] += p;
                    } else {
                        after[f - n] += p;
                    }
                }
            }
            // Agents beyond what is at all likely cost time, not accuracy.
            while after.len() > 1 && after.last().is_some_and(|&p| p < 1e-12) {
                after.pop();
            }
            free = after;
        }
        lost
    }
}

/// The distribution of the sum of two independent counts.
fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut sum = vec![0.0; a.len() + b.len() - 1];
    for (i, &pa) in a.iter().enumerate() {
        for (j, &pb) in b.iter().enumerate() {
            sum[i + j] += pa * pb;
        }
    }
    sum
}

/// P(N = n) for a binomial count of `lines` trials at `chance`, up to where the tail is
/// negligible. Unlike a Poisson count it never exceeds the lines: a small floor dialing a
/// few lines cannot get more answers than lines.
fn binomial(lines: usize, chance: f64) -> Vec<f64> {
    let chance = chance.clamp(0.0, 1.0);
    if lines == 0 || chance <= 1e-12 {
        return vec![1.0];
    }
    if chance >= 1.0 - 1e-12 {
        let mut certain = vec![0.0; lines + 1];
        certain[lines] = 1.0;
        return certain;
    }
    let mut pmf = vec![(1.0 - chance).powi(lines.min(i32::MAX as usize) as i32)];
    if pmf[0] <= 0.0 {
        // Too many lines for the recurrence from zero: a Poisson count is as good there.
        return poisson(lines as f64 * chance);
    }
    let odds = chance / (1.0 - chance);
    let mut total = pmf[0];
    let mut n = 0usize;
    while total < 1.0 - 1e-12 && n < lines {
        let next = pmf[n] * odds * (lines - n) as f64 / (n + 1) as f64;
        n += 1;
        pmf.push(next);
        total += next;
    }
    pmf
}

/// P(N = n) for a Poisson count of `mean`, up to where the tail is negligible.
fn poisson(mean: f64) -> Vec<f64> {
    if mean <= 1e-12 {
        return vec![1.0];
    }
    let mut pmf = vec![(-mean).exp()];
    let mut total = pmf[0];
    let mut n = 0usize;
    while total < 1.0 - 1e-9 && n < 1000 {
        n += 1;
        let next = pmf[n - 1] * mean / n as f64;
        pmf.push(next);
        total += next;
    }
    pmf
}

/// The last `capacity` values of something.
#[derive(Debug, Clone)]
struct Recent<T> {
    values: VecDeque<T>,
    capacity: usize,
}

impl<T> Recent<T> {
    fn new(capacity: usize) -> Self {
        Self {
            values: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    fn push(&mut self, value: T) -> Option<T> {
        let evicted = if self.values.len() == self.capacity {
            self.values.pop_front()
        } else {
            None
        };
        self.values.push_back(value);
        evicted
    }
}

impl Recent<bool> {
    /// The share of `true`, erring high by one standard error: an answer rate guessed too
    /// high dials fewer lines, the safe side, and the error shrinks as attempts accrue.
    fn share_true_at_most(&self) -> f64 {
        let n = self.values.len() as f64;
        let yes = self.values.iter().filter(|&&v| v).count() as f64;
        // Laplace-smoothed, so that a short history is not 0 or 1.
        let share = (yes + 1.0) / (n + 2.0);
        (share + (share * (1.0 - share) / (n + 2.0)).sqrt()).min(1.0)
    }
}

/// Recent durations in seconds, kept sorted too for the empirical distribution.
#[derive(Debug, Clone)]
struct Samples {
    recent: Recent<f64>,
    sorted: Vec<f64>,
    sum: f64,
}

impl Samples {
    fn new(capacity: usize) -> Self {
        Self {
            recent: Recent::new(capacity),
            sorted: Vec::with_capacity(capacity),
            sum: 0.0,
        }
    }

    fn push(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        if let Some(old) = self.recent.push(value) {
            let at = self.sorted.partition_point(|&v| v < old);
            if at < self.sorted.len() {
                self.sorted.remove(at);
            }
            self.sum -= old;
        }
        let at = self.sorted.partition_point(|&v| v <= value);
        self.sorted.insert(at, value);
        self.sum += value;
    }

    /// P(duration <= `x`), or `None` before any sample.
    fn cdf(&self, x: f64) -> Option<f64> {
        if self.sorted.is_empty() {
            return None;
        }
        Some(self.sorted.partition_point(|&v| v <= x) as f64 / self.sorted.len() as f64)
    }

    fn quantile(&self, q: f64) -> Option<f64> {
        let last = self.sorted.len().checked_sub(1)?;
        let i = ((last as f64) * q.clamp(0.0, 1.0)).round() as usize;
        self.sorted.get(i.min(last)).copied()
    }

    fn mean(&self) -> Option<f64> {
        (!self.sorted.is_empty()).then(|| self.sum / self.sorted.len() as f64)
    }
}
