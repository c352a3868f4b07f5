//! Which event log a process uses: `sqlite://DATA_DIR` (the embedded log) or
//! `kafka://HOST:PORT/TOPIC[?partitions=N]`. Parsed here, in every build, so that a build
//! without the `kafka` feature can still say what it was asked for and how to get it.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Partitions of a topic the log creates, unless the URL says otherwise.
pub const DEFAULT_PARTITIONS: i32 = 3;

/// An event log's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// The embedded SQLite log of a data directory.
    Sqlite(PathBuf),
    Kafka(KafkaTarget),
}

/// One topic on a Kafka cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaTarget {
    /// `host:port` of a bootstrap broker.
    pub bootstrap: String,
    pub topic: String,
    /// Partitions to create the topic with when it does not exist yet.
    pub partitions: i32,
}

/// A log URL that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the event log `{url}` cannot be used: {problem} (write sqlite://DATA_DIR or kafka://HOST:PORT/TOPIC)"
)]
pub struct BadLogUrl {
    pub url: String,
    pub problem: String,
}

impl FromStr for LogTarget {
    type Err = BadLogUrl;

    fn from_str(url: &str) -> Result<Self, BadLogUrl> {
        let bad = |problem: &str| BadLogUrl {
            url: url.to_owned(),
            problem: problem.to_owned(),
        };
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(bad("it names no data directory"));
            }
            return Ok(LogTarget::Sqlite(PathBuf::from(path)));
        }
        let Some(rest) = url.strip_prefix("kafka://") else {
            return Err(bad("it starts with neither sqlite:// nor kafka://"));
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let Some((bootstrap, topic)) = rest.split_once('/') else {
            return Err(bad("it names no topic after the broker's HOST:PORT"));
        };
        let Some((host, port)) = bootstrap.rsplit_once(':') else {
            return Err(bad("the broker has no :PORT"));
        };
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(bad("the broker is not HOST:PORT with a port number"));
        }
        // Kafka's own rule for topic names.
        let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if topic.is_empty() || topic.len() > 249 || !topic.chars().all(legal) {
            return Err(bad(
                "the topic must be 1 to 249 letters, digits, '.', '_' or '-'",
            ));
        }
        let mut partitions = DEFAULT_PARTITIONS;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("partitions", n)) => {
                    partitions = n
                        .parse()
                        .ok()
                        .filter(|n| (1..=10_000).contains(n))
                        .ok_or_else(|| bad("partitions must be a number from 1 to 10000"))?;
                }
                _ => return Err(bad(&format!("unknown option `{pair}` (only partitions=N)"))),
            }
        }
        Ok(LogTarget::Kafka(KafkaTarget {
            bootstrap: bootstrap.to_owned(),
            topic: topic.to_owned(),
            partitions,
        }))
    }
}

impl fmt::Display for KafkaTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kafka://{}/{}", self.bootstrap, self.topic)
    }
}

impl fmt::Display for LogTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogTarget::Sqlite(dir) => write!(f, "sqlite://{}", dir.display()),
            LogTarget::Kafka(k) => k.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kafka_url_names_broker_topic_and_partitions() {
        let t: LogTarget = "kafka://127.0.0.1:9092/hotline.events?partitions=6"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            t,
            LogTarget::Kafka(KafkaTarget {
                bootstrap: "127.0.0.1:9092".into(),
                topic: "hotline.events".into(),
                partitions: 6
            })
        );
        assert_eq!(t.to_string(), "kafka://127.0.0.1:9092/hotline.events");
    }

    #[test]
    fn a_sqlite_url_names_a_data_directory() {
        let t: LogTarget = "sqlite://./hotline-data"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t, LogTarget::Sqlite(PathBuf::from("./hotline-data")));
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (url, says) in [
            ("http://x:1/t", "neither sqlite:// nor kafka://"),
            ("kafka://broker/t", ":PORT"),
            ("kafka://broker:99999/t", "port number"),
            ("kafka://broker:9092", "no topic"),
            ("kafka://broker:9092/a b", "topic must be"),
            ("kafka://broker:9092/t?partitions=0", "partitions must be"),
            ("kafka://broker:9092/t?acks=1", "unknown option `acks=1`"),
            ("sqlite://", "no data directory"),
        ] {
            let err = url.parse::<LogTarget>().expect_err(url);
            assert!(err.to_string().contains(says), "{url}: {err}");
        }
    }
}
