//! Unit tests of the service host's handlers against the rules they implement (spec/rules.md).

mod common;

use comlife::com::config::Clsid;
use comlife::com::hresult::Hresult;
use comlife::com::msg::{ActKind, Msg};
use comlife::com::scenario::Scenario;
use comlife::com::service::{BRef, DisconnectProgress, HostState, HostStep, StubState};
use comlife::com::toggles::Toggle;
use common::handlers::cfg;

/// SERVICE_CONTROL_STOP, revoke, CoDisconnectContext.
fn stop_and_disconnect(c: &comlife::com::config::Config, h: &mut HostState) {
    for s in [
        HostStep::StopRequest,
        HostStep::Revoke,
        HostStep::Disconnect,
    ] {
        assert!(h.enabled(c).contains(&s), "{s:?} enabled");
        h.step(c, s);
    }
}

fn create(c: &comlife::com::config::Config, h: &mut HostState, client: usize) -> u8 {
    match &h.on_msg(
        c,
        c.client_id(client),
        &Msg::Activate {
            client: client as u8,
            clsid: c.class_of_client(client),
            kind: ActKind::Instance,
        },
    )[0]
    .1
    {
        Msg::Reply {
            hr: Hresult::S_OK,
            obj: Some(o),
        } => *o,
        m => panic!("{m:?}"),
    }
}

#[test]
fn r000_timeout_while_a_call_runs_then_s_ok() {
    let c = cfg(Scenario::Service, &[]);
    let mut h = HostState::new();
    let a = create(&c, &mut h, 0);
    assert!(
        h.on_msg(&c, c.client_id(0), &Msg::Call { obj: a })
            .is_empty(),
        "the call runs"
    );
    stop_and_disconnect(&c, &mut h);
    assert_eq!(h.disconnect_results, vec![Hresult::RPC_E_TIMEOUT]);
    assert_eq!(h.objects[0].stub, StubState::Disconnecting);
    assert!(
        !h.enabled(&c).contains(&HostStep::Unload),
        "not before S_OK"
    );
    assert!(
        !h.enabled(&c).contains(&HostStep::RetryDisconnect),
        "retry once the call returned"
    );
    // A new call meanwhile: CO_E_OBJNOTCONNECTED (seeds README).
    let r = h.on_msg(&c, c.client_id(0), &Msg::Call { obj: a });
    assert_eq!(
        r[0].1,
        Msg::Reply {
            hr: Hresult::CO_E_OBJNOTCONNECTED,
            obj: None
        }
    );
    h.step(&c, HostStep::FinishCall(0));
    assert_eq!(
        h.objects[0].stub,
        StubState::Disconnected,
        "disconnected once the call returned"
    );
    h.step(&c, HostStep::RetryDisconnect);
    assert_eq!(h.stop.disconnect, DisconnectProgress::Done);
    h.step(&c, HostStep::Unload);
    assert!(!h.unloaded_while_live && !h.bad_disconnect_result);
    let r = h.on_msg(&c, c.client_id(0), &Msg::Call { obj: a });
    assert_eq!(
        r[0].1,
        Msg::Reply {
            hr: Hresult::RPC_E_DISCONNECTED,
            obj: None
        }
    );
}

#[test]
fn r000_default_context_and_deadlock_errors() {
    let off = cfg(Scenario::Service, &[Toggle::PrivateContext]);
    let mut h = HostState::new();
    create(&off, &mut h, 0);
    stop_and_disconnect(&off, &mut h);
    assert_eq!(h.disconnect_results, vec![Hresult::CO_E_NOT_SUPPORTED]);
    assert!(
        !h.enabled(&off).contains(&HostStep::Unload),
        "it cannot unload"
    );

    let c = cfg(Scenario::Service, &[]);
    let mut h = HostState::new();
    let a = create(&c, &mut h, 0);
    h.on_msg(&c, c.client_id(0), &Msg::CallSelfDisconnect { obj: a });
    assert_eq!(h.executing[0].hr, Hresult::CONTEXT_E_WOULD_DEADLOCK);
    let nd = cfg(Scenario::Service, &[Toggle::DeadlockDetection]);
    let mut h = HostState::new();
    let a = create(&nd, &mut h, 0);
    h.on_msg(&nd, nd.client_id(0), &Msg::CallSelfDisconnect { obj: a });
    assert!(h.executing[0].blocked, "waits for its own call for ever");
}

#[test]
fn r000_context_scope_spares_the_other_service() {
    for (off, spared) in [
        (vec![], true),
        (vec![Toggle::ContextScopedDisconnect], false),
    ] {
        let c = cfg(Scenario::Service, &off);
        let mut h = HostState::new();
        create(&c, &mut h, 0);
        let b = create(&c, &mut h, 1);
        assert_eq!(c.class_of_client(1), Clsid(1));
        stop_and_disconnect(&c, &mut h);
        let stub = h.objects.iter().find(|o| o.id == b).unwrap().stub;
        assert_eq!(stub == StubState::Connected, spared, "disabled {off:?}");
    }
}

/// Service B creates an object of A in-process and calls it once.
fn b_holds_an_object_of_a(c: &comlife::com::config::Config, h: &mut HostState) -> u8 {
    h.step(c, HostStep::BCreate);
    let BRef::Holds { obj, .. } = h.b_ref else {
        panic!("B holds an object")
    };
    obj
}

#[test]
fn r000_without_local_server_flag_remote_activation_fails() {
    let off = cfg(Scenario::Service, &[Toggle::RegisterLocalServer]);
    let mut h = HostState::new();
    let r = h.on_msg(
        &off,
        off.client_id(0),
        &Msg::Activate {
            client: 0,
            clsid: Clsid(0),
            kind: ActKind::Instance,
        },
    );
    assert_eq!(
        r[0].1,
        Msg::Reply {
            hr: Hresult::CO_E_SERVER_EXEC_FAILURE,
            obj: None
        },
        "a class registered without CLSCTX_LOCAL_SERVER is invisible to other processes"
    );
    assert!(h.objects.is_empty());
}

#[test]
fn r000_without_local_server_flag_in_process_pointer_is_not_cut() {
    for (off, cut) in [(vec![], true), (vec![Toggle::RegisterLocalServer], false)] {
        let c = cfg(Scenario::Service, &off);
        let mut h = HostState::new();
        let b = b_holds_an_object_of_a(&c, &mut h);
        stop_and_disconnect(&c, &mut h);
        assert_eq!(
            h.disconnect_results,
            vec![Hresult::S_OK],
            "disabled {off:?}"
        );
        assert!(
            !h.bad_disconnect_result,
            "S_OK is the documented result either way: a pointer is no proxy connection"
        );
        let stub = h.objects.iter().find(|o| o.id == b).unwrap().stub;
        assert_eq!(stub == StubState::Disconnected, cut, "disabled {off:?}");
        h.step(&c, HostStep::Unload);
        assert_eq!(h.unloaded_while_live, !cut, "disabled {off:?}");
        h.step(&c, HostStep::BCall);
        assert_eq!(
            h.crashed, !cut,
            "B's call through its pointer runs into A's unloaded DLL: disabled {off:?}"
        );
    }
}

#[test]
fn r001_refusing_stop_while_objects_are_active() {
    let off = cfg(Scenario::Service, &[Toggle::StopAlwaysAccepted]);
    let mut h = HostState::new();
    create(&off, &mut h, 0);
    h.step(&off, HostStep::StopRequest);
    assert!(h.stop.requested && !h.stop.accepted);
    assert!(
        h.enabled(&off)
            .iter()
            .all(|s| matches!(s, HostStep::BCreate)),
        "nothing more happens to the stop: the DLL stays loaded"
    );
}
