//! The whole system as a stateright `ActorModel`: actors, network, properties.

use crate::actor::ComActor;
use crate::config::{Config, Scenario};
use crate::properties::{PropertyDef, PROPERTIES};
use stateright::actor::{Actor, ActorModel, Id, Network};

pub use crate::state::{ComModel, SysState};

/// Builds the model for `cfg` — local scenarios: clients, the SCM and one server slot per
/// client; `inproc`: the client process; `service`: clients and the service host — on an
/// unordered non-duplicating network (COM's RPC delivers each call exactly once; the order
/// between different senders is free), with every property that applies to the scenario.
pub fn build(cfg: Config) -> ComModel {
    let mut model =
        ActorModel::new(cfg, ()).init_network(Network::new_unordered_nonduplicating([]));
    match cfg.scenario {
        s if s.is_local() => {
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
        _ => unreachable!("every scenario is local, inproc or service"),
    }
    for (i, a) in model.actors.iter().enumerate() {
        assert_eq!(a.id(), Id::from(i), "the roster's id of {}", a.name());
    }
    for p in properties_of(&cfg) {
        model = model.property(p.expectation.clone(), p.name, p.condition);
    }
    model
}

/// The properties checked for `cfg`, in [`PROPERTIES`] order: the model [`build`] makes has
/// exactly these, in this order, so a checker pairs the model's `properties()` with them by
/// position.
pub fn properties_of(cfg: &Config) -> Vec<&'static PropertyDef> {
    property_indices(cfg)
        .into_iter()
        .map(|i| &PROPERTIES[i])
        .collect()
}

/// The indices in [`PROPERTIES`] of the properties checked for `cfg`, ascending
/// ([`properties_of`]).
pub fn property_indices(cfg: &Config) -> Vec<usize> {
    (0..PROPERTIES.len())
        .filter(|&i| (PROPERTIES[i].applies)(cfg.scenario))
        .collect()
}
