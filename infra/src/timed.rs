//! An [`EventLog`] wrapper that times every append into a [`LatencyHistogram`]: how the
//! server's `/metrics` and a load run know the latency of durable appends as the writers
//! see it (queueing for the writer thread, the group commit and its sync included).

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use hotline_events::{Decoded, NewEvent, Recorded, StreamName};

use crate::latency::LatencyHistogram;
use crate::log::{Appended, EventLog, ExpectedVersion, LogError, Subscription, VerifyReport};

/// The log, timing each append.
#[derive(Debug)]
pub struct TimedLog {
    inner: Arc<dyn EventLog>,
    appends: Arc<LatencyHistogram>,
}

impl TimedLog {
    pub fn new(inner: Arc<dyn EventLog>) -> Self {
        Self {
            inner,
            appends: Arc::default(),
        }
    }

    /// The latency of every append made through this wrapper, failed ones included.
    pub fn appends(&self) -> Arc<LatencyHistogram> {
        self.appends.clone()
    }
}

#[async_trait]
impl EventLog for TimedLog {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, LogError> {
        let started = Instant::now();
        let result = self.inner.append(stream, expected, events).await;
        self.appends.record(started.elapsed());
        result
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
    ) -> Result<Vec<Recorded>, LogError> {
        self.inner.read_stream(stream, from_version).await
    }

    async fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<Recorded>, LogError> {
        self.inner.read_all(from_position, max).await
    }

    async fn read_decoded(&self, from_position: u64, max: usize) -> Result<Vec<Decoded>, LogError> {
        self.inner.read_decoded(from_position, max).await
    }

    async fn head(&self) -> Result<u64, LogError> {
        self.inner.head().await
    }

    fn subscribe(&self, from_position: u64) -> Subscription {
        self.inner.subscribe(from_position)
    }

    async fn verify(&self) -> Result<VerifyReport, LogError> {
        self.inner.verify().await
    }

    async fn close(&self) -> Result<(), LogError> {
        self.inner.close().await
    }
}
