//! The projection runner: it keeps the read models ([`ReadModels`]) up to date with the
//! log. At start each projection is restored from its snapshot (or starts empty), the
//! runner catches up from the lowest checkpoint, then follows the live log; snapshots are
//! saved every so many events or seconds and on stop. Readers share the models through
//! [`Views`].
//!
//! Each event is decoded once and lent to every projection as a [`Fact`]: decoding the
//! JSON costs more than all the folds together. A projection ahead of the lowest
//! checkpoint ignores what it has already folded (projections are idempotent by position),
//! and the runner hands each position over exactly once per run.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use hotline_events::Decoded;
use hotline_infra::{EventLog, LogError, SnapshotError, SnapshotStore};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::projection::{Fact, Projection};
use crate::rules::MetricRules;
use crate::snapshot::{self, Stored};
use crate::{
    AgentStates, Boards, Calls, CampaignAttempts, Customers, Interactions, QueueIntervals,
    Recordings, ScreenPop, Surveys, Voicemails,
};

/// How many events one read of the log brings. Big enough that the per-read cost (a
/// blocking-pool hop, a statement) vanishes, small enough to keep the pipeline full.
const BATCH: usize = 4096;

/// A read model the runner keeps, by its stored name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Name {
    Calls,
    AgentStates,
    QueueIntervals,
    Boards,
    Customers,
    Interactions,
    CampaignAttempts,
    Recordings,
    Voicemails,
    Surveys,
}

impl Name {
    pub const ALL: [Name; 10] = [
        Name::Calls,
        Name::AgentStates,
        Name::QueueIntervals,
        Name::Boards,
        Name::Customers,
        Name::Interactions,
        Name::CampaignAttempts,
        Name::Recordings,
        Name::Voicemails,
        Name::Surveys,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Name::Calls => Calls::NAME,
            Name::AgentStates => AgentStates::NAME,
            Name::QueueIntervals => QueueIntervals::NAME,
            Name::Boards => Boards::NAME,
            Name::Customers => Customers::NAME,
            Name::Interactions => Interactions::NAME,
            Name::CampaignAttempts => CampaignAttempts::NAME,
            Name::Recordings => Recordings::NAME,
            Name::Voicemails => Voicemails::NAME,
            Name::Surveys => Surveys::NAME,
        }
    }

    /// The names as a user types them, comma-separated.
    pub fn listed(names: &[Name]) -> String {
        names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A projection name that is not one of [`Name::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no projection is named {given:?}; the projections are {}", Name::listed(&Name::ALL))]
pub struct UnknownName {
    pub given: String,
}

impl FromStr for Name {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Name::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| UnknownName {
                given: s.to_owned(),
            })
    }
}

/// What can stop the runner or a rebuild.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("the state of {name} cannot be encoded for its snapshot: {detail}")]
    Encode { name: Name, detail: String },
    #[error("the projection runner has stopped")]
    Stopped,
    #[error("the projection runner failed: {0}")]
    Failed(String),
}

/// What became of a projection's snapshot at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    /// Restored at this position.
    At(u64),
    /// No snapshot: the projection starts empty.
    Empty,
    /// A snapshot was there but not usable (why): the projection starts empty.
    Discarded(String),
}

/// The read models the runner keeps, all at once.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadModels {
    pub calls: Calls,
    pub agent_states: AgentStates,
    pub queue_intervals: QueueIntervals,
    pub boards: Boards,
    pub customers: Customers,
    pub interactions: Interactions,
    pub campaign_attempts: CampaignAttempts,
    pub recordings: Recordings,
    pub voicemails: Voicemails,
    pub surveys: Surveys,
}

impl ReadModels {
    /// Every model empty, before position 1.
    pub fn new(rules: &MetricRules) -> Self {
        Self {
            calls: Calls::new(rules.clone()),
            agent_states: AgentStates::new(),
            queue_intervals: QueueIntervals::new(rules.clone()),
            boards: Boards::new(rules.clone()),
            customers: Customers::new(),
            interactions: Interactions::new(),
            campaign_attempts: CampaignAttempts::new(),
            recordings: Recordings::new(),
            voicemails: Voicemails::new(),
            surveys: Surveys::new(),
        }
    }

    /// Feeds `fact` to every model (each ignores it if it has folded it already).
    pub fn apply(&mut self, fact: &Fact<'_>) {
        self.calls.apply(fact);
        self.agent_states.apply(fact);
        self.queue_intervals.apply(fact);
        self.boards.apply(fact);
        self.customers.apply(fact);
        self.interactions.apply(fact);
        self.campaign_attempts.apply(fact);
        self.recordings.apply(fact);
        self.voicemails.apply(fact);
        self.surveys.apply(fact);
    }

    /// Feeds `fact` to the models named.
    pub fn apply_to(&mut self, names: &[Name], fact: &Fact<'_>) {
        for name in names {
            match name {
                Name::Calls => self.calls.apply(fact),
                Name::AgentStates => self.agent_states.apply(fact),
                Name::QueueIntervals => self.queue_intervals.apply(fact),
                Name::Boards => self.boards.apply(fact),
                Name::Customers => self.customers.apply(fact),
                Name::Interactions => self.interactions.apply(fact),
                Name::CampaignAttempts => self.campaign_attempts.apply(fact),
                Name::Recordings => self.recordings.apply(fact),
                Name::Voicemails => self.voicemails.apply(fact),
                Name::Surveys => self.surveys.apply(fact),
            }
        }
    }

    /// The last position `name` folded.
    pub fn position(&self, name: Name) -> u64 {
        match name {
            Name::Calls => self.calls.position(),
            Name::AgentStates => self.agent_states.position(),
            Name::QueueIntervals => self.queue_intervals.position(),
            Name::Boards => self.boards.position(),
            Name::Customers => self.customers.position(),
            Name::Interactions => self.interactions.position(),
            Name::CampaignAttempts => self.campaign_attempts.position(),
            Name::Recordings => self.recordings.position(),
            Name::Voicemails => self.voicemails.position(),
            Name::Surveys => self.surveys.position(),
        }
    }

    /// The screen pop for a call from `caller`; see [`crate::screen_pop`].
    pub fn screen_pop(&self, caller: &str) -> Option<ScreenPop> {
        crate::screen_pop(&self.customers, &self.interactions, &self.calls, caller)
    }

    /// The last position every model folded: catch-up starts after it.
    pub fn lowest_position(&self) -> u64 {
        Name::ALL
            .into_iter()
            .map(|n| self.position(n))
            .min()
            .unwrap_or(0)
    }

    /// Restores each model from its snapshot in `store`, or starts it empty if it has none
    /// or it is not usable (another layout, other rules, damaged): says which for each.
    /// Only a store that cannot be read at all is an error.
    pub fn load(
        store: &SnapshotStore,
        rules: &MetricRules,
    ) -> Result<(Self, Vec<(Name, Restored)>), RunnerError> {
        let (calls, c) = restore(store, rules, Calls::new(rules.clone()))?;
        let (agent_states, a) = restore(store, rules, AgentStates::new())?;
        let (queue_intervals, q) = restore(store, rules, QueueIntervals::new(rules.clone()))?;
        let (boards, b) = restore(store, rules, Boards::new(rules.clone()))?;
        let (customers, cu) = restore(store, rules, Customers::new())?;
        let (interactions, i) = restore(store, rules, Interactions::new())?;
        let (campaign_attempts, ca) = restore(store, rules, CampaignAttempts::new())?;
        let (recordings, re) = restore(store, rules, Recordings::new())?;
        let (voicemails, vm) = restore(store, rules, Voicemails::new())?;
        let (surveys, su) = restore(store, rules, Surveys::new())?;
        let models = Self {
            calls,
            agent_states,
            queue_intervals,
            boards,
            customers,
            interactions,
            campaign_attempts,
            recordings,
            voicemails,
            surveys,
        };
        let outcomes = vec![
            (Name::Calls, c),
            (Name::AgentStates, a),
            (Name::QueueIntervals, q),
            (Name::Boards, b),
            (Name::Customers, cu),
            (Name::Interactions, i),
            (Name::CampaignAttempts, ca),
            (Name::Recordings, re),
            (Name::Voicemails, vm),
            (Name::Surveys, su),
        ];
        Ok((models, outcomes))
    }

    /// The snapshots of the models named: (name, position, schema, bytes).
    pub fn encode(&self, rules: &MetricRules, names: &[Name]) -> Result<Vec<Encoded>, RunnerError> {
        names
            .iter()
            .map(|&name| {
                let bytes = match name {
                    Name::Calls => snapshot::encode(&self.calls, rules),
                    Name::AgentStates => snapshot::encode(&self.agent_states, rules),
                    Name::QueueIntervals => snapshot::encode(&self.queue_intervals, rules),
                    Name::Boards => snapshot::encode(&self.boards, rules),
                    Name::Customers => snapshot::encode(&self.customers, rules),
                    Name::Interactions => snapshot::encode(&self.interactions, rules),
                    Name::CampaignAttempts => snapshot::encode(&self.campaign_attempts, rules),
                    Name::Recordings => snapshot::encode(&self.recordings, rules),
                    Name::Voicemails => snapshot::encode(&self.voicemails, rules),
                    Name::Surveys => snapshot::encode(&self.surveys, rules),
                }
                .map_err(|e| RunnerError::Encode {
                    name,
                    detail: e.to_string(),
                })?;
                Ok(Encoded {
                    name,
                    position: self.position(name),
                    schema: schema_of(name),
                    bytes,
                })
            })
            .collect()
    }

    /// Saves the models named to `store`, each in one durable write.
    pub fn save(
        &self,
        store: &SnapshotStore,
        rules: &MetricRules,
        names: &[Name],
    ) -> Result<(), RunnerError> {
        for e in self.encode(rules, names)? {
            e.save(store)?;
        }
        Ok(())
    }

    /// Decodes the saved snapshots in `store`, strictly: any model without a usable
    /// snapshot is an error naming why. For checks and tests.
    pub fn from_snapshots(store: &SnapshotStore, rules: &MetricRules) -> Result<Self, String> {
        let (models, outcomes) = Self::load(store, rules).map_err(|e| e.to_string())?;
        for (name, outcome) in outcomes {
            match outcome {
                Restored::At(_) => {}
                Restored::Empty => return Err(format!("{name} has no snapshot")),
                Restored::Discarded(why) => return Err(format!("{name}: {why}")),
            }
        }
        Ok(models)
    }
}

/// One model's snapshot, encoded and ready to save.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub name: Name,
    pub position: u64,
    pub schema: u32,
    pub bytes: Vec<u8>,
}

impl Encoded {
    pub fn save(&self, store: &SnapshotStore) -> Result<(), SnapshotError> {
        store.save(self.name.as_str(), self.position, self.schema, &self.bytes)
    }
}

fn schema_of(name: Name) -> u32 {
    match name {
        Name::Calls => Calls::SCHEMA,
        Name::AgentStates => AgentStates::SCHEMA,
        Name::QueueIntervals => QueueIntervals::SCHEMA,
        Name::Boards => Boards::SCHEMA,
        Name::Customers => Customers::SCHEMA,
        Name::Interactions => Interactions::SCHEMA,
        Name::CampaignAttempts => CampaignAttempts::SCHEMA,
        Name::Recordings => Recordings::SCHEMA,
        Name::Voicemails => Voicemails::SCHEMA,
        Name::Surveys => Surveys::SCHEMA,
    }
}

fn restore<P: Stored>(
    store: &SnapshotStore,
    rules: &MetricRules,
    empty: P,
) -> Result<(P, Restored), RunnerError> {
    match store.load(P::NAME) {
        Ok(None) => Ok((empty, Restored::Empty)),
        Ok(Some(stored)) => match snapshot::decode::<P>(&stored, rules) {
            Ok(p) => Ok((p, Restored::At(stored.position))),
            Err(why) => Ok((empty, Restored::Discarded(why.to_string()))),
        },
        // A damaged snapshot is a cache miss; a store that cannot be read is not.
        Err(e @ SnapshotError::Corrupt { .. }) => Ok((empty, Restored::Discarded(e.to_string()))),
        Err(e) => Err(e.into()),
    }
}

/// Reads positions `from..=until` ahead of the caller, on a task of its own, so that
/// reading and decoding (SQLite, on the blocking pool, a long page in two halves at once)
/// overlap folding (the caller). The log decodes as it reads ([`EventLog::read_decoded`]):
/// copying each event's text out of SQLite, then freeing it on the folding thread, cost more
/// than the decoding the readers took over. Dropping the receiver stops the task.
fn read_ahead(
    log: Arc<dyn EventLog>,
    from: u64,
    until: u64,
) -> mpsc::Receiver<Result<Vec<Decoded>, LogError>> {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let mut next = from.max(1);
        while next <= until {
            let mut batch = match log.read_decoded(next, BATCH).await {
                Ok(batch) => batch,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let Some(last) = batch.last() else { return };
            next = last.position + 1;
            batch.retain(|r| r.position <= until);
            if tx.send(Ok(batch)).await.is_err() {
                return;
            }
        }
    });
    rx
}

/// Builds the models named from position 1 to `until`, afresh. `progress` is told the last
/// position folded after each batch. Returns the models (the others stay empty) and the
/// number of events folded.
pub async fn rebuild(
    log: Arc<dyn EventLog>,
    rules: &MetricRules,
    names: &[Name],
    until: u64,
    mut progress: impl FnMut(u64),
) -> Result<(ReadModels, u64), RunnerError> {
    let mut models = ReadModels::new(rules);
    let mut batches = read_ahead(log, 1, until);
    let mut folded = 0;
    while let Some(batch) = batches.recv().await {
        let batch = batch?;
        for d in &batch {
            models.apply_to(names, &Fact::decoded(d));
        }
        folded += batch.len() as u64;
        if let Some(last) = batch.last() {
            progress(last.position);
        }
    }
    Ok((models, folded))
}

/// When the runner saves snapshots while it runs (it always saves on stop).
#[derive(Debug, Clone, Copy)]
pub struct RunnerOptions {
    /// After this many events folded since the last save...
    pub save_every_events: u64,
    /// ...or this long after the last save, if anything was folded since.
    pub save_every: Duration,
}

impl Default for RunnerOptions {
    /// A restart then replays at most about 100,000 events or 30 s of traffic, a fraction
    /// of a second, while saving the snapshots (whole) stays rare.
    fn default() -> Self {
        Self {
            save_every_events: 100_000,
            save_every: Duration::from_secs(30),
        }
    }
}

/// Read access to the runner's models, for any number of readers. The models are behind
/// a lock the runner takes for each batch it folds: read, copy out what you need, and let
/// go; never hold the guard across an `.await`.
#[derive(Debug, Clone)]
pub struct Views {
    models: Arc<RwLock<ReadModels>>,
    position: watch::Receiver<u64>,
}

impl Views {
    /// Views of models that no runner changes: a finished history, or a test's.
    pub fn fixed(models: ReadModels) -> Self {
        let (_, position) = watch::channel(models.lowest_position());
        Self {
            models: Arc::new(RwLock::new(models)),
            position,
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, ReadModels> {
        // Folds never panic (events are facts), so a poisoned lock still holds whole models.
        self.models.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The last log position every model has folded.
    pub fn position(&self) -> u64 {
        *self.position.borrow()
    }

    /// Waits until every model has folded `position`.
    pub async fn wait_for(&self, position: u64) -> Result<(), RunnerError> {
        let mut rx = self.position.clone();
        rx.wait_for(|&p| p >= position)
            .await
            .map(|_| ())
            .map_err(|_| RunnerError::Stopped)
    }
}

/// The running projection runner. Stop it with [`Runner::stop`] to save its snapshots.
#[derive(Debug)]
pub struct Runner {
    views: Views,
    restored: Vec<(Name, Restored)>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), RunnerError>>,
}

impl Runner {
    /// Restores the models from `store`, then catches up and follows `log` on a task of
    /// its own, with the default save cadence.
    pub async fn start(
        log: Arc<dyn EventLog>,
        store: SnapshotStore,
        rules: MetricRules,
    ) -> Result<Self, RunnerError> {
        Self::start_with(log, store, rules, RunnerOptions::default()).await
    }

    pub async fn start_with(
        log: Arc<dyn EventLog>,
        store: SnapshotStore,
        rules: MetricRules,
        options: RunnerOptions,
    ) -> Result<Self, RunnerError> {
        let store = Arc::new(Mutex::new(store));
        let (models, restored) = {
            let store = store.clone();
            let rules = rules.clone();
            tokio::task::spawn_blocking(move || {
                let store = store.lock().unwrap_or_else(PoisonError::into_inner);
                ReadModels::load(&store, &rules)
            })
            .await
            .map_err(|e| RunnerError::Failed(e.to_string()))??
        };
        for (name, outcome) in &restored {
            match outcome {
                Restored::At(p) => {
                    tracing::info!(%name, position = p, "restored from its snapshot")
                }
                Restored::Empty => tracing::info!(%name, "no snapshot: built from the log"),
                Restored::Discarded(why) => {
                    tracing::warn!(%name, "snapshot discarded, rebuilding from the log: {why}");
                }
            }
        }
        let (position_tx, position) = watch::channel(models.lowest_position());
        let models = Arc::new(RwLock::new(models));
        let (stop, stopped) = oneshot::channel();
        let mut fold = Fold {
            log,
            store,
            rules,
            options,
            models: models.clone(),
            position: position_tx,
            saved: Name::ALL.map(|n| {
                restored.iter().find_map(|(m, r)| match r {
                    Restored::At(p) if *m == n => Some(*p),
                    _ => None,
                })
            }),
            unsaved: 0,
            last_save: Instant::now(),
        };
        let task = tokio::spawn(async move { fold.run(stopped).await });
        Ok(Self {
            views: Views { models, position },
            restored,
            stop: Some(stop),
            task,
        })
    }

    pub fn views(&self) -> Views {
        self.views.clone()
    }

    /// What became of each snapshot at start.
    pub fn restored(&self) -> &[(Name, Restored)] {
        &self.restored
    }

    /// Stops following the log and saves the snapshots. An error that stopped the runner
    /// earlier (the log failed) is returned here.
    pub async fn stop(mut self) -> Result<(), RunnerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task)
            .await
            .map_err(|e| RunnerError::Failed(e.to_string()))?
    }
}

/// The runner's task: folds, publishes the position, saves.
struct Fold {
    log: Arc<dyn EventLog>,
    store: Arc<Mutex<SnapshotStore>>,
    rules: MetricRules,
    options: RunnerOptions,
    models: Arc<RwLock<ReadModels>>,
    position: watch::Sender<u64>,
    /// The position each model was last saved at (by [`Name::ALL`] order).
    saved: [Option<u64>; Name::ALL.len()],
    unsaved: u64,
    last_save: Instant,
}

impl Fold {
    async fn run(&mut self, mut stop: oneshot::Receiver<()>) -> Result<(), RunnerError> {
        let result = self.follow(&mut stop).await;
        // Save what was folded even if the log failed: it is all correct up to there.
        let saved = self.save().await;
        result.and(saved)
    }

    async fn follow(&mut self, stop: &mut oneshot::Receiver<()>) -> Result<(), RunnerError> {
        // Catch up in batches to the head as it is now...
        let head = self.log.head().await?;
        let from = self.read().lowest_position() + 1;
        let mut batches = read_ahead(self.log.clone(), from, head);
        loop {
            tokio::select! {
                biased;
                _ = &mut *stop => return Ok(()),
                batch = batches.recv() => match batch {
                    None => break,
                    Some(batch) => {
                        let batch = batch?;
                        self.fold(batch.iter().map(Fact::decoded));
                        self.maybe_save().await?;
                    }
                },
            }
        }
        // ...then follow the live log, one event at a time.
        let mut feed = self.log.subscribe(self.read().lowest_position() + 1);
        let mut tick = tokio::time::interval(self.options.save_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = &mut *stop => return Ok(()),
                next = feed.next() => match next {
                    None => return Ok(()),
                    Some(r) => {
                        let r = r?;
                        let e = r.event();
                        self.fold(std::iter::once(Fact::new(&r, &e)));
                        self.maybe_save().await?;
                    }
                },
                _ = tick.tick() => self.maybe_save().await?,
            }
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, ReadModels> {
        self.models.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn fold<'a>(&mut self, facts: impl Iterator<Item = Fact<'a>>) {
        let mut last = None;
        {
            let mut models = self.models.write().unwrap_or_else(PoisonError::into_inner);
            for fact in facts {
                models.apply(&fact);
                last = Some(fact.position);
                self.unsaved += 1;
            }
        }
        if let Some(p) = last {
            self.position.send_replace(p);
        }
    }

    async fn maybe_save(&mut self) -> Result<(), RunnerError> {
        let due = self.unsaved >= self.options.save_every_events
            || (self.unsaved > 0 && self.last_save.elapsed() >= self.options.save_every);
        if due { self.save().await } else { Ok(()) }
    }

    /// Saves every model that moved since its last save.
    async fn save(&mut self) -> Result<(), RunnerError> {
        let encoded = {
            let models = self.read();
            let moved: Vec<Name> = Name::ALL
                .into_iter()
                .zip(self.saved)
                .filter(|&(n, saved)| saved != Some(models.position(n)))
                .map(|(n, _)| n)
                .collect();
            models.encode(&self.rules, &moved)?
        };
        self.unsaved = 0;
        self.last_save = Instant::now();
        if encoded.is_empty() {
            return Ok(());
        }
        let store = self.store.clone();
        let written = tokio::task::spawn_blocking(move || {
            let store = store.lock().unwrap_or_else(PoisonError::into_inner);
            for e in &encoded {
                e.save(&store)?;
            }
            Ok::<_, SnapshotError>(encoded)
        })
        .await
        .map_err(|e| RunnerError::Failed(e.to_string()))??;
        for e in written {
            if let Some(i) = Name::ALL.iter().position(|&n| n == e.name) {
                self.saved[i] = Some(e.position);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hotline_events::{
        AgentEvent, AgentId, CallEvent, CallId, Channel, EndReason, Event, NewEvent, Party,
        QueueId, Skill, Timestamp,
    };
    use hotline_infra::{ExpectedVersion, SqliteLog};

    use super::*;

    fn rules() -> MetricRules {
        MetricRules::default().with_threshold(QueueId::new("sales").unwrap(), 15_000)
    }

    fn agent(n: u64) -> AgentId {
        format!("00000000-0000-7000-a000-{n:012}").parse().unwrap()
    }

    async fn append(log: &SqliteLog, stream: hotline_events::StreamName, at: i64, e: Event) {
        let t = Timestamp::from_millis(at);
        log.append(&stream, ExpectedVersion::Any, vec![NewEvent::new(e, t)])
            .await
            .unwrap();
    }

    /// Calls `calls` of a steady morning: four agents in `sales`, a call a minute, each
    /// answered by agent `n % 4` (or abandoned, one in five) with a wrap-up.
    async fn morning(log: &SqliteLog, calls: std::ops::Range<u64>) {
        let t0 = 1_795_338_000_000; // 2026-11-24T08:20:00Z
        let sales = QueueId::new("sales").unwrap();
        if calls.start == 0 {
            for a in 0..4 {
                let logged_in = AgentEvent::LoggedIn {
                    name: format!("Agent {a}"),
                    extension: None,
                    skills: Vec::<Skill>::new(),
                    queues: vec![sales.clone()],
                };
                append(log, agent(a).stream(), t0, logged_in.into()).await;
                append(
                    log,
                    agent(a).stream(),
                    t0,
                    AgentEvent::Ready { by: None }.into(),
                )
                .await;
            }
        }
        for n in calls {
            let c: CallId = format!("00000000-0000-7000-8000-{n:012}").parse().unwrap();
            let a = agent(n % 4);
            let at = t0 + 60_000 * i64::try_from(n).unwrap() + 1_000;
            let wait = 2_000 + 1_000 * (n % 30);
            let s = c.stream();
            let arrived = CallEvent::Arrived {
                number: "+18005550100".into(),
                caller: format!("+1555555{n:04}"),
                channel: Channel::Voice,
                customer: None,
            };
            append(log, s.clone(), at, arrived.into()).await;
            let queued = CallEvent::Queued {
                queue: sales.clone(),
                priority: 0,
                skills: vec![],
            };
            append(log, s.clone(), at + 500, queued.into()).await;
            let end_at = at + 500 + i64::try_from(wait).unwrap();
            if n % 5 == 4 {
                let abandoned = CallEvent::Abandoned {
                    queue: sales.clone(),
                    waited_ms: wait,
                };
                append(log, s.clone(), end_at, abandoned.into()).await;
                let ended = CallEvent::Ended {
                    by: Party::Caller,
                    reason: EndReason::Abandoned,
                };
                append(log, s, end_at, ended.into()).await;
                continue;
            }
            let reserved = AgentEvent::Reserved {
                call: c,
                queue: sales.clone(),
            };
            append(log, a.stream(), end_at - 1_000, reserved.into()).await;
            let offered = CallEvent::Offered {
                agent: a,
                queue: sales.clone(),
                ring_timeout_ms: 15_000,
            };
            append(log, s.clone(), end_at - 1_000, offered.into()).await;
            let answered = CallEvent::Answered {
                agent: a,
                waited_ms: wait,
            };
            append(log, s.clone(), end_at, answered.into()).await;
            append(log, a.stream(), end_at, AgentEvent::Busy { call: c }.into()).await;
            let hang_up = end_at + 40_000;
            let ended = CallEvent::Ended {
                by: Party::Caller,
                reason: EndReason::Completed,
            };
            append(log, s, hang_up, ended.into()).await;
            let wrapping = AgentEvent::WrappingUp {
                call: c,
                limit_ms: 60_000,
            };
            append(log, a.stream(), hang_up, wrapping.into()).await;
            let done = AgentEvent::WrapUpCompleted {
                call: c,
                disposition: Some("sale".into()),
                notes: None,
            };
            append(log, a.stream(), hang_up + 5_000, done.into()).await;
        }
    }

    async fn rebuilt(log: &SqliteLog) -> ReadModels {
        let head = log.head().await.unwrap();
        let log: Arc<dyn EventLog> = Arc::new(log.clone());
        let (models, folded) = rebuild(log, &rules(), &Name::ALL, head, |_| {})
            .await
            .unwrap();
        assert_eq!(folded, head);
        models
    }

    fn often() -> RunnerOptions {
        RunnerOptions {
            save_every_events: 50,
            save_every: Duration::from_millis(20),
        }
    }

    #[tokio::test]
    async fn the_runner_catches_up_then_follows_the_live_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = SqliteLog::open(dir.path()).unwrap();
        morning(&log, 0..20).await;
        let store = SnapshotStore::open(dir.path()).unwrap();
        let shared: Arc<dyn EventLog> = Arc::new(log.clone());
        let runner = Runner::start_with(shared, store, rules(), often())
            .await
            .unwrap();
        assert!(runner.restored().iter().all(|(_, r)| *r == Restored::Empty));
        let views = runner.views();
        views.wait_for(log.head().await.unwrap()).await.unwrap();
        let expected = rebuilt(&log).await;
        assert_eq!(*views.read(), expected, "caught up");

        morning(&log, 20..35).await;
        let head = log.head().await.unwrap();
        views.wait_for(head).await.unwrap();
        assert_eq!(views.position(), head);
        let expected = rebuilt(&log).await;
        assert_eq!(*views.read(), expected, "followed live");
        assert_eq!(views.read().calls.rows().len(), 35);
        runner.stop().await.unwrap();

        let store = SnapshotStore::open(dir.path()).unwrap();
        let saved = ReadModels::from_snapshots(&store, &rules()).unwrap();
        assert_eq!(saved, rebuilt(&log).await, "saved on stop");
    }

    #[tokio::test]
    async fn an_incremental_run_from_snapshots_equals_a_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let log = SqliteLog::open(dir.path()).unwrap();
        let shared: Arc<dyn EventLog> = Arc::new(log.clone());
        morning(&log, 0..40).await;
        let first_head = log.head().await.unwrap();
        let runner = Runner::start_with(
            shared.clone(),
            SnapshotStore::open(dir.path()).unwrap(),
            rules(),
            often(),
        )
        .await
        .unwrap();
        runner.views().wait_for(first_head).await.unwrap();
        runner.stop().await.unwrap();

        // Calls that were live at the cut end after it.
        morning(&log, 40..90).await;
        let head = log.head().await.unwrap();
        let runner = Runner::start_with(
            shared,
            SnapshotStore::open(dir.path()).unwrap(),
            rules(),
            often(),
        )
        .await
        .unwrap();
        for (name, restored) in runner.restored() {
            assert_eq!(*restored, Restored::At(first_head), "{name}");
        }
        runner.views().wait_for(head).await.unwrap();
        let incremental = runner.views().read().clone();
        runner.stop().await.unwrap();
        assert_eq!(incremental, rebuilt(&log).await);
    }

    #[tokio::test]
    async fn a_snapshot_of_an_older_layout_or_other_rules_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let log = SqliteLog::open(dir.path()).unwrap();
        morning(&log, 0..30).await;
        let head = log.head().await.unwrap();
        let full = rebuilt(&log).await;
        let store = SnapshotStore::open(dir.path()).unwrap();
        // An "older layout" of calls: a valid snapshot of an early state, labelled with
        // an older schema; it must not be read, or the rebuild would start from it.
        let mut early = ReadModels::new(&rules());
        let h: Arc<dyn EventLog> = Arc::new(log.clone());
        let (partial, _) = rebuild(h.clone(), &rules(), &Name::ALL, 10, |_| {})
            .await
            .unwrap();
        early.calls = partial.calls;
        let bytes = snapshot::encode(&early.calls, &rules()).unwrap();
        store.save("calls", 10, Calls::SCHEMA - 1, &bytes).unwrap();
        // boards folded under other rules.
        let other = rules().with_short_abandon_ms(1);
        let boards = snapshot::encode(&partial.boards, &other).unwrap();
        store.save("boards", 10, Boards::SCHEMA, &boards).unwrap();

        let runner = Runner::start(h, store, rules()).await.unwrap();
        let restored: Vec<_> = runner.restored().to_vec();
        assert!(
            matches!(&restored[0], (Name::Calls, Restored::Discarded(why)) if why.contains("layout 0")),
            "{restored:?}"
        );
        assert!(
            matches!(&restored[3], (Name::Boards, Restored::Discarded(why)) if why.contains("rules")),
            "{restored:?}"
        );
        runner.views().wait_for(head).await.unwrap();
        assert_eq!(*runner.views().read(), full);
        runner.stop().await.unwrap();
    }

    #[test]
    fn names_parse_and_an_unknown_one_lists_the_valid_ones() {
        for n in Name::ALL {
            assert_eq!(n.as_str().parse::<Name>(), Ok(n));
        }
        let err = "call".parse::<Name>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "no projection is named \"call\"; the projections are calls, agent_states, queue_intervals, boards, customers, interactions, campaign_attempts, recordings, voicemails, surveys"
        );
    }
}
