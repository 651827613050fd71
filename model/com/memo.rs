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
//! The memo changes no value: the outcome of a transition is the outcome the handler returns.
//! Each outcome is held by the actor state it starts from ([`Outcomes`]), which the model
//! interns, so every state of a run that holds an equal actor state finds it.

use crate::com::actor::{ComState, Step};
use crate::com::msg::Sends;
use crate::com::state::{ActorRef, HashedState};
use crate::com::transit::Sent;
use hashbrown::HashTable;
use smallvec::SmallVec;
use stateright::actor::Id;
use std::sync::{Mutex, OnceLock};

/// What a transition does to its actor when the actor takes the action. Held for the rest of
/// the process and lent out by reference.
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

/// The transitions taken from one actor state: a list, appended to and never changed
/// otherwise, of each move's outcome, held by the state itself
/// ([`crate::com::state::HashedState`]) for as long as the state (the rest of the process).
/// Looking an outcome up reads the list without writing anything (a `OnceLock` read is a load),
/// so the checker's workers share it without a lock and without taking each other's cache
/// lines: with the transitions in a table behind 32 mutexes, each lookup locked a mutex whose
/// line the other worker had written last about half the time (the lock was half the lookup's
/// cost, docs/benchmarks.md). An actor state takes few distinct moves (local-multi-sta's
/// three-client run: 74 592 transitions from 23 482 states), so the list is short.
#[derive(Default)]
pub struct Outcomes {
    first: OnceLock<&'static Node>,
}

/// One memoised transition in an [`Outcomes`] list: the move, its outcome and the next entry.
struct Node {
    taken: Move,
    outcome: Outcome,
    next: OnceLock<&'static Node>,
}

impl Outcomes {
    /// The entries, oldest first.
    fn iter(&self) -> impl Iterator<Item = &'static Node> {
        std::iter::successors(self.first.get().copied(), |n| n.next.get().copied())
    }

    /// The outcome recorded for `m`, if any.
    fn get(&self, m: Move) -> Option<&'static Outcome> {
        self.iter().find(|n| n.taken == m).map(|n| &n.outcome)
    }

    /// Records `outcome` for `m` at the end of the list, unless a worker recorded `m` first;
    /// returns the outcome recorded (equal either way: both computed it from the same state).
    fn record(&self, m: Move, outcome: Outcome) -> &'static Outcome {
        let node: &'static Node = Box::leak(Box::new(Node {
            taken: m,
            outcome,
            next: OnceLock::new(),
        }));
        let mut at = &self.first;
        loop {
            match at.set(node) {
                Ok(()) => return &node.outcome,
                Err(_) => {
                    let n = *at.get().expect("set by another worker");
                    if n.taken == m {
                        return &n.outcome;
                    }
                    at = &n.next;
                }
            }
        }
    }
}

/// Bits of an actor state's hash that choose its shard of the interning table.
const SHARD_BITS: u32 = 5;

/// The shard of `hash`: its top [`SHARD_BITS`] bits.
fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARD_BITS)) as usize
}

/// One model's distinct actor states, sharded by hash so that the checker's workers seldom
/// wait for each other; with each state, the transitions taken from it ([`Outcomes`]).
///
/// The next states the transitions hand out are shared among transitions (hash-consed, as
/// SPIN's and TLC's state compression share equal parts): every transition that leads an
/// actor to equal states hands out the same reference, so each distinct actor state of a run
/// is held once, its hash, enabled steps, transitions and the checker's cached values computed
/// once, and a state's transitions are found by its pointer.
///
/// The distinct actor states and their transitions are held for the rest of the process
/// (leaked), so that a state refers to them without reference counts ([`ActorRef`]). The
/// cost is what a process's models leave behind: the whole two-client `check` (243 models
/// before the Wine rows that are the rows without an inert toggle were left out) kept 337 421 actor states (docs/benchmarks.md). Cloning a model gives the clone an empty
/// table.
pub struct Transitions {
    states: Box<[Mutex<HashTable<ActorRef>>]>,
}

impl Default for Transitions {
    fn default() -> Self {
        Transitions {
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
    ) -> &'static Outcome {
        if let Some(outcome) = from.outcomes().get(action) {
            return outcome;
        }
        // Taken outside any lock; two workers taking the same transition at once compute
        // equal outcomes, and the first one recorded is kept.
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
        from.outcomes().record(action, outcome)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::com::client::ClientOp;

    fn step(op: ClientOp) -> Move {
        Move::Step(Id::from(0), Step::Client(op))
    }

    fn unchanged() -> Outcome {
        Some(Taken {
            next: None,
            sends: SmallVec::new(),
        })
    }

    /// Each move's first recorded outcome is the one found, whoever records it again; moves
    /// not recorded are not found.
    #[test]
    fn the_first_outcome_recorded_is_kept() {
        let list = Outcomes::default();
        let (a, b) = (
            step(ClientOp::CoGetClassObject),
            step(ClientOp::CoCreateInstance),
        );
        assert!(list.get(a).is_none());
        let first = list.record(a, unchanged());
        assert!(
            std::ptr::eq(list.record(a, None), first),
            "kept, not replaced"
        );
        assert!(list.get(b).is_none());
        assert!(list.record(b, None).is_none());
        assert!(std::ptr::eq(list.get(a).expect("recorded"), first));
        assert!(list.get(b).expect("recorded").is_none());
        assert_eq!(list.iter().count(), 2);
    }
}
