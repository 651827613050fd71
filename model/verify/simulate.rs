//! Random walks beyond exhaustive reach: `check --simulate RUNS [--seed S] [--depth D]`.
//!
//! Each walk starts at the initial state and takes random enabled steps until it reaches a
//! terminal state or `depth` steps. The steps are drawn by swarm testing (`Swarm`): each walk
//! draws a weight, 2⁰ to 2¹⁰, for every *lane* it meets (one actor's local step of one kind, or
//! the deliveries of one channel, from one actor to another) and takes an enabled step with
//! probability proportional to its lane's weight; only the successor of the step taken is
//! built. Walk `i` draws from ChaCha8 seeded with `seed` on stream `i`, so a walk does not
//! depend on the thread count, the machine or the other walks: the same seed gives the same
//! walks, and disjoint seeds (or disjoint walk ranges) can be split across machines.
//!
//! A walk shows a property when it reaches a state violating an `always` property or satisfying
//! a `sometimes` one, or ends in a terminal state on which an `eventually` property never held.
//! For each property the shortest such walk prefix is kept (ties: the lowest walk index); it is
//! a real execution of the model that `replay` accepts, but *not necessarily a shortest trace*
//! of the model. Nothing is claimed for properties no walk showed.

use crate::com::actor::Step;
use crate::com::state::ComModel;
use crate::com::state::SysState;
use crate::verify::progress::Progress;
use crate::verify::properties::PropertyDef;
use crate::verify::search::{fingerprint, Action, Trace};
use crate::verify::workers::Workers;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
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

/// What a walk's swarm weight is drawn for: each actor's local step of each kind (a timer of
/// the model, such as a client's next call, a client's death, one server thread's API call),
/// and each channel's deliveries (messages from one actor to another). Weighting channels
/// apart from their receiver lets a walk delay one sender's messages to an actor while that
/// actor runs ahead on its own steps and on other senders' messages: the shape of F-1
/// (spec/findings.md), where the SCM's forwarded activation reaches a launched server only
/// after its startup and its shutdown decision. Weighting each kind of local step apart lets
/// one thread of a process run ahead of another (F-6's race between two threads of the
/// in-process client) and a client die at a moment of the walk's choosing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lane {
    /// One actor's local step of one kind (a timer of the model).
    Local(Id, Step),
    /// The deliveries from one actor (first) to another.
    Channel(Id, Id),
    /// One actor's crash, recovery or random choice (the model makes none).
    Other(Id),
}

/// The lane `action` belongs to.
fn lane_of(action: &Action) -> Lane {
    match action {
        ActorModelAction::Deliver { src, dst, .. } => Lane::Channel(*src, *dst),
        ActorModelAction::Drop(env) => Lane::Channel(env.src, env.dst),
        ActorModelAction::Timeout(id, step) => Lane::Local(*id, *step),
        ActorModelAction::Crash(id) | ActorModelAction::Recover(id) => Lane::Other(*id),
        ActorModelAction::SelectRandom { actor, .. } => Lane::Other(*actor),
    }
}

/// A walk's swarm: its weight of each [`Lane`], 2⁰ to 2¹⁰, drawn from the walk's random
/// stream when the walk first meets the lane (so reproducible from the seed on any machine).
struct Swarm {
    weights: Vec<(Lane, u64)>,
}

impl Swarm {
    fn weight(&mut self, action: &Action, rng: &mut ChaCha8Rng) -> u64 {
        let lane = lane_of(action);
        if let Some(&(_, w)) = self.weights.iter().find(|(l, _)| *l == lane) {
            return w;
        }
        let w = 1 << rng.random_range(0..=10u32);
        self.weights.push((lane, w));
        w
    }
}

/// The successor of `state` by `action`, when `action` is enabled and its successor is within
/// the model's boundary (a step of [`crate::verify::search::successors`]).
fn step(model: &ComModel, state: &SysState, action: Action) -> Option<SysState> {
    let next = model.next_state(state, action)?;
    model.within_boundary(&next).then_some(next)
}

/// Whether `state` has no step.
fn is_terminal(model: &ComModel, state: &SysState) -> bool {
    let mut acts = Vec::new();
    model.actions(state, &mut acts);
    acts.into_iter().all(|a| step(model, state, a).is_none())
}

/// A random step of `state`, or `None` when it has none. Actions are drawn with probability
/// proportional to their lane's weight among the actions not drawn yet, and a drawn action
/// that turns out disabled is dropped before the next draw; so the step taken is drawn in
/// proportion to its lane's weight among the *enabled* steps, as if drawn from
/// [`crate::verify::search::successors`], while only the successors of the drawn actions are built.
fn pick(
    model: &ComModel,
    state: &SysState,
    rng: &mut ChaCha8Rng,
    swarm: &mut Swarm,
) -> Option<(Action, SysState)> {
    let mut acts = Vec::new();
    model.actions(state, &mut acts);
    let mut weighted: Vec<(Action, u64)> = acts
        .into_iter()
        .map(|a| {
            let w = swarm.weight(&a, rng);
            (a, w)
        })
        .collect();
    let mut total: u64 = weighted.iter().map(|(_, w)| w).sum();
    while !weighted.is_empty() {
        let mut r = rng.random_range(0..total);
        let k = weighted
            .iter()
            .position(|&(_, w)| {
                let hit = r < w;
                r = r.saturating_sub(w);
                hit
            })
            .expect("r < total");
        let (a, w) = weighted.swap_remove(k);
        total -= w;
        if let Some(next) = step(model, state, a.clone()) {
            return Some((a, next));
        }
    }
    None
}

fn walk(model: &ComModel, props: &[&PropertyDef], sim: Simulation, index: u64) -> Walk {
    let mut rng = ChaCha8Rng::seed_from_u64(sim.seed);
    rng.set_stream(index);
    let mut state = model.init_states().remove(0);
    // Swarm testing: each walk favours some lanes (an actor's kind of local step, a channel)
    // over others, so walks reach interleavings in which one runs far ahead of another, which
    // uniform choice almost never produces.
    let mut swarm = Swarm {
        weights: Vec::new(),
    };
    let mut fps = vec![fingerprint(&state)];
    let mut actions = Vec::new();
    let mut shows = vec![None; props.len()];
    // Per eventually property: whether it has held on the walk so far.
    let mut held = vec![false; props.len()];
    loop {
        let chosen = {
            for (i, p) in props.iter().enumerate() {
                // A property this walk has shown (or, for `eventually`, seen hold) is decided
                // for the walk: its later states cannot change that.
                if shows[i].is_some() || held[i] {
                    continue;
                }
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
            let next = if actions.len() < sim.depth {
                pick(model, &state, &mut rng, &mut swarm)
            } else if is_terminal(model, &state) {
                None
            } else {
                break;
            };
            if next.is_none() {
                for (i, p) in props.iter().enumerate() {
                    if p.expectation == Expectation::Eventually && !held[i] {
                        shows[i].get_or_insert(actions.len());
                    }
                }
            }
            next
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
/// `progress` is advanced after every batch of walks: walks finished, distinct states visited
/// and the longest walk.
pub fn simulate(
    model: &ComModel,
    props: &[&PropertyDef],
    sim: Simulation,
    threads: usize,
    progress: &Progress,
) -> SimOutcome {
    let workers = Workers::new(threads);
    let mut seen: HashSet<u64> = HashSet::new();
    let mut best: Vec<Option<Vec<Action>>> = vec![None; props.len()];
    let (mut steps, mut longest) = (0usize, 0usize);
    // Walks in batches, so memory stays bounded by a batch; results are merged in walk order.
    const BATCH: u64 = 1024;
    let mut start = 0;
    while start < sim.runs {
        let end = sim.runs.min(start + BATCH);
        let indices: Vec<u64> = (start..end).collect();
        let walks: Vec<Walk> = workers.map(indices, |i| walk(model, props, sim, i));
        let seen_before = seen.len();
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
        progress.add_walks(end - start);
        progress.add_states((seen.len() - seen_before) as u64);
        progress.reach_depth(longest as u64);
        start = end;
    }
    let traces = best
        .into_iter()
        .map(|t| {
            t.map(|actions| crate::verify::search::replay(model, &actions).expect("a walk replays"))
        })
        .collect();
    SimOutcome {
        distinct_states: seen.len(),
        steps,
        longest,
        traces,
    }
}
