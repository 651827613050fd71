//! A local (EXE) server process: its COM runtime (class table with REGCLS flags and the
//! suspended state, the process reference count, stubs of marshaled objects and class
//! objects), its apartment threads, and the interactive user (seed 002 "Local Server",
//! seed 003).
//!
//! Each internal step ([`ServerStep`]) and each dispatch of an incoming call is one atomic
//! step (spec/assumptions.md A-ATOMIC). An incoming call is dispatched only by the apartment
//! that owns its target, and only while that apartment's thread sits in its message loop: until
//! then the call stays queued (the network keeps it).

use crate::config::{Clsid, Config, Mechanism};
use crate::hresult::Hresult;
use crate::msg::{Msg, ObjId};
use crate::scm::Sends;
use serde::Serialize;
use stateright::actor::Id;
use std::fmt;

/// Whether the process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ProcStatus {
    /// The slot's process has not been launched by the SCM.
    NotStarted,
    /// The process runs.
    Running,
    /// The process has exited, for the given reason.
    Exited(ExitReason),
}

/// Why a server decided to shut down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ExitReason {
    /// Automatic termination on its lifetime count (R-002-FINAL-DECREMENT).
    Automatic,
    /// The end user closed the server (R-002-USER-CLOSE).
    UserClose,
}

/// Where an apartment thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum AptPhase {
    /// Initialising; has not called CoRegisterClassObject.
    Init,
    /// Registered its class and waits to call CoResumeClassObjects (apartment 0 only).
    Registered,
    /// In its message loop, dispatching calls.
    Loop,
    /// Left its message loop after revoking its class object.
    Done,
}

/// One apartment thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Apartment {
    /// Its phase.
    pub phase: AptPhase,
    /// Whether it is between the two steps of a final-release handler: the count reached zero
    /// and the thread has yet to act on it ([`ServerStep::FinishRelease`]).
    pub busy: bool,
}

/// A class's registration in the process's COM class table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ClassReg {
    /// Not registered yet.
    None,
    /// Registered with REGCLS_SUSPENDED, not yet resumed.
    Suspended,
    /// Registered and available to activations.
    Live,
    /// Revoked with CoRevokeClassObject.
    Revoked,
}

/// An object instance and the state of its stub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Object {
    /// Its id within the process.
    pub id: ObjId,
    /// Its class.
    pub clsid: Clsid,
    /// Whether its stub is connected. A disconnected object was run down by
    /// CoDisconnectObject and is kept only so calls on its proxy get RPC_E_DISCONNECTED.
    pub connected: bool,
}

/// What the interactive user has done (seed 002, user control).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct UserState {
    /// The user-control flag.
    pub control: bool,
    /// The user opened a document (took control) once.
    pub opened: bool,
    /// The user closed the server.
    pub closed: bool,
}

/// A server process slot's state.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ServerState {
    /// Not started, running or exited.
    pub status: ProcStatus,
    /// Apartment threads; apartment `i` registers class `i`.
    pub apartments: Vec<Apartment>,
    /// Class-table entries, indexed by CLSID.
    pub classes: Vec<ClassReg>,
    /// Whether every class became available (registered, and resumed under REGCLS_SUSPENDED).
    pub ready: bool,
    /// Whether CoSuspendClassObjects is in effect (automatically or explicitly).
    pub suspended: bool,
    /// The lifetime count the server decides on: the CoAddRefServerProcess count, or its own
    /// counter when `process-refcount` is disabled. Bounded by objects + locks ≤ 2 × clients.
    pub count: u8,
    /// Outstanding server-side LockServer(TRUE) calls (implicit and remoted).
    pub locks: u8,
    /// Objects with their stubs.
    pub objects: Vec<Object>,
    /// Last object id handed out.
    pub last_obj: ObjId,
    /// Marshaled IClassFactory proxies held by clients, per class.
    pub factory_proxies: Vec<u8>,
    /// Whether the class objects' stubs were disconnected (user close).
    pub factories_disconnected: bool,
    /// The shutdown decision, once taken.
    pub shutdown: Option<ExitReason>,
    /// The client whose activation made the SCM launch this instance.
    pub launched_for: Option<u8>,
    /// Clients whose activation the instance served, as a bit set (bit = client index).
    pub served: u8,
    /// Whether it handed out a class object or an object after deciding to shut down.
    pub handed_out_late: bool,
    /// The interactive user.
    pub user: UserState,
    /// Whether the user sits at this instance: in scenarios with a user, at the first
    /// instance only (spec/assumptions.md A-BOUNDS). Constant for a slot.
    pub user_present: bool,
}

/// An internal step of a server process: a thread's COM API call or a user action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ServerStep {
    /// Apartment thread calls `CoRegisterClassObject(CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE
    /// [| REGCLS_SUSPENDED])` for its class.
    Register(u8),
    /// The main thread calls `CoResumeClassObjects` and enters its message loop.
    Resume,
    /// Second half of a final-release handler: revoke this apartment's class object and leave
    /// the message loop (and call `CoSuspendClassObjects` when the server keeps its own count).
    FinishRelease(u8),
    /// Apartment thread, told to shut down, calls `CoRevokeClassObject` and leaves its loop.
    Revoke(u8),
    /// Every thread has left its loop: the process exits.
    Exit,
    /// (`exit-on-final-decrement` disabled) the idle message loop sees all counts at zero.
    IdleZeroCheck,
    /// The user opens a document in a server that is servicing a client (the only kind the
    /// user sees: one launched for an activation shows no window before it serves): user
    /// control becomes TRUE.
    UserOpenDocument,
    /// The user closes the server, which exits (nothing in service, or the mechanism is off).
    UserClose,
    /// The user closes the server, which hides its window and serves on (user control FALSE).
    UserCloseHide,
    /// The user closes the server, which calls CoDisconnectObject on every object and class
    /// object and exits.
    UserCloseDisconnect,
}

impl ServerStep {
    /// Every step a server with `apartments` threads can take.
    pub fn all(apartments: usize) -> Vec<ServerStep> {
        let mut v = Vec::new();
        for a in 0..apartments as u8 {
            v.extend([
                ServerStep::Register(a),
                ServerStep::FinishRelease(a),
                ServerStep::Revoke(a),
            ]);
        }
        v.extend([
            ServerStep::Resume,
            ServerStep::Exit,
            ServerStep::IdleZeroCheck,
            ServerStep::UserOpenDocument,
            ServerStep::UserClose,
            ServerStep::UserCloseHide,
            ServerStep::UserCloseDisconnect,
        ]);
        v
    }

    /// The step in COM terms.
    pub fn describe(self) -> String {
        match self {
            ServerStep::Register(a) => format!("apartment {a} calls CoRegisterClassObject"),
            ServerStep::Resume => "main thread calls CoResumeClassObjects".to_string(),
            ServerStep::FinishRelease(a) => {
                format!("apartment {a} acts on the final release: CoRevokeClassObject, leaves its message loop")
            }
            ServerStep::Revoke(a) => {
                format!("apartment {a} calls CoRevokeClassObject and leaves its message loop")
            }
            ServerStep::Exit => "the process exits".to_string(),
            ServerStep::IdleZeroCheck => {
                "the idle message loop sees all counts at zero and quits".to_string()
            }
            ServerStep::UserOpenDocument => {
                "the user opens a document (user control = TRUE)".to_string()
            }
            ServerStep::UserClose => "the user closes the server".to_string(),
            ServerStep::UserCloseHide => {
                "the user closes the server; it hides its window and serves on".to_string()
            }
            ServerStep::UserCloseDisconnect => {
                "the user closes the server; it calls CoDisconnectObject on everything and exits"
                    .to_string()
            }
        }
    }
}

impl fmt::Debug for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            ProcStatus::NotStarted => return write!(f, "not started"),
            ProcStatus::Exited(r) => write!(f, "EXITED ({r:?})")?,
            ProcStatus::Running => write!(f, "running")?,
        }
        let apts: Vec<String> = self
            .apartments
            .iter()
            .enumerate()
            .map(|(i, a)| {
                format!(
                    "apt{i}:{:?}{}",
                    a.phase,
                    if a.busy { "(in final Release)" } else { "" }
                )
            })
            .collect();
        let classes: Vec<String> = self
            .classes
            .iter()
            .enumerate()
            .map(|(c, r)| format!("{:?}:{r:?}", Clsid(c as u8)))
            .collect();
        write!(f, " [{}] classes [{}]", apts.join(" "), classes.join(" "))?;
        if self.suspended {
            write!(f, " SUSPENDED")?;
        }
        write!(f, " count={} locks={}", self.count, self.locks)?;
        let objs: Vec<String> = self
            .objects
            .iter()
            .map(|o| {
                format!(
                    "#{}{}",
                    o.id,
                    if o.connected { "" } else { "(disconnected)" }
                )
            })
            .collect();
        write!(
            f,
            " objects [{}] factory proxies {:?}",
            objs.join(" "),
            self.factory_proxies
        )?;
        if self.factories_disconnected {
            write!(f, " (class objects disconnected)")?;
        }
        if let Some(r) = self.shutdown {
            write!(f, " shutdown={r:?}")?;
        }
        if self.user.control {
            write!(f, " USER CONTROL")?;
        }
        if self.user.closed {
            write!(f, " user closed")?;
        }
        Ok(())
    }
}

impl ServerState {
    /// Slot `slot`'s process, not yet launched.
    pub fn new(cfg: &Config, slot: usize) -> Self {
        let n = cfg.scenario.apartments();
        ServerState {
            status: ProcStatus::NotStarted,
            apartments: vec![
                Apartment {
                    phase: AptPhase::Init,
                    busy: false
                };
                n
            ],
            classes: vec![ClassReg::None; cfg.scenario.classes()],
            ready: false,
            suspended: false,
            count: 0,
            locks: 0,
            objects: Vec::new(),
            last_obj: 0,
            factory_proxies: vec![0; cfg.scenario.classes()],
            factories_disconnected: false,
            shutdown: None,
            launched_for: None,
            served: 0,
            handed_out_late: false,
            user: UserState::default(),
            user_present: cfg.scenario.has_user() && slot == 0,
        }
    }

    /// Whether the instance served the activation it was launched for.
    pub fn served_launcher(&self) -> bool {
        self.launched_for
            .is_some_and(|c| self.served & (1 << c) != 0)
    }

    /// Whether the process has exited.
    pub fn exited(&self) -> bool {
        matches!(self.status, ProcStatus::Exited(_))
    }

    /// Whether the SCM ever launched this slot.
    pub fn launched(&self) -> bool {
        self.status != ProcStatus::NotStarted
    }

    /// Objects whose stubs are connected.
    pub fn live_objects(&self) -> usize {
        self.objects.iter().filter(|o| o.connected).count()
    }

    /// The documented lifetime count: objects being serviced plus LockServer locks, class
    /// objects excluded (R-002-BOTTOM-LINE).
    pub fn documented_count(&self) -> usize {
        self.live_objects() + self.locks as usize
    }

    /// Reference count of the class objects: one per registration not yet revoked, plus one
    /// per marshaled proxy (R-002-FACTORY-REFS).
    pub fn factory_refcount(&self) -> usize {
        let registered = self
            .classes
            .iter()
            .filter(|r| matches!(r, ClassReg::Suspended | ClassReg::Live))
            .count();
        registered
            + self
                .factory_proxies
                .iter()
                .map(|&n| n as usize)
                .sum::<usize>()
    }

    /// Whether the server may decide to shut down automatically now: not under user control
    /// (R-002-USER-CONTROL) and, if the server waits for class-object references
    /// (`factory-refs-ignored` disabled), with none left (R-002-FACTORY-REFS).
    fn may_shut_down(&self, cfg: &Config) -> bool {
        !(cfg.on(Mechanism::UserControl) && self.user.control)
            && (cfg.on(Mechanism::FactoryRefsIgnored) || self.factory_refcount() == 0)
    }

    fn apt_idle(&self, a: usize) -> bool {
        self.apartments[a].phase == AptPhase::Loop && !self.apartments[a].busy
    }

    /// The internal steps enabled now.
    pub fn enabled(&self, cfg: &Config) -> Vec<ServerStep> {
        let mut steps = Vec::new();
        if self.status != ProcStatus::Running {
            return steps;
        }
        let n = self.apartments.len();
        for (a, apt) in self.apartments.iter().enumerate() {
            let a8 = a as u8;
            if apt.phase == AptPhase::Init && self.shutdown.is_none() {
                steps.push(ServerStep::Register(a8));
            }
            if apt.busy {
                steps.push(ServerStep::FinishRelease(a8));
            } else if self.shutdown.is_some() && apt.phase != AptPhase::Done {
                steps.push(ServerStep::Revoke(a8));
            }
        }
        if cfg.on(Mechanism::RegclsSuspended)
            && self.apartments[0].phase == AptPhase::Registered
            && self.apartments.iter().all(|a| a.phase != AptPhase::Init)
            && self.shutdown.is_none()
        {
            steps.push(ServerStep::Resume);
        }
        if (0..n).all(|a| self.apartments[a].phase == AptPhase::Done) {
            steps.push(ServerStep::Exit);
        }
        if self.shutdown.is_none() && self.apt_idle(0) {
            if !cfg.on(Mechanism::ExitOnFinalDecrement)
                && self.count == 0
                && self.may_shut_down(cfg)
            {
                steps.push(ServerStep::IdleZeroCheck);
            }
            if self.user_present {
                if self.served != 0 && !self.user.opened {
                    steps.push(ServerStep::UserOpenDocument);
                }
                if self.user.control && !self.user.closed {
                    let in_service =
                        self.documented_count() > 0 || self.factory_proxies.iter().any(|&n| n > 0);
                    if cfg.on(Mechanism::DisconnectOnUserClose) && in_service {
                        steps.push(ServerStep::UserCloseHide);
                        steps.push(ServerStep::UserCloseDisconnect);
                    } else {
                        steps.push(ServerStep::UserClose);
                    }
                }
            }
        }
        steps
    }

    /// CoRevokeClassObject for apartment `a`'s class (if registered), and the thread leaves its
    /// message loop. The SCM is not told: it learns when an activation it forwards is refused
    /// or when the process exits (R-003-STA-SERIALIZED; spec/assumptions.md A-SCM).
    fn revoke_and_leave(&mut self, a: usize) {
        if matches!(self.classes[a], ClassReg::Suspended | ClassReg::Live) {
            self.classes[a] = ClassReg::Revoked;
        }
        self.apartments[a].phase = AptPhase::Done;
        self.apartments[a].busy = false;
    }

    /// Performs internal step `step` (which must be enabled). Returns the messages to send.
    pub fn step(&mut self, cfg: &Config, step: ServerStep) -> Sends {
        let mut out = Vec::new();
        let scm = cfg.scm_id();
        match step {
            ServerStep::Register(a) => {
                let a = a as usize;
                let clsid = Clsid(a as u8);
                if cfg.on(Mechanism::RegclsSuspended) {
                    self.classes[a] = ClassReg::Suspended;
                    self.apartments[a].phase = if a == 0 {
                        AptPhase::Registered
                    } else {
                        AptPhase::Loop
                    };
                } else {
                    self.classes[a] = ClassReg::Live;
                    self.apartments[a].phase = AptPhase::Loop;
                    out.push((
                        scm,
                        Msg::Register {
                            clsids: vec![clsid],
                        },
                    ));
                }
                self.ready = self.classes.iter().all(|c| *c == ClassReg::Live);
            }
            ServerStep::Resume => {
                let mut clsids = Vec::new();
                for (c, reg) in self.classes.iter_mut().enumerate() {
                    if *reg == ClassReg::Suspended {
                        *reg = ClassReg::Live;
                        clsids.push(Clsid(c as u8));
                    }
                }
                self.apartments[0].phase = AptPhase::Loop;
                self.ready = self.classes.iter().all(|c| *c == ClassReg::Live);
                out.push((scm, Msg::Register { clsids }));
            }
            ServerStep::FinishRelease(a) => {
                if !cfg.on(Mechanism::ProcessRefcount) {
                    // The server keeps its own count: it suspends the class objects itself,
                    // one step after the count reached zero.
                    self.suspended = true;
                }
                self.revoke_and_leave(a as usize);
            }
            ServerStep::Revoke(a) => self.revoke_and_leave(a as usize),
            ServerStep::Exit => {
                self.status = ProcStatus::Exited(self.shutdown.unwrap_or(ExitReason::Automatic));
                out.push((scm, Msg::Exited));
            }
            ServerStep::IdleZeroCheck => {
                self.shutdown = Some(ExitReason::Automatic);
                self.revoke_and_leave(0);
            }
            ServerStep::UserOpenDocument => {
                self.user.control = true;
                self.user.opened = true;
            }
            ServerStep::UserCloseHide => {
                self.user.control = false;
                self.user.closed = true;
            }
            ServerStep::UserClose | ServerStep::UserCloseDisconnect => {
                self.user.closed = true;
                if step == ServerStep::UserCloseDisconnect {
                    // CoDisconnectObject on every object and class object: COM runs down
                    // every external reference, so objects are destroyed and locks released.
                    for o in self.objects.iter_mut() {
                        o.connected = false;
                    }
                    self.factories_disconnected = true;
                    self.count = 0;
                    self.locks = 0;
                }
                self.shutdown = Some(ExitReason::UserClose);
                self.revoke_and_leave(0);
            }
        }
        out
    }

    /// One more reference on the lifetime count (CoAddRefServerProcess or `++count`).
    fn add_ref(&mut self) {
        self.count += 1;
    }

    /// One reference less on the lifetime count, in apartment `a`. On the final decrement
    /// CoReleaseServerProcess suspends the class objects (R-003-AUTO-SUSPEND) and the server
    /// decides to shut down (R-002-FINAL-DECREMENT), acting on it in the thread's next step.
    fn release(&mut self, cfg: &Config, a: usize) {
        self.count = self.count.saturating_sub(1);
        if self.count != 0 || self.shutdown.is_some() {
            return;
        }
        if cfg.on(Mechanism::ProcessRefcount) && cfg.on(Mechanism::AutoSuspend) {
            self.suspended = true;
        }
        if cfg.on(Mechanism::ExitOnFinalDecrement) && self.may_shut_down(cfg) {
            self.shutdown = Some(ExitReason::Automatic);
            self.apartments[a].busy = true;
        }
    }

    /// IClassFactory::LockServer on the server side (implicit or remoted).
    fn lock_server(&mut self, cfg: &Config, a: usize, lock: bool) {
        if lock {
            self.locks += 1;
            if cfg.on(Mechanism::LockserverCounts) {
                self.add_ref();
            }
        } else {
            self.locks = self.locks.saturating_sub(1);
            if cfg.on(Mechanism::LockserverCounts) {
                self.release(cfg, a);
            }
        }
    }

    /// The HRESULT an exited process's proxies return: RPC_E_DISCONNECTED for a stub the
    /// server disconnected before it exited, RPC_S_SERVER_UNAVAILABLE otherwise
    /// (spec/assumptions.md A-EXITED).
    fn exited_reply(&self, msg: &Msg) -> Hresult {
        let disconnected = match msg {
            Msg::Call { obj } | Msg::ReleaseObject { obj } => {
                self.objects.iter().any(|o| o.id == *obj && !o.connected)
            }
            _ => self.factories_disconnected,
        };
        if disconnected {
            Hresult::RPC_E_DISCONNECTED
        } else {
            Hresult::RPC_S_SERVER_UNAVAILABLE
        }
    }

    /// The apartment that dispatches `msg`.
    fn target_apartment(&self, cfg: &Config, msg: &Msg) -> usize {
        match msg {
            Msg::Activate { clsid, .. }
            | Msg::CreateInstance { clsid }
            | Msg::LockServer { clsid, .. }
            | Msg::ReleaseFactory { clsid } => cfg.apartment_of(*clsid),
            Msg::Call { obj } | Msg::ReleaseObject { obj } => self
                .objects
                .iter()
                .find(|o| o.id == *obj)
                .map(|o| cfg.apartment_of(o.clsid))
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// Whether `msg` can be delivered now: a launch to a slot not started, anything to an
    /// exited process (which fails it), a call to a running process whose target apartment is
    /// idle in its message loop.
    pub fn can_deliver(&self, cfg: &Config, msg: &Msg) -> bool {
        match self.status {
            ProcStatus::NotStarted => matches!(msg, Msg::Launch { .. }),
            ProcStatus::Exited(_) => true,
            ProcStatus::Running => self.apt_idle(self.target_apartment(cfg, msg)),
        }
    }

    /// Delivers `msg` from `src`. Returns `None` when the call cannot be dispatched yet (see
    /// [`ServerState::can_deliver`]), otherwise the messages to send.
    pub fn on_msg(&mut self, cfg: &Config, src: Id, msg: &Msg) -> Option<Sends> {
        if !self.can_deliver(cfg, msg) {
            return None;
        }
        let reply = |hr: Hresult, obj: Option<ObjId>| vec![(src, Msg::Reply { hr, obj })];
        match self.status {
            ProcStatus::NotStarted => {
                let Msg::Launch { client } = msg else {
                    unreachable!("can_deliver admits only a launch")
                };
                self.status = ProcStatus::Running;
                self.launched_for = Some(*client);
                return Some(Vec::new());
            }
            ProcStatus::Exited(_) => {
                return Some(match msg {
                    Msg::Activate { client, clsid } => vec![(
                        src,
                        Msg::Activated {
                            client: *client,
                            clsid: *clsid,
                            hr: Hresult::RPC_S_SERVER_UNAVAILABLE,
                        },
                    )],
                    _ => reply(self.exited_reply(msg), None),
                });
            }
            ProcStatus::Running => {}
        }
        let a = self.target_apartment(cfg, msg);
        let out = match msg {
            Msg::Activate { client, clsid } => {
                let c = clsid.0 as usize;
                let hr = if self.classes[c] != ClassReg::Live || self.suspended {
                    Hresult::CO_E_SERVER_STOPPING
                } else {
                    // Marshal IClassFactory; COM adds an implicit LockServer(TRUE).
                    self.factory_proxies[c] += 1;
                    if cfg.on(Mechanism::ImplicitLockserver) {
                        self.lock_server(cfg, a, true);
                    }
                    self.served |= 1 << client;
                    self.handed_out_late |= self.shutdown.is_some();
                    Hresult::S_OK
                };
                vec![(
                    src,
                    Msg::Activated {
                        client: *client,
                        clsid: *clsid,
                        hr,
                    },
                )]
            }
            Msg::CreateInstance { clsid } => {
                if self.factories_disconnected {
                    reply(Hresult::RPC_E_DISCONNECTED, None)
                } else {
                    self.last_obj += 1;
                    let id = self.last_obj;
                    self.objects.push(Object {
                        id,
                        clsid: *clsid,
                        connected: true,
                    });
                    self.add_ref();
                    self.handed_out_late |= self.shutdown.is_some();
                    reply(Hresult::S_OK, Some(id))
                }
            }
            Msg::LockServer { lock, .. } => {
                if self.factories_disconnected {
                    reply(Hresult::RPC_E_DISCONNECTED, None)
                } else {
                    self.lock_server(cfg, a, *lock);
                    reply(Hresult::S_OK, None)
                }
            }
            Msg::Call { obj } => {
                let connected = self.objects.iter().any(|o| o.id == *obj && o.connected);
                reply(
                    if connected {
                        Hresult::S_OK
                    } else {
                        Hresult::RPC_E_DISCONNECTED
                    },
                    None,
                )
            }
            Msg::ReleaseObject { obj } => {
                let i = self.objects.iter().position(|o| o.id == *obj)?;
                let o = self.objects.remove(i);
                if o.connected {
                    self.release(cfg, a);
                    reply(Hresult::S_OK, None)
                } else {
                    reply(Hresult::RPC_E_DISCONNECTED, None)
                }
            }
            Msg::ReleaseFactory { clsid } => {
                let c = clsid.0 as usize;
                self.factory_proxies[c] = self.factory_proxies[c].saturating_sub(1);
                if self.factories_disconnected {
                    reply(Hresult::RPC_E_DISCONNECTED, None)
                } else {
                    // Releasing the proxy undoes the implicit LockServer(TRUE).
                    if cfg.on(Mechanism::ImplicitLockserver) {
                        self.lock_server(cfg, a, false);
                    }
                    reply(Hresult::S_OK, None)
                }
            }
            _ => return None,
        };
        Some(out)
    }
}
