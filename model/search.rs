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

/// Limits on a search: at most `max_states` unique states and paths of at most `max_depth`
/// steps. `None` means unbounded.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds {
    /// Maximum unique states to visit.
    pub max_states: Option<usize>,
    /// Maximum trace length in steps.
    pub max_depth: Option<usize>,
}

/// The outcome of a search for one goal.
#[derive(Clone, Debug)]
pub enum Found {
    /// A shortest trace to the goal.
    Trace(Trace),
    /// The whole (bounded) graph was explored without reaching the goal.
    Exhausted,
    /// A bound stopped the search first.
    Bounded,
}

/// A predicate over system states.
pub type StatePred<'a> = &'a dyn Fn(&SysState) -> bool;

/// Breadth-first search from the initial state. With `avoid`, only states that do not satisfy
/// it are expanded and the goals are terminal states (a counterexample to "eventually avoid");
/// otherwise each goal is the first state satisfying its predicate. One pass serves every goal:
/// BFS order makes each first hit a shortest path, and the model's sorted action order makes it
/// the same on every run.
fn bfs(
    model: &ComModel,
    goals: &[StatePred<'_>],
    avoid: Option<StatePred<'_>>,
    bounds: Bounds,
) -> Vec<Found> {
    let init = model.init_states().remove(0);
    let mut nodes: Vec<(usize, Option<Action>)> = vec![(usize::MAX, None)];
    let mut seen: HashSet<u64> = HashSet::from([fingerprint(&init)]);
    let mut queue: VecDeque<(SysState, usize, usize)> = VecDeque::from([(init, 0, 0)]);
    let mut found: Vec<Option<Trace>> = vec![None; goals.len()];
    let mut bounded = false;
    let path_to = |nodes: &[(usize, Option<Action>)], mut n: usize| {
        let mut actions = Vec::new();
        while let (parent, Some(a)) = &nodes[n] {
            actions.push(a.clone());
            n = *parent;
        }
        actions.reverse();
        replay(model, &actions).expect("a path found by search replays")
    };
    while let Some((state, node, depth)) = queue.pop_front() {
        if avoid.is_some_and(|p| p(&state)) {
            continue; // the property held on this path: no counterexample through here
        }
        let succ = successors(model, &state);
        for (g, pred) in goals.iter().enumerate() {
            let hit = match avoid {
                Some(_) => succ.is_empty(),
                None => pred(&state),
            };
            if hit && found[g].is_none() {
                found[g] = Some(path_to(&nodes, node));
            }
        }
        if found.iter().all(Option::is_some) {
            break;
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
    found
        .into_iter()
        .map(|t| match t {
            Some(t) => Found::Trace(t),
            None if bounded => Found::Bounded,
            None => Found::Exhausted,
        })
        .collect()
}

/// The shortest traces that show each property's discovery, in the order given: for
/// `always`, a path to a state that violates it; for `sometimes`, a path to a state that
/// satisfies it; for `eventually`, a path to a terminal state along which it never held.
/// Always and sometimes properties share one search; each eventually property needs its own.
pub fn shortest_all(model: &ComModel, props: &[&PropertyDef], bounds: Bounds) -> Vec<Found> {
    let mut out: Vec<Option<Found>> = vec![None; props.len()];
    let states: Vec<usize> = (0..props.len())
        .filter(|&i| props[i].expectation != Expectation::Eventually)
        .collect();
    // A discovery is a state where the condition is false (always) or true (sometimes).
    let goal = |i: usize, st: &SysState| {
        let p = props[i];
        (p.condition)(model, st) != (p.expectation == Expectation::Always)
    };
    let preds: Vec<_> = states
        .iter()
        .map(|&i| move |st: &SysState| goal(i, st))
        .collect();
    if !preds.is_empty() {
        let refs: Vec<StatePred<'_>> = preds.iter().map(|f| f as StatePred<'_>).collect();
        for (i, f) in states.iter().zip(bfs(model, &refs, None, bounds)) {
            out[*i] = Some(f);
        }
    }
    for (i, p) in props.iter().enumerate() {
        if p.expectation == Expectation::Eventually {
            let cond = |s: &SysState| (p.condition)(model, s);
            let never = |_: &SysState| true;
            out[i] = bfs(model, &[&never], Some(&cond), bounds).pop();
        }
    }
    out.into_iter()
        .map(|f| f.expect("every property searched"))
        .collect()
}

/// The shortest trace that shows `prop`'s discovery (see [`shortest_all`]).
pub fn shortest(model: &ComModel, prop: &PropertyDef, bounds: Bounds) -> Found {
    shortest_all(model, &[prop], bounds).remove(0)
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
