//! The router's ractor shell: one actor for every queue of the center, so that an agent in
//! several queues and a call overflowing between queues are decided in one place, with no
//! race between two routers over one agent. It writes the `queue-<id>` streams.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hotline_events::{CallId, Event, NewEvent, QueueEvent, QueueId, SkillName, Timestamp};
use hotline_infra::ExpectedVersion;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::task::JoinHandle;

use crate::agent::actor::AgentMsg;
use crate::call::CallCommand;
use crate::call::actor::CallMsg;
use crate::center::Services;
use crate::router::{AgentView, Router, RouterCommand};

/// What the router is told.
#[derive(Debug)]
pub enum RouterMsg {
    Enqueue {
        call: CallId,
        queue: QueueId,
        priority: u8,
        skills: Vec<SkillName>,
        /// When the call was queued (its `queued` durable): routing latency starts here.
        since: Instant,
    },
    Leave {
        call: CallId,
    },
    RequestCallback {
        call: CallId,
        number: String,
    },
    /// An agent's view changed (the wall-clock moment it did: when it became free,
    /// routing latency starts here).
    AgentChanged(AgentView, Instant),
    AgentGone(hotline_events::AgentId),
    OfferEnded {
        call: CallId,
        agent: hotline_events::AgentId,
    },
    HandleTime {
        queue: QueueId,
        millis: u64,
    },
    /// After a restart: every call not in `live` has ended meanwhile and leaves its queue.
    Reconcile {
        live: Vec<CallId>,
    },
    Tick,
    /// Write the events decided since the last flush (sent by the router to itself).
    Flush,
    /// The calls waiting in each queue, in the order they will be served.
    Waiting(RpcReplyPort<Vec<(QueueId, Vec<CallId>)>>),
}

#[derive(Debug)]
pub struct RouterActor;

#[derive(Debug)]
pub struct RouterShell {
    router: Router,
    services: Services,
    /// The version of each queue stream: the router is their one writer.
    versions: HashMap<QueueId, u64>,
    rng: StdRng,
    timer: Option<JoinHandle<()>>,
    /// Decided and folded, not yet durable, not yet acted on; with the wall-clock moment
    /// the decision became due.
    pending: Vec<(QueueId, QueueEvent, Timestamp, Instant)>,
    /// When the message being handled made a decision due.
    due: Instant,
    flush_scheduled: bool,
}

impl Actor for RouterActor {
    type Msg = RouterMsg;
    type State = RouterShell;
    type Arguments = (Services, u64);

    async fn pre_start(
        &self,
        myself: ActorRef<RouterMsg>,
        (services, seed): (Services, u64),
    ) -> Result<RouterShell, ActorProcessingErr> {
        let config = &services.config;
        let mut router = Router::new(config.queues.clone(), config.router.clone());
        let mut versions = HashMap::new();
        for q in &config.queues {
            let records = services.log.read_stream(&q.id.stream(), 1).await?;
            for r in &records {
                if let Event::Queue(e) = r.event() {
                    router.evolve(&q.id, &e, r.occurred_at);
                }
            }
            versions.insert(q.id.clone(), records.last().map_or(0, |r| r.version));
        }
        // The hunting order of each queue is the order of agents in the configuration.
        for a in &config.agents {
            router.agent_changed(AgentView {
                id: a.id,
                available_since: None,
                logged_in: false,
                skills: a.skills.clone(),
                queues: a.queues.clone(),
                weight: a.weight,
                calls_today: 0,
                talk_ms_today: 0,
            });
        }
        services.directory.set_router(myself);
        Ok(RouterShell {
            router,
            services,
            versions,
            rng: StdRng::seed_from_u64(seed),
            timer: None,
            pending: Vec::new(),
            due: Instant::now(),
            flush_scheduled: false,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<RouterMsg>,
        msg: RouterMsg,
        shell: &mut RouterShell,
    ) -> Result<(), ActorProcessingErr> {
        shell.due = match &msg {
            RouterMsg::Enqueue { since, .. } | RouterMsg::AgentChanged(_, since) => *since,
            _ => Instant::now(),
        };
        match msg {
            RouterMsg::Enqueue {
                call,
                queue,
                priority,
                skills,
                since: _,
            } => {
                let cmd = RouterCommand::Enqueue {
                    call,
                    queue,
                    priority,
                    skills,
                };
                shell.run(cmd);
            }
            RouterMsg::Leave { call } => shell.run(RouterCommand::Leave { call }),
            RouterMsg::RequestCallback { call, number } => {
                shell.run(RouterCommand::RequestCallback { call, number })
            }
            RouterMsg::AgentChanged(view, _) => shell.router.agent_changed(view),
            RouterMsg::AgentGone(agent) => shell.router.agent_gone(agent),
            RouterMsg::OfferEnded { call, agent } => shell.router.offer_ended(call, agent),
            RouterMsg::HandleTime { queue, millis } => {
                shell.router.handle_time_observed(&queue, millis)
            }
            RouterMsg::Reconcile { live } => {
                let live: std::collections::HashSet<CallId> = live.into_iter().collect();
                let gone: Vec<CallId> = shell
                    .waiting_by_queue()
                    .into_iter()
                    .flat_map(|(_, calls)| calls)
                    .filter(|c| !live.contains(c))
                    .collect();
                for call in gone {
                    shell.run(RouterCommand::Leave { call });
                }
            }
            RouterMsg::Tick => shell.run(RouterCommand::Tick),
            RouterMsg::Flush => {
                shell.flush_scheduled = false;
                shell.flush().await?;
                return Ok(());
            }
            RouterMsg::Waiting(reply) => {
                let _ = reply.send(shell.waiting_by_queue());
                return Ok(());
            }
        }
        shell.run(RouterCommand::Dispatch);
        if !shell.pending.is_empty() && !shell.flush_scheduled {
            shell.flush_scheduled = true;
            let _ = myself.cast(RouterMsg::Flush);
        }
        shell.schedule(&myself);
        Ok(())
    }
}

impl RouterShell {
    /// Decide and evolve at once; append and act at the next flush. Rejections are logged
    /// and dropped: the router's commands come from actors that re-send what matters after
    /// a restart.
    ///
    /// The router serves every queue, so it must not wait for the disk once per message:
    /// the messages that arrive while a flush is on disk are decided against the state
    /// that includes the pending events, then written together by the next flush (one
    /// append per queue stream), and only then acted on. If an append fails the actor
    /// fails, and its restart folds the streams as they are on disk: no effect of an
    /// event that did not become durable was ever performed.
    fn run(&mut self, cmd: RouterCommand) {
        let now = self.services.clock.now();
        match self.router.decide(&cmd, now, &mut self.rng) {
            Ok(events) => {
                for (queue, e) in events {
                    self.router.evolve(&queue, &e, now);
                    self.pending.push((queue, e, now, self.due));
                }
            }
            Err(rejection) => tracing::debug!(?cmd, %rejection, "router command refused"),
        }
    }

    /// Appends the pending events, one append per run of a queue's events, then acts on
    /// them in the order they were decided.
    async fn flush(&mut self) -> Result<(), ActorProcessingErr> {
        let pending = std::mem::take(&mut self.pending);
        let mut start = 0;
        while start < pending.len() {
            let queue = &pending[start].0;
            let end = pending[start..]
                .iter()
                .position(|(q, ..)| q != queue)
                .map_or(pending.len(), |n| start + n);
            let batch: Vec<NewEvent> = pending[start..end]
                .iter()
                .map(|(_, e, at, _)| NewEvent::new(e.clone(), *at))
                .collect();
            let version = self.versions.get(queue).copied().unwrap_or(0);
            let count = batch.len() as u64;
            self.services
                .log
                .append(&queue.stream(), ExpectedVersion::Exact(version), batch)
                .await?;
            self.versions.insert(queue.clone(), version + count);
            start = end;
        }
        for (queue, e, _, due) in &pending {
            self.act(queue, e);
            if matches!(
                e,
                QueueEvent::AgentsSelected { .. } | QueueEvent::CallOverflowed { .. }
            ) {
                self.services.routing_latency.record(due.elapsed());
            }
        }
        Ok(())
    }

    fn act(&self, queue: &QueueId, e: &QueueEvent) {
        let dir = &self.services.directory;
        match e {
            QueueEvent::AgentsSelected { call, agents, .. } => {
                let ring_timeout_ms = self
                    .services
                    .config
                    .queue(queue)
                    .map_or(15_000, |q| q.ring_timeout.as_millis() as u64);
                for agent in agents {
                    match dir.agent(*agent) {
                        Some(a) => {
                            let _ = a.cast(AgentMsg::Reserve {
                                call: *call,
                                queue: queue.clone(),
                                ring_timeout_ms,
                            });
                        }
                        None => tracing::warn!(%agent, "selected agent has no actor"),
                    }
                }
            }
            QueueEvent::CallOverflowed { call, to, reason } => {
                if let Some(c) = dir.call(*call) {
                    let cmd = CallCommand::Overflow {
                        from: queue.clone(),
                        to: to.clone(),
                        reason: *reason,
                    };
                    let _ = c.cast(CallMsg::Command(cmd, None));
                }
            }
            QueueEvent::PositionEstimated {
                call,
                position,
                estimated_wait_ms,
            } => {
                let minutes = estimated_wait_ms.div_ceil(60_000);
                let prompt = format!("position-{position}-wait-{minutes}-minutes");
                // A callback's caller is not on the line: nothing to play to.
                let _ = self.services.telephony.play(*call, &prompt);
            }
            QueueEvent::CallWaiting { .. }
            | QueueEvent::CallbackRequested { .. }
            | QueueEvent::CallbackDialed { .. }
            | QueueEvent::CallLeft { .. } => {}
        }
    }

    fn waiting_by_queue(&self) -> Vec<(QueueId, Vec<CallId>)> {
        self.services
            .config
            .queues
            .iter()
            .map(|q| {
                let calls = self.router.waiting(&q.id).into_iter().map(|w| w.call);
                (q.id.clone(), calls.collect())
            })
            .collect()
    }

    /// One timer, for the earliest moment a tick has something to do.
    fn schedule(&mut self, myself: &ActorRef<RouterMsg>) {
        if let Some(t) = self.timer.take() {
            t.abort();
        }
        let now = self.services.clock.now();
        if let Some(deadline) = self.router.next_deadline(now) {
            let wait = Duration::from_millis(deadline.millis_since(now).max(1));
            let me = myself.clone();
            self.timer = Some(tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                let _ = me.cast(RouterMsg::Tick);
            }));
        }
    }
}
