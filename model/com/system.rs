//! The whole system as a stateright `ActorModel`: actors and network. The properties are
//! attached in verify (`verify::model::build`, a layer above).

use crate::com::actor::ComActor;
use crate::com::config::Config;
use crate::com::scenario::Scenario;
use stateright::actor::{Actor, ActorModel, Id, Network};

pub use crate::com::state::{ComModel, SysState};

/// Builds the model for `cfg` — local scenarios: clients, the SCM and one server slot per
/// client; `inproc`: the client process; `service`: clients and the service host — on an
/// unordered non-duplicating network (COM's RPC delivers each call exactly once; the order
/// between different senders is free). Without properties: the model checked is
/// `verify::model::build`'s.
pub fn assemble(cfg: Config) -> ComModel {
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
    model
}
