//! The lookup plug-ins a process has, and running one lookup of a flow to the command
//! that continues it: an answer, or a failure (an error, an unknown source, the node's
//! timeout), never nothing, so the caller always moves on.

use std::sync::Arc;

use hotline_infra::lookup::LookupSource;

use super::{IvrCommand, LookupRequest};

/// The lookup sources of this process, by name.
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    sources: Vec<Arc<dyn LookupSource>>,
}

impl Lookups {
    /// Adds `source`; one of the same name is replaced.
    pub fn with(mut self, source: Arc<dyn LookupSource>) -> Self {
        self.sources.retain(|s| s.name() != source.name());
        self.sources.push(source);
        self
    }

    /// The names flow files may use, for the loader.
    pub fn names(&self) -> Vec<&str> {
        self.sources.iter().map(|s| s.name()).collect()
    }

    /// Runs `request` within its timeout.
    pub async fn run(&self, request: &LookupRequest) -> IvrCommand {
        let Some(source) = self.sources.iter().find(|s| s.name() == request.source) else {
            return IvrCommand::LookupFailed {
                reason: format!("no lookup source `{}` in this process", request.source),
            };
        };
        match tokio::time::timeout(request.timeout, source.lookup(&request.params)).await {
            Err(_) => IvrCommand::LookupFailed {
                reason: format!("timed out after {} ms", request.timeout.as_millis()),
            },
            Ok(Err(e)) => IvrCommand::LookupFailed {
                reason: e.to_string(),
            },
            Ok(Ok(fields)) => IvrCommand::LookupAnswered { fields },
        }
    }
}
