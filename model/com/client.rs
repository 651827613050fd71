//! The client actor: one single-threaded client process that runs a bounded, nondeterministic
//! script of COM calls on one class (seed 002 "Local Server", seed 003).
//!
//! Every step the client may take is one of [`ClientOp`]. Each operation is taken at most
//! once, so the script is bounded and the state graph acyclic (stateright checks `eventually`
//! properties at terminal states only; spec/assumptions.md A-BOUNDS). The client releases
//! everything it holds before it is done.

use crate::com::config::{Config, MAX_CREATE_INSTANCE};

use crate::com::hresult::Hresult;
use crate::com::msg::{ActKind, Msg, ObjId, Sends};
use crate::com::toggles::Toggle;
use serde::Serialize;
use stateright::actor::Id;
use std::fmt;

/// A COM call a client makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ClientOp {
    /// `CoGetClassObject(CLSCTX_LOCAL_SERVER)` for an IClassFactory proxy.
    CoGetClassObject,
    /// `CoCreateInstance(CLSCTX_LOCAL_SERVER)`: one round trip to the SCM, which has COM in the
    /// server create the object and returns an object proxy (no class-object proxy).
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

    /// The call as a COM developer names it, a noun phrase without article
    /// ("CoCreateInstance", "method call on its object").
    pub fn api(self) -> &'static str {
        match self {
            ClientOp::CoGetClassObject => "CoGetClassObject",
            ClientOp::CoCreateInstance => "CoCreateInstance",
            ClientOp::LockServerTrue => "IClassFactory::LockServer(TRUE)",
            ClientOp::LockServerFalse => "IClassFactory::LockServer(FALSE)",
            ClientOp::CreateInstance => "IClassFactory::CreateInstance",
            ClientOp::Call => "method call on its object",
            ClientOp::ReleaseObject => "Release of its object proxy",
            ClientOp::ReleaseFactory => "Release of its IClassFactory proxy",
            ClientOp::CallSelfDisconnect => {
                "call of a method that calls CoDisconnectContext(INFINITE) on its own context"
            }
            ClientOp::KeepForever => "keeping its reference for ever",
        }
    }

    /// The call as a verb phrase whose subject is the client: "calls CoCreateInstance",
    /// "calls a method on its object", "releases its object proxy (Release)".
    pub fn verb(self) -> &'static str {
        match self {
            ClientOp::CoGetClassObject => "calls CoGetClassObject",
            ClientOp::CoCreateInstance => "calls CoCreateInstance",
            ClientOp::LockServerTrue => "calls IClassFactory::LockServer(TRUE)",
            ClientOp::LockServerFalse => "calls IClassFactory::LockServer(FALSE)",
            ClientOp::CreateInstance => "calls IClassFactory::CreateInstance",
            ClientOp::Call => "calls a method on its object",
            ClientOp::ReleaseObject => "releases its object proxy (Release)",
            ClientOp::ReleaseFactory => "releases its IClassFactory proxy (Release)",
            ClientOp::CallSelfDisconnect => {
                "calls a method that calls CoDisconnectContext(INFINITE) on its own context"
            }
            ClientOp::KeepForever => "keeps its reference for ever and makes no more calls",
        }
    }

    /// Whether the call goes through a proxy (as opposed to the SCM).
    pub fn on_proxy(self) -> bool {
        !matches!(
            self,
            ClientOp::CoGetClassObject | ClientOp::CoCreateInstance
        )
    }

    /// Whether the call returns an HRESULT the client can observe. `IUnknown::Release` returns
    /// the new reference count (a ULONG), so the client never sees a Release fail (seeds README;
    /// spec/assumptions.md A-OBSERVE); every other call returns an HRESULT.
    pub fn returns_hresult(self) -> bool {
        !matches!(
            self,
            ClientOp::ReleaseObject | ClientOp::ReleaseFactory | ClientOp::KeepForever
        )
    }
}

/// The calls that return an HRESULT ([`ClientOp::returns_hresult`]), in bit-set order.
const RECORDED: [ClientOp; 7] = [
    ClientOp::CoGetClassObject,
    ClientOp::CoCreateInstance,
    ClientOp::LockServerTrue,
    ClientOp::LockServerFalse,
    ClientOp::CreateInstance,
    ClientOp::Call,
    ClientOp::CallSelfDisconnect,
];

// Every (recorded call, HRESULT) pair has a bit in the u128 below.
const _: () = assert!(RECORDED.len() * Hresult::ALL.len() <= 128);

/// The set of (call, HRESULT) pairs a client has observed, packed in a bit set: bit
/// `slot * Hresult::ALL.len() + hresult`, where `slot` is the call's position among the calls
/// that return an HRESULT (a Release is never recorded).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Observations(u128);

impl Observations {
    fn bit(op: ClientOp, hr: Hresult) -> u128 {
        let slot = RECORDED
            .iter()
            .position(|r| *r == op)
            .expect("only calls that return an HRESULT are recorded");
        1u128 << (slot * Hresult::ALL.len() + hr.index())
    }

    /// Records that `op` returned `hr`, if the call returns an HRESULT at all
    /// ([`ClientOp::returns_hresult`]): a Release is never recorded.
    pub fn record(&mut self, op: ClientOp, hr: Hresult) {
        if op.returns_hresult() {
            self.0 |= Self::bit(op, hr);
        }
    }

    /// Whether `op` ever returned `hr`.
    pub fn saw(&self, op: ClientOp, hr: Hresult) -> bool {
        op.returns_hresult() && self.0 & Self::bit(op, hr) != 0
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
            .entries(
                self.iter()
                    .map(|(op, hr)| format!("{}→{}", op.api(), hr.name())),
            )
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
    /// The server slot its IClassFactory proxy points to, if it holds one.
    pub factory: Option<u8>,
    /// Whether the client holds a LockServer(TRUE) it has not undone.
    pub locked: bool,
    /// Whether it has already used its one LockServer(TRUE).
    pub lock_used: bool,
    /// Whether it has already used its (first) CreateInstance.
    pub created: bool,
    /// Whether it has already used its second CreateInstance (`[clients] create_instance = 2`).
    #[serde(skip_serializing_if = "is_false")]
    pub created_second: bool,
    /// The object proxy it works on: (server slot, object id).
    pub object: Option<(u8, ObjId)>,
    /// (`create_instance = 2`) the second object proxy it holds, which it calls and releases
    /// once it has released the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second: Option<(u8, ObjId)>,
    /// Whether it has already made its one method call.
    pub called: bool,
    /// Every (call, HRESULT) it observed.
    pub observed: Observations,
    /// Whether the process has died (condition `client-death`): it makes no more calls and
    /// observes nothing; what it holds is COM's to run down (R-COM-PING-GC).
    pub dead: bool,
}

/// An event of a client process that is not a COM call it makes (condition `client-death`,
/// R-COM-PING-GC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ClientEvent {
    /// The process exits or crashes between two of its calls while it holds references
    /// (spec/assumptions.md A-PING-GC).
    Dies,
    /// COM's garbage collection: the ping set of the dead client timed out (about 6 minutes,
    /// abstract here), so the server side releases every reference the client held — each
    /// object stub's and each class-object stub's (which undoes the implicit LockServer).
    Rundown,
}

impl ClientEvent {
    /// Both events, in the order their timers are listed.
    pub const ALL: [ClientEvent; 2] = [ClientEvent::Dies, ClientEvent::Rundown];

    /// The event as a one-line COM phrase, without its subject ("dies without releasing …").
    pub fn phrase(self) -> &'static str {
        match self {
            ClientEvent::Dies => "dies without releasing its references (a crash or an exit)",
            ClientEvent::Rundown => {
                "is run down by COM's garbage collection (ping time-out): its references are released"
            }
        }
    }
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.dead {
            parts.push("DEAD".to_string());
        }
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
        if let Some((s, o)) = self.second {
            parts.push(format!("second object proxy → instance {} #{o}", s + 1));
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
            factory: None,
            locked: false,
            lock_used: false,
            created: false,
            created_second: false,
            object: None,
            second: None,
            called: false,
            observed: Observations::default(),
            dead: false,
        }
    }

    /// Whether the client has finished its script: activated, nothing held, nothing pending.
    pub fn is_done(&self) -> bool {
        self.activated
            && self.pending.is_none()
            && self.factory.is_none()
            && self.object.is_none()
            && self.second.is_none()
            && !self.locked
    }

    /// The calls the client may make next. The only choice is the first one, which picks the
    /// client's script (spec/assumptions.md A-SCRIPTS):
    ///
    /// * `CoGetClassObject` — the client of R-002-LOCKSERVER-HOLD that keeps the class object:
    ///   LockServer(TRUE), CreateInstance, a call, Release of the object, LockServer(FALSE),
    ///   Release of the factory; with `[clients] create_instance = 2`, CreateInstance twice
    ///   (holding both objects), then a call and Release on the first, then on the second;
    /// * `CoCreateInstance` — one activation that returns an object proxy, then a call and
    ///   Release of the object.
    ///
    /// A call that fails drops the steps that needed what it would have produced.
    pub fn enabled(&self, cfg: &Config) -> Vec<ClientOp> {
        if self.pending.is_some() || self.dead {
            return Vec::new();
        }
        if !self.activated {
            // The activations the clients' scripts may use (A-SCRIPTS; a server description's
            // `[clients] calls`).
            return [ClientOp::CoGetClassObject, ClientOp::CoCreateInstance]
                .into_iter()
                .filter(|op| cfg.layout.calls(*op))
                .collect();
        }
        let next = if self.factory.is_some() && !self.lock_used {
            Some(ClientOp::LockServerTrue)
        } else if self.factory.is_some()
            && (!self.created
                || (!self.created_second && cfg.layout.create_instance == MAX_CREATE_INSTANCE))
        {
            // The first CreateInstance, then the second where the script makes two.
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
        self.pending = Some(op);
        match op {
            ClientOp::CoGetClassObject | ClientOp::CoCreateInstance => {
                self.activated = true;
                // Under Wine, CoCreateInstance first gets the class object the server registered
                // with rpcss, then calls CreateInstance through its proxy and releases it
                // ([`ClientState::on_reply`]; R-WINE-ACTIVATION).
                let kind = if op == ClientOp::CoGetClassObject || cfg.runtime.is_wine() {
                    ActKind::ClassObject
                } else {
                    ActKind::Instance
                };
                Some((cfg.scm_id(), Msg::Activation { clsid, kind }))
            }
            ClientOp::LockServerTrue | ClientOp::LockServerFalse => {
                let lock = op == ClientOp::LockServerTrue;
                if cfg.on(Toggle::ImplicitLockserver) {
                    self.pending = None;
                    self.finish_lock(op, lock, Hresult::S_OK);
                    None
                } else if cfg.runtime.is_wine() {
                    // Wine's IClassFactory_LockServer_Proxy is a stub: E_NOTIMPL, and the
                    // server never sees the call (R-WINE-LOCKSERVER-STUB).
                    self.pending = None;
                    self.finish_lock(op, lock, Hresult::E_NOTIMPL);
                    None
                } else {
                    Some((factory(self.factory), Msg::LockServer { clsid, lock }))
                }
            }
            ClientOp::CreateInstance => {
                if self.created {
                    self.created_second = true;
                }
                self.created = true;
                Some((factory(self.factory), Msg::CreateInstance { clsid }))
            }
            ClientOp::ReleaseFactory => {
                Some((factory(self.factory), Msg::ReleaseFactory { clsid }))
            }
            ClientOp::CallSelfDisconnect | ClientOp::KeepForever => {
                unreachable!("a service client's call")
            }
            ClientOp::Call | ClientOp::ReleaseObject => {
                let (s, obj) = self.object.expect("object proxy");
                let msg = if op == ClientOp::Call {
                    self.called = true;
                    Msg::Call { obj }
                } else {
                    Msg::ReleaseObject { obj }
                };
                Some((cfg.server_id(s as usize), msg))
            }
        }
    }

    /// The events the process may go through now (condition `client-death`): it may die
    /// between two of its calls while it holds a reference (not while blocked in a call:
    /// spec/assumptions.md A-PING-GC); once dead, COM's garbage collection runs its references
    /// down, unless `ping-garbage-collection` is disabled.
    pub fn events(&self, cfg: &Config) -> Vec<ClientEvent> {
        if !cfg.on(Toggle::ClientDeath) {
            return Vec::new();
        }
        let holds = self.factory.is_some() || self.object.is_some() || self.second.is_some();
        if !self.dead {
            return if self.pending.is_none() && holds {
                vec![ClientEvent::Dies]
            } else {
                Vec::new()
            };
        }
        if cfg.on(Toggle::PingGarbageCollection) && self.pending.is_none() && holds {
            vec![ClientEvent::Rundown]
        } else {
            Vec::new()
        }
    }

    /// Takes `event`: returns the releases COM's garbage collection sends on the dead client's
    /// behalf (R-COM-PING-GC).
    pub fn take(&mut self, cfg: &Config, me: usize, event: ClientEvent) -> Sends {
        match event {
            ClientEvent::Dies => {
                self.dead = true;
                Sends::new()
            }
            ClientEvent::Rundown => {
                let clsid = cfg.class_of_client(me);
                let mut out = Sends::new();
                for (s, obj) in [self.object.take(), self.second.take()]
                    .into_iter()
                    .flatten()
                {
                    out.push((cfg.server_id(s as usize), Msg::ReleaseObject { obj }));
                }
                if let Some(s) = self.factory.take() {
                    out.push((cfg.server_id(s as usize), Msg::ReleaseFactory { clsid }));
                }
                // A proxy-side LockServer (implicit-lockserver on) goes with the proxy; a
                // remoted one (implicit-lockserver off) is a count in the server that no stub
                // holds, so nothing runs it down.
                self.locked = false;
                out
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

    /// Handles the reply to the pending call, and returns the next message of a call that is
    /// not over yet (Wine's CoCreateInstance). The reply to a Release is not recorded: Release
    /// returns a ULONG ([`ClientOp::returns_hresult`]).
    ///
    /// Under Wine, CoCreateInstance is CoGetClassObject, then IClassFactory::CreateInstance
    /// through the class-object proxy, then the proxy's Release, all inside the one call
    /// (dlls/combase CoCreateInstanceEx; rpc.c rpc_get_local_class_object): it returns the
    /// first failure, or CreateInstance's HRESULT (R-WINE-ACTIVATION).
    pub fn on_reply(&mut self, cfg: &Config, me: usize, msg: &Msg) -> Option<(Id, Msg)> {
        let op = self.pending?;
        if op == ClientOp::CoCreateInstance && cfg.runtime.is_wine() {
            return self.on_wine_create_reply(cfg, me, msg);
        }
        match (op, msg) {
            (
                ClientOp::CoGetClassObject | ClientOp::CoCreateInstance,
                Msg::ActivationResult { hr, server, obj },
            ) => {
                self.observed.record(op, *hr);
                match (op, server) {
                    (ClientOp::CoGetClassObject, _) => self.factory = *server,
                    (_, Some(s)) => {
                        self.created = true;
                        self.object = obj.map(|o| (*s, o));
                    }
                    _ => {}
                }
            }
            (ClientOp::LockServerTrue, Msg::Reply { hr, .. }) => self.finish_lock(op, true, *hr),
            (ClientOp::LockServerFalse, Msg::Reply { hr, .. }) => self.finish_lock(op, false, *hr),
            (ClientOp::CreateInstance, Msg::Reply { hr, obj }) => {
                self.observed.record(op, *hr);
                let s = self.factory.expect("factory proxy");
                let new = obj.map(|o| (s, o));
                // The second object waits for the first to be released (a first that failed
                // leaves the slot to the second).
                if self.object.is_some() {
                    self.second = new;
                } else {
                    self.object = new;
                }
            }
            (ClientOp::ReleaseFactory, Msg::Reply { .. }) => self.factory = None,
            (ClientOp::Call, Msg::Reply { hr, .. }) => self.observed.record(op, *hr),
            (ClientOp::ReleaseObject, Msg::Reply { .. }) => {
                // The second object, if it holds one, is the one it works on next.
                self.object = self.second.take();
                if self.object.is_some() {
                    self.called = false;
                }
            }
            _ => return None,
        }
        self.pending = None;
        None
    }

    /// The steps of Wine's CoCreateInstance ([`ClientState::on_reply`]): the class object's
    /// activation result, CreateInstance's reply, the proxy's Release.
    fn on_wine_create_reply(&mut self, cfg: &Config, me: usize, msg: &Msg) -> Option<(Id, Msg)> {
        let op = ClientOp::CoCreateInstance;
        let clsid = cfg.class_of_client(me);
        match msg {
            Msg::ActivationResult {
                hr,
                server: Some(s),
                ..
            } if hr.succeeded() => {
                self.factory = Some(*s);
                Some((cfg.server_id(*s as usize), Msg::CreateInstance { clsid }))
            }
            Msg::ActivationResult { hr, .. } => {
                self.observed.record(op, *hr);
                self.pending = None;
                None
            }
            Msg::Reply { hr, obj } if !self.created => {
                self.observed.record(op, *hr);
                self.created = true;
                let s = self.factory.expect("factory proxy");
                self.object = obj.map(|o| (s, o));
                Some((cfg.server_id(s as usize), Msg::ReleaseFactory { clsid }))
            }
            Msg::Reply { .. } => {
                self.factory = None;
                self.pending = None;
                None
            }
            _ => None,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Default for ClientState {
    fn default() -> Self {
        Self::new()
    }
}
