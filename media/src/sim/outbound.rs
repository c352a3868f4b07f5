//! The outbound side of the simulated network: how a number a campaign dials behaves
//! (busy, rings out, an answering machine, a person after some ringing) and what the
//! network's answering-machine detection (AMD) makes of an answer.
//!
//! One [`OutboundScript`] can be given per number ([`super::SimNetwork::add_lead`]) or as the
//! default for every number dialed that no caller and no lead script claims
//! ([`super::SimNetwork::set_outbound`]). Each dial draws its outcome from its own
//! sub-seed, taken from the network's generator in the order the dials are placed, so a
//! run on a paused clock is repeatable.

use std::time::Duration;

use rand::Rng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::dist::{Dist, DistError, check_probability};
use super::within;
use crate::telephony::DialFailure;

/// How a dialed number behaves. The shares are of dials: `busy`, then `machine`, then
/// `person`; what is left rings out (no answer). AMD hears a machine as a person with
/// chance `1 - amd_accuracy` (the agent gets a recording) and a person as a machine with
/// the same chance (the network drops the person: an AMD false positive).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct OutboundScript {
    /// The chance a person answers.
    pub person: f64,
    /// The chance an answering machine answers.
    pub machine: f64,
    /// The chance the line is busy.
    pub busy: f64,
    /// How long the phone rings before a person or a machine answers.
    pub time_to_answer: Dist,
    /// How long an unanswered line rings before the network gives up.
    pub ring_out: Duration,
    /// How long a person who answered waits for someone to speak before hanging up.
    pub patience: Dist,
    /// The conversation once an agent is connected.
    pub talk: Dist,
    /// The share of answers AMD classifies right.
    pub amd_accuracy: f64,
}

impl Default for OutboundScript {
    /// A list that answers a third of the time, a person in two of those, after about 10
    /// s of ringing; 2-minute conversations; AMD right 95 % of the time.
    fn default() -> Self {
        Self {
            person: 0.3,
            machine: 0.15,
            busy: 0.05,
            time_to_answer: Dist::LogNormal {
                mean_secs: 10.0,
                sd_secs: 5.0,
            },
            ring_out: Duration::from_secs(30),
            patience: Dist::Exponential { mean_secs: 8.0 },
            talk: Dist::Exponential { mean_secs: 120.0 },
            amd_accuracy: 0.95,
        }
    }
}

/// What one dial comes to, drawn when it is placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Drawn {
    /// Reported `CalleeAnswered` after `after`: a person (or a machine AMD took for one);
    /// the callee then waits `patience` for an agent and talks `talk`.
    Answers {
        after: Duration,
        patience: Duration,
        talk: Duration,
    },
    /// Reported `DialFailed` with `reason` after `after`.
    Fails {
        after: Duration,
        reason: DialFailure,
    },
}

/// A machine taken for a person plays its greeting to the agent for this long.
const MACHINE_GREETING: Duration = Duration::from_secs(15);
/// A busy signal comes back at once (a second of call setup).
const BUSY_AFTER: Duration = Duration::from_secs(1);

impl OutboundScript {
    pub fn validate(&self) -> Result<(), DistError> {
        check_probability("person", self.person)?;
        check_probability("machine", self.machine)?;
        check_probability("busy", self.busy)?;
        check_probability("amd_accuracy", self.amd_accuracy)?;
        let total = self.person + self.machine + self.busy;
        if total > 1.0 + 1e-9 {
            return Err(DistError::NotProbability {
                what: "person + machine + busy".to_owned(),
                value: total,
            });
        }
        within("time_to_answer", self.time_to_answer.validate())?;
        within("patience", self.patience.validate())?;
        within("talk", self.talk.validate())
    }

    /// Draws one dial's outcome. Always the same number of draws, whatever the outcome,
    /// so a change of shares does not shift the draws of the times.
    pub(crate) fn draw(&self, rng: &mut SmallRng) -> Drawn {
        let who: f64 = rng.random();
        let amd_right = rng.random::<f64>() < self.amd_accuracy;
        let answer = self.time_to_answer.sample(rng);
        let patience = self.patience.sample(rng);
        let talk = self.talk.sample(rng);
        if who < self.busy {
            return Drawn::Fails {
                after: BUSY_AFTER,
                reason: DialFailure::Busy,
            };
        }
        let answers_after = answer.min(self.ring_out);
        let rang_out = answer >= self.ring_out;
        if rang_out || who >= self.busy + self.machine + self.person {
            return Drawn::Fails {
                after: self.ring_out,
                reason: DialFailure::NoAnswer,
            };
        }
        let machine = who < self.busy + self.machine;
        match (machine, amd_right) {
            (true, true) | (false, false) => Drawn::Fails {
                // AMD listens a couple of seconds before it decides.
                after: answers_after + AMD_LISTENS,
                reason: DialFailure::AnsweringMachine,
            },
            (true, false) => Drawn::Answers {
                after: answers_after + AMD_LISTENS,
                patience: Duration::from_secs(3600),
                talk: MACHINE_GREETING,
            },
            (false, true) => Drawn::Answers {
                after: answers_after + AMD_LISTENS,
                patience,
                talk,
            },
        }
    }
}

/// How long AMD listens to an answer before it reports a person or a machine.
pub const AMD_LISTENS: Duration = Duration::from_millis(1500);

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn shares(script: &OutboundScript, n: usize) -> (f64, f64, f64, f64) {
        let mut rng = SmallRng::seed_from_u64(7);
        let (mut answers, mut machine, mut busy, mut no_answer) = (0, 0, 0, 0);
        for _ in 0..n {
            match script.draw(&mut rng) {
                Drawn::Answers { .. } => answers += 1,
                Drawn::Fails {
                    reason: DialFailure::AnsweringMachine,
                    ..
                } => machine += 1,
                Drawn::Fails {
                    reason: DialFailure::Busy,
                    ..
                } => busy += 1,
                Drawn::Fails { .. } => no_answer += 1,
            }
        }
        let share = |k: i32| f64::from(k) / n as f64;
        (
            share(answers),
            share(machine),
            share(busy),
            share(no_answer),
        )
    }

    #[test]
    fn outcomes_follow_the_shares_and_amd_errors() {
        let script = OutboundScript {
            person: 0.3,
            machine: 0.2,
            busy: 0.1,
            amd_accuracy: 0.9,
            ..OutboundScript::default()
        };
        let (answers, machine, busy, no_answer) = shares(&script, 40_000);
        // Answers reported as a person: 90 % of people, 10 % of machines.
        assert!((answers - (0.27 + 0.02)).abs() < 0.01, "{answers}");
        assert!((machine - (0.18 + 0.03)).abs() < 0.01, "{machine}");
        assert!((busy - 0.1).abs() < 0.01, "{busy}");
        // Rang out: the 40 % nobody answers, and the few answers slower than the ring-out.
        assert!(no_answer > 0.39 && no_answer < 0.42, "{no_answer}");
    }

    #[test]
    fn a_seed_gives_the_same_draws() {
        let script = OutboundScript::default();
        let draw = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..50).map(|_| script.draw(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn shares_over_one_are_refused_by_field() {
        let script = OutboundScript {
            person: 0.6,
            machine: 0.5,
            ..OutboundScript::default()
        };
        let error = script.validate().unwrap_err().to_string();
        assert!(error.contains("person"), "{error}");
    }
}
