//! The client actor: one single-threaded client process that runs a bounded, nondeterministic
//! script of COM calls on one class (seed 002 "Local Server", seed 003).
//!
//! Every step the client may take is one of [`ClientOp`]. Each operation is taken at most
//! once, so the script is bounded and the state graph acyclic (stateright checks `eventually`
//! properties at terminal states only; spec/assumptions.md A-BOUNDS). The client releases
//! everything it holds before it is done.

use crate::config::{Config, Mechanism};
use crate::hresult::Hresult;
use crate::msg::{Msg, ObjId};
use serde::Serialize;
use stateright::actor::Id;
use std::fmt;

/// A COM call a client makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ClientOp {
    /// `CoGetClassObject(CLSCTX_LOCAL_SERVER)` for an IClassFactory proxy.
    CoGetClassObject,
    /// `CoCreateInstance(CLSCTX_LOCAL_SERVER)`, modeled as the classic sequence
    /// CoGetClassObject, IClassFactory::CreateInstance, Release of the factory proxy, with no
    /// LockServer: the implicit LockServer of R-003-IMPLICIT-LOCK covers its window.
    CoCreateInstance,
    /// `IClassFactory::LockServer(TRUE)`.
    LockServerTrue,
    /// `IClassFactory::LockServer(FALSE)`.
    LockServerFalse,
    /// `IClassFactory::CreateInstance` for an object proxy.
    CreateInstance,
    /// A method call on the object.
    Call,
    /// `Release` of the object proxy (its last reference).
    ReleaseObject,
    /// `Release` of the IClassFactory proxy (its last reference).
    ReleaseFactory,
    /// (`service`) a method whose implementation calls `CoDisconnectContext(INFINITE)` on the
    /// context its object resides in (seed 000, CONTEXT_E_WOULD_DEADLOCK).
    CallSelfDisconnect,
    /// (`service`) the client stops using COM and keeps its reference for ever (no Release).
    KeepForever,
}

impl ClientOp {
    /// Every operation, in bit-set order.
    pub const ALL: [ClientOp; 10] = [
        ClientOp::CoGetClassObject,
        ClientOp::CoCreateInstance,
        ClientOp::LockServerTrue,
        ClientOp::LockServerFalse,
        ClientOp::CreateInstance,
        ClientOp::Call,
        ClientOp::ReleaseObject,
        ClientOp::ReleaseFactory,
        ClientOp::CallSelfDisconnect,
        ClientOp::KeepForever,
    ];

    /// The call as a COM developer writes it.
    pub fn api(self) -> &'static str {
        match self {
            ClientOp::CoGetClassObject => "CoGetClassObject",
            ClientOp::CoCreateInstance => "CoCreateInstance",
            ClientOp::LockServerTrue => "IClassFactory::LockServer(TRUE)",
            ClientOp::LockServerFalse => "IClassFactory::LockServer(FALSE)",
            ClientOp::CreateInstance => "IClassFactory::CreateInstance",
            ClientOp::Call => "a method call on the object",
            ClientOp::ReleaseObject => "Release on the object proxy",
            ClientOp::ReleaseFactory => "Release on the IClassFactory proxy",
            ClientOp::CallSelfDisconnect => {
                "a method that calls CoDisconnectContext(INFINITE) on its own context"
            }
            ClientOp::KeepForever => "nothing more: it keeps its reference for ever",
        }
    }

    /// Whether the call goes through a proxy (as opposed to the SCM).
    pub fn on_proxy(self) -> bool {
        !matches!(
            self,
            ClientOp::CoGetClassObject | ClientOp::CoCreateInstance
        )
    }
}

/// The set of (call, HRESULT) pairs a client has observed, packed in a bit set
/// (bit `op * 9 + hresult`; 10 × 9 bits).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Observations(u128);

impl Observations {
    fn bit(op: ClientOp, hr: Hresult) -> u128 {
        1u128 << ((op as usize) * Hresult::ALL.len() + hr.index())
    }

    /// Records that `op` returned `hr`.
    pub fn record(&mut self, op: ClientOp, hr: Hresult) {
        self.0 |= Self::bit(op, hr);
    }

    /// Whether `op` ever returned `hr`.
    pub fn saw(&self, op: ClientOp, hr: Hresult) -> bool {
        self.0 & Self::bit(op, hr) != 0
    }

    /// Every recorded pair.
    pub fn iter(&self) -> impl Iterator<Item = (ClientOp, Hresult)> + '_ {
        ClientOp::ALL
            .into_iter()
            .flat_map(|op| Hresult::ALL.into_iter().map(move |hr| (op, hr)))
            .filter(|(op, hr)| self.saw(*op, *hr))
    }
}

impl Serialize for Observations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(|(op, hr)| (op, hr.name())))
    }
}

impl fmt::Debug for Observations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|(op, hr)| format!("{op:?}→{}", hr.name())))
            .finish()
    }
}

/// A client process's state.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ClientState {
    /// The call the client's thread is blocked in, if any.
    pub pending: Option<ClientOp>,
    /// Whether the client has made its one activation (CoGetClassObject or CoCreateInstance).
    pub activated: bool,
    /// Whether the client is inside CoCreateInstance (its steps run without client choices).
    pub in_cocreate: bool,
    /// The server slot its IClassFactory proxy points to, if it holds one.
    pub factory: Option<u8>,
    /// Whether the client holds a LockServer(TRUE) it has not undone.
    pub locked: bool,
    /// Whether it has already used its one LockServer(TRUE).
    pub lock_used: bool,
    /// Whether it has already used its one CreateInstance.
    pub created: bool,
    /// Its object proxy: (server slot, object id).
    pub object: Option<(u8, ObjId)>,
    /// Whether it has already made its one method call.
    pub called: bool,
    /// Every (call, HRESULT) it observed.
    pub observed: Observations,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(op) = self.pending {
            parts.push(format!("blocked in {}", op.api()));
        } else if self.is_done() {
            parts.push("done".to_string());
        }
        if let Some(s) = self.factory {
            parts.push(format!("IClassFactory proxy → instance {}", s + 1));
        }
        if self.locked {
            parts.push("LockServer(TRUE) held".to_string());
        }
        if let Some((s, o)) = self.object {
            parts.push(format!("object proxy → instance {} #{o}", s + 1));
        }
        write!(f, "{} observed {:?}", parts.join(", "), self.observed)
    }
}

impl ClientState {
    /// The state before the client has done anything.
    pub fn new() -> Self {
        ClientState {
            pending: None,
            activated: false,
            in_cocreate: false,
            factory: None,
            locked: false,
            lock_used: false,
            created: false,
            object: None,
            called: false,
            observed: Observations::default(),
        }
    }

    /// Whether the client has finished its script: activated, nothing held, nothing pending.
    pub fn is_done(&self) -> bool {
        self.activated
            && self.pending.is_none()
            && self.factory.is_none()
            && self.object.is_none()
            && !self.locked
    }

    /// The calls the client may make next. The only choice is the first one, which picks the
    /// client's script (spec/assumptions.md A-SCRIPTS):
    ///
    /// * `CoGetClassObject` — the client of R-002-LOCKSERVER-HOLD that keeps the class object:
    ///   LockServer(TRUE), CreateInstance, a call, Release of the object, LockServer(FALSE),
    ///   Release of the factory;
    /// * `CoCreateInstance` — get the factory, CreateInstance, Release the factory, then a
    ///   call and Release of the object.
    ///
    /// A call that fails drops the steps that needed what it would have produced.
    pub fn enabled(&self) -> Vec<ClientOp> {
        if self.pending.is_some() || self.in_cocreate {
            return Vec::new();
        }
        if !self.activated {
            return vec![ClientOp::CoGetClassObject, ClientOp::CoCreateInstance];
        }
        let next = if self.factory.is_some() && !self.lock_used {
            Some(ClientOp::LockServerTrue)
        } else if self.factory.is_some() && !self.created {
            Some(ClientOp::CreateInstance)
        } else if self.object.is_some() && !self.called {
            Some(ClientOp::Call)
        } else if self.object.is_some() {
            Some(ClientOp::ReleaseObject)
        } else if self.locked {
            Some(ClientOp::LockServerFalse)
        } else if self.factory.is_some() {
            Some(ClientOp::ReleaseFactory)
        } else {
            None
        };
        next.into_iter().collect()
    }

    /// Starts `op`: updates the state and returns the message to send, if the call is remote.
    /// A LockServer call is answered by the proxy itself when the implicit LockServer
    /// mechanism is on (R-003-IMPLICIT-LOCK).
    pub fn start(&mut self, cfg: &Config, me: usize, op: ClientOp) -> Option<(Id, Msg)> {
        let clsid = cfg.class_of_client(me);
        let factory = |s: Option<u8>| cfg.server_id(s.expect("factory proxy") as usize);
        match op {
            ClientOp::CoGetClassObject | ClientOp::CoCreateInstance => {
                self.activated = true;
                self.in_cocreate = op == ClientOp::CoCreateInstance;
                self.pending = Some(op);
                Some((cfg.scm_id(), Msg::GetClassObject { clsid }))
            }
            ClientOp::LockServerTrue | ClientOp::LockServerFalse => {
                let lock = op == ClientOp::LockServerTrue;
                if cfg.on(Mechanism::ImplicitLockserver) {
                    self.finish_lock(op, lock, Hresult::S_OK);
                    None
                } else {
                    self.pending = Some(op);
                    Some((factory(self.factory), Msg::LockServer { clsid, lock }))
                }
            }
            ClientOp::CreateInstance => {
                self.created = true;
                self.pending = Some(op);
                Some((factory(self.factory), Msg::CreateInstance { clsid }))
            }
            ClientOp::ReleaseFactory => {
                self.pending = Some(op);
                Some((factory(self.factory), Msg::ReleaseFactory { clsid }))
            }
            ClientOp::CallSelfDisconnect | ClientOp::KeepForever => {
                unreachable!("a service client's call")
            }
            ClientOp::Call | ClientOp::ReleaseObject => {
                let (s, obj) = self.object.expect("object proxy");
                if op == ClientOp::Call {
                    self.called = true;
                }
                self.pending = Some(op);
                let msg = if op == ClientOp::Call {
                    Msg::Call { obj }
                } else {
                    Msg::ReleaseObject { obj }
                };
                Some((cfg.server_id(s as usize), msg))
            }
        }
    }

    fn finish_lock(&mut self, op: ClientOp, lock: bool, hr: Hresult) {
        self.observed.record(op, hr);
        if lock {
            self.lock_used = true;
            self.locked = hr.succeeded();
        } else {
            self.locked = false;
        }
    }

    /// Handles the reply to the pending call. Returns the next message when the client is
    /// inside CoCreateInstance, whose steps follow one another without a choice.
    pub fn on_reply(&mut self, cfg: &Config, me: usize, msg: &Msg) -> Option<(Id, Msg)> {
        let op = self.pending?;
        let clsid = cfg.class_of_client(me);
        match (op, msg) {
            (
                ClientOp::CoGetClassObject | ClientOp::CoCreateInstance,
                Msg::ClassObject { hr, server },
            ) => {
                self.observed.record(ClientOp::CoGetClassObject, *hr);
                self.pending = None;
                self.factory = *server;
                if self.in_cocreate {
                    if let Some(s) = server {
                        self.created = true;
                        self.pending = Some(ClientOp::CreateInstance);
                        return Some((cfg.server_id(*s as usize), Msg::CreateInstance { clsid }));
                    }
                    self.in_cocreate = false;
                }
                None
            }
            (ClientOp::LockServerTrue, Msg::Reply { hr, .. }) => {
                self.pending = None;
                self.finish_lock(op, true, *hr);
                None
            }
            (ClientOp::LockServerFalse, Msg::Reply { hr, .. }) => {
                self.pending = None;
                self.finish_lock(op, false, *hr);
                None
            }
            (ClientOp::CreateInstance, Msg::Reply { hr, obj }) => {
                self.observed.record(op, *hr);
                self.pending = None;
                let s = self.factory.expect("factory proxy");
                self.object = obj.map(|o| (s, o));
                if self.in_cocreate {
                    self.pending = Some(ClientOp::ReleaseFactory);
                    return Some((cfg.server_id(s as usize), Msg::ReleaseFactory { clsid }));
                }
                None
            }
            (ClientOp::ReleaseFactory, Msg::Reply { hr, .. }) => {
                self.observed.record(op, *hr);
                self.pending = None;
                self.factory = None;
                self.in_cocreate = false;
                None
            }
            (ClientOp::Call, Msg::Reply { hr, .. }) => {
                self.observed.record(op, *hr);
                self.pending = None;
                None
            }
            (ClientOp::ReleaseObject, Msg::Reply { hr, .. }) => {
                self.observed.record(op, *hr);
                self.pending = None;
                self.object = None;
                None
            }
            _ => None,
        }
    }
}

impl Default for ClientState {
    fn default() -> Self {
        Self::new()
    }
}
