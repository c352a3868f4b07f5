//! The pages and documents the binary serves as they are: no front-end build step, no
//! files beside the binary. The pages are plain HTML with their script inline; they read
//! the API with the token from the URL's fragment (`#token=...`), which never reaches a
//! server log.

pub const WALLBOARD: &str = include_str!("assets/wallboard.html");
pub const AGENT: &str = include_str!("assets/agent.html");
pub const OPENAPI: &str = include_str!("assets/openapi.json");
