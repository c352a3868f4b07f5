//! Outbound campaigns: the dialer's pacing, the part of a campaign that decides how many
//! lines to dial. The campaign actor (lead lists, dialing rules, retries) builds on it.

pub mod pacing;
