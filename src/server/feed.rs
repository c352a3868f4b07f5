//! The live boards as one JSON document, rebuilt a few times a second by one task and
//! shared through a `watch` channel: every client of the feed reads the latest document
//! when it is ready for one, so a slow client skips versions instead of queueing them,
//! and no client can hold up the boards or the center.

use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use hotline_events::Timestamp;
use hotline_infra::config::CenterConfig;
use hotline_projections::sql::tables::day_of;
use hotline_projections::{AgentStateKind, Views};
use serde::Serialize;
use tokio::sync::watch;

/// How often the boards are rebuilt, at most: the feed's top rate per client.
pub const PERIOD: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Serialize)]
pub struct QueueTile {
    pub queue: String,
    pub name: String,
    pub waiting: u32,
    pub longest_wait_s: f64,
    pub offered: u32,
    pub answered: u32,
    pub abandoned: u32,
    pub short_abandons: u32,
    /// From 0 to 1; `null` before the first counted call.
    pub service_level: Option<f64>,
    /// The queue's target, from 0 to 1, and its threshold.
    pub sl_target: f64,
    pub sl_threshold_s: f64,
    pub asa_s: Option<f64>,
    pub aht_s: Option<f64>,
    pub abandon_rate: Option<f64>,
    pub agents: AgentCounts,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AgentCounts {
    pub available: u32,
    pub not_ready: u32,
    pub reserved: u32,
    pub busy: u32,
    pub wrapping_up: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentTile {
    pub agent: String,
    pub name: String,
    /// `available`, `not_ready`, `reserved`, `busy`, `wrapping_up`; `null` when logged out.
    pub state: Option<&'static str>,
    pub reason: Option<String>,
    pub time_in_state_s: f64,
    pub calls_today: u32,
    pub occupancy: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntervalPoint {
    pub queue: String,
    pub start: Timestamp,
    pub offered: u32,
    pub service_level: Option<f64>,
}

/// One outbound campaign's dialing today, from the `campaign_attempts` read model.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignTile {
    pub campaign: String,
    /// The campaign's name (its id when the log holds no `created` for it).
    pub name: String,
    /// `created`, `running`, `paused`, `completed`; `null` when unknown.
    pub status: Option<hotline_projections::CampaignStatus>,
    pub dialed: u32,
    /// Connected plus abandoned: the denominator of the dialer's abandon rate.
    pub answered_by_person: u32,
    pub machines: u32,
    pub abandoned: u32,
    /// Abandoned over answered by a person, from 0 to 1; `null` before anyone answered.
    pub abandon_rate: Option<f64>,
    /// The campaign's ceiling (0.03 for 3 %), when known.
    pub max_abandon_rate: Option<f64>,
    /// Dialed and not yet ended.
    pub in_flight: u32,
}

/// Everything the wallboard shows.
#[derive(Debug, Clone, Serialize)]
pub struct Boards {
    pub at: Timestamp,
    /// The log position these figures include.
    pub position: u64,
    pub queues: Vec<QueueTile>,
    pub agents: Vec<AgentTile>,
    /// Today's 15-minute service level per queue, oldest first.
    pub intervals: Vec<IntervalPoint>,
    /// Outbound campaigns: those not completed, and any that dialed today.
    pub campaigns: Vec<CampaignTile>,
}

fn secs(ms: Option<f64>) -> Option<f64> {
    ms.map(|v| v / 1000.0)
}

/// The boards as of `now`.
pub fn build(views: &Views, config: &CenterConfig, zone: Tz, now: Timestamp) -> Boards {
    let models = views.read();
    let queues = config
        .queues
        .iter()
        .map(|q| {
            let b = models.boards.queue(&q.id, now);
            QueueTile {
                queue: q.id.as_str().to_owned(),
                name: q.name.clone(),
                waiting: b.waiting,
                longest_wait_s: b.longest_wait_ms as f64 / 1000.0,
                offered: b.today.offered,
                answered: b.today.answered,
                abandoned: b.today.abandoned,
                short_abandons: b.today.short_abandons,
                service_level: b.service_level,
                sl_target: f64::from(q.service_level_target) / 100.0,
                sl_threshold_s: q.service_level_threshold.as_secs_f64(),
                asa_s: secs(b.asa_ms),
                aht_s: secs(b.aht_ms),
                abandon_rate: b.today.abandon_rate(),
                agents: AgentCounts {
                    available: b.agents.available,
                    not_ready: b.agents.not_ready,
                    reserved: b.agents.reserved,
                    busy: b.agents.busy,
                    wrapping_up: b.agents.wrapping_up,
                },
            }
        })
        .collect();
    let agents = models
        .boards
        .agents(now)
        .into_iter()
        .map(|a| AgentTile {
            agent: a.agent.to_string(),
            name: a.name,
            state: a.state.map(AgentStateKind::name),
            reason: a.reason,
            time_in_state_s: a.time_in_state_ms as f64 / 1000.0,
            calls_today: a.calls_today,
            occupancy: a.occupancy_today,
        })
        .collect();
    let today = day_of(now, zone);
    let campaigns = models
        .campaign_attempts
        .summaries(|r| day_of(r.dialed_at, zone) == today)
        .into_iter()
        .map(|c| CampaignTile {
            campaign: c.campaign.to_string(),
            name: c.name.clone().unwrap_or_else(|| c.campaign.to_string()),
            status: c.status,
            dialed: c.dialed,
            answered_by_person: c.answered_by_person,
            machines: c.machines,
            abandoned: c.abandoned,
            abandon_rate: c.abandon_rate(),
            max_abandon_rate: c.max_abandon_rate,
            in_flight: c.in_flight,
        })
        .collect();
    let intervals = models
        .queue_intervals
        .rows()
        .into_iter()
        .filter(|r| day_of(r.start, zone) == today)
        .map(|r| IntervalPoint {
            queue: r.queue.as_str().to_owned(),
            start: r.start,
            offered: r.counts.offered,
            service_level: r.counts.service_level(),
        })
        .collect();
    Boards {
        at: now,
        position: views.position(),
        queues,
        agents,
        intervals,
        campaigns,
    }
}

/// The boards as last built, and their JSON: what every reader of the boards shares.
#[derive(Debug)]
pub struct Published {
    pub boards: Boards,
    pub json: String,
}

fn publishable(boards: Boards) -> Arc<Published> {
    let json = serde_json::to_string(&boards).unwrap_or_default();
    Arc::new(Published { boards, json })
}

/// Rebuilds the boards every [`PERIOD`] and publishes them when they change.
pub fn publish(
    views: Views,
    config: Arc<CenterConfig>,
    zone: Tz,
    now: impl Fn() -> Timestamp + Send + 'static,
) -> watch::Receiver<Arc<Published>> {
    let (tx, rx) = watch::channel(publishable(build(&views, &config, zone, now())));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let views = views.clone();
            let config = config.clone();
            let at = now();
            // Building reads the models under their lock: off the async threads.
            let built =
                tokio::task::spawn_blocking(move || publishable(build(&views, &config, zone, at)))
                    .await;
            let Ok(published) = built else { continue };
            let changed = tx.borrow().json != published.json;
            if changed && tx.send(published).is_err() {
                break;
            }
        }
    });
    rx
}
