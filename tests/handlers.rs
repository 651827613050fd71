//! Unit tests of the actors' handlers against the rules they implement (spec/rules.md).

use comlife::client::{ClientOp, ClientState};
use comlife::config::{Clsid, Config, Mechanism, MechanismSet, Scenario};
use comlife::hresult::Hresult;
use comlife::msg::Msg;
use comlife::scm::{ClassEntry, ScmState};
use comlife::server::{ClassReg, ExitReason, ServerState, ServerStep};

fn cfg(s: Scenario, off: &[Mechanism]) -> Config {
    Config::new(s, off.iter().copied().collect::<MechanismSet>(), 2).unwrap()
}

/// A server of `cfg` launched for client 0 and taken through its start-up steps.
fn started(cfg: &Config) -> ServerState {
    let mut v = ServerState::new(cfg, 0);
    v.on_msg(cfg, cfg.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    for _ in 0..4 {
        let next = v
            .enabled(cfg)
            .into_iter()
            .find(|s| matches!(s, ServerStep::Register(_) | ServerStep::Resume));
        match next {
            Some(step) => {
                v.step(cfg, step);
            }
            None => break,
        }
    }
    assert!(v.ready, "all classes live after start-up");
    v
}

fn activate(cfg: &Config, v: &mut ServerState, client: u8, clsid: Clsid) -> Hresult {
    let out = v
        .on_msg(cfg, cfg.scm_id(), &Msg::Activate { client, clsid })
        .expect("dispatchable");
    match &out[0].1 {
        Msg::Activated { hr, .. } => *hr,
        m => panic!("unexpected {m:?}"),
    }
}

fn reply(out: Option<Vec<(stateright::actor::Id, Msg)>>) -> (Hresult, Option<u8>) {
    match &out.expect("dispatchable")[0].1 {
        Msg::Reply { hr, obj } => (*hr, *obj),
        m => panic!("unexpected {m:?}"),
    }
}

#[test]
fn r003_implicit_lock_on_marshal_and_release() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut v = started(&c);
    assert_eq!(activate(&c, &mut v, 0, Clsid(0)), Hresult::S_OK);
    assert_eq!(
        (v.count, v.locks),
        (1, 1),
        "marshaling IClassFactory takes LockServer(TRUE)"
    );
    let (hr, _) = reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseFactory { clsid: Clsid(0) }));
    assert_eq!(hr, Hresult::S_OK);
    assert_eq!((v.count, v.locks), (0, 0), "releasing the proxy undoes it");
    assert_eq!(
        v.shutdown,
        Some(ExitReason::Automatic),
        "and that is a final decrement"
    );

    let off = cfg(Scenario::LocalSta, &[Mechanism::ImplicitLockserver]);
    let mut v = started(&off);
    activate(&off, &mut v, 0, Clsid(0));
    assert_eq!(
        (v.count, v.locks),
        (0, 0),
        "no implicit lock when the mechanism is off"
    );
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

    let off = cfg(Scenario::LocalSta, &[Mechanism::ImplicitLockserver]);
    let mut cl = ClientState::new();
    cl.factory = Some(0);
    cl.activated = true;
    let sent = cl.start(&off, 0, ClientOp::LockServerTrue);
    assert_eq!(
        sent,
        Some((
            off.server_id(0),
            Msg::LockServer {
                clsid: Clsid(0),
                lock: true
            }
        ))
    );
}

#[test]
fn r003_auto_suspend_on_final_release() {
    for (off, suspended) in [
        (vec![], true),
        (vec![Mechanism::AutoSuspend], false),
        (vec![Mechanism::ProcessRefcount], false),
    ] {
        let c = cfg(Scenario::LocalMta, &off);
        let mut v = started(&c);
        activate(&c, &mut v, 1, Clsid(1));
        let (_, obj) =
            reply(v.on_msg(&c, c.client_id(1), &Msg::CreateInstance { clsid: Clsid(1) }));
        reply(v.on_msg(&c, c.client_id(1), &Msg::ReleaseFactory { clsid: Clsid(1) }));
        reply(v.on_msg(
            &c,
            c.client_id(1),
            &Msg::ReleaseObject { obj: obj.unwrap() },
        ));
        assert_eq!(v.count, 0);
        assert_eq!(v.suspended, suspended, "disabled {off:?}");
        assert_eq!(v.shutdown, Some(ExitReason::Automatic));
        // The other apartment may still dispatch: a suspended server refuses the activation.
        let hr = activate(&c, &mut v, 0, Clsid(0));
        assert_eq!(
            hr == Hresult::CO_E_SERVER_STOPPING,
            suspended,
            "disabled {off:?}"
        );
        assert_eq!(v.handed_out_late, !suspended);
    }
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
    let off = cfg(Scenario::LocalSta, &[Mechanism::ExitOnFinalDecrement]);
    let v = started(&off);
    assert!(v.enabled(&off).contains(&ServerStep::IdleZeroCheck));
}

#[test]
fn r002_user_control_blocks_automatic_exit() {
    for (off, shuts) in [(vec![], false), (vec![Mechanism::UserControl], true)] {
        let c = cfg(Scenario::LocalSta, &off);
        let mut v = started(&c);
        activate(&c, &mut v, 0, Clsid(0));
        v.step(&c, ServerStep::UserOpenDocument);
        assert!(v.user.control);
        reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseFactory { clsid: Clsid(0) }));
        assert_eq!(v.shutdown.is_some(), shuts, "disabled {off:?}");
    }
}

#[test]
fn r002_user_close_disconnects_objects() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut v = started(&c);
    activate(&c, &mut v, 0, Clsid(0));
    let (_, obj) = reply(v.on_msg(&c, c.client_id(0), &Msg::CreateInstance { clsid: Clsid(0) }));
    v.step(&c, ServerStep::UserOpenDocument);
    let steps = v.enabled(&c);
    assert!(
        steps.contains(&ServerStep::UserCloseHide)
            && steps.contains(&ServerStep::UserCloseDisconnect)
    );
    v.step(&c, ServerStep::UserCloseDisconnect);
    assert_eq!(v.live_objects(), 0);
    assert_eq!((v.count, v.locks), (0, 0));
    // Calls on the disconnected proxy: RPC_E_DISCONNECTED, before and after the exit.
    v.step(&c, ServerStep::Exit);
    let (hr, _) = reply(v.on_msg(&c, c.client_id(0), &Msg::Call { obj: obj.unwrap() }));
    assert_eq!(hr, Hresult::RPC_E_DISCONNECTED);

    let off = cfg(Scenario::LocalSta, &[Mechanism::DisconnectOnUserClose]);
    let mut v = started(&off);
    activate(&off, &mut v, 0, Clsid(0));
    let (_, obj) = reply(v.on_msg(
        &off,
        off.client_id(0),
        &Msg::CreateInstance { clsid: Clsid(0) },
    ));
    v.step(&off, ServerStep::UserOpenDocument);
    assert_eq!(
        v.enabled(&off)
            .iter()
            .filter(|s| matches!(s, ServerStep::UserClose))
            .count(),
        1
    );
    v.step(&off, ServerStep::UserClose);
    v.step(&off, ServerStep::Exit);
    let (hr, _) = reply(v.on_msg(&off, off.client_id(0), &Msg::Call { obj: obj.unwrap() }));
    assert_eq!(
        hr,
        Hresult::RPC_S_SERVER_UNAVAILABLE,
        "the stub was never disconnected"
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
    let off = cfg(Scenario::LocalSta, &[Mechanism::FactoryRefsIgnored]);
    let mut v = started(&off);
    activate(&off, &mut v, 0, Clsid(0));
    reply(v.on_msg(
        &off,
        off.client_id(0),
        &Msg::ReleaseFactory { clsid: Clsid(0) },
    ));
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
                clsids: vec![Clsid(0), Clsid(1)]
            }
        )]
    );

    let off = cfg(Scenario::LocalMta, &[Mechanism::RegclsSuspended]);
    let mut v = ServerState::new(&off, 0);
    v.on_msg(&off, off.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    let out = v.step(&off, ServerStep::Register(1));
    assert_eq!(
        out,
        vec![(
            off.scm_id(),
            Msg::Register {
                clsids: vec![Clsid(1)]
            }
        )],
        "live at once"
    );
}

#[test]
fn sta_queues_calls_until_message_loop() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut v = ServerState::new(&c, 0);
    v.on_msg(&c, c.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    assert!(v
        .on_msg(
            &c,
            c.scm_id(),
            &Msg::Activate {
                client: 0,
                clsid: Clsid(0)
            }
        )
        .is_none());
}

#[test]
fn r003_scm_relaunches_after_server_stopping() {
    let c = cfg(Scenario::LocalSta, &[]);
    let mut scm = ScmState::new(&c);
    let out = scm.on_msg(&c, c.client_id(0), &Msg::GetClassObject { clsid: Clsid(0) });
    assert_eq!(out, vec![(c.server_id(0), Msg::Launch { client: 0 })]);
    let out = scm.on_msg(
        &c,
        c.server_id(0),
        &Msg::Register {
            clsids: vec![Clsid(0)],
        },
    );
    assert_eq!(
        out,
        vec![(
            c.server_id(0),
            Msg::Activate {
                client: 0,
                clsid: Clsid(0)
            }
        )]
    );
    let out = scm.on_msg(
        &c,
        c.server_id(0),
        &Msg::Activated {
            client: 0,
            clsid: Clsid(0),
            hr: Hresult::CO_E_SERVER_STOPPING,
        },
    );
    assert_eq!(
        out,
        vec![(c.server_id(1), Msg::Launch { client: 0 })],
        "a new instance"
    );
    assert_eq!(scm.classes[0], ClassEntry::Starting(1));
    let out = scm.on_msg(
        &c,
        c.server_id(1),
        &Msg::Register {
            clsids: vec![Clsid(0)],
        },
    );
    scm.on_msg(
        &c,
        c.server_id(1),
        &Msg::Activated {
            client: 0,
            clsid: Clsid(0),
            hr: Hresult::S_OK,
        },
    );
    assert_eq!(out.len(), 1);
    assert!(scm.relaunch_served);
}

#[test]
fn bad_names_and_bounds_are_rejected_with_the_valid_choices() {
    let e = Scenario::parse("local").unwrap_err();
    assert!(e.contains("local-sta") && e.contains("local-mta"));
    let e = Mechanism::parse("lockserver").unwrap_err();
    assert!(e.contains("lockserver-counts"));
    let e = Config::new(Scenario::LocalSta, MechanismSet::EMPTY, 0).unwrap_err();
    assert!(e.contains("1 to 3"));
    let e = Config::new(
        Scenario::LocalMta,
        MechanismSet::only(Mechanism::UserControl),
        2,
    )
    .unwrap_err();
    assert!(e.contains("does not apply"));
}

mod inproc {
    use super::cfg;
    use comlife::config::{Mechanism, Scenario};
    use comlife::inproc::{InprocOp, InprocState, InprocStep, Thread};

    fn run(c: &comlife::config::Config, p: &mut InprocState, steps: &[InprocStep]) {
        for s in steps {
            assert!(p.enabled(c).contains(s), "{s:?} enabled in {p:?}");
            p.step(c, *s);
        }
    }

    #[test]
    fn r002_dllcanunloadnow_counts_objects_and_locks_not_factories() {
        let c = cfg(Scenario::Inproc, &[]);
        let mut p = InprocState::new();
        run(
            &c,
            &mut p,
            &[InprocStep::Do(Thread::Mta, InprocOp::CoGetClassObject)],
        );
        assert!(
            p.can_unload_now(&c),
            "a class-factory reference does not count"
        );
        run(
            &c,
            &mut p,
            &[InprocStep::Do(Thread::Mta, InprocOp::LockServerTrue)],
        );
        assert!(!p.can_unload_now(&c), "a lock does");
        let off = cfg(Scenario::Inproc, &[Mechanism::DllcanunloadnowCountsLocks]);
        assert!(
            p.can_unload_now(&off),
            "unless DllCanUnloadNow ignores locks"
        );
    }

    #[test]
    fn seeds_unload_delay_candidate_then_free_on_a_later_sweep() {
        let c = cfg(Scenario::Inproc, &[]);
        let mut p = InprocState::new();
        run(
            &c,
            &mut p,
            &[InprocStep::Do(Thread::Sta, InprocOp::CoCreateInstance)],
        );
        assert!(
            !p.enabled(&c).contains(&InprocStep::Sweep),
            "S_FALSE changes nothing"
        );
        run(
            &c,
            &mut p,
            &[
                InprocStep::Do(Thread::Sta, InprocOp::Call),
                InprocStep::Do(Thread::Sta, InprocOp::ReleaseDecrement),
                InprocStep::Sweep,
            ],
        );
        assert!(
            p.dll.loaded && p.dll.candidate,
            "the first S_OK only marks the DLL"
        );
        assert!(
            !p.enabled(&c).contains(&InprocStep::DelayPasses),
            "not while a thread is in its code"
        );
        run(
            &c,
            &mut p,
            &[
                InprocStep::Do(Thread::Sta, InprocOp::ReleaseReturn),
                InprocStep::DelayPasses,
                InprocStep::Sweep,
            ],
        );
        assert!(!p.dll.loaded && !p.crashed && !p.unloaded_while_live);

        let off = cfg(Scenario::Inproc, &[Mechanism::UnloadDelay]);
        let mut p = InprocState::new();
        run(
            &off,
            &mut p,
            &[
                InprocStep::Do(Thread::Sta, InprocOp::CoCreateInstance),
                InprocStep::Do(Thread::Sta, InprocOp::Call),
                InprocStep::Do(Thread::Sta, InprocOp::ReleaseDecrement),
                InprocStep::Sweep,
            ],
        );
        assert!(
            !p.dll.loaded && p.unloaded_while_live,
            "freed on the first S_OK, epilogue still running"
        );
        run(
            &off,
            &mut p,
            &[InprocStep::Do(Thread::Sta, InprocOp::ReleaseReturn)],
        );
        assert!(p.crashed, "the return lands in unloaded code");
    }

    #[test]
    fn seeds_using_a_candidate_takes_it_off_the_list() {
        let c = cfg(Scenario::Inproc, &[]);
        let mut p = InprocState::new();
        run(
            &c,
            &mut p,
            &[
                InprocStep::Do(Thread::Mta, InprocOp::CoGetClassObject),
                InprocStep::Sweep,
                InprocStep::Do(Thread::Sta, InprocOp::CoCreateInstance),
            ],
        );
        assert!(!p.dll.candidate && p.revived);
    }

    #[test]
    fn r002_unlocked_factory_beyond_scope_crashes() {
        let off = cfg(Scenario::Inproc, &[Mechanism::ClientLocksFactory]);
        let mut p = InprocState::new();
        run(
            &off,
            &mut p,
            &[InprocStep::Do(Thread::Mta, InprocOp::CoGetClassObject)],
        );
        assert!(!p
            .enabled(&off)
            .contains(&InprocStep::Do(Thread::Mta, InprocOp::LockServerTrue)));
        run(
            &off,
            &mut p,
            &[
                InprocStep::Sweep,
                InprocStep::DelayPasses,
                InprocStep::Sweep,
            ],
        );
        run(
            &off,
            &mut p,
            &[InprocStep::Do(Thread::Mta, InprocOp::CreateInstance)],
        );
        assert!(p.crashed);
    }
}

mod service {
    use super::cfg;
    use comlife::config::{Clsid, Mechanism, Scenario};
    use comlife::hresult::Hresult;
    use comlife::msg::Msg;
    use comlife::service::{DisconnectProgress, HostState, HostStep, StubState};

    /// SERVICE_CONTROL_STOP, revoke, CoDisconnectContext.
    fn stop_and_disconnect(c: &comlife::config::Config, h: &mut HostState) {
        for s in [
            HostStep::StopRequest,
            HostStep::Revoke,
            HostStep::Disconnect,
        ] {
            assert!(h.enabled(c).contains(&s), "{s:?} enabled");
            h.step(c, s);
        }
    }

    fn create(c: &comlife::config::Config, h: &mut HostState, client: usize) -> u8 {
        match &h.on_msg(
            c,
            c.client_id(client),
            &Msg::Activate {
                client: client as u8,
                clsid: c.class_of_client(client),
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
        let off = cfg(Scenario::Service, &[Mechanism::PrivateContext]);
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
        let nd = cfg(Scenario::Service, &[Mechanism::DeadlockDetection]);
        let mut h = HostState::new();
        let a = create(&nd, &mut h, 0);
        h.on_msg(&nd, nd.client_id(0), &Msg::CallSelfDisconnect { obj: a });
        assert!(h.executing[0].blocked, "waits for its own call for ever");
    }

    #[test]
    fn r000_context_scope_spares_the_other_service() {
        for (off, spared) in [
            (vec![], true),
            (vec![Mechanism::ContextScopedDisconnect], false),
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

    #[test]
    fn r000_without_local_server_flag_objects_stay_connected() {
        let off = cfg(Scenario::Service, &[Mechanism::RegisterLocalServer]);
        let mut h = HostState::new();
        create(&off, &mut h, 0);
        stop_and_disconnect(&off, &mut h);
        assert_eq!(h.disconnect_results, vec![Hresult::S_OK]);
        assert_eq!(h.objects[0].stub, StubState::Connected);
        assert!(
            h.bad_disconnect_result,
            "S_OK with a connected object contradicts seed 000"
        );
    }

    #[test]
    fn r001_refusing_stop_while_objects_are_active() {
        let off = cfg(Scenario::Service, &[Mechanism::StopAlwaysAccepted]);
        let mut h = HostState::new();
        create(&off, &mut h, 0);
        h.step(&off, HostStep::StopRequest);
        assert!(h.stop.requested && !h.stop.accepted);
        assert!(
            h.enabled(&off).is_empty(),
            "nothing more happens: the DLL stays loaded"
        );
    }
}
