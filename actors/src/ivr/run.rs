//! [`FlowRun`]: one call's run through a flow, the engine with its state, plus what must
//! not reach the log: the digits of secret collections, kept in memory for the lookup that
//! checks them (a PIN). Still pure; the shell appends what `decide` returns, then `apply`s.

use std::collections::BTreeMap;

use hotline_events::{FlowExit, IvrEvent, Timestamp};
use hotline_infra::config::flow::{Action, Node};

use super::{Awaiting, Facts, FlowEngine, IvrCommand, IvrRejection, IvrState};

#[derive(Debug, Clone)]
pub struct FlowRun {
    engine: FlowEngine,
    state: IvrState,
    /// Variable -> digits of secret collections this process took.
    secrets: BTreeMap<String, String>,
}

impl FlowRun {
    pub fn new(engine: FlowEngine) -> Self {
        Self {
            engine,
            state: IvrState::default(),
            secrets: BTreeMap::new(),
        }
    }

    /// A run rebuilt from its events (after a restart): its secrets are gone, so a lookup
    /// that needs one gets [`super::SECRET`] and fails to its fallback.
    pub fn resume<'e>(engine: FlowEngine, events: impl IntoIterator<Item = &'e IvrEvent>) -> Self {
        let state = engine.fold(events);
        Self {
            engine,
            state,
            secrets: BTreeMap::new(),
        }
    }

    pub fn state(&self) -> &IvrState {
        &self.state
    }

    pub fn exit(&self) -> Option<&FlowExit> {
        self.state.exit.as_ref()
    }

    /// What the run waits for, lookup parameters filled in (secrets included).
    pub fn awaiting(&self) -> Awaiting {
        self.engine.awaiting(&self.state, &self.secrets)
    }

    /// The events `command` leads to; nothing changes until they are [`FlowRun::apply`]ed.
    pub fn decide(
        &self,
        command: &IvrCommand,
        facts: &Facts,
        now: Timestamp,
    ) -> Result<Vec<IvrEvent>, IvrRejection> {
        self.engine.decide(&self.state, command, facts, now)
    }

    /// Folds `events`, decided for `command`, and keeps the digits of a secret collection
    /// they accepted.
    pub fn apply(&mut self, command: &IvrCommand, events: &[IvrEvent]) {
        for event in events {
            if let (
                IvrCommand::Digits { digits },
                IvrEvent::DigitsCollected {
                    node, digits: None, ..
                },
            ) = (command, event)
                && let Some(Node {
                    action: Action::Collect(c),
                    ..
                }) = self.engine.flow().node(node)
            {
                self.secrets.insert(c.variable.clone(), digits.clone());
            }
            let state = std::mem::take(&mut self.state);
            self.state = self.engine.evolve(state, event);
        }
    }

    /// [`FlowRun::decide`] then [`FlowRun::apply`], for runs without a log (tests, checks).
    pub fn handle(
        &mut self,
        command: &IvrCommand,
        facts: &Facts,
        now: Timestamp,
    ) -> Result<Vec<IvrEvent>, IvrRejection> {
        let events = self.decide(command, facts, now)?;
        self.apply(command, &events);
        Ok(events)
    }
}
