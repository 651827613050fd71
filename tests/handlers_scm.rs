//! Unit tests of the SCM's handlers against the rules they implement (spec/rules.md), with
//! the server's side of a revocation and a refused activation.

mod common;

use comlife::com::hresult::Hresult;
use comlife::com::msg::{ActKind, Msg};
use comlife::com::scenario::Scenario;
use comlife::com::scm::{ClassEntry, ScmState};
use comlife::com::server::{AptPhase, ScmCall, ServerStep};
use comlife::com::toggles::Toggle;
use common::handlers::{activate, cfg, reply, scm_forwarding, started, A, B};

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
    assert_eq!(
        out.to_vec(),
        vec![(c.server_id(0), Msg::Launch { client: 0 })]
    );
    let reg = Msg::Register {
        apartment: 0,
        clsids: vec![A],
    };
    let out = scm.on_msg(&c, c.server_id(0), &reg);
    assert_eq!(
        out.to_vec(),
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
        out.to_vec(),
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
    assert_eq!(
        out.to_vec(),
        vec![(c.server_id(0), Msg::ScmDone { apartment: 0 })]
    );
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
        out.to_vec(),
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
        out.to_vec(),
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
        out.to_vec(),
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
                assert_eq!(
                    out.to_vec(),
                    vec![(c.server_id(1), Msg::Launch { client: 1 })]
                );
                assert_eq!(scm.classes[0], ClassEntry::Starting(1));
            }
            Some(s) => {
                assert_eq!(out.len(), 1);
                assert_eq!(out[0].0, c.server_id(s as usize), "same instance");
            }
        }
    }
}

/// A-SINGLEUSE: when instance 1 registers a REGCLS_SINGLEUSE class while the SCM holds
/// activations of three clients for it, which one takes the class object and which one launches
/// the next instance is the SCM's choice: the registration waits (no ScmDone) until one of the
/// six choices is taken, and that choice decides who is forwarded and who launches. Under Wine,
/// or with one held activation, nothing waits.
#[test]
fn a_singleuse_which_held_activation_takes_the_class_object_is_a_choice() {
    use comlife::com::scm::ScmStep;
    let c = comlife::com::config::Config::new(
        Scenario::LocalSta,
        comlife::com::toggle_set::ToggleSet::only(Toggle::RegclsSingleuse),
        3,
    )
    .unwrap();
    let held = |n: usize| {
        let mut scm = ScmState::new(&c);
        for i in 0..n {
            let activation = Msg::Activation {
                clsid: A,
                kind: ActKind::Instance,
            };
            scm.on_msg(&c, c.client_id(i), &activation);
        }
        assert_eq!(scm.held.len(), n, "all held for instance 1");
        scm
    };
    let reg = Msg::Register {
        apartment: 0,
        clsids: vec![A],
    };
    let mut one = held(1);
    let out = one.on_msg(&c, c.server_id(0), &reg);
    assert_eq!(out.len(), 2, "ScmDone and the forward at once: {out:?}");
    assert!(one.enabled(&c).is_empty());

    let mut scm = held(3);
    let out = scm.on_msg(&c, c.server_id(0), &reg);
    assert!(
        out.is_empty(),
        "the registration waits for the choice: {out:?}"
    );
    assert_eq!(scm.classes[0], ClassEntry::Starting(0));
    let choices = scm.enabled(&c);
    assert_eq!(choices.len(), 6, "{choices:?}");
    for step in choices {
        let ScmStep::Hand {
            first,
            next: Some(next),
            ..
        } = step
        else {
            panic!("three held activations: a launcher is chosen too ({step:?})");
        };
        let mut x = scm.clone();
        let out = x.step(&c, step);
        assert!(out.contains(&(c.server_id(0), Msg::ScmDone { apartment: 0 })));
        assert!(out.contains(&(
            c.server_id(0),
            Msg::Activate {
                client: first,
                clsid: A,
                kind: ActKind::Instance
            }
        )));
        assert!(out.contains(&(c.server_id(1), Msg::Launch { client: next })));
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(x.classes[0], ClassEntry::Starting(1));
        assert_eq!(
            x.held.len(),
            2,
            "the launcher and the third wait for instance 2"
        );
        assert!(x.choosing.is_empty() && x.enabled(&c).is_empty());
    }

    let wine = c
        .with_runtime(comlife::com::runtime::Runtime::Wine)
        .unwrap();
    let mut scm = held(3);
    let out = scm.on_msg(&wine, wine.server_id(0), &reg);
    assert_eq!(out.len(), 1, "under Wine only ScmDone: {out:?}");
    assert_eq!(scm.enabled(&wine).len(), 3, "each held activation polls");

    // A registration still waiting for the choice dies with its process: the held activations
    // get what an instance that exits before registering gives them (R-SEEDS-EXEC-FAILURE).
    let mut scm = held(2);
    assert!(scm.on_msg(&c, c.server_id(0), &reg).is_empty());
    let out = scm.on_msg(&c, c.server_id(0), &Msg::Exited);
    assert!(scm.choosing.is_empty() && scm.held.is_empty() && scm.enabled(&c).is_empty());
    assert_eq!(out.len(), 2, "{out:?}");
    for (_, m) in out {
        assert!(matches!(
            m,
            Msg::ActivationResult {
                hr: Hresult::CO_E_SERVER_EXEC_FAILURE,
                ..
            }
        ));
    }
}

/// The SCM's class table after instance 1 registered CLSID_A and CLSID_B and revoked CLSID_A,
/// and a new activation of CLSID_A launched instance 2 while CLSID_B was still registered by
/// instance 1; then instance 1 revokes CLSID_B. Returns the SCM and the messages a new
/// activation of CLSID_B gets.
fn b_revoked_while_instance_2_starts(toggled: &[Toggle]) -> (ScmState, comlife::com::msg::Sends) {
    let c = cfg(Scenario::LocalMultiSta, toggled);
    let mut scm = ScmState::new(&c);
    let activation = |clsid| Msg::Activation {
        clsid,
        kind: ActKind::Instance,
    };
    let out = scm.on_msg(&c, c.client_id(0), &activation(A));
    assert_eq!(
        out.to_vec(),
        vec![(c.server_id(0), Msg::Launch { client: 0 })]
    );
    let reg = Msg::Register {
        apartment: 0,
        clsids: vec![A, B],
    };
    scm.on_msg(&c, c.server_id(0), &reg);
    let revoke = |clsid| Msg::Revoke {
        apartment: 0,
        clsids: vec![clsid],
    };
    scm.on_msg(&c, c.server_id(0), &revoke(A));
    let out = scm.on_msg(&c, c.client_id(1), &activation(A));
    assert_eq!(
        out.to_vec(),
        vec![(c.server_id(1), Msg::Launch { client: 1 })]
    );
    assert_eq!(scm.classes[1], ClassEntry::Registered(0));
    scm.on_msg(&c, c.server_id(0), &revoke(B));
    let out = scm.on_msg(&c, c.client_id(0), &activation(B));
    (scm, out)
}

/// A-SCM: a launched instance serves every class of the server, so a class revoked by an
/// exiting instance while another instance starts waits for the starting one: the activation
/// is held, no third instance is launched (spec/findings.md F-11: before this, the SCM
/// launched one, which with three clients waited for ever).
#[test]
fn a_scm_a_class_revoked_while_an_instance_starts_waits_for_it() {
    let (scm, out) = b_revoked_while_instance_2_starts(&[]);
    assert_eq!(out.to_vec(), vec![], "held, not launched");
    assert_eq!(scm.classes[1], ClassEntry::Starting(1));
    assert_eq!(
        scm.held.len(),
        2,
        "CLSID_A's and CLSID_B's activations wait for instance 2"
    );
}

/// A-SCM-LAUNCH's other outcome (`per-clsid-launch`): the instance launched for CLSID_A is not
/// awaited for CLSID_B, whose activation launches another instance.
#[test]
fn a_scm_launch_per_clsid_launches_another_instance() {
    let (scm, out) = b_revoked_while_instance_2_starts(&[Toggle::PerClsidLaunch]);
    let c = cfg(Scenario::LocalMultiSta, &[Toggle::PerClsidLaunch]);
    assert_eq!(
        out.to_vec(),
        vec![(c.server_id(2), Msg::Launch { client: 0 })]
    );
    assert_eq!(scm.classes[1], ClassEntry::Starting(2));
}
