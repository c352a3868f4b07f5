//! `hotline log bench --kafka URL`: the Kafka log's produce throughput (acknowledged
//! events per second) and end-to-end latency (from calling append to a subscriber holding
//! the event), beside the embedded SQLite log's in the same run, on the same events.
//! A measurement to read with the machine's noise in mind, not a test.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use hotline_events::{Event, NewEvent, OpaqueEvent, StreamName, Timestamp, Unreadable};
use hotline_infra::{EventLog, ExpectedVersion, LogTarget};

use crate::logs::{self, Access};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Kafka topic to measure (a new or empty one): kafka://HOST:PORT/TOPIC.
    #[arg(long, value_name = "URL")]
    kafka: LogTarget,
    /// Events appended in the throughput run.
    #[arg(long, default_value_t = 20_000)]
    events: u64,
    /// Concurrent appenders in the throughput run, each appending one event at a time.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..))]
    appenders: u64,
    /// Appends timed one by one through a subscriber in the latency run.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    samples: u64,
}

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

pub async fn run(args: Args) -> Result<ExitCode> {
    if !matches!(args.kafka, LogTarget::Kafka(_)) {
        bail!("--kafka takes a kafka://HOST:PORT/TOPIC URL");
    }
    let dir = tempfile_dir()?;
    let sqlite = logs::open(&dir, None, Access::Write).await?;
    let kafka = logs::open(&dir, Some(&args.kafka), Access::Write).await?;
    if kafka.head().await? > 0 {
        bail!("{} is not empty: measure on a new topic", args.kafka);
    }
    say!(
        "{} single-event appends by {} appenders, then {} appends timed to a subscriber",
        args.events,
        args.appenders,
        args.samples
    )?;
    say!(
        "{:<28} {:>14} {:>12} {:>12}",
        "log",
        "events/s",
        "e2e p50",
        "e2e p99"
    )?;
    for (name, log) in [
        ("sqlite (fsync per commit)".to_owned(), sqlite),
        (args.kafka.to_string(), kafka),
    ] {
        let f = measure(log.clone(), &args).await?;
        say!(
            "{name:<28} {:>14.0} {:>9.2} ms {:>9.2} ms",
            f.per_second,
            f.p50.as_secs_f64() * 1e3,
            f.p99.as_secs_f64() * 1e3
        )?;
        log.close().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("hotline-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn event(i: u64) -> NewEvent {
    let data = format!(r#"{{"i":{i},"pad":"{}"}}"#, "x".repeat(160));
    NewEvent::new(
        Event::Opaque(OpaqueEvent {
            event_type: "bench".into(),
            schema: 1,
            data,
            why: Unreadable::UnknownCategory,
        }),
        Timestamp::from_millis(1_795_339_800_000),
    )
}

async fn measure(log: Arc<dyn EventLog>, args: &Args) -> Result<Figures> {
    let per_appender = args.events.div_ceil(args.appenders);
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.appenders)
        .map(|a| {
            let log = log.clone();
            tokio::spawn(async move {
                let stream = StreamName::parse(&format!("bench-{a}"))?;
                for i in 0..per_appender {
                    log.append(&stream, ExpectedVersion::Any, vec![event(i)])
                        .await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    let per_second = (per_appender * args.appenders) as f64 / started.elapsed().as_secs_f64();

    let mut feed = log.subscribe(log.head().await? + 1);
    let stream = StreamName::parse("bench-latency")?;
    let mut latencies = Vec::with_capacity(usize::try_from(args.samples).unwrap_or(0));
    for i in 0..args.samples {
        let t0 = Instant::now();
        let appended = log
            .append(&stream, ExpectedVersion::Any, vec![event(i)])
            .await?;
        loop {
            match tokio::time::timeout(Duration::from_secs(30), feed.next()).await {
                Ok(Some(Ok(r))) if r.position >= appended.last_position => break,
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => return Err(e.into()),
                Ok(None) | Err(_) => bail!("the subscriber did not see event {i}"),
            }
        }
        latencies.push(t0.elapsed());
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    Ok(Figures {
        per_second,
        p50: at(0.5),
        p99: at(0.99),
    })
}
