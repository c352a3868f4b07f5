//! Scenario files, the virtual-clock runner, Erlang C / A and load runs. So far: `erlang`,
//! the staffing formulas; the manifest already fixes what this crate may depend on.

pub mod erlang;
