//! The lookup port: how an IVR flow asks business systems for data ("account balance"),
//! a small plug-in interface. A flow's lookup node names a source by [`LookupSource::name`]
//! and gives it text parameters; the source answers text fields or fails. The engine
//! applies the node's timeout and sends any failure to the node's fallback, so a source
//! needs no timeout of its own beyond what it holds (connections).

pub mod http;

use std::collections::BTreeMap;

/// Fields of an answer, by name.
pub type Fields = BTreeMap<String, String>;

/// Why a lookup gave no answer. The message is written in the `lookup_failed` event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("the lookup needs the parameter `{0}`")]
    MissingParameter(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Failed(String),
}

/// A source of business data for flows.
#[async_trait::async_trait]
pub trait LookupSource: Send + Sync + std::fmt::Debug {
    /// The name flow files give as a lookup's `source`, such as `crm` or `http`.
    fn name(&self) -> &str;

    async fn lookup(&self, params: &Fields) -> Result<Fields, LookupError>;
}
