//! Partial-order reduction (`check --por`): a persistent-set (ample-set) reduction of the state
//! graph that the one-pass search ([`crate::verify::search`]) applies state by state.
//!
//! **The ample set.** At a state `s`, the first client `c` (in client order) that is *quiet* —
//! not blocked in a call (`pending` is none), alive, and with no message in transit to it —
//! and whose enabled steps are all [`INVISIBLE`] calls, has its enabled steps expanded alone;
//! every other step waits. Where no client qualifies, every enabled step is expanded. The
//! reduction applies to the local scenarios only (clients, SCM, server slots); `inproc` and
//! `service` are explored whole.
//!
//! **Why it is sound** (the ample-set conditions of Clarke, Grumberg and Peled, *Model
//! Checking*, ch. 10; spec/assumptions.md A-POR):
//!
//! * **C0** (non-empty): the set is chosen only when the client has an enabled step.
//! * **C1** (persistence): steps of different actors commute and do not disable each other —
//!   an actor's handler reads and writes its own state only, its sends are added to the
//!   unordered network (a multiset, so the order of two additions does not matter), and a
//!   delivery to one actor does not consume a message to another. The only steps dependent on
//!   `c`'s are `c`'s own: its other steps (all in the set, since the set is all of `c`'s enabled
//!   steps) and deliveries of messages to `c`. A quiet client gets no message before it acts
//!   again: the SCM and the servers send to a client only the answer to the call it is blocked
//!   in. So along every path from `s` on which `c` does not act, no step dependent on the set
//!   occurs. [`check_premises`] checks this premise on every transition of a run's reachable
//!   state graph.
//! * **C2** (invisibility): an [`INVISIBLE`] call only sets the client's `pending` call (to one
//!   that no property singles out) and its private script flags (`activated`, `created`,
//!   `called`) and sends its request; no property's condition reads those, so it changes no
//!   property's value. [`check_premises`] checks this too, on every such transition.
//! * **C3** (no ignoring): vacuous, because every run's state graph is finite and acyclic
//!   (A-BOUNDS, [`crate::verify::acyclic`]): no step can be postponed for ever along a cycle.
//!
//! Every path of the full graph therefore has a stuttering-equivalent path in the reduced one
//! that ends in a terminal state of the full graph, so `always` and `sometimes` properties
//! (state predicates) and `eventually` properties (checked on complete paths ending at terminal
//! states) get the same verdicts. What is lost is the *shortest* counterexample: the reduced
//! graph reaches a violation along a path where every quiet client has acted first, which may
//! be longer. Traces of a reduced run say so (`#meta.search`).
//!
//! **With symmetry reduction.** The ample set is chosen on the concrete state the search
//! expands (the first member of its class reached). Renaming interchangeable clients maps a
//! quiet client with invisible steps to another, so a class's expanded member has a persistent
//! set whenever any member has one, and the successors of the set are folded into classes as
//! usual. The composition is checked, not only argued: the full suite compares the verdicts
//! of `--por` with symmetry reduction against the pinned (exact) ones on every run of the
//! two-client matrix, and without it on every run whose premises it checks (tests/por.rs).

use crate::com::actor::{ComState, Step};
use crate::com::client::{ClientOp, ClientState};
use crate::com::config::Config;
use crate::com::state::{in_transit, ComModel, SysState};
use crate::verify::model::{build, properties_of};
use crate::verify::search::{fingerprint, successors, Action};
use stateright::actor::{ActorModelAction, Id};
use stateright::Model;
use std::collections::HashSet;

/// The client calls that change no property's value (condition C2 above): each sets the
/// client's `pending` call and its private script flags and sends a request, and completes
/// only when the answer arrives. Left out: LockServer (a proxy-side or Wine LockServer
/// completes at once, setting `locked` and an observation; a remoted LockServer(FALSE) is read
/// by no-exit-while-locked), the class object's Release (read by factory-stays-connected),
/// the service scenario's calls and a client's death and rundown.
pub const INVISIBLE: [ClientOp; 5] = [
    ClientOp::CoGetClassObject,
    ClientOp::CoCreateInstance,
    ClientOp::CreateInstance,
    ClientOp::Call,
    ClientOp::ReleaseObject,
];

/// Whether `step` is a client call in [`INVISIBLE`].
fn invisible(step: &Step) -> bool {
    matches!(step, Step::Client(op) if INVISIBLE.contains(op))
}

/// Client `i`'s state in `s`, in a local scenario.
fn client(s: &SysState, i: usize) -> Option<&ClientState> {
    match s.actor_states.get(i).map(|a| a.state()) {
        Some(ComState::Client(c)) => Some(c),
        _ => None,
    }
}

/// Whether client `i` (actor id `i`) is quiet in `s`: not blocked in a call, alive, and with no
/// message in transit to it.
fn quiet(s: &SysState, i: usize) -> bool {
    client(s, i).is_some_and(|c| c.pending.is_none() && !c.dead)
        && in_transit(s).all(|e| e.dst != Id::from(i))
}

/// The actor an action belongs to: the receiver of a delivery, the owner of a timer.
fn actor_of(a: &Action) -> Option<Id> {
    match a {
        ActorModelAction::Deliver { dst, .. } => Some(*dst),
        ActorModelAction::Timeout(id, _) => Some(*id),
        _ => None,
    }
}

/// The ample set of `s` among its enabled `actions` (in the model's order): `Some(keep)` with
/// `keep[k]` telling whether `actions[k]` is expanded, when a quiet client's invisible calls
/// are a persistent set smaller than the enabled set; `None` when every action is expanded.
pub fn ample(cfg: &Config, s: &SysState, actions: &[Action]) -> Option<Vec<bool>> {
    if !cfg.scenario.is_local() {
        return None;
    }
    // The quiet test first: it allocates nothing, and most states have no quiet client.
    (0..cfg.clients).filter(|&i| quiet(s, i)).find_map(|i| {
        let id = Id::from(i);
        let mine: Vec<bool> = actions.iter().map(|a| actor_of(a) == Some(id)).collect();
        let count = mine.iter().filter(|m| **m).count();
        let all_invisible = actions
            .iter()
            .zip(&mine)
            .all(|(a, m)| !m || matches!(a, ActorModelAction::Timeout(_, step) if invisible(step)));
        (count > 0 && count < actions.len() && all_invisible).then_some(mine)
    })
}

/// What [`check_premises`] found wrong: a transition of the run's reachable state graph that
/// breaks a premise of the reduction's soundness argument.
#[derive(Clone, Debug)]
pub struct Broken {
    /// The premise broken (C1's "no message to a quiet client" or C2's invisibility).
    pub premise: &'static str,
    /// The action that breaks it, as its Debug text.
    pub action: String,
    /// The client concerned (0-based).
    pub client: usize,
}

/// Visits every reachable state of the unreduced model of `cfg` and checks, on every
/// transition, the two premises of [`ample`]'s soundness argument that depend on the model's
/// handlers and properties:
///
/// * C1: a step of any other actor leaves a quiet client quiet (sends it no message);
/// * C2: an [`INVISIBLE`] call of a client changes no property's condition.
///
/// Returns the number of states visited. Used by tests/por.rs on every baseline and every run
/// of the matrix of at most 2 000 000 pinned states, so that a new message, step or property
/// that breaks the argument fails a test.
///
/// # Errors
/// The first transition found that breaks a premise.
pub fn check_premises(cfg: Config) -> Result<usize, Broken> {
    check_premises_with(cfg, invisible)
}

/// [`check_premises`] with another classification of invisible steps (`invisible`), so that a
/// test can show the check failing on a step that does change a property.
///
/// # Errors
/// As [`check_premises`].
pub fn check_premises_with(cfg: Config, invisible: fn(&Step) -> bool) -> Result<usize, Broken> {
    let model: ComModel = build(cfg);
    let props = properties_of(&cfg);
    let local = cfg.scenario.is_local();
    // Depth first (a stack of states to expand), so that memory is the visited fingerprints and
    // the states along one path, not a breadth-first level.
    let mut seen: HashSet<u64> = HashSet::new();
    let mut stack: Vec<SysState> = model.init_states();
    for s in &stack {
        seen.insert(fingerprint(s));
    }
    while let Some(s) = stack.pop() {
        let quiet_before: Vec<usize> = if local {
            (0..cfg.clients).filter(|&i| quiet(&s, i)).collect()
        } else {
            Vec::new()
        };
        for (a, next) in successors(&model, &s) {
            let actor = actor_of(&a);
            for &i in &quiet_before {
                if actor != Some(Id::from(i)) && !quiet(&next, i) {
                    return Err(Broken {
                        premise: "C1: another actor's step sends a quiet client a message",
                        action: format!("{a:?}"),
                        client: i,
                    });
                }
            }
            if let ActorModelAction::Timeout(id, step) = &a {
                if local && invisible(step) {
                    let changed = props
                        .iter()
                        .any(|p| (p.condition)(&model, &s) != (p.condition)(&model, &next));
                    if changed {
                        return Err(Broken {
                            premise: "C2: an invisible call changes a property's condition",
                            action: format!("{a:?}"),
                            client: usize::from(*id),
                        });
                    }
                }
            }
            if seen.insert(fingerprint(&next)) {
                stack.push(next);
            }
        }
    }
    Ok(seen.len())
}
