//! Unit tests of the Wine runtime's behaviours (R-WINE-* in spec/rules.md; model/com/runtime.rs).

mod common;

use comlife::com::client::{ClientOp, ClientState};
use comlife::com::config::Config;
use comlife::com::hresult::Hresult;
use comlife::com::msg::{ActKind, Msg};
use comlife::com::runtime::Runtime;
use comlife::com::scenario::Scenario;
use comlife::com::scm::{ClassEntry, ScmState, ScmStep};
use comlife::com::server::{AptPhase, ExitReason, ServerStep};
use comlife::com::toggle_set::ToggleSet;
use comlife::com::toggles::Toggle;
use common::handlers::{activate, cfg, started, step, A};

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
        if c.runtime.is_wine() {
            // The held activation is routed at its next poll of rpcss.
            scm.step(&c, ScmStep::Poll(0));
        }
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
                out.to_vec(),
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

/// The client's `CoGetClassObject` of `A` reaches the SCM.
fn activation(c: &Config, scm: &mut ScmState, client: usize) -> comlife::com::msg::Sends {
    scm.on_msg(
        c,
        c.client_id(client),
        &Msg::Activation {
            clsid: A,
            kind: ActKind::ClassObject,
        },
    )
}

/// R-WINE-ACTIVATION (F-1 on Wine): a held activation is routed at its client's next poll of
/// rpcss, not at the registration; meanwhile another client is served at once, and when the
/// server revokes before the poll the waiting client gets E_NOINTERFACE. Under Windows the
/// SCM routes the held activation at the registration and has no poll.
#[test]
fn wine_held_activation_polls_late_and_fails_when_the_class_goes() {
    let reg = Msg::Register {
        apartment: 0,
        clsids: vec![A],
    };
    let windows = cfg(Scenario::LocalSta, &[]);
    let mut scm = ScmState::new(&windows);
    activation(&windows, &mut scm, 0);
    let out = scm.on_msg(&windows, windows.server_id(0), &reg);
    assert!(out
        .iter()
        .any(|(_, m)| matches!(m, Msg::Activate { client: 0, .. })));
    assert!(scm.enabled(&windows).is_empty());

    let c = wine(Scenario::LocalSta, &[]);
    let mut scm = ScmState::new(&c);
    assert_eq!(
        activation(&c, &mut scm, 0).to_vec(),
        vec![(c.server_id(0), Msg::Launch { client: 0 })]
    );
    assert!(scm.enabled(&c).is_empty(), "nothing registered yet");
    let out = scm.on_msg(&c, c.server_id(0), &reg);
    assert_eq!(
        out.to_vec(),
        vec![(c.server_id(0), Msg::ScmDone { apartment: 0 })]
    );
    assert_eq!(scm.enabled(&c), vec![ScmStep::Poll(0)]);
    // Client 2 asks rpcss after the registration: served at once.
    let out = activation(&c, &mut scm, 1);
    assert!(matches!(out[..], [(_, Msg::Activate { client: 1, .. })]));
    // The server revokes (it served client 2 and shut down) before client 1's poll.
    let out = scm.on_msg(
        &c,
        c.server_id(0),
        &Msg::Revoke {
            apartment: 0,
            clsids: vec![A],
        },
    );
    assert_eq!(scm.classes[0], ClassEntry::Unknown);
    assert!(scm.held.is_empty() && scm.enabled(&c).is_empty());
    assert!(out.contains(&(
        c.client_id(0),
        Msg::ActivationResult {
            hr: Hresult::E_NOINTERFACE,
            server: None,
            obj: None
        }
    )));
}

/// R-WINE-ACTIVATION: the launched process exits after registering without revoking
/// (TerminateProcess) before the poll: E_NOINTERFACE. A poll routes the activation.
#[test]
fn wine_held_activation_fails_at_exit_and_is_routed_by_its_poll() {
    let c = wine(Scenario::LocalSta, &[]);
    let reg = Msg::Register {
        apartment: 0,
        clsids: vec![A],
    };
    let mut scm = ScmState::new(&c);
    activation(&c, &mut scm, 0);
    scm.on_msg(&c, c.server_id(0), &reg);
    let out = scm.on_msg(&c, c.server_id(0), &Msg::Exited);
    assert_eq!(
        out.to_vec(),
        vec![(
            c.client_id(0),
            Msg::ActivationResult {
                hr: Hresult::E_NOINTERFACE,
                server: None,
                obj: None
            }
        )]
    );
    let mut scm = ScmState::new(&c);
    activation(&c, &mut scm, 0);
    scm.on_msg(&c, c.server_id(0), &reg);
    let out = scm.step(&c, ScmStep::Poll(0));
    assert!(matches!(out[..], [(_, Msg::Activate { client: 0, .. })]));
    assert!(scm.held.is_empty());
}

/// R-WINE-TEARDOWN: a call that reaches an apartment CoUninitialize has torn down (it left
/// its loop, revoked and called CoUninitialize with nothing queued) is answered
/// RPC_E_DISCONNECTED by COM's RPC layer under Wine; under Windows CoUninitialize's modal loop
/// dispatches it (A-QUEUE).
#[test]
fn wine_call_in_an_apartments_teardown_is_rpc_e_disconnected() {
    for runtime in [Runtime::Windows, Runtime::Wine] {
        let c = cfg(Scenario::LocalSta, &[]).with_runtime(runtime).unwrap();
        let mut v = started(&c);
        let (hr, obj) = activate(&c, &mut v, 0, A, ActKind::Instance);
        assert_eq!(hr, Hresult::S_OK);
        v.apartments[0].phase = AptPhase::Done;
        // Only Wine's CoUninitialize is a step of its own.
        let uninit = ServerStep::Uninitialize(0);
        assert_eq!(v.enabled(&c).contains(&uninit), runtime.is_wine());
        if runtime.is_wine() {
            assert!(!v.enabled(&c).contains(&ServerStep::Exit));
            v.step(&c, uninit);
            assert_eq!(v.apartments[0].phase, AptPhase::Uninitialized);
        }
        let call = Msg::Call { obj: obj.unwrap() };
        let out = v.on_msg(&c, c.client_id(0), &call).expect("deliverable");
        if runtime.is_wine() {
            assert_eq!(
                out.to_vec(),
                vec![(
                    c.client_id(0),
                    Msg::Reply {
                        hr: Hresult::RPC_E_DISCONNECTED,
                        obj: None
                    }
                )]
            );
            assert!(v.enabled(&c).contains(&ServerStep::Exit));
        } else {
            // The handler tests dispatch directly (`unordered-dispatch`): the modal loop runs
            // the server's code for the call.
            assert_eq!(
                out.to_vec(),
                vec![(
                    c.client_id(0),
                    Msg::Reply {
                        hr: Hresult::S_OK,
                        obj: None
                    }
                )]
            );
        }
    }
}

/// R-WINE-TEARDOWN: Wine's CoUninitialize has no modal loop. A call queued in an STA that has
/// left its message loop is not dispatched; it holds the apartment, so a call arriving after
/// CoUninitialize queues too; the process exits with both queued, and their callers get
/// RPC_S_CALL_FAILED (rpcrt4's answer when the connection closes before the reply:
/// tests/conform/wine-call-failed-at-exit.log). Under Windows the modal loop dispatches the
/// queued call and the exit waits for it (A-QUEUE); a call after the exit is
/// RPC_S_SERVER_UNAVAILABLE under both.
#[test]
fn wine_call_still_queued_at_the_exit_is_rpc_s_call_failed() {
    for runtime in [Runtime::Windows, Runtime::Wine] {
        // The default FIFO queue (not the handler tests' direct dispatch).
        let c = Config::new(Scenario::LocalSta, ToggleSet::EMPTY, 2)
            .unwrap()
            .with_runtime(runtime)
            .unwrap();
        let mut v = started(&c);
        // Client 1 holds an object.
        let create = Msg::Activate {
            client: 0,
            clsid: A,
            kind: ActKind::Instance,
        };
        assert_eq!(
            v.on_msg(&c, c.scm_id(), &create),
            Some(smallvec::smallvec![])
        );
        let out = v.step(&c, ServerStep::Dispatch(0));
        let Msg::Activated { obj: Some(obj), .. } = out[0].1 else {
            panic!("an object for client 1: {out:?}")
        };
        // The server has decided and revoked; an activation's QueryService arrives as the
        // thread leaves its loop.
        v.shutdown = Some(ExitReason::Automatic);
        step(&c, &mut v, ServerStep::Revoke(0));
        assert_eq!(v.apartments[0].phase, AptPhase::Done);
        let act = Msg::Activate {
            client: 1,
            clsid: A,
            kind: ActKind::ClassObject,
        };
        assert_eq!(v.on_msg(&c, c.scm_id(), &act), Some(smallvec::smallvec![]));
        assert_eq!(v.queues[0].len(), 1);
        let enabled = v.enabled(&c);
        assert_eq!(
            enabled.contains(&ServerStep::Dispatch(0)),
            !runtime.is_wine()
        );
        assert!(!enabled.contains(&ServerStep::Exit));
        if !runtime.is_wine() {
            continue;
        }
        step(&c, &mut v, ServerStep::Uninitialize(0));
        // The queued call holds the apartment: a method call queues behind it.
        let call = Msg::Call { obj };
        assert_eq!(
            v.on_msg(&c, c.client_id(0), &call),
            Some(smallvec::smallvec![])
        );
        assert_eq!(v.queues[0].len(), 2);
        assert!(v.enabled(&c).contains(&ServerStep::Exit));
        let out = v.step(&c, ServerStep::Exit);
        let failed = Hresult::RPC_S_CALL_FAILED;
        assert!(out.contains(&(c.scm_id(), Msg::Exited)));
        assert!(out.contains(&(
            c.scm_id(),
            Msg::Activated {
                client: 1,
                clsid: A,
                kind: ActKind::ClassObject,
                hr: failed,
                obj: None
            }
        )));
        assert!(out.contains(&(
            c.client_id(0),
            Msg::Reply {
                hr: failed,
                obj: None
            }
        )));
        // After the exit a call fails to connect.
        let late = v.on_msg(&c, c.client_id(0), &call).unwrap();
        assert_eq!(
            late.to_vec(),
            vec![(
                c.client_id(0),
                Msg::Reply {
                    hr: Hresult::RPC_S_SERVER_UNAVAILABLE,
                    obj: None
                }
            )]
        );
    }
}

/// R-WINE-ACTIVATION (F-11 on Wine): a client whose first try finds no registration launches
/// the server itself, even while another client's launch is starting (Windows's SCM holds the
/// second activation for the starting instance, A-SCM); rpcss keeps both registrations in its
/// list's order and hands out the first, and the next takes its place when the first is
/// revoked or its process exits. A held activation waits while any launched instance may still
/// register its class, and gets E_NOINTERFACE when none is left.
#[test]
fn wine_launches_per_activation_and_hands_out_the_first_registration() {
    let reg = Msg::Register {
        apartment: 0,
        clsids: vec![A],
    };
    let windows = cfg(Scenario::LocalSta, &[]);
    let mut scm = ScmState::new(&windows);
    activation(&windows, &mut scm, 0);
    assert!(
        activation(&windows, &mut scm, 1).is_empty(),
        "held for instance 1"
    );

    let c = wine(Scenario::LocalSta, &[]);
    let mut scm = ScmState::new(&c);
    activation(&c, &mut scm, 0);
    assert_eq!(
        activation(&c, &mut scm, 1).to_vec(),
        vec![(c.server_id(1), Msg::Launch { client: 1 })],
        "client 2 launches instance 2 while instance 1 starts"
    );
    // Instance 2 registers first; instance 1's registration goes behind it.
    scm.on_msg(&c, c.server_id(1), &reg);
    scm.on_msg(&c, c.server_id(0), &reg);
    assert_eq!(scm.classes[0], ClassEntry::Registered(1));
    assert_eq!(scm.backups, vec![(A, 0)]);
    assert_eq!(scm.enabled(&c), vec![ScmStep::Poll(0), ScmStep::Poll(1)]);
    for client in [0, 1] {
        let out = scm.step(&c, ScmStep::Poll(client));
        assert_eq!(
            out.to_vec(),
            vec![(
                c.server_id(1),
                Msg::Activate {
                    client,
                    clsid: A,
                    kind: ActKind::ClassObject
                }
            )],
            "both served by the first registration"
        );
    }
    // Instance 2 revokes: instance 1's registration is handed out now.
    scm.on_msg(
        &c,
        c.server_id(1),
        &Msg::Revoke {
            apartment: 0,
            clsids: vec![A],
        },
    );
    assert_eq!(scm.classes[0], ClassEntry::Registered(0));
    assert!(scm.backups.is_empty());
    // A revoked backup leaves the list; an exited process's registration too.
    scm.on_msg(&c, c.server_id(1), &reg);
    assert_eq!(scm.backups, vec![(A, 1)]);
    scm.on_msg(&c, c.server_id(0), &Msg::Exited);
    assert_eq!(scm.classes[0], ClassEntry::Registered(1));
    assert!(scm.backups.is_empty());

    // Both launched instances exit before registering: the held activations wait for the
    // second while it may still register, and get E_NOINTERFACE when it is gone too.
    let mut scm = ScmState::new(&c);
    activation(&c, &mut scm, 0);
    activation(&c, &mut scm, 1);
    assert!(scm.on_msg(&c, c.server_id(0), &Msg::Exited).is_empty());
    assert_eq!(scm.classes[0], ClassEntry::Starting(1));
    let out = scm.on_msg(&c, c.server_id(1), &Msg::Exited);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out.iter().all(|(_, m)| matches!(
        m,
        Msg::ActivationResult {
            hr: Hresult::E_NOINTERFACE,
            ..
        }
    )));

    // REGCLS_SINGLEUSE: rpcss revokes the registration it hands out; the next is handed out.
    let c = wine(Scenario::LocalSta, &[Toggle::RegclsSingleuse]);
    let mut scm = ScmState::new(&c);
    activation(&c, &mut scm, 0);
    activation(&c, &mut scm, 1);
    scm.on_msg(&c, c.server_id(0), &reg);
    scm.on_msg(&c, c.server_id(1), &reg);
    let out = scm.step(&c, ScmStep::Poll(1));
    assert!(matches!(out[..], [(_, Msg::Activate { client: 1, .. })]));
    assert_eq!(scm.classes[0], ClassEntry::Registered(1));
    let out = scm.step(&c, ScmStep::Poll(0));
    assert_eq!(out[0].0, c.server_id(1));
    assert_eq!(scm.classes[0], ClassEntry::Unknown);
}

/// R-WINE-ACTIVATION: a refusal under Wine is the client's own call failing (E_FAIL from a
/// revoked class's `local_server_QueryService`): rpcss learns nothing from it and keeps what
/// the instance registered, here CLSID_B, until the instance revokes it or exits. Windows's SCM
/// learns of the refusal and forgets the instance.
#[test]
fn wine_refusal_leaves_rpcss_registrations_alone() {
    use common::handlers::B;
    for (c, kept) in [
        (wine(Scenario::LocalMultiSta, &[]), true),
        (
            cfg(Scenario::LocalMultiSta, &[Toggle::ExitedInstanceFails]),
            false,
        ),
    ] {
        let mut scm = ScmState::new(&c);
        activation(&c, &mut scm, 0);
        scm.on_msg(
            &c,
            c.server_id(0),
            &Msg::Register {
                apartment: 0,
                clsids: vec![A, B],
            },
        );
        if c.runtime.is_wine() {
            scm.step(&c, ScmStep::Poll(0));
        }
        assert_eq!(scm.forwarded.len(), 1, "{scm:?}");
        scm.on_msg(
            &c,
            c.server_id(0),
            &Msg::Revoke {
                apartment: 0,
                clsids: vec![A],
            },
        );
        let out = scm.on_msg(
            &c,
            c.server_id(0),
            &Msg::Activated {
                client: 0,
                clsid: A,
                kind: ActKind::ClassObject,
                hr: c.runtime.refused_activation_hr(),
                obj: None,
            },
        );
        // Wine: the failure goes back to the client; Windows: the SCM relaunches the
        // activation refused with CO_E_SERVER_STOPPING (R-003-SCM-RELAUNCH).
        let expected = if kept {
            Msg::ActivationResult {
                hr: Hresult::E_FAIL,
                server: None,
                obj: None,
            }
        } else {
            Msg::Launch { client: 0 }
        };
        assert!(matches!(&out[..], [(_, m)] if *m == expected), "{out:?}");
        assert_eq!(
            scm.classes[1] == ClassEntry::Registered(0),
            kept,
            "{:?}: {scm:?}",
            c.runtime
        );
    }
}
