//! Sleep sets (Godefroid, *Partial-Order Methods for the Verification of Concurrent Systems*,
//! LNCS 1032, 1996, ch. 5) in the one-pass breadth-first search ([`crate::verify::search`]):
//! a node does not take a move whose successor the search reaches from a node expanded before
//! it. They change which successors are *built*, and nothing the search reports: the same
//! unique states, numbered in the same order with the same parents, so the same counts,
//! verdicts and traces (the moves left out are still counted in
//! [`crate::verify::search::Exploration::generated`], as edges of the state graph). On
//! local-multi-sta's largest Wine run, 38.9 M of the 65.0 M successors are not built
//! (docs/benchmarks.md).
//!
//! **The sleep set of a node** `n`, first reached from node `m` by move `v`, is every move `u`
//! of another actor than `v`'s that is asleep in `m` or that `m` took before `v` (in the model's
//! action order). Its later arrivals change nothing: the set is the first arrival's.
//!
//! **Why every state is still reached, at the same place.** Moves of different actors are
//! *independent*: where both are enabled, each stays enabled after the other, and the two
//! orders reach the same state (a step changes its own actor's state, consumes its own message and adds its
//! sends to an unordered multiset, premise 1 below). Let `P(n)` say: for every move `u` enabled
//! in `n`'s state `s`, the node of `s·u` is reached no later than the end of `n`'s expansion, in
//! the search's order (a FIFO queue; the parallel merge reproduces it). By induction on that
//! order: a move `u` that `n` takes is reached during its expansion. A move `u` asleep in `n`
//! (state `s = r·v`, parent `m` with state `r`) either
//!
//! * was taken by `m` before `v`: the node `n_u` of `r·u` was reached before `n` was, so by
//!   `P(n_u)` the node of `r·u·v = s·u` is reached by the end of `n_u`'s expansion, before
//!   `n`'s; or
//! * was asleep in `m`: by `P(m)` the node `n_u` of `r·u` was reached by the end of `m`'s
//!   expansion, not by `m` itself, so before `m` was expanded and before `n` was reached, and
//!   `P(n_u)` gives `s·u` as before.
//!
//! So an arrival that is not taken is never a state's first: the search reaches every state,
//! first from the parent and by the action it would have without sleep sets. Under symmetry
//! reduction the argument runs on the classes (a node's state is the member first reached;
//! renaming maps a move to a move of the same actor kind, so `P` transfers between members),
//! and under a state bound the arrival left out is later than the one that reaches its state,
//! which the bound refuses first if it refuses either.
//!
//! **Masks.** A search node is a state with the mask of `eventually` properties that have not
//! held yet on its path. The two orders of a diamond `r·u·v = r·v·u` give the same mask when
//! each property, once true, stays true on every path (premise 2): the mask is then the set of
//! properties false in the state. The search uses sleep sets only when every `eventually`
//! property it checks says so ([`crate::verify::properties::PropertyDef::monotone`]), and not
//! under partial-order reduction ([`crate::verify::por`]), whose argument does not include them.
//!
//! **Premises**, checked on every transition of a run's reachable graph by [`check_premises`]
//! (tests/sleep.rs, spec/assumptions.md A-SLEEP):
//!
//! 1. moves of different actors are independent: where both are enabled, each is enabled after
//!    the other (a step at the same index among its actor's steps, the slot a sleep set names it
//!    by) and the two orders reach the same state;
//! 2. a property declared monotone, true in a state, is true in each of its successors.

use crate::com::config::Config;
use crate::com::memo::Move;
use crate::com::state::SysState;
use crate::verify::model::{build, properties_of};
use crate::verify::properties::PropertyDef;
use crate::verify::search::fingerprint;
use stateright::{Expectation, Model};
use std::collections::HashSet;

/// Whether a search of `props` may use sleep sets: every `eventually` property among them is
/// monotone, and partial-order reduction (`por`) is off.
pub fn applies(props: &[&PropertyDef], por: bool) -> bool {
    !por && props
        .iter()
        .all(|p| p.expectation != Expectation::Eventually || p.monotone)
}

/// A search node's sleep set (Godefroid, *Partial-Order Methods for the Verification of
/// Concurrent Systems*, LNCS 1032, ch. 5): moves of its state that the search does not take
/// there, because the state each leads to is reached from a node expanded before this one
/// (module documentation). A move is named by where it sits in the node's own
/// state: a delivery by the position of its message's first copy among the messages in transit
/// (bit of `msgs`, positions below 16), an internal step by its actor and its index among that
/// actor's enabled steps (bit `actor × per_actor + index` of `steps`, indices below
/// `per_actor`, 32 ÷ the model's actors). A move that has no bit is never asleep: a smaller sleep
/// set only takes more moves.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Sleep {
    steps: u32,
    msgs: u16,
}

/// Where a move of a state sits, for [`Sleep`]: a delivery's message position, or a step's
/// actor and index among the actor's enabled steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SleepSlot {
    Msg(usize),
    Step(usize, usize),
}

impl Sleep {
    /// The bits of a set's steps per actor for a model of `actors` actors: 32 ÷ `actors` (a
    /// step with a higher index is never asleep).
    pub(crate) fn per_actor(actors: usize) -> u32 {
        32 / u32::try_from(actors.max(1)).unwrap_or(u32::MAX)
    }

    /// The slot of each of a state's `moves` (in [`ComModel::moves`]' order: deliveries at
    /// their positions, then each actor's steps in order).
    pub(crate) fn slots(
        moves: &[(Move, Option<usize>)],
        out: &mut smallvec::SmallVec<[SleepSlot; 16]>,
    ) {
        let mut last: Option<(usize, usize)> = None;
        out.extend(moves.iter().map(|&(m, at)| match (m, at) {
            (Move::Step(id, _), _) => {
                let actor = usize::from(id);
                let index = match last {
                    Some((a, i)) if a == actor => i + 1,
                    _ => 0,
                };
                last = Some((actor, index));
                SleepSlot::Step(actor, index)
            }
            (Move::Deliver(_), at) => SleepSlot::Msg(at.expect("a delivery has a position")),
        }));
    }

    /// Whether the move at `slot` is in this set.
    pub(crate) fn holds(self, slot: SleepSlot, per_actor: u32) -> bool {
        match slot {
            SleepSlot::Msg(p) => p < 16 && self.msgs >> p & 1 == 1,
            SleepSlot::Step(a, i) => {
                (i as u32) < per_actor && self.steps >> (a as u32 * per_actor + i as u32) & 1 == 1
            }
        }
    }

    /// The sleep set of the successor `next` of a node by its move `k`: the node's moves that
    /// are `carried` (asleep in the node, or taken before move `k`) and belong to another
    /// actor than move `k`'s, named where they sit in `next`. Such a move is independent of
    /// move `k` (its actor's state and its message are left as they were), so it is enabled in
    /// `next`, at the same step index or with its message still in transit.
    pub(crate) fn of_successor(
        moves: &[(Move, Option<usize>)],
        slots: &[SleepSlot],
        carried: &[bool],
        k: usize,
        next: &SysState,
        per_actor: u32,
    ) -> Sleep {
        let actor = moves[k].0.actor();
        let mut out = Sleep::default();
        for ((&(m, _), &slot), _) in moves
            .iter()
            .zip(slots)
            .zip(carried)
            .filter(|(((m, _), _), &c)| c && m.actor() != actor)
        {
            match (m, slot) {
                (Move::Deliver(e), _) => {
                    let p = next.network.partition_point(|x| *x < e);
                    debug_assert!(
                        next.network.get(p) == Some(&e),
                        "an independent message stays"
                    );
                    if p < 16 {
                        out.msgs |= 1 << p;
                    }
                }
                (Move::Step(..), SleepSlot::Step(a, i)) => {
                    if (i as u32) < per_actor {
                        out.steps |= 1 << (a as u32 * per_actor + i as u32);
                    }
                }
                (Move::Step(..), SleepSlot::Msg(_)) => unreachable!("a step's slot is a step"),
            }
        }
        out
    }
}

/// What [`check_premises`] found wrong: a state and moves that break a premise of the
/// argument above.
#[derive(Clone, Debug)]
pub struct Broken {
    /// The premise broken.
    pub premise: &'static str,
    /// The moves or property concerned, as Debug text.
    pub detail: String,
}

/// Visits every reachable state of the unreduced model of `cfg` (depth first, states told
/// apart by [`fingerprint`]) and checks the two premises of the argument above on every
/// transition: each pair of enabled moves of different actors commutes (each still enabled
/// after the other, a step in the same slot), and each monotone
/// property of the run ([`PropertyDef::monotone`]) that holds in a state holds in its
/// successors. Returns the number of states visited.
///
/// # Errors
/// The first state and moves found that break a premise.
pub fn check_premises(cfg: Config) -> Result<usize, Broken> {
    check_premises_with(cfg, &properties_of(&cfg))
}

/// [`check_premises`] with the properties `props` instead of the run's, so that a test can
/// show the check failing on a property declared monotone that is not.
///
/// # Errors
/// As [`check_premises`].
pub fn check_premises_with(cfg: Config, props: &[&PropertyDef]) -> Result<usize, Broken> {
    let model = build(cfg);
    let monotone: Vec<&PropertyDef> = props.iter().copied().filter(|p| p.monotone).collect();
    let mut seen: HashSet<u64> = HashSet::new();
    let mut stack: Vec<SysState> = model.init_states();
    for s in &stack {
        seen.insert(fingerprint(s));
    }
    // A state's moves with their slots ([`Sleep::slots`]).
    let listed = |s: &SysState| {
        let mut moves = crate::com::system::Moves::new();
        model.moves(s, &mut moves);
        let mut slots = smallvec::SmallVec::new();
        Sleep::slots(&moves, &mut slots);
        (moves, slots)
    };
    while let Some(s) = stack.pop() {
        let (moves, slots) = listed(&s);
        let succ: Vec<(Move, SleepSlot, SysState)> = moves
            .iter()
            .zip(&slots)
            .filter_map(|(&(m, at), &slot)| Some((m, slot, model.successor(&s, m, at)?)))
            .collect();
        for p in monotone.iter().filter(|p| (p.condition)(&model, &s)) {
            if let Some((m, ..)) = succ.iter().find(|(.., n)| !(p.condition)(&model, n)) {
                return Err(Broken {
                    premise: "2: a monotone property held and then did not",
                    detail: format!("{} after {m:?}", p.name),
                });
            }
        }
        for (i, (u, u_slot, su)) in succ.iter().enumerate() {
            for (v, v_slot, sv) in &succ[i + 1..] {
                if u.actor() == v.actor() {
                    continue;
                }
                // The move `m` taken in `s`, if it is enabled there, and a step in `slot`.
                let after = |s: &SysState, m: &Move, slot: &SleepSlot| {
                    let (moves, slots) = listed(s);
                    let j = moves.iter().position(|(x, _)| x == m)?;
                    if matches!(m, Move::Step(..)) && slots[j] != *slot {
                        return None;
                    }
                    model.successor(s, *m, moves[j].1)
                };
                let (uv, vu) = (after(su, v, v_slot), after(sv, u, u_slot));
                if uv.as_ref().map(fingerprint) != vu.as_ref().map(fingerprint) || uv.is_none() {
                    return Err(Broken {
                        premise: "1: moves of different actors do not commute",
                        detail: format!("{u:?} and {v:?}"),
                    });
                }
            }
        }
        for (.., n) in succ {
            if seen.insert(fingerprint(&n)) {
                stack.push(n);
            }
        }
    }
    Ok(seen.len())
}
