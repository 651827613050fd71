//! Unit tests of the Wine runtime's behaviours (R-WINE-* in spec/rules.md; model/com/runtime.rs).

mod common;

use comlife::com::client::{ClientOp, ClientState};
use comlife::com::config::Config;
use comlife::com::hresult::Hresult;
use comlife::com::msg::{ActKind, Msg};
use comlife::com::runtime::Runtime;
use comlife::com::scenario::Scenario;
use comlife::com::scm::ScmState;
use comlife::com::toggle_set::ToggleSet;
use comlife::com::toggles::Toggle;
use common::handlers::{cfg, A};

fn wine(s: Scenario, toggled: &[Toggle]) -> Config {
    cfg(s, toggled).with_runtime(Runtime::Wine).unwrap()
}

/// R-WINE-LOCKSERVER-STUB: LockServer on the class-object proxy returns E_NOTIMPL and sends
/// nothing; under Windows with the implicit lock off it is remoted.
#[test]
fn wine_lockserver_on_proxy_is_e_notimpl_and_never_reaches_the_server() {
    let c = wine(Scenario::LocalSta, &[]);
    assert!(!c.on(Toggle::ImplicitLockserver));
    let mut cl = ClientState::new();
    cl.factory = Some(0);
    cl.activated = true;
    assert_eq!(cl.start(&c, 0, ClientOp::LockServerTrue), None);
    assert!(cl
        .observed
        .saw(ClientOp::LockServerTrue, Hresult::E_NOTIMPL));
    assert!(!cl.locked && cl.pending.is_none());
    let off = cfg(Scenario::LocalSta, &[Toggle::ImplicitLockserver]);
    let mut cl = ClientState::new();
    cl.factory = Some(0);
    cl.activated = true;
    assert!(cl.start(&off, 0, ClientOp::LockServerTrue).is_some());
}

/// R-WINE-ACTIVATION: CoCreateInstance gets the class object, calls CreateInstance through
/// its proxy and releases the proxy, and reports CreateInstance's HRESULT.
#[test]
fn wine_cocreateinstance_goes_through_the_class_object() {
    let c = wine(Scenario::LocalSta, &[]);
    let mut cl = ClientState::new();
    let sent = cl.start(&c, 0, ClientOp::CoCreateInstance);
    assert_eq!(
        sent,
        Some((
            c.scm_id(),
            Msg::Activation {
                clsid: A,
                kind: ActKind::ClassObject
            }
        ))
    );
    let next = cl.on_reply(
        &c,
        0,
        &Msg::ActivationResult {
            hr: Hresult::S_OK,
            server: Some(0),
            obj: None,
        },
    );
    assert_eq!(
        next,
        Some((c.server_id(0), Msg::CreateInstance { clsid: A }))
    );
    assert_eq!(cl.pending, Some(ClientOp::CoCreateInstance));
    let next = cl.on_reply(
        &c,
        0,
        &Msg::Reply {
            hr: Hresult::RPC_S_SERVER_UNAVAILABLE,
            obj: None,
        },
    );
    assert_eq!(
        next,
        Some((c.server_id(0), Msg::ReleaseFactory { clsid: A }))
    );
    assert!(cl.observed.saw(
        ClientOp::CoCreateInstance,
        Hresult::RPC_S_SERVER_UNAVAILABLE
    ));
    let next = cl.on_reply(
        &c,
        0,
        &Msg::Reply {
            hr: Hresult::RPC_S_SERVER_UNAVAILABLE,
            obj: None,
        },
    );
    assert_eq!(next, None);
    assert!(cl.pending.is_none() && cl.factory.is_none() && cl.object.is_none());
}

/// R-WINE-ACTIVATION: rpcss does not relaunch after a refused activation; the client gets the
/// server's E_FAIL. Under Windows CO_E_SERVER_STOPPING makes the SCM launch a new instance.
#[test]
fn wine_refused_activation_goes_back_to_the_client() {
    for (c, relaunch) in [
        (cfg(Scenario::LocalSta, &[]), true),
        (wine(Scenario::LocalSta, &[]), false),
    ] {
        let mut scm = ScmState::new(&c);
        let out = scm.on_msg(
            &c,
            c.client_id(0),
            &Msg::Activation {
                clsid: A,
                kind: ActKind::ClassObject,
            },
        );
        assert!(matches!(out[0].1, Msg::Launch { .. }));
        scm.on_msg(
            &c,
            c.server_id(0),
            &Msg::Register {
                apartment: 0,
                clsids: vec![A],
            },
        );
        let hr = c.runtime.refused_activation_hr();
        let out = scm.on_msg(
            &c,
            c.server_id(0),
            &Msg::Activated {
                client: 0,
                clsid: A,
                kind: ActKind::ClassObject,
                hr,
                obj: None,
            },
        );
        let launched = out.iter().any(|(_, m)| matches!(m, Msg::Launch { .. }));
        assert_eq!(launched, relaunch, "{:?}", c.runtime);
        if !relaunch {
            assert_eq!(
                out,
                vec![(
                    c.client_id(0),
                    Msg::ActivationResult {
                        hr: Hresult::E_FAIL,
                        server: None,
                        obj: None
                    }
                )]
            );
        }
    }
}

/// R-WINE-NO-SUSPEND and the pins: no suspension, REGCLS_SUSPENDED ignored, no rundown, Wine's
/// candidate list, no relaunch of an exited instance's activation.
#[test]
fn wine_pins_its_mechanisms() {
    let c = wine(Scenario::LocalSta, &[]);
    for (t, on) in [
        (Toggle::AutoSuspend, false),
        (Toggle::RegclsSuspended, false),
        (Toggle::PingGarbageCollection, false),
        (Toggle::ExitedInstanceFails, true),
    ] {
        assert_eq!(c.on(t), on, "{}", t.name());
        assert_ne!(
            cfg(Scenario::LocalSta, &[]).on(t),
            on,
            "{} differs on Windows",
            t.name()
        );
    }
    assert!(wine(Scenario::Inproc, &[]).on(Toggle::WineCandidateList));
    // A pinned toggle in the set is dropped: the run is Wine's baseline.
    let d = wine(Scenario::LocalSta, &[Toggle::ImplicitLockserver]);
    assert_eq!(d.toggled, wine(Scenario::LocalSta, &[]).toggled);
    assert_eq!(d.run_label(), "with-unordered-dispatch+on-wine");
}

/// What Wine cannot have is refused: the service host (CoDisconnectContext is a stub) and
/// KB 170915's access-denied client (no permission check).
#[test]
fn wine_refuses_the_service_host_and_the_access_denied_client() {
    let e = Config::new(Scenario::Service, ToggleSet::EMPTY, 2)
        .unwrap()
        .with_runtime(Runtime::Wine)
        .unwrap_err();
    assert!(e.contains("CoDisconnectContext is a stub"), "{e}");
    let e = Config::new(
        Scenario::LocalSta,
        ToggleSet::only(Toggle::AccessDeniedClient),
        2,
    )
    .unwrap()
    .with_runtime(Runtime::Wine)
    .unwrap_err();
    assert!(e.contains("no launch or access permission check"), "{e}");
    assert!(Runtime::parse("linux")
        .unwrap_err()
        .contains("windows, wine"));
}

/// R-WINE-DISCONNECTED and the other Wine HRESULTs.
#[test]
fn wine_hresults() {
    assert_eq!(Runtime::Wine.disconnected_hr(), Hresult::RPC_S_UNKNOWN_IF);
    assert_eq!(
        Runtime::Windows.disconnected_hr(),
        Hresult::RPC_E_DISCONNECTED
    );
    assert_eq!(Runtime::Wine.failed_launch_hr(), Hresult::E_NOINTERFACE);
    let mut cl = ClientState::new();
    cl.observed
        .record(ClientOp::Call, Hresult::RPC_S_UNKNOWN_IF);
    cl.observed
        .record(ClientOp::CallSelfDisconnect, Hresult::E_NOINTERFACE);
    assert!(cl.observed.saw(ClientOp::Call, Hresult::RPC_S_UNKNOWN_IF));
    assert!(!cl.observed.saw(ClientOp::Call, Hresult::E_NOINTERFACE));
    assert!(cl
        .observed
        .saw(ClientOp::CallSelfDisconnect, Hresult::E_NOINTERFACE));
}
