//! `hotline demo`: writes a generated morning of a small contact center to the event log,
//! through concurrent appenders as a live center would, then verifies the chain and tells
//! one call's story. (The routing actors arrive with the inbound issue; until then the
//! morning is scripted here, one writer per stream.)

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use hotline_events::{
    AgentEvent, AgentId, CallEvent, CallId, Channel, EndReason, Event, MessageId, NewEvent,
    OfferMissReason, Party, QueueId, Skill, SkillName, StreamName, Timestamp,
};
use hotline_infra::{Clock, EventLog, ExpectedVersion, SqliteLog};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many calls arrive during the morning.
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    calls: u32,
    /// How many agents take them.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    agents: u32,
    /// The random seed: the same seed makes the same morning.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

const NAMES: [&str; 12] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis",
    "Radia", "John",
];

/// Appends to one stream, keeping its expected version and the causal chain of its events.
struct Writer<'a> {
    log: &'a SqliteLog,
    stream: StreamName,
    version: u64,
    last: Option<MessageId>,
    appended: u64,
}

impl<'a> Writer<'a> {
    async fn open(log: &'a SqliteLog, stream: StreamName) -> Result<Self> {
        let version = log.read_stream(&stream, 1).await?.len() as u64;
        Ok(Self {
            log,
            stream,
            version,
            last: None,
            appended: 0,
        })
    }

    async fn write(
        &mut self,
        at: Timestamp,
        correlation: MessageId,
        events: Vec<Event>,
    ) -> Result<()> {
        let mut batch = Vec::with_capacity(events.len());
        for e in events {
            let mut new = NewEvent::new(e, at).correlated(correlation);
            new.causation_id = self.last;
            self.last = Some(new.event_id);
            batch.push(new);
        }
        let n = batch.len() as u64;
        let appended = self
            .log
            .append(&self.stream, ExpectedVersion::Exact(self.version), batch)
            .await?;
        self.version = appended.version;
        self.appended += n;
        Ok(())
    }
}

struct Call {
    id: CallId,
    arrives: Timestamp,
    caller: String,
    queue: QueueId,
    digits: &'static str,
    patience_ms: u64,
    talk_ms: u64,
    hold: bool,
    missed_first_offer: bool,
}

pub async fn run(data_dir: &Path, args: Args) -> Result<ExitCode> {
    let log = SqliteLog::open(data_dir)?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let sales = QueueId::new("sales").context("queue name")?;
    let support = QueueId::new("support").context("queue name")?;
    // The morning ends now; it started three hours ago.
    let now = Clock::system().now();
    let start = Timestamp::from_millis(now.as_millis() - 3 * 3_600_000);
    let spacing = 3 * 3_600_000 / u64::from(args.calls);

    let mut at = start;
    let calls: Vec<Call> = (0..args.calls)
        .map(|_| {
            at = at.plus_millis(rng.random_range(0..=2 * spacing));
            let to_sales = rng.random_bool(0.4);
            Call {
                id: CallId::generate(),
                arrives: at,
                caller: format!("+1555{:07}", rng.random_range(0..10_000_000u32)),
                queue: if to_sales {
                    sales.clone()
                } else {
                    support.clone()
                },
                digits: if to_sales { "1" } else { "2" },
                patience_ms: rng.random_range(5_000..300_000),
                talk_ms: rng.random_range(60_000..600_000),
                hold: rng.random_bool(0.2),
                missed_first_offer: rng.random_bool(0.05),
            }
        })
        .collect();

    let agents: Vec<(AgentId, String)> = (0..args.agents)
        .map(|i| {
            let name = NAMES[i as usize % NAMES.len()];
            let name = if i as usize >= NAMES.len() {
                format!("{name} {}", i as usize / NAMES.len() + 1)
            } else {
                name.into()
            };
            (AgentId::generate(), name)
        })
        .collect();

    println!(
        "Writing a generated morning to {}: {} calls, {} agents, queues `sales` and `support` ...",
        log.path().display(),
        args.calls,
        args.agents
    );
    let began = Instant::now();
    // Each agent's calls, in arrival order; the agent works them one after another. One task
    // per agent appends concurrently with the others, as live actors would.
    let mut per_agent: Vec<Vec<Call>> = agents.iter().map(|_| Vec::new()).collect();
    for (i, call) in calls.into_iter().enumerate() {
        per_agent[i % agents.len()].push(call);
    }
    let mut work = tokio::task::JoinSet::new();
    for ((agent, name), calls) in agents.into_iter().zip(per_agent) {
        let (log, queues) = (log.clone(), [sales.clone(), support.clone()]);
        work.spawn(async move { agent_morning(&log, agent, &name, calls, queues, start).await });
    }
    let mut total = 0;
    let mut story = None;
    while let Some(done) = work.join_next().await {
        let (written, example) = done.context("an agent's task failed")??;
        total += written;
        story = story.or(example);
    }
    let seconds = began.elapsed().as_secs_f64();
    println!(
        "Wrote {total} events in {seconds:.2} s ({:.0} events/s, each append durable on return).",
        total as f64 / seconds
    );

    let report = log.verify().await?;
    match &report.first_break {
        None => println!(
            "Chain verified: {} events, last hash {}.",
            report.events_checked, report.last_hash
        ),
        Some(b) => println!("Chain broken at position {}: {}", b.position, b.problem),
    }
    log.close().await?;

    if let Some(call) = story {
        println!(
            "\nThe story of one call (`hotline audit history {}`):",
            call.stream()
        );
        crate::audit::history(data_dir, call.stream().as_str()).await?;
    }
    let dir = data_dir.display();
    println!("\nNext, try:");
    println!(
        "  cargo run -q -- --data-dir {dir} log tail              # the last events, as JSON lines"
    );
    println!(
        "  cargo run -q -- --data-dir {dir} log tail --follow     # and new ones as they come"
    );
    println!(
        "  cargo run -q -- --data-dir {dir} audit verify          # prove nothing was altered"
    );
    Ok(if report.first_break.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The call rings at the agent: `offered` on the call, `reserved` on the agent.
async fn offer(
    call: &mut Writer<'_>,
    agent: &mut Writer<'_>,
    at: Timestamp,
    conversation: MessageId,
    id: AgentId,
    c: &Call,
) -> Result<()> {
    let offered = CallEvent::Offered {
        agent: id,
        queue: c.queue.clone(),
        ring_timeout_ms: 15_000,
    };
    call.write(at, conversation, vec![offered.into()]).await?;
    let reserved = AgentEvent::Reserved {
        call: c.id,
        queue: c.queue.clone(),
    };
    agent.write(at, conversation, vec![reserved.into()]).await
}

/// One agent's morning: log in, take the calls in turn, log out. Returns the events written
/// and, if one of its calls makes a good story (held, answered), that call.
async fn agent_morning(
    log: &SqliteLog,
    id: AgentId,
    name: &str,
    calls: Vec<Call>,
    queues: [QueueId; 2],
    start: Timestamp,
) -> Result<(u64, Option<CallId>)> {
    let mut agent = Writer::open(log, id.stream()).await?;
    let shift = MessageId::generate();
    let skills = vec![Skill {
        name: SkillName::new("english").context("skill")?,
        level: 7,
    }];
    agent
        .write(
            start,
            shift,
            vec![
                AgentEvent::LoggedIn {
                    name: name.to_owned(),
                    extension: None,
                    skills,
                    queues: queues.to_vec(),
                }
                .into(),
                AgentEvent::Ready.into(),
            ],
        )
        .await?;
    let mut free_at = start;
    let mut written = 0;
    let mut story = None;
    for c in calls {
        let mut call = Writer::open(log, c.id.stream()).await?;
        let conversation = MessageId::generate();
        let queued_at = c.arrives.plus_millis(8_000);
        call.write(
            c.arrives,
            conversation,
            vec![
                CallEvent::Arrived {
                    number: "+18005550100".into(),
                    caller: c.caller.clone(),
                    channel: Channel::Voice,
                    customer: None,
                }
                .into(),
            ],
        )
        .await?;
        call.write(
            c.arrives.plus_millis(6_000),
            conversation,
            vec![
                CallEvent::IvrInput {
                    digits: c.digits.into(),
                }
                .into(),
            ],
        )
        .await?;
        call.write(
            queued_at,
            conversation,
            vec![
                CallEvent::Queued {
                    queue: c.queue.clone(),
                    priority: 5,
                    skills: vec![],
                }
                .into(),
            ],
        )
        .await?;
        let offered_at = free_at.max(queued_at);
        if offered_at.millis_since(queued_at) > c.patience_ms {
            let gone = queued_at.plus_millis(c.patience_ms);
            call.write(
                gone,
                conversation,
                vec![
                    CallEvent::Abandoned {
                        queue: c.queue.clone(),
                        waited_ms: c.patience_ms,
                    }
                    .into(),
                    CallEvent::Ended {
                        by: Party::Caller,
                        reason: EndReason::Abandoned,
                    }
                    .into(),
                ],
            )
            .await?;
            written += call.appended;
            continue;
        }
        let mut ring_at = offered_at;
        if c.missed_first_offer {
            offer(&mut call, &mut agent, ring_at, conversation, id, &c).await?;
            ring_at = ring_at.plus_millis(15_000);
            call.write(
                ring_at,
                conversation,
                vec![
                    CallEvent::OfferMissed {
                        agent: id,
                        reason: OfferMissReason::NoAnswer,
                    }
                    .into(),
                ],
            )
            .await?;
            agent
                .write(ring_at, conversation, vec![AgentEvent::Ready.into()])
                .await?;
        }
        offer(&mut call, &mut agent, ring_at, conversation, id, &c).await?;
        let answered = ring_at.plus_millis(4_000);
        call.write(
            answered,
            conversation,
            vec![
                CallEvent::Answered {
                    agent: id,
                    waited_ms: answered.millis_since(queued_at),
                }
                .into(),
            ],
        )
        .await?;
        agent
            .write(
                answered,
                conversation,
                vec![AgentEvent::Busy { call: c.id }.into()],
            )
            .await?;
        let mut ends = answered.plus_millis(c.talk_ms);
        if c.hold {
            let held = answered.plus_millis(c.talk_ms / 2);
            call.write(held, conversation, vec![CallEvent::Held { by: id }.into()])
                .await?;
            call.write(
                held.plus_millis(45_000),
                conversation,
                vec![CallEvent::Resumed { by: id }.into()],
            )
            .await?;
            ends = ends.plus_millis(45_000);
            if story.is_none() && !c.missed_first_offer {
                story = Some(c.id);
            }
        }
        call.write(
            ends,
            conversation,
            vec![
                CallEvent::Ended {
                    by: Party::Caller,
                    reason: EndReason::Completed,
                }
                .into(),
            ],
        )
        .await?;
        let wrapped = ends.plus_millis(30_000);
        agent
            .write(
                ends,
                conversation,
                vec![
                    AgentEvent::WrappingUp {
                        call: c.id,
                        limit_ms: 60_000,
                    }
                    .into(),
                ],
            )
            .await?;
        agent
            .write(
                wrapped,
                conversation,
                vec![
                    AgentEvent::WrapUpCompleted {
                        call: c.id,
                        disposition: Some("resolved".into()),
                        notes: None,
                    }
                    .into(),
                    AgentEvent::Ready.into(),
                ],
            )
            .await?;
        free_at = wrapped;
        written += call.appended;
    }
    agent
        .write(
            free_at.max(start.plus_millis(3 * 3_600_000)),
            shift,
            vec![AgentEvent::LoggedOut.into()],
        )
        .await?;
    Ok((written + agent.appended, story))
}
