//! The telephony port (answer, play, collect digits, ring, bridge, hold, transfer, record,
//! hang up) and the simulated phone network behind it. Empty until the inbound issue: the
//! manifest already fixes what this crate may depend on (events and infra only).
