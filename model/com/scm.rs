//! The Service Control Manager: the class table, launching server instances, holding and
//! forwarding activations (seed 003; seeds README on CO_E_SERVER_STOPPING and
//! CoRevokeClassObject). Registrations and revocations reach it synchronously: the server
//! thread that makes one waits for [`Msg::ScmDone`] (spec/assumptions.md A-SCM).

use crate::com::config::{Clsid, Config};
use smallvec::SmallVec;

use crate::com::hresult::Hresult;
use crate::com::msg::{ActKind, Msg};
use crate::com::toggles::Toggle;
use serde::Serialize;
use stateright::actor::Id;
use std::fmt;

/// The SCM's answer to the client of `a` when its activation fails with `hr`.
fn failed(cfg: &Config, a: &Activation, hr: Hresult) -> (Id, Msg) {
    (
        cfg.client_id(a.client as usize),
        Msg::ActivationResult {
            hr,
            server: None,
            obj: None,
        },
    )
}

/// What the SCM's class table says about one CLSID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ClassEntry {
    /// No instance is known to serve the class.
    Unknown,
    /// Instance `slot` was launched and has not yet made the class available.
    Starting(u8),
    /// Instance `slot` registered (and resumed) the class.
    Registered(u8),
}

/// An activation the SCM is holding or has forwarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Activation {
    /// Client index.
    pub client: u8,
    /// Requested class.
    pub clsid: Clsid,
    /// Class object or instance.
    pub kind: ActKind,
    /// Whether a stopping instance (suspended or revoked class objects) refused it with
    /// CO_E_SERVER_STOPPING and it was sent on.
    pub retried: bool,
}

/// An internal step of the SCM (rpcss) under Wine: a held activation's polling loop.
///
/// Wine's `rpc_get_local_class_object` (dlls/combase/rpc.c, Wine 8.0, lines 625–695) runs in
/// the client: it asks rpcss for the class's registration (`rpcss_get_class_object`, line 644),
/// launches the server on its first try only (lines 647–652), then waits one second
/// (`CoWaitForMultipleHandles(0, 1000, …)`, lines 654–664) and asks again, up to MAXTRIES = 30
/// times. A registration made during that second is seen only at the next poll, so the
/// activation is served at some later time while the class is registered, not at the
/// registration (A-TIME: the model has no seconds; spec/assumptions.md A-WINE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ScmStep {
    /// The held activation of client `0` (0-based) polls rpcss and finds its class registered:
    /// it is routed to the registering instance.
    Poll(u8),
}

impl ScmStep {
    /// The step as a clause about the SCM: "client 1's activation polls rpcss and finds its
    /// class registered".
    pub fn phrase(&self) -> String {
        match self {
            ScmStep::Poll(c) => format!(
                "client {}'s waiting activation polls rpcss and finds its class registered",
                c + 1
            ),
        }
    }
}

/// The SCM's state.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ScmState {
    /// Class table, indexed by CLSID.
    pub classes: SmallVec<[ClassEntry; 3]>,
    /// Next free server-instance slot (slots are never reused).
    pub next_slot: u8,
    /// Activations held until their class is registered and resumed.
    pub held: Vec<Activation>,
    /// Activations forwarded to an instance and not yet answered, with the instance.
    pub forwarded: Vec<(Activation, u8)>,
    /// Whether an activation refused by a stopping instance was later served by a new one.
    pub relaunch_served: bool,
    /// Per launched slot, the classes (bit `c` for CLSID `c`) the SCM still expects that
    /// instance to register: at its launch every class no other starting instance is expected to
    /// register (A-SCM: a launched instance serves every class of the server), or under
    /// `per-clsid-launch` only the class it was launched for (A-SCM-LAUNCH). A bit is cleared
    /// when the instance registers the class; all are cleared when the SCM forgets the instance
    /// (it refused an activation) or its process exits. At most one instance expects a class. A
    /// class no instance has registered shows the instance that expects it as `Starting` in the
    /// class table; one registered by another instance shows it only here (and in the trace's
    /// state text), so the ITF encoding leaves this field out.
    #[serde(skip)]
    pub pending: SmallVec<[u8; 4]>,
}

impl fmt::Debug for ScmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table: Vec<String> = self
            .classes
            .iter()
            .enumerate()
            .map(|(c, e)| {
                let clsid = Clsid(c as u8);
                match e {
                    ClassEntry::Unknown => format!("{clsid:?}: none"),
                    ClassEntry::Starting(s) => format!("{clsid:?}: starting instance {}", s + 1),
                    ClassEntry::Registered(s) => format!("{clsid:?}: instance {}", s + 1),
                }
            })
            .collect();
        write!(f, "class table: {}", table.join(", "))?;
        let name = |a: &Activation| crate::com::names::activation_name(a.client, a.clsid, a.kind);
        if !self.held.is_empty() {
            let held: Vec<String> = self.held.iter().map(name).collect();
            write!(f, "; holding {}", crate::com::names::and_list(&held))?;
        }
        if !self.forwarded.is_empty() {
            let fw: Vec<String> = self
                .forwarded
                .iter()
                .map(|(a, s)| format!("{} (to server instance {})", name(a), s + 1))
                .collect();
            write!(f, "; forwarded {}", crate::com::names::and_list(&fw))?;
        }
        Ok(())
    }
}

pub use crate::com::msg::Sends;

impl ScmState {
    /// The SCM before any activation.
    pub fn new(cfg: &Config) -> Self {
        ScmState {
            // A user-started instance 1 has registered its classes (R-WTL-USER-START).
            classes: smallvec::smallvec![
                if cfg.user_started() {
                    ClassEntry::Registered(0)
                } else {
                    ClassEntry::Unknown
                };
                cfg.classes()
            ],
            next_slot: u8::from(cfg.user_started()),
            held: Vec::new(),
            forwarded: Vec::new(),
            relaunch_served: false,
            pending: smallvec::smallvec![0; cfg.slots()],
        }
    }

    /// The class-table entry of class `c` when no instance has it registered: `Starting(s)`
    /// for the instance `s` the SCM still expects to register it (A-SCM), else `Unknown`.
    fn unregistered_entry(&self, c: Clsid) -> ClassEntry {
        match self.pending.iter().position(|m| m & (1 << c.0) != 0) {
            Some(s) => ClassEntry::Starting(s as u8),
            None => ClassEntry::Unknown,
        }
    }

    /// The launch of instance `s` for an activation of class `c`: the classes the SCM now
    /// expects it to register. By default every class that no other starting instance is
    /// expected to register, registered ones included (A-SCM: a launched instance serves every
    /// class of the server, so a class revoked while it starts waits for it); under
    /// `per-clsid-launch` only `c` (A-SCM-LAUNCH).
    fn expect_from(&mut self, cfg: &Config, s: u8, c: Clsid) {
        let mask = if cfg.on(Toggle::PerClsidLaunch) {
            1 << c.0
        } else {
            let expected = self.pending.iter().fold(0u8, |acc, m| acc | m);
            let all = ((1u16 << cfg.classes()) - 1) as u8;
            all & !expected
        };
        self.pending[s as usize] = mask;
        for (i, e) in self.classes.iter_mut().enumerate() {
            if *e == ClassEntry::Unknown && mask & (1 << i) != 0 {
                *e = ClassEntry::Starting(s);
            }
        }
    }

    /// Routes an activation: forward to the registered instance, hold it for a starting
    /// one, or launch a new instance (R-003-SCM-RELAUNCH). With every slot used it fails
    /// with CO_E_SERVER_EXEC_FAILURE.
    fn route(&mut self, cfg: &Config, a: Activation, out: &mut Sends) {
        match self.classes[a.clsid.0 as usize] {
            ClassEntry::Registered(s) => {
                self.forwarded.push((a, s));
                self.forwarded.sort();
                if cfg.singleuse(a.clsid) {
                    // REGCLS_SINGLEUSE: once an activation is connected to the class object it
                    // is removed from public view; the next activation launches a new instance
                    // (R-COM-SINGLEUSE; spec/assumptions.md A-SINGLEUSE: "connected" when the SCM
                    // hands the activation to the instance), or waits for one that is starting.
                    self.classes[a.clsid.0 as usize] = self.unregistered_entry(a.clsid);
                }
                out.push((
                    cfg.server_id(s as usize),
                    Msg::Activate {
                        client: a.client,
                        clsid: a.clsid,
                        kind: a.kind,
                    },
                ));
            }
            ClassEntry::Starting(_) => {
                self.held.push(a);
                self.held.sort();
            }
            ClassEntry::Unknown => {
                if (self.next_slot as usize) < cfg.slots() {
                    let s = self.next_slot;
                    self.next_slot += 1;
                    // The instance's LocalServer32 serves every class of the server (A-SCM;
                    // A-SCM-LAUNCH).
                    self.expect_from(cfg, s, a.clsid);
                    self.held.push(a);
                    self.held.sort();
                    out.push((cfg.server_id(s as usize), Msg::Launch { client: a.client }));
                } else {
                    out.push(failed(cfg, &a, Hresult::CO_E_SERVER_EXEC_FAILURE));
                }
            }
        }
    }

    /// Forgets instance `s`: it is expected to register nothing more, and every class-table
    /// entry that points at it is reset ([`ScmState::unregistered_entry`]).
    fn forget(&mut self, s: u8) {
        self.pending[s as usize] = 0;
        for c in 0..self.classes.len() {
            let e = self.classes[c];
            if matches!(e, ClassEntry::Registered(x) | ClassEntry::Starting(x) if x == s) {
                self.classes[c] = self.unregistered_entry(Clsid(c as u8));
            }
        }
    }

    /// Handles one message. Returns the messages to send.
    pub fn on_msg(&mut self, cfg: &Config, src: Id, msg: &Msg) -> Sends {
        let mut out = Sends::new();
        match msg {
            Msg::Activation { clsid, kind } => {
                let client = cfg.client_of(src).expect("activation from a client") as u8;
                self.route(
                    cfg,
                    Activation {
                        client,
                        clsid: *clsid,
                        kind: *kind,
                        retried: false,
                    },
                    &mut out,
                );
            }
            Msg::Register { apartment, clsids } => {
                let s = cfg.slot_of(src).expect("registration from a server") as u8;
                for c in clsids {
                    self.classes[c.0 as usize] = ClassEntry::Registered(s);
                    self.pending[s as usize] &= !(1 << c.0);
                }
                out.push((
                    src,
                    Msg::ScmDone {
                        apartment: *apartment,
                    },
                ));
                // Under Wine the held activations stay held: each is routed at its client's
                // next poll of rpcss ([`ScmStep::Poll`]), at any later time while the class
                // is registered. Windows's SCM routes them now.
                if !cfg.runtime.is_wine() {
                    let (ready, still): (Vec<_>, Vec<_>) =
                        self.held.drain(..).partition(|a| clsids.contains(&a.clsid));
                    self.held = still;
                    for a in ready {
                        self.route(cfg, a, &mut out);
                    }
                }
            }
            Msg::Revoke { apartment, clsids } => {
                // CoRevokeClassObject: the class is no longer available from this instance;
                // new activations start another one, or wait for an instance that is starting
                // and expected to register it (Microsoft's CoRevokeClassObject page; Wine's
                // revoke informs the SCM; A-SCM).
                let s = cfg.slot_of(src).expect("revocation from a server") as u8;
                for c in clsids {
                    if self.classes[c.0 as usize] == ClassEntry::Registered(s) {
                        self.classes[c.0 as usize] = self.unregistered_entry(*c);
                    }
                }
                out.push((
                    src,
                    Msg::ScmDone {
                        apartment: *apartment,
                    },
                ));
            }
            Msg::Activated {
                client,
                clsid,
                kind,
                hr,
                obj,
            } => {
                let s = cfg.slot_of(src).expect("activation result from a server") as u8;
                let i = self
                    .forwarded
                    .iter()
                    .position(|(a, x)| {
                        a.client == *client && a.clsid == *clsid && a.kind == *kind && *x == s
                    })
                    .expect("answer to a forwarded activation");
                let (a, _) = self.forwarded.remove(i);
                if hr.succeeded() || *hr == Hresult::E_ACCESSDENIED {
                    // A refused activation is the client's answer ("an Access Denied error is
                    // returned to the client", KB 170915): the instance is not stopping, and
                    // another instance would refuse it too.
                    self.relaunch_served |= a.retried && hr.succeeded();
                    out.push((
                        cfg.client_id(a.client as usize),
                        Msg::ActivationResult {
                            hr: *hr,
                            server: hr.succeeded().then_some(s),
                            obj: *obj,
                        },
                    ));
                } else {
                    self.forget(s);
                    // Under Wine no refusal is relaunched: rpcss hands out the registered
                    // class object and the client's own call fails (R-WINE-ACTIVATION;
                    // `exited-instance-fails` is pinned on there).
                    let stopping = *hr == Hresult::CO_E_SERVER_STOPPING && !cfg.runtime.is_wine();
                    if stopping || !cfg.on(Toggle::ExitedInstanceFails) {
                        // A live instance whose class objects are suspended or revoked refuses
                        // with CO_E_SERVER_STOPPING, and the SCM starts a new instance (003
                        // ¶1; Box, Essential COM ch. 6: R-003-SCM-RELAUNCH). An instance whose
                        // process exited before the activation reached it answers
                        // RPC_S_SERVER_UNAVAILABLE: that the SCM relaunches then too is
                        // A-SCM-EXITED's default outcome, not sourced.
                        self.route(
                            cfg,
                            Activation {
                                retried: a.retried || stopping,
                                ..a
                            },
                            &mut out,
                        );
                    } else {
                        // A-SCM-EXITED's other outcome (`exited-instance-fails`): the failure
                        // goes back to the client.
                        out.push(failed(cfg, &a, *hr));
                    }
                }
            }
            Msg::Exited => {
                // The process of an instance ended before it registered classes that
                // activations were held for: those clients get CO_E_SERVER_EXEC_FAILURE, as when
                // a launched server "failed to start in time and register the proper class
                // factory" (Adi Oltean, Microsoft, "When CoCreateInstance returns 0x80080005";
                // R-SEEDS-EXEC-FAILURE). The SCM does not launch another instance for them.
                let s = cfg.slot_of(src).expect("exit of a server") as u8;
                let waiting: Vec<Clsid> = (0..self.classes.len())
                    .filter(|&c| self.classes[c] == ClassEntry::Starting(s))
                    .map(|c| Clsid(c as u8))
                    .collect();
                self.forget(s);
                let (orphans, still): (Vec<_>, Vec<_>) = self
                    .held
                    .drain(..)
                    .partition(|a| waiting.contains(&a.clsid));
                self.held = still;
                for a in orphans {
                    out.push(failed(cfg, &a, cfg.runtime.failed_launch_hr()));
                }
                // Under Wine, activations held for a class the instance registered and never
                // revoked (TerminateProcess) are answered too ([`ScmState::give_up`]).
            }
            _ => {}
        }
        self.give_up(cfg, &mut out);
        out
    }

    /// The SCM's internal steps enabled now: under Wine, the poll of every held activation
    /// whose class is registered ([`ScmStep::Poll`]); none under Windows, whose SCM routes
    /// held activations at the registration.
    pub fn enabled(&self, cfg: &Config) -> Vec<ScmStep> {
        if !cfg.runtime.is_wine() {
            return Vec::new();
        }
        self.held
            .iter()
            .filter(|a| matches!(self.classes[a.clsid.0 as usize], ClassEntry::Registered(_)))
            .map(|a| ScmStep::Poll(a.client))
            .collect()
    }

    /// Performs `step` (which must be enabled): the polling client's activation is routed to
    /// the instance whose registration rpcss holds. Returns the messages to send.
    pub fn step(&mut self, cfg: &Config, step: ScmStep) -> Sends {
        let mut out = Sends::new();
        match step {
            ScmStep::Poll(client) => {
                let i = self
                    .held
                    .iter()
                    .position(|a| a.client == client)
                    .expect("a held activation polls");
                let a = self.held.remove(i);
                self.route(cfg, a, &mut out);
            }
        }
        self.give_up(cfg, &mut out);
        out
    }

    /// Under Wine, a held activation whose class is no longer registered nor starting (the
    /// launched process exited, the server revoked the class, or another activation took its
    /// REGCLS_SINGLEUSE class object) is answered E_NOINTERFACE: the client's polling loop
    /// returns it when the process it launched ends during its first second
    /// (`rpc_get_local_class_object`, rpc.c lines 658–663, "Server for %s failed to start"),
    /// or after its 30 tries find no registration (lines 669–670). That no other instance
    /// registers the class within those 30 s is spec/assumptions.md A-WINE's (R-WINE-ACTIVATION;
    /// observed: tests/conform/wine-launcher-polls-late.log, wine-singleuse-taken.log). Under
    /// Windows held activations wait only for a starting instance, and `Msg::Exited` answers
    /// them.
    fn give_up(&mut self, cfg: &Config, out: &mut Sends) {
        if !cfg.runtime.is_wine() {
            return;
        }
        let classes = &self.classes;
        let (gone, still): (Vec<_>, Vec<_>) = self
            .held
            .drain(..)
            .partition(|a| classes[a.clsid.0 as usize] == ClassEntry::Unknown);
        self.held = still;
        for a in gone {
            out.push(failed(cfg, &a, cfg.runtime.failed_launch_hr()));
        }
    }
}
