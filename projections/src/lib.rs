//! The projection runner (checkpoints, catch-up, live tail) and every read model built from
//! the log. Empty until the projections issue: the manifest already fixes what this crate
//! may depend on (events and infra; never the actors).
