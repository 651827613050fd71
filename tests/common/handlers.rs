//! Helpers shared by the handler tests (tests/handlers_*.rs): a configuration, a started
//! server, an activation, the SCM's answers.

use comlife::com::config::{Clsid, Config};
use comlife::com::hresult::Hresult;
use comlife::com::msg::{ActKind, Msg};
use comlife::com::scenario::Scenario;
use comlife::com::scm::ScmState;
use comlife::com::server::{ServerState, ServerStep};
use comlife::com::toggle_set::ToggleSet;
use comlife::com::toggles::Toggle;

pub use comlife::com::msg::Sends;

/// A configuration for the handler tests. The textbook servers' handlers are driven one call at a
/// time, delivered to an idle apartment and dispatched at once: A-NETWORK's direct dispatch (the
/// variant `unordered-dispatch`). The FIFO queue every local server has by default is tested on
/// its own (`sta_queues_calls_until_message_loop`, the framework tests).
pub fn cfg(s: Scenario, toggled: &[Toggle]) -> Config {
    let mut set = toggled.iter().copied().collect::<ToggleSet>();
    if Toggle::UnorderedDispatch.applies_to(s) {
        set = set.with(Toggle::UnorderedDispatch);
    }
    Config::new(s, set, 2).unwrap()
}

/// Answers every synchronous call to the SCM in `out` (registration, revocation), as the SCM
/// does, so the waiting thread returns.
pub fn scm_answers(cfg: &Config, v: &mut ServerState, out: Sends) {
    for (dst, m) in out {
        if let (true, Msg::Register { apartment, .. } | Msg::Revoke { apartment, .. }) =
            (dst == cfg.scm_id(), &m)
        {
            let done = Msg::ScmDone {
                apartment: *apartment,
            };
            assert!(v.on_msg(cfg, cfg.scm_id(), &done).is_some());
        }
    }
}

/// Takes `step` and lets the SCM answer what it sends.
pub fn step(cfg: &Config, v: &mut ServerState, s: ServerStep) {
    assert!(v.enabled(cfg).contains(&s), "{s:?} enabled in {v:?}");
    let out = v.step(cfg, s);
    scm_answers(cfg, v, out);
}

/// A server of `cfg` launched for client 0 and taken through its start-up steps.
pub fn started(cfg: &Config) -> ServerState {
    let mut v = ServerState::new(cfg, 0);
    v.on_msg(cfg, cfg.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    while let Some(s) = v
        .enabled(cfg)
        .into_iter()
        .find(|s| matches!(s, ServerStep::Register(_) | ServerStep::Resume))
    {
        step(cfg, &mut v, s);
    }
    assert!(v.ready, "all classes live after start-up");
    v
}

/// An activation dispatched and, in a multi-apartment server, completed by its apartment.
pub fn activate(
    cfg: &Config,
    v: &mut ServerState,
    client: u8,
    clsid: Clsid,
    kind: ActKind,
) -> (Hresult, Option<u8>) {
    let mut out = v
        .on_msg(
            cfg,
            cfg.scm_id(),
            &Msg::Activate {
                client,
                clsid,
                kind,
            },
        )
        .expect("dispatchable");
    if out.is_empty() {
        out = v.step(cfg, ServerStep::FinishActivation(clsid.0));
    }
    match &out[0].1 {
        Msg::Activated { hr, obj, .. } => (*hr, *obj),
        m => panic!("unexpected {m:?}"),
    }
}

/// The answer in a handler's first message, a `Msg::Reply`.
pub fn reply(out: Option<Sends>) -> (Hresult, Option<u8>) {
    match &out.expect("dispatchable")[0].1 {
        Msg::Reply { hr, obj } => (*hr, *obj),
        m => panic!("unexpected {m:?}"),
    }
}

/// CLSID_A.
pub const A: Clsid = Clsid(0);

/// An SCM that launched instance 1 for client 1's activation of CLSID_A (`kind`) and, once the
/// instance registered, forwarded the activation to it.
pub fn scm_forwarding(c: &Config, kind: ActKind) -> ScmState {
    let mut scm = ScmState::new(c);
    let out = scm.on_msg(c, c.client_id(0), &Msg::Activation { clsid: A, kind });
    assert_eq!(
        out.as_slice(),
        [(c.server_id(0), Msg::Launch { client: 0 })]
    );
    let reg = Msg::Register {
        apartment: 0,
        clsids: vec![A],
    };
    let out = scm.on_msg(c, c.server_id(0), &reg);
    assert!(out
        .iter()
        .any(|(_, m)| matches!(m, Msg::Activate { client: 0, .. })));
    scm
}

/// CLSID_B.
pub const B: Clsid = Clsid(1);
