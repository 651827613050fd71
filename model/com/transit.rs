//! Messages in transit, interned: each distinct (source, destination, message) is held once per
//! process with its hash, and a state's messages in transit are pointers to those.
//!
//! A system state holds its messages in transit as a sorted multiset
//! ([`crate::com::state::SysState`]), and the checker copies and fingerprints that multiset
//! for every successor. Yet a run sends few distinct messages (a message names a class, a
//! client, a slot, an object id or an HRESULT: small fields), so the model holds each one
//! once, as SPIN's and TLC's state compression share equal parts: a message in transit costs
//! 8 bytes instead of an envelope's 48, copying the multiset copies pointers, equal messages
//! compare by pointer, and the hash is computed once per distinct message instead of once per
//! message per successor.
//!
//! The interner is the process's and is never emptied: it holds the distinct messages of every
//! run the process checks, which the model's finite message alphabet bounds (actor ids below
//! 9, message fields of a few values each: thousands of envelopes, well under a megabyte).

use crate::com::msg::Msg;
use crate::com::state::HASH_KEYS;
use hashbrown::HashTable;
use stateright::actor::{Envelope, Id};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::atomic::AtomicU64;
use std::sync::{LazyLock, Mutex, OnceLock};

/// A message in transit: an interned [`Envelope`] (source, destination, message). Equal
/// envelopes are one `Sent`, so `==` compares pointers; the order is the envelopes' (source,
/// destination, message), stateright's order of deliveries; the hash is the envelope's
/// ([`HASH_KEYS`]), computed once. `Debug` shows the envelope.
#[derive(Clone, Copy)]
pub struct Sent(&'static Interned);

/// An interned envelope, its hash and the values the checker caches about its images.
struct Interned {
    envelope: Envelope<Msg>,
    hash: u64,
    renamed: OnceLock<Box<[AtomicU64]>>,
}

/// Bits of an envelope's hash that choose its interner shard.
const SHARD_BITS: u32 = 4;

/// The process's interned envelopes, sharded by hash.
static INTERNED: LazyLock<Box<[Mutex<HashTable<&'static Interned>>]>> =
    LazyLock::new(|| (0..1 << SHARD_BITS).map(|_| Mutex::default()).collect());

impl Sent {
    /// The interned `envelope`: the one `Sent` of every equal envelope in the process.
    pub fn new(envelope: Envelope<Msg>) -> Sent {
        let hash = HASH_KEYS.hash_one(&envelope);
        let shard = &INTERNED[(hash >> (64 - SHARD_BITS)) as usize];
        let mut table = shard.lock().expect("no thread panicked while interning");
        if let Some(held) = table.find(hash, |held| held.envelope == envelope) {
            return Sent(held);
        }
        let held: &'static Interned = Box::leak(Box::new(Interned {
            envelope,
            hash,
            renamed: OnceLock::new(),
        }));
        table.insert_unique(hash, held, |held| held.hash);
        Sent(held)
    }

    /// `msg` from `src` to `dst`, interned.
    pub fn of(src: Id, dst: Id, msg: Msg) -> Sent {
        Sent::new(Envelope { src, dst, msg })
    }

    /// The envelope's hash: [`HASH_KEYS`]' hash of the envelope, equal to that of the
    /// envelope's [`Envelope<&Msg>`] view.
    pub fn envelope_hash(self) -> u64 {
        self.0.hash
    }

    /// A table of `len` values the checker may cache about the envelope's images under
    /// renamings of clients and slots, made the first time it is asked for (0: not cached
    /// yet). The envelope is the process's, shared by models whose actor ids mean different
    /// actors, so one caller owns the table (the checker's symmetry reduction,
    /// `verify::symmetry`), which indexes it by id layout and renaming, always with the same
    /// `len`, and stores in it only functions of the envelope and that index.
    pub fn renamed(self, len: usize) -> &'static [AtomicU64] {
        self.0
            .renamed
            .get_or_init(|| (0..len).map(|_| AtomicU64::new(0)).collect())
    }

    /// The envelope with its message by reference (what [`crate::com::state::in_transit`]
    /// yields).
    pub fn as_ref(self) -> Envelope<&'static Msg> {
        let e = &self.0.envelope;
        Envelope {
            src: e.src,
            dst: e.dst,
            msg: &e.msg,
        }
    }
}

impl Deref for Sent {
    type Target = Envelope<Msg>;

    fn deref(&self) -> &Envelope<Msg> {
        &self.0.envelope
    }
}

impl PartialEq for Sent {
    fn eq(&self, other: &Sent) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Sent {}

impl PartialOrd for Sent {
    fn partial_cmp(&self, other: &Sent) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sent {
    fn cmp(&self, other: &Sent) -> Ordering {
        if self == other {
            Ordering::Equal
        } else {
            self.0.envelope.cmp(&other.0.envelope)
        }
    }
}

impl Hash for Sent {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.0.hash);
    }
}

impl fmt::Debug for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.envelope.fmt(f)
    }
}

impl From<Envelope<Msg>> for Sent {
    fn from(envelope: Envelope<Msg>) -> Sent {
        Sent::new(envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::com::config::Clsid;
    use crate::com::msg::ActKind;

    fn activation(client: usize) -> Sent {
        Sent::of(
            Id::from(client),
            Id::from(2),
            Msg::Activation {
                clsid: Clsid(0),
                kind: ActKind::Instance,
            },
        )
    }

    /// Equal envelopes are one allocation; different ones are not, and order as envelopes.
    #[test]
    fn equal_envelopes_are_one() {
        let (a, b, c) = (activation(0), activation(0), activation(1));
        assert!(std::ptr::eq(a.0, b.0));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.cmp(&c), (*a).cmp(&*c));
        assert_eq!(a.cmp(&c), Ordering::Less);
    }

    /// The cached hash is the envelope's, and that of its by-reference view.
    #[test]
    fn the_hash_is_the_envelopes() {
        let a = activation(1);
        assert_eq!(a.envelope_hash(), HASH_KEYS.hash_one(&*a));
        assert_eq!(a.envelope_hash(), HASH_KEYS.hash_one(a.as_ref()));
    }
}
