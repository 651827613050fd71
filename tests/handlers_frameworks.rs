//! Unit tests of the framework servers' handlers (ATL, MFC, WTL, WRL) against the rules they
//! implement (spec/rules.md).

mod common;

use comlife::com::config::{Clsid, Config};
use comlife::com::hresult::Hresult;
use comlife::com::msg::{ActKind, Msg};
use comlife::com::scenario::Scenario;
use comlife::com::server::{
    AptPhase, ClassReg, ExitReason, Queued, ScmCall, ServerState, ServerStep,
};
use comlife::com::toggles::Toggle;
use common::handlers::{cfg, reply, scm_answers, started, step};
use stateright::actor::Id;

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

/// R-WRL-COUNT, R-WRL-NOTIFIER (F-4): in WRL's `Module<OutOfProc>` the object's constructor is
/// CoAddRefServerProcess and its final Release CoReleaseServerProcess; at 0 COM suspends the
/// class objects and the release notifier signals the main thread, which is the decision: its
/// wait returns and it unregisters (CoRevokeClassObject). No WM_QUIT is posted. An activation
/// that passed COM's check before the release creates its object after the decision.
#[test]
fn r_wrl_notifier_signals_the_main_thread_which_unregisters() {
    let c = cfg(Scenario::WrlMta, &[]);
    let mut v = started(&c);
    assert!(v.on_msg(&c, c.scm_id(), &create_a(0)).unwrap().is_empty());
    step(&c, &mut v, ServerStep::FinishRpc(0));
    assert_eq!(v.count, 1, "RuntimeClass constructor: IncrementObjectCount");
    assert!(v.on_msg(&c, c.scm_id(), &create_a(1)).unwrap().is_empty());
    let (hr, _) = reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
    assert_eq!(hr, Hresult::S_OK);
    assert!(v.suspended, "CoReleaseServerProcess returned 0");
    assert!(v.event, "the release notifier set the event");
    assert_eq!(v.shutdown, Some(ExitReason::Automatic));
    assert!(v.queues[0].is_empty(), "nothing is posted");
    assert!(v.enabled(&c).contains(&ServerStep::WaitReturns));
    assert!(!v.enabled(&c).contains(&ServerStep::GetQuit));
    step(&c, &mut v, ServerStep::WaitReturns);
    assert_eq!(v.classes[0], ClassReg::Revoked);
    assert_eq!(v.apartments[0].phase, AptPhase::Done);
    step(&c, &mut v, ServerStep::FinishRpc(0));
    assert_eq!((v.count, v.live_objects()), (1, 1));
    assert!(v.handed_out_late);
    assert!(v.enabled(&c).contains(&ServerStep::Exit));
}

/// R-003-RECHECK in a free-threaded framework server: after `Module::UnregisterObjects` the main
/// thread waits again and returns from WinMain only when the count is zero; an object created
/// in between keeps it, and its release lets it return.
#[test]
fn r_003_recheck_in_wrl_waits_for_zero_after_unregistering() {
    let c = cfg(Scenario::WrlMta, &[Toggle::RecheckAfterRevoke]);
    let mut v = started(&c);
    assert!(v.on_msg(&c, c.scm_id(), &create_a(0)).unwrap().is_empty());
    step(&c, &mut v, ServerStep::FinishRpc(0));
    assert!(v.on_msg(&c, c.scm_id(), &create_a(1)).unwrap().is_empty());
    reply(v.on_msg(&c, c.client_id(0), &Msg::ReleaseObject { obj: 1 }));
    step(&c, &mut v, ServerStep::WaitReturns);
    assert_eq!(v.apartments[0].phase, AptPhase::Loop, "waits again");
    step(&c, &mut v, ServerStep::FinishRpc(0));
    assert_eq!(v.count, 1);
    assert!(!v.enabled(&c).contains(&ServerStep::Quit));
    reply(v.on_msg(&c, c.client_id(1), &Msg::ReleaseObject { obj: 2 }));
    step(&c, &mut v, ServerStep::Quit);
    assert_eq!(v.apartments[0].phase, AptPhase::Done);
    assert_eq!(v.live_objects(), 0);
}
