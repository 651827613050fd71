//! The whole system as a stateright [`Model`]: the actors (clients, the SCM, server slots; the
//! in-process client process; service clients and host), the messages between them and the
//! transitions of their handlers ([`ComActor::deliver`], [`ComActor::fire`]). The properties
//! are attached in verify (`verify::model::build`, a layer above).
//!
//! The transitions are those of stateright 0.31's `ActorModel` over the same actors on an
//! unordered non-duplicating network, with the model's own state type ([`SysState`]): the
//! same actions in the same order, the same successors, so every state count and every
//! recorded action index is the `ActorModel`'s. [`reference`](fn@reference) still builds that `ActorModel`:
//! `bench` measures stateright's own checker on it, and tests compare the two models' state
//! graphs.

use crate::com::actor::{ComActor, ComState, Step};
use crate::com::config::Config;
use crate::com::msg::Msg;
use crate::com::scenario::Scenario;
use stateright::actor::{Actor, ActorModel, ActorModelAction, Id, Network};
use stateright::{Model, Path, Property};
use std::sync::Arc;

use crate::com::memo::{Move, Transitions};
pub use crate::com::state::SysState;
use crate::com::state::{ActorRef, HashedState, InTransit};
use crate::com::transit::Sent;

/// A model action: a message's delivery or an actor's internal step (stateright's
/// `ActorModelAction`, so that traces, ITF files and action indices are those of the
/// `ActorModel`).
pub type Action = ActorModelAction<Msg, Step, ()>;

/// A state's moves as [`ComModel::moves`] lists them: each move with the position in
/// `network` of the message it delivers (`None` for an internal step). Inline up to 16, more
/// than most states have.
pub type Moves = smallvec::SmallVec<[(Move, Option<usize>); 16]>;

/// The model: its configuration, its actors in id order and the properties checked on it.
#[derive(Clone)]
pub struct ComModel {
    /// The run configuration.
    pub cfg: Config,
    /// The actors, indexed by id.
    pub actors: Vec<ComActor>,
    properties: Vec<(stateright::Expectation, &'static str, Condition)>,
    /// The actors' transitions taken so far, each computed once ([`Transitions`]).
    transitions: Transitions,
}

/// A property's condition on a state of the model (stateright's `Property::condition`).
pub type Condition = fn(&ComModel, &SysState) -> bool;

/// The actors of `cfg` in id order — local scenarios: clients, the SCM and one server slot per
/// client; `inproc`: the client process; `service`: clients and the service host.
fn roster(cfg: Config) -> Vec<ComActor> {
    let mut actors = Vec::new();
    match cfg.scenario {
        s if s.is_local() => {
            actors.extend((0..cfg.clients).map(|index| ComActor::Client { cfg, index }));
            actors.push(ComActor::Scm { cfg });
            actors.extend((0..cfg.slots()).map(|slot| ComActor::Server { cfg, slot }));
        }
        Scenario::Inproc => actors.push(ComActor::Inproc { cfg }),
        Scenario::Service => {
            actors.extend((0..cfg.clients).map(|index| ComActor::SvcClient { cfg, index }));
            actors.push(ComActor::Host { cfg });
        }
        _ => unreachable!("every scenario is local, inproc or service"),
    }
    for (i, a) in actors.iter().enumerate() {
        assert_eq!(a.id(), Id::from(i), "the roster's id of {}", a.name());
    }
    actors
}

/// Builds the model for `cfg`, without properties: the model checked is
/// `verify::model::build`'s.
pub fn assemble(cfg: Config) -> ComModel {
    ComModel {
        cfg,
        actors: roster(cfg),
        properties: Vec::new(),
        transitions: Transitions::default(),
    }
}

/// The same system as stateright 0.31's `ActorModel` on an unordered non-duplicating network:
/// the reference [`ComModel`] agrees with (the same actions in the same order, the same
/// successors) and the fixed configuration `bench` measures stateright's own checker on
/// (issue 21 §3). Its one property, `reference-explores-everything`, always holds: stateright's
/// checkers stop once every property has a discovery, at once when there is none, so this one
/// makes them explore the whole state graph (the model's own properties read [`SysState`]).
pub fn reference(cfg: Config) -> ActorModel<ComActor, Config, ()> {
    let mut model = ActorModel::new(cfg, ())
        .init_network(Network::new_unordered_nonduplicating([]))
        .property(
            stateright::Expectation::Always,
            "reference-explores-everything",
            |_, _| true,
        );
    for a in roster(cfg) {
        model = model.actor(a);
    }
    model
}

impl ComModel {
    /// The model with one more property (stateright's `ActorModel::property`).
    pub fn property(
        mut self,
        expectation: stateright::Expectation,
        name: &'static str,
        condition: Condition,
    ) -> Self {
        self.properties.push((expectation, name, condition));
        self
    }

    /// The model's one copy of actor state `state` ([`Transitions`]: each distinct actor state
    /// of a model is held once, for the rest of the process, with its hash and the values
    /// computed about it). The initial states and the states successors reach are interned
    /// here; so must be any other state a [`SysState`] of this model holds (a symmetry image,
    /// `verify::symmetry::permute_state`), for its cached values belong to this model's
    /// configuration.
    pub fn intern(&self, state: ComState) -> ActorRef {
        self.transitions.shared(HashedState::new(state))
    }

    /// The model's actions in `s` as moves, in the order and at the indices of
    /// [`Model::actions`]: the deliveries of the distinct messages in transit, each with the
    /// position of its first copy in `s.network`, then every actor's enabled steps (with no
    /// position). The checker takes these without building stateright's actions. Appended to
    /// `out` one by one (plain loops: an iterator adaptor per actor cost the checker a tenth of
    /// its instructions, docs/benchmarks.md).
    pub fn moves(&self, s: &SysState, out: &mut Moves) {
        let mut last: Option<Sent> = None;
        for (at, &e) in s.network.iter().enumerate() {
            if last == Some(e) {
                continue;
            }
            last = Some(e);
            if usize::from(e.dst) < self.actors.len() {
                out.push((Move::Deliver(e), Some(at)));
            }
        }
        for (i, (a, st)) in self.actors.iter().zip(&s.actor_states).enumerate() {
            for &step in a.enabled_in(st).iter() {
                out.push((Move::Step(Id::from(i), step), None));
            }
        }
    }

    /// The successor of `s` by move `m` (one of [`ComModel::moves`]; `at`, a delivery's
    /// position in `s.network`): `None` when the actor does not take it in `s` (a message it
    /// cannot dispatch yet stays in transit).
    pub fn successor(&self, s: &SysState, m: Move, at: Option<usize>) -> Option<SysState> {
        let i = usize::from(m.actor());
        let (actor, from) = (self.actors.get(i)?, s.actor_states[i]);
        let taken = self
            .transitions
            .get_or_take(from, m, || match m {
                Move::Deliver(e) => actor.deliver(from, e.src, &e.msg),
                Move::Step(_, step) => actor
                    .fire(from, step)
                    .map(|(next, sends)| (Some(next), sends)),
            })
            .as_ref()?;
        // Both copied as slices of pointers: one copy each, not an element-wise clone.
        let mut out = SysState {
            actor_states: smallvec::SmallVec::from_slice(&s.actor_states),
            network: InTransit::from_slice(&s.network),
        };
        if let Some(at) = at {
            out.network.remove(at);
        }
        if let Some(next) = taken.next {
            out.actor_states[i] = next;
        }
        for &sent in &taken.sends {
            out.send(sent);
        }
        Some(out)
    }

    /// `s` as stateright's `ActorModelState` of [`reference`](fn@reference): the same actor states, the
    /// messages as its multiset, the timers set that are enabled.
    pub fn to_reference(&self, s: &SysState) -> stateright::actor::ActorModelState<ComActor, ()> {
        let mut out = reference(self.cfg).init_states().remove(0);
        out.actor_states = s
            .actor_states
            .iter()
            .map(|a| Arc::new(a.state().clone()))
            .collect();
        out.network =
            Network::new_unordered_nonduplicating(s.network.iter().map(|e| (**e).clone()));
        for t in out.timers_set.iter_mut() {
            t.cancel_all();
        }
        let mut moves = Moves::new();
        self.moves(s, &mut moves);
        for (m, _) in moves {
            if let Move::Step(id, step) = m {
                out.timers_set[usize::from(id)].set(step);
            }
        }
        out
    }
}

impl Model for ComModel {
    type State = SysState;
    type Action = Action;

    fn init_states(&self) -> Vec<SysState> {
        vec![SysState {
            actor_states: self
                .actors
                .iter()
                .map(|a| self.intern(a.initial()))
                .collect(),
            network: InTransit::new(),
        }]
    }

    /// The deliveries of the distinct messages in transit, then every actor's enabled steps:
    /// stateright's `ActorModel` order (it sorts deliveries by source, destination and message,
    /// timeouts by actor and step); [`ComModel::moves`], as actions.
    fn actions(&self, s: &SysState, actions: &mut Vec<Action>) {
        let mut moves = Moves::new();
        self.moves(s, &mut moves);
        actions.extend(moves.into_iter().map(|(m, _)| match m {
            Move::Deliver(e) => ActorModelAction::Deliver {
                src: e.src,
                dst: e.dst,
                msg: e.msg.clone(),
            },
            Move::Step(id, step) => ActorModelAction::Timeout(id, step),
        }));
    }

    fn next_state(&self, s: &SysState, action: Action) -> Option<SysState> {
        // A delivery is of a message in transit, found where the sorted network holds it.
        let (m, at) = match &action {
            ActorModelAction::Deliver { src, dst, msg } => {
                let at = s.position(*src, *dst, msg)?;
                (Move::Deliver(s.network[at]), Some(at))
            }
            ActorModelAction::Timeout(id, step) => (Move::Step(*id, *step), None),
            _ => return None,
        };
        self.successor(s, m, at)
    }

    fn format_action(&self, action: &Action) -> String {
        match action {
            ActorModelAction::Deliver { src, dst, msg } => format!("{src:?} → {msg:?} → {dst:?}"),
            _ => format!("{action:?}"),
        }
    }

    /// The `ActorModel`'s sequence diagram of the path ([`reference`](fn@reference)).
    fn as_svg(&self, path: Path<SysState, Action>) -> Option<String> {
        let reference = reference(self.cfg);
        let init = reference.init_states().remove(0);
        let actions: Vec<Action> = path.into_actions();
        let path = Path::from_actions(&reference, init, actions.iter())?;
        reference.as_svg(path)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        self.properties
            .iter()
            .map(|(expectation, name, condition)| Property {
                expectation: expectation.clone(),
                name,
                condition: *condition,
            })
            .collect()
    }
}
