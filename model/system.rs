//! The whole system as a stateright `ActorModel`: actors, network, properties.

use crate::actor::{ComActor, ComState};
use crate::client::ClientState;
use crate::config::Config;
use crate::properties::PROPERTIES;
use crate::scm::ScmState;
use crate::server::ServerState;
use stateright::actor::{ActorModel, ActorModelState, Network};

/// The model type.
pub type ComModel = ActorModel<ComActor, Config, ()>;
/// A state of the whole system.
pub type SysState = ActorModelState<ComActor, ()>;

/// Builds the model for `cfg`: clients, the SCM and one server slot per client, on an
/// unordered non-duplicating network (COM's RPC delivers each call exactly once; the order
/// between different senders is free), with every property that applies to the scenario.
pub fn build(cfg: Config) -> ComModel {
    let mut model =
        ActorModel::new(cfg, ()).init_network(Network::new_unordered_nonduplicating([]));
    for index in 0..cfg.clients {
        model = model.actor(ComActor::Client { cfg, index });
    }
    model = model.actor(ComActor::Scm { cfg });
    for slot in 0..cfg.slots() {
        model = model.actor(ComActor::Server { cfg, slot });
    }
    for p in PROPERTIES.iter().filter(|p| (p.applies)(cfg.scenario)) {
        model = model.property(p.expectation.clone(), p.name, p.condition);
    }
    model
}

/// The clients' states, in client order.
pub fn clients<'a>(cfg: &Config, s: &'a SysState) -> impl Iterator<Item = &'a ClientState> {
    s.actor_states[..cfg.clients].iter().map(|a| match &**a {
        ComState::Client(c) => c,
        _ => unreachable!("actor layout: clients first"),
    })
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
