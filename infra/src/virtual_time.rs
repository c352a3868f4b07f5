//! An [`EventLog`] for runs on a paused tokio clock (simulations, tests): every call to the
//! log holds the virtual clock still until it returns.
//!
//! A paused runtime jumps to the next timer as soon as no task can run. A task waiting on
//! a disk write is not runnable, so without this wrapper a simulated caller's patience
//! could run out "while" an append is on disk, and a run would depend on the disk's speed.
//! tokio does not advance the clock while a `spawn_blocking` task runs; this wrapper runs
//! each call there, driving the inner future with the runtime's handle.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use hotline_events::{NewEvent, Recorded, StreamName};
use tokio::runtime::Handle;

use crate::log::{Appended, EventLog, ExpectedVersion, LogError, Subscription, VerifyReport};

type Work<T> = Pin<Box<dyn Future<Output = Result<T, LogError>> + Send>>;

/// Wraps a log so that time stands still while it works.
#[derive(Debug, Clone)]
pub struct VirtualTimeLog {
    inner: Arc<dyn EventLog>,
}

impl VirtualTimeLog {
    pub fn new(inner: Arc<dyn EventLog>) -> Self {
        Self { inner }
    }

    async fn hold_time<T: Send + 'static>(
        &self,
        work: impl FnOnce(Arc<dyn EventLog>) -> Work<T> + Send + 'static,
    ) -> Result<T, LogError> {
        let inner = self.inner.clone();
        let handle = Handle::current();
        match tokio::task::spawn_blocking(move || handle.block_on(work(inner))).await {
            Ok(result) => result,
            // The inner log panicked or the runtime is shutting down: the log is unusable.
            Err(_) => Err(LogError::Closed),
        }
    }
}

#[async_trait]
impl EventLog for VirtualTimeLog {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, LogError> {
        let stream = stream.clone();
        self.hold_time(move |log| {
            Box::pin(async move { log.append(&stream, expected, events).await })
        })
        .await
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
    ) -> Result<Vec<Recorded>, LogError> {
        let stream = stream.clone();
        self.hold_time(move |log| {
            Box::pin(async move { log.read_stream(&stream, from_version).await })
        })
        .await
    }

    async fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<Recorded>, LogError> {
        self.hold_time(move |log| Box::pin(async move { log.read_all(from_position, max).await }))
            .await
    }

    async fn head(&self) -> Result<u64, LogError> {
        self.hold_time(|log| Box::pin(async move { log.head().await }))
            .await
    }

    fn subscribe(&self, from_position: u64) -> Subscription {
        self.inner.subscribe(from_position)
    }

    async fn verify(&self) -> Result<VerifyReport, LogError> {
        self.hold_time(|log| Box::pin(async move { log.verify().await }))
            .await
    }

    async fn close(&self) -> Result<(), LogError> {
        self.hold_time(|log| Box::pin(async move { log.close().await }))
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::SqliteLog;
    use hotline_events::{AgentEvent, AgentId, Timestamp};
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn time_stands_still_while_the_log_writes() {
        let dir = tempfile::tempdir().unwrap();
        let log = VirtualTimeLog::new(Arc::new(SqliteLog::open(dir.path()).unwrap()));
        // A timer far away: were the clock free to jump while appends wait on the disk,
        // it would reach it.
        let timer = tokio::time::sleep(Duration::from_secs(3600));
        tokio::pin!(timer);
        let start = tokio::time::Instant::now();
        let stream = AgentId::generate().stream();
        for v in 0..20 {
            let e = NewEvent::new(
                AgentEvent::Ready,
                Timestamp::parse("2026-11-24T09:00:00Z").unwrap(),
            );
            tokio::select! {
                r = log.append(&stream, ExpectedVersion::Exact(v), vec![e]) => { r.unwrap(); }
                () = &mut timer => panic!("the clock moved during an append"),
            }
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(log.read_stream(&stream, 1).await.unwrap().len(), 20);
    }
}
