//! The one actor type of the model: an enum over clients, the SCM and server-process slots,
//! with the internal steps of each exposed as stateright timers.
//!
//! An actor's enabled internal steps (a client's next COM call, a server thread's next API
//! call, a user action) are kept as the set of timers that are "set"; firing a timer is taking
//! the step. After every handler the actor re-derives that set from its state
//! (`sync_timers`), so the timers add no information to the state.

use crate::com::client::{ClientEvent, ClientOp, ClientState};
use crate::com::config::Config;
use crate::com::inproc::{InprocState, InprocStep};
use crate::com::msg::Msg;
use crate::com::msg::Sends;
use crate::com::scm::{ScmState, ScmStep};
use crate::com::server::{ServerState, ServerStep};
use crate::com::service::{HostState, HostStep, SvcClientState};
use crate::com::state::HashedState;
use serde::Serialize;
use stateright::actor::{model_timeout, Actor, Id, Out};
use std::borrow::Cow;
use std::fmt;

/// An internal step, named in COM terms.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Step {
    /// A client's next call.
    Client(ClientOp),
    /// A client process's death or COM's rundown of its references (`client-death`).
    ClientEvent(ClientEvent),
    /// A server thread's API call or a user action.
    Server(ServerStep),
    /// A step of the in-process scenario's client process.
    Inproc(InprocStep),
    /// A step of the service host.
    Host(HostStep),
    /// A step of the SCM: under Wine, a held activation's poll of rpcss; under Windows, which
    /// held activation takes a single-use class object.
    Scm(ScmStep),
}

impl Step {
    /// The step as a sentence about the actor named `actor` ("client 1", "server instance 1"):
    /// "Client 1 calls CoCreateInstance", "Server instance 1 exits", "In server instance 1,
    /// apartment 2 calls CoRevokeClassObject".
    pub fn sentence(&self, actor: &str) -> String {
        match self {
            Step::Client(op) => format!(
                "{} {}",
                crate::com::names::capitalise(&crate::com::names::the(actor)),
                op.verb()
            ),
            Step::ClientEvent(e) => format!(
                "{} {}",
                crate::com::names::capitalise(&crate::com::names::the(actor)),
                e.phrase()
            ),
            Step::Server(ServerStep::Exit) => format!(
                "{} exits",
                crate::com::names::capitalise(&crate::com::names::the(actor))
            ),
            _ => format!("In {}, {self:?}", crate::com::names::the(actor)),
        }
    }
}

impl Step {
    /// The step as a note over its actor (as its `Debug`), told with the actor's state
    /// `before` it where the action alone cannot say which case happened
    /// ([`ServerStep::phrase_in`]).
    pub fn label_in(&self, cfg: &Config, before: &ComState) -> String {
        match (self, before) {
            (Step::Server(s), ComState::Server(b)) => s.phrase_in(cfg, b),
            _ => format!("{self:?}"),
        }
    }

    /// [`Step::sentence`] told with the actor's state `before` the step ([`Step::label_in`]).
    pub fn sentence_in(&self, actor: &str, cfg: &Config, before: &ComState) -> String {
        match (self, before) {
            (Step::Server(s), ComState::Server(b)) if *s != ServerStep::Exit => format!(
                "In {}, {}",
                crate::com::names::the(actor),
                s.phrase_in(cfg, b)
            ),
            _ => self.sentence(actor),
        }
    }
}

/// The step as a note over its actor: a verb phrase for a client ("calls CoCreateInstance"),
/// a clause with its own subject for a thread or the user ("apartment 1 calls
/// CoRegisterClassObject").
impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Client(op) => write!(f, "{}", op.verb()),
            Step::ClientEvent(e) => write!(f, "{}", e.phrase()),
            Step::Server(s) => write!(f, "{}", s.phrase()),
            Step::Inproc(s) => write!(f, "{}", s.phrase()),
            Step::Host(s) => write!(f, "{}", s.phrase()),
            Step::Scm(s) => write!(f, "{}", s.phrase()),
        }
    }
}

/// An actor of the model.
#[derive(Clone, Debug)]
pub enum ComActor {
    /// Client process `index`.
    Client {
        /// Run configuration.
        cfg: Config,
        /// Its index, `0..cfg.clients`.
        index: usize,
    },
    /// The SCM.
    Scm {
        /// Run configuration.
        cfg: Config,
    },
    /// Server-process slot `slot`.
    Server {
        /// Run configuration.
        cfg: Config,
        /// Its slot, `0..cfg.slots()`.
        slot: usize,
    },
    /// The client process of the `inproc` scenario (its threads and the DLL).
    Inproc {
        /// Run configuration.
        cfg: Config,
    },
    /// A client of the `service` scenario.
    SvcClient {
        /// Run configuration.
        cfg: Config,
        /// Its index, `0..cfg.clients`.
        index: usize,
    },
    /// The shared service host of the `service` scenario.
    Host {
        /// Run configuration.
        cfg: Config,
    },
}

/// The state of one actor.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub enum ComState {
    /// A client's state.
    Client(ClientState),
    /// The SCM's state.
    Scm(ScmState),
    /// A server slot's state.
    Server(ServerState),
    /// The in-process scenario's client process.
    Inproc(InprocState),
    /// A service client's state.
    SvcClient(SvcClientState),
    /// The service host's state.
    Host(HostState),
}

impl fmt::Debug for ComState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComState::Client(c) => c.fmt(f),
            ComState::Scm(s) => s.fmt(f),
            ComState::Server(s) => s.fmt(f),
            ComState::Inproc(s) => s.fmt(f),
            ComState::SvcClient(s) => s.fmt(f),
            ComState::Host(s) => s.fmt(f),
        }
    }
}

fn send_all(o: &mut Out<ComActor>, sends: Sends) {
    for (dst, msg) in sends {
        o.send(dst, msg);
    }
}

/// Every step `actor` can ever take, in a fixed order.
fn all_steps(actor: &ComActor) -> Vec<Step> {
    match actor {
        ComActor::Client { .. } => ClientOp::ALL
            .map(Step::Client)
            .into_iter()
            .chain(ClientEvent::ALL.map(Step::ClientEvent))
            .collect(),
        ComActor::SvcClient { .. } => ClientOp::ALL.map(Step::Client).to_vec(),
        ComActor::Server { cfg, .. } => ServerStep::all(cfg.apartments())
            .into_iter()
            .map(Step::Server)
            .collect(),
        ComActor::Inproc { .. } => crate::com::inproc::all_steps()
            .into_iter()
            .map(Step::Inproc)
            .collect(),
        ComActor::Host { cfg } => crate::com::service::all_steps(cfg.clients)
            .into_iter()
            .map(Step::Host)
            .collect(),
        // Under Wine, one poll per client (its held activation); none under Windows.
        ComActor::Scm { cfg } if cfg.runtime.is_wine() => (0..cfg.clients as u8)
            .map(|c| Step::Scm(ScmStep::Poll(c)))
            .collect(),
        // Under Windows with a REGCLS_SINGLEUSE class, every choice of a registration that
        // several held activations wait for.
        ComActor::Scm { cfg } if cfg.has_singleuse() => {
            let clients = 0..cfg.clients as u8;
            let mut steps = Vec::new();
            for slot in 0..cfg.slots() as u8 {
                for first in clients.clone() {
                    let nexts = std::iter::once(None).chain(clients.clone().map(Some));
                    steps.extend(nexts.map(|next| Step::Scm(ScmStep::Hand { slot, first, next })));
                }
            }
            steps
        }
        ComActor::Scm { .. } => Vec::new(),
    }
}

/// The steps `actor` can take in `state`.
fn enabled_steps(actor: &ComActor, state: &ComState) -> Vec<Step> {
    match (actor, state) {
        (ComActor::Client { cfg, .. }, ComState::Client(c)) => c
            .enabled(cfg)
            .into_iter()
            .map(Step::Client)
            .chain(c.events(cfg).into_iter().map(Step::ClientEvent))
            .collect(),
        (ComActor::SvcClient { cfg, index }, ComState::SvcClient(c)) => c
            .enabled(cfg, *index)
            .into_iter()
            .map(Step::Client)
            .collect(),
        (ComActor::Server { cfg, .. }, ComState::Server(s)) => {
            s.enabled(cfg).into_iter().map(Step::Server).collect()
        }
        (ComActor::Inproc { cfg }, ComState::Inproc(s)) => {
            s.enabled(cfg).into_iter().map(Step::Inproc).collect()
        }
        (ComActor::Host { cfg }, ComState::Host(s)) => {
            s.enabled(cfg).into_iter().map(Step::Host).collect()
        }
        (ComActor::Scm { cfg }, ComState::Scm(s)) => {
            s.enabled(cfg).into_iter().map(Step::Scm).collect()
        }
        _ => Vec::new(),
    }
}

/// Brings the actor's timers from `was` (the steps enabled before the handler, without the
/// timer stateright has just fired and cancelled) to the steps enabled in `state`.
///
/// Only the changes are emitted, in [`all_steps`] order, so the set of timers evolves exactly
/// as if every step were set or cancelled in that order (and iterates, hence orders actions,
/// the same way). A handler that changes nothing and sends nothing would be a no-op that
/// stateright does not take; when a handled event changes no timer, one cancel of a step that
/// is not set keeps it a transition, as it always was.
fn sync_timers(actor: &ComActor, was: &[Step], state: &ComState, o: &mut Out<ComActor>) {
    let now = enabled_steps(actor, state);
    let all = all_steps(actor);
    let mut emitted = false;
    for &step in &all {
        match (was.contains(&step), now.contains(&step)) {
            (false, true) => o.set_timer(step, model_timeout()),
            (true, false) => o.cancel_timer(step),
            _ => continue,
        }
        emitted = true;
    }
    if !emitted {
        match all.iter().find(|s| !now.contains(s)) {
            Some(&idle) => o.cancel_timer(idle),
            None => {
                if let Some(&any) = all.first() {
                    o.set_timer(any, model_timeout());
                }
            }
        }
    }
}

impl ComActor {
    /// The actor's id under its configuration's layout of ids (the one roster:
    /// [`Config::client_id`], [`Config::scm_id`], [`Config::server_id`], [`Config::host_id`]);
    /// [`crate::com::system::assemble`] adds the actors in this order.
    pub fn id(&self) -> Id {
        match self {
            ComActor::Client { cfg, index } | ComActor::SvcClient { cfg, index } => {
                cfg.client_id(*index)
            }
            ComActor::Scm { cfg } => cfg.scm_id(),
            ComActor::Server { cfg, slot } => cfg.server_id(*slot),
            ComActor::Inproc { cfg } | ComActor::Host { cfg } => cfg.host_id(),
        }
    }
}

impl ComActor {
    /// The actor's state when the system starts (stateright's `on_start`, without timers).
    pub fn initial(&self) -> ComState {
        match self {
            ComActor::Client { .. } => ComState::Client(ClientState::new()),
            ComActor::Scm { cfg } => ComState::Scm(ScmState::new(cfg)),
            ComActor::Server { cfg, slot } => ComState::Server(ServerState::new(cfg, *slot)),
            ComActor::Inproc { .. } => ComState::Inproc(InprocState::new()),
            ComActor::SvcClient { .. } => ComState::SvcClient(SvcClientState::new()),
            ComActor::Host { .. } => ComState::Host(HostState::new()),
        }
    }

    /// The internal steps the actor can take in `state`, in [`Step`] order (the order of the
    /// timers stateright fires). A function of the state: the model keeps no timers of its own.
    pub fn enabled(&self, state: &ComState) -> Vec<Step> {
        let mut steps = enabled_steps(self, state);
        steps.sort_unstable();
        steps
    }

    /// [`ComActor::enabled`] in a state as a [`SysState`](crate::com::state::SysState) holds
    /// it: computed once per actor state and kept with it. An actor state is shared by every
    /// state that holds it, by actors of the same kind alike, and every kind's steps are a
    /// function of the run's configuration and the state alone, except a service client's,
    /// which depend on the service it calls: those are computed each time.
    pub fn enabled_in<'a>(&self, state: &'a HashedState) -> Cow<'a, [Step]> {
        match self {
            ComActor::SvcClient { .. } => Cow::Owned(self.enabled(state)),
            _ => Cow::Borrowed(state.steps(|s| self.enabled(s))),
        }
    }

    /// The actor's handling of `msg` from `src` in `state`: `None` when it does not take the
    /// message now (it stays in transit: a server apartment that cannot dispatch it yet, a
    /// client with no call pending), else its next state (`None` when unchanged) and what it
    /// sends.
    pub fn deliver(
        &self,
        state: &ComState,
        src: Id,
        msg: &Msg,
    ) -> Option<(Option<ComState>, Sends)> {
        match (self, state) {
            (ComActor::Client { cfg, index }, ComState::Client(c)) => {
                c.pending?;
                let mut c = c.clone();
                let sends = c.on_reply(cfg, *index, msg).into_iter().collect();
                Some((Some(ComState::Client(c)), sends))
            }
            (ComActor::Scm { cfg }, ComState::Scm(s)) => {
                let mut s = s.clone();
                let sends = s.on_msg(cfg, src, msg);
                Some((Some(ComState::Scm(s)), sends))
            }
            (ComActor::Server { cfg, .. }, ComState::Server(s)) => {
                if !s.can_deliver(cfg, msg) {
                    return None; // not dispatchable yet: the message stays queued
                }
                let mut next = s.clone();
                let sends = next.on_msg(cfg, src, msg)?;
                let changed = next != *s;
                Some((changed.then_some(ComState::Server(next)), sends))
            }
            (ComActor::SvcClient { .. }, ComState::SvcClient(c)) => {
                c.pending?;
                let mut c = c.clone();
                c.on_reply(msg);
                Some((Some(ComState::SvcClient(c)), Sends::new()))
            }
            (ComActor::Host { cfg }, ComState::Host(h)) => {
                let mut h = h.clone();
                let sends = h.on_msg(cfg, src, msg);
                Some((Some(ComState::Host(h)), sends))
            }
            _ => None,
        }
    }

    /// The actor's internal step `step` in `state`: its next state and what it sends; `None`
    /// when the step is not one of this actor's.
    pub fn fire(&self, state: &ComState, step: Step) -> Option<(ComState, Sends)> {
        Some(match (self, state, step) {
            (ComActor::Client { cfg, index }, ComState::Client(c), Step::Client(op)) => {
                let mut c = c.clone();
                let send = c.start(cfg, *index, op);
                (ComState::Client(c), send.into_iter().collect())
            }
            (ComActor::Client { cfg, index }, ComState::Client(c), Step::ClientEvent(e)) => {
                let mut c = c.clone();
                let sends = c.take(cfg, *index, e);
                (ComState::Client(c), sends)
            }
            (ComActor::Server { cfg, .. }, ComState::Server(s), Step::Server(st)) => {
                let mut s = s.clone();
                let sends = s.step(cfg, st);
                (ComState::Server(s), sends)
            }
            (ComActor::SvcClient { cfg, index }, ComState::SvcClient(c), Step::Client(op)) => {
                let mut c = c.clone();
                let send = c.start(cfg, *index, op);
                (ComState::SvcClient(c), send.into_iter().collect())
            }
            (ComActor::Inproc { cfg }, ComState::Inproc(s), Step::Inproc(st)) => {
                let mut s = s.clone();
                s.step(cfg, st);
                (ComState::Inproc(s), Sends::new())
            }
            (ComActor::Host { cfg }, ComState::Host(h), Step::Host(st)) => {
                let mut h = h.clone();
                let sends = h.step(cfg, st);
                (ComState::Host(h), sends)
            }
            (ComActor::Scm { cfg }, ComState::Scm(x), Step::Scm(st)) => {
                let mut x = x.clone();
                let sends = x.step(cfg, st);
                (ComState::Scm(x), sends)
            }
            _ => return None,
        })
    }
}

impl Actor for ComActor {
    type Msg = Msg;
    type State = ComState;
    type Timer = Step;
    type Storage = ();
    type Random = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> ComState {
        let state = self.initial();
        sync_timers(self, &[], &state, o);
        state
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<ComState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        let was = enabled_steps(self, state);
        let Some((next, sends)) = self.deliver(state, src, &msg) else {
            return;
        };
        send_all(o, sends);
        if let Some(next) = next {
            *state.to_mut() = next;
        }
        sync_timers(self, &was, state, o);
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<ComState>, step: &Step, o: &mut Out<Self>) {
        let mut was = enabled_steps(self, state);
        was.retain(|s| s != step); // stateright cancels the fired timer
        let Some((next, sends)) = self.fire(state, *step) else {
            return;
        };
        send_all(o, sends);
        *state.to_mut() = next;
        sync_timers(self, &was, state, o);
    }

    fn name(&self) -> String {
        let cfg = match self {
            ComActor::Client { cfg, .. }
            | ComActor::Scm { cfg }
            | ComActor::Server { cfg, .. }
            | ComActor::Inproc { cfg }
            | ComActor::SvcClient { cfg, .. }
            | ComActor::Host { cfg } => cfg,
        };
        cfg.actor_name(self.id())
    }
}
