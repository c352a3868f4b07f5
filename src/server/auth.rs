//! Who may do what: bearer tokens, each with one role (and, for an agent, the agent it
//! acts as). Tokens are 256-bit random strings shown once; only their SHA-256 is stored
//! (`tokens.json` in the data directory, readable by its owner only), so a copy of the data
//! directory does not hand out access. A password would be hashed with argon2; tokens are
//! random, long and never chosen by people, so a fast hash is the right one for them.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, PoisonError, RwLock};

use anyhow::{Context, Result, bail};
use hotline_events::{AgentId, Timestamp};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The roles of the domain brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    Supervisor,
    Agent,
    Analyst,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Administrator,
        Role::Supervisor,
        Role::Agent,
        Role::Analyst,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "no role is named {s:?}; the roles are administrator, supervisor, agent, \
                     analyst and auditor"
                )
            })
    }
}

/// The holder of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// The agent an `agent` token acts as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredToken {
    sha256: String,
    #[serde(flatten)]
    principal: Principal,
    created_at: Timestamp,
}

/// The token store of a data directory.
#[derive(Debug, Clone)]
pub struct Tokens {
    path: PathBuf,
    by_hash: Arc<RwLock<HashMap<String, Principal>>>,
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: 32 bytes from the OS generator, hex.
fn fresh() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("hl_{}", hex::encode(bytes))
}

impl Tokens {
    pub fn file_in(data_dir: &Path) -> PathBuf {
        data_dir.join("tokens.json")
    }

    /// Reads the store (an absent file is an empty store).
    pub fn open(data_dir: &Path) -> Result<Self> {
        let path = Self::file_in(data_dir);
        let mut by_hash = HashMap::new();
        if path.is_file() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let stored: Vec<StoredToken> = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a token list; move it away to start with new tokens",
                    path.display()
                )
            })?;
            for t in stored {
                by_hash.insert(t.sha256, t.principal);
            }
        }
        Ok(Self {
            path,
            by_hash: Arc::new(RwLock::new(by_hash)),
        })
    }

    /// Who holds `token`, if anyone.
    pub fn check(&self, token: &str) -> Option<Principal> {
        self.by_hash
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&digest(token))
            .cloned()
    }

    pub fn has_administrator(&self) -> bool {
        self.by_hash
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .any(|p| p.role == Role::Administrator)
    }

    /// Issues a token for `principal`; the token itself is returned once and not kept.
    pub fn issue(&self, principal: Principal) -> Result<String> {
        let token = fresh();
        self.add(&token, principal)?;
        Ok(token)
    }

    /// Stores `token` (given, e.g. from `HOTLINE_ADMIN_TOKEN`) for `principal`.
    pub fn add(&self, token: &str, principal: Principal) -> Result<()> {
        if token.len() < 16 {
            bail!("a token must be at least 16 characters long");
        }
        if principal.role == Role::Agent && principal.agent.is_none() {
            bail!("an agent token must name the agent it acts as");
        }
        let mut map = self.by_hash.write().unwrap_or_else(PoisonError::into_inner);
        map.insert(digest(token), principal);
        let now = Timestamp::from_datetime(chrono::Utc::now());
        let stored: Vec<StoredToken> = map
            .iter()
            .map(|(h, p)| StoredToken {
                sha256: h.clone(),
                principal: p.clone(),
                created_at: now,
            })
            .collect();
        let text = serde_json::to_string_pretty(&stored)?;
        let tmp = self.path.with_extension("json.tmp");
        write_private(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("writing {}", self.path.display()))?;
        Ok(())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_token_is_checked_by_its_hash_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::open(dir.path()).unwrap();
        assert!(!tokens.has_administrator());
        let admin = Principal {
            name: "admin".into(),
            role: Role::Administrator,
            agent: None,
        };
        let token = tokens.issue(admin.clone()).unwrap();
        assert_eq!(tokens.check(&token), Some(admin.clone()));
        assert_eq!(tokens.check("hl_wrong"), None);
        let text = std::fs::read_to_string(Tokens::file_in(dir.path())).unwrap();
        assert!(!text.contains(&token), "the token itself is never stored");
        let reopened = Tokens::open(dir.path()).unwrap();
        assert_eq!(reopened.check(&token), Some(admin));
        assert!(reopened.has_administrator());
    }

    #[test]
    fn an_agent_token_names_its_agent() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::open(dir.path()).unwrap();
        let err = tokens
            .issue(Principal {
                name: "x".into(),
                role: Role::Agent,
                agent: None,
            })
            .unwrap_err();
        assert!(err.to_string().contains("agent"));
        assert!("boss".parse::<Role>().is_err());
    }
}
