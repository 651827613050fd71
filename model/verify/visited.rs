//! The visited set of the one-pass checker ([`crate::verify::search`]): per state, by its
//! 64-bit fingerprint (or its class's key under symmetry reduction), the masks of `eventually`
//! properties it has been visited with, in 8 bytes per state when that is one mask.
//!
//! Sharded by the top [`SHARD_BITS`] bits of the fingerprint, so that shards are updated in
//! parallel (whether a node is new depends only on the nodes of its shard before it) and a
//! table's growth copies one shard, not the whole set. Each shard is an open-addressing table
//! with linear probing whose home slot is given by the fingerprint's next bits, so that the
//! table is ordered by them: growing it reads the old table and writes the new one in order.
//! The search probes a table once per successor, for tables much larger than the caches:
//! [`Visited::prefetch`] lets it ask for the slot's cache line while it computes the next
//! successor, and [`Shard::add`]'s callers prefetch the entries ahead of the one they add.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes a fingerprint for a shard's map of further masks: the fingerprint rotated, so that
/// the bits that choose the shard (all equal within it) are neither the bucket bits nor the
/// tag bits of the map.
#[derive(Default)]
struct FpHasher(u64);

impl Hasher for FpHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 fingerprints are hashed");
    }
    fn write_u64(&mut self, fp: u64) {
        self.0 = fp.rotate_right(16);
    }
}

/// Bits of a fingerprint (the top ones) that choose its shard.
pub const SHARD_BITS: u32 = 6;

/// The fingerprint bits that a shard stores: all but the shard bits, which are equal within a
/// shard.
const LOW: u64 = u64::MAX >> SHARD_BITS;

/// The shard of a fingerprint: 0 to 2^[`SHARD_BITS`] − 1.
pub fn shard_of(fp: u64) -> usize {
    (fp >> (64 - SHARD_BITS)) as usize
}

/// What [`Shard::add`] did with a node.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Added {
    /// The state had been visited with this mask already.
    Seen,
    /// The node is new.
    New {
        /// Whether it is its state's first node (no mask before).
        first: bool,
    },
    /// The node would have been its state's first node, and new states were not allowed.
    Refused,
}

/// Slots of a table when it is first written to.
const INITIAL_SLOTS: usize = 1 << 10;

/// A table of 8-byte entries, each a state's fingerprint bits ([`LOW`], not 0) with its first
/// mask in the top [`SHARD_BITS`] bits (masks are below 2⁶: at most 6 `eventually`
/// properties); 0 is an empty slot. Open addressing with linear probing from the home slot,
/// the top bits of the stored fingerprint bits; at most three quarters full.
#[derive(Default)]
struct Table {
    slots: Vec<u64>,
    len: usize,
}

impl Table {
    /// The home slot of fingerprint bits `k` in a table of `slots` slots (a power of two).
    fn home(k: u64, slots: usize) -> usize {
        ((k << SHARD_BITS) >> (64 - slots.trailing_zeros())) as usize
    }

    /// The slot holding `k`'s entry (`Ok`) or the empty slot where it would go (`Err`).
    /// The table must have slots.
    fn find(&self, k: u64) -> Result<usize, usize> {
        let last = self.slots.len() - 1;
        let mut i = Self::home(k, self.slots.len());
        loop {
            match self.slots[i] {
                0 => return Err(i),
                e if e & LOW == k => return Ok(i),
                _ => i = (i + 1) & last,
            }
        }
    }

    /// The mask stored with `k`, if `k` is in the table.
    fn get(&self, k: u64) -> Option<u8> {
        if self.slots.is_empty() {
            return None;
        }
        self.find(k)
            .ok()
            .map(|i| (self.slots[i] >> (64 - SHARD_BITS)) as u8)
    }

    /// Inserts `k` (not in the table) with `mask`.
    fn insert(&mut self, k: u64, mask: u8) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let i = self.find(k).expect_err("a new entry");
        self.slots[i] = k | u64::from(mask) << (64 - SHARD_BITS);
        self.len += 1;
    }

    /// Doubles the slots (or makes the first ones), moving every entry in table order.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(INITIAL_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        for e in old.into_iter().filter(|&e| e != 0) {
            let i = self.find(e & LOW).expect_err("distinct entries");
            self.slots[i] = e;
        }
    }

    /// Asks for the cache line of `k`'s home slot, for a probe soon after.
    fn prefetch(&self, k: u64) {
        if let Some(slot) = self.slots.get(Self::home(k, self.slots.len().max(1))) {
            prefetch(slot);
        }
    }
}

/// Asks the processor to bring `x`'s cache line closer: a hint with no effect on the program's
/// results (a no-op on targets other than x86-64).
#[inline]
fn prefetch(x: &u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing into the program and cannot fault; `x` is a valid
    // reference, and SSE (which provides the instruction) is part of every x86-64 target.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(x).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// One shard of the [`Visited`] set: the states whose fingerprints share the top
/// [`SHARD_BITS`] bits, with the masks each was visited with.
#[derive(Default)]
pub struct Shard {
    /// Per state but the one whose stored bits are 0, its first mask.
    table: Table,
    /// The first mask of the state whose stored fingerprint bits are 0 (an empty slot's value
    /// in the table), if visited.
    zero: Option<u8>,
    /// The further masks (bit = mask) of the states visited with more than one, keyed by
    /// fingerprint bits. Empty when every property, once true, stays true (all of ours).
    more: HashMap<u64, u64, BuildHasherDefault<FpHasher>>,
}

impl Shard {
    /// The first mask `fp` was visited with, if any.
    fn first(&self, fp: u64) -> Option<u8> {
        match fp & LOW {
            0 => self.zero,
            k => self.table.get(k),
        }
    }

    /// The masks `fp` has been visited with (bit = mask).
    pub fn get(&self, fp: u64) -> u64 {
        match self.first(fp) {
            None => 0,
            Some(m) => 1 << m | self.more.get(&(fp & LOW)).copied().unwrap_or(0),
        }
    }

    /// Asks for the cache line where `fp` is looked up, for a [`Shard::add`] soon after.
    pub fn prefetch(&self, fp: u64) {
        self.table.prefetch(fp & LOW);
    }

    /// Records that `fp` is visited with `mask` (below 2⁶), unless it was already; a state not
    /// visited before is recorded only when `new_states` allows it.
    pub fn add(&mut self, fp: u64, mask: u8, new_states: bool) -> Added {
        match self.first(fp) {
            None if !new_states => Added::Refused,
            None => {
                match fp & LOW {
                    0 => self.zero = Some(mask),
                    k => self.table.insert(k, mask),
                }
                Added::New { first: true }
            }
            Some(m) if m == mask => Added::Seen,
            Some(_) => {
                let more = self.more.entry(fp & LOW).or_insert(0);
                if *more >> mask & 1 == 1 {
                    Added::Seen
                } else {
                    *more |= 1 << mask;
                    Added::New { first: false }
                }
            }
        }
    }
}

/// Per state (fingerprint): the set of masks it has been visited with, in 8 bytes per state
/// when that set is one mask, in 2^[`SHARD_BITS`] shards (the module documentation says why).
pub struct Visited {
    /// The shards, indexed by [`shard_of`].
    pub shards: Vec<Shard>,
}

impl Default for Visited {
    fn default() -> Self {
        Self::new()
    }
}

impl Visited {
    /// An empty set.
    pub fn new() -> Self {
        Visited {
            shards: (0..1 << SHARD_BITS).map(|_| Shard::default()).collect(),
        }
    }

    /// The masks `fp` has been visited with (bit = mask).
    pub fn get(&self, fp: u64) -> u64 {
        self.shards[shard_of(fp)].get(fp)
    }

    /// Asks for the cache line where `fp` is looked up, for a [`Visited::get`] soon after.
    pub fn prefetch(&self, fp: u64) {
        self.shards[shard_of(fp)].prefetch(fp);
    }

    /// [`Shard::add`] in `fp`'s shard.
    pub fn add(&mut self, fp: u64, mask: u8, new_states: bool) -> Added {
        self.shards[shard_of(fp)].add(fp, mask, new_states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state visited with several masks (a property that held and then did not, which none
    /// of the model's properties do) keeps every mask: its first in the entry, the others aside.
    #[test]
    fn a_state_keeps_every_mask_it_was_visited_with() {
        for fp in [0xdead_beef_0123_4567, 0xdead_beef_0123_4567 & !LOW] {
            let mut v = Visited::new();
            assert_eq!(v.get(fp), 0);
            assert_eq!(v.add(fp, 5, false), Added::Refused);
            assert_eq!(v.add(fp, 5, true), Added::New { first: true });
            assert_eq!(v.add(fp, 5, true), Added::Seen);
            assert_eq!(v.add(fp, 63, false), Added::New { first: false });
            assert_eq!(v.add(fp, 0, true), Added::New { first: false });
            assert_eq!(v.add(fp, 63, true), Added::Seen);
            assert_eq!(v.get(fp), 1 << 5 | 1 << 63 | 1);
            // A fingerprint differing in a shard bit only is another state, in another shard.
            assert_eq!(v.get(fp ^ 1 << 63), 0);
            // One differing in a stored bit only is another state, in the same shard.
            assert_eq!(v.get(fp ^ 1), 0);
            assert_eq!(v.add(fp ^ 1, 5, true), Added::New { first: true });
        }
    }

    /// Through many growths, with entries that collide on their home slots, every state added
    /// is found with its mask and no other is: the table against a `HashMap`.
    #[test]
    fn the_table_finds_what_was_added_through_its_growth() {
        let mut shard = Shard::default();
        let mut model = std::collections::HashMap::new();
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for i in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Every fourth fingerprint shares its top stored bits with the one before: a
            // cluster on one home slot.
            let fp = if i % 4 == 3 { x & !0xff | i & 0xff } else { x } & LOW;
            let mask = (i % 64) as u8;
            if let std::collections::hash_map::Entry::Vacant(e) = model.entry(fp) {
                e.insert(mask);
                assert_eq!(shard.add(fp, mask, true), Added::New { first: true });
            }
        }
        for (&fp, &mask) in &model {
            assert_eq!(shard.get(fp), 1 << mask, "{fp:#x}");
            let other = fp ^ 1 << 40;
            if !model.contains_key(&other) {
                assert_eq!(shard.get(other), 0, "{other:#x}");
            }
        }
        assert_eq!(
            shard.table.len,
            model.len() - usize::from(model.contains_key(&0))
        );
    }
}
