//! The model's type, its states, and reading a state by actor role (clients, the SCM, server
//! slots, the in-process client process, the service host). Properties, traces and the
//! checker read states through these; [`crate::com::system`] builds the model.

use crate::com::actor::{ComState, Step};
use crate::com::client::ClientState;
use crate::com::client::Observations;
use crate::com::config::Config;
use crate::com::inproc::InprocState;
use crate::com::memo::Outcomes;
use crate::com::msg::Msg;
use crate::com::scm::ScmState;
use crate::com::server::ServerState;
use crate::com::service::HostState;
use crate::com::transit::Sent;
use smallvec::SmallVec;
use stateright::actor::{Envelope, Id};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;

pub use crate::com::system::ComModel;

/// The actors a [`SysState`] holds inline: those of up to three clients (three clients, the
/// SCM, three slots; a local scenario has at most [`crate::com::config::MAX_CLIENTS`] clients,
/// the SCM and as many slots, `inproc` one actor, `service` four). A four-client state holds
/// its nine on the heap, so that the states of the runs of at most three clients, which are
/// most of the frontier's memory, stay 120 bytes (the roster's 64 and the messages' 56).
pub const INLINE_ACTORS: usize = 7;

/// The messages in transit a [`SysState`] holds inline: the most any run of at most three
/// clients has (6, counted over every successor of local-sta and local-multi-sta with three
/// clients and of local-multi-sta's largest Wine run; 4 in `service` with three clients). More
/// go to the heap (four clients).
pub const INLINE_MESSAGES: usize = 6;

/// The messages in transit of a [`SysState`]: a sorted multiset of interned messages.
pub type InTransit = SmallVec<[Sent; INLINE_MESSAGES]>;

/// A state of the whole system: every actor's state and the messages in transit. The actors'
/// timers (their enabled internal steps, [`crate::com::actor::ComActor::enabled`]) are a function of their states
/// and are not stored; nothing else varies in this model (no crashes of stateright's kind, no
/// random choices, storage or history).
///
/// Compared with stateright's `ActorModelState`, which [`crate::com::system::reference`] still
/// builds, an actor state carries its hash ([`HashedState`]), computed once by the step that
/// produced it rather than once per successor for every actor, and a message in transit is an
/// interned pointer with its hash ([`Sent`]); a successor copies the inline roster of
/// references to actor states and the inline array of message pointers instead of cloning a
/// vector of actor states, a hash map of messages, a hash set of timers per actor and four
/// vectors that never change (issue 21 §1). Building a successor allocates nothing (up to
/// three clients). The messages were on the heap while a message was a 48-byte envelope
/// (inline, a frontier of states carrying room for messages they did not have took 9 % more
/// memory); as 8-byte pointers, six inline take about what a vector and its heap block took.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SysState {
    /// The actors' states, indexed by actor id ([`Config::client_id`], [`Config::scm_id`],
    /// [`Config::server_id`], [`Config::host_id`]). A shared reference each ([`ActorRef`]),
    /// so that a successor shares every actor state its step did not change.
    pub actor_states: SmallVec<[ActorRef; INLINE_ACTORS]>,
    /// The messages in transit, one entry per copy, sorted by (source, destination, message):
    /// the model's network is unordered and non-duplicating (COM's RPC delivers each call
    /// exactly once; the order between different senders is free), so this sorted multiset is
    /// all there is to it, and equal networks are equal vectors. Each message is interned
    /// ([`Sent`]): 8 bytes, its hash computed once per process.
    pub network: InTransit,
}

impl SysState {
    /// Adds one copy of `e` (a [`Sent`], or an envelope, interned here) to the messages in
    /// transit, keeping them sorted.
    pub fn send(&mut self, e: impl Into<Sent>) {
        let e = e.into();
        let at = self.network.partition_point(|x| *x <= e);
        self.network.insert(at, e);
    }

    /// The position in [`SysState::network`] of a copy of `msg` from `src` to `dst`; `None`
    /// when none is in transit.
    pub fn position(&self, src: Id, dst: Id, msg: &Msg) -> Option<usize> {
        self.network
            .binary_search_by(|e| (e.src, e.dst, &e.msg).cmp(&(src, dst, msg)))
            .ok()
    }
}

/// The fixed keys of the hasher of actor states and of the checker's fingerprints (arbitrary
/// constants, fixed so that every run computes the same hashes).
pub const HASH_KEYS: ahash::RandomState = ahash::RandomState::with_seeds(
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
);

/// An actor state as a [`SysState`] holds it: one of its model's distinct actor states, held
/// once for the rest of the process ([`crate::com::system::ComModel::intern`]). A plain
/// reference, copied without touching a reference count: with `Arc`s, a successor's copy of the
/// roster and its drop wrote seven counters, which the checker's workers share (18 % of
/// local-sta's time with three clients, docs/benchmarks.md).
pub type ActorRef = &'static HashedState;

/// An actor's state as a [`SysState`] holds it: the state, its hash, computed once when the
/// step that produced the state ran (a successor shares the actor states its step did not
/// change, hashes and all), values the checker may cache about the state and its renamed
/// images, the actor's enabled internal steps in it, computed the first time the state is
/// expanded, and the transitions taken from it ([`HashedState::outcomes`]).
///
/// Equal states have equal hashes; `Hash` writes the cached hash only, and `==` compares the
/// hashes before the states. `Debug` shows the state alone.
pub struct HashedState {
    hash: u64,
    memo: OnceLock<[u64; 3]>,
    renamed: OnceLock<Box<[AtomicU64]>>,
    steps: OnceLock<Box<[Step]>>,
    outcomes: Outcomes,
    state: ComState,
}

impl Clone for HashedState {
    /// The same state, hash, memo and steps; [`HashedState::renamed`]'s table and the
    /// transitions taken ([`HashedState::outcomes`]) start empty.
    fn clone(&self) -> Self {
        HashedState {
            hash: self.hash,
            memo: self.memo.clone(),
            renamed: OnceLock::new(),
            steps: self.steps.clone(),
            outcomes: Outcomes::default(),
            state: self.state.clone(),
        }
    }
}

impl HashedState {
    /// `state` with its hash ([`HASH_KEYS`]).
    pub fn new(state: ComState) -> Self {
        HashedState {
            hash: HASH_KEYS.hash_one(&state),
            memo: OnceLock::new(),
            renamed: OnceLock::new(),
            steps: OnceLock::new(),
            outcomes: Outcomes::default(),
            state,
        }
    }

    /// The actor's state.
    pub fn state(&self) -> &ComState {
        &self.state
    }

    /// The state's hash: [`HASH_KEYS`]' hash of [`HashedState::state`].
    pub fn state_hash(&self) -> u64 {
        self.hash
    }

    /// Three values computed from the state alone, once: `f`'s result the first time, the
    /// same numbers afterwards whatever `f` is. One caller owns it (the checker's symmetry
    /// reduction, `verify::symmetry`), which must always pass the same function.
    pub fn memo(&self, f: impl FnOnce(&ComState) -> [u64; 3]) -> [u64; 3] {
        *self.memo.get_or_init(|| f(&self.state))
    }

    /// A table of `len` values the checker may cache about the state's images under renamings,
    /// made the first time it is asked for (0: not cached yet). One caller owns it (the
    /// checker's symmetry reduction, `verify::symmetry`), which indexes it by renaming, always
    /// with the same `len` in one run, and stores in it only functions of the state.
    pub fn renamed(&self, len: usize) -> &[AtomicU64] {
        self.renamed
            .get_or_init(|| (0..len).map(|_| AtomicU64::new(0)).collect())
    }

    /// The actor's enabled internal steps in this state, computed once: `f`'s result the first
    /// time, the same steps afterwards whatever `f` is. One caller owns it
    /// ([`crate::com::actor::ComActor::enabled_in`]), which passes the same function for every
    /// state whose steps depend on the state alone, and does not call this for the others.
    pub fn steps(&self, f: impl FnOnce(&ComState) -> Vec<Step>) -> &[Step] {
        self.steps.get_or_init(|| f(&self.state).into_boxed_slice())
    }

    /// The transitions taken from this state so far, each with its outcome: owned by its
    /// model's memo of transitions ([`crate::com::memo::Transitions`]), which records in it
    /// only what the model's actor does in this state.
    pub fn outcomes(&self) -> &Outcomes {
        &self.outcomes
    }
}

impl Deref for HashedState {
    type Target = ComState;

    fn deref(&self) -> &ComState {
        &self.state
    }
}

impl PartialEq for HashedState {
    fn eq(&self, other: &HashedState) -> bool {
        std::ptr::eq(self, other) || self.hash == other.hash && self.state == other.state
    }
}

impl Eq for HashedState {}

impl Hash for HashedState {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.hash);
    }
}

impl fmt::Debug for HashedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.state.fmt(f)
    }
}

impl From<ComState> for HashedState {
    fn from(state: ComState) -> Self {
        HashedState::new(state)
    }
}

/// The messages in transit in `s`, each copy once: a message sent twice and not yet delivered
/// is yielded twice, in (source, destination, message) order.
pub fn in_transit(s: &SysState) -> impl Iterator<Item = Envelope<&Msg>> {
    s.network.iter().map(|e| e.as_ref())
}

/// The clients' states, in client order.
pub fn clients<'a>(cfg: &Config, s: &'a SysState) -> impl Iterator<Item = &'a ClientState> {
    s.actor_states[..cfg.client_actors()]
        .iter()
        .filter_map(|a| match a.state() {
            ComState::Client(c) => Some(c),
            _ => None,
        })
}

/// The observations of every client actor (local and service clients alike).
pub fn observations<'a>(cfg: &Config, s: &'a SysState) -> impl Iterator<Item = &'a Observations> {
    s.actor_states[..cfg.client_actors()]
        .iter()
        .map(|a| match a.state() {
            ComState::Client(c) => &c.observed,
            ComState::SvcClient(c) => &c.observed,
            _ => unreachable!("actor layout: clients first"),
        })
}

/// The `inproc` scenario's client process, if this is that scenario.
pub fn inproc<'a>(cfg: &Config, s: &'a SysState) -> Option<&'a InprocState> {
    match s.actor_states.get(usize::from(cfg.host_id()))?.state() {
        ComState::Inproc(x) => Some(x),
        _ => None,
    }
}

/// The `service` scenario's host, if this is that scenario.
pub fn host<'a>(cfg: &Config, s: &'a SysState) -> Option<&'a HostState> {
    match s.actor_states.get(usize::from(cfg.host_id()))?.state() {
        ComState::Host(x) => Some(x),
        _ => None,
    }
}

/// The SCM's state.
pub fn scm<'a>(cfg: &Config, s: &'a SysState) -> &'a ScmState {
    match s.actor_states[cfg.clients].state() {
        ComState::Scm(x) => x,
        _ => unreachable!("actor layout: SCM after the clients"),
    }
}

/// The server slots' states, in slot order.
pub fn servers<'a>(cfg: &Config, s: &'a SysState) -> impl Iterator<Item = &'a ServerState> {
    s.actor_states[cfg.clients + 1..]
        .iter()
        .map(|a| match a.state() {
            ComState::Server(x) => x,
            _ => unreachable!("actor layout: server slots last"),
        })
}

/// The state of server slot `slot`.
pub fn server<'a>(cfg: &Config, s: &'a SysState, slot: usize) -> &'a ServerState {
    servers(cfg, s).nth(slot).expect("server slot")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state of a run of at most three clients is the size [`INLINE_ACTORS`] documents (on
    /// 64-bit targets): its actors and its messages inline, nothing on the heap.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_state_holds_its_actors_and_messages_inline() {
        assert_eq!(std::mem::size_of::<SysState>(), 120);
        let network: InTransit = (0..INLINE_MESSAGES)
            .map(|_| Sent::of(Id::from(0), Id::from(1), Msg::Exited))
            .collect();
        assert!(!network.spilled());
    }
}
