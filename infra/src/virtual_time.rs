//! An [`EventLog`] for runs on a paused tokio clock (simulations, tests): every call to the
//! log holds the virtual clock, and every other task, still until it returns.
//!
//! A paused runtime jumps to the next timer as soon as no task can run. A task waiting on
//! a disk write is not runnable, so without this wrapper a simulated caller's patience
//! could run out "while" an append is on disk, and a run would depend on the disk's speed.
//!
//! Holding the clock is not enough for a run to repeat exactly: if the log's answer came
//! back from another thread, the task it wakes would run before or after other ready tasks
//! depending on how fast the disk was, and the actors would decide in another order. So
//! the wrapper does the log's work on the runtime's own thread, blocking it until the
//! answer is there: nothing else runs meanwhile, and on a current-thread runtime the order
//! of everything that happens follows from the seed alone. The price is that appends of
//! one run are not grouped by the writer; open the log with
//! [`Durability::Deferred`](crate::Durability::Deferred) when a run writes much, so that
//! they share commits all the same.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use async_trait::async_trait;
use hotline_events::{Decoded, NewEvent, Recorded, StreamName};

use crate::log::{Appended, EventLog, ExpectedVersion, LogError, Subscription, VerifyReport};

type Work<T> = Pin<Box<dyn Future<Output = Result<T, LogError>> + Send>>;

/// Wraps a log so that time, and every other task, stands still while it works.
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
        // Unconstrained: tokio's cooperative budget would otherwise answer "not yet" to a
        // task that used it up, and this loop would wait for a wake-up that never comes.
        block_here(tokio::task::unconstrained(work(self.inner.clone())))
    }
}

/// Drives `work` to completion on this thread, parking it between wake-ups (the log's
/// writer and reader threads wake it).
fn block_here<T>(work: impl Future<Output = T>) -> T {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut work = pin!(work);
    loop {
        match work.as_mut().poll(&mut cx) {
            Poll::Ready(value) => return value,
            Poll::Pending => std::thread::park(),
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

    async fn read_decoded(&self, from_position: u64, max: usize) -> Result<Vec<Decoded>, LogError> {
        self.hold_time(move |log| {
            Box::pin(async move { log.read_decoded(from_position, max).await })
        })
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
                AgentEvent::Ready { by: None },
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
