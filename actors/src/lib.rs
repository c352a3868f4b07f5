//! One module per entity (call, agent, router, campaign): a pure `decide` / `evolve` core
//! and its ractor shell, and the supervision tree. Empty until the inbound issue: the
//! manifest already fixes what this crate may depend on (events, infra, media).
