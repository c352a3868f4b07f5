//! One module per entity (call, agent, router): a pure `decide` / `evolve` core and its
//! ractor shell, and the supervision tree that runs them on the event log and the
//! telephony port.

pub mod agent;
pub mod call;
pub mod decider;
pub mod router;
