//! The exploration engine: one deterministic, parallel, breadth-first pass over the state
//! graph that counts unique states, decides every property and keeps parent pointers from
//! which the shortest trace of every discovery is rebuilt afterwards.
//!
//! The pass works on any [`ComModel`] through stateright's `Model` trait only (`init_states`,
//! `actions`, `next_state`, `within_boundary`) and the [`PropertyDef`] table:
//!
//! * **Level by level.** Each level's states are expanded in parallel (rayon), in chunks; the
//!   successors are merged into the visited set sequentially, in the order of the level and of
//!   the model's action order. A state's index in the next level, its parent and the action
//!   that reached it are therefore those of a single-threaded FIFO breadth-first search, on
//!   every thread count.
//! * **always / sometimes.** The first state in that order that violates an `always` property
//!   (satisfies a `sometimes` one) is its discovery; BFS order makes the path to it a shortest
//!   one.
//! * **eventually**, exactly on the explored acyclic graph. A search node is a state together
//!   with the set of `eventually` properties that have not held yet on the path to it (a
//!   bitmask); a terminal node whose mask contains P is a counterexample to P (a complete path
//!   on which P never held). Keying the visited set by state *and* mask makes this exact: a state
//!   reached again along a path on which P never held is explored again for P, which is what
//!   stateright 0.31's BFS misses at DAG joins. When a property, once true, stays true on every
//!   path (all of ours), every state has one mask and no state is explored twice. The first P
//!   copy of a state in this order is its first visit in a breadth-first search of the
//!   subgraph of states where P is false, so the counterexample is the shortest one and the
//!   same one that search finds.
//! * **Fingerprints** are 64-bit [`fingerprint`]s with fixed keys (ahash).
//! * **The frontier** holds the model's own states ([`SysState`]: the actor states, shared by
//!   `Arc` with the parent, and a sorted vector of messages; timers are derived), so a state
//!   waiting to be expanded costs what its parts cost.
//! * **Symmetry reduction** ([`Limits::symmetry`], [`crate::verify::symmetry`]): the visited set is
//!   keyed by the canonical key of a state's class (states that differ by a renaming of
//!   interchangeable clients and launched server slots), so one state per class is expanded:
//!   the first one reached, which is a concrete successor of a concrete state. Parent pointers
//!   and traces are therefore unchanged: a trace re-executes recorded action indices from the
//!   real initial state and is an execution of the unreduced model. States of one class are
//!   bisimilar with equal property values, so classes are reached at the least distance of
//!   their members and every trace is as short as the unreduced search's (it may be another
//!   shortest trace).

use crate::com::state::{ComModel, SysState};
use crate::verify::memory::{resident_bytes, MemoryBound};
use crate::verify::progress::Progress;
use crate::verify::properties::PropertyDef;
use crate::verify::symmetry::Symmetry;
use ahash::RandomState;
use rayon::prelude::*;
use stateright::actor::ActorModelAction;
use stateright::{Expectation, Model};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

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

/// The fixed keys of the fingerprint hasher (arbitrary constants, fixed so that every run
/// computes the same fingerprints).
pub(crate) const FP_KEYS: RandomState = RandomState::with_seeds(
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
);

/// A 64-bit fingerprint of a system state, equal for equal states: the actor states in actor
/// order and the messages in transit (a multiset, combined by a commutative sum of their
/// elements' hashes, so that [`crate::verify::symmetry`] can fingerprint a renamed image without
/// sorting it). The actors' timers are a function of their states and are left out. Two
/// different states share a fingerprint with probability about 2⁻⁶⁴ per pair; such a
/// collision would merge them.
pub fn fingerprint(s: &SysState) -> u64 {
    let mut h = FP_KEYS.build_hasher();
    for a in &s.actor_states {
        (**a).hash(&mut h);
    }
    let net = s
        .network
        .iter()
        .map(|e| FP_KEYS.hash_one(e))
        .fold(0, u64::wrapping_add);
    h.write_u64(net);
    h.finish()
}

/// The successors of `state` within the model's boundary, in the model's action order (any
/// stateright model: comlife's, or a test's small graph).
pub fn successors<M: stateright::Model>(model: &M, state: &M::State) -> Vec<(M::Action, M::State)>
where
    M::Action: Clone,
{
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

/// Limits and parallelism of one exploration. `None` means unbounded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Worker threads (at least 1). Results do not depend on it.
    pub threads: usize,
    /// Add no state beyond this many unique states.
    pub max_states: Option<usize>,
    /// Do not expand states this many steps (actions) from the initial state.
    pub max_depth: Option<usize>,
    /// Stop when the process's resident memory exceeds this bound (checked after every chunk
    /// of at most [`CHUNK`] expanded states, so it may be overshot by one chunk).
    pub max_memory: Option<MemoryBound>,
    /// Symmetry reduction ([`crate::verify::symmetry`]): explore one state per class of states that
    /// differ by a renaming of interchangeable clients and server slots. Verdicts and trace
    /// lengths do not depend on it; unique-state counts are then counts of classes.
    pub symmetry: bool,
    /// Partial-order reduction ([`crate::verify::por`]): expand a persistent set of each state's
    /// steps where one exists. The same verdicts, fewer unique states, and traces that are
    /// executions of the model but not necessarily shortest ones.
    pub por: bool,
}

/// States expanded in parallel before their successors are merged (and memory is checked).
pub const CHUNK: usize = 1 << 14;

/// The result of one exploration.
#[derive(Clone, Debug)]
pub struct Exploration {
    /// Unique states reached (each counted once, whatever the masks it was reached with).
    pub unique_states: usize,
    /// States generated, repeats included: the initial state and every successor of every
    /// unique state.
    pub generated: usize,
    /// The deepest level reached, in steps from the initial state.
    pub max_depth: usize,
    /// Whether the whole state graph was explored (no bound cut anything off).
    pub complete: bool,
    /// Why the exploration stopped early, when a memory bound stopped it.
    pub stopped: Option<String>,
    /// Per property, in the order given: the shortest trace to its discovery — a state that
    /// violates an `always` property, one that satisfies a `sometimes` property, a terminal state
    /// at the end of a path on which an `eventually` property never held.
    pub traces: Vec<Option<Trace>>,
}

/// A search node's parent and the index of the action that reached it from there, in the
/// order of the model's `actions` (which stateright sorts).
#[derive(Clone, Copy)]
struct Node {
    parent: u32,
    action: u16,
}

/// The parent of the initial node.
const ROOT: u32 = u32::MAX;

/// A node waiting to be expanded: its state, index, mask of `eventually` properties that have
/// not held yet on the path to it, and whether it is the first node of its state.
struct Item {
    state: SysState,
    node: u32,
    mask: u8,
    first: bool,
}

/// A new successor: action index, fingerprint, mask and state.
struct Succ {
    action: u16,
    fp: u64,
    mask: u8,
    state: SysState,
}

/// What expanding one node found.
struct Expanded {
    /// Properties (bit = index) discovered at this node.
    hits: u64,
    /// Whether the node has successors that a depth bound kept from being explored.
    capped: bool,
    /// Successors generated (for the first node of a state; 0 for the others).
    generated: usize,
    /// Successors not yet visited with their mask (at the start of the chunk).
    succ: Vec<Succ>,
}

/// Hashes a fingerprint for a [`Visited`] shard: the fingerprint rotated, so that the bits
/// that choose the shard (all equal within it) are neither the bucket bits nor the tag bits
/// of the table.
#[derive(Default)]
struct FpHasher(u64);

impl Hasher for FpHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 fingerprints are hashed");
    }
    fn write_u64(&mut self, fp: u64) {
        self.0 = fp.rotate_right(16);
    }
}

/// Bits of a fingerprint (the top ones) that choose its [`Visited`] shard.
const SHARD_BITS: u32 = 6;

/// Per fingerprint: the set of masks the state has been visited with (bit = mask). Sharded,
/// so that a table's growth (which briefly holds the old and the new table) copies one shard,
/// not the whole set.
struct Visited {
    shards: Vec<HashMap<u64, u64, BuildHasherDefault<FpHasher>>>,
}

impl Visited {
    fn new() -> Self {
        Visited {
            shards: (0..1 << SHARD_BITS).map(|_| HashMap::default()).collect(),
        }
    }

    /// The masks `fp` has been visited with.
    fn get(&self, fp: u64) -> u64 {
        let shard = &self.shards[(fp >> (64 - SHARD_BITS)) as usize];
        shard.get(&fp).copied().unwrap_or(0)
    }

    /// The masks `fp` has been visited with, to update.
    fn entry(&mut self, fp: u64) -> &mut u64 {
        let shard = &mut self.shards[(fp >> (64 - SHARD_BITS)) as usize];
        shard.entry(fp).or_insert(0)
    }
}

/// The properties of one exploration and how to test them.
struct Goals<'a> {
    model: &'a ComModel,
    /// How states are identified (by class, under symmetry reduction).
    sym: Symmetry,
    props: &'a [&'a PropertyDef],
    /// Per property: its bit in the masks, for `eventually` properties.
    bit: Vec<Option<u8>>,
    /// Whether to expand only an ample set ([`crate::verify::por::ample`]) where one exists.
    por: bool,
}

impl Goals<'_> {
    /// `eventually` properties (as mask bits, among `mask`) that hold in `s`.
    fn held(&self, s: &SysState, mask: u8) -> u8 {
        let mut held = 0;
        for (p, b) in self.props.iter().zip(&self.bit) {
            if let Some(b) = *b {
                if mask >> b & 1 == 1 && (p.condition)(self.model, s) {
                    held |= 1 << b;
                }
            }
        }
        held
    }

    /// Expands one node: its discoveries among `pending` and its successors that `visited`
    /// does not hold yet.
    fn expand(&self, item: Item, pending: u64, visited: &Visited, capped: bool) -> Expanded {
        let state = item.state;
        let mut actions = Vec::new();
        self.model.actions(&state, &mut actions);
        // Under partial-order reduction, the actions of an ample set only. An ample set's
        // actions are client calls, each of which has a successor, so the state is a terminal
        // state exactly when it has no successor at all.
        let keep = if self.por {
            crate::verify::por::ample(&self.model.cfg, &state, &actions)
        } else {
            None
        };
        // The successors are those of [`successors`], but built here without cloning actions
        // and dropped at once when already visited; each is numbered by its action's index.
        let mut count = 0usize;
        let mut succ = Vec::new();
        for (k, a) in actions.into_iter().enumerate() {
            if keep.as_ref().is_some_and(|keep| !keep[k]) {
                continue;
            }
            let Some(next) = self.model.next_state(&state, a) else {
                continue;
            };
            if !self.model.within_boundary(&next) {
                continue;
            }
            let action = u16::try_from(k).expect("at most 65535 actions");
            count += 1;
            if capped {
                continue;
            }
            let fp = self.sym.key(&next);
            let mask = item.mask & !self.held(&next, item.mask);
            if visited.get(fp) >> mask & 1 == 1 {
                continue;
            }
            succ.push(Succ {
                action,
                fp,
                mask,
                state: next,
            });
        }
        let mut hits = 0;
        for (i, (p, b)) in self.props.iter().zip(&self.bit).enumerate() {
            if pending >> i & 1 == 0 {
                continue;
            }
            let hit = match b {
                Some(b) => count == 0 && item.mask >> b & 1 == 1,
                None => {
                    item.first
                        && (p.condition)(self.model, &state)
                            != (p.expectation == Expectation::Always)
                }
            };
            if hit {
                hits |= 1 << i;
            }
        }
        Expanded {
            hits,
            capped: capped && count > 0,
            generated: if item.first { count } else { 0 },
            succ,
        }
    }
}

/// Explores the state graph of `model` from its initial state in one breadth-first pass and
/// decides `props` (see the module documentation). `progress` is advanced after every chunk of
/// at most [`CHUNK`] expanded states (unique states added) and every level (depth).
///
/// # Panics
/// When the model has more than 6 `eventually` or 64 properties, an action list longer than
/// 65536 or more than 2³² − 1 search nodes.
pub fn explore(
    model: &ComModel,
    props: &[&PropertyDef],
    limits: Limits,
    progress: &Progress,
) -> Exploration {
    assert!(props.len() <= 64, "at most 64 properties");
    let mut next_bit = 0u8;
    let bit: Vec<Option<u8>> = props
        .iter()
        .map(|p| {
            (p.expectation == Expectation::Eventually).then(|| {
                next_bit += 1;
                next_bit - 1
            })
        })
        .collect();
    assert!(next_bit <= 6, "at most 6 eventually properties");
    let init = model.init_states().remove(0);
    let goals = Goals {
        model,
        sym: Symmetry::new(model.cfg, limits.symmetry),
        props,
        bit,
        por: limits.por,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(limits.threads.max(1))
        .build()
        .expect("thread pool");

    let mask = ((1u16 << next_bit) - 1) as u8;
    let mask = mask & !goals.held(&init, mask);
    let mut visited = Visited::new();
    *visited.entry(goals.sym.key(&init)) = 1 << mask;
    let mut nodes = vec![Node {
        parent: ROOT,
        action: 0,
    }];
    // The current level, in chunks of at most CHUNK nodes; each chunk is consumed (its states
    // dropped by the workers) as it is expanded.
    let mut level = vec![vec![Item {
        state: init,
        node: 0,
        mask,
        first: true,
    }]];
    let mut found: Vec<Option<u32>> = vec![None; props.len()];
    let (mut unique, mut generated, mut depth) = (1usize, 1usize, 0usize);
    let mut cut = false;
    let mut stopped = None;
    progress.add_states(1);
    'levels: while !level.is_empty() {
        let capped = limits.max_depth.is_some_and(|d| depth >= d);
        let mut next: Vec<Vec<Item>> = Vec::new();
        for chunk in std::mem::take(&mut level) {
            let unique_before = unique;
            let pending = found
                .iter()
                .enumerate()
                .filter(|(_, f)| f.is_none())
                .fold(0u64, |m, (i, _)| m | 1 << i);
            let expanded: Vec<(u32, Expanded)> = pool.install(|| {
                chunk
                    .into_par_iter()
                    .map(|item| (item.node, goals.expand(item, pending, &visited, capped)))
                    .collect()
            });
            for (parent, e) in expanded {
                for (i, f) in found.iter_mut().enumerate() {
                    if e.hits >> i & 1 == 1 && f.is_none() {
                        *f = Some(parent);
                    }
                }
                generated += e.generated;
                cut |= e.capped;
                for s in e.succ {
                    let seen = visited.entry(s.fp);
                    if *seen >> s.mask & 1 == 1 {
                        continue;
                    }
                    let first = *seen == 0;
                    if first && limits.max_states.is_some_and(|m| unique >= m) {
                        cut = true;
                        continue;
                    }
                    *seen |= 1 << s.mask;
                    unique += usize::from(first);
                    let node = u32::try_from(nodes.len()).expect("fewer than 2³² search nodes");
                    assert!(node != ROOT, "fewer than 2³² − 1 search nodes");
                    nodes.push(Node {
                        parent,
                        action: s.action,
                    });
                    if next.last().is_none_or(|c| c.len() == CHUNK) {
                        next.push(Vec::with_capacity(CHUNK));
                    }
                    next.last_mut().expect("a chunk").push(Item {
                        state: s.state,
                        node,
                        mask: s.mask,
                        first,
                    });
                }
            }
            progress.add_states((unique - unique_before) as u64);
            if let (Some(bound), Some(rss)) = (limits.max_memory, resident_bytes()) {
                if rss > bound.bytes() {
                    stopped = Some(bound.stop_message(rss, unique, depth));
                    cut = true;
                    break 'levels;
                }
            }
        }
        level = next;
        if !level.is_empty() {
            depth += 1;
            progress.reach_depth(depth as u64);
        }
    }
    drop(level);
    let traces = found
        .into_iter()
        .map(|f| f.map(|n| trace_to(model, &nodes, n)))
        .collect();
    Exploration {
        unique_states: unique,
        generated,
        max_depth: depth,
        complete: !cut,
        stopped,
        traces,
    }
}

/// The trace from the initial state to search node `n`, rebuilt from the parent pointers by
/// re-executing each recorded action index.
fn trace_to(model: &ComModel, nodes: &[Node], mut n: u32) -> Trace {
    let mut path = Vec::new();
    while nodes[n as usize].parent != ROOT {
        path.push(nodes[n as usize].action);
        n = nodes[n as usize].parent;
    }
    let mut states = vec![model.init_states().remove(0)];
    let mut actions = Vec::new();
    for &i in path.iter().rev() {
        let last = states.last().expect("non-empty");
        let mut enabled = Vec::new();
        model.actions(last, &mut enabled);
        let a = enabled.swap_remove(usize::from(i));
        let s = model
            .next_state(last, a.clone())
            .expect("a recorded action has a successor");
        actions.push(a);
        states.push(s);
    }
    Trace { states, actions }
}

/// [`action_phrase`] told with the state `before` the action, so that a server's step says
/// which case happened (the teardown the described code does, what an RPC thread's activation
/// did: [`crate::com::actor::Step::sentence_in`]), as the Markdown traces tell it.
pub fn action_phrase_in(model: &ComModel, before: &SysState, action: &Action) -> String {
    match action {
        ActorModelAction::Timeout(id, step) => step.sentence_in(
            &model.cfg.actor_name(*id),
            &model.cfg,
            &before.actor_states[usize::from(*id)],
        ),
        _ => action_phrase(model, action),
    }
}

/// An action as a one-line phrase in COM terms, e.g. "client 1 → SCM: CoGetClassObject(CLSID_A,
/// ...)"; a timeout is its step's sentence.
pub fn action_phrase(model: &ComModel, action: &Action) -> String {
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
        ActorModelAction::Timeout(id, step) => step.sentence(&cfg.actor_name(*id)),
        other => format!("{other:?}"),
    }
}
