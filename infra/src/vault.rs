//! The recordings vault: call recordings encrypted at rest under the data directory
//! (`<data>/recordings/<storage key>`), with ChaCha20-Poly1305 and a key the operator gives.
//!
//! A stored file is `HOTLREC1` (8 bytes), a random 96-bit nonce (12 bytes), then the
//! ciphertext with its 16-byte tag. The storage key is the AEAD's associated data, so a file
//! copied over another recording's name fails to open instead of playing the wrong call.
//! A file is written under a temporary name and renamed, so it is whole or absent.
//!
//! The key never appears in logs or errors: [`RecordingKey`]'s `Debug` hides it.

use std::path::{Component, Path, PathBuf};

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

/// The environment variable `hotline serve` reads the key from.
pub const KEY_VARIABLE: &str = "HOTLINE_RECORDING_KEY";

const MAGIC: &[u8; 8] = b"HOTLREC1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The 256-bit key recordings are encrypted with.
#[derive(Clone)]
pub struct RecordingKey([u8; 32]);

impl std::fmt::Debug for RecordingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordingKey(hidden)")
    }
}

impl RecordingKey {
    /// A key written as 64 hexadecimal digits (`openssl rand -hex 32` makes one).
    pub fn from_hex(text: &str) -> Result<RecordingKey, VaultError> {
        let text = text.trim();
        let bytes = hex_bytes(text).ok_or(VaultError::BadKey)?;
        Ok(RecordingKey(bytes))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> RecordingKey {
        RecordingKey(bytes)
    }
}

fn hex_bytes(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Why a recording could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "the recording key must be 64 hexadecimal digits (256 bits); make one with `openssl rand -hex 32`"
    )]
    BadKey,
    #[error(
        "`{0}` is not a valid storage key: relative, without `..`, of letters, digits, `-`, `_`, `.` and `/`"
    )]
    BadStorageKey(String),
    #[error("no recording is stored under `{0}` (purged, or never stored)")]
    NotFound(String),
    #[error("the file of `{key}` is not a Hotline recording ({why}); it may be damaged or foreign")]
    NotARecording { key: String, why: &'static str },
    #[error(
        "the file of `{0}` cannot be decrypted: the recording key is not the one it was stored with, or the file was altered"
    )]
    Decrypt(String),
    #[error("encrypting `{0}` failed")]
    Encrypt(String),
    #[error("the recordings directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Encrypted recordings in one directory.
#[derive(Clone)]
pub struct Vault {
    dir: PathBuf,
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// The vault in `<data_dir>/recordings`, created if needed.
    pub fn open(data_dir: &Path, key: &RecordingKey) -> Result<Vault, VaultError> {
        let dir = data_dir.join("recordings");
        std::fs::create_dir_all(&dir).map_err(|source| VaultError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Vault {
            dir,
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key.0)),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a storage key names (whether or not it exists).
    pub fn path_of(&self, key: &str) -> Result<PathBuf, VaultError> {
        let bad = || VaultError::BadStorageKey(key.to_owned());
        let relative = Path::new(key);
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !plain {
            return Err(bad());
        }
        Ok(self.dir.join(relative))
    }

    /// Encrypts `plain` and stores it under `key`, whole or not at all. Returns the bytes
    /// written.
    pub fn put(&self, key: &str, plain: &[u8]) -> Result<u64, VaultError> {
        let path = self.path_of(key)?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: key.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Encrypt(key.to_owned()))?;
        let mut file = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&nonce);
        file.extend_from_slice(&sealed);
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| VaultError::Io { path, source }
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let staged = path.with_extension("partial");
        std::fs::write(&staged, &file).map_err(io(&staged))?;
        std::fs::rename(&staged, &path).map_err(io(&path))?;
        Ok(file.len() as u64)
    }

    /// The decrypted contents stored under `key`.
    pub fn get(&self, key: &str) -> Result<Vec<u8>, VaultError> {
        let path = self.path_of(key)?;
        let file = match std::fs::read(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(VaultError::NotFound(key.to_owned()));
            }
            Err(source) => return Err(VaultError::Io { path, source }),
        };
        self.open_bytes(key, &file)
    }

    /// Decrypts a stored file's bytes (`get` without the disk).
    pub fn open_bytes(&self, key: &str, file: &[u8]) -> Result<Vec<u8>, VaultError> {
        let not = |why| VaultError::NotARecording {
            key: key.to_owned(),
            why,
        };
        let rest = file
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| not("it does not start with HOTLREC1"))?;
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(not("it is truncated: shorter than its nonce and tag"));
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: key.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Decrypt(key.to_owned()))
    }

    /// Deletes the file stored under `key`; true if there was one.
    pub fn delete(&self, key: &str) -> Result<bool, VaultError> {
        let path = self.path_of(key)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(VaultError::Io { path, source }),
        }
    }

    /// Whether a file is stored under `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.path_of(key).is_ok_and(|p| p.is_file())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(byte: u8) -> RecordingKey {
        RecordingKey::from_bytes([byte; 32])
    }

    #[test]
    fn a_stored_recording_reads_back_only_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path(), &key(1)).unwrap();
        let plain = b"RIFF....WAVEfmt the audio".repeat(10);
        let written = vault.put("2026/11/22/a.wav.enc", &plain).unwrap();
        let file = std::fs::read(dir.path().join("recordings/2026/11/22/a.wav.enc")).unwrap();
        assert_eq!(written, file.len() as u64);
        assert!(
            !file.windows(4).any(|w| w == b"RIFF"),
            "stored in the clear"
        );
        assert_eq!(vault.get("2026/11/22/a.wav.enc").unwrap(), plain);

        let other = Vault::open(dir.path(), &key(2)).unwrap();
        let err = other.get("2026/11/22/a.wav.enc").unwrap_err();
        assert!(matches!(err, VaultError::Decrypt(_)), "{err}");
        assert!(err.to_string().contains("not the one it was stored with"));
    }

    #[test]
    fn a_file_moved_to_another_name_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path(), &key(1)).unwrap();
        vault.put("a.wav.enc", b"call a").unwrap();
        std::fs::copy(
            vault.path_of("a.wav.enc").unwrap(),
            vault.path_of("b.wav.enc").unwrap(),
        )
        .unwrap();
        assert!(matches!(
            vault.get("b.wav.enc"),
            Err(VaultError::Decrypt(_))
        ));
    }

    #[test]
    fn truncated_corrupt_and_foreign_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path(), &key(1)).unwrap();
        vault.put("a.wav.enc", &[7u8; 1000]).unwrap();
        let path = vault.path_of("a.wav.enc").unwrap();
        let whole = std::fs::read(&path).unwrap();

        for cut in [0, 5, 8, 20, 35, whole.len() - 1] {
            let err = vault.open_bytes("a.wav.enc", &whole[..cut]).unwrap_err();
            let text = err.to_string();
            assert!(
                matches!(
                    err,
                    VaultError::NotARecording { .. } | VaultError::Decrypt(_)
                ),
                "cut at {cut}: {text}"
            );
        }
        let mut flipped = whole.clone();
        flipped[500] ^= 1;
        assert!(matches!(
            vault.open_bytes("a.wav.enc", &flipped),
            Err(VaultError::Decrypt(_))
        ));
        let err = vault.open_bytes("a.wav.enc", b"RIFF1234WAVE").unwrap_err();
        assert!(err.to_string().contains("not a Hotline recording"), "{err}");
        assert!(matches!(
            vault.get("missing.wav.enc"),
            Err(VaultError::NotFound(_))
        ));
    }

    #[test]
    fn storage_keys_stay_inside_the_vault() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path(), &key(1)).unwrap();
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a b", "a\\b"] {
            assert!(
                matches!(vault.put(bad, b"x"), Err(VaultError::BadStorageKey(_))),
                "{bad}"
            );
        }
        assert!(vault.delete("gone.wav.enc").is_ok_and(|existed| !existed));
    }

    #[test]
    fn keys_are_64_hex_digits_and_never_shown() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let key = RecordingKey::from_hex(hex).unwrap();
        assert_eq!(format!("{key:?}"), "RecordingKey(hidden)");
        for bad in ["", "abc", &hex[..62], &format!("{}zz", &hex[..62])] {
            assert!(
                matches!(RecordingKey::from_hex(bad), Err(VaultError::BadKey)),
                "{bad}"
            );
        }
    }
}
