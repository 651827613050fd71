//! Unit tests of the actors' handlers against the rules they implement (spec/rules.md).

use comlife::com::client::{ClientOp, ClientState};
use comlife::com::config::{Clsid, Config, Scenario, ToggleSet};
use comlife::com::hresult::Hresult;
use comlife::com::msg::{ActKind, Msg};
use comlife::com::scm::{ClassEntry, ScmState};
use comlife::com::server::{
    AptPhase, ClassReg, ExitReason, Queued, ScmCall, ServerState, ServerStep,
};
use comlife::com::toggles::Toggle;
use stateright::actor::Id;

type Sends = Vec<(Id, Msg)>;

/// A configuration for the handler tests. The textbook servers' handlers are driven one call at a
/// time, delivered to an idle apartment and dispatched at once: A-NETWORK's direct dispatch (the
/// variant `unordered-dispatch`). The FIFO queue every local server has by default is tested on
/// its own (`sta_queues_calls_until_message_loop`, the framework tests).
fn cfg(s: Scenario, toggled: &[Toggle]) -> Config {
    let mut set = toggled.iter().copied().collect::<ToggleSet>();
    if Toggle::UnorderedDispatch.applies_to(s) {
        set = set.with(Toggle::UnorderedDispatch);
    }
    Config::new(s, set, 2).unwrap()
}

/// Answers every synchronous call to the SCM in `out` (registration, revocation), as the SCM
/// does, so the waiting thread returns.
fn scm_answers(cfg: &Config, v: &mut ServerState, out: Sends) {
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
fn step(cfg: &Config, v: &mut ServerState, s: ServerStep) {
    assert!(v.enabled(cfg).contains(&s), "{s:?} enabled in {v:?}");
    let out = v.step(cfg, s);
    scm_answers(cfg, v, out);
}

/// A server of `cfg` launched for client 0 and taken through its start-up steps.
fn started(cfg: &Config) -> ServerState {
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
fn activate(
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

fn reply(out: Option<Sends>) -> (Hresult, Option<u8>) {
    match &out.expect("dispatchable")[0].1 {
        Msg::Reply { hr, obj } => (*hr, *obj),
        m => panic!("unexpected {m:?}"),
    }
}

const A: Clsid = Clsid(0);

/// An SCM that launched instance 1 for client 1's activation of CLSID_A (`kind`) and, once the
/// instance registered, forwarded the activation to it.
fn scm_forwarding(c: &Config, kind: ActKind) -> ScmState {
    let mut scm = ScmState::new(c);
    let out = scm.on_msg(c, c.client_id(0), &Msg::Activation { clsid: A, kind });
    assert_eq!(out, vec![(c.server_id(0), Msg::Launch { client: 0 })]);
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
const B: Clsid = Clsid(1);

#[test]
fn r003_implicit_lock_on_marshal_and_release() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut v = started(&c);
    assert_eq!(
        activate(&c, &mut v, 0, A, ActKind::ClassObject).0,
        Hresult::S_OK
    );
    assert_eq!(
        (v.count, v.locks),
        (1, 1),
        "marshaling IClassFactory takes LockServer(TRUE)"
    );
    let (hr, _) = reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseFactory { clsid: A }));
    assert_eq!(hr, Hresult::S_OK);
    assert_eq!((v.count, v.locks), (0, 0), "releasing the proxy undoes it");
    assert_eq!(
        v.shutdown,
        Some(ExitReason::Automatic),
        "and that is a final decrement"
    );

    let off = cfg(Scenario::LocalSta, &[Toggle::ImplicitLockserver]);
    let mut v = started(&off);
    activate(&off, &mut v, 0, A, ActKind::ClassObject);
    assert_eq!(
        (v.count, v.locks),
        (0, 0),
        "no implicit lock when the mechanism is off"
    );
}

#[test]
fn cocreateinstance_is_one_activation_without_a_class_object_proxy() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut v = started(&c);
    let (hr, obj) = activate(&c, &mut v, 0, A, ActKind::Instance);
    assert_eq!((hr, obj), (Hresult::S_OK, Some(1)));
    assert_eq!((v.count, v.locks, v.factory_proxies[0]), (1, 0, 0));
    let mut cl = ClientState::new();
    let sent = cl.start(&c, 0, ClientOp::CoCreateInstance);
    assert_eq!(
        sent,
        Some((
            c.scm_id(),
            Msg::Activation {
                clsid: A,
                kind: ActKind::Instance
            }
        ))
    );
    cl.on_reply(&Msg::ActivationResult {
        hr: Hresult::S_OK,
        server: Some(0),
        obj: Some(1),
    });
    assert_eq!((cl.object, cl.factory), (Some((0, 1)), None));
    assert!(cl.observed.saw(ClientOp::CoCreateInstance, Hresult::S_OK));
}

#[test]
fn r003_lockserver_proxy_answers_locally_only_with_implicit_lock() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut cl = ClientState::new();
    cl.factory = Some(0);
    cl.activated = true;
    assert_eq!(
        cl.start(&c, 0, ClientOp::LockServerTrue),
        None,
        "not remoted"
    );
    assert!(cl.locked && cl.observed.saw(ClientOp::LockServerTrue, Hresult::S_OK));
    assert_eq!(cl.pending, None);

    let off = cfg(Scenario::LocalSta, &[Toggle::ImplicitLockserver]);
    let mut cl = ClientState::new();
    cl.factory = Some(0);
    cl.activated = true;
    let sent = cl.start(&off, 0, ClientOp::LockServerTrue);
    assert_eq!(
        sent,
        Some((
            off.server_id(0),
            Msg::LockServer {
                clsid: A,
                lock: true
            }
        ))
    );
}

#[test]
fn seeds_release_returns_a_ulong_so_its_failure_is_never_observed() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut cl = ClientState::new();
    cl.activated = true;
    cl.object = Some((0, 1));
    cl.called = true;
    cl.start(&c, 0, ClientOp::ReleaseObject);
    cl.on_reply(&Msg::Reply {
        hr: Hresult::RPC_S_SERVER_UNAVAILABLE,
        obj: None,
    });
    assert_eq!(cl.object, None, "the proxy is gone");
    assert_eq!(cl.observed.iter().count(), 0, "and nothing was observed");
    assert!(!ClientOp::ReleaseFactory.returns_hresult());
    assert!(ClientOp::Call.returns_hresult());
}

#[test]
fn r003_auto_suspend_on_final_release() {
    for (toggled, suspended) in [
        (vec![Toggle::AtomicActivation], true),
        (vec![Toggle::AtomicActivation, Toggle::AutoSuspend], false),
        (
            vec![Toggle::AtomicActivation, Toggle::ProcessRefcount],
            false,
        ),
    ] {
        let c = cfg(Scenario::LocalMta, &toggled);
        let mut v = started(&c);
        let (_, obj) = activate(&c, &mut v, 1, B, ActKind::Instance);
        reply(v.on_msg(
            &c,
            c.client_id(1),
            &Msg::ReleaseObject { obj: obj.unwrap() },
        ));
        assert_eq!(v.count, 0);
        assert_eq!(v.suspended, suspended, "toggled {toggled:?}");
        assert_eq!(v.shutdown, Some(ExitReason::Automatic));
        // The other apartment may still dispatch: a suspended server refuses the activation.
        let (hr, _) = activate(&c, &mut v, 0, A, ActKind::ClassObject);
        assert_eq!(
            hr == Hresult::CO_E_SERVER_STOPPING,
            suspended,
            "toggled {toggled:?}"
        );
        assert_eq!(v.handed_out_late, !suspended);
    }
}

#[test]
fn a_atomic_activation_split_lets_a_checked_activation_complete_after_the_final_release() {
    // F-4: apartment 1 (CLSID_A) passes the suspended check; apartment 2's final release
    // reaches zero; apartment 1 then marshals the class object of a server shutting down.
    for (toggled, late) in [(vec![], true), (vec![Toggle::AtomicActivation], false)] {
        let c = cfg(Scenario::LocalMta, &toggled);
        let mut v = started(&c);
        let (_, obj) = activate(&c, &mut v, 1, B, ActKind::Instance);
        let first = v
            .on_msg(
                &c,
                c.scm_id(),
                &Msg::Activate {
                    client: 0,
                    clsid: A,
                    kind: ActKind::ClassObject,
                },
            )
            .unwrap();
        assert_eq!(
            first.is_empty(),
            late,
            "checked, not yet marshaled: {toggled:?}"
        );
        reply(v.on_msg(
            &c,
            c.client_id(1),
            &Msg::ReleaseObject { obj: obj.unwrap() },
        ));
        if late {
            assert_eq!((v.count, v.shutdown), (0, Some(ExitReason::Automatic)));
            assert!(v.suspended);
            v.step(&c, ServerStep::FinishActivation(0));
            assert!(v.handed_out_late, "handed out after the decision");
            assert_eq!(
                v.count, 1,
                "the implicit lock of a server that is shutting down"
            );
        } else {
            assert_eq!(v.count, 1, "the activation's lock came first");
            assert_eq!(v.shutdown, None);
        }
    }
}

#[test]
fn r003_recheck_after_revoke_keeps_serving_until_the_count_is_zero() {
    let c = cfg(Scenario::LocalMta, &[Toggle::RecheckAfterRevoke]);
    let mut v = started(&c);
    let (_, obj) = activate(&c, &mut v, 1, B, ActKind::Instance);
    v.on_msg(
        &c,
        c.scm_id(),
        &Msg::Activate {
            client: 0,
            clsid: A,
            kind: ActKind::ClassObject,
        },
    )
    .unwrap();
    reply(v.on_msg(
        &c,
        c.client_id(1),
        &Msg::ReleaseObject { obj: obj.unwrap() },
    ));
    step(&c, &mut v, ServerStep::FinishRelease(1));
    v.step(&c, ServerStep::FinishActivation(0));
    step(&c, &mut v, ServerStep::Revoke(0));
    assert!(v.classes.iter().all(|r| *r == ClassReg::Revoked));
    assert!(
        v.apartments.iter().all(|a| a.phase == AptPhase::Loop),
        "revoked, still dispatching"
    );
    assert!(
        !v.enabled(&c).contains(&ServerStep::Quit),
        "count is 1: stay"
    );
    let (hr, o) = reply(v.on_msg(&c, c.client_id(0), &Msg::CreateInstance { clsid: A }));
    assert_eq!(hr, Hresult::S_OK, "the late client is served");
    reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: o.unwrap() }));
    reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseFactory { clsid: A }));
    assert_eq!(v.count, 0);
    step(&c, &mut v, ServerStep::Quit);
    assert!(v.enabled(&c).contains(&ServerStep::Exit));
}

#[test]
fn r002_final_decrement_not_zero_condition() {
    let c = cfg(Scenario::LocalSta, &[]);
    let v = started(&c);
    assert_eq!(v.count, 0);
    assert!(
        !v.enabled(&c).contains(&ServerStep::IdleZeroCheck),
        "a zero count at start-up is no exit"
    );
    let off = cfg(Scenario::LocalSta, &[Toggle::ExitOnFinalDecrement]);
    let v = started(&off);
    assert!(v.enabled(&off).contains(&ServerStep::IdleZeroCheck));
}

#[test]
fn r002_user_control_blocks_automatic_exit() {
    for (off, shuts) in [(vec![], false), (vec![Toggle::UserControl], true)] {
        let c = cfg(Scenario::LocalSta, &off);
        let mut v = started(&c);
        activate(&c, &mut v, 0, A, ActKind::ClassObject);
        v.step(&c, ServerStep::UserOpenDocument);
        assert!(v.user.control);
        reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseFactory { clsid: A }));
        assert_eq!(v.shutdown.is_some(), shuts, "disabled {off:?}");
        // F-5: CoReleaseServerProcess returned 0 and suspended the class objects even of the
        // instance the user works in.
        assert!(v.suspended, "disabled {off:?}");
    }
    // The remedy: the document holds a process reference while it is open.
    let c = cfg(Scenario::LocalSta, &[Toggle::UserDocumentCounts]);
    let mut v = started(&c);
    activate(&c, &mut v, 0, A, ActKind::ClassObject);
    v.step(&c, ServerStep::UserOpenDocument);
    reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseFactory { clsid: A }));
    assert_eq!((v.count, v.suspended), (1, false));
}

#[test]
fn r002_user_close_decides_from_the_servers_own_count() {
    // A client holds a class-object proxy without any lock (implicit LockServer off): the
    // server's count is zero, so closing is a plain exit; it cannot see the proxy.
    let off = cfg(Scenario::LocalSta, &[Toggle::ImplicitLockserver]);
    let mut v = started(&off);
    activate(&off, &mut v, 0, A, ActKind::ClassObject);
    v.step(&off, ServerStep::UserOpenDocument);
    let steps = v.enabled(&off);
    assert!(steps.contains(&ServerStep::UserClose));
    assert!(!steps.contains(&ServerStep::UserCloseHide));
}

#[test]
fn r002_user_close_disconnects_objects_and_seeds_exited_process_fails_alike() {
    let mut after_exit = Vec::new();
    for toggled in [vec![], vec![Toggle::DisconnectOnUserClose]] {
        let c = cfg(Scenario::LocalSta, &toggled);
        let mut v = started(&c);
        let (_, obj) = activate(&c, &mut v, 0, A, ActKind::Instance);
        let obj = obj.unwrap();
        v.step(&c, ServerStep::UserOpenDocument);
        let disconnect = toggled.is_empty();
        let close = if disconnect {
            let steps = v.enabled(&c);
            assert!(steps.contains(&ServerStep::UserCloseHide));
            ServerStep::UserCloseDisconnect
        } else {
            ServerStep::UserClose
        };
        let out = v.step(&c, close);
        assert_eq!(v.live_objects(), if disconnect { 0 } else { 1 });
        // Before the exit (the thread waits in CoRevokeClassObject): COM's RPC layer answers a
        // call on a disconnected stub; a connected one waits for the apartment.
        assert_eq!(v.apartments[0].phase, AptPhase::Waiting(ScmCall::Revoke));
        let live = v.on_msg(&c, c.client_id(0), &Msg::Call { obj });
        if disconnect {
            assert_eq!(reply(live).0, Hresult::RPC_E_DISCONNECTED);
        } else {
            assert!(live.is_none(), "queued");
        }
        scm_answers(&c, &mut v, out);
        step(&c, &mut v, ServerStep::Exit);
        after_exit.push(reply(v.on_msg(&c, c.client_id(0), &Msg::Call { obj })).0);
        assert!(!v.stranded_client, "the user closed it");
    }
    assert_eq!(
        after_exit,
        vec![Hresult::RPC_S_SERVER_UNAVAILABLE; 2],
        "once the process is gone, every call fails the same way"
    );
}

#[test]
fn r002_factory_refs_cannot_keep_an_exe_alive() {
    let c = cfg(Scenario::LocalSta, &[]);
    let v = started(&c);
    assert_eq!(
        v.factory_refcount(),
        1,
        "registration holds a reference until CoRevokeClassObject"
    );
    let off = cfg(Scenario::LocalSta, &[Toggle::FactoryRefsIgnored]);
    let mut v = started(&off);
    activate(&off, &mut v, 0, A, ActKind::ClassObject);
    reply(v.on_msg(&off, off.client_id(0), &Msg::ReleaseFactory { clsid: A }));
    assert_eq!(
        v.shutdown, None,
        "waiting for the class object's references never ends"
    );
}

#[test]
fn r003_regcls_suspended_classes_wait_for_resume() {
    let c = cfg(Scenario::LocalMta, &[]);
    let mut v = ServerState::new(&c, 0);
    v.on_msg(&c, c.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    assert!(
        v.step(&c, ServerStep::Register(1)).is_empty(),
        "REGCLS_SUSPENDED: the SCM is not told"
    );
    assert_eq!(v.classes[1], ClassReg::Suspended);
    assert!(
        !v.enabled(&c).contains(&ServerStep::Resume),
        "resume only after every class is registered"
    );
    v.step(&c, ServerStep::Register(0));
    let out = v.step(&c, ServerStep::Resume);
    assert_eq!(
        out,
        vec![(
            c.scm_id(),
            Msg::Register {
                apartment: 0,
                clsids: vec![A, B]
            }
        )]
    );
    assert_eq!(
        v.apartments[0].phase,
        AptPhase::Waiting(ScmCall::Register),
        "CoResumeClassObjects is a synchronous call to the SCM"
    );

    let off = cfg(Scenario::LocalMta, &[Toggle::RegclsSuspended]);
    let mut v = ServerState::new(&off, 0);
    v.on_msg(&off, off.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    let out = v.step(&off, ServerStep::Register(1));
    assert_eq!(
        out,
        vec![(
            off.scm_id(),
            Msg::Register {
                apartment: 1,
                clsids: vec![B]
            }
        )],
        "registered with the SCM at once"
    );
}

#[test]
fn sta_queues_calls_until_message_loop() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut v = ServerState::new(&c, 0);
    v.on_msg(&c, c.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    let act = Msg::Activate {
        client: 0,
        clsid: A,
        kind: ActKind::ClassObject,
    };
    assert!(v.on_msg(&c, c.scm_id(), &act).is_none());
    v.step(&c, ServerStep::Register(0));
    v.step(&c, ServerStep::Resume);
    assert!(
        v.on_msg(&c, c.scm_id(), &act).is_none(),
        "blocked in CoResumeClassObjects"
    );
    v.on_msg(&c, c.scm_id(), &Msg::ScmDone { apartment: 0 })
        .unwrap();
    assert!(v.on_msg(&c, c.scm_id(), &act).is_some());
}

#[test]
fn r003_scm_relaunches_after_server_stopping() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut scm = ScmState::new(&c);
    let act = |hr| Msg::Activated {
        client: 0,
        clsid: A,
        kind: ActKind::ClassObject,
        hr,
        obj: None,
    };
    let out = scm.on_msg(
        &c,
        c.client_id(0),
        &Msg::Activation {
            clsid: A,
            kind: ActKind::ClassObject,
        },
    );
    assert_eq!(out, vec![(c.server_id(0), Msg::Launch { client: 0 })]);
    let reg = Msg::Register {
        apartment: 0,
        clsids: vec![A],
    };
    let out = scm.on_msg(&c, c.server_id(0), &reg);
    assert_eq!(
        out,
        vec![
            (c.server_id(0), Msg::ScmDone { apartment: 0 }),
            (
                c.server_id(0),
                Msg::Activate {
                    client: 0,
                    clsid: A,
                    kind: ActKind::ClassObject
                }
            )
        ]
    );
    let out = scm.on_msg(&c, c.server_id(0), &act(Hresult::CO_E_SERVER_STOPPING));
    assert_eq!(
        out,
        vec![(c.server_id(1), Msg::Launch { client: 0 })],
        "a new instance"
    );
    assert_eq!(scm.classes[0], ClassEntry::Starting(1));
    let out = scm.on_msg(&c, c.server_id(1), &reg);
    scm.on_msg(&c, c.server_id(1), &act(Hresult::S_OK));
    assert_eq!(out.len(), 2);
    assert!(scm.relaunch_served);
}

#[test]
fn seeds_revoke_tells_the_scm_and_leaves_class_object_proxies_alone() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut scm = scm_forwarding(&c, ActKind::ClassObject);
    let out = scm.on_msg(
        &c,
        c.server_id(0),
        &Msg::Revoke {
            apartment: 0,
            clsids: vec![A],
        },
    );
    assert_eq!(out, vec![(c.server_id(0), Msg::ScmDone { apartment: 0 })]);
    assert_eq!(
        scm.classes[0],
        ClassEntry::Unknown,
        "no longer available there"
    );
    let out = scm.on_msg(
        &c,
        c.client_id(1),
        &Msg::Activation {
            clsid: A,
            kind: ActKind::Instance,
        },
    );
    assert_eq!(
        out,
        vec![(c.server_id(1), Msg::Launch { client: 1 })],
        "a new activation starts another instance"
    );

    // In the server: the revocation is a synchronous call to the SCM, and it does not
    // disconnect a client's class-object proxy: a call on it waits for the apartment (which has
    // left its loop) and fails only when the process has exited.
    let off = cfg(Scenario::LocalSta, &[Toggle::ImplicitLockserver]);
    let mut v = started(&off);
    activate(&off, &mut v, 0, A, ActKind::ClassObject);
    let (_, obj) = activate(&off, &mut v, 1, A, ActKind::Instance);
    reply(v.on_msg(
        &off,
        off.client_id(1),
        &Msg::ReleaseObject { obj: obj.unwrap() },
    ));
    let out = v.step(&off, ServerStep::FinishRelease(0));
    assert_eq!(
        out,
        vec![(
            off.scm_id(),
            Msg::Revoke {
                apartment: 0,
                clsids: vec![A]
            }
        )]
    );
    assert_eq!(v.apartments[0].phase, AptPhase::Waiting(ScmCall::Revoke));
    assert!(!v.factories_disconnected);
    assert!(v
        .on_msg(&off, off.client_id(0), &Msg::CreateInstance { clsid: A })
        .is_none());
}

#[test]
fn bad_names_and_bounds_are_rejected_with_the_valid_choices() {
    let e = Scenario::parse("local").unwrap_err();
    assert!(e.contains("local-sta") && e.contains("local-mta"));
    let e = Toggle::parse("lockserver").unwrap_err();
    assert!(e.contains("lockserver-counts"));
    let e = Config::new(Scenario::LocalSta, ToggleSet::EMPTY, 0).unwrap_err();
    assert!(e.contains("1 to 3"));
    let e = Config::new(Scenario::LocalMta, ToggleSet::only(Toggle::UserControl), 2).unwrap_err();
    assert!(e.contains("does not apply"));
    let long = "x".repeat(10_000);
    let e = Toggle::parse(&long).unwrap_err();
    assert!(e.len() < 2_000, "long input is quoted by a prefix only");
    let e = ToggleSet::from_args(Scenario::LocalSta, &[], &["auto-suspend".into()]).unwrap_err();
    assert!(e.contains("user-document-counts"), "{e}");
    let e = ToggleSet::from_args(Scenario::Service, &[], &["x".into()]).unwrap_err();
    assert!(e.contains("none"), "{e}");
}

#[test]
fn mechanism_sets_round_trip_through_flags() {
    for s in Scenario::ALL {
        for set in comlife::com::config::matrix_runs(s) {
            let args = set.to_args();
            let (mut dis, mut en) = (Vec::new(), Vec::new());
            for pair in args.chunks(2) {
                if pair[0] == "--disable" {
                    dis.push(pair[1].clone())
                } else {
                    en.push(pair[1].clone())
                }
            }
            assert_eq!(
                ToggleSet::from_args(s, &dis, &en),
                Ok(set),
                "{}",
                set.label()
            );
            assert_eq!(ToggleSet::parse_label(&set.label()), Ok(set));
        }
    }
}

mod inproc {
    use super::cfg;
    use comlife::com::config::Scenario;
    use comlife::com::inproc::{Apt, InprocOp, InprocState, InprocStep, Thread};
    use comlife::com::toggles::Toggle;

    fn run(c: &comlife::com::config::Config, p: &mut InprocState, steps: &[InprocStep]) {
        for s in steps {
            assert!(p.enabled(c).contains(s), "{s:?} enabled in {p:?}");
            p.step(c, *s);
        }
    }

    fn entry(p: &InprocState, apt: Apt) -> Option<comlife::com::inproc::Entry> {
        p.dll.entries[apt as usize]
    }

    #[test]
    fn r002_dllcanunloadnow_counts_objects_and_locks_not_factories() {
        let c = cfg(Scenario::Inproc, &[]);
        let mut p = InprocState::new();
        run(
            &c,
            &mut p,
            &[InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject)],
        );
        assert!(
            p.can_unload_now(&c),
            "a class-object reference does not count"
        );
        run(
            &c,
            &mut p,
            &[InprocStep::Do(Thread::Mta1, InprocOp::LockServerTrue)],
        );
        assert!(!p.can_unload_now(&c), "a lock does");
        let off = cfg(Scenario::Inproc, &[Toggle::DllcanunloadnowCountsLocks]);
        assert!(p.can_unload_now(&off), "unless the mechanism is off");
        let remedy = cfg(Scenario::Inproc, &[Toggle::DllCountsFactories]);
        let mut q = InprocState::new();
        run(
            &remedy,
            &mut q,
            &[InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject)],
        );
        assert!(
            !q.can_unload_now(&remedy),
            "the remedy counts class objects"
        );
    }

    #[test]
    fn seeds_per_apartment_lists_only_the_owning_apartment_frees_its_entry() {
        let c = cfg(Scenario::Inproc, &[]);
        let mut p = InprocState::new();
        run(
            &c,
            &mut p,
            &[InprocStep::Do(Thread::Sta, InprocOp::CoCreateInstance)],
        );
        assert!(entry(&p, Apt::Sta).is_some() && entry(&p, Apt::Mta).is_none());
        assert!(
            !p.enabled(&c).contains(&InprocStep::Sweep(Thread::Mta2)),
            "an MTA thread's sweep does not see the STA's list"
        );
        run(
            &c,
            &mut p,
            &[
                InprocStep::Do(Thread::Sta, InprocOp::Call),
                InprocStep::Do(Thread::Sta, InprocOp::ReleaseDecrement),
            ],
        );
        assert!(
            !p.enabled(&c).contains(&InprocStep::Sweep(Thread::Sta)),
            "the STA thread cannot sweep while it runs its Release epilogue"
        );
        run(
            &c,
            &mut p,
            &[
                InprocStep::Do(Thread::Sta, InprocOp::ReleaseReturn),
                InprocStep::Sweep(Thread::Sta),
                InprocStep::DelayPasses(Apt::Sta),
                InprocStep::Sweep(Thread::Sta),
            ],
        );
        assert!(!p.dll.loaded() && !p.unloaded_while_live);
        let off = cfg(Scenario::Inproc, &[Toggle::EveryApartmentSweeps]);
        let mut q = InprocState::new();
        run(
            &off,
            &mut q,
            &[InprocStep::Do(Thread::Sta, InprocOp::CoCreateInstance)],
        );
        assert!(
            !q.enabled(&off)
                .iter()
                .any(|s| matches!(s, InprocStep::Sweep(_))),
            "nobody frees the STA's entry"
        );
    }

    #[test]
    fn seeds_candidate_list_microsoft_text_and_wine_variant() {
        // Microsoft's text: once the delay passed, the next sweep frees the candidate without
        // asking DllCanUnloadNow again; use through COM takes it off the list.
        let c = cfg(Scenario::Inproc, &[]);
        let mut p = InprocState::new();
        run(
            &c,
            &mut p,
            &[
                InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject),
                InprocStep::Sweep(Thread::Mta2),
            ],
        );
        assert!(entry(&p, Apt::Mta).unwrap().candidate);
        run(
            &c,
            &mut p,
            &[InprocStep::Do(Thread::Mta2, InprocOp::CoCreateInstance)],
        );
        assert!(
            !entry(&p, Apt::Mta).unwrap().candidate && p.revived,
            "revived by use"
        );
        let mut p = InprocState::new();
        run(
            &c,
            &mut p,
            &[
                InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject),
                InprocStep::Sweep(Thread::Mta2),
                InprocStep::Do(Thread::Mta1, InprocOp::LockServerTrue),
                InprocStep::DelayPasses(Apt::Mta),
                InprocStep::Sweep(Thread::Mta2),
            ],
        );
        assert!(
            p.unloaded_while_live,
            "F-3: freed under a lock, nothing asked"
        );

        // Wine: asked again; S_FALSE clears the mark; use does not.
        let w = cfg(Scenario::Inproc, &[Toggle::WineCandidateList]);
        let mut p = InprocState::new();
        run(
            &w,
            &mut p,
            &[
                InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject),
                InprocStep::Sweep(Thread::Mta2),
                InprocStep::Do(Thread::Mta1, InprocOp::LockServerTrue),
                InprocStep::Sweep(Thread::Mta2),
            ],
        );
        assert!(!entry(&p, Apt::Mta).unwrap().candidate, "S_FALSE unmarks");
        let mut p = InprocState::new();
        run(
            &w,
            &mut p,
            &[
                InprocStep::Do(Thread::Mta2, InprocOp::CoCreateInstance),
                InprocStep::Do(Thread::Mta2, InprocOp::Call),
                InprocStep::Do(Thread::Mta2, InprocOp::ReleaseDecrement),
                InprocStep::Do(Thread::Mta2, InprocOp::ReleaseReturn),
                InprocStep::Sweep(Thread::Mta2),
                InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject),
            ],
        );
        assert!(
            entry(&p, Apt::Mta).unwrap().candidate && !p.revived,
            "no revival"
        );
    }

    #[test]
    fn seeds_unload_delay_covers_another_mta_threads_epilogue() {
        for (toggled, crashes) in [(vec![], false), (vec![Toggle::UnloadDelay], true)] {
            let c = cfg(Scenario::Inproc, &toggled);
            let mut p = InprocState::new();
            run(
                &c,
                &mut p,
                &[
                    InprocStep::Do(Thread::Mta2, InprocOp::CoCreateInstance),
                    InprocStep::Do(Thread::Mta2, InprocOp::Call),
                    InprocStep::Do(Thread::Mta2, InprocOp::ReleaseDecrement),
                    InprocStep::Sweep(Thread::Mta1),
                ],
            );
            assert_eq!(p.dll.loaded(), !crashes, "toggled {toggled:?}");
            if !crashes {
                assert!(
                    !p.enabled(&c).contains(&InprocStep::DelayPasses(Apt::Mta)),
                    "the delay does not pass during the epilogue (A-DELAY)"
                );
            }
            run(
                &c,
                &mut p,
                &[InprocStep::Do(Thread::Mta2, InprocOp::ReleaseReturn)],
            );
            assert_eq!(p.crashed, crashes, "toggled {toggled:?}");
        }
    }

    #[test]
    fn r002_unlocked_factory_beyond_scope_crashes() {
        let off = cfg(Scenario::Inproc, &[Toggle::ClientLocksFactory]);
        let mut p = InprocState::new();
        run(
            &off,
            &mut p,
            &[InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject)],
        );
        assert!(
            !p.enabled(&off)
                .contains(&InprocStep::Do(Thread::Mta1, InprocOp::LockServerTrue)),
            "no LockServer without the mechanism"
        );
        run(
            &off,
            &mut p,
            &[
                InprocStep::Sweep(Thread::Mta2),
                InprocStep::DelayPasses(Apt::Mta),
                InprocStep::Sweep(Thread::Mta2),
                InprocStep::Do(Thread::Mta1, InprocOp::CreateInstance),
            ],
        );
        assert!(p.crashed);
    }
}

mod service {
    use super::cfg;
    use comlife::com::config::{Clsid, Scenario};
    use comlife::com::hresult::Hresult;
    use comlife::com::msg::{ActKind, Msg};
    use comlife::com::service::{BRef, DisconnectProgress, HostState, HostStep, StubState};
    use comlife::com::toggles::Toggle;

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
}

/// R-SEEDS-KB170915: the server's COM runtime refuses a client without access permission with
/// E_ACCESSDENIED before any apartment dispatches it (no class object touched, no count taken);
/// the SCM passes the answer on without relaunching; a permitted client is served as before.
#[test]
fn kb170915_refused_activation_reaches_no_server_code() {
    let c = cfg(Scenario::LocalSta, &[Toggle::AccessDeniedClient]);
    assert!(c.access_denied(0) && !c.access_denied(1));
    let mut v = started(&c);
    let before = v.clone();
    let (hr, obj) = activate(&c, &mut v, 0, A, ActKind::ClassObject);
    assert_eq!((hr, obj), (Hresult::E_ACCESSDENIED, None));
    assert!(v == before, "nothing in the server changed");
    let (hr, _) = activate(&c, &mut v, 1, A, ActKind::Instance);
    assert_eq!(hr, Hresult::S_OK, "client 2 has access");
    assert_eq!(v.count, 1);

    let mut scm = scm_forwarding(&c, ActKind::ClassObject);
    let out = scm.on_msg(
        &c,
        c.server_id(0),
        &Msg::Activated {
            client: 0,
            clsid: A,
            kind: ActKind::ClassObject,
            hr: Hresult::E_ACCESSDENIED,
            obj: None,
        },
    );
    assert_eq!(
        out,
        vec![(
            c.client_id(0),
            Msg::ActivationResult {
                hr: Hresult::E_ACCESSDENIED,
                server: None,
                obj: None
            }
        )],
        "passed to the client, no relaunch"
    );
    assert_eq!(
        scm.classes[0],
        ClassEntry::Registered(0),
        "the instance stays registered"
    );

    // Without the condition nobody is refused.
    let c = cfg(Scenario::LocalSta, &[]);
    let mut v = started(&c);
    assert_eq!(
        activate(&c, &mut v, 0, A, ActKind::ClassObject).0,
        Hresult::S_OK
    );
}

/// R-COM-SINGLEUSE: the SCM hands a REGCLS_SINGLEUSE registration one activation; the next one
/// launches a new instance. With REGCLS_MULTIPLEUSE both go to the registered instance.
#[test]
fn r_com_singleuse_registration_serves_one_activation() {
    for (toggled, second) in [(vec![Toggle::RegclsSingleuse], None), (vec![], Some(0u8))] {
        let c = cfg(Scenario::LocalSta, &toggled);
        let mut scm = scm_forwarding(&c, ActKind::Instance);
        let activation = Msg::Activation {
            clsid: A,
            kind: ActKind::Instance,
        };
        let out = scm.on_msg(&c, c.client_id(1), &activation);
        match second {
            None => {
                assert_eq!(out, vec![(c.server_id(1), Msg::Launch { client: 1 })]);
                assert_eq!(scm.classes[0], ClassEntry::Starting(1));
            }
            Some(s) => {
                assert_eq!(out.len(), 1);
                assert_eq!(out[0].0, c.server_id(s as usize), "same instance");
            }
        }
    }
}

/// R-COM-PING-GC: a client may die only between calls while it holds a reference; once dead it
/// makes no call, and COM's rundown releases its object and class-object references (unless
/// `ping-garbage-collection` is disabled). A reply reaching the dead client is not observed.
#[test]
fn r_com_ping_gc_runs_down_a_dead_clients_references() {
    use comlife::com::client::ClientEvent;
    let c = cfg(Scenario::LocalSta, &[Toggle::ClientDeath]);
    let mut cl = ClientState::new();
    assert!(cl.events(&c).is_empty(), "nothing held: it cannot die yet");
    cl.start(&c, 0, ClientOp::CoGetClassObject);
    assert!(cl.events(&c).is_empty(), "not while blocked in a call");
    cl.on_reply(&Msg::ActivationResult {
        hr: Hresult::S_OK,
        server: Some(0),
        obj: None,
    });
    assert_eq!(cl.events(&c), vec![ClientEvent::Dies]);
    assert!(cl.take(&c, 0, ClientEvent::Dies).is_empty());
    assert!(
        cl.dead && cl.enabled(&c).is_empty(),
        "a dead client makes no call"
    );
    assert_eq!(cl.events(&c), vec![ClientEvent::Rundown]);
    let out = cl.take(&c, 0, ClientEvent::Rundown);
    assert_eq!(
        out,
        vec![(c.server_id(0), Msg::ReleaseFactory { clsid: A })]
    );
    assert!(cl.is_done() && cl.events(&c).is_empty());

    // Without the garbage collection the references stay.
    let c = cfg(
        Scenario::LocalSta,
        &[Toggle::ClientDeath, Toggle::PingGarbageCollection],
    );
    let mut cl = ClientState::new();
    cl.start(&c, 0, ClientOp::CoCreateInstance);
    cl.on_reply(&Msg::ActivationResult {
        hr: Hresult::S_OK,
        server: Some(0),
        obj: Some(1),
    });
    cl.take(&c, 0, ClientEvent::Dies);
    assert!(cl.events(&c).is_empty(), "no rundown");
    assert!(cl.object.is_some());

    // Without the condition nobody dies.
    let c = cfg(Scenario::LocalSta, &[]);
    let mut cl = ClientState::new();
    cl.start(&c, 0, ClientOp::CoCreateInstance);
    cl.on_reply(&Msg::ActivationResult {
        hr: Hresult::S_OK,
        server: Some(0),
        obj: Some(1),
    });
    assert!(cl.events(&c).is_empty());
}

/// Delivers `msg` from `src` to a framework server: it joins the queue (STA) and is answered
/// only when dispatched.
fn enqueue(c: &Config, v: &mut ServerState, src: Id, msg: Msg) {
    let out = v
        .on_msg(c, src, &msg)
        .expect("a running server takes every call");
    assert!(out.is_empty(), "queued, not answered: {out:?}");
}

/// CoCreateInstance of CLSID_A for `client`, as the SCM forwards it.
fn create_a(client: u8) -> Msg {
    Msg::Activate {
        client,
        clsid: Clsid(0),
        kind: ActKind::Instance,
    }
}

/// A framework STA server with client 0's object 1 created: the count is 1.
fn framework_with_object(c: &Config) -> ServerState {
    let mut v = started(c);
    enqueue(c, &mut v, c.scm_id(), create_a(0));
    let out = v.step(c, ServerStep::Dispatch(0));
    assert!(matches!(
        out[0].1,
        Msg::Activated {
            hr: Hresult::S_OK,
            obj: Some(1),
            ..
        }
    ));
    assert_eq!(v.count, 1);
    v
}

/// R-COM-STA-QUEUE, R-COM-QUIT-ORDER, R-ATL70-MONITOR (F-7): the monitor's time-out waits for an
/// empty queue (A-TIMEOUT); an activation that arrives between its read of the count and its
/// PostThreadMessage is dispatched before WM_QUIT, and the loop then ends with that object
/// alive.
#[test]
fn r_atl70_monitor_reads_then_posts_and_an_activation_gets_in_between() {
    let c = cfg(Scenario::Atl9Sta, &[]);
    let mut v = framework_with_object(&c);
    enqueue(&c, &mut v, c.client_id(0), Msg::ReleaseObject { obj: 1 });
    v.step(&c, ServerStep::Dispatch(0));
    assert_eq!(v.count, 0);
    assert!(v.event, "Unlock at zero signals the monitor");
    assert!(
        !v.suspended,
        "ATL 7–9 keeps its own count: COM suspends nothing"
    );
    step(&c, &mut v, ServerStep::MonitorWake);
    // A call in the queue holds the time-out back (A-TIMEOUT); once dispatched, the re-read
    // sees its object and the monitor waits again.
    enqueue(&c, &mut v, c.scm_id(), create_a(1));
    assert!(!v.enabled(&c).contains(&ServerStep::MonitorTimeout));
    v.step(&c, ServerStep::Dispatch(0));
    step(&c, &mut v, ServerStep::MonitorTimeout);
    assert_eq!((v.count, v.shutdown), (1, None));
    // The object's release arms the monitor again; this time the read finds zero.
    enqueue(&c, &mut v, c.client_id(1), Msg::ReleaseObject { obj: 2 });
    v.step(&c, ServerStep::Dispatch(0));
    step(&c, &mut v, ServerStep::MonitorWake);
    step(&c, &mut v, ServerStep::MonitorTimeout);
    assert_eq!(v.shutdown, Some(ExitReason::Automatic), "the read decides");
    // An activation dispatched between the read and the post.
    enqueue(&c, &mut v, c.scm_id(), create_a(0));
    let out = v.step(&c, ServerStep::Dispatch(0));
    assert!(matches!(
        out[0].1,
        Msg::Activated {
            hr: Hresult::S_OK,
            ..
        }
    ));
    assert!(v.handed_out_late);
    step(&c, &mut v, ServerStep::MonitorPost);
    assert_eq!(v.queues[0], vec![Queued::Quit]);
    step(&c, &mut v, ServerStep::GetQuit);
    assert_eq!(v.apartments[0].phase, AptPhase::Done);
    assert_eq!(v.live_objects(), 1, "exits with object 3 referenced");
}

/// R-COM-QUIT-ORDER, R-SEEDS-COUNINITIALIZE: WM_QUIT posted with PostThreadMessage is retrieved
/// after what was queued before it; what arrives after it is dispatched by CoUninitialize's
/// modal loop once the class objects are revoked (the activation is refused with
/// CO_E_SERVER_STOPPING), and only then can the process exit.
#[test]
fn r_com_post_thread_message_quit_is_queued_in_order() {
    let c = cfg(Scenario::Atl9Sta, &[Toggle::DelayedShutdown]);
    let mut v = framework_with_object(&c);
    enqueue(&c, &mut v, c.client_id(0), Msg::ReleaseObject { obj: 1 });
    v.step(&c, ServerStep::Dispatch(0));
    assert_eq!(
        v.queues[0],
        vec![Queued::Quit],
        "Unlock posted WM_QUIT itself"
    );
    let late = create_a(1);
    enqueue(&c, &mut v, c.scm_id(), late);
    assert_eq!(v.enabled(&c), vec![ServerStep::GetQuit]);
    step(&c, &mut v, ServerStep::GetQuit);
    assert_eq!(v.apartments[0].phase, AptPhase::Done);
    assert_eq!(
        v.enabled(&c),
        vec![ServerStep::Dispatch(0)],
        "CoUninitialize's modal loop dispatches before the process exits"
    );
    let out = v.step(&c, ServerStep::Dispatch(0));
    assert!(out.iter().any(|(d, m)| *d == c.scm_id()
        && matches!(
            m,
            Msg::Activated {
                hr: Hresult::CO_E_SERVER_STOPPING,
                client: 1,
                ..
            }
        )));
    assert_eq!(v.enabled(&c), vec![ServerStep::Exit]);
}

/// R-MFC-LOCKAPP: the final AfxOleUnlockApp reaches AfxPostQuitMessage, which revokes every class
/// object (AfxOleTerm(TRUE) → COleObjectFactory::RevokeAll) before PostQuitMessage; an activation
/// queued behind the release is refused with CO_E_SERVER_STOPPING, and a later zero transition
/// does nothing (user control is TRUE by then). F-9 was the opposite reading.
#[test]
fn r_mfc_post_quit_message_revokes_first() {
    let c = cfg(Scenario::MfcSta, &[]);
    let mut v = framework_with_object(&c);
    enqueue(&c, &mut v, c.client_id(0), Msg::ReleaseObject { obj: 1 });
    enqueue(&c, &mut v, c.scm_id(), create_a(1));
    let out = v.step(&c, ServerStep::Dispatch(0));
    assert!(v.quit_requested && v.user.control);
    assert_eq!(v.classes[0], ClassReg::Revoked, "revoked before WM_QUIT");
    assert_eq!(
        v.apartments[0].phase,
        AptPhase::Waiting(ScmCall::RevokeInLoop)
    );
    scm_answers(&c, &mut v, out);
    assert_eq!(v.apartments[0].phase, AptPhase::Loop, "back in its loop");
    assert_eq!(
        v.enabled(&c),
        vec![ServerStep::Dispatch(0)],
        "not WM_QUIT yet"
    );
    let out = v.step(&c, ServerStep::Dispatch(0));
    assert!(matches!(
        out[0].1,
        Msg::Activated {
            hr: Hresult::CO_E_SERVER_STOPPING,
            ..
        }
    ));
    assert_eq!(v.live_objects(), 0);
    assert_eq!(v.enabled(&c), vec![ServerStep::GetQuit]);
}

/// R-MFC-LOCKAPP (b), F-10: with the main window disabled by a modal dialog, the final release
/// sets user control and destroys nothing; `recheck-after-modal` shuts down when it returns.
#[test]
fn r_mfc_disabled_main_window_skips_the_shutdown() {
    for remedy in [false, true] {
        let mut t = vec![Toggle::ModalDialog];
        if remedy {
            t.push(Toggle::RecheckAfterModal);
        }
        let c = cfg(Scenario::MfcSta, &t);
        let mut v = framework_with_object(&c);
        step(&c, &mut v, ServerStep::ModalOpen);
        enqueue(&c, &mut v, c.client_id(0), Msg::ReleaseObject { obj: 1 });
        v.step(&c, ServerStep::Dispatch(0));
        assert!(v.user.control && v.shutdown.is_none() && !v.quit_requested);
        step(&c, &mut v, ServerStep::ModalReturn);
        assert_eq!(v.quit_requested, remedy, "remedy {remedy}");
        assert_eq!(v.classes[0] == ClassReg::Revoked, remedy);
    }
}

/// R-ATL10-UNLOCK: from ATL 10.0 the final Unlock is CoReleaseServerProcess, which suspends the
/// class objects, so a queued activation is refused with CO_E_SERVER_STOPPING and the monitor
/// posts WM_QUIT on the first signal.
#[test]
fn r_atl10_unlock_suspends_and_the_monitor_posts_at_once() {
    let c = cfg(Scenario::Atl14Sta, &[]);
    let mut v = framework_with_object(&c);
    enqueue(&c, &mut v, c.client_id(0), Msg::ReleaseObject { obj: 1 });
    v.step(&c, ServerStep::Dispatch(0));
    assert!(v.suspended && v.event);
    assert!(v.enabled(&c).contains(&ServerStep::MonitorPost));
    assert!(!v.enabled(&c).contains(&ServerStep::MonitorWake));
    enqueue(&c, &mut v, c.scm_id(), create_a(1));
    let out = v.step(&c, ServerStep::Dispatch(0));
    assert!(matches!(
        out[0].1,
        Msg::Activated {
            hr: Hresult::CO_E_SERVER_STOPPING,
            ..
        }
    ));
}

/// A-QUEUE, R-ATL70-MONITOR (F-8): in a free-threaded server an activation runs on an RPC
/// thread at delivery, in two steps; the monitor's suspension and re-read do not see an
/// activation that passed COM's check but has not locked yet.
#[test]
fn free_threaded_activation_locks_after_the_monitors_recheck() {
    let c = cfg(Scenario::Atl9Mta, &[]);
    let mut v = started(&c);
    assert!(v.on_msg(&c, c.scm_id(), &create_a(0)).unwrap().is_empty());
    v.step(&c, ServerStep::FinishRpc(0));
    assert_eq!(v.count, 1);
    assert!(v.on_msg(&c, c.scm_id(), &create_a(1)).unwrap().is_empty());
    assert_eq!(v.rpc_activations.len(), 1, "client 2's passed COM's check");
    let (hr, _) = reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
    assert_eq!(hr, Hresult::S_OK);
    step(&c, &mut v, ServerStep::MonitorWake);
    step(&c, &mut v, ServerStep::MonitorTimeout);
    assert!(v.suspended, "CoSuspendClassObjects");
    step(&c, &mut v, ServerStep::MonitorRecheck);
    assert_eq!(v.queues[0], vec![Queued::Quit]);
    step(&c, &mut v, ServerStep::FinishRpc(0));
    assert_eq!((v.count, v.live_objects()), (1, 1));
    assert!(v.handed_out_late);
}

/// R-MFC-CLOSE: the user's document counts (AfxOleLockApp); `CFrameWnd::OnClose` with an object
/// still outstanding hides and serves on (user control FALSE), and the client's last release
/// then shuts the instance down; with nothing outstanding the close revokes, then quits.
#[test]
fn r_mfc_close_hides_while_objects_remain_and_quits_otherwise() {
    let c = cfg(Scenario::MfcSta, &[Toggle::UserTakesControl]);
    let mut v = framework_with_object(&c);
    step(&c, &mut v, ServerStep::UserOpenDocument);
    assert_eq!(v.count, 2, "the document locks the application");
    assert!(v.user.control);
    assert_eq!(v.enabled(&c), vec![ServerStep::UserCloseHide]);
    step(&c, &mut v, ServerStep::UserCloseHide);
    assert_eq!(v.count, 1);
    assert!(!v.user.control && v.user.closed && v.shutdown.is_none());
    enqueue(&c, &mut v, c.client_id(0), Msg::ReleaseObject { obj: 1 });
    v.step(&c, ServerStep::Dispatch(0));
    assert!(
        v.quit_requested,
        "the last release shuts the hidden instance down"
    );

    let mut v = framework_with_object(&c);
    step(&c, &mut v, ServerStep::UserOpenDocument);
    enqueue(&c, &mut v, c.client_id(0), Msg::ReleaseObject { obj: 1 });
    v.step(&c, ServerStep::Dispatch(0));
    assert!(
        !v.quit_requested && v.shutdown.is_none(),
        "the client's last release leaves the user's document"
    );
    assert_eq!(v.enabled(&c), vec![ServerStep::UserClose]);
    let out = v.step(&c, ServerStep::UserClose);
    assert_eq!(v.classes[0], ClassReg::Revoked, "revoked before WM_QUIT");
    assert!(v.quit_requested && v.count == 0);
    scm_answers(&c, &mut v, out);
    assert_eq!(v.enabled(&c), vec![ServerStep::GetQuit]);
}

/// R-WTL-USER-START: a user-started WTL instance is registered and holds the window's
/// `_Module.Lock()`; a client's last release does not signal the monitor, the window's
/// `OnDestroy` does. Without the lock (`frame-locks-module` disabled) the last release does.
#[test]
fn r_wtl_user_started_window_holds_the_module() {
    for lock in [true, false] {
        let mut t = vec![Toggle::UserStarted];
        if !lock {
            t.push(Toggle::FrameLocksModule);
        }
        let c = cfg(Scenario::WtlSta, &t);
        let mut v = ServerState::new(&c, 0);
        assert!(v.ready && v.user.working());
        assert_eq!(v.count, u8::from(lock));
        enqueue(&c, &mut v, c.scm_id(), create_a(0));
        v.step(&c, ServerStep::Dispatch(0));
        enqueue(&c, &mut v, c.client_id(0), Msg::ReleaseObject { obj: 1 });
        v.step(&c, ServerStep::Dispatch(0));
        assert_eq!(
            v.event, !lock,
            "the last release signals the monitor only without the lock"
        );
        assert!(v.enabled(&c).contains(&ServerStep::UserClose));
        v.step(&c, ServerStep::UserClose);
        assert!(v.event && v.count == 0 && !v.user.working());
    }
}
