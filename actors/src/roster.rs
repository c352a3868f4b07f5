//! The agents on a center's roster, as their actors last reported them: the agents of the
//! center's file plus those an administrator registered, less those removed. A read cache
//! for the edge (listing agents, checking a login is free); each agent's stream stays the
//! authority, and the actors rebuild this view when they start.

use std::sync::{Arc, PoisonError, RwLock};

use hotline_events::AgentId;

use crate::agent::{AgentState, Listing, Profile};

/// One agent on the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: AgentId,
    pub profile: Profile,
    /// For the weighted-random strategy: the file's, else 1.
    pub weight: u32,
    /// Whether the agent is in the center's file (else it was registered over the API).
    pub from_config: bool,
}

/// Shared by every actor of one center; in the order agents joined (the file's first).
#[derive(Debug, Clone, Default)]
pub struct Roster(Arc<RwLock<Vec<Entry>>>);

impl Roster {
    /// Every agent on the roster.
    pub fn list(&self) -> Vec<Entry> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn get(&self, id: AgentId) -> Option<Entry> {
        self.list().into_iter().find(|e| e.id == id)
    }

    /// The agent with `login`, compared without regard to case.
    pub fn by_login(&self, login: &str) -> Option<Entry> {
        self.list()
            .into_iter()
            .find(|e| e.profile.login.eq_ignore_ascii_case(login))
    }

    /// Records what an agent's actor holds now: on the roster, or off it.
    pub(crate) fn report(&self, id: AgentId, state: &AgentState, weight: u32, from_config: bool) {
        // Every update is one replace, insert or remove: a poisoned lock is still whole.
        let mut entries = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let at = entries.iter().position(|e| e.id == id);
        match (state.listing, at) {
            (Listing::Listed, Some(i)) => entries[i].profile = state.profile.clone(),
            (Listing::Listed, None) => entries.push(Entry {
                id,
                profile: state.profile.clone(),
                weight,
                from_config,
            }),
            (_, Some(i)) => {
                entries.remove(i);
            }
            (_, None) => {}
        }
    }
}
