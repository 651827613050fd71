//! The exploration engine: one deterministic, parallel, breadth-first pass over the state
//! graph that counts unique states, decides every property and keeps parent pointers from
//! which the shortest trace of every discovery is rebuilt afterwards.
//!
//! The pass works on any [`ComModel`] through stateright's `Model` trait only (`init_states`,
//! `actions`, `next_state`, `within_boundary`) and the [`PropertyDef`] table:
//!
//! * **Level by level.** Each level's states are expanded in chunks, each chunk by ranges in
//!   parallel (rayon) or, on one thread, in place ([`Workers`]), each range's successors in
//!   one vector (`Batch`); the successors are merged into the visited set in the order of
//!   the level and of the model's action order. A state's index in the next level, its parent
//!   and the action that reached it are therefore those of a single-threaded FIFO
//!   breadth-first search, on every thread count. The merge decides by visited-set shard
//!   (whether a successor is new depends only on its shard's earlier successors), in parallel
//!   on a pool, then numbers the new nodes in that order; under a state bound (`max_states`),
//!   where the cut depends on the global count, it takes one successor at a time.
//! * **Memory.** A visited state costs one 8-byte table entry (its fingerprint and first mask),
//!   a search node 6 bytes (parent and action index). The states waiting to be expanded share
//!   equal actor states: the model holds one copy of each distinct actor state
//!   ([`crate::com::memo::Transitions`]), so a level holds one copy of each.
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
//! * **The frontier** holds the model's own states ([`SysState`]: references to the model's
//!   one copy of each actor state, and a sorted inline array of interned messages; timers are
//!   derived), so a state waiting to be expanded costs what its parts cost.
//! * **Sleep sets** ([`Limits::sleep_sets`], [`crate::verify::sleep`]): a node does not build
//!   the successor of a move of another actor that its parent took before the move that first
//!   reached it (or that slept in its parent): that state is reached from an earlier node. No
//!   first arrival is left out, so states are numbered, counted and traced as without them;
//!   only fewer successors are built (on local-multi-sta's largest Wine run, 26 M of 65 M).
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
use crate::verify::sleep::{Sleep, SleepSlot};
use crate::verify::symmetry::Symmetry;
use crate::verify::visited::{shard_of, Added, Visited};
use crate::verify::workers::Workers;
use stateright::actor::ActorModelAction;
use stateright::{Expectation, Model};
use std::hash::{BuildHasher, Hasher};

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

/// The fixed keys of the fingerprint hasher: those of the actor states' hashes.
pub(crate) use crate::com::state::HASH_KEYS as FP_KEYS;

/// A 64-bit fingerprint of a system state, equal for equal states: the actor states' hashes
/// (computed once per actor state, [`crate::com::state::HashedState`]) in actor order and the messages in transit (a multiset, combined by a commutative sum of their
/// elements' hashes, so that [`crate::verify::symmetry`] can fingerprint a renamed image without
/// sorting it). The actors' timers are a function of their states and are left out. Two
/// different states share a fingerprint with probability about 2⁻⁶⁴ per pair; such a
/// collision would merge them.
pub fn fingerprint(s: &SysState) -> u64 {
    let net = s
        .network
        .iter()
        .map(|e| e.envelope_hash())
        .fold(0, u64::wrapping_add);
    fingerprint_of(s.actor_states.iter().map(|a| a.state_hash()), net)
}

/// [`fingerprint`] from its parts: the actor states' hashes in actor order and the wrapping
/// sum of the messages' hashes ([`crate::com::transit::Sent::envelope_hash`]).
pub(crate) fn fingerprint_of(actor_hashes: impl Iterator<Item = u64>, network: u64) -> u64 {
    let mut h = FP_KEYS.build_hasher();
    for a in actor_hashes {
        h.write_u64(a);
    }
    h.write_u64(network);
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
    /// Sleep sets ([`crate::verify::sleep`]): build no successor that the search reaches from
    /// an earlier node. Counts, verdicts and traces do not depend on it; applied where
    /// [`crate::verify::sleep::applies`] (not under `por`).
    pub sleep_sets: bool,
}

/// States expanded before their successors are merged (and memory is checked): 4 096, so that
/// a chunk's successors (about 1.2 MB at two per node, `Batch`) are still near in the cache
/// when the merge reads them (the whole check took 8 % less time than with 16 384, and no less
/// with 1 024 or 2 048, docs/benchmarks.md).
pub const CHUNK: usize = 1 << 12;

/// The result of one exploration.
#[derive(Clone, Debug)]
pub struct Exploration {
    /// Unique states reached (each counted once, whatever the masks it was reached with).
    pub unique_states: usize,
    /// States generated, repeats included: the initial state and every successor of every
    /// unique state (the edges of the state graph: a successor a sleep set left unbuilt is
    /// counted too).
    pub generated: usize,
    /// Successors that sleep sets left unbuilt ([`crate::verify::sleep`]): reached from an
    /// earlier node, so not built again. At most [`Exploration::generated`].
    pub asleep: usize,
    /// The deepest level reached, in steps from the initial state.
    pub max_depth: usize,
    /// Whether the whole state graph was explored (no bound cut anything off).
    pub complete: bool,
    /// Why the exploration stopped early, when a memory bound stopped it.
    pub stopped: Option<String>,
    /// The depth of the first state a state bound (`max_states`) kept out, if one did: every
    /// state within fewer steps was explored, so a discovery at this depth or less is a
    /// shortest one; beyond it a shorter path may lead through a state kept out.
    pub refused_depth: Option<usize>,
    /// Per property, in the order given: the shortest trace to its discovery — a state that
    /// violates an `always` property, one that satisfies a `sometimes` property, a terminal state
    /// at the end of a path on which an `eventually` property never held (under partial-order
    /// reduction, a trace of the reduced graph: not necessarily shortest).
    pub traces: Vec<Option<Trace>>,
}

impl Exploration {
    /// Whether `trace`, one of this search's, lies within the levels it explored completely,
    /// and is therefore a shortest one: every level above the one a state bound cut
    /// ([`Exploration::refused_depth`]) is complete, so a trace no longer than that depth is
    /// shortest; one beyond it may have a shorter path through a state the bound refused. A
    /// depth bound or a memory bound ends the search at or within a level, with every level
    /// above it complete, so all its traces are shortest. For an exact search; partial-order
    /// reduction's traces are not shortest however deep.
    pub fn within_complete_levels(&self, trace: &Trace) -> bool {
        trace.len() <= self.refused_depth.unwrap_or(usize::MAX)
    }
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
    sleep: Sleep,
}

/// A new successor: action index, fingerprint, mask and state.
struct Succ {
    action: u16,
    fp: u64,
    mask: u8,
    state: SysState,
    sleep: Sleep,
}

/// What expanding a range of a chunk's nodes found, in the order of the nodes and of their
/// actions. The successors of the range are in one vector, each node's after the last one's:
/// a node's inline vector of successors, moved into the chunk's list and out again, made
/// memmove 8.6 % of the largest run's time, 4.8 % since (docs/benchmarks.md, "A range's
/// successors in one vector").
#[derive(Default)]
struct Batch {
    /// Per node of the range, in order: its index and how many of [`Batch::succ`] are its.
    nodes: Vec<(u32, u32)>,
    /// The nodes at which properties were discovered, with those properties (bit = index).
    hits: Vec<(u32, u64)>,
    /// Whether some node has successors that a depth bound kept from being explored.
    capped: bool,
    /// Successors generated (for the first node of a state; 0 for the others).
    generated: usize,
    /// Of those, the ones asleep, left unbuilt.
    asleep: usize,
    /// Successors, but those that repeat an earlier successor of the chunk this thread
    /// remembers ([`RecentSuccessors`]); the merge decides which are new.
    succ: Vec<Succ>,
}

impl Batch {
    /// The successors of `batches`, each with its parent node, in order.
    fn with_parents(batches: Vec<Batch>) -> impl Iterator<Item = (u32, Succ)> {
        batches.into_iter().flat_map(|b| {
            let parents = b.nodes.into_iter();
            let parents = parents.flat_map(|(p, n)| std::iter::repeat_n(p, n as usize));
            parents.zip(b.succ)
        })
    }
}

/// Nodes per block of [`Nodes`].
const NODE_BLOCK: usize = 1 << 16;

/// Every search node's parent and the index of the action that reached it from there (in the
/// order of the model's `actions`, which stateright sorts): 6 bytes per node, in two arrays
/// (one of pairs would pad each to 8), allocated in blocks so that growing never copies them.
#[derive(Default)]
struct Nodes {
    parents: Vec<Vec<u32>>,
    actions: Vec<Vec<u16>>,
    len: usize,
}

impl Nodes {
    /// Adds a node; returns its index.
    ///
    /// # Panics
    /// Beyond 2³² − 1 nodes.
    fn push(&mut self, parent: u32, action: u16) -> u32 {
        let node = u32::try_from(self.len).expect("fewer than 2³² search nodes");
        assert!(node != ROOT, "fewer than 2³² − 1 search nodes");
        if self.len.is_multiple_of(NODE_BLOCK) {
            self.parents.push(Vec::with_capacity(NODE_BLOCK));
            self.actions.push(Vec::with_capacity(NODE_BLOCK));
        }
        self.parents.last_mut().expect("a block").push(parent);
        self.actions.last_mut().expect("a block").push(action);
        self.len += 1;
        node
    }

    /// Node `n`'s parent and action index.
    fn get(&self, n: u32) -> (u32, u16) {
        let n = n as usize;
        let (b, i) = (n / NODE_BLOCK, n % NODE_BLOCK);
        (self.parents[b][i], self.actions[b][i])
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
    /// The `eventually` properties' conditions, each with its bit in the masks: what
    /// [`Goals::held`] tests in every successor.
    eventually: Vec<(u8, crate::com::system::Condition)>,
    /// Whether to expand only an ample set ([`crate::verify::por::ample`]) where one exists.
    por: bool,
    /// Whether to use sleep sets ([`crate::verify::sleep`]).
    sleep: bool,
    /// Bits of a [`Sleep`] set's steps per actor: 32 ÷ the model's actors.
    per_actor: u32,
}

impl Goals<'_> {
    /// `eventually` properties (as mask bits, among `mask`) that hold in `s`.
    fn held(&self, s: &SysState, mask: u8) -> u8 {
        let mut held = 0;
        for &(b, condition) in &self.eventually {
            if mask >> b & 1 == 1 && condition(self.model, s) {
                held |= 1 << b;
            }
        }
        held
    }

    /// Expands a range of the nodes of chunk `chunk` (its [`CHUNK_IDS`] number), in order.
    fn expand_range(&self, items: &[Item], chunk: u64, pending: u64, capped: bool) -> Batch {
        let mut batch = Batch {
            nodes: Vec::with_capacity(items.len()),
            succ: Vec::with_capacity(items.len() * 2),
            ..Batch::default()
        };
        for item in items {
            let before = batch.succ.len();
            self.expand(item, chunk, pending, capped, &mut batch);
            let added = u32::try_from(batch.succ.len() - before).expect("few successors");
            batch.nodes.push((item.node, added));
        }
        batch
    }

    /// Expands one node of chunk `chunk` (its [`CHUNK_IDS`] number) into `batch`: its
    /// discoveries among `pending` and its successors that repeat no earlier successor of the
    /// chunk this thread remembers ([`RecentSuccessors`]). The visited set is not probed here:
    /// most successors that pass are new, and the merge probes each once ([`Shard::add`]); a
    /// probe here too took a sixth of the time (local-sta with three clients) to drop one
    /// successor in eight.
    fn expand(&self, item: &Item, chunk: u64, pending: u64, capped: bool, batch: &mut Batch) {
        let state = &item.state;
        // On the stack: most states have fewer moves than this.
        let mut moves = crate::com::system::Moves::new();
        self.model.moves(state, &mut moves);
        // Under partial-order reduction, the actions of an ample set only. An ample set's
        // actions are client calls, each of which has a successor, so the state is a terminal
        // state exactly when it has no successor at all.
        let keep = if self.por {
            let mut actions = Vec::with_capacity(moves.len());
            self.model.actions(state, &mut actions);
            crate::verify::por::ample(&self.model.cfg, state, &actions)
        } else {
            None
        };
        // The successors are those of [`successors`], but built here from the model's moves
        // (the actions at the same indices, without building them) and dropped at once when
        // already visited; each is numbered by its action's index.
        let (mut count, mut asleep_count) = (0usize, 0usize);
        // Each move's place, for the sleep sets (none when they are off: then no move is
        // asleep and no successor gets one).
        let mut slots: smallvec::SmallVec<[SleepSlot; 16]> = smallvec::SmallVec::new();
        if self.sleep {
            Sleep::slots(&moves, &mut slots);
        }
        // Per move: whether it is in the node's sleep set or was taken before (the moves the
        // successors' sleep sets are drawn from). A move is marked taken only after its turn,
        // so at its turn the mark says whether it is asleep.
        let mut carried: smallvec::SmallVec<[bool; 16]> = slots
            .iter()
            .map(|slot| item.sleep.holds(*slot, self.per_actor))
            .collect();
        for (k, (m, at)) in moves.iter().copied().enumerate() {
            if keep.as_ref().is_some_and(|keep| !keep[k]) {
                continue;
            }
            if carried.get(k) == Some(&true) {
                // Asleep: its successor is reached from an earlier node.
                count += 1;
                asleep_count += 1;
                continue;
            }
            let Some(next) = self.model.successor(state, m, at) else {
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
            let repeats = RecentSuccessors::repeats(chunk, item.node, fp, mask);
            let sleep = if !self.sleep || repeats {
                Sleep::default()
            } else {
                Sleep::of_successor(&moves, &slots, &carried, k, &next, self.per_actor)
            };
            if let Some(c) = carried.get_mut(k) {
                *c = true;
            }
            if repeats {
                continue;
            }
            batch.succ.push(Succ {
                action,
                fp,
                mask,
                state: next,
                sleep,
            });
        }
        let mut hits = 0;
        // The properties still pending only, by their bits.
        let mut left = pending;
        while left != 0 {
            let i = left.trailing_zeros() as usize;
            left &= left - 1;
            let (p, b) = (self.props[i], self.bit[i]);
            let hit = match b {
                Some(b) => count == 0 && item.mask >> b & 1 == 1,
                None => {
                    item.first
                        && (p.condition)(self.model, state)
                            != (p.expectation == Expectation::Always)
                }
            };
            if hit {
                hits |= 1 << i;
            }
        }
        if hits != 0 {
            batch.hits.push((item.node, hits));
        }
        batch.capped |= capped && count > 0;
        if item.first {
            batch.generated += count;
            batch.asleep += asleep_count;
        }
    }
}

/// The successors a thread generated last, to drop at once a successor that repeats an
/// earlier one of the same chunk: most successors of a level are states the level reaches
/// again by another order of two independent steps, and a repeat is mostly generated just
/// after the first, by the same thread. On local-sta with three clients, 36 M of the 56 M
/// successors are dropped here; of the 20 M left, the merge finds 16.3 M new. A
/// direct-mapped table of [`RECENT_SUCCESSORS`] entries: a successor's key and mask, its
/// chunk's number ([`CHUNK_IDS`]) and its parent node.
///
/// Dropping the repeat decides nothing differently: the merge takes a chunk's successors in
/// the order of their parent nodes (numbered in the order of the level) and of the actions,
/// and finds a later successor with the key and mask of an earlier one already seen
/// ([`Visited::add`]). So the table drops a successor only when its entry holds the same key,
/// mask and chunk and a parent node not after its own (the same node: an earlier action, since
/// a node's actions are taken in order); a thread that took a later range of the chunk first
/// (work stealing) keeps both. Counts, verdicts and traces are those of the search without it.
struct RecentSuccessors;

/// The entries of each thread's [`RecentSuccessors`]: 4 096 (96 KiB), a power of two.
const RECENT_SUCCESSORS: usize = 1 << 12;

/// One [`RecentSuccessors`] entry: key, chunk number, parent node, mask; chunk 0 is never
/// numbered, so the empty entries match nothing.
#[derive(Clone, Copy, Default)]
struct Recent {
    fp: u64,
    chunk: u64,
    node: u32,
    mask: u8,
}

thread_local! {
    /// This thread's [`RecentSuccessors`].
    static RECENT: std::cell::RefCell<Box<[Recent]>> =
        std::cell::RefCell::new(vec![Recent::default(); RECENT_SUCCESSORS].into_boxed_slice());
}

/// Numbers the chunks expanded in this process, from 1, so that a thread's
/// [`RecentSuccessors`] never confuses two chunks, of one run or of two runs on one worker.
static CHUNK_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl RecentSuccessors {
    /// Whether the successor (`fp`, `mask`) of node `node` in chunk `chunk` repeats an earlier
    /// successor of the chunk this thread remembers; if not, it is remembered in its place.
    fn repeats(chunk: u64, node: u32, fp: u64, mask: u8) -> bool {
        RECENT.with(|r| {
            let mut r = r.borrow_mut();
            let e = &mut r[fp as usize & (RECENT_SUCCESSORS - 1)];
            if e.fp == fp && e.mask == mask && e.chunk == chunk && e.node <= node {
                return true;
            }
            *e = Recent {
                fp,
                chunk,
                node,
                mask,
            };
            false
        })
    }
}

/// The next level, in chunks of at most [`CHUNK`] nodes, as the merge fills it.
#[derive(Default)]
struct Level {
    chunks: Vec<Vec<Item>>,
}

impl Level {
    /// Numbers a new node (successor `s` of node `parent`) and queues it for expansion.
    fn push(&mut self, nodes: &mut Nodes, parent: u32, s: Succ, first: bool) {
        let node = nodes.push(parent, s.action);
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks.last_mut().expect("a chunk").push(Item {
            state: s.state,
            node,
            mask: s.mask,
            first,
            sleep: s.sleep,
        });
    }
}

/// Decides which of a chunk's successors (`expanded`, in the order of the level and of the
/// model's actions) are new nodes, adding them to `visited`, one shard per task: per successor
/// in that order, 0 when it was seen, 1 when it is a new node, 2 when it is also its state's
/// first node. Whether a node is new depends only on the nodes of its shard before it, so these
/// are exactly the decisions that adding the successors one by one in that order
/// ([`Visited::add`]) takes. Runs on `workers`; the successors are only read, so the caller
/// moves the new ones into the next level in one pass.
fn decide_by_shard(workers: &Workers, visited: &mut Visited, batches: &[Batch]) -> Vec<u8> {
    // Each successor's position in the chunk, by shard, in order: each batch is bucketed by
    // one task, so that a shard's successors are its buckets' in batch order.
    let mut starts = Vec::with_capacity(batches.len());
    let mut n = 0u32;
    for b in batches {
        starts.push(n);
        n += u32::try_from(b.succ.len()).expect("fewer than 2³² successors in a chunk");
    }
    let shards = visited.shards.len();
    let ranges: Vec<_> = batches.iter().zip(starts).collect();
    let buckets: Vec<Vec<Vec<(u32, u64, u8)>>> = workers.map(ranges, |(batch, start)| {
        let mut buckets = vec![Vec::new(); shards];
        for (g, s) in (start..).zip(&batch.succ) {
            buckets[shard_of(s.fp)].push((g, s.fp, s.mask));
        }
        buckets
    });
    // Per shard, in parallel: which of its successors are new, and first.
    let decided: Vec<Vec<(u32, bool)>> = workers.map_mut(&mut visited.shards, |k, shard| {
        // The slot of the successor PREFETCH_AHEAD on is fetched while this one is probed.
        let mut ahead = buckets.iter().flat_map(|b| &b[k]).skip(PREFETCH_AHEAD);
        buckets
            .iter()
            .flat_map(|b| &b[k])
            .filter_map(|&(g, fp, mask)| {
                if let Some(&(_, next, _)) = ahead.next() {
                    shard.prefetch(next);
                }
                match shard.add(fp, mask, true) {
                    Added::New { first } => Some((g, first)),
                    Added::Seen | Added::Refused => None,
                }
            })
            .collect()
    });
    let mut decision = vec![0u8; n as usize];
    for (g, first) in decided.into_iter().flatten() {
        decision[g as usize] = 1 + u8::from(first);
    }
    decision
}

/// How many successors ahead of its probe the merge prefetches a successor's slot
/// ([`crate::verify::visited::Shard::prefetch`]). 4 and 16 measured no different on the
/// largest run (docs/benchmarks.md).
const PREFETCH_AHEAD: usize = 8;

/// Ranges a chunk is cut into for expanding it on a pool ([`Batch`]), each a task, and for
/// bucketing its successors by shard ([`decide_by_shard`]): enough for the workers to share
/// the pass (with work stealing) and few enough that a range's nodes fill its batch's
/// vectors.
const RANGES: usize = 8;

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
    explore_recording(model, props, limits, progress, false).0
}

/// [`explore`], with every state's key (its class's, under symmetry reduction) and the level
/// (steps from the initial state) at which the search first reached it, in the order reached:
/// what `bench --families` compares across runs ([`crate::verify::families`]). 16 bytes per
/// unique state on top of the search's own memory.
///
/// # Panics
/// As [`explore`].
pub fn explore_first_levels(
    model: &ComModel,
    props: &[&PropertyDef],
    limits: Limits,
    progress: &Progress,
) -> (Exploration, Vec<(u64, u32)>) {
    explore_recording(model, props, limits, progress, true)
}

/// [`explore`], recording each state's key and first level when `record`.
fn explore_recording(
    model: &ComModel,
    props: &[&PropertyDef],
    limits: Limits,
    progress: &Progress,
    record: bool,
) -> (Exploration, Vec<(u64, u32)>) {
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
        eventually: props
            .iter()
            .zip(&bit)
            .filter_map(|(p, b)| Some(((*b)?, p.condition)))
            .collect(),
        bit,
        por: limits.por,
        sleep: limits.sleep_sets && crate::verify::sleep::applies(props, limits.por),
        per_actor: Sleep::per_actor(model.actors.len()),
    };
    let workers = Workers::new(limits.threads);

    let mask = ((1u16 << next_bit) - 1) as u8;
    let mask = mask & !goals.held(&init, mask);
    let mut visited = Visited::new();
    let init_key = goals.sym.key(&init);
    visited.add(init_key, mask, true);
    let mut first_levels = if record {
        vec![(init_key, 0)]
    } else {
        Vec::new()
    };
    // The level of the nodes being merged, as [`explore_first_levels`] records it.
    let level_of = |depth: usize| u32::try_from(depth + 1).expect("fewer than 2³² levels");
    let mut nodes = Nodes::default();
    nodes.push(ROOT, 0);
    // The current level, in chunks of at most CHUNK nodes; each chunk is consumed (its states
    // dropped by the workers) as it is expanded.
    let mut level = vec![vec![Item {
        state: init,
        node: 0,
        mask,
        first: true,
        sleep: Sleep::default(),
    }]];
    let mut found: Vec<Option<u32>> = vec![None; props.len()];
    let (mut unique, mut generated, mut asleep, mut depth) = (1usize, 1usize, 0usize, 0usize);
    let mut cut = false;
    let mut stopped = None;
    let mut refused_depth = None;
    // The merge runs by shard unless a state bound makes each decision depend on the global
    // count of states before it: in parallel with several threads, and with one thread too,
    // where deciding a chunk's successors shard by shard before queueing the new nodes took a
    // sixth less time on the largest run than a probe and a copy per successor in turn
    // (docs/benchmarks.md).
    let by_shard = limits.max_states.is_none();
    progress.add_states(1);
    'levels: while !level.is_empty() {
        let capped = limits.max_depth.is_some_and(|d| depth >= d);
        let mut next = Level::default();
        for chunk in std::mem::take(&mut level) {
            let unique_before = unique;
            let pending = found
                .iter()
                .enumerate()
                .filter(|(_, f)| f.is_none())
                .fold(0u64, |m, (i, _)| m | 1 << i);
            let id = CHUNK_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let batches = workers.ranges(&chunk, RANGES, |items| {
                goals.expand_range(items, id, pending, capped)
            });
            drop(chunk);
            for b in &batches {
                for &(parent, mut hits) in &b.hits {
                    while hits != 0 {
                        let i = hits.trailing_zeros() as usize;
                        hits &= hits - 1;
                        found[i].get_or_insert(parent);
                    }
                }
                generated += b.generated;
                asleep += b.asleep;
                cut |= b.capped;
            }
            if by_shard {
                let decision = decide_by_shard(&workers, &mut visited, &batches);
                for ((parent, s), d) in Batch::with_parents(batches).zip(decision) {
                    if record && d == 2 {
                        first_levels.push((s.fp, level_of(depth)));
                    }
                    if d > 0 {
                        unique += usize::from(d == 2);
                        next.push(&mut nodes, parent, s, d == 2);
                    }
                }
            } else {
                for (parent, s) in Batch::with_parents(batches) {
                    let new_states = limits.max_states.is_none_or(|m| unique < m);
                    match visited.add(s.fp, s.mask, new_states) {
                        Added::Seen => {}
                        Added::Refused => {
                            cut = true;
                            refused_depth.get_or_insert(depth + 1);
                        }
                        Added::New { first } => {
                            if record && first {
                                first_levels.push((s.fp, level_of(depth)));
                            }
                            unique += usize::from(first);
                            next.push(&mut nodes, parent, s, first);
                        }
                    }
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
        level = next.chunks;
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
    let x = Exploration {
        unique_states: unique,
        generated,
        asleep,
        max_depth: depth,
        complete: !cut,
        stopped,
        refused_depth,
        traces,
    };
    (x, first_levels)
}

/// The trace from the initial state to search node `n`, rebuilt from the parent pointers by
/// re-executing each recorded action index.
fn trace_to(model: &ComModel, nodes: &Nodes, mut n: u32) -> Trace {
    let mut path = Vec::new();
    loop {
        let (parent, action) = nodes.get(n);
        if parent == ROOT {
            break;
        }
        path.push(action);
        n = parent;
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
            before.actor_states[usize::from(*id)],
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread's table of recent successors drops exactly the repeats the merge would find
    /// seen: the same key and mask, in the same chunk, from the same parent node or one
    /// before it; not one from a later node (a range taken out of order), of another chunk or
    /// with another mask, each of which it remembers instead.
    #[test]
    fn recent_successors_drop_only_earlier_repeats() {
        let chunk = CHUNK_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fp = 0x0123_4567_89ab_cdef;
        // (chunk, parent node, key, mask), whether it repeats, and why, in the order taken.
        let (a, b) = (chunk, chunk + 1);
        for (c, node, key, mask, repeats, why) in [
            (a, 10, fp, 3, false, "the first"),
            (a, 10, fp, 3, true, "the same node, a later action"),
            (a, 11, fp, 3, true, "a later node"),
            (a, 11, fp, 2, false, "another mask"),
            (a, 11, fp, 3, false, "replaced by the mask-2 one"),
            (a, 7, fp, 3, false, "an earlier node"),
            (a, 9, fp, 3, true, "after node 7's"),
            (b, 12, fp, 3, false, "another chunk"),
            (b, 12, fp ^ 1, 3, false, "another key"),
        ] {
            assert_eq!(
                RecentSuccessors::repeats(c, node, key, mask),
                repeats,
                "{why}"
            );
        }
    }

    /// Nodes cross block boundaries intact.
    #[test]
    fn nodes_keep_their_parent_and_action() {
        let mut nodes = Nodes::default();
        for i in 0..(2 * NODE_BLOCK + 3) as u32 {
            assert_eq!(nodes.push(i.wrapping_sub(1), (i % 65_536) as u16), i);
        }
        assert_eq!(nodes.get(0), (ROOT, 0));
        let n = NODE_BLOCK as u32 + 7;
        assert_eq!(nodes.get(n), (n - 1, (n % 65_536) as u16));
    }
}
