//! The checker's visited set ([`crate::verify::search`]): per state, by its 64-bit key (its
//! fingerprint, or its class's key under symmetry reduction), the masks of pending
//! `eventually` properties it has been visited with, in 8 bytes per state when that is one
//! mask (all of the model's properties).
//!
//! The set is sharded by the top bits of the key, so that the merge decides shards in
//! parallel (whether a node is new depends only on the earlier nodes of its shard) and a
//! table's growth copies one shard. A shard is an open-addressing table of 8-byte slots with
//! linear probing, rather than a general hash set, so that the merge can prefetch the slot of
//! a key a few keys before it probes it (`Shard::prefetch`): at millions of states a probe is
//! a miss in every cache, and the merge knows its next keys in advance.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Bits of a key (the top ones) that choose its [`Visited`] shard.
pub(crate) const SHARD_BITS: u32 = 6;

/// The key bits that a [`Shard`] stores: all but the shard bits, which are equal within a
/// shard.
const LOW: u64 = u64::MAX >> SHARD_BITS;

/// The shard of a key.
pub(crate) fn shard_of(key: u64) -> usize {
    (key >> (64 - SHARD_BITS)) as usize
}

/// What [`Shard::add`] did with a node.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Added {
    /// The state had been visited with this mask already.
    Seen,
    /// The node is new; `first` when it is its state's first node (no mask before).
    New { first: bool },
    /// The node would have been its state's first node, and new states were not allowed.
    Refused,
}

/// Hashes a key's stored bits for [`Shard::more`]: they are uniform hash bits already.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys are hashed");
    }
    fn write_u64(&mut self, key: u64) {
        self.0 = key.rotate_right(16);
    }
}

/// A shard's table grows when it would be fuller than 7/8: hashbrown's bound, so that the
/// tables double when hashbrown's did, in 8 bytes a slot instead of 9. At 3/4 the probes are
/// shorter, but more tables double before their runs end: the whole check's peak rose by
/// 90–270 MiB (docs/benchmarks.md).
const MAX_LOAD: (usize, usize) = (7, 8);

/// Slots of a shard's first table.
const FIRST_SLOTS: usize = 16;

/// One shard of the [`Visited`] set: the states whose keys share the top [`SHARD_BITS`] bits,
/// with the masks each was visited with.
#[derive(Default)]
pub(crate) struct Shard {
    /// Per state, one slot: its key's stored bits ([`LOW`]) and, in the top bits, the first
    /// mask it was visited with (masks are below 2⁶: at most 6 `eventually` properties); 0 is
    /// an empty slot. A power of two long (or empty), at most [`MAX_LOAD`] full; a key's slot
    /// is the first one from its home (its low bits) on that holds it or is empty.
    slots: Vec<u64>,
    /// Slots in use.
    len: usize,
    /// The first mask of the state whose stored bits are all 0 (which a slot cannot hold, 0
    /// being empty), once visited.
    zero: Option<u8>,
    /// The further masks (bit = mask) of the states visited with more than one, keyed by
    /// stored bits. Empty when every property, once true, stays true (all of ours).
    more: HashMap<u64, u64, BuildHasherDefault<KeyHasher>>,
}

impl Shard {
    /// The home slot of stored bits `bits` (the table is not empty).
    fn home(&self, bits: u64) -> usize {
        bits as usize & (self.slots.len() - 1)
    }

    /// The slot that holds `bits` (Ok) or the empty slot where it would go (Err).
    fn find(&self, bits: u64) -> Result<usize, usize> {
        let last = self.slots.len() - 1;
        let mut i = self.home(bits);
        loop {
            match self.slots[i] {
                0 => return Err(i),
                v if v & LOW == bits => return Ok(i),
                _ => i = (i + 1) & last,
            }
        }
    }

    /// Twice the slots (or the first table), every entry moved to its slot there.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(FIRST_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        for v in old.into_iter().filter(|&v| v != 0) {
            let Err(i) = self.find(v & LOW) else {
                unreachable!("an entry is in the table once")
            };
            self.slots[i] = v;
        }
    }

    /// Asks the processor to fetch the cache line of `key`'s home slot, which a probe for it
    /// reads first: a hint with no effect on the set.
    pub(crate) fn prefetch(&self, key: u64) {
        #[cfg(target_arch = "x86_64")]
        if !self.slots.is_empty() {
            let at = self.slots[self.home(key & LOW)..].as_ptr();
            // SAFETY: a prefetch reads nothing the program sees and cannot fault; `at` points
            // into the table.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast())
            };
        }
    }

    /// The masks `key` has been visited with (bit = mask).
    #[cfg(test)]
    fn get(&self, key: u64) -> u64 {
        let bits = key & LOW;
        let first = if bits == 0 {
            self.zero
        } else if self.slots.is_empty() {
            None
        } else {
            self.find(bits)
                .ok()
                .map(|i| (self.slots[i] >> (64 - SHARD_BITS)) as u8)
        };
        first.map_or(0, |m| 1 << m | self.more.get(&bits).copied().unwrap_or(0))
    }

    /// Records that `key` is visited with `mask`, unless it was already; a state not visited
    /// before is recorded only when `new_states` allows it.
    pub(crate) fn add(&mut self, key: u64, mask: u8, new_states: bool) -> Added {
        let bits = key & LOW;
        let (first, at) = if bits == 0 {
            (self.zero, None)
        } else {
            if (self.len + 1) * MAX_LOAD.1 > self.slots.len() * MAX_LOAD.0 {
                self.grow();
            }
            match self.find(bits) {
                Ok(i) => (Some((self.slots[i] >> (64 - SHARD_BITS)) as u8), None),
                Err(i) => (None, Some(i)),
            }
        };
        match first {
            None if !new_states => Added::Refused,
            None => {
                match at {
                    Some(i) => {
                        self.slots[i] = bits | u64::from(mask) << (64 - SHARD_BITS);
                        self.len += 1;
                    }
                    None => self.zero = Some(mask),
                }
                Added::New { first: true }
            }
            Some(m) if m == mask => Added::Seen,
            Some(_) => {
                let more = self.more.entry(bits).or_insert(0);
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

/// Per state (key): the set of masks it has been visited with, in [`Shard`]s by the top bits
/// of the key.
pub(crate) struct Visited {
    /// The shards, by [`shard_of`].
    pub(crate) shards: Vec<Shard>,
}

impl Visited {
    /// An empty set.
    pub(crate) fn new() -> Self {
        Visited {
            shards: (0..1 << SHARD_BITS).map(|_| Shard::default()).collect(),
        }
    }

    /// The masks `key` has been visited with (bit = mask).
    #[cfg(test)]
    fn get(&self, key: u64) -> u64 {
        self.shards[shard_of(key)].get(key)
    }

    /// [`Shard::add`] in `key`'s shard.
    pub(crate) fn add(&mut self, key: u64, mask: u8, new_states: bool) -> Added {
        self.shards[shard_of(key)].add(key, mask, new_states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state visited with several masks (a property that held and then did not, which none
    /// of the model's properties do) keeps every mask: its first in the entry, the others aside.
    #[test]
    fn a_state_keeps_every_mask_it_was_visited_with() {
        for fp in [0xdead_beef_0123_4567, 0xfc00_0000_0000_0000] {
            let mut v = Visited::new();
            assert_eq!(v.get(fp), 0);
            assert_eq!(v.add(fp, 5, false), Added::Refused);
            assert_eq!(v.add(fp, 5, true), Added::New { first: true });
            assert_eq!(v.add(fp, 5, true), Added::Seen);
            assert_eq!(v.add(fp, 63, false), Added::New { first: false });
            assert_eq!(v.add(fp, 0, true), Added::New { first: false });
            assert_eq!(v.add(fp, 63, true), Added::Seen);
            assert_eq!(v.get(fp), 1 << 5 | 1 << 63 | 1);
            // A key differing in a shard bit only is another state, in another shard.
            assert_eq!(v.get(fp ^ 1 << 63), 0);
            // One differing in a stored bit only is another state, in the same shard.
            assert_eq!(v.get(fp ^ 1), 0);
            assert_eq!(v.add(fp ^ 1, 5, true), Added::New { first: true });
        }
    }

    /// Through many growths and colliding homes, every key added is found with its mask and
    /// every other is not: the set against a `HashMap`.
    #[test]
    fn a_shard_finds_what_it_holds_through_growth() {
        let mut shard = Shard::default();
        let mut truth = HashMap::new();
        // Keys with few distinct home bits, so that probes run past each other, and spread
        // ones (SplitMix64), all in shard 0.
        let mut z = 0u64;
        let keys = (0..20_000u64).map(|i| {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let spread = (z ^ (z >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            (if i % 3 == 0 { i << 20 } else { spread }) & LOW
        });
        for (i, key) in keys.enumerate() {
            let mask = (i % 7) as u8;
            let expected = match truth.get(&key) {
                None => Added::New { first: true },
                Some(&m) if m == mask => Added::Seen,
                Some(_) => continue,
            };
            assert_eq!(shard.add(key, mask, true), expected, "key {key:#x}");
            truth.entry(key).or_insert(mask);
        }
        assert_eq!(shard.len, truth.len() - usize::from(truth.contains_key(&0)));
        assert!(shard.len * MAX_LOAD.1 <= shard.slots.len() * MAX_LOAD.0);
        for (&key, &mask) in &truth {
            assert_eq!(shard.get(key), 1 << mask);
            if !truth.contains_key(&(key ^ 1 << 57)) {
                assert_eq!(shard.get(key ^ 1 << 57), 0);
            }
        }
    }
}
