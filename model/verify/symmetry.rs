//! Symmetry reduction for the local scenarios and `service`: clients with the same script and
//! server-instance slots the SCM has launched are interchangeable, so the checker explores one
//! state per class of states that differ only by such a permutation ([`Symmetry::key`]).
//!
//! # The permutations
//!
//! A [`Perm`] renames clients (client `i` becomes client `π(i)`) and server slots (slot `j`
//! becomes slot `τ(j)`). Its image of a state ([`permute_state`]) moves every actor's state to
//! its new position and rewrites every client index, slot number and actor id held anywhere:
//! clients' proxies (slots), the SCM's class table and, under Wine, the registrations behind
//! the first (slots), held and forwarded activations (clients, slots), server states (the
//! launching client, the set of clients served, the client of an activation in progress), the
//! messages in transit (source, destination and payload)
//! (the actors' timers are a function of their states, so they move and are renamed with
//! them: the SCM's polls under Wine and its choices under Windows name clients and slots). The
//! SCM's `held`, `forwarded` and `choosing` lists are kept sorted, as the SCM keeps them.
//!
//! A permutation is *allowed* in a state `s` when
//!
//! * it maps every client to a client of the same class (`Config::class_of_client`): clients
//!   with the same script; a client's behaviour depends on its index only through its class
//!   and, under the condition `access-denied-client`, through its access permission
//!   (`Config::access_denied`: client 1 has none), which the permutation keeps too
//!   (the order of clients decides nothing either: where a registration finds several
//!   activations held for a REGCLS_SINGLEUSE class, which one takes the class object is the
//!   SCM's choice, every outcome explored, `ScmStep::Hand`);
//! * it moves only slots the SCM has launched (below its `next_slot`) and fixes the others: the
//!   SCM launches slots in order, and a slot not launched yet is told apart by its number
//!   (`next_slot`, and the user who sits at the first instance). Launched slots are
//!   interchangeable: no state or message compares slot numbers except for equality, and a
//!   server's behaviour depends on its state only (`user_present` is part of that state).
//!
//! The allowed permutations of `s`, applied to `s`, give its class; the allowed permutations
//! of an image are those of `s` composed with the inverse, so every member of a class has the
//! same class. If `σ` is allowed in `s` and `s → s'` by an action, then `σ(s) → σ(s')` by the
//! renamed action, and `σ` is still allowed in `s'` (the clients' renamings depend on the
//! configuration only, and slots are only launched): states of one class are bisimilar, with
//! the same successor classes, the same distance from the classes of the initial state and,
//! because every property reads clients and slots only through "every" and "some"
//! (spec/assumptions.md A-SYMMETRY), the same property values. Exploring one state per class therefore gives the same verdicts and the
//! same shortest trace lengths (tests/symmetry.rs checks this against the unreduced
//! exploration, and that the classes reached are exactly the classes of the reachable states).
//!
//! In `service`, clients of one service are interchangeable in every state (the host tells its
//! callers apart by equality only): [`Symmetry::key`] renames them with the host's callers,
//! the messages and the host's `FinishCall` steps; with two clients (one per service) the run
//! is not reduced. `inproc` is never reduced: its threads run different scripts or live in
//! different apartments, and are held in one actor.
//!
//! # The canonical key
//!
//! [`Symmetry::key`] is a true canonical form up to hash collisions: among the images of the
//! state under its allowed permutations it takes those whose sequence of per-actor signatures
//! (an actor's state with client and slot names erased, which no permutation changes) is
//! lexicographically least, and returns the least fingerprint among them. Every member of a
//! class has the same set of images, hence the same key. The allowed permutations are every
//! pair of an allowed client renaming and a renaming of the launched slots, chosen
//! independently, and the sequence lists the clients' signatures before the slots', so the
//! least sequences are found for each kind of name apart: at most 2 × 4! sequences per state
//! with four clients, not 4! × 4!, and the images fingerprinted are the pairs of the least
//! renamings of each kind (usually one). The state stored for a class is the
//! first member the breadth-first search reached (a concrete state: traces stay executions of
//! the unreduced model).
//!
//! stateright's `Representative`/`Rewrite` do not fit: `Representative` for `ActorModelState`
//! sorts all actors (clients, SCM and servers alike), and `Rewrite<Id>` rewrites actor ids
//! only, through a plan whose state a message cannot see, while our messages and states hold
//! client indices and slot numbers that must be renamed with the configuration's id layout.

use crate::com::actor::ComState;
use crate::com::client::ClientState;
use crate::com::config::{Clsid, Config, MAX_CLIENTS};
use crate::com::msg::{ActKind, Msg};
use crate::com::scenario::Scenario;
use crate::com::scm::{Activation, Choosing, ClassEntry, ScmState};
use crate::com::server::{AptWork, Queued, ServerState};
use crate::com::service::HostState;
use crate::com::state::{ComModel, InTransit, SysState, HASH_KEYS};
use crate::com::transit::Sent;
use stateright::actor::{Envelope, Id};
use std::borrow::Cow;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// A renaming of clients and server slots: client `i` becomes `clients[i]`, slot `j` becomes
/// `slots[j]` (entries beyond the configuration's clients and slots are unused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Perm {
    /// Image of each client index.
    pub clients: [u8; MAX_CLIENTS],
    /// Image of each slot number.
    pub slots: [u8; MAX_CLIENTS],
}

/// The identity on `0..MAX_CLIENTS`.
const IDENTITY: [u8; MAX_CLIENTS] = {
    let mut out = [0; MAX_CLIENTS];
    let mut i = 0;
    while i < MAX_CLIENTS {
        out[i] = i as u8;
        i += 1;
    }
    out
};

impl Perm {
    /// The permutation that renames nothing.
    pub const IDENTITY: Perm = Perm {
        clients: IDENTITY,
        slots: IDENTITY,
    };

    /// The image of client index `i`.
    pub fn client(&self, i: u8) -> u8 {
        self.clients[i as usize]
    }

    /// The image of slot number `s`.
    pub fn slot(&self, s: u8) -> u8 {
        self.slots[s as usize]
    }

    /// The image of actor id `id` under the id layout of `cfg` (clients, SCM, slots).
    pub fn id(&self, cfg: &Config, id: Id) -> Id {
        if let Some(c) = cfg.client_of(id) {
            cfg.client_id(self.client(c as u8) as usize)
        } else if let Some(s) = cfg.slot_of(id) {
            cfg.server_id(self.slot(s as u8) as usize)
        } else {
            id
        }
    }

    /// The actor index whose state moves to position `pos` (the inverse image).
    fn source(&self, cfg: &Config, pos: usize) -> usize {
        let n = cfg.clients;
        if pos < n {
            (0..n)
                .find(|&i| self.clients[i] as usize == pos)
                .expect("a permutation")
        } else if pos > n && pos <= n + cfg.slots() {
            n + 1
                + (0..cfg.slots())
                    .find(|&j| self.slots[j] as usize == pos - n - 1)
                    .expect("a permutation")
        } else {
            pos
        }
    }
}

/// Most permutations of one kind of name: `MAX_CLIENTS!`.
const MAX_RENAMINGS: usize = factorial(MAX_CLIENTS);

/// Every permutation of `0..n` (n ≤ [`MAX_CLIENTS`]), in lexicographic order (identity first),
/// as arrays whose entries beyond `n` are fixed.
fn permutations(n: usize) -> &'static [[u8; MAX_CLIENTS]] {
    static TABLE: std::sync::LazyLock<Vec<Vec<[u8; MAX_CLIENTS]>>> =
        std::sync::LazyLock::new(|| {
            (0..=MAX_CLIENTS)
                .map(|n| {
                    let mut out = Vec::new();
                    let mut p = IDENTITY;
                    loop {
                        out.push(p);
                        // The next permutation of p[..n] in lexicographic order.
                        let Some(i) = (1..n).rev().find(|&i| p[i - 1] < p[i]) else {
                            break;
                        };
                        let j = (i..n)
                            .rev()
                            .find(|&j| p[j] > p[i - 1])
                            .expect("a larger entry");
                        p.swap(i - 1, j);
                        p[i..n].reverse();
                    }
                    out
                })
                .collect()
        });
    assert!(n <= MAX_CLIENTS, "at most {MAX_CLIENTS} clients");
    &TABLE[n]
}

/// A client's state with its slot references renamed.
pub fn client_image(c: &ClientState, p: &Perm) -> ClientState {
    ClientState {
        factory: c.factory.map(|s| p.slot(s)),
        object: c.object.map(|(s, o)| (p.slot(s), o)),
        second: c.second.map(|(s, o)| (p.slot(s), o)),
        ..c.clone()
    }
}

/// An activation with its client renamed.
fn activation_image(a: &Activation, p: &Perm) -> Activation {
    Activation {
        client: p.client(a.client),
        ..*a
    }
}

/// A class-table entry with its slot renamed.
fn entry_image(e: ClassEntry, p: &Perm) -> ClassEntry {
    match e {
        ClassEntry::Unknown => ClassEntry::Unknown,
        ClassEntry::Starting(s) => ClassEntry::Starting(p.slot(s)),
        ClassEntry::Registered(s) => ClassEntry::Registered(p.slot(s)),
    }
}

/// The SCM's state with clients and slots renamed (held and forwarded activations re-sorted,
/// as the SCM keeps them).
pub fn scm_image(x: &ScmState, p: &Perm) -> ScmState {
    let mut held: Vec<Activation> = x.held.iter().map(|a| activation_image(a, p)).collect();
    held.sort();
    let mut forwarded: Vec<(Activation, u8)> = x
        .forwarded
        .iter()
        .map(|(a, s)| (activation_image(a, p), p.slot(*s)))
        .collect();
    forwarded.sort();
    ScmState {
        classes: x.classes.iter().map(|e| entry_image(*e, p)).collect(),
        next_slot: x.next_slot,
        held,
        forwarded,
        relaunch_served: x.relaunch_served,
        choosing: choosing_image(x, p),
        pending: pending_image(x, p),
        backups: backups_image(x, p),
    }
}

/// Wine's registrations behind the first, with their slots renamed, in rpcss's list order
/// (which a renaming keeps: it is the order the instances registered in).
fn backups_image(x: &ScmState, p: &Perm) -> Vec<(crate::com::config::Clsid, u8)> {
    x.backups.iter().map(|(c, s)| (*c, p.slot(*s))).collect()
}

/// The registrations waiting for the SCM's choice, with their slots renamed and re-sorted.
fn choosing_image(x: &ScmState, p: &Perm) -> Vec<Choosing> {
    let mut out: Vec<Choosing> = x
        .choosing
        .iter()
        .map(|r| Choosing {
            slot: p.slot(r.slot),
            ..r.clone()
        })
        .collect();
    out.sort();
    out
}

/// The SCM's expected registrations per slot, moved to the slots' images.
fn pending_image(x: &ScmState, p: &Perm) -> smallvec::SmallVec<[u8; 4]> {
    let mut out = x.pending.clone();
    for (j, m) in x.pending.iter().enumerate() {
        out[slot_image(p, j)] = *m;
    }
    out
}

/// The image of slot `j` under `p` (slots beyond the permuted ones stay).
fn slot_image(p: &Perm, j: usize) -> usize {
    if j < MAX_CLIENTS {
        p.slot(j as u8) as usize
    } else {
        j
    }
}

/// A set of clients (bit = index) renamed.
fn client_set_image(set: u8, p: &Perm) -> u8 {
    (0..MAX_CLIENTS as u8)
        .filter(|i| set >> i & 1 == 1)
        .fold(0, |acc, i| acc | 1 << p.client(i))
}

/// An apartment's work with its client renamed.
fn work_image(w: AptWork, p: &Perm) -> AptWork {
    match w {
        AptWork::Activating {
            client,
            clsid,
            kind,
        } => AptWork::Activating {
            client: p.client(client),
            clsid,
            kind,
        },
        other => other,
    }
}

/// A queued message with its caller and client indices renamed.
fn queued_image(cfg: &Config, q: &Queued, p: &Perm) -> Queued {
    match q {
        Queued::Call { from, msg } => Queued::Call {
            from: p.id(cfg, *from),
            msg: msg_image(msg, p).into_owned(),
        },
        Queued::Quit => Queued::Quit,
    }
}

/// The running activations with their clients renamed, sorted as the server keeps them.
fn rpc_image(v: &ServerState, p: &Perm) -> Vec<(u8, Clsid, ActKind)> {
    let mut r: Vec<_> = v
        .rpc_activations
        .iter()
        .map(|(c, clsid, kind)| (p.client(*c), *clsid, *kind))
        .collect();
    r.sort();
    r
}

/// A server slot's state with its client references renamed.
pub fn server_image(cfg: &Config, v: &ServerState, p: &Perm) -> ServerState {
    let mut v = v.clone();
    v.launched_for = v.launched_for.map(|c| p.client(c));
    v.served = client_set_image(v.served, p);
    for a in v.apartments.iter_mut() {
        a.work = work_image(a.work, p);
    }
    for q in v.queues.iter_mut() {
        for m in q.iter_mut() {
            *m = queued_image(cfg, m, p);
        }
    }
    v.rpc_activations = rpc_image(&v, p);
    v
}

/// A message with its client indices and slot numbers renamed (borrowed when it holds none).
pub fn msg_image<'a>(m: &'a Msg, p: &Perm) -> Cow<'a, Msg> {
    Cow::Owned(match m {
        Msg::ActivationResult {
            hr,
            server: Some(s),
            obj,
        } => Msg::ActivationResult {
            hr: *hr,
            server: Some(p.slot(*s)),
            obj: *obj,
        },
        Msg::Launch { client } => Msg::Launch {
            client: p.client(*client),
        },
        Msg::Activate {
            client,
            clsid,
            kind,
        } => Msg::Activate {
            client: p.client(*client),
            clsid: *clsid,
            kind: *kind,
        },
        Msg::Activated {
            client,
            clsid,
            kind,
            hr,
            obj,
        } => Msg::Activated {
            client: p.client(*client),
            clsid: *clsid,
            kind: *kind,
            hr: *hr,
            obj: *obj,
        },
        _ => return Cow::Borrowed(m),
    })
}

/// The messages in transit in `s` renamed by `p`: source, destination and payload.
fn network_image(cfg: &Config, s: &SysState, p: &Perm) -> InTransit {
    let mut out: InTransit = crate::com::state::in_transit(s)
        .map(|e| {
            Sent::of(
                p.id(cfg, e.src),
                p.id(cfg, e.dst),
                msg_image(e.msg, p).into_owned(),
            )
        })
        .collect();
    out.sort_unstable();
    out
}

/// The image of a whole state of a local scenario or of `service` under `p`: actor states
/// moved and renamed, messages and timers moved and renamed. The renamed actor states are
/// `model`'s ([`ComModel::intern`]).
///
/// # Panics
/// When `s` is not a state of a local scenario or of `service` of `model`'s configuration.
pub fn permute_state(model: &ComModel, s: &SysState, p: &Perm) -> SysState {
    let cfg = &model.cfg;
    if cfg.scenario == Scenario::Service {
        return permute_service_state(model, s, p);
    }
    let n = s.actor_states.len();
    let image = |a: &ComState| -> ComState {
        match a {
            ComState::Client(c) => ComState::Client(client_image(c, p)),
            ComState::Scm(x) => ComState::Scm(scm_image(x, p)),
            ComState::Server(v) => ComState::Server(server_image(cfg, v, p)),
            _ => panic!("a local scenario's actor"),
        }
    };
    let from: Vec<usize> = (0..n).map(|pos| p.source(cfg, pos)).collect();
    let network = network_image(cfg, s, p);
    let mut out = s.clone();
    out.actor_states = from
        .iter()
        .map(|&i| model.intern(image(s.actor_states[i])))
        .collect();
    out.network = network;
    out
}

/// Every renaming of the clients and of the server slots of a local scenario's configuration,
/// allowed or not (for tests: properties must not tell any of the images apart).
pub fn all_perms(cfg: &Config) -> Vec<Perm> {
    let mut out = Vec::new();
    for slots in permutations(cfg.slots()) {
        for clients in permutations(cfg.clients) {
            out.push(Perm {
                clients: *clients,
                slots: *slots,
            });
        }
    }
    out
}

/// How the search tells states apart: by the canonical key of their class
/// ([`Symmetry::key`]) or, without reduction, by their own fingerprint.
#[derive(Clone, Debug)]
pub struct Symmetry {
    cfg: Config,
    reduce: bool,
    /// The allowed renamings of the clients: computed once, since they depend on the
    /// configuration only ([`Symmetry::allowed_in`]).
    clients: Renamings,
    /// The renamings of the slots, by how many slots the SCM has launched (0 to
    /// [`MAX_CLIENTS`]).
    slots_by_launched: Arc<[Renamings]>,
    /// The number of renamings of the clients and slots (n! × slots!) when each actor state
    /// caches the hashes of its images under them
    /// ([`crate::com::state::HashedState::renamed`]); 0 when that table would be larger than
    /// [`CACHED_RENAMINGS`] (four clients), and images are hashed each time.
    cached: usize,
    /// Where this run's id layout starts in each message's table of image hashes
    /// ([`layout_offset`]); `None` when messages' images are hashed each time.
    messages: Option<usize>,
    /// The number of renamings of the configuration's slots (slots!): the stride of the
    /// client rank in a renaming's cache index ([`Allowed::ranked`]).
    slot_renamings: usize,
    /// This reduction's own tag in the threads' memos of keys ([`RecentKeys`]), distinct for
    /// every [`Symmetry::new`] of the process: runs checked on one thread (the matrix's runs
    /// share the workers) never read each other's keys.
    salt: u64,
}

/// The keys a thread computed last ([`Symmetry::key`]), in a direct-mapped table of
/// [`RECENT_KEYS`] entries: a state's fingerprint, tagged with its reduction's salt, and its
/// class's key. A pure memo of a pure function: a hit returns the key the computation would
/// return, so counts, verdicts and traces do not depend on it, only the time does. Its one
/// risk is a false hit, two tagged fingerprints equal for states of different classes: about
/// 2⁻⁶⁴ per lookup (one pair compared), under 10⁻¹¹ for a run of 10⁸ lookups, far below the
/// visited set's collision bound that each run prints. Measured on local-sta with three
/// clients: 61 % of the lookups hit with 1 024 entries, 64 % with 4 096, 66 % with 262 144
/// (docs/benchmarks.md).
struct RecentKeys;

/// The entries of each thread's [`RecentKeys`]: 4 096 (64 KiB), a power of two.
const RECENT_KEYS: usize = 1 << 12;

thread_local! {
    /// This thread's [`RecentKeys`]: (tagged fingerprint, key) pairs; a tag of 0 is never
    /// stored, so the empty entries match nothing.
    static RECENT: std::cell::RefCell<Box<[(u64, u64)]>> =
        std::cell::RefCell::new(vec![(0, 0); RECENT_KEYS].into_boxed_slice());
}

impl RecentKeys {
    /// The key memoised for `tag`, else `key()`, memoised first (over whatever its entry
    /// held). `key` runs outside the table's borrow.
    fn get_or_insert(tag: u64, key: impl FnOnce() -> u64) -> u64 {
        if tag == 0 {
            return key();
        }
        let at = tag as usize & (RECENT_KEYS - 1);
        if let Some(k) = RECENT.with(|r| {
            let (t, k) = r.borrow()[at];
            (t == tag).then_some(k)
        }) {
            return k;
        }
        let k = key();
        RECENT.with(|r| r.borrow_mut()[at] = (tag, k));
        k
    }
}

/// The next [`Symmetry::salt`]'s seed: a count of the reductions made in this process.
static SALTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The most renamings whose image hashes an actor state caches: 3! × 3!, three clients.
const CACHED_RENAMINGS: usize = 36;

/// The id layouts whose renamings a message caches the image hashes of: `n` clients and `m`
/// slots with `n! × m!` at most [`CACHED_RENAMINGS`] (1 to 3 each), one after the other.
const LAYOUTS: [(usize, usize); 9] = [
    (1, 1),
    (1, 2),
    (1, 3),
    (2, 1),
    (2, 2),
    (2, 3),
    (3, 1),
    (3, 2),
    (3, 3),
];

/// The length of a message's table of image hashes ([`crate::com::transit::Sent::renamed`]):
/// every renaming of every layout in [`LAYOUTS`], 81.
const MESSAGE_RENAMINGS: usize = {
    let mut total = 0;
    let mut i = 0;
    while i < LAYOUTS.len() {
        total += factorial(LAYOUTS[i].0) * factorial(LAYOUTS[i].1);
        i += 1;
    }
    total
};

/// `n!`.
const fn factorial(n: usize) -> usize {
    let mut f = 1;
    let mut i = 2;
    while i <= n {
        f *= i;
        i += 1;
    }
    f
}

/// Where the renamings of `n` clients and `m` slots start in a message's table of image
/// hashes; `None` for a layout not in [`LAYOUTS`] (its messages' images are hashed each time).
fn layout_offset(n: usize, m: usize) -> Option<usize> {
    let at = LAYOUTS.iter().position(|&l| l == (n, m))?;
    Some(
        LAYOUTS[..at]
            .iter()
            .map(|&(n, m)| factorial(n) * factorial(m))
            .sum(),
    )
}

/// The rank of the permutation `p` of `0..p.len()` in lexicographic order (its Lehmer code),
/// below `p.len()!`.
fn rank(p: &[u8]) -> usize {
    (0..p.len()).fold(0, |r, i| {
        let smaller = p[i + 1..].iter().filter(|&&x| x < p[i]).count();
        r * (p.len() - i) + smaller
    })
}

/// The pieces of a local state the key is computed from (fixed-size: no allocation).
struct Parts<'a> {
    /// The clients' states, `None` beyond the configuration's clients.
    clients: [Option<&'a ClientState>; MAX_CLIENTS],
    /// Per client, the hash of its state with its slot numbers erased ([`client_erased`]):
    /// cached with the client's state.
    erased: [u64; MAX_CLIENTS],
    scm: &'a ScmState,
    /// The slots' states, `None` beyond the configuration's slots.
    servers: [Option<&'a ServerState>; MAX_CLIENTS],
    /// Per slot, the hash of its state's fields that no renaming touches
    /// ([`hash_server_fixed`]): cached with the slot's state.
    fixed: [u64; MAX_CLIENTS],
    /// Per slot, its state's [`server_signature`] (0 beyond the configuration's slots): cached
    /// with the slot's state.
    signature: [u64; MAX_CLIENTS],
    /// Per actor position (clients, the SCM, slots), the hash of its state's image under the
    /// identity ([`hash_client_image`], [`hash_scm_image`], [`hash_server_image`]): cached
    /// with the actor's state, so that the identity's image, the only one of most states and
    /// the least of many, is fingerprinted without hashing any actor again.
    identity: [u64; ACTORS],
}

/// Most actors of a local scenario: clients, the SCM, slots.
const ACTORS: usize = 2 * MAX_CLIENTS + 1;

/// A list of permutations of one kind of name without allocation: at most `MAX_CLIENTS!`,
/// each with its rank among the permutations of the configuration's names of that kind (the
/// index of its images' hashes in the caches, [`Symmetry::image_fingerprint`]).
#[derive(Clone, Copy, Debug)]
struct Renamings {
    list: [[u8; MAX_CLIENTS]; MAX_RENAMINGS],
    ranks: [u8; MAX_RENAMINGS],
    len: usize,
}

impl Renamings {
    fn new() -> Self {
        Renamings {
            list: [IDENTITY; MAX_RENAMINGS],
            ranks: [0; MAX_RENAMINGS],
            len: 0,
        }
    }

    /// Adds `p`, a permutation of `0..names` (fixed beyond), with its rank.
    fn push(&mut self, p: [u8; MAX_CLIENTS], names: usize) {
        self.push_ranked(p, rank(&p[..names]) as u8);
    }

    fn push_ranked(&mut self, p: [u8; MAX_CLIENTS], rank: u8) {
        self.list[self.len] = p;
        self.ranks[self.len] = rank;
        self.len += 1;
    }

    fn as_slice(&self) -> &[[u8; MAX_CLIENTS]] {
        &self.list[..self.len]
    }

    /// Those renamings whose `seq` is least.
    /// One pass: each renaming's `seq` is computed once.
    fn least_by(&self, seq: impl Fn(&[u8; MAX_CLIENTS]) -> [u64; MAX_CLIENTS]) -> Renamings {
        let mut out = Renamings::new();
        let mut least = [u64::MAX; MAX_CLIENTS];
        for (p, &r) in self.as_slice().iter().zip(&self.ranks) {
            let s = seq(p);
            match s.cmp(&least) {
                std::cmp::Ordering::Less => {
                    least = s;
                    out.len = 0;
                    out.push_ranked(*p, r);
                }
                std::cmp::Ordering::Equal => out.push_ranked(*p, r),
                std::cmp::Ordering::Greater => {}
            }
        }
        assert!(out.len > 0, "the identity is allowed");
        out
    }
}

/// The allowed permutations of a state: every pair of an allowed renaming of the clients and
/// one of the slots (the two are chosen independently).
struct Allowed {
    clients: Renamings,
    slots: Renamings,
}

impl Allowed {
    /// Every allowed permutation, identity first.
    fn perms(&self) -> impl Iterator<Item = Perm> + '_ {
        self.ranked(1).map(|(p, _)| p)
    }

    /// Every allowed permutation, identity first, with its index among the `slot_renamings`
    /// × `clients!` renamings of the configuration (client rank × `slot_renamings` + slot
    /// rank).
    fn ranked(&self, slot_renamings: usize) -> impl Iterator<Item = (Perm, usize)> + '_ {
        let clients = self.clients.as_slice().iter().zip(&self.clients.ranks);
        clients.flat_map(move |(c, &cr)| {
            let slots = self.slots.as_slice().iter().zip(&self.slots.ranks);
            slots.map(move |(s, &sr)| {
                let p = Perm {
                    clients: *c,
                    slots: *s,
                };
                (p, usize::from(cr) * slot_renamings + usize::from(sr))
            })
        })
    }
}

impl Symmetry {
    /// Reduction by the allowed permutations when `reduce` is true and the scenario is a local
    /// one, or `service` with two clients of one service (`inproc` is never reduced);
    /// otherwise every state is its own class.
    pub fn new(cfg: Config, reduce: bool) -> Self {
        let service_pair = cfg.scenario == Scenario::Service
            && (0..cfg.clients)
                .any(|i| (0..i).any(|j| cfg.class_of_client(i) == cfg.class_of_client(j)));
        let n = cfg.clients;
        let mut clients = Renamings::new();
        for pi in permutations(n) {
            if (0..n).all(|i| {
                cfg.class_of_client(i) == cfg.class_of_client(pi[i] as usize)
                    && cfg.access_denied(i as u8) == cfg.access_denied(pi[i])
            }) {
                clients.push(*pi, n);
            }
        }
        let slots_by_launched = (0..=MAX_CLIENTS)
            .map(|launched| {
                let mut slots = Renamings::new();
                for tau in permutations(launched) {
                    // Ranked among the permutations of the configuration's slots (a table for
                    // more launched slots than configured is never read).
                    slots.push(*tau, cfg.slots().max(launched));
                }
                slots
            })
            .collect();
        let renamings = permutations(n).len() * permutations(cfg.slots()).len();
        Symmetry {
            cfg,
            reduce: reduce && cfg.clients > 1 && (cfg.scenario.is_local() || service_pair),
            clients,
            slots_by_launched,
            cached: if renamings <= CACHED_RENAMINGS {
                renamings
            } else {
                0
            },
            messages: layout_offset(n, cfg.slots()),
            slot_renamings: permutations(cfg.slots()).len(),
            // A count, spread over the 64 bits (SplitMix64's finaliser), so that fingerprints
            // tagged by different reductions stay apart.
            salt: {
                let mut z = SALTS
                    .fetch_add(1, Ordering::Relaxed)
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15);
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^ (z >> 31)
            },
        }
    }

    /// Whether states are reduced.
    pub fn reduces(&self) -> bool {
        self.reduce
    }

    /// The key the search identifies `s` by: without reduction its fingerprint
    /// ([`crate::verify::search::fingerprint`]); with reduction the canonical key of its class (see the
    /// module documentation), equal for two states exactly when they are images of each other
    /// under an allowed permutation, up to 64-bit hash collisions.
    ///
    /// With reduction the key is first looked up in this thread's memo of the keys it
    /// computed last (`RecentKeys`), by the state's fingerprint: most successors a search
    /// generates are states it generated a moment before (the two orders of two independent
    /// steps lead to one state), and the canonical key costs several times the fingerprint.
    pub fn key(&self, s: &SysState) -> u64 {
        let fp = crate::verify::search::fingerprint(s);
        if !self.reduce {
            return fp;
        }
        RecentKeys::get_or_insert(fp ^ self.salt, || self.class_key(s))
    }

    /// The canonical key of `s`'s class, computed ([`Symmetry::key`] without its memo).
    fn class_key(&self, s: &SysState) -> u64 {
        if self.cfg.scenario == Scenario::Service {
            return self.service_key(s);
        }
        let parts = self.parts(s);
        let allowed = self.allowed_in(&parts);
        if allowed.clients.len == 1 && allowed.slots.len == 1 {
            return self.image_fingerprint(s, &parts, &Perm::IDENTITY, 0);
        }
        // Signatures: what no permutation changes.
        let ssig = parts.signature;
        let csig: [u64; MAX_CLIENTS] = std::array::from_fn(|i| {
            parts.clients[i].map_or(0, |c| client_signature(c, parts.erased[i], &ssig))
        });
        // The signatures in image order: the least sequence of client signatures followed by
        // slot signatures is the least client part followed by the least slot part, since the
        // two renamings are chosen independently.
        let placed = |sig: &[u64; MAX_CLIENTS], n: usize, p: &[u8; MAX_CLIENTS]| {
            let mut out = [0; MAX_CLIENTS];
            for i in 0..n {
                out[p[i] as usize] = sig[i];
            }
            out
        };
        let least = Allowed {
            clients: allowed
                .clients
                .least_by(|p| placed(&csig, self.cfg.clients, p)),
            slots: allowed
                .slots
                .least_by(|p| placed(&ssig, self.cfg.slots(), p)),
        };
        least
            .ranked(self.slot_renamings)
            .map(|(p, index)| self.image_fingerprint(s, &parts, &p, index))
            .min()
            .expect("a least image")
    }

    fn parts<'a>(&self, s: &'a SysState) -> Parts<'a> {
        let mut clients = [None; MAX_CLIENTS];
        let mut erased = [0; MAX_CLIENTS];
        let mut scm = None;
        let mut servers = [None; MAX_CLIENTS];
        let mut fixed = [0; MAX_CLIENTS];
        let mut signature = [0; MAX_CLIENTS];
        let mut identity = [0; ACTORS];
        let (mut c, mut v) = (0, 0);
        let id = &Perm::IDENTITY;
        // The memo of an actor's state is owned here: always the same function of the state
        // for each kind of actor (a client's erased hash and the hash of its identity image;
        // the SCM's identity image; a slot's fixed hash, identity image and signature).
        for (pos, a) in s.actor_states.iter().enumerate() {
            match a.state() {
                ComState::Client(x) => {
                    clients[c] = Some(x);
                    [erased[c], identity[pos], _] = a.memo(|_| {
                        let erased = client_erased(x);
                        [erased, hash_client_image(x, erased, id), 0]
                    });
                    c += 1;
                }
                ComState::Scm(x) => {
                    scm = Some(x);
                    identity[pos] = a.memo(|_| [hash_scm_image(x, id), 0, 0])[0];
                }
                ComState::Server(x) => {
                    servers[v] = Some(x);
                    [fixed[v], identity[pos], signature[v]] = a.memo(|_| {
                        let fixed = server_fixed(x);
                        [
                            fixed,
                            hash_server_image(&self.cfg, x, fixed, id),
                            server_signature(&self.cfg, x, fixed),
                        ]
                    });
                    v += 1;
                }
                _ => unreachable!("a local scenario's actor"),
            }
        }
        Parts {
            clients,
            erased,
            scm: scm.expect("the SCM"),
            servers,
            fixed,
            signature,
            identity,
        }
    }

    /// The permutations allowed in `s` (see the module documentation), identity first; only
    /// the identity when states are not reduced.
    pub fn allowed(&self, s: &SysState) -> Vec<Perm> {
        if !self.reduce {
            return vec![Perm::IDENTITY];
        }
        if self.cfg.scenario == Scenario::Service {
            return self.service_perms().perms().collect();
        }
        self.allowed_in(&self.parts(s)).perms().collect()
    }

    /// A renaming of the clients is allowed when it maps each client to one of its class and
    /// permission; every renaming of the launched slots is (the module documentation says why).
    /// Both are looked up in the tables [`Symmetry::new`] made.
    fn allowed_in(&self, parts: &Parts) -> Allowed {
        Allowed {
            clients: self.clients,
            slots: self.slots_by_launched[parts.scm.next_slot as usize],
        }
    }

    /// The fingerprint of the image of `s` under `p`, computed without building the image:
    /// the hashes of the actors' image states in position order, the commutative sum of the
    /// image messages' hashes, the actors' timer sums in position order and the crash flags.
    /// `index` is `p`'s index in the caches of image hashes ([`Allowed::ranked`]).
    fn image_fingerprint(&self, s: &SysState, parts: &Parts, p: &Perm, index: usize) -> u64 {
        let keys = &crate::verify::search::FP_KEYS;
        let cfg = &self.cfg;
        let n = cfg.clients;
        let slots = cfg.slots();
        let actors = n + 1 + slots;
        if *p == Perm::IDENTITY {
            // The same hashes as below, cached: an actor's identity image is its state, a
            // message's is itself.
            let net = s
                .network
                .iter()
                .map(|e| e.envelope_hash())
                .fold(0u64, u64::wrapping_add);
            let mut h = keys.build_hasher();
            for x in &parts.identity[..actors] {
                h.write_u64(*x);
            }
            h.write_u64(net);
            return h.finish();
        }
        // Each actor's image hash, cached with its state under `p`'s index where the table is
        // small enough: an actor state is shared by every system state that holds it.
        let index = (self.cached > 0).then_some(index);
        let image = |pos: usize, hash: &dyn Fn() -> u64| -> u64 {
            let Some(index) = index else { return hash() };
            let table = s.actor_states[pos].renamed(self.cached);
            match table[index].load(Ordering::Relaxed) {
                0 => {
                    let h = hash();
                    table[index].store(h, Ordering::Relaxed);
                    h
                }
                h => h,
            }
        };
        let mut actor = [0u64; ACTORS];
        for (i, c) in parts.clients.iter().enumerate() {
            let Some(c) = c else { break };
            let pos = p.client(i as u8) as usize;
            actor[pos] = image(i, &|| hash_client_image(c, parts.erased[i], p));
        }
        actor[n] = image(n, &|| hash_scm_image(parts.scm, p));
        for (j, v) in parts.servers.iter().enumerate() {
            let Some(v) = v else { break };
            let pos = n + 1 + p.slot(j as u8) as usize;
            actor[pos] = image(n + 1 + j, &|| {
                hash_server_image(&self.cfg, v, parts.fixed[j], p)
            });
        }
        // Each message's image hash, cached with the (process-wide) message under its id
        // layout's and `p`'s index.
        let net_index = index.and_then(|index| Some(self.messages? + index));
        let net = s
            .network
            .iter()
            .map(|&e| {
                let hash = || {
                    keys.hash_one(Envelope {
                        src: p.id(cfg, e.src),
                        dst: p.id(cfg, e.dst),
                        msg: msg_image(&e.msg, p),
                    })
                };
                let Some(index) = net_index else {
                    return hash();
                };
                let table = e.renamed(MESSAGE_RENAMINGS);
                match table[index].load(Ordering::Relaxed) {
                    0 => {
                        let h = hash();
                        table[index].store(h, Ordering::Relaxed);
                        h
                    }
                    h => h,
                }
            })
            .fold(0u64, u64::wrapping_add);
        let mut h = keys.build_hasher();
        for x in &actor[..actors] {
            h.write_u64(*x);
        }
        h.write_u64(net);
        h.finish()
    }
}

impl Symmetry {
    /// The renamings of a `service` run: every permutation of the clients that maps each to a
    /// client of the same service (the host keeps no order among clients: it tells them apart
    /// by equality only), in every state.
    fn service_perms(&self) -> Allowed {
        let cfg = &self.cfg;
        let n = cfg.clients;
        let mut clients = Renamings::new();
        for pi in permutations(n) {
            if (0..n).all(|i| cfg.class_of_client(i) == cfg.class_of_client(pi[i] as usize)) {
                clients.push(*pi, n);
            }
        }
        let mut slots = Renamings::new();
        slots.push(IDENTITY, 0);
        Allowed { clients, slots }
    }

    /// [`Symmetry::key`] of a `service` state: among the images under the allowed renamings,
    /// those whose sequence of client states (which hold no client names) is least, and among
    /// them the least fingerprint.
    fn service_key(&self, s: &SysState) -> u64 {
        let n = self.cfg.clients;
        let csig: [u64; MAX_CLIENTS] = std::array::from_fn(|i| {
            s.actor_states
                .get(i)
                .filter(|_| i < n)
                .map_or(0, |a| a.state_hash())
        });
        let allowed = self.service_perms();
        let least = Allowed {
            clients: allowed.clients.least_by(|p| {
                let mut out = [0; MAX_CLIENTS];
                for i in 0..n {
                    out[p[i] as usize] = csig[i];
                }
                out
            }),
            slots: allowed.slots,
        };
        least
            .perms()
            .map(|p| {
                if p == Perm::IDENTITY {
                    crate::verify::search::fingerprint(s)
                } else {
                    service_image_fingerprint(&self.cfg, s, &p)
                }
            })
            .min()
            .expect("a least image")
    }
}

/// The service host's state with its client references (the callers of executing calls)
/// renamed; the calls keep their order (the order they arrived in).
pub fn host_image(h: &HostState, p: &Perm) -> HostState {
    let mut h = h.clone();
    for e in h.executing.iter_mut() {
        e.client = p.client(e.client);
    }
    h
}

/// The image of a `service` state under `p`: client states moved, the host's callers, the
/// messages' client ids and indices and the host's `FinishCall` timers renamed.
fn permute_service_state(model: &ComModel, s: &SysState, p: &Perm) -> SysState {
    let cfg = &model.cfg;
    let n = s.actor_states.len();
    let mut out = s.clone();
    out.actor_states = (0..n)
        .map(|pos| {
            let a = s.actor_states[p.source(cfg, pos)];
            match a.state() {
                ComState::Host(h) => model.intern(ComState::Host(host_image(h, p))),
                _ => a,
            }
        })
        .collect();
    out.network = network_image(cfg, s, p);
    out
}

/// The [`fingerprint`](crate::verify::search::fingerprint) of `permute_service_state`'s image
/// of `s` under `p`, computed from the parts' hashes without building the image's actor states.
fn service_image_fingerprint(cfg: &Config, s: &SysState, p: &Perm) -> u64 {
    let hashes = (0..s.actor_states.len()).map(|pos| {
        let a = s.actor_states[p.source(cfg, pos)];
        match a.state() {
            ComState::Host(h) => HASH_KEYS.hash_one(ComState::Host(host_image(h, p))),
            _ => a.state_hash(),
        }
    });
    let net = network_image(cfg, s, p)
        .iter()
        .map(|e| e.envelope_hash())
        .fold(0, u64::wrapping_add);
    crate::verify::search::fingerprint_of(hashes, net)
}

/// Hash of the SCM's image under `p`, without allocating for the common short lists.
fn hash_scm_image(x: &ScmState, p: &Perm) -> u64 {
    let mut h = crate::verify::search::FP_KEYS.build_hasher();
    h.write_usize(x.classes.len());
    for e in &x.classes {
        entry_image(*e, p).hash(&mut h);
    }
    x.next_slot.hash(&mut h);
    let mut held = [None; MAX_CLIENTS + 1];
    let mut forwarded = [None; MAX_CLIENTS + 1];
    if x.held.len() <= MAX_CLIENTS && x.forwarded.len() <= MAX_CLIENTS {
        for (slot, a) in held.iter_mut().zip(&x.held) {
            *slot = Some(activation_image(a, p));
        }
        for (slot, (a, s)) in forwarded.iter_mut().zip(&x.forwarded) {
            *slot = Some((activation_image(a, p), p.slot(*s)));
        }
        let held = &mut held[..x.held.len()];
        let forwarded = &mut forwarded[..x.forwarded.len()];
        held.sort();
        forwarded.sort();
        h.write_usize(held.len());
        for a in held.iter().flatten() {
            a.hash(&mut h);
        }
        h.write_usize(forwarded.len());
        for f in forwarded.iter().flatten() {
            f.hash(&mut h);
        }
    } else {
        let y = scm_image(x, p);
        h.write_usize(y.held.len());
        for a in &y.held {
            a.hash(&mut h);
        }
        h.write_usize(y.forwarded.len());
        for f in &y.forwarded {
            f.hash(&mut h);
        }
    }
    x.relaunch_served.hash(&mut h);
    if x.choosing.is_empty() {
        h.write_usize(0);
    } else {
        choosing_image(x, p).hash(&mut h);
    }
    let mut pending = [0u8; MAX_CLIENTS + 1];
    for (j, m) in x.pending.iter().enumerate() {
        pending[slot_image(p, j)] = *m;
    }
    pending[..x.pending.len()].hash(&mut h);
    h.write_usize(x.backups.len());
    for (c, s) in &x.backups {
        (*c, p.slot(*s)).hash(&mut h);
    }
    h.finish()
}

/// Hashes the fields of a server state that no renaming touches.
fn hash_server_fixed(v: &ServerState, h: &mut impl Hasher) {
    // Every field is named, so that a field added to `ServerState` fails to compile here until
    // it is hashed (a field left out merges states that differ in it) or handed to the
    // renaming parts below.
    let ServerState {
        status,
        apartments: _,
        classes,
        ready,
        suspended,
        count,
        locks,
        objects,
        last_obj,
        factory_proxies,
        factories_disconnected,
        shutdown,
        launched_for: _,
        served: _,
        handed_out_late,
        stranded_client,
        user,
        user_present,
        queues: _,
        quit_requested,
        event,
        monitor,
        rpc_activations: _,
        stopping,
        dialog,
        windows,
        idle_timer,
        self_hold,
    } = v;
    status.hash(h);
    classes.hash(h);
    ready.hash(h);
    suspended.hash(h);
    count.hash(h);
    locks.hash(h);
    objects.hash(h);
    last_obj.hash(h);
    factory_proxies.hash(h);
    factories_disconnected.hash(h);
    shutdown.hash(h);
    handed_out_late.hash(h);
    stranded_client.hash(h);
    user.hash(h);
    user_present.hash(h);
    quit_requested.hash(h);
    event.hash(h);
    monitor.hash(h);
    stopping.hash(h);
    dialog.hash(h);
    windows.hash(h);
    idle_timer.hash(h);
    self_hold.hash(h);
}

/// [`hash_server_fixed`] of `v`, as one number.
fn server_fixed(v: &ServerState) -> u64 {
    let mut h = crate::verify::search::FP_KEYS.build_hasher();
    hash_server_fixed(v, &mut h);
    h.finish()
}

/// Hash of a server state's image under `p`, without building it (except its queued calls
/// and running activations, which are few); `fixed` is its [`server_fixed`].
fn hash_server_image(cfg: &Config, v: &ServerState, fixed: u64, p: &Perm) -> u64 {
    let mut h = crate::verify::search::FP_KEYS.build_hasher();
    h.write_u64(fixed);
    h.write_usize(v.apartments.len());
    for a in &v.apartments {
        a.phase.hash(&mut h);
        work_image(a.work, p).hash(&mut h);
    }
    v.launched_for.map(|c| p.client(c)).hash(&mut h);
    client_set_image(v.served, p).hash(&mut h);
    h.write_usize(v.queues.len());
    for q in &v.queues {
        h.write_usize(q.len());
        for m in q {
            queued_image(cfg, m, p).hash(&mut h);
        }
    }
    rpc_image(v, p).hash(&mut h);
    h.finish()
}

/// A queued message with every client index and client id erased.
fn queued_erased(cfg: &Config, q: &Queued) -> (bool, Msg) {
    let erase = Perm {
        clients: [0; MAX_CLIENTS],
        slots: IDENTITY,
    };
    match q {
        Queued::Call { from, msg } => (
            cfg.client_of(*from).is_some(),
            msg_image(msg, &erase).into_owned(),
        ),
        Queued::Quit => (false, Msg::Exited),
    }
}

/// A server state with its client names erased: equal for a state and any of its images.
fn server_signature(cfg: &Config, v: &ServerState, fixed: u64) -> u64 {
    let mut h = crate::verify::search::FP_KEYS.build_hasher();
    h.write_u64(fixed);
    for a in &v.apartments {
        a.phase.hash(&mut h);
        match a.work {
            AptWork::Activating { clsid, kind, .. } => (2u8, clsid, kind).hash(&mut h),
            AptWork::Idle => 0u8.hash(&mut h),
            AptWork::FinalRelease => 1u8.hash(&mut h),
        }
    }
    v.launched_for.is_some().hash(&mut h);
    v.served.count_ones().hash(&mut h);
    for q in &v.queues {
        h.write_usize(q.len());
        for m in q {
            queued_erased(cfg, m).hash(&mut h);
        }
    }
    let mut rpc: Vec<_> = v.rpc_activations.iter().map(|(_, c, k)| (*c, *k)).collect();
    rpc.sort();
    rpc.hash(&mut h);
    h.finish()
}

/// The hash of a client state with its slot numbers erased (its objects keep their numbers
/// within their slots): equal for a state and any of its images.
fn client_erased(c: &ClientState) -> u64 {
    let erased = ClientState {
        factory: c.factory.map(|_| 0),
        object: c.object.map(|(_, o)| (0, o)),
        second: c.second.map(|(_, o)| (0, o)),
        ..c.clone()
    };
    crate::verify::search::FP_KEYS.hash_one(erased)
}

/// The slots a client state names, in field order: its class object's, its object's and its
/// second object's, each renamed by `slot`.
fn client_slots(c: &ClientState, slot: impl Fn(u8) -> u8) -> [Option<u8>; 3] {
    [
        c.factory.map(&slot),
        c.object.map(|(s, _)| slot(s)),
        c.second.map(|(s, _)| slot(s)),
    ]
}

/// A client state with its slot names replaced by the signatures of the slots (`erased` is its
/// [`client_erased`]): equal for a state and any of its images.
fn client_signature(c: &ClientState, erased: u64, ssig: &[u64]) -> u64 {
    let mut h = crate::verify::search::FP_KEYS.build_hasher();
    h.write_u64(erased);
    for s in client_slots(c, |s| s) {
        s.map(|s| ssig[s as usize]).hash(&mut h);
    }
    h.finish()
}

/// The hash of a client state's image under `p` (`erased` is its [`client_erased`]): the
/// erased state and the renamed slots, which together determine the image.
fn hash_client_image(c: &ClientState, erased: u64, p: &Perm) -> u64 {
    let mut h = crate::verify::search::FP_KEYS.build_hasher();
    h.write_u64(erased);
    client_slots(c, |s| p.slot(s)).hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::com::toggle_set::ToggleSet;
    use crate::com::toggles::Toggle;
    use crate::verify::model::build;
    use crate::verify::search::successors;
    use stateright::Model;
    use std::collections::HashSet;

    /// The states a depth-first walk of `model` reaches, each once, at most `limit` of them.
    fn reached(model: &ComModel, limit: usize) -> Vec<SysState> {
        let (mut seen, mut out) = (HashSet::new(), Vec::new());
        let mut stack = model.init_states();
        while let Some(s) = stack.pop() {
            if seen.len() >= limit || !seen.insert(crate::verify::search::fingerprint(&s)) {
                continue;
            }
            stack.extend(successors(model, &s).into_iter().map(|(_, n)| n));
            out.push(s);
        }
        out
    }

    /// The keys of every reachable state of `cfg`'s model under `sym`, and the keys the
    /// reduced search reaches (one state expanded per key).
    fn classes(cfg: Config, sym: &Symmetry) -> (HashSet<u64>, HashSet<u64>) {
        let model = build(cfg);
        let all = reached(&model, usize::MAX)
            .iter()
            .map(|s| sym.key(s))
            .collect();
        let mut reduced = HashSet::new();
        let mut stack = model.init_states();
        while let Some(s) = stack.pop() {
            if reduced.insert(sym.key(&s)) {
                stack.extend(successors(&model, &s).into_iter().map(|(_, n)| n));
            }
        }
        (all, reduced)
    }

    /// Under Windows with a single-use class, renaming clients whose activations are held is
    /// exact: which held activation takes the class object is the SCM's choice, every outcome
    /// explored (`ScmStep::Hand`), so the reduced search reaches every class of the reachable
    /// states. (While the SCM routed in client order, this reduction missed 23,156 of 66,349
    /// classes of this run.)
    #[test]
    fn single_use_registrations_need_no_client_order() {
        let cfg = Config::new(
            Scenario::LocalSta,
            ToggleSet::only(Toggle::RegclsSingleuse),
            2,
        )
        .unwrap();
        let sym = Symmetry::new(cfg, true);
        assert!(sym.reduces());
        let (all, reduced) = classes(cfg, &sym);
        assert_eq!(reduced, all);
    }

    /// The index of a renaming in an actor state's cache of image hashes is one-to-one: the
    /// ranks of the permutations of `0..n` are exactly `0..n!`.
    #[test]
    fn ranks_number_the_permutations() {
        for n in 0..=MAX_CLIENTS {
            let mut ranks: Vec<usize> = permutations(n).iter().map(|p| rank(&p[..n])).collect();
            ranks.sort_unstable();
            assert_eq!(
                ranks,
                (0..permutations(n).len()).collect::<Vec<_>>(),
                "n = {n}"
            );
        }
    }

    /// Each allowed renaming's index in the caches of image hashes is its clients' rank times
    /// the slots' renamings plus its slots' rank, for one to four clients (one slot per client)
    /// and every number of launched slots.
    #[test]
    fn renamings_carry_their_cache_index() {
        for n in 1..=MAX_CLIENTS {
            let cfg = Config::new(
                Scenario::LocalSta,
                ToggleSet::parse_label("baseline").unwrap(),
                n,
            )
            .unwrap();
            let sym = Symmetry::new(cfg, true);
            let slots = cfg.slots();
            for launched in 0..=slots {
                let allowed = Allowed {
                    clients: sym.clients,
                    slots: sym.slots_by_launched[launched],
                };
                for (p, index) in allowed.ranked(sym.slot_renamings) {
                    let expected =
                        rank(&p.clients[..n]) * permutations(slots).len() + rank(&p.slots[..slots]);
                    assert_eq!(index, expected, "{n} clients, {launched} launched, {p:?}");
                }
            }
        }
    }

    /// The image hashes each actor state and each message caches
    /// ([`crate::com::state::HashedState::renamed`], [`crate::com::transit::Sent::renamed`])
    /// are the ones computed afresh: on a three-client run, where up to 36 renamings are
    /// allowed, every state's key read from the caches (computed a second time) equals its key
    /// with no cache.
    #[test]
    fn cached_image_hashes_are_the_computed_ones() {
        let cfg = Config::new(
            Scenario::LocalSta,
            ToggleSet::parse_label("baseline").unwrap(),
            3,
        )
        .unwrap();
        let sym = Symmetry::new(cfg, true);
        assert_eq!(sym.cached, 36);
        let fresh = Symmetry {
            cached: 0,
            ..sym.clone()
        };
        let model = build(cfg);
        let (mut renamed, mut sent) = (0, 0);
        let layout = sym.messages.expect("a cached layout");
        for s in reached(&model, 20_000) {
            // Past the memo of recent keys (which would answer the second time).
            let first = sym.class_key(&s);
            assert_eq!(sym.class_key(&s), first, "{s:?}");
            assert_eq!(fresh.class_key(&s), first, "{s:?}");
            renamed += usize::from(
                s.actor_states
                    .iter()
                    .any(|a| a.renamed(36).iter().any(|h| h.load(Ordering::Relaxed) != 0)),
            );
            sent += usize::from(s.network.iter().any(|e| {
                e.renamed(MESSAGE_RENAMINGS)[layout..layout + 36]
                    .iter()
                    .any(|h| h.load(Ordering::Relaxed) != 0)
            }));
        }
        assert!(renamed > 1_000, "{renamed} states with a cached image");
        assert!(sent > 1_000, "{sent} states with a message's cached image");
    }

    /// The threads' memo of recent keys returns the key computed without it, also when two
    /// reductions that key the same states differently take turns on one thread (as the
    /// matrix's runs do on the checker's workers): local-sta with three clients, and the same
    /// with client 1 denied access, where client 1 may not be renamed. Every state is keyed
    /// twice by each, so that the second lookup hits; the walk's 20 000 states overwrite the
    /// table's 4 096 entries several times.
    #[test]
    fn recent_keys_are_the_computed_keys() {
        let cfg = |toggles: &str| {
            Config::new(
                Scenario::LocalSta,
                ToggleSet::parse_label(toggles).unwrap(),
                3,
            )
            .unwrap()
        };
        let (open, denied) = (cfg("baseline"), cfg("with-access-denied-client"));
        let (a, b) = (Symmetry::new(open, true), Symmetry::new(denied, true));
        assert_ne!(a.salt, b.salt);
        let mut differ = 0;
        for s in reached(&build(open), 20_000) {
            let (ka, kb) = (a.class_key(&s), b.class_key(&s));
            differ += usize::from(ka != kb);
            for _ in 0..2 {
                assert_eq!(a.key(&s), ka, "{s:?}");
                assert_eq!(b.key(&s), kb, "{s:?}");
            }
        }
        assert!(differ > 1_000, "{differ} states keyed apart");
    }

    /// The layouts' ranges in a message's table of image hashes follow one another and fill
    /// it: no two layouts share an entry.
    #[test]
    fn layouts_share_no_cached_image() {
        let mut next = 0;
        for &(n, m) in &LAYOUTS {
            assert_eq!(layout_offset(n, m), Some(next), "{n} clients, {m} slots");
            next += permutations(n).len() * permutations(m).len();
        }
        assert_eq!(next, MESSAGE_RENAMINGS);
        assert_eq!(layout_offset(1, 4), None);
    }

    /// `service`'s key fingerprints an image from its parts' hashes
    /// (`service_image_fingerprint`): the fingerprint of the image built and interned
    /// (`permute_service_state`), for every allowed renaming of reachable states of a run with
    /// two clients of one service.
    #[test]
    fn service_images_are_fingerprinted_as_built() {
        let cfg = Config::new(Scenario::Service, ToggleSet::EMPTY, 3).unwrap();
        let sym = Symmetry::new(cfg, true);
        let model = build(cfg);
        let mut renamed = 0;
        for s in reached(&model, 5_000) {
            for p in sym.allowed(&s) {
                let built = permute_service_state(&model, &s, &p);
                assert_eq!(
                    service_image_fingerprint(&cfg, &s, &p),
                    crate::verify::search::fingerprint(&built),
                    "{s:?} under {p:?}"
                );
                renamed += usize::from(built != s);
            }
        }
        assert!(
            renamed > 100,
            "{renamed} images that differ from their state"
        );
    }
}
