//! The acyclicity guard (A-BOUNDS, spec/assumptions.md): a depth-first search with colours that
//! decides whether a model's reachable state graph has a cycle, and returns one as a lasso when
//! it has.
//!
//! The checker's treatment of `eventually` properties rests on the graph being acyclic: a
//! counterexample is a terminal state reached along a path on which the property never held
//! ([`crate::verify::search`]), which is exact only when every maximal path is finite, i.e.
//! ends in a terminal state. A breadth-first search cannot tell a cycle from a join: an edge to a
//! state already visited at the same or a lower depth may close a cycle or merely join two
//! paths. The depth-first search here tells them apart: an edge to a state that is still on
//! the search path (grey) closes a cycle; an edge to a finished state (black) cannot, since every
//! state reachable from a finished state is finished.
//!
//! [`find_cycle`] works on any stateright [`Model`](stateright::Model), with the states identified by a caller's
//! 64-bit key; [`check_acyclic`] runs it on the (unreduced) model of a configuration with
//! [`crate::verify::search::fingerprint`] as the key.

use crate::com::config::Config;
use crate::verify::model::build;
use crate::verify::search::{fingerprint, Action};
use std::collections::HashMap;

/// A cycle of the state graph as a lasso: the steps from an initial state to a state on the
/// cycle, then the steps around the cycle back to that state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle<A> {
    /// The steps from the initial state to the cycle's first state (possibly none).
    pub stem: Vec<A>,
    /// The steps of the cycle, from its first state back to it (at least one).
    pub cycle: Vec<A>,
}

/// What a complete, cycle-free search visited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acyclic {
    /// Unique states (by key) reachable from the initial states within the boundary.
    pub states: usize,
    /// The longest path from an initial state, in steps (finite because the graph is acyclic).
    pub longest_path: usize,
}

/// A state on the search path (grey) or finished (black), with, when finished, the longest path
/// from it in steps.
#[derive(Clone, Copy)]
enum Colour {
    Grey,
    Black(usize),
}

/// One state on the depth-first search path: its key, its successors (action, key, and the state
/// until it is followed) and
/// the index of the next successor to follow, and the longest path from it found so far.
struct Frame<M: stateright::Model> {
    key: u64,
    succ: Vec<(M::Action, u64, Option<M::State>)>,
    next: usize,
    longest: usize,
}

/// The successors of `state` that are within `model`'s boundary, in the model's action order,
/// each with its key.
fn expand<M: stateright::Model>(
    model: &M,
    state: &M::State,
    key: &impl Fn(&M::State) -> u64,
) -> Vec<(M::Action, u64, Option<M::State>)>
where
    M::Action: Clone,
{
    crate::verify::search::successors(model, state)
        .into_iter()
        .map(|(a, next)| (a, key(&next), Some(next)))
        .collect()
}

/// Searches the state graph of `model` reachable from its initial states (successors within its
/// boundary only) depth first, identifying states by `key` (two states with equal keys are
/// taken to be the same state, so the key must be injective on the reachable states for an
/// exact answer; a 64-bit fingerprint is, up to the collision probability).
///
/// The path is kept as an explicit stack, so the depth is bounded by memory, not by the thread's
/// stack; memory is one entry per unique state plus the states of the current path and their
/// successors.
///
/// # Errors
/// The first cycle found, as a lasso from an initial state: a step to a state that is still on
/// the search path.
pub fn find_cycle<M: stateright::Model>(
    model: &M,
    key: impl Fn(&M::State) -> u64,
) -> Result<Acyclic, Cycle<M::Action>>
where
    M::Action: Clone,
{
    let mut colour: HashMap<u64, Colour> = HashMap::new();
    let mut longest_path = 0;
    for init in model.init_states() {
        let k = key(&init);
        if colour.contains_key(&k) {
            continue;
        }
        colour.insert(k, Colour::Grey);
        let mut path: Vec<Frame<M>> = vec![Frame {
            key: k,
            succ: expand(model, &init, &key),
            next: 0,
            longest: 0,
        }];
        while let Some(top) = path.last_mut() {
            if top.next == top.succ.len() {
                let done = path.pop().expect("non-empty");
                colour.insert(done.key, Colour::Black(done.longest));
                if let Some(parent) = path.last_mut() {
                    parent.longest = parent.longest.max(done.longest + 1);
                } else {
                    longest_path = longest_path.max(done.longest);
                }
                continue;
            }
            let i = top.next;
            top.next += 1;
            let k = top.succ[i].1;
            match colour.get(&k) {
                Some(Colour::Black(l)) => top.longest = top.longest.max(l + 1),
                Some(Colour::Grey) => {
                    // `k` is on the path: the steps from its frame to the top, then this one,
                    // lead back to it.
                    let at = path
                        .iter()
                        .position(|f| f.key == k)
                        .expect("a grey state is on the path");
                    let step = |f: &Frame<M>| f.succ[f.next - 1].0.clone();
                    return Err(Cycle {
                        stem: path[..at].iter().map(step).collect(),
                        cycle: path[at..].iter().map(step).collect(),
                    });
                }
                None => {
                    let state = top.succ[i].2.take().expect("followed once");
                    colour.insert(k, Colour::Grey);
                    let succ = expand(model, &state, &key);
                    path.push(Frame {
                        key: k,
                        succ,
                        next: 0,
                        longest: 0,
                    });
                }
            }
        }
    }
    Ok(Acyclic {
        states: colour.len(),
        longest_path,
    })
}

/// [`find_cycle`] on the model of `cfg` (without symmetry reduction: every concrete state, keyed
/// by [`fingerprint`]). A run that passes has a finite, acyclic state graph, which is what the
/// checker's `eventually` verdicts (A-BOUNDS) and a partial-order reduction without a cycle
/// proviso rely on.
///
/// # Errors
/// A cycle, as a lasso from the initial state.
pub fn check_acyclic(cfg: Config) -> Result<Acyclic, Cycle<Action>> {
    find_cycle(&build(cfg), fingerprint)
}
