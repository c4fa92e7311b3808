//! Shard K of N of a catalog (`batch --shard K/N`): which rows it holds, and how it is written
//! and read. Kept below the store (which records a run's shard) and the merge (which checks
//! that every shard is there), so that neither imports the other for it.
//!
//! Shard K of N holds the rows whose catalog index i has i % N == K: interleaved rather than
//! in blocks, so that slow parts, which tend to sit together in a catalog (one customer's,
//! one product family's), spread over the shards.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Does this shard hold catalog row `i`?
    pub fn holds(&self, i: usize) -> bool {
        i % self.count == self.index
    }

    /// The catalog rows of this shard in a catalog of `entries`.
    pub fn rows(&self, entries: usize) -> impl Iterator<Item = usize> + use<> {
        (self.index..entries).step_by(self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not K/N with 0 <= K < N (e.g. 0/4)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}
