//! Item lookups cut into the batches an inventory API accepts.
use crate::domain::ItemKey;
use std::collections::BTreeSet;

/// How much one batched inventory call may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// (sku, location) pairs per call.
    pub max_pairs: usize,
    /// Distinct skus per call.
    pub max_skus: usize,
    /// Distinct locations per call.
    pub max_locations: usize,
}

impl BatchLimits {
    pub const ONE: BatchLimits = BatchLimits {
        max_pairs: 1,
        max_skus: 1,
        max_locations: 1,
    };
}

/// Cuts keys into batches within `limits`, in (location, sku) order so each batch spans few
/// locations: batched APIs answer the cross product of the skus and locations they are given,
/// and keeping that product close to the keys asked for keeps answers to one page.
pub fn batches(keys: &[ItemKey], limits: BatchLimits) -> Vec<Vec<ItemKey>> {
    let mut sorted: Vec<&ItemKey> = keys.iter().collect();
    sorted.sort_by(|a, b| (&a.location, &a.sku).cmp(&(&b.location, &b.sku)));
    sorted.dedup();
    let mut out: Vec<Vec<ItemKey>> = Vec::new();
    let mut current: Vec<ItemKey> = Vec::new();
    let mut skus: BTreeSet<&str> = BTreeSet::new();
    let mut locations: BTreeSet<&str> = BTreeSet::new();
    for key in sorted {
        let new_sku = !skus.contains(key.sku.as_str());
        let new_location = !locations.contains(key.location.as_str());
        let full = current.len() >= limits.max_pairs.max(1)
            || (new_sku && skus.len() >= limits.max_skus.max(1))
            || (new_location && locations.len() >= limits.max_locations.max(1));
        if full && !current.is_empty() {
            out.push(std::mem::take(&mut current));
            skus.clear();
            locations.clear();
        }
        skus.insert(&key.sku);
        locations.insert(&key.location);
        current.push(key.clone());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_every_limit_and_lose_nothing() {
        let keys: Vec<_> = (0..120)
            .map(|i| ItemKey::new(&format!("sku-{i}"), &format!("loc-{}", i % 7)))
            .collect();
        let limits = BatchLimits {
            max_pairs: 50,
            max_skus: 50,
            max_locations: 3,
        };
        let out = batches(&keys, limits);
        let mut seen: Vec<ItemKey> = out.iter().flatten().cloned().collect();
        seen.sort();
        let mut want = keys.clone();
        want.sort();
        assert_eq!(seen, want);
        for b in &out {
            assert!(b.len() <= 50);
            let locs: BTreeSet<_> = b.iter().map(|k| &k.location).collect();
            assert!(locs.len() <= 3);
        }
    }

    #[test]
    fn batch_count_is_the_lower_bound_when_only_pairs_limit() {
        let keys: Vec<_> = (0..250)
            .map(|i| ItemKey::new(&format!("s{i}"), "online"))
            .collect();
        let limits = BatchLimits {
            max_pairs: 100,
            max_skus: 100,
            max_locations: 100,
        };
        assert_eq!(batches(&keys, limits).len(), 3);
        assert_eq!(batches(&keys, BatchLimits::ONE).len(), 250);
    }
}
