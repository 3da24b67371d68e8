//! Shards: `--shard K/N` runs the designs whose id leaves remainder `K - 1` when divided by `N`,
//! so N machines (a Slurm job array, a Kubernetes indexed Job) share a sweep with no
//! coordination, each shard gets a mix of cheap and dear designs, and the shards' outputs merge
//! into exactly what one run writes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, 1 to `count`.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Whether design `id` belongs to this shard.
    pub fn contains(&self, id: u64) -> bool {
        id % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// How many of the ids `0..total` belong to this shard (counted, not listed, so a budget can
    /// refuse a huge sweep before anything is allocated).
    pub fn size_of(&self, total: u64) -> u64 {
        let first = u64::from(self.index - 1);
        if total <= first {
            0
        } else {
            (total - first - 1) / u64::from(self.count) + 1
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A `K/N` that is not a shard.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a shard: write K/N with 1 <= K <= N, for example 2/8")]
pub struct BadShard(pub String);

impl FromStr for Shard {
    type Err = BadShard;

    fn from_str(text: &str) -> Result<Shard, BadShard> {
        let bad = || BadShard(text.to_string());
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_ids() {
        let shards: Vec<Shard> = (1..=3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        for id in 0..30u64 {
            assert_eq!(shards.iter().filter(|s| s.contains(id)).count(), 1);
        }
        assert!(shards[0].contains(0) && shards[1].contains(1) && shards[2].contains(5));
        for total in 0..12u64 {
            for shard in &shards {
                let listed = (0..total).filter(|&id| shard.contains(id)).count() as u64;
                assert_eq!(shard.size_of(total), listed, "{shard} of {total}");
            }
        }
        assert_eq!(shards[1].to_string(), "2/3");
    }

    #[test]
    fn bad_shards_are_refused() {
        for text in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(text.parse::<Shard>().is_err(), "{text}");
        }
    }
}
