//! Random walks beyond exhaustive reach: `check --simulate RUNS [--seed S] [--depth D]`.
//!
//! Each walk starts at the initial state and takes a random enabled step (among
//! [`successors`]; swarm testing: each walk draws a weight per actor and picks a step with
//! probability proportional to the weight of the actor taking it) until it reaches a terminal state or `depth` steps. Walk `i` draws from
//! ChaCha8 seeded with `seed` on stream `i`, so a walk does not depend on the thread count or
//! on the other walks: the same seed gives the same walks, and disjoint seeds (or disjoint
//! walk ranges) can be split across machines.
//!
//! A walk shows a property when it reaches a state violating an `always` property or satisfying
//! a `sometimes` one, or ends in a terminal state on which an `eventually` property never held.
//! For each property the shortest such walk prefix is kept (ties: the lowest walk index); it is
//! a real execution of the model that `replay` accepts, but *not necessarily a shortest trace*
//! of the model. Nothing is claimed for properties no walk showed.

use crate::properties::PropertyDef;
use crate::search::{fingerprint, successors, Action, Trace};
use crate::state::ComModel;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use stateright::actor::{ActorModelAction, Id};
use stateright::{Expectation, Model};
use std::collections::HashSet;

/// What to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Simulation {
    /// Number of walks (at least 1).
    pub runs: u64,
    /// Seed of the walks' random choices.
    pub seed: u64,
    /// Maximum steps per walk (at least 1).
    pub depth: usize,
}

/// Default `--depth` of a walk, in steps (above the longest path of every pinned run).
pub const DEFAULT_DEPTH: usize = 200;

/// The result of a simulation.
#[derive(Clone, Debug)]
pub struct SimOutcome {
    /// Distinct states the walks visited (by fingerprint).
    pub distinct_states: usize,
    /// Steps taken by all walks together.
    pub steps: usize,
    /// The longest walk, in steps.
    pub longest: usize,
    /// Per property, in the order given: the shortest walk prefix that shows it.
    pub traces: Vec<Option<Trace>>,
}

/// One walk: the fingerprints it visited, its length and per property the length of the
/// prefix that shows it.
struct Walk {
    fps: Vec<u64>,
    actions: Vec<Action>,
    shows: Vec<Option<usize>>,
}

/// The actor that takes `action`: the receiver of a delivery, the owner of a timer.
fn actor_of(action: &Action) -> Id {
    match action {
        ActorModelAction::Deliver { dst, .. } => *dst,
        ActorModelAction::Timeout(id, _)
        | ActorModelAction::Crash(id)
        | ActorModelAction::Recover(id) => *id,
        ActorModelAction::Drop(env) => env.dst,
        ActorModelAction::SelectRandom { actor, .. } => *actor,
    }
}

fn walk(model: &ComModel, props: &[&PropertyDef], sim: Simulation, index: u64) -> Walk {
    let mut rng = ChaCha8Rng::seed_from_u64(sim.seed);
    rng.set_stream(index);
    let mut state = model.init_states().remove(0);
    // Swarm testing: each walk favours some actors over others (weights 1 to 2¹⁰, drawn per
    // walk), so walks reach interleavings in which one actor runs far ahead of another, which
    // uniform choice almost never produces.
    let weights: Vec<u64> = (0..state.actor_states.len())
        .map(|_| 1 << rng.random_range(0..=10u32))
        .collect();
    let mut fps = vec![fingerprint(&state)];
    let mut actions = Vec::new();
    let mut shows = vec![None; props.len()];
    // Per eventually property: whether it has held on the walk so far.
    let mut held = vec![false; props.len()];
    loop {
        let chosen = {
            for (i, p) in props.iter().enumerate() {
                let c = (p.condition)(model, &state);
                match p.expectation {
                    Expectation::Always if !c => {
                        shows[i].get_or_insert(actions.len());
                    }
                    Expectation::Sometimes if c => {
                        shows[i].get_or_insert(actions.len());
                    }
                    Expectation::Eventually => held[i] |= c,
                    _ => {}
                }
            }
            let mut succ = successors(model, &state);
            if succ.is_empty() {
                for (i, p) in props.iter().enumerate() {
                    if p.expectation == Expectation::Eventually && !held[i] {
                        shows[i].get_or_insert(actions.len());
                    }
                }
                None
            } else if actions.len() >= sim.depth {
                None
            } else {
                let weight = |a: &Action| weights[usize::from(actor_of(a))];
                let total: u64 = succ.iter().map(|(a, _)| weight(a)).sum();
                let mut r = rng.random_range(0..total);
                let k = succ
                    .iter()
                    .position(|(a, _)| {
                        let w = weight(a);
                        let hit = r < w;
                        r = r.saturating_sub(w);
                        hit
                    })
                    .expect("r < total");
                Some(succ.swap_remove(k))
            }
        };
        let Some((a, next)) = chosen else { break };
        actions.push(a);
        fps.push(fingerprint(&next));
        state = next;
    }
    Walk {
        fps,
        actions,
        shows,
    }
}

/// Runs `sim.runs` random walks on `threads` threads and collects what they show of `props`.
pub fn simulate(
    model: &ComModel,
    props: &[&PropertyDef],
    sim: Simulation,
    threads: usize,
) -> SimOutcome {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("thread pool");
    let mut seen: HashSet<u64> = HashSet::new();
    let mut best: Vec<Option<Vec<Action>>> = vec![None; props.len()];
    let (mut steps, mut longest) = (0usize, 0usize);
    // Walks in batches, so memory stays bounded by a batch; results are merged in walk order.
    const BATCH: u64 = 1024;
    let mut start = 0;
    while start < sim.runs {
        let end = sim.runs.min(start + BATCH);
        let walks: Vec<Walk> = pool.install(|| {
            (start..end)
                .into_par_iter()
                .map(|i| walk(model, props, sim, i))
                .collect()
        });
        for w in walks {
            steps += w.actions.len();
            longest = longest.max(w.actions.len());
            seen.extend(&w.fps);
            for (b, show) in best.iter_mut().zip(&w.shows) {
                if let Some(n) = *show {
                    if b.as_ref().is_none_or(|t| n < t.len()) {
                        *b = Some(w.actions[..n].to_vec());
                    }
                }
            }
        }
        start = end;
    }
    let traces = best
        .into_iter()
        .map(|t| t.map(|actions| crate::search::replay(model, &actions).expect("a walk replays")))
        .collect();
    SimOutcome {
        distinct_states: seen.len(),
        steps,
        longest,
        traces,
    }
}
