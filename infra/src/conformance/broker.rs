//! A real Kafka-protocol broker for tests: `tansu` (built once by
//! `scripts/kafka-broker.sh`), on 127.0.0.1 at a free port, with durable SQLite storage in
//! a temporary directory, stopped when dropped.
//!
//! A missing broker fails the test with how to get one: the Kafka tests never skip.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::log::target::KafkaTarget;

/// The tansu version `scripts/kafka-broker.sh` installs.
pub const TANSU_VERSION: &str = "0.6.0";

/// Where the broker binary is: `HOTLINE_TANSU`, else the script's cache
/// (`$HOTLINE_CACHE`, default `~/.cache/hotline`).
pub fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HOTLINE_TANSU") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("HOTLINE_CACHE").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/hotline"),
        PathBuf::from,
    );
    cache.join(format!("tansu-{TANSU_VERSION}/bin/tansu"))
}

/// A running broker. Dropping it kills it.
#[derive(Debug)]
pub struct Broker {
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
    /// The port it tells clients to connect to: its own, or a proxy's in front of it.
    advertised: u16,
}

impl Broker {
    /// Starts a broker with empty storage.
    pub fn start() -> Self {
        Self::start_advertising(None)
    }

    /// Starts a broker with empty storage that tells its clients (in its metadata) to
    /// connect to `127.0.0.1:advertised`, where the test runs a proxy in front of it
    /// ([`Broker::listen_addr`]); `None` advertises its own port.
    pub fn start_advertising(advertised: Option<u16>) -> Self {
        let binary = tansu_binary();
        assert!(
            binary.is_file(),
            "the Kafka tests need the tansu broker at {}: run `bash scripts/kafka-broker.sh` \
             (it builds it once; a long build) or point HOTLINE_TANSU at a tansu binary",
            binary.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut broker = Self {
            child: None,
            dir: tempfile::tempdir().expect("a temp dir for the broker"),
            port,
            advertised: advertised.unwrap_or(port),
        };
        broker.run();
        broker
    }

    fn run(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let advertised = format!("tcp://127.0.0.1:{}", self.advertised);
        let log = std::fs::File::create(self.dir.path().join("broker.log"))
            .expect("the broker's log file");
        let child = Command::new(tansu_binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &advertised,
                "--storage-engine",
                "sqlite://tansu.db",
            ])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the broker's log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", tansu_binary().display()));
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("the broker exited ({status}): {}", self.output());
            }
            assert!(
                Instant::now() < deadline,
                "the broker did not listen within 30 s: {}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the broker printed (for failure messages).
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("broker.log")).unwrap_or_default()
    }

    /// `127.0.0.1:PORT`: where clients connect (the advertised port).
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.advertised)
    }

    /// Where the broker itself listens (a proxy in front of it forwards here).
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// A topic on this broker.
    pub fn target(&self, topic: &str) -> KafkaTarget {
        KafkaTarget {
            bootstrap: self.bootstrap(),
            topic: topic.to_owned(),
            partitions: 3,
        }
    }

    /// The broker's storage (a SQLite file).
    pub fn storage_file(&self) -> PathBuf {
        self.dir.path().join("tansu.db")
    }

    /// Kills the broker (SIGKILL: nothing is flushed on the way out).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port and storage.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}
