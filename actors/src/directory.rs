//! Where each live entity's actor is: calls by id, agents by id, the router. Owned by one
//! center, so two centers in one process (tests, simulations) never see each other's
//! actors, which ractor's global name registry could not promise.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hotline_events::{AgentId, CallId, CampaignId};
use ractor::ActorRef;

use crate::agent::actor::AgentMsg;
use crate::call::actor::CallMsg;
use crate::campaign::actor::CampaignMsg;
use crate::router::actor::RouterMsg;

#[derive(Debug, Default)]
struct Inner {
    calls: HashMap<CallId, ActorRef<CallMsg>>,
    agents: HashMap<AgentId, ActorRef<AgentMsg>>,
    router: Option<ActorRef<RouterMsg>>,
    campaigns: HashMap<CampaignId, ActorRef<CampaignMsg>>,
    /// Lines a campaign dialed that no one answered yet: their reports go to the campaign.
    dialing: HashMap<CallId, ActorRef<CampaignMsg>>,
    /// Calls of the center that are a campaign's answered lines, with the campaign's name
    /// (its recording rule wins over the queue's), until the call's actor stops.
    campaign_calls: HashMap<CallId, String>,
}

/// Shared by every actor of one center.
#[derive(Debug, Clone, Default)]
pub struct Directory(Arc<Mutex<Inner>>);

impl Directory {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the maps half-updated: every update is one insert
        // or remove. So a poisoned lock is still good to use.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn call(&self, id: CallId) -> Option<ActorRef<CallMsg>> {
        self.lock().calls.get(&id).cloned()
    }

    pub fn calls(&self) -> Vec<CallId> {
        self.lock().calls.keys().copied().collect()
    }

    pub(crate) fn set_call(&self, id: CallId, actor: ActorRef<CallMsg>) {
        self.lock().calls.insert(id, actor);
    }

    pub(crate) fn remove_call(&self, id: CallId, actor: &ActorRef<CallMsg>) {
        let mut inner = self.lock();
        if inner
            .calls
            .get(&id)
            .is_some_and(|a| a.get_id() == actor.get_id())
        {
            inner.calls.remove(&id);
            inner.campaign_calls.remove(&id);
        }
    }

    /// The name of the campaign whose answered line `call` is, if it is one.
    pub fn campaign_of(&self, call: CallId) -> Option<String> {
        self.lock().campaign_calls.get(&call).cloned()
    }

    /// Marks `call` as the answered line of campaign `name`; forgotten when its call actor
    /// stops (or by [`Directory::forget_campaign_call`] if none starts).
    pub(crate) fn set_campaign_call(&self, call: CallId, name: String) {
        self.lock().campaign_calls.insert(call, name);
    }

    pub(crate) fn forget_campaign_call(&self, call: CallId) {
        self.lock().campaign_calls.remove(&call);
    }

    pub fn agent(&self, id: AgentId) -> Option<ActorRef<AgentMsg>> {
        self.lock().agents.get(&id).cloned()
    }

    pub(crate) fn set_agent(&self, id: AgentId, actor: ActorRef<AgentMsg>) {
        self.lock().agents.insert(id, actor);
    }

    pub fn router(&self) -> Option<ActorRef<RouterMsg>> {
        self.lock().router.clone()
    }

    pub(crate) fn set_router(&self, actor: ActorRef<RouterMsg>) {
        self.lock().router = Some(actor);
    }

    pub fn campaign(&self, id: CampaignId) -> Option<ActorRef<CampaignMsg>> {
        self.lock().campaigns.get(&id).cloned()
    }

    pub fn campaigns(&self) -> Vec<CampaignId> {
        self.lock().campaigns.keys().copied().collect()
    }

    pub(crate) fn set_campaign(&self, id: CampaignId, actor: ActorRef<CampaignMsg>) {
        self.lock().campaigns.insert(id, actor);
    }

    pub(crate) fn remove_campaign(&self, id: CampaignId, actor: &ActorRef<CampaignMsg>) {
        let mut inner = self.lock();
        if inner
            .campaigns
            .get(&id)
            .is_some_and(|a| a.get_id() == actor.get_id())
        {
            inner.campaigns.remove(&id);
        }
    }

    /// The campaign that dialed `call`, while the line is not yet answered.
    pub fn dialing(&self, call: CallId) -> Option<ActorRef<CampaignMsg>> {
        self.lock().dialing.get(&call).cloned()
    }

    pub(crate) fn set_dialing(&self, call: CallId, actor: ActorRef<CampaignMsg>) {
        self.lock().dialing.insert(call, actor);
    }

    pub(crate) fn remove_dialing(&self, call: CallId) {
        self.lock().dialing.remove(&call);
    }

    /// Every actor, for an abrupt stop.
    pub(crate) fn all_cells(&self) -> Vec<ractor::ActorCell> {
        let inner = self.lock();
        inner
            .calls
            .values()
            .map(|a| a.get_cell())
            .chain(inner.agents.values().map(|a| a.get_cell()))
            .chain(inner.router.iter().map(|a| a.get_cell()))
            .chain(inner.campaigns.values().map(|a| a.get_cell()))
            .collect()
    }
}
