//! Hotline's ports and their backends: the [`EventLog`](log::EventLog) every actor appends
//! to and every projection reads, its embedded SQLite backend, and the injected clock.
//!
//! Only this crate knows SQLite and Kafka (feature `kafka`). Nothing here knows calls or agents
//! beyond the event vocabulary of `hotline-events`.

pub mod clock;
pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
mod data_dir;
pub mod latency;
pub mod log;
pub mod lookup;
pub mod snapshot;
pub mod timed;
pub mod vault;
pub mod virtual_time;

pub use clock::Clock;
pub use latency::{LatencyHistogram, LatencySummary};
#[cfg(feature = "kafka")]
pub use log::kafka::KafkaLog;
pub use log::sqlite::{Durability, SqliteLog};
pub use log::target::{BadLogUrl, KafkaTarget, LogTarget};
pub use log::{
    Appended, ChainBreak, EventLog, ExpectedVersion, LogError, Subscription, VerifyReport,
};
pub use snapshot::{SnapshotError, SnapshotInfo, SnapshotStore, StoredSnapshot};
pub use timed::TimedLog;
pub use vault::{RecordingKey, Vault, VaultError};
pub use virtual_time::VirtualTimeLog;
