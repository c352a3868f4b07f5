//! Ctrl-C for the commands that run until it comes (`serve`, `sql --listen`, `log tail
//! --follow`).
//!
//! `tokio::signal::ctrl_c()` installs its handler only when first polled, and a signal
//! that arrives while no listener exists is not kept for a later one. A command that
//! printed "Ctrl-C stops it" and then awaited `ctrl_c()` could be killed outright by a
//! Ctrl-C in between (the default action), and one that made a new `ctrl_c()` per loop
//! turn could miss a Ctrl-C that came during the turn. An [`Interrupt`] listens from its
//! creation until it is dropped.

use anyhow::{Context, Result};

pub struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupt {
    /// Listens from now on: a Ctrl-C before [`Interrupt::wait`] is kept for it.
    pub fn listen() -> Result<Self> {
        #[cfg(unix)]
        {
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .context("listening for Ctrl-C")?;
            Ok(Self { signal })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Returns once Ctrl-C was pressed (since [`Interrupt::listen`]).
    pub async fn wait(&mut self) -> Result<()> {
        #[cfg(unix)]
        {
            self.signal.recv().await;
            Ok(())
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
    }
}
