//! Benchmark of the predictive dialer's pacing: the cost of one decision, hence how many
//! decisions a second one core can make.
//!
//! Run: `cargo bench -p hotline-actors --bench pacing`.
//!
//! The floors, each after 500 measured attempts (answers after 4 to 20 s) and 500 handle
//! times (exponential talk, mean 120 s, plus 10 s of wrap-up), from a fixed seed:
//! - `decide/50_agents_p15`: a 50-agent campaign at a 15 % answer rate in its steady
//!   state: 1 agent free, 49 busy, 70 lines ringing (the answer rate that needs the most
//!   lines, so the most work per decision);
//! - `decide/50_agents_p60`: the same at 60 %: 25 lines ringing;
//! - `decide/200_agents_fresh`: 200 agents all free and nothing ringing, the first decision
//!   of a large campaign (it dials hundreds of lines at once).
//!
//! Under `cargo test` (no `--bench` argument) each runs once as a smoke test.

#![allow(clippy::unwrap_used)] // a benchmark: any failure should abort the run loudly

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use hotline_actors::campaign::pacing::{Attempt, Floor, Pacer, PacingConfig};
use hotline_events::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn measured(p: f64, rng: &mut StdRng) -> Pacer {
    let mut pacer = Pacer::new(PacingConfig::default());
    let at = Timestamp::from_millis(1_800_000_000_000);
    for _ in 0..500 {
        let attempt = if rng.random::<f64>() < p {
            Attempt::Person {
                answer_secs: rng.random_range(4.0..20.0),
                abandoned: rng.random::<f64>() < 0.02,
            }
        } else {
            Attempt::NoPerson
        };
        pacer.record_attempt(attempt, at);
        pacer.record_handle(10.0 - 120.0 * (1.0 - rng.random::<f64>()).ln());
    }
    pacer
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut rng = StdRng::seed_from_u64(7);
    let now = Timestamp::from_millis(1_800_000_060_000);
    let mut group = c.benchmark_group("decide");
    group.throughput(Throughput::Elements(1));
    for (name, p, free, busy, ringing) in [
        ("50_agents_p15", 0.15, 1, 49, 70),
        ("50_agents_p60", 0.6, 1, 49, 25),
        ("200_agents_fresh", 0.3, 200, 0, 0),
    ] {
        let mut pacer = measured(p, &mut rng);
        let busy: Vec<f64> = (0..busy).map(|_| rng.random_range(0.0..300.0)).collect();
        let ringing: Vec<f64> = (0..ringing).map(|_| rng.random_range(0.0..25.0)).collect();
        let floor = Floor {
            agents_free: free,
            busy_for_secs: &busy,
            ringing_for_secs: &ringing,
            people_waiting: 0,
        };
        group.bench_function(name, |b| {
            b.iter(|| black_box(pacer.decide(black_box(floor), now)));
        });
    }
    group.finish();
    c.final_summary();
}
