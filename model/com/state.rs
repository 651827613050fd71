//! The model's type, its states, and reading a state by actor role (clients, the SCM, server
//! slots, the in-process client process, the service host). Properties, traces and the
//! checker read states through these; [`crate::com::system`] builds the model.

use crate::com::actor::{ComActor, ComState};
use crate::com::client::ClientState;
use crate::com::client::Observations;
use crate::com::config::Config;
use crate::com::inproc::InprocState;
use crate::com::msg::Msg;
use crate::com::scm::ScmState;
use crate::com::server::ServerState;
use crate::com::service::HostState;
use stateright::actor::{ActorModel, ActorModelState, Envelope, Network};

/// The model type.
pub type ComModel = ActorModel<ComActor, Config, ()>;
/// A state of the whole system.
pub type SysState = ActorModelState<ComActor, ()>;

/// The messages in transit in `s`, each copy once: a message sent twice and not yet delivered
/// is yielded twice. (stateright 0.31's `Network::iter_all` yields a message held `n > 1`
/// times `n + 1` times, so the model never uses it; spec/assumptions.md, "How the model uses
/// stateright".) The order is the network's, which is not meaningful: sort where it matters.
///
/// # Panics
/// When the network is not the unordered, non-duplicating one [`crate::com::system::assemble`] gives
/// every model.
pub fn in_transit(s: &SysState) -> impl Iterator<Item = Envelope<&Msg>> {
    let Network::UnorderedNonDuplicating(multiset) = &s.network else {
        panic!("the model's network is unordered and non-duplicating");
    };
    multiset.iter().flat_map(|(e, &count)| {
        std::iter::repeat_n(
            Envelope {
                src: e.src,
                dst: e.dst,
                msg: &e.msg,
            },
            count,
        )
    })
}

/// The clients' states, in client order.
pub fn clients<'a>(cfg: &Config, s: &'a SysState) -> impl Iterator<Item = &'a ClientState> {
    s.actor_states[..cfg.client_actors()]
        .iter()
        .filter_map(|a| match &**a {
            ComState::Client(c) => Some(c),
            _ => None,
        })
}

/// The observations of every client actor (local and service clients alike).
pub fn observations<'a>(cfg: &Config, s: &'a SysState) -> impl Iterator<Item = &'a Observations> {
    s.actor_states[..cfg.client_actors()]
        .iter()
        .map(|a| match &**a {
            ComState::Client(c) => &c.observed,
            ComState::SvcClient(c) => &c.observed,
            _ => unreachable!("actor layout: clients first"),
        })
}

/// The `inproc` scenario's client process, if this is that scenario.
pub fn inproc<'a>(cfg: &Config, s: &'a SysState) -> Option<&'a InprocState> {
    match &**s.actor_states.get(usize::from(cfg.host_id()))? {
        ComState::Inproc(x) => Some(x),
        _ => None,
    }
}

/// The `service` scenario's host, if this is that scenario.
pub fn host<'a>(cfg: &Config, s: &'a SysState) -> Option<&'a HostState> {
    match &**s.actor_states.get(usize::from(cfg.host_id()))? {
        ComState::Host(x) => Some(x),
        _ => None,
    }
}

/// The SCM's state.
pub fn scm<'a>(cfg: &Config, s: &'a SysState) -> &'a ScmState {
    match &*s.actor_states[cfg.clients] {
        ComState::Scm(x) => x,
        _ => unreachable!("actor layout: SCM after the clients"),
    }
}

/// The server slots' states, in slot order.
pub fn servers<'a>(cfg: &Config, s: &'a SysState) -> impl Iterator<Item = &'a ServerState> {
    s.actor_states[cfg.clients + 1..]
        .iter()
        .map(|a| match &**a {
            ComState::Server(x) => x,
            _ => unreachable!("actor layout: server slots last"),
        })
}

/// The state of server slot `slot`.
pub fn server<'a>(cfg: &Config, s: &'a SysState, slot: usize) -> &'a ServerState {
    servers(cfg, s).nth(slot).expect("server slot")
}
