//! Outbound runs: one campaign dialing a simulated list through the production actors
//! (the campaign's dialer, the call actors, the router and the agents) on the virtual
//! clock, and its figures read back from the log: the abandon rate of each hour after the
//! warm-up, agent occupancy and the wait between calls, and the compliance counts (dials
//! outside their window, to do-not-call numbers) as the `campaign_attempts` projection,
//! behind the `campaign_compliance` view, judges them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use hotline_actors::Center;
use hotline_actors::campaign::actor::{CampaignRun, DialerFigures};
use hotline_actors::campaign::{Campaign, CampaignCommand, CampaignState};
use hotline_actors::decider::Decider;
use hotline_events::{
    AgentEvent, AttemptOutcome, CampaignId, CampaignSettings, DialMode, Event, LeadId, NewEvent,
    QueueId, Timestamp,
};
use hotline_infra::{Clock, EventLog, ExpectedVersion, VirtualTimeLog};
use hotline_media::{AgentModel, Dist, OutboundScript, SimNetwork};
use hotline_projections::CampaignAttempts;
use hotline_projections::{Fact, Projection};

use crate::run::{RunError, log_in, on_virtual_clock, sub_seed};
use crate::scenario::Scenario;

/// One outbound run.
#[derive(Debug, Clone)]
pub struct DialerRun {
    pub seed: u64,
    pub agents: u32,
    pub mode: DialMode,
    /// The share of dials a person answers.
    pub person_rate: f64,
    /// Mean talk time, seconds (exponential).
    pub talk_secs: f64,
    /// After-call work, seconds.
    pub wrap_up_secs: u64,
    /// Dialed before the figures start.
    pub warmup: Duration,
    /// Measured after the warm-up, in whole hours.
    pub hours: u32,
}

impl DialerRun {
    /// 50 agents, 2-minute calls, 10 s of wrap-up, a 20-minute warm-up, two hours.
    pub fn fifty_agents(mode: DialMode, person_rate: f64, seed: u64) -> Self {
        Self {
            seed,
            agents: 50,
            mode,
            person_rate,
            talk_secs: 120.0,
            wrap_up_secs: 10,
            warmup: Duration::from_secs(20 * 60),
            hours: 2,
        }
    }
}

/// What a run came to.
#[derive(Debug, Clone, PartialEq)]
pub struct DialerReport {
    /// Per measured hour: (answered by a person, abandoned).
    pub hours: Vec<(u32, u32)>,
    /// Time agents spent on calls and wrap-up over their logged-in time, after the warm-up.
    pub occupancy: f64,
    /// Mean idle time between an agent's calls, seconds, after the warm-up.
    pub mean_wait_secs: f64,
    pub dialed: usize,
    pub connected: usize,
    pub outside_hours: usize,
    pub dnc_hits: usize,
    /// Dials the core refused at the moment of dialing.
    pub blocked: u64,
    pub figures: DialerFigures,
}

impl DialerReport {
    pub fn abandon_rates(&self) -> Vec<f64> {
        self.hours
            .iter()
            .map(|&(answered, abandoned)| {
                if answered == 0 {
                    0.0
                } else {
                    f64::from(abandoned) / f64::from(answered)
                }
            })
            .collect()
    }
}

/// The center of a run: one queue of `agents` agents and the number answered lines
/// arrive on.
const NUMBER: &str = "+18005550300";
/// Leads added to the list whenever fewer than this are waiting (lists are topped up).
const TOP_UP_BELOW: usize = 1_500;
const TOP_UP: usize = 1_500;
/// Of the leads, the share in Los Angeles (outside their window for the first two hours:
/// the run starts at 09:00 in New York, 06:00 in Los Angeles).
const WEST_SHARE: u64 = 10;

fn scenario(run: &DialerRun) -> Result<Scenario, RunError> {
    let text = format!(
        "[scenario]\nseed = {seed}\nstart = \"2026-12-01T09:00:00-05:00\"\n\
         [[queues]]\nid = \"outbound\"\nstrategy = \"longest_idle\"\nwrap_up = \"{wrap}s\"\n\
         [[numbers]]\nnumber = \"{NUMBER}\"\nqueue = \"outbound\"\n\
         [[arrivals]]\nnumber = \"{NUMBER}\"\ncalls = [0]\ntalk = {{ exponential = \"120s\" }}\n\
         [[agent_groups]]\nname = \"dialer\"\ncount = {agents}\nqueues = [\"outbound\"]\n",
        seed = run.seed,
        wrap = run.wrap_up_secs,
        agents = run.agents,
    );
    Scenario::parse(&text, "dialer.toml").map_err(|e| RunError::Center(e.to_string()))
}

/// Runs `run` into `log` (empty) on a virtual clock of its own.
pub fn run(run: &DialerRun, log: Arc<dyn EventLog>) -> Result<DialerReport, RunError> {
    on_virtual_clock(sub_seed(run.seed, 3), dial(run, log))?
}

async fn dial(run: &DialerRun, log: Arc<dyn EventLog>) -> Result<DialerReport, RunError> {
    let scenario = scenario(run)?;
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(log));
    let (net, reports) = SimNetwork::new(sub_seed(run.seed, 1), 65_536);
    let answer = AgentModel {
        answer_delay: Dist::Fixed { secs: 0.5 },
        answer_probability: 1.0,
    };
    for a in &scenario.center.agents {
        net.add_agent(a.id, answer.clone());
    }
    net.set_outbound(OutboundScript {
        person: run.person_rate,
        machine: 0.1,
        busy: 0.05,
        time_to_answer: Dist::LogNormal {
            mean_secs: 12.0,
            sd_secs: 6.0,
        },
        ring_out: Duration::from_secs(30),
        // People who answer wait a few seconds for someone to speak, rarely under one.
        patience: Dist::LogNormal {
            mean_secs: 8.0,
            sd_secs: 3.0,
        },
        talk: Dist::Exponential {
            mean_secs: run.talk_secs,
        },
        amd_accuracy: 0.95,
    });
    let start = Timestamp::from_datetime(scenario.start.to_utc());
    let clock = Clock::starting_at(start);
    let campaign = CampaignId::generate();
    let mut list = List {
        campaign,
        state: CampaignState::default(),
        next_phone: 0,
        dnc: Vec::new(),
    };
    let settings = CampaignSettings {
        dial_mode: run.mode,
        ..CampaignSettings::default()
    };
    list.decide(
        log.as_ref(),
        CampaignCommand::Create {
            name: "accuracy".into(),
            settings,
        },
        clock.now(),
    )
    .await?;
    list.add_leads(log.as_ref(), TOP_UP * 2, clock.now())
        .await?;
    list.decide(log.as_ref(), CampaignCommand::Start, clock.now())
        .await?;

    let center = Center::start(
        scenario.center.clone(),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        clock,
        sub_seed(run.seed, 2),
    )
    .await
    .map_err(|e| RunError::Center(e.to_string()))?;
    for a in &scenario.center.agents {
        let _ = center.agent(a.id, log_in(a)).await;
        let _ = center
            .agent(a.id, hotline_actors::agent::AgentCommand::Ready)
            .await;
    }
    center
        .start_campaign(CampaignRun {
            campaign,
            number: NUMBER.into(),
            queue: QueueId::new("outbound").map_err(|e| RunError::Center(e.to_string()))?,
            ring_timeout_ms: 15_000,
        })
        .await
        .map_err(|e| RunError::Center(e.to_string()))?;

    let length = run.warmup + Duration::from_secs(3600 * u64::from(run.hours));
    let origin = tokio::time::Instant::now();
    let mut minute = 0u64;
    while origin.elapsed() < length {
        minute += 1;
        tokio::time::sleep_until(origin + Duration::from_secs(60 * minute)).await;
        let now = clock.now();
        let Some(state) = center.campaign_state(campaign).await else {
            break;
        };
        let waiting = state
            .leads
            .values()
            .filter(|l| {
                matches!(l.status, hotline_actors::campaign::LeadStatus::Waiting { due, .. }
                    if due <= now.plus_millis(600_000))
            })
            .count();
        if waiting < TOP_UP_BELOW {
            // Topped up through the campaign's actor, the stream's one writer.
            for _ in 0..TOP_UP {
                let cmd = list.next_lead();
                let _ = center.campaign(campaign, cmd).await;
            }
        }
        if minute.is_multiple_of(30) {
            // A number a lead has goes on the do-not-call list mid-run: it must never be
            // dialed from then on.
            let number = list.phone(list.next_phone.saturating_sub(7));
            list.dnc.push(number.clone());
            let cmd = CampaignCommand::AddDoNotCall {
                numbers: vec![number],
                source: "complaint".into(),
            };
            let _ = center.campaign(campaign, cmd).await;
        }
    }
    let figures = center.dialer_figures(campaign).await.unwrap_or_default();
    let _ = center.campaign(campaign, CampaignCommand::Stop).await;
    center.stop().await;

    let measured_from = start.plus_millis(run.warmup.as_millis() as u64);
    report(log.as_ref(), run, measured_from, figures).await
}

/// The campaign's stream while the driver still writes it (before the dialer starts),
/// and the numbers it hands out.
struct List {
    campaign: CampaignId,
    state: CampaignState,
    next_phone: u64,
    dnc: Vec<String>,
}

impl List {
    fn phone(&self, n: u64) -> String {
        // New York (212) numbers, then Los Angeles (213) ones, interleaved.
        let area = if n % WEST_SHARE == WEST_SHARE - 1 {
            213
        } else {
            212
        };
        format!("+1{area}{}{:04}", 201 + n / 10_000, n % 10_000)
    }

    fn next_lead(&mut self) -> CampaignCommand {
        let n = self.next_phone;
        self.next_phone += 1;
        let zone = if n % WEST_SHARE == WEST_SHARE - 1 {
            "America/Los_Angeles"
        } else {
            "America/New_York"
        };
        CampaignCommand::AddLead {
            lead: LeadId::generate(),
            phone: self.phone(n),
            time_zones: vec![zone.to_owned()],
            priority: 0,
            fields: BTreeMap::new(),
        }
    }

    async fn decide(
        &mut self,
        log: &dyn EventLog,
        cmd: CampaignCommand,
        now: Timestamp,
    ) -> Result<(), RunError> {
        let events = Campaign::decide(&self.state, &cmd, now)
            .map_err(|e| RunError::Center(e.to_string()))?;
        let batch = events
            .iter()
            .map(|e| NewEvent::new(e.clone(), now))
            .collect();
        log.append(
            &self.campaign.stream(),
            ExpectedVersion::Exact(self.state.version),
            batch,
        )
        .await?;
        for e in &events {
            self.state = Campaign::evolve(std::mem::take(&mut self.state), e, now);
        }
        Ok(())
    }

    async fn add_leads(
        &mut self,
        log: &dyn EventLog,
        n: usize,
        now: Timestamp,
    ) -> Result<(), RunError> {
        for _ in 0..n {
            let cmd = self.next_lead();
            self.decide(log, cmd, now).await?;
        }
        Ok(())
    }
}

/// The figures of a run, from its log.
async fn report(
    log: &dyn EventLog,
    run: &DialerRun,
    from: Timestamp,
    figures: DialerFigures,
) -> Result<DialerReport, RunError> {
    let mut attempts = CampaignAttempts::new();
    // Per agent: when the current busy or free stretch began.
    #[derive(Default)]
    struct Agent {
        free_since: Option<Timestamp>,
        busy_since: Option<Timestamp>,
        busy_ms: u64,
        free_ms: u64,
        gaps: u32,
    }
    let mut agents: HashMap<String, Agent> = HashMap::new();
    let clip = |t: Timestamp| if t < from { from } else { t };
    let mut position = 1;
    let mut last = from;
    loop {
        let batch = log.read_all(position, 10_000).await?;
        let Some(end) = batch.last() else { break };
        position = end.position + 1;
        for r in &batch {
            let event = r.event();
            attempts.apply(&Fact::new(r, &event));
            last = r.occurred_at;
            let Event::Agent(e) = &event else { continue };
            let a = agents.entry(r.stream.id().to_owned()).or_default();
            let at = r.occurred_at;
            match e {
                // Free again: after-call work done, or an offer that was not taken.
                AgentEvent::Ready { .. }
                | AgentEvent::WrapUpCompleted { .. }
                | AgentEvent::OfferMissed { .. } => {
                    if let Some(b) = a.busy_since.take()
                        && at > from
                    {
                        a.busy_ms += at.millis_since(clip(b));
                    }
                    a.free_since = Some(at);
                }
                AgentEvent::Reserved { .. } => {
                    if let Some(f) = a.free_since.take()
                        && at > from
                    {
                        a.free_ms += at.millis_since(clip(f));
                        a.gaps += 1;
                    }
                    a.busy_since.get_or_insert(at);
                }
                _ => {}
            }
        }
    }
    let (mut busy, mut free, mut gaps) = (0u64, 0u64, 0u32);
    for a in agents.values() {
        busy += a.busy_ms
            + a.busy_since.map_or(0, |b| {
                if last > from {
                    last.millis_since(clip(b))
                } else {
                    0
                }
            });
        free += a.free_ms
            + a.free_since.map_or(0, |f| {
                if last > from {
                    last.millis_since(clip(f))
                } else {
                    0
                }
            });
        gaps += a.gaps;
    }
    let mut hours = vec![(0u32, 0u32); run.hours as usize];
    let rows = attempts.rows();
    for row in rows {
        let (Some(outcome), Some(ended)) = (row.outcome, row.ended_at) else {
            continue;
        };
        if ended < from {
            continue;
        }
        let hour = (ended.millis_since(from) / 3_600_000) as usize;
        let Some(h) = hours.get_mut(hour) else {
            continue;
        };
        match outcome {
            AttemptOutcome::Connected => h.0 += 1,
            AttemptOutcome::Abandoned => {
                h.0 += 1;
                h.1 += 1;
            }
            _ => {}
        }
    }
    Ok(DialerReport {
        hours,
        occupancy: busy as f64 / (busy + free).max(1) as f64,
        mean_wait_secs: free as f64 / 1000.0 / f64::from(gaps.max(1)),
        dialed: rows.len(),
        connected: rows
            .iter()
            .filter(|r| r.outcome == Some(AttemptOutcome::Connected))
            .count(),
        outside_hours: rows.iter().filter(|r| r.outside_hours).count(),
        dnc_hits: rows.iter().filter(|r| r.on_do_not_call).count(),
        blocked: figures.blocked,
        figures,
    })
}
