//! The `service` scenario: a shared service host with services A (index 0) and B (index 1),
//! each with its own COM context (CLSID_ContextSwitcher) in which it registered its class
//! factory with CLSCTX_LOCAL_SERVER, and the clients of their objects (seeds 000, 001).
//!
//! The host dispatches calls on RPC threads (no apartment queue): a call begins when it is
//! delivered and returns in a later step ([`HostStep::FinishCall`]), so calls can be
//! outstanding while the service stops. SERVICE_CONTROL_STOP goes to A only. Service B also
//! uses an object of A in-process ([`BRef`]): through a cross-context proxy when A registered
//! with CLSCTX_LOCAL_SERVER, through a pointer CoDisconnectContext does not cut otherwise
//! (000, limitations; spec/assumptions.md A-SERVICE-INPROC).

use crate::com::client::{ClientOp, Observations};
use crate::com::config::Config;
use crate::com::hresult::Hresult;
use crate::com::msg::Sends;
use crate::com::msg::{Msg, ObjId};
use crate::com::toggles::Toggle;
use serde::Serialize;
use stateright::actor::Id;
use std::fmt;

/// Index of the service that is stopped.
pub const STOPPED_SERVICE: u8 = 0;

/// The state of an object's stub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum StubState {
    /// Connected: calls are dispatched.
    Connected,
    /// CoDisconnectObject waits for calls in flight: new calls get CO_E_OBJNOTCONNECTED.
    Disconnecting,
    /// Disconnected: calls get RPC_E_DISCONNECTED.
    Disconnected,
}

/// An object of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SvcObject {
    /// Its id in the host.
    pub id: ObjId,
    /// Its service (0 = A, 1 = B).
    pub service: u8,
    /// Whether it lives in its service's private context (else in the default context).
    pub private_ctx: bool,
    /// Whether service B holds it in-process through a registration without
    /// CLSCTX_LOCAL_SERVER: a pointer, not a proxy connection, so CoDisconnectContext does not
    /// disconnect it (000, limitations).
    pub direct: bool,
    /// Its stub.
    pub stub: StubState,
}

/// A call executing in the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Executing {
    /// The calling client.
    pub client: u8,
    /// The object.
    pub obj: ObjId,
    /// What the call will return.
    pub hr: Hresult,
    /// Whether it waits for ever (a self-disconnect with INFINITE and no deadlock detection).
    pub blocked: bool,
}

/// Where the stopped service's CoDisconnectContext loop stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DisconnectProgress {
    /// Not called yet.
    NotYet,
    /// Returned RPC_E_TIMEOUT; the service will call it again.
    Waiting,
    /// Returned RPC_E_TIMEOUT and the service went on (`retry-until-s-ok` off).
    GaveUpWaiting,
    /// Returned S_OK.
    Done,
    /// Returned CO_E_NOT_SUPPORTED: nothing the service can disconnect; it cannot unload.
    Failed,
}

/// A service of the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Service {
    /// Whether its class factory is registered.
    pub registered: bool,
    /// Whether its DLL is loaded.
    pub dll_loaded: bool,
}

/// The stop sequence of service A.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StopState {
    /// SERVICE_CONTROL_STOP was sent.
    pub requested: bool,
    /// The service accepted it (it may refuse while objects are active).
    pub accepted: bool,
    /// It revoked its class factory.
    pub revoked: bool,
    /// Its CoDisconnectContext loop.
    pub disconnect: DisconnectProgress,
    /// It got RPC_E_TIMEOUT at least once.
    pub saw_timeout: bool,
}

/// Service B's in-process use of one object of service A: create it, call it once, release it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BRef {
    /// B has not created the object yet.
    NotYet,
    /// B holds the object `obj`; `called` once it made its call.
    Holds {
        /// The object (of service A).
        obj: ObjId,
        /// Whether B made its call.
        called: bool,
    },
    /// B released it (or could not create it).
    Done,
}

/// An internal step of the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum HostStep {
    /// The service control manager sends SERVICE_CONTROL_STOP to service A.
    StopRequest,
    /// A enters its context and calls CoRevokeClassObject.
    Revoke,
    /// A (in its context) calls CoDisconnectContext(timeout).
    Disconnect,
    /// A calls CoDisconnectContext again after RPC_E_TIMEOUT.
    RetryDisconnect,
    /// A unloads its DLL.
    Unload,
    /// The call of client `c` returns.
    FinishCall(u8),
    /// Service B calls CoCreateInstance for service A's class inside the host.
    BCreate,
    /// Service B calls a method on its object of A.
    BCall,
    /// Service B releases its object of A.
    BRelease,
}

/// Every step a host serving `clients` clients can take.
pub fn all_steps(clients: usize) -> Vec<HostStep> {
    let mut v = vec![
        HostStep::StopRequest,
        HostStep::Revoke,
        HostStep::Disconnect,
        HostStep::RetryDisconnect,
        HostStep::Unload,
        HostStep::BCreate,
        HostStep::BCall,
        HostStep::BRelease,
    ];
    v.extend((0..clients as u8).map(HostStep::FinishCall));
    v
}

impl HostStep {
    /// The step as a one-line COM phrase.
    pub fn phrase(self) -> String {
        match self {
            HostStep::StopRequest => {
                "the service control manager sends SERVICE_CONTROL_STOP to service A".into()
            }
            HostStep::Revoke => "service A enters its context and calls CoRevokeClassObject".into(),
            HostStep::Disconnect => "service A calls CoDisconnectContext(timeout)".into(),
            HostStep::RetryDisconnect => "service A calls CoDisconnectContext again".into(),
            HostStep::Unload => "service A unloads its DLL".into(),
            HostStep::FinishCall(c) => format!("the call of client {} returns", c + 1),
            HostStep::BCreate => "service B creates an object of service A in-process".into(),
            HostStep::BCall => "service B calls a method on its object of service A".into(),
            HostStep::BRelease => "service B releases its object of service A".into(),
        }
    }
}

/// The service host's state.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct HostState {
    /// Services A and B.
    pub services: [Service; 2],
    /// Service A's stop sequence.
    pub stop: StopState,
    /// Objects of both services.
    pub objects: Vec<SvcObject>,
    /// Last object id handed out.
    pub last_obj: ObjId,
    /// Calls executing.
    pub executing: Vec<Executing>,
    /// Service B's in-process object of service A.
    pub b_ref: BRef,
    /// Results of every CoDisconnectContext call, in order (at most a few).
    pub disconnect_results: Vec<Hresult>,
    /// A CoDisconnectContext result contradicted the ground truth (R-000-RESULTS).
    pub bad_disconnect_result: bool,
    /// A DLL was unloaded while an object it implements was connected, its factory was
    /// registered or a call ran in its code.
    pub unloaded_while_live: bool,
    /// A thread called or returned into an unloaded DLL: the host process crashed.
    pub crashed: bool,
}

impl fmt::Debug for HostState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.crashed {
            return write!(f, "CRASHED (call into unloaded DLL)");
        }
        for (i, s) in self.services.iter().enumerate() {
            write!(
                f,
                "service {}: factory {}, DLL {}; ",
                if i == 0 { 'A' } else { 'B' },
                if s.registered {
                    "registered"
                } else {
                    "revoked"
                },
                if s.dll_loaded { "loaded" } else { "UNLOADED" }
            )?;
        }
        if self.stop.requested {
            write!(f, "stop {:?}; ", self.stop)?;
        }
        let objs: Vec<String> = self
            .objects
            .iter()
            .map(|o| {
                format!(
                    "#{} of {}: {:?}",
                    o.id,
                    if o.service == 0 { 'A' } else { 'B' },
                    o.stub
                )
            })
            .collect();
        write!(f, "objects [{}]", objs.join(", "))?;
        if !self.executing.is_empty() {
            write!(f, " executing {:?}", self.executing)?;
        }
        Ok(())
    }
}

impl HostState {
    /// The host after both services started: each created its context, entered it and
    /// registered its factory there (A-SERVICE-START).
    pub fn new() -> Self {
        HostState {
            services: [Service {
                registered: true,
                dll_loaded: true,
            }; 2],
            stop: StopState {
                requested: false,
                accepted: false,
                revoked: false,
                disconnect: DisconnectProgress::NotYet,
                saw_timeout: false,
            },
            objects: Vec::new(),
            last_obj: 0,
            executing: Vec::new(),
            b_ref: BRef::NotYet,
            disconnect_results: Vec::new(),
            bad_disconnect_result: false,
            unloaded_while_live: false,
            crashed: false,
        }
    }

    fn object(&self, id: ObjId) -> Option<&SvcObject> {
        self.objects.iter().find(|o| o.id == id)
    }

    /// Whether a call executes on an object of `service`.
    fn calls_in(&self, service: u8) -> bool {
        self.executing
            .iter()
            .any(|e| self.object(e.obj).is_some_and(|o| o.service == service))
    }

    /// Objects CoDisconnectContext in A's context disconnects: the proxy connections of A's
    /// objects in its context (not B's pointer from an in-process-only registration), or of
    /// every object when the disconnect is not scoped to the context.
    fn affected(&self, cfg: &Config, o: &SvcObject) -> bool {
        !o.direct
            && (!cfg.on(Toggle::ContextScopedDisconnect)
                || (o.service == STOPPED_SERVICE && o.private_ctx))
    }

    /// The internal steps enabled now.
    pub fn enabled(&self, cfg: &Config) -> Vec<HostStep> {
        let mut v = Vec::new();
        if self.crashed {
            return v;
        }
        let st = &self.stop;
        let a = &self.services[STOPPED_SERVICE as usize];
        if !st.requested {
            v.push(HostStep::StopRequest);
        }
        let disconnect_on = cfg.on(Toggle::DisconnectContext);
        let revoke_first = cfg.on(Toggle::RevokeBeforeDisconnect);
        let past_disconnect = matches!(
            st.disconnect,
            DisconnectProgress::Done | DisconnectProgress::GaveUpWaiting
        );
        if st.accepted && !st.revoked && (revoke_first || !disconnect_on || past_disconnect) {
            v.push(HostStep::Revoke);
        }
        if st.accepted
            && disconnect_on
            && st.disconnect == DisconnectProgress::NotYet
            && (st.revoked || !revoke_first)
        {
            v.push(HostStep::Disconnect);
        }
        if st.disconnect == DisconnectProgress::Waiting
            && !self
                .executing
                .iter()
                .any(|e| self.object(e.obj).is_some_and(|o| self.affected(cfg, o)))
        {
            v.push(HostStep::RetryDisconnect);
        }
        if st.accepted && st.revoked && a.dll_loaded && (!disconnect_on || past_disconnect) {
            v.push(HostStep::Unload);
        }
        for e in &self.executing {
            if !e.blocked {
                v.push(HostStep::FinishCall(e.client));
            }
        }
        match self.b_ref {
            BRef::NotYet if a.registered => v.push(HostStep::BCreate),
            BRef::Holds { called: false, .. } => v.push(HostStep::BCall),
            BRef::Holds { called: true, .. } => v.push(HostStep::BRelease),
            _ => {}
        }
        v
    }

    /// Service B's call (or Release) on its object of A: through a disconnected proxy it fails
    /// with RPC_E_DISCONNECTED in COM; through a connected proxy or a pointer into a loaded DLL
    /// it runs; a pointer into A's unloaded DLL crashes the host.
    fn b_uses(&mut self, obj: ObjId) -> bool {
        let Some(o) = self.object(obj).copied() else {
            return false;
        };
        if o.stub == StubState::Connected && !self.services[o.service as usize].dll_loaded {
            self.crashed = true;
        }
        o.stub == StubState::Connected
    }

    /// CoDisconnectContext as COM implements it: CoDisconnectObject on each affected object
    /// (disconnected at once, or once its calls return); RPC_E_TIMEOUT while calls are
    /// outstanding, else S_OK (R-000-RESULTS).
    fn disconnect_context(&mut self, cfg: &Config) -> Hresult {
        let busy: Vec<ObjId> = self.executing.iter().map(|e| e.obj).collect();
        let mut timeout = false;
        for i in 0..self.objects.len() {
            let o = self.objects[i];
            if o.stub != StubState::Disconnected && self.affected(cfg, &o) {
                if busy.contains(&o.id) {
                    self.objects[i].stub = StubState::Disconnecting;
                    timeout = true;
                } else {
                    self.objects[i].stub = StubState::Disconnected;
                }
            }
        }
        if timeout {
            Hresult::RPC_E_TIMEOUT
        } else {
            Hresult::S_OK
        }
    }

    /// Records a CoDisconnectContext result of service A's stop code and checks it against the
    /// ground truth of seed 000 ("The proxy connections for all objects were successfully
    /// disconnected"): S_OK only when no proxy connection to an object of A's context remains
    /// and no call executes in it; RPC_E_TIMEOUT only when one does. A pointer from an
    /// in-process-only registration is not a proxy connection (000, limitations).
    fn record_result(&mut self, hr: Hresult) {
        let live = self.objects.iter().any(|o| {
            o.service == STOPPED_SERVICE
                && o.private_ctx
                && !o.direct
                && o.stub != StubState::Disconnected
        }) || self.calls_in(STOPPED_SERVICE);
        let right = match hr {
            Hresult::S_OK => !live,
            Hresult::RPC_E_TIMEOUT => self.calls_in(STOPPED_SERVICE),
            _ => true,
        };
        self.bad_disconnect_result |= !right;
        self.disconnect_results.push(hr);
    }

    /// Performs internal step `step`; returns replies to send.
    pub fn step(&mut self, cfg: &Config, step: HostStep) -> Sends {
        let mut out = Sends::new();
        let a = STOPPED_SERVICE as usize;
        match step {
            HostStep::StopRequest => {
                self.stop.requested = true;
                let active = self
                    .objects
                    .iter()
                    .any(|o| o.service == STOPPED_SERVICE && o.stub == StubState::Connected);
                self.stop.accepted = cfg.on(Toggle::StopAlwaysAccepted) || !active;
            }
            HostStep::Revoke => {
                self.stop.revoked = true;
                self.services[a].registered = false;
            }
            HostStep::Disconnect | HostStep::RetryDisconnect => {
                let hr = if !cfg.on(Toggle::PrivateContext) {
                    // A has no context of its own: it calls from the default context.
                    Hresult::CO_E_NOT_SUPPORTED
                } else {
                    self.disconnect_context(cfg)
                };
                if cfg.on(Toggle::PrivateContext) {
                    self.record_result(hr);
                } else {
                    self.disconnect_results.push(hr);
                }
                self.stop.saw_timeout |= hr == Hresult::RPC_E_TIMEOUT;
                self.stop.disconnect = match hr {
                    Hresult::S_OK => DisconnectProgress::Done,
                    Hresult::RPC_E_TIMEOUT if cfg.on(Toggle::RetryUntilSOk) => {
                        DisconnectProgress::Waiting
                    }
                    Hresult::RPC_E_TIMEOUT => DisconnectProgress::GaveUpWaiting,
                    _ => DisconnectProgress::Failed,
                };
            }
            HostStep::Unload => {
                self.unloaded_while_live |= self.calls_in(STOPPED_SERVICE)
                    || self
                        .objects
                        .iter()
                        .any(|o| o.service == STOPPED_SERVICE && o.stub != StubState::Disconnected);
                self.services[a].dll_loaded = false;
            }
            HostStep::BCreate => {
                self.last_obj += 1;
                let id = self.last_obj;
                self.objects.push(SvcObject {
                    id,
                    service: STOPPED_SERVICE,
                    private_ctx: cfg.on(Toggle::PrivateContext),
                    direct: !cfg.on(Toggle::RegisterLocalServer),
                    stub: StubState::Connected,
                });
                self.b_ref = BRef::Holds {
                    obj: id,
                    called: false,
                };
            }
            HostStep::BCall => {
                let BRef::Holds { obj, .. } = self.b_ref else {
                    unreachable!("enabled only while B holds its object")
                };
                self.b_uses(obj);
                self.b_ref = BRef::Holds { obj, called: true };
            }
            HostStep::BRelease => {
                let BRef::Holds { obj, .. } = self.b_ref else {
                    unreachable!("enabled only while B holds its object")
                };
                self.b_uses(obj);
                if !self.crashed {
                    self.objects.retain(|o| o.id != obj);
                }
                self.b_ref = BRef::Done;
            }
            HostStep::FinishCall(c) => {
                let i = self
                    .executing
                    .iter()
                    .position(|e| e.client == c)
                    .expect("executing call");
                let e = self.executing.remove(i);
                let service = self.object(e.obj).map_or(0, |o| o.service);
                if !self.services[service as usize].dll_loaded {
                    self.crashed = true; // returns into unloaded code
                    out.push((
                        Id::from(c as usize),
                        Msg::Reply {
                            hr: Hresult::RPC_S_SERVER_UNAVAILABLE,
                            obj: None,
                        },
                    ));
                    return out;
                }
                if !self.executing.iter().any(|x| x.obj == e.obj) {
                    if let Some(o) = self.objects.iter_mut().find(|o| o.id == e.obj) {
                        if o.stub == StubState::Disconnecting {
                            o.stub = StubState::Disconnected;
                        }
                    }
                }
                out.push((
                    Id::from(c as usize),
                    Msg::Reply {
                        hr: e.hr,
                        obj: None,
                    },
                ));
            }
        }
        out
    }

    /// Delivers a client's call. The host dispatches on RPC threads, so every call is
    /// dispatched at once; after a crash every call fails with RPC_S_SERVER_UNAVAILABLE.
    pub fn on_msg(&mut self, cfg: &Config, src: Id, msg: &Msg) -> Sends {
        let client = cfg.client_of(src).expect("a client") as u8;
        let reply =
            |hr: Hresult, obj: Option<ObjId>| smallvec::smallvec![(src, Msg::Reply { hr, obj })];
        if self.crashed {
            return reply(Hresult::RPC_S_SERVER_UNAVAILABLE, None);
        }
        match msg {
            Msg::Activate { clsid, .. } => {
                let s = clsid.0;
                if s == STOPPED_SERVICE && !cfg.on(Toggle::RegisterLocalServer) {
                    // Registered with CLSCTX_INPROC_SERVER only: invisible to other processes;
                    // the SCM waits for a registration that never comes (seeds README).
                    reply(Hresult::CO_E_SERVER_EXEC_FAILURE, None)
                } else if self.services[s as usize].registered {
                    self.last_obj += 1;
                    let id = self.last_obj;
                    self.objects.push(SvcObject {
                        id,
                        service: s,
                        private_ctx: cfg.on(Toggle::PrivateContext),
                        direct: false,
                        stub: StubState::Connected,
                    });
                    reply(Hresult::S_OK, Some(id))
                } else {
                    reply(Hresult::CO_E_SERVER_STOPPING, None)
                }
            }
            Msg::Call { obj } | Msg::CallSelfDisconnect { obj } => {
                let Some(o) = self.object(*obj).copied() else {
                    return reply(Hresult::RPC_E_DISCONNECTED, None);
                };
                match o.stub {
                    StubState::Disconnected => reply(Hresult::RPC_E_DISCONNECTED, None),
                    StubState::Disconnecting => reply(Hresult::CO_E_OBJNOTCONNECTED, None),
                    StubState::Connected if !self.services[o.service as usize].dll_loaded => {
                        self.crashed = true; // calls into unloaded code
                        reply(Hresult::RPC_S_SERVER_UNAVAILABLE, None)
                    }
                    StubState::Connected => {
                        let (hr, blocked) = if matches!(msg, Msg::CallSelfDisconnect { .. }) {
                            self.self_disconnect(cfg, &o)
                        } else {
                            (Hresult::S_OK, false)
                        };
                        self.executing.push(Executing {
                            client,
                            obj: *obj,
                            hr,
                            blocked,
                        });
                        Sends::new()
                    }
                }
            }
            Msg::ReleaseObject { obj } => {
                let Some(i) = self.objects.iter().position(|o| o.id == *obj) else {
                    return reply(Hresult::RPC_E_DISCONNECTED, None);
                };
                let o = self.objects[i];
                if o.stub != StubState::Connected {
                    return reply(Hresult::RPC_E_DISCONNECTED, None);
                }
                if !self.services[o.service as usize].dll_loaded {
                    self.crashed = true;
                    return reply(Hresult::RPC_S_SERVER_UNAVAILABLE, None);
                }
                self.objects.remove(i);
                reply(Hresult::S_OK, None)
            }
            _ => Sends::new(),
        }
    }

    /// An object of A calls CoDisconnectContext(INFINITE) on the context it resides in:
    /// CO_E_NOT_SUPPORTED from a default context, CONTEXT_E_WOULD_DEADLOCK when COM detects
    /// the self-disconnect, otherwise it waits for ever for its own call (R-000-DEADLOCK).
    fn self_disconnect(&mut self, cfg: &Config, o: &SvcObject) -> (Hresult, bool) {
        if !o.private_ctx {
            (Hresult::CO_E_NOT_SUPPORTED, false)
        } else if cfg.on(Toggle::DeadlockDetection) {
            (Hresult::CONTEXT_E_WOULD_DEADLOCK, false)
        } else {
            for x in self.objects.iter_mut() {
                if x.service == o.service && x.private_ctx && x.stub == StubState::Connected {
                    x.stub = if x.id == o.id {
                        StubState::Disconnecting
                    } else {
                        StubState::Disconnected
                    };
                }
            }
            (Hresult::RPC_E_TIMEOUT, true)
        }
    }
}

impl Default for HostState {
    fn default() -> Self {
        Self::new()
    }
}

/// A client of the service host: CoCreateInstance on its service's class, one call (a plain
/// method, or for a client of A possibly the self-disconnecting one), then Release or keep
/// the reference for ever (seed 001: clients may hold references indefinitely).
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SvcClientState {
    /// The call it is blocked in.
    pub pending: Option<ClientOp>,
    /// Activated already.
    pub activated: bool,
    /// Its object proxy.
    pub object: Option<ObjId>,
    /// Made its call already.
    pub called: bool,
    /// Decided to keep its reference for ever.
    pub keeps: bool,
    /// Every (call, HRESULT) it observed.
    pub observed: Observations,
}

impl fmt::Debug for SvcClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = self.pending {
            write!(f, "blocked in {}; ", op.api())?;
        }
        if let Some(o) = self.object {
            write!(
                f,
                "object proxy #{o}{}; ",
                if self.keeps { " (kept for ever)" } else { "" }
            )?;
        }
        write!(f, "observed {:?}", self.observed)
    }
}

impl SvcClientState {
    /// Before any call.
    pub fn new() -> Self {
        SvcClientState {
            pending: None,
            activated: false,
            object: None,
            called: false,
            keeps: false,
            observed: Observations::default(),
        }
    }

    /// The calls it may make next: a client with its object and its call made may release it
    /// or keep it for ever.
    pub fn enabled(&self, cfg: &Config, me: usize) -> Vec<ClientOp> {
        if self.pending.is_some() || self.keeps {
            return Vec::new();
        }
        if !self.activated {
            return vec![ClientOp::CoCreateInstance];
        }
        let Some(_) = self.object else {
            return Vec::new();
        };
        if !self.called {
            let mut v = vec![ClientOp::Call];
            if cfg.class_of_client(me).0 == STOPPED_SERVICE {
                v.push(ClientOp::CallSelfDisconnect);
            }
            return v;
        }
        vec![ClientOp::ReleaseObject, ClientOp::KeepForever]
    }

    /// Starts `op`; returns the message to send (none for `KeepForever`).
    pub fn start(&mut self, cfg: &Config, me: usize, op: ClientOp) -> Option<(Id, Msg)> {
        let host = cfg.host_id();
        match op {
            ClientOp::CoCreateInstance => {
                self.activated = true;
                self.pending = Some(op);
                Some((
                    host,
                    Msg::Activate {
                        client: me as u8,
                        clsid: cfg.class_of_client(me),
                        kind: crate::com::msg::ActKind::Instance,
                    },
                ))
            }
            ClientOp::Call | ClientOp::CallSelfDisconnect => {
                self.called = true;
                self.pending = Some(op);
                let obj = self.object.expect("object");
                Some((
                    host,
                    if op == ClientOp::Call {
                        Msg::Call { obj }
                    } else {
                        Msg::CallSelfDisconnect { obj }
                    },
                ))
            }
            ClientOp::ReleaseObject => {
                self.pending = Some(op);
                Some((
                    host,
                    Msg::ReleaseObject {
                        obj: self.object.expect("object"),
                    },
                ))
            }
            _ => {
                self.keeps = true;
                None
            }
        }
    }

    /// Handles the reply to its pending call.
    pub fn on_reply(&mut self, msg: &Msg) {
        let (Some(op), Msg::Reply { hr, obj }) = (self.pending, msg) else {
            return;
        };
        self.observed.record(op, *hr);
        self.pending = None;
        match op {
            ClientOp::CoCreateInstance => self.object = *obj,
            ClientOp::ReleaseObject => self.object = None,
            _ => {}
        }
    }
}

impl Default for SvcClientState {
    fn default() -> Self {
        Self::new()
    }
}
