//! Scenario files, the virtual-clock runner, Erlang C / A and load runs. Empty until the
//! simulations issue: the manifest already fixes what this crate may depend on.
