//! The whole system as a stateright `ActorModel`: actors, network, properties.

use crate::actor::{ComActor, ComState};
use crate::client::ClientState;
use crate::client::Observations;
use crate::config::{Config, Scenario};
use crate::inproc::InprocState;
use crate::properties::PROPERTIES;
use crate::scm::ScmState;
use crate::server::ServerState;
use crate::service::HostState;
use stateright::actor::{ActorModel, ActorModelState, Network};

/// The model type.
pub type ComModel = ActorModel<ComActor, Config, ()>;
/// A state of the whole system.
pub type SysState = ActorModelState<ComActor, ()>;

/// Builds the model for `cfg` — local scenarios: clients, the SCM and one server slot per
/// client; `inproc`: the client process; `service`: clients and the service host — on an
/// unordered non-duplicating network (COM's RPC delivers each call exactly once; the order
/// between different senders is free), with every property that applies to the scenario.
pub fn build(cfg: Config) -> ComModel {
    let mut model =
        ActorModel::new(cfg, ()).init_network(Network::new_unordered_nonduplicating([]));
    match cfg.scenario {
        Scenario::LocalSta | Scenario::LocalMta => {
            for index in 0..cfg.clients {
                model = model.actor(ComActor::Client { cfg, index });
            }
            model = model.actor(ComActor::Scm { cfg });
            for slot in 0..cfg.slots() {
                model = model.actor(ComActor::Server { cfg, slot });
            }
        }
        Scenario::Inproc => model = model.actor(ComActor::Inproc { cfg }),
        Scenario::Service => {
            for index in 0..cfg.clients {
                model = model.actor(ComActor::SvcClient { cfg, index });
            }
            model = model.actor(ComActor::Host { cfg });
        }
    }
    for p in PROPERTIES.iter().filter(|p| (p.applies)(cfg.scenario)) {
        model = model.property(p.expectation.clone(), p.name, p.condition);
    }
    model
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
