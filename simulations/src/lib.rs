//! Scenario files, the virtual-clock runner, Erlang C / A and load runs.
//!
//! - [`scenario`]: the TOML scenario (a center and its traffic, shifts and breaks);
//! - [`run`]: runs a scenario through the production actors on a virtual clock;
//! - [`load`]: drives the live, wall-clock center with a scenario's traffic, compressed;
//! - [`report`]: what a run did, per queue and per agent group, from the projections;
//! - [`erlang`]: the staffing formulas the report compares with.

pub mod dialer;
pub mod erlang;
pub mod load;
pub mod report;
pub mod run;
pub mod scenario;
