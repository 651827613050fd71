//! Unit tests of the client's handlers against the rules they implement (spec/rules.md).

mod common;

use comlife::com::client::{ClientOp, ClientState};
use comlife::com::hresult::Hresult;
use comlife::com::msg::{ActKind, Msg};
use comlife::com::scenario::Scenario;
use comlife::com::toggles::Toggle;
use common::handlers::{activate, cfg, started, A};

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
    cl.on_reply(
        &c,
        0,
        &Msg::ActivationResult {
            hr: Hresult::S_OK,
            server: Some(0),
            obj: Some(1),
        },
    );
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
    cl.on_reply(
        &c,
        0,
        &Msg::Reply {
            hr: Hresult::RPC_S_SERVER_UNAVAILABLE,
            obj: None,
        },
    );
    assert_eq!(cl.object, None, "the proxy is gone");
    assert_eq!(cl.observed.iter().count(), 0, "and nothing was observed");
    assert!(!ClientOp::ReleaseFactory.returns_hresult());
    assert!(ClientOp::Call.returns_hresult());
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
    cl.on_reply(
        &c,
        0,
        &Msg::ActivationResult {
            hr: Hresult::S_OK,
            server: Some(0),
            obj: None,
        },
    );
    assert_eq!(cl.events(&c), vec![ClientEvent::Dies]);
    assert!(cl.take(&c, 0, ClientEvent::Dies).is_empty());
    assert!(
        cl.dead && cl.enabled(&c).is_empty(),
        "a dead client makes no call"
    );
    assert_eq!(cl.events(&c), vec![ClientEvent::Rundown]);
    let out = cl.take(&c, 0, ClientEvent::Rundown);
    assert_eq!(
        out.to_vec(),
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
    cl.on_reply(
        &c,
        0,
        &Msg::ActivationResult {
            hr: Hresult::S_OK,
            server: Some(0),
            obj: Some(1),
        },
    );
    cl.take(&c, 0, ClientEvent::Dies);
    assert!(cl.events(&c).is_empty(), "no rundown");
    assert!(cl.object.is_some());

    // Without the condition nobody dies.
    let c = cfg(Scenario::LocalSta, &[]);
    let mut cl = ClientState::new();
    cl.start(&c, 0, ClientOp::CoCreateInstance);
    cl.on_reply(
        &c,
        0,
        &Msg::ActivationResult {
            hr: Hresult::S_OK,
            server: Some(0),
            obj: Some(1),
        },
    );
    assert!(cl.events(&c).is_empty());
}

/// `[clients] create_instance = 2` (A-SCRIPTS): CreateInstance twice on the class object it
/// holds, both objects held, then a call and a Release on the first, then on the second.
#[test]
fn create_instance_twice_holds_two_objects_and_uses_them_in_turn() {
    let c = cfg(Scenario::LocalMultiSta, &[]);
    let layout = comlife::com::config::Layout {
        create_instance: 2,
        ..c.layout
    };
    let c = c.with_layout(layout).unwrap();
    let mut cl = ClientState::new();
    cl.activated = true;
    cl.factory = Some(0);
    cl.lock_used = true;
    let mut ops = Vec::new();
    let mut next_obj = 1;
    while let Some(op) = cl.enabled(&c).first().copied() {
        ops.push(op);
        cl.start(&c, 0, op);
        let reply = match op {
            ClientOp::CreateInstance => {
                next_obj += 1;
                Msg::Reply {
                    hr: Hresult::S_OK,
                    obj: Some(next_obj - 1),
                }
            }
            _ => Msg::Reply {
                hr: Hresult::S_OK,
                obj: None,
            },
        };
        cl.on_reply(&c, 0, &reply);
        if ops.len() == 2 {
            assert_eq!((cl.object, cl.second), (Some((0, 1)), Some((0, 2))));
        }
    }
    use ClientOp::*;
    assert_eq!(
        ops,
        [
            CreateInstance,
            CreateInstance,
            Call,
            ReleaseObject,
            Call,
            ReleaseObject,
            ReleaseFactory
        ]
    );
    assert!(cl.is_done());
}
