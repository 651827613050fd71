//! Shortest counterexamples and examples.
//!
//! stateright 0.31's BFS keeps evaluating properties after a discovery, so the path it reports
//! need not be the shortest. This module runs its own deterministic, single-threaded
//! breadth-first search over the `Model` trait and stops at the first state that shows the
//! property, which makes the trace the shortest (fewest steps) and the same on every run.
//! It also decides `eventually` properties exactly on the explored (acyclic) graph, which
//! stateright's BFS may miss at DAG joins (see the FIXME in stateright's `bfs.rs`).

use crate::properties::PropertyDef;
use crate::system::{ComModel, SysState};
use stateright::actor::ActorModelAction;
use stateright::{Expectation, Model};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

/// A model action (a message delivery or an internal step).
pub type Action = <ComModel as Model>::Action;

/// A path through the state graph: `states[0]` is an initial state and `actions[i]` leads from
/// `states[i]` to `states[i + 1]`.
#[derive(Clone, Debug)]
pub struct Trace {
    /// The states, initial state first.
    pub states: Vec<SysState>,
    /// The actions between them; one fewer than the states.
    pub actions: Vec<Action>,
}

impl Trace {
    /// Number of steps (actions).
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether the trace has no step.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The last state.
    pub fn last(&self) -> &SysState {
        self.states.last().expect("a trace has a state")
    }
}

fn fingerprint(s: &SysState) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// The successors of `state` within the model's boundary, in the model's action order.
pub fn successors(model: &ComModel, state: &SysState) -> Vec<(Action, SysState)> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions
        .into_iter()
        .filter_map(|a| {
            let next = model.next_state(state, a.clone())?;
            model.within_boundary(&next).then_some((a, next))
        })
        .collect()
}

/// Replays `actions` from the model's initial state.
///
/// # Errors
/// Returns the index of the first action that is not enabled.
pub fn replay(model: &ComModel, actions: &[Action]) -> Result<Trace, usize> {
    let mut states = vec![model.init_states().remove(0)];
    for (i, a) in actions.iter().enumerate() {
        let last = states.last().expect("non-empty");
        let mut enabled = Vec::new();
        model.actions(last, &mut enabled);
        if !enabled.contains(a) {
            return Err(i);
        }
        states.push(model.next_state(last, a.clone()).ok_or(i)?);
    }
    Ok(Trace {
        states,
        actions: actions.to_vec(),
    })
}

/// What a search looks for.
enum Goal<'a> {
    /// The first state satisfying the predicate.
    State(&'a dyn Fn(&SysState) -> bool),
    /// The first terminal state reached through states none of which satisfies the predicate
    /// (a counterexample to "eventually").
    TerminalAvoiding(&'a dyn Fn(&SysState) -> bool),
}

/// Limits on a search: at most `max_states` unique states and paths of at most `max_depth`
/// steps. `None` means unbounded.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds {
    /// Maximum unique states to visit.
    pub max_states: Option<usize>,
    /// Maximum trace length in steps.
    pub max_depth: Option<usize>,
}

/// The outcome of a search.
pub enum Found {
    /// A shortest trace to the goal.
    Trace(Trace),
    /// The whole (bounded) graph was explored without reaching the goal.
    Exhausted,
    /// A bound stopped the search first.
    Bounded,
}

fn bfs(model: &ComModel, goal: Goal<'_>, bounds: Bounds) -> Found {
    let init = model.init_states().remove(0);
    let mut nodes: Vec<(usize, Option<Action>)> = vec![(usize::MAX, None)];
    let mut seen: HashSet<u64> = HashSet::from([fingerprint(&init)]);
    let mut queue: VecDeque<(SysState, usize, usize)> = VecDeque::from([(init, 0, 0)]);
    let mut bounded = false;
    while let Some((state, node, depth)) = queue.pop_front() {
        let succ = successors(model, &state);
        let hit = match &goal {
            Goal::State(p) => p(&state),
            Goal::TerminalAvoiding(p) => succ.is_empty() && !p(&state),
        };
        if hit {
            let mut actions = Vec::new();
            let mut n = node;
            while let (parent, Some(a)) = &nodes[n] {
                actions.push(a.clone());
                n = *parent;
            }
            actions.reverse();
            let trace = replay(model, &actions).expect("a path found by search replays");
            return Found::Trace(trace);
        }
        if let Goal::TerminalAvoiding(p) = &goal {
            if p(&state) {
                continue; // the property held on this path: no counterexample through here
            }
        }
        if bounds.max_depth.is_some_and(|d| depth >= d) {
            bounded |= !succ.is_empty();
            continue;
        }
        for (a, next) in succ {
            if bounds.max_states.is_some_and(|m| seen.len() >= m) {
                bounded = true;
                break;
            }
            if seen.insert(fingerprint(&next)) {
                nodes.push((node, Some(a)));
                queue.push_back((next, nodes.len() - 1, depth + 1));
            }
        }
    }
    if bounded {
        Found::Bounded
    } else {
        Found::Exhausted
    }
}

/// The shortest trace that shows `prop`'s discovery: for `always`, a path to a state that
/// violates it; for `sometimes`, a path to a state that satisfies it; for `eventually`, a path
/// to a terminal state along which it never held.
pub fn shortest(model: &ComModel, prop: &PropertyDef, bounds: Bounds) -> Found {
    let cond = |s: &SysState| (prop.condition)(model, s);
    match prop.expectation {
        Expectation::Always => bfs(model, Goal::State(&|s| !cond(s)), bounds),
        Expectation::Sometimes => bfs(model, Goal::State(&cond), bounds),
        Expectation::Eventually => bfs(model, Goal::TerminalAvoiding(&cond), bounds),
    }
}

/// Describes an action in COM terms, e.g. "client 1 → SCM: CoGetClassObject(CLSID_A, ...)".
pub fn describe_action(model: &ComModel, action: &Action) -> String {
    let cfg = &model.cfg;
    match action {
        ActorModelAction::Deliver { src, dst, msg } => {
            format!(
                "{} → {}: {:?}",
                cfg.actor_name(*src),
                cfg.actor_name(*dst),
                msg
            )
        }
        ActorModelAction::Timeout(id, step) => format!("{} {:?}", cfg.actor_name(*id), step),
        other => format!("{other:?}"),
    }
}
