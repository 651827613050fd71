//! The actors' transitions, each computed once per run: a memo of what an actor's handler does
//! with one message, or its internal step, in one state.
//!
//! A step of the model changes one actor's state and the messages in transit, and what it does
//! to that actor is a function of the actor (its configuration), its state and the action alone
//! (a COM component decides from what it can see, [`crate::com::actor::ComActor::deliver`] and
//! [`crate::com::actor::ComActor::fire`] read nothing else). A run holds millions of system
//! states but few distinct actor states (thousands: local-multi-sta's largest Wine run holds
//! 1 313 server states and 148 client states; with three clients it takes 74 592 distinct
//! transitions between 23 482 distinct actor states among 15.1 M classes of states,
//! docs/benchmarks.md), so the same local transition is taken again in state after state. The
//! memo keeps each one's outcome (the actor's next state, shared, hash and enabled steps
//! included, and its sends), so that a successor costs a copy of the roster and of the
//! messages, not a clone, run and hash of the handler's state. LTSmin
//! caches the transitions of its partitioned next-state function the same way (its `--cache`
//! option, Blom, van de Pol and Weber, *LTSmin*, CAV 2010).
//!
//! The memo changes no value: the outcome of a transition is the outcome the handler returns,
//! compared by value (an equal actor state held elsewhere finds the same entry).

use crate::com::actor::{ComState, Step};
use crate::com::msg::Sends;
use crate::com::state::{ActorRef, HashedState, HASH_KEYS};
use crate::com::transit::Sent;
use hashbrown::HashTable;
use smallvec::SmallVec;
use stateright::actor::Id;
use std::sync::Mutex;

/// What a transition does to its actor when the actor takes the action. Cloned out of the
/// memo by value (a copy, unless the step sends more than two messages).
#[derive(Clone, Debug)]
pub struct Taken {
    /// The actor's next state; `None` when the step leaves it unchanged.
    pub next: Option<ActorRef>,
    /// What the actor sends, in the order its handler sent it, interned with the actor as
    /// source.
    pub sends: SmallVec<[Sent; 2]>,
}

/// A transition's outcome: `None` when the actor does not take the action in that state (a
/// message it cannot dispatch yet stays in transit), else what it does.
pub type Outcome = Option<Taken>;

/// What an actor does in a transition: take one message in transit (interned, so that the
/// memo hashes and compares it as one pointer), or one of its internal steps.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Move {
    /// The delivery of this message to its destination.
    Deliver(Sent),
    /// This actor's internal step.
    Step(Id, Step),
}

impl Move {
    /// The actor that moves: the message's destination, or the stepping actor.
    pub fn actor(self) -> Id {
        match self {
            Move::Deliver(e) => e.dst,
            Move::Step(id, _) => id,
        }
    }
}

/// One memoised transition: the state it starts from, the move, and its outcome.
struct Entry {
    hash: u64,
    from: ActorRef,
    taken: Move,
    outcome: Outcome,
}

/// Bits of a hash (a transition's, or an actor state's) that choose its shard.
const SHARD_BITS: u32 = 5;

/// The shard of `hash`: its top [`SHARD_BITS`] bits.
fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARD_BITS)) as usize
}

/// The memo of one model's transitions, sharded by hash so that the checker's workers seldom
/// wait for each other. It grows with the distinct (actor state, action) pairs a run takes,
/// and is dropped with its model. Cloning a model gives the clone an empty memo.
///
/// The next states it hands out are also shared among transitions (hash-consed, as SPIN's
/// and TLC's state compression share equal parts): every transition that leads an actor to
/// equal states hands out the same reference, so each distinct actor state of a run is held
/// once, its hash, enabled steps and the checker's cached values computed once, and the
/// memo's lookups by a state find it by pointer.
///
/// The distinct actor states are held for the rest of the process (leaked), so that a state
/// refers to them without reference counts ([`ActorRef`]); the memo held them for its model's
/// lifetime anyway. The cost is what a process's models leave behind: the whole two-client
/// `check` (243 models) keeps 337 421 actor states, about 75 MiB more at its peak
/// (docs/benchmarks.md).
pub struct Transitions {
    shards: Box<[Mutex<HashTable<Entry>>]>,
    states: Box<[Mutex<HashTable<ActorRef>>]>,
}

impl Default for Transitions {
    fn default() -> Self {
        Transitions {
            shards: (0..1 << SHARD_BITS).map(|_| Mutex::default()).collect(),
            states: (0..1 << SHARD_BITS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl Clone for Transitions {
    fn clone(&self) -> Self {
        Transitions::default()
    }
}

impl Transitions {
    /// The outcome of `action` (a delivery to, or an internal step of, the actor whose state
    /// is `from`): the memoised one, or the handler's, memoised first. `take` runs the handler:
    /// `None` when the actor does not take the action, else its next state (`None`: unchanged)
    /// and its sends.
    pub fn get_or_take(
        &self,
        from: ActorRef,
        action: Move,
        take: impl FnOnce() -> Option<(Option<ComState>, Sends)>,
    ) -> Outcome {
        let hash = HASH_KEYS.hash_one((from.state_hash(), action));
        let shard = &self.shards[shard_of(hash)];
        let same = |e: &Entry| {
            e.hash == hash && e.taken == action && (std::ptr::eq(e.from, from) || e.from == from)
        };
        if let Some(e) = shard.lock().expect("no worker panicked").find(hash, same) {
            return e.outcome.clone();
        }
        // Taken outside the lock; two workers taking the same transition at once compute
        // equal outcomes, and the first one stored is kept.
        let outcome = take().map(|(next, sends)| {
            let src = action.actor();
            Taken {
                next: next.map(|n| self.shared(HashedState::new(n))),
                sends: sends
                    .into_iter()
                    .map(|(dst, msg)| Sent::of(src, dst, msg))
                    .collect(),
            }
        });
        let mut table = shard.lock().expect("no worker panicked");
        if table.find(hash, same).is_none() {
            table.insert_unique(
                hash,
                Entry {
                    hash,
                    from,
                    taken: action,
                    outcome: outcome.clone(),
                },
                |e| e.hash,
            );
        }
        outcome
    }

    /// The reference every transition hands out for states equal to `state`: the first one
    /// seen, held for the rest of the process.
    pub(crate) fn shared(&self, state: HashedState) -> ActorRef {
        let hash = state.state_hash();
        let mut table = self.states[shard_of(hash)]
            .lock()
            .expect("no worker panicked");
        match table.find(hash, |held| **held == state) {
            Some(held) => held,
            None => {
                let state: ActorRef = Box::leak(Box::new(state));
                table.insert_unique(hash, state, |held| held.state_hash());
                state
            }
        }
    }
}
