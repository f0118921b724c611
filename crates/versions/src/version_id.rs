//! [`VersionId`]: the typed id of a version.
//!
//! A [`VersionId`] is a 128-bit number written like a UUID (`04a17d60-2df8-4c1b-94e0-19c3949b6a60`,
//! random, version-4 layout) except for the root, the empty state every graph starts from, which
//! is `0` and written `ROOT` as in the thesis's Listing 5.3. Ids are random rather than counters
//! so that a version committed in one process (a client dataframe) keeps its id when it is pushed
//! to another (the store): both graphs then name the same state the same way.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Identifier of a version (see the module docs). Serialised as its string form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VersionId(u128);

impl VersionId {
    /// The empty state every graph starts from; never garbage-collected.
    pub const ROOT: VersionId = VersionId(0);

    /// A fresh random id (UUID version-4 layout; never `ROOT`).
    pub fn random() -> VersionId {
        static SEED: OnceLock<RandomState> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let seed = SEED.get_or_init(RandomState::new);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let half = |salt: u8| {
            let mut h = seed.build_hasher();
            h.write_u64(n);
            h.write_u128(nanos);
            h.write_u8(salt);
            u128::from(h.finish())
        };
        let mut v = (half(1) << 64) | half(2);
        v = (v & !(0xF << 76)) | (0x4 << 76); // version nibble
        v = (v & !(0x3 << 62)) | (0x2 << 62); // RFC 4122 variant
        VersionId(v)
    }

    pub const fn from_u128(v: u128) -> VersionId {
        VersionId(v)
    }

    pub const fn as_u128(self) -> u128 {
        self.0
    }

    pub fn is_root(self) -> bool {
        self == VersionId::ROOT
    }
}

impl fmt::Display for VersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str("ROOT");
        }
        let v = self.0;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            v >> 96,
            (v >> 80) & 0xffff,
            (v >> 64) & 0xffff,
            (v >> 48) & 0xffff,
            v & 0xffff_ffff_ffff
        )
    }
}

impl fmt::Debug for VersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A string is neither `ROOT` nor 32 hexadecimal digits (hyphens ignored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version id {0:?}: expected ROOT or 32 hex digits")]
pub struct ParseVersionIdError(pub String);

impl FromStr for VersionId {
    type Err = ParseVersionIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "ROOT" {
            return Ok(VersionId::ROOT);
        }
        let hex: String = s.chars().filter(|c| *c != '-').collect();
        if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ParseVersionIdError(s.to_owned()));
        }
        u128::from_str_radix(&hex, 16)
            .map(VersionId)
            .map_err(|_| ParseVersionIdError(s.to_owned()))
    }
}

impl Serialize for VersionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VersionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
