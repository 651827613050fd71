//! Unit tests of the textbook local server's handlers against the rules they implement
//! (spec/rules.md).

mod common;

use comlife::com::config::{Config, ExitDecision, Layout, Teardown};
use comlife::com::hresult::Hresult;
use comlife::com::msg::{ActKind, Msg};
use comlife::com::scenario::Scenario;
use comlife::com::server::{AptPhase, ClassReg, ExitReason, ScmCall, ServerState, ServerStep};
use comlife::com::toggles::Toggle;
use common::handlers::{activate, cfg, reply, scm_answers, started, step, A, B};

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
fn r003_auto_suspend_on_final_release() {
    for (toggled, suspended) in [
        (vec![Toggle::AtomicActivation], true),
        (vec![Toggle::AtomicActivation, Toggle::AutoSuspend], false),
        (
            vec![Toggle::AtomicActivation, Toggle::ProcessRefcount],
            false,
        ),
    ] {
        let c = cfg(Scenario::LocalMultiSta, &toggled);
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
        let c = cfg(Scenario::LocalMultiSta, &toggled);
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
    let c = cfg(Scenario::LocalMultiSta, &[Toggle::RecheckAfterRevoke]);
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
    let c = cfg(Scenario::LocalMultiSta, &[]);
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
        out.to_vec(),
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

    let off = cfg(Scenario::LocalMultiSta, &[Toggle::RegclsSuspended]);
    let mut v = ServerState::new(&off, 0);
    v.on_msg(&off, off.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    let out = v.step(&off, ServerStep::Register(1));
    assert_eq!(
        out.to_vec(),
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

/// The DCOM "simple" sample's server (issue 22; examples/sserver.toml): the textbook server in
/// the MTA, exiting on its first object's destruction, LockServer returning E_FAIL.
fn sserver(exit: ExitDecision, revoke: bool, lockserver_fails: u8) -> Config {
    let c = cfg(Scenario::LocalMultiSta, &[Toggle::RegclsSuspended]);
    let layout = Layout {
        apartments: 1,
        classes: 1,
        class_apartment: [0; 3],
        free: true,
        exit,
        revoke,
        lockserver_fails,
        create_instance: 2,
        client_class: [0; comlife::com::config::MAX_CLIENTS],
        ..c.layout
    };
    c.with_layout(layout).unwrap()
}

#[test]
fn free_threaded_textbook_runs_activations_on_rpc_threads_without_a_queue() {
    let c = sserver(ExitDecision::Count, true, 0);
    assert!(c.free_threaded());
    let mut v = ServerState::new(&c, 0);
    v.on_msg(&c, c.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    let out = v.step(&c, ServerStep::Register(0));
    assert_eq!(v.apartments[0].phase, AptPhase::Waiting(ScmCall::Register));
    // The main thread is still in CoRegisterClassObject: an RPC thread takes the activation
    // anyway (003: "as soon as the first class object is registered"), and no queue holds it.
    let act = Msg::Activate {
        client: 0,
        clsid: A,
        kind: ActKind::Instance,
    };
    assert!(v.can_deliver(&c, &act));
    assert_eq!(v.on_msg(&c, c.scm_id(), &act), Some(smallvec::smallvec![]));
    assert!(v.queues.iter().all(Vec::is_empty));
    assert_eq!(v.rpc_activations, vec![(0, A, ActKind::Instance)]);
    assert!(v.enabled(&c).contains(&ServerStep::FinishRpc(0)));
    let done = v.step(&c, ServerStep::FinishRpc(0));
    assert!(matches!(
        done[0].1,
        Msg::Activated {
            hr: Hresult::S_OK,
            obj: Some(1),
            ..
        }
    ));
    assert_eq!(
        v.count, 1,
        "the textbook object calls CoAddRefServerProcess"
    );
    // Its final release runs on an RPC thread; the main thread acts on it only once it has
    // returned from CoRegisterClassObject.
    reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
    assert_eq!(v.shutdown, Some(ExitReason::Automatic));
    assert!(!v.enabled(&c).contains(&ServerStep::FinishRelease(0)));
    scm_answers(&c, &mut v, out);
    step(&c, &mut v, ServerStep::FinishRelease(0));
    assert_eq!(v.apartments[0].phase, AptPhase::Done);
    assert!(v.enabled(&c).contains(&ServerStep::Exit));
}

#[test]
fn first_object_destroyed_wakes_the_main_thread_and_the_second_object_dies_with_it() {
    for revoke in [true, false] {
        let c = sserver(ExitDecision::FirstObjectDestroyed, revoke, 0);
        let mut v = started(&c);
        activate_rpc(&c, &mut v, ActKind::ClassObject);
        let (_, o1) = reply(v.on_msg(&c, c.client_id(0), &Msg::CreateInstance { clsid: A }));
        let (_, o2) = reply(v.on_msg(&c, c.client_id(0), &Msg::CreateInstance { clsid: A }));
        assert_eq!((o1, o2, v.count), (Some(1), Some(2), 0), "no count is kept");
        reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
        // ~CSimpleObject's SetEvent: the decision, whatever else is alive.
        assert_eq!(v.shutdown, Some(ExitReason::Automatic));
        assert_eq!(v.live_objects(), 1);
        assert!(!v.enabled(&c).contains(&ServerStep::IdleZeroCheck));
        let phrase = ServerStep::FinishRelease(0).phrase_in(&c, &v);
        assert!(phrase.contains("WaitForSingleObject returns"), "{phrase}");
        assert_eq!(
            phrase.contains("CoUninitialize, which revokes"),
            !revoke,
            "{phrase}"
        );
        // The main thread revokes (or CoUninitialize does: the same round trip to the SCM,
        // A-UNINIT-REVOKES), leaves, and the process exits with object 2.
        let out = v.step(&c, ServerStep::FinishRelease(0));
        assert!(out.iter().any(|(_, m)| matches!(m, Msg::Revoke { .. })));
        assert_eq!(v.classes[0], ClassReg::Revoked);
        scm_answers(&c, &mut v, out);
        step(&c, &mut v, ServerStep::Exit);
        assert!(v.exited() && v.live_objects() == 1);
        let (hr, _) = reply(v.on_msg(&c, c.client_id(0), &Msg::Call { obj: 2 }));
        assert_eq!(hr, Hresult::RPC_S_SERVER_UNAVAILABLE);
    }
}

#[test]
fn lockserver_e_fail_counts_nothing_and_fails_a_remoted_call() {
    // Implicit LockServer (Windows): the marshaling succeeds, nothing is counted.
    let c = sserver(ExitDecision::Count, true, 1);
    let mut v = started(&c);
    activate_rpc(&c, &mut v, ActKind::ClassObject);
    assert_eq!((v.count, v.locks, v.factory_proxies[0]), (0, 0, 1));
    // A remoted LockServer (implicit-lockserver disabled) reaches the code: E_FAIL.
    let (hr, _) = reply(v.on_msg(
        &c,
        c.client_id(0),
        &Msg::LockServer {
            clsid: A,
            lock: true,
        },
    ));
    assert_eq!((hr, v.count, v.locks), (Hresult::E_FAIL, 0, 0));
    // The default class counts.
    let c = sserver(ExitDecision::Count, true, 0);
    let mut v = started(&c);
    activate_rpc(&c, &mut v, ActKind::ClassObject);
    assert_eq!((v.count, v.locks), (1, 1));
}

/// An activation of CLSID_A for client 0 run on an RPC thread to its answer.
fn activate_rpc(c: &Config, v: &mut ServerState, kind: ActKind) {
    let act = Msg::Activate {
        client: 0,
        clsid: A,
        kind,
    };
    assert_eq!(v.on_msg(c, c.scm_id(), &act), Some(smallvec::smallvec![]));
    let out = v.step(c, ServerStep::FinishRpc(0));
    assert!(matches!(
        out[0].1,
        Msg::Activated {
            hr: Hresult::S_OK,
            ..
        }
    ));
}

/// Windows Terminal's handoff server (issue 22; examples/terminal-handoff.toml): one STA, the
/// window count decides, a method call opens a window, an idle timer, TerminateProcess.
/// With the STA's FIFO queue (the default; `cfg` here turns on `unordered-dispatch`).
fn terminal(teardown: Teardown, revoke_before_quit: bool, quit_waits_for_objects: bool) -> Config {
    let toggled = [Toggle::RegclsSuspended]
        .into_iter()
        .collect::<comlife::com::toggle_set::ToggleSet>();
    let c = Config::new(Scenario::LocalMultiSta, toggled, 2).unwrap();
    let layout = Layout {
        apartments: 1,
        classes: 1,
        class_apartment: [0; 3],
        client_class: [0; comlife::com::config::MAX_CLIENTS],
        exit: ExitDecision::Windows,
        call_opens_window: true,
        idle_timer: true,
        teardown,
        revoke_before_quit,
        quit_waits_for_objects,
        ..c.layout
    };
    c.with_layout(layout).unwrap()
}

/// An activation of CLSID_A for `client` delivered to the STA's queue and dispatched: its answer.
fn sta_activate(c: &Config, v: &mut ServerState, client: u8) -> (Hresult, Option<u8>) {
    let act = Msg::Activate {
        client,
        clsid: A,
        kind: ActKind::Instance,
    };
    assert_eq!(v.on_msg(c, c.scm_id(), &act), Some(smallvec::smallvec![]));
    match &v.step(c, ServerStep::Dispatch(0))[0].1 {
        Msg::Activated { hr, obj, .. } => (*hr, *obj),
        m => panic!("unexpected {m:?}"),
    }
}

/// Delivers `msg` from client 0 to the STA's queue and dispatches it: the reply.
fn sta_call(c: &Config, v: &mut ServerState, msg: Msg) -> (Hresult, Option<u8>) {
    assert_eq!(
        v.on_msg(c, c.client_id(0), &msg),
        Some(smallvec::smallvec![])
    );
    let out = v.step(c, ServerStep::Dispatch(0));
    reply(Some(out))
}

#[test]
fn windows_exit_a_call_opens_a_window_and_the_last_close_posts_quit() {
    let c = terminal(Teardown::TerminateProcess, false, false);
    let mut v = started(&c);
    assert!(v.idle_timer, "an -Embedding launch arms the idle timer");
    let (hr, obj) = sta_activate(&c, &mut v, 0);
    assert_eq!((hr, obj, v.count), (Hresult::S_OK, Some(1), 0), "no count");
    // EstablishPtyHandoff opens a window inside the call and stops the timer.
    let (hr, _) = sta_call(&c, &mut v, Msg::Call { obj: 1 });
    assert_eq!((hr, v.windows, v.idle_timer), (Hresult::S_OK, 1, false));
    // Its release decides nothing: the windows do.
    sta_call(&c, &mut v, Msg::ReleaseObject { obj: 1 });
    assert_eq!(v.shutdown, None);
    assert!(!v.enabled(&c).contains(&ServerStep::GetQuit));
    step(&c, &mut v, ServerStep::UserCloseWindow);
    assert!(v.quit_requested && v.shutdown == Some(ExitReason::Automatic));
    // WM_QUIT waits for the queue: an activation queued now is still served (handed out late).
    let act = Msg::Activate {
        client: 1,
        clsid: A,
        kind: ActKind::Instance,
    };
    assert_eq!(v.on_msg(&c, c.scm_id(), &act), Some(smallvec::smallvec![]));
    assert!(!v.enabled(&c).contains(&ServerStep::GetQuit));
    step(&c, &mut v, ServerStep::Dispatch(0));
    assert!(v.handed_out_late && v.live_objects() == 1);
    // TerminateProcess: the process ends at once, with the object, without revoking.
    let out = v.step(&c, ServerStep::GetQuit);
    assert!(v.exited() && v.classes[0] == ClassReg::Live);
    assert!(out.iter().any(|(_, m)| matches!(m, Msg::Exited)));
    assert!(!out.iter().any(|(_, m)| matches!(m, Msg::Revoke { .. })));
    let (hr, _) = reply(v.on_msg(&c, c.client_id(1), &Msg::Call { obj: 2 }));
    assert_eq!(hr, Hresult::RPC_S_SERVER_UNAVAILABLE, "R-SEEDS-EXITED");
}

#[test]
fn idle_timer_ticks_only_with_no_window_and_an_empty_queue() {
    let c = terminal(Teardown::TerminateProcess, false, false);
    let mut v = started(&c);
    assert!(v.enabled(&c).contains(&ServerStep::IdleTimerTick));
    let act = Msg::Activate {
        client: 0,
        clsid: A,
        kind: ActKind::Instance,
    };
    v.on_msg(&c, c.scm_id(), &act).unwrap();
    assert!(
        !v.enabled(&c).contains(&ServerStep::IdleTimerTick),
        "A-IDLE-TIMER: not while a call is queued"
    );
    step(&c, &mut v, ServerStep::Dispatch(0));
    // The gap between CoCreateInstance and EstablishPtyHandoff: the tick quits with the object.
    step(&c, &mut v, ServerStep::IdleTimerTick);
    assert!(v.quit_requested && !v.enabled(&c).contains(&ServerStep::IdleTimerTick));
    step(&c, &mut v, ServerStep::GetQuit);
    assert!(v.exited() && v.live_objects() == 1);
    // Once a window opened, the timer never ticks.
    let mut v = started(&c);
    sta_activate(&c, &mut v, 0);
    sta_call(&c, &mut v, Msg::Call { obj: 1 });
    step(&c, &mut v, ServerStep::UserCloseWindow);
    assert!(!v.idle_timer && v.quit_requested);
}

#[test]
fn windows_exit_with_the_textbook_teardown_uninitializes_and_the_remedies_hold() {
    // teardown = "uninitialize": revoke, then CoUninitialize's modal loop, then Exit.
    let c = terminal(Teardown::Uninitialize, false, false);
    let mut v = started(&c);
    step(&c, &mut v, ServerStep::IdleTimerTick);
    let phrase = ServerStep::GetQuit.phrase_in(&c, &v);
    assert!(phrase.contains("CoUninitialize"), "{phrase}");
    step(&c, &mut v, ServerStep::GetQuit);
    assert_eq!(
        (v.apartments[0].phase, v.classes[0]),
        (AptPhase::Done, ClassReg::Revoked)
    );
    assert!(v.enabled(&c).contains(&ServerStep::Exit));
    // revoke_before_quit: the class is revoked before PostQuitMessage; a later activation is
    // refused (the SCM starts another instance).
    let c = terminal(Teardown::TerminateProcess, true, false);
    let mut v = started(&c);
    step(&c, &mut v, ServerStep::IdleTimerTick);
    assert_eq!(v.classes[0], ClassReg::Revoked);
    assert_eq!(sta_activate(&c, &mut v, 1).0, Hresult::CO_E_SERVER_STOPPING);
    // quit_waits_for_objects: no tick while an object is alive; its final release quits.
    let c = terminal(Teardown::TerminateProcess, false, true);
    let mut v = started(&c);
    sta_activate(&c, &mut v, 0);
    assert!(!v.enabled(&c).contains(&ServerStep::IdleTimerTick));
    sta_call(&c, &mut v, Msg::ReleaseObject { obj: 1 });
    assert!(v.quit_requested);
}

/// `factory = "singleton"`: the class object's CreateInstance hands every client the object it
/// made first; the object counts once while any client holds it, and only the last client's
/// Release is its final release (A-SINGLETON).
#[test]
fn a_singleton_class_object_hands_out_one_object_counted_once() {
    let c = sserver(ExitDecision::Count, true, 0);
    let c = c
        .with_layout(Layout {
            singleton: 1,
            ..c.layout
        })
        .unwrap();
    let mut v = started(&c);
    let create = Msg::CreateInstance { clsid: A };
    let (hr1, first) = reply(v.on_msg(&c, c.client_id(0), &create));
    let (hr2, second) = reply(v.on_msg(&c, c.client_id(1), &create));
    assert_eq!((hr1, hr2), (Hresult::S_OK, Hresult::S_OK));
    assert_eq!(first, second, "the same object");
    assert_eq!((v.objects.len(), v.count), (1, 1), "counted once");
    let release = Msg::ReleaseObject {
        obj: first.unwrap(),
    };
    v.on_msg(&c, c.client_id(0), &release);
    assert_eq!(
        (v.objects.len(), v.count),
        (1, 1),
        "client 2 still holds it"
    );
    assert!(v.shutdown.is_none());
    v.on_msg(&c, c.client_id(1), &release);
    assert_eq!(
        (v.objects.len(), v.count),
        (0, 0),
        "the last Release is the final one"
    );
    // Without the key every CreateInstance makes an object of its own.
    let c = sserver(ExitDecision::Count, true, 0);
    let mut v = started(&c);
    let (_, first) = reply(v.on_msg(&c, c.client_id(0), &create));
    let (_, second) = reply(v.on_msg(&c, c.client_id(1), &create));
    assert_ne!(first, second);
    assert_eq!((v.objects.len(), v.count), (2, 2));
}

/// The textbook STA server with `self_hold` or `registration = "conditional"` (issue 22).
fn textbook_one_sta(self_hold: bool, conditional_registration: bool) -> Config {
    let c = cfg(Scenario::LocalMultiSta, &[]);
    let layout = Layout {
        apartments: 1,
        classes: 1,
        class_apartment: [0; 3],
        client_class: [0; comlife::com::config::MAX_CLIENTS],
        self_hold,
        conditional_registration,
        ..c.layout
    };
    c.with_layout(layout).unwrap()
}

#[test]
fn a_self_hold_counts_from_the_launch_and_its_release_may_be_the_final_one() {
    let c = textbook_one_sta(true, false);
    let mut v = ServerState::new(&c, 0);
    v.on_msg(&c, c.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    // CoAddRefServerProcess before registering (A-SELF-HOLD).
    assert!(v.self_hold);
    assert_eq!(v.count, 1);
    assert!(
        !v.enabled(&c).contains(&ServerStep::ReleaseSelfHold),
        "the main thread is not in its loop yet"
    );
    let mut v = started(&c);
    assert_eq!((v.count, v.self_hold), (1, true));
    // An object, then the hold's release: not the final one.
    let (hr, obj) = activate(&c, &mut v, 0, A, ActKind::Instance);
    assert_eq!((hr, obj, v.count), (Hresult::S_OK, Some(1), 2));
    step(&c, &mut v, ServerStep::ReleaseSelfHold);
    assert_eq!((v.count, v.self_hold, v.shutdown), (1, false, None));
    assert!(!v.enabled(&c).contains(&ServerStep::ReleaseSelfHold));
    // The object's release is the final one now.
    reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
    assert_eq!(v.shutdown, Some(ExitReason::Automatic));
    // Released with nothing else counted, the hold's release is the final release: the
    // server decides to exit (R-002-FINAL-DECREMENT), before it served anything.
    let mut v = started(&c);
    step(&c, &mut v, ServerStep::ReleaseSelfHold);
    assert_eq!((v.count, v.shutdown), (0, Some(ExitReason::Automatic)));
    assert!(v.enabled(&c).contains(&ServerStep::FinishRelease(0)));
    // Without the key nothing is held and the step is never enabled.
    let c = textbook_one_sta(false, false);
    let v = started(&c);
    assert_eq!((v.count, v.self_hold), (0, false));
    assert!(!v.enabled(&c).contains(&ServerStep::ReleaseSelfHold));
}

#[test]
fn a_conditional_registration_may_end_the_process_before_registering() {
    let c = textbook_one_sta(false, true);
    let mut v = ServerState::new(&c, 0);
    v.on_msg(&c, c.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    assert!(v.enabled(&c).contains(&ServerStep::ExitUnregistered));
    assert!(v.enabled(&c).contains(&ServerStep::Register(0)));
    let out = v.step(&c, ServerStep::ExitUnregistered);
    assert!(v.exited() && v.classes[0] == ClassReg::None);
    assert!(out.iter().any(|(_, m)| matches!(m, Msg::Exited)));
    assert!(!out.iter().any(|(_, m)| matches!(m, Msg::Register { .. })));
    // Once the main thread has registered, the condition was met: no exit without revoking.
    let mut v = ServerState::new(&c, 0);
    v.on_msg(&c, c.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    v.step(&c, ServerStep::Register(0));
    assert!(!v.enabled(&c).contains(&ServerStep::ExitUnregistered));
    // Registering unconditionally (the default), the step is never enabled.
    let c = textbook_one_sta(false, false);
    let mut v = ServerState::new(&c, 0);
    v.on_msg(&c, c.scm_id(), &Msg::Launch { client: 0 })
        .unwrap();
    assert!(!v.enabled(&c).contains(&ServerStep::ExitUnregistered));
}

#[test]
fn a_dll_in_a_surrogate_exits_when_the_poll_finds_its_count_zero_after_its_first_object() {
    let c = cfg(Scenario::LocalMultiSta, &[Toggle::RegclsSuspended]);
    let layout = Layout {
        apartments: 1,
        classes: 1,
        class_apartment: [0; 3],
        client_class: [0; comlife::com::config::MAX_CLIENTS],
        exit: ExitDecision::DllUnloaded,
        ..c.layout
    };
    let c = c.with_layout(layout).unwrap();
    let mut v = started(&c);
    // Nothing loaded yet: the surrogate has no DLL to unload (A-SURROGATE).
    assert_eq!(v.count, 0);
    assert!(!v.enabled(&c).contains(&ServerStep::IdleZeroCheck));
    let (hr, obj) = activate(&c, &mut v, 0, A, ActKind::Instance);
    assert_eq!((hr, obj, v.count), (Hresult::S_OK, Some(1), 1));
    assert!(!v.enabled(&c).contains(&ServerStep::IdleZeroCheck));
    // The DLL's final release decides nothing and suspends nothing: its count is its own.
    reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
    assert_eq!((v.count, v.shutdown, v.suspended), (0, None, false));
    // The poll: DllCanUnloadNow S_OK, FreeSurrogate revokes.
    assert!(v.enabled(&c).contains(&ServerStep::IdleZeroCheck));
    let phrase = ServerStep::IdleZeroCheck.phrase_in(&c, &v);
    assert!(phrase.contains("FreeSurrogate"), "{phrase}");
    let out = v.step(&c, ServerStep::IdleZeroCheck);
    assert_eq!(v.shutdown, Some(ExitReason::Automatic));
    assert!(out.iter().any(|(_, m)| matches!(m, Msg::Revoke { .. })));
}

/// VBoxSVC's module (issue 22; examples/vboxsvc.toml): ATL 3.0–9.0's free-threaded monitor
/// with the idle test `cLocks <= idle_count` and, with `peer_lock`, one lock held for a peer
/// that the model's count leaves out (spec/assumptions.md A-PEER-LOCK).
fn vboxsvc(idle_count: u8, peer_lock: bool) -> Config {
    let c = cfg(Scenario::Atl9Mta, &[]);
    let layout = Layout {
        idle_count,
        peer_lock,
        ..c.layout
    };
    c.with_layout(layout).unwrap()
}

/// Two clients' CoCreateInstance run to their answers on RPC threads; client 0's object, then
/// client 1's.
fn two_objects(c: &Config) -> ServerState {
    let mut v = started(c);
    for client in 0..2 {
        let act = Msg::Activate {
            client,
            clsid: A,
            kind: ActKind::Instance,
        };
        assert_eq!(v.on_msg(c, c.scm_id(), &act), Some(smallvec::smallvec![]));
        v.step(c, ServerStep::FinishRpc(0));
    }
    assert_eq!((v.count, v.live_objects()), (2, 2));
    v
}

#[test]
fn an_idle_count_of_one_with_the_peers_lock_decides_as_the_plain_count() {
    for (idle_count, peer_lock) in [(0, false), (1, true)] {
        let c = vboxsvc(idle_count, peer_lock);
        let mut v = two_objects(&c);
        // Client 0 releases: client 1's object keeps the count at 1 (with the peer's lock, 2
        // locks in VBoxSVC's m_cLock): not idle, no signal to the monitor.
        reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
        assert_eq!((v.count, v.event), (1, false), "{idle_count} {peer_lock}");
        assert!(!v.enabled(&c).contains(&ServerStep::MonitorWake));
        // Client 1 releases: idle; the monitor decides after its time-out and re-read.
        reply(v.on_msg(&c, c.client_id(1), &Msg::ReleaseObject { obj: 2 }));
        assert_eq!((v.count, v.event), (0, true));
        step(&c, &mut v, ServerStep::MonitorWake);
        step(&c, &mut v, ServerStep::MonitorTimeout);
        step(&c, &mut v, ServerStep::MonitorRecheck);
        assert_eq!(v.shutdown, Some(ExitReason::Automatic));
    }
}

#[test]
fn an_idle_count_of_one_without_a_peers_lock_exits_under_a_clients_object() {
    let c = vboxsvc(1, false);
    let mut v = two_objects(&c);
    // Client 0's release leaves client 1's lock alone in the count: `isIdleLockCount(1)` is
    // true, so `Unlock` signals the monitor, which times out, suspends, re-reads 1 as idle and
    // posts WM_QUIT with client 1's object alive.
    reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
    assert_eq!((v.count, v.event), (1, true));
    step(&c, &mut v, ServerStep::MonitorWake);
    step(&c, &mut v, ServerStep::MonitorTimeout);
    assert!(v.suspended, "CoSuspendClassObjects");
    step(&c, &mut v, ServerStep::MonitorRecheck);
    assert_eq!(v.shutdown, Some(ExitReason::Automatic));
    assert_eq!(
        (v.count, v.live_objects()),
        (1, 1),
        "client 1's object is alive"
    );
    // With the peer's lock the same release leaves the server in service.
    let c = vboxsvc(1, true);
    let mut v = two_objects(&c);
    reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
    assert_eq!((v.count, v.event, v.shutdown), (1, false, None));
}

#[test]
fn the_idle_keys_are_checked_in_the_layout() {
    let c = cfg(Scenario::Atl9Mta, &[]);
    for (idle_count, peer_lock, words) in [
        (2, false, "supports 0 to 1"),
        (0, true, "peer_lock = true with idle_count = 0"),
    ] {
        let layout = Layout {
            idle_count,
            peer_lock,
            ..c.layout
        };
        let err = c.with_layout(layout).unwrap_err();
        assert!(err.contains(words), "{err}");
    }
}
