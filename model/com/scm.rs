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

/// An internal step of the SCM (rpcss): under Wine a held activation's polling loop
/// ([`ScmStep::Poll`]); under Windows the choice of which held activation takes a
/// REGCLS_SINGLEUSE class object at its registration ([`ScmStep::Hand`]).
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
    /// Under Windows, the registration by instance `slot` (0-based) of a REGCLS_SINGLEUSE class
    /// for which the SCM holds several activations ([`Choosing`]; the first such class of the
    /// instance's first waiting registration) takes effect, and the SCM hands the class object
    /// to client `first`'s activation. Of the others, client `next`'s (when
    /// `Some`) launches another instance and the rest wait for it; `None` when that choice does
    /// not arise (one other, none, another instance is starting, or no slot is left). No source
    /// says which activation Windows serves first, so every choice is explored
    /// (spec/assumptions.md A-SINGLEUSE).
    Hand {
        /// The registering instance's slot.
        slot: u8,
        /// The client (0-based) whose activation gets the single-use class object.
        first: u8,
        /// The client (0-based) whose activation launches the next instance, where that is a
        /// choice.
        next: Option<u8>,
    },
}

impl ScmStep {
    /// The step as a clause with its own subject, told "in the SCM": "client 1's waiting
    /// activation polls rpcss and finds its class registered", "server instance 1's registration
    /// takes effect and its single-use class object goes to client 2's held activation".
    pub fn phrase(&self) -> String {
        match self {
            ScmStep::Poll(c) => format!(
                "client {}'s waiting activation polls rpcss and finds its class registered",
                c + 1
            ),
            ScmStep::Hand { slot, first, next } => {
                let launch = match next {
                    Some(n) => format!("; client {}'s launches another instance", n + 1),
                    None => String::new(),
                };
                format!(
                    "server instance {}'s registration takes effect and its single-use class object goes to client {}'s held activation{launch}",
                    slot + 1,
                    first + 1
                )
            }
        }
    }
}

/// A registration the SCM has received under Windows and not yet carried out: it registers a
/// REGCLS_SINGLEUSE class for which the SCM holds two or more activations, and which of them
/// takes the class object is a choice ([`ScmStep::Hand`]). Until that step the class table is
/// as if the registration were still on its way, and the registering thread waits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Choosing {
    /// The registering instance's slot.
    pub slot: u8,
    /// The apartment (0-based) whose thread waits for [`Msg::ScmDone`].
    pub apartment: u8,
    /// The classes registered.
    pub clsids: Vec<Clsid>,
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
    /// Registrations waiting for the SCM's choice of which held activation takes a single-use
    /// class object (under Windows; sorted; empty elsewhere).
    pub choosing: Vec<Choosing>,
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
    /// Under Wine, rpcss's registrations of a class behind the one it hands out, in its list's
    /// order, as `(class, slot)`: rpcss keeps every registration in one list
    /// (`irpcss_server_register` appends, programs/rpcss/rpcss_main.c, Wine 8.0) and hands out
    /// the first that matches (`irpcss_get_class_object`), which the class table names. When that
    /// one is revoked, used up (REGCLS_SINGLEUSE) or its process exits, the next takes its
    /// place (`ScmState::next_entry`). Two instances register the same class only because
    /// Wine launches per activation (`ScmState::route`). Empty under Windows.
    pub backups: Vec<(Clsid, u8)>,
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
                    ClassEntry::Registered(s) => {
                        let behind: Vec<String> = self
                            .backups
                            .iter()
                            .filter(|(x, _)| *x == clsid)
                            .map(|(_, t)| format!("{}", t + 1))
                            .collect();
                        if behind.is_empty() {
                            format!("{clsid:?}: instance {}", s + 1)
                        } else {
                            format!("{clsid:?}: instance {} (then {})", s + 1, behind.join(", "))
                        }
                    }
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
        for r in &self.choosing {
            write!(
                f,
                "; choosing which held activation takes server instance {}'s single-use class object",
                r.slot + 1
            )?;
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
            choosing: Vec::new(),
            pending: smallvec::smallvec![0; cfg.slots()],
            backups: Vec::new(),
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

    /// The class-table entry of class `c` once the registration it names is gone (revoked, used
    /// up, or its process exited): under Wine the next registration of rpcss's list, taken out
    /// of [`ScmState::backups`]; otherwise [`ScmState::unregistered_entry`].
    fn next_entry(&mut self, c: Clsid) -> ClassEntry {
        match self.backups.iter().position(|(x, _)| *x == c) {
            Some(i) => ClassEntry::Registered(self.backups.remove(i).1),
            None => self.unregistered_entry(c),
        }
    }

    /// The launch of instance `s` for an activation of class `c`: the classes the SCM now
    /// expects it to register. By default every class that no other starting instance is
    /// expected to register, registered ones included (A-SCM: a launched instance serves every
    /// class of the server, so a class revoked while it starts waits for it); under
    /// `per-clsid-launch` only `c` (A-SCM-LAUNCH). Under Wine every class of the server, whatever
    /// other instance is starting: each process registers all its classes with rpcss.
    fn expect_from(&mut self, cfg: &Config, s: u8, c: Clsid) {
        let all = ((1u16 << cfg.classes()) - 1) as u8;
        let mask = if cfg.runtime.is_wine() {
            all
        } else if cfg.on(Toggle::PerClsidLaunch) {
            1 << c.0
        } else {
            let expected = self.pending.iter().fold(0u8, |acc, m| acc | m);
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
    ///
    /// Under Wine the launch is the client's own, per activation: `rpc_get_local_class_object`
    /// (dlls/combase/rpc.c, Wine 8.0, lines 644–652) asks rpcss for a registration and, finding
    /// none on its first try, starts the server whatever launch is already under way
    /// (R-WINE-ACTIVATION; observed: harness/run case m). So a class that is only starting
    /// launches another instance; with every slot used (A-BOUNDS) the activation waits for the
    /// starting one instead.
    fn route(&mut self, cfg: &Config, a: Activation, out: &mut Sends) {
        let mut entry = self.classes[a.clsid.0 as usize];
        if cfg.runtime.is_wine()
            && matches!(entry, ClassEntry::Starting(_))
            && (self.next_slot as usize) < cfg.slots()
        {
            entry = ClassEntry::Unknown;
        }
        match entry {
            ClassEntry::Registered(s) => {
                self.forwarded.push((a, s));
                self.forwarded.sort();
                if cfg.singleuse(a.clsid) {
                    // REGCLS_SINGLEUSE: once an activation is connected to the class object it
                    // is removed from public view; the next activation launches a new instance
                    // (R-COM-SINGLEUSE; spec/assumptions.md A-SINGLEUSE: "connected" when the SCM
                    // hands the activation to the instance), or waits for one that is starting.
                    self.classes[a.clsid.0 as usize] = self.next_entry(a.clsid);
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

    /// Carries out registration `r`: its classes are registered ([`ScmState::register_classes`])
    /// and the waiting thread gets [`Msg::ScmDone`].
    fn register(&mut self, cfg: &Config, r: Choosing, out: &mut Sends) {
        out.push((
            cfg.server_id(r.slot as usize),
            Msg::ScmDone {
                apartment: r.apartment,
            },
        ));
        self.register_classes(cfg, r.slot, &r.clsids, None, out);
    }

    /// Registers `clsids` for instance `s`: the class table names it, and under Windows the
    /// activations held for those classes are routed now, `order`'s chosen clients first
    /// ([`ScmStep::Hand`]), then in client order.
    fn register_classes(
        &mut self,
        cfg: &Config,
        s: u8,
        clsids: &[Clsid],
        order: Option<(u8, Option<u8>)>,
        out: &mut Sends,
    ) {
        for c in clsids {
            let e = &mut self.classes[c.0 as usize];
            match *e {
                // rpcss appends the registration to its list; the first is still handed out.
                ClassEntry::Registered(t) if t != s && cfg.runtime.is_wine() => {
                    self.backups.push((*c, s))
                }
                _ => *e = ClassEntry::Registered(s),
            }
            self.pending[s as usize] &= !(1 << c.0);
        }
        // Under Wine the held activations stay held: each is routed at its client's next poll
        // of rpcss ([`ScmStep::Poll`]), at any later time while the class is registered.
        // Windows's SCM routes them now.
        if cfg.runtime.is_wine() {
            return;
        }
        let (mut ready, still): (Vec<_>, Vec<_>) =
            self.held.drain(..).partition(|a| clsids.contains(&a.clsid));
        self.held = still;
        if let Some((first, next)) = order {
            let rank = |a: &Activation| match a.client {
                c if c == first => 0,
                c if Some(c) == next => 1,
                _ => 2,
            };
            ready.sort_by_key(rank); // stable: the rest stay in client order
        }
        for a in ready {
            self.route(cfg, a, out);
        }
    }

    /// The REGCLS_SINGLEUSE class of registration `r` whose class object, under Windows, two or
    /// more held activations wait for: the SCM must choose which one takes it (A-SINGLEUSE).
    /// `None` under Wine, whose held activations are each routed at their own poll.
    fn choice_class(&self, cfg: &Config, r: &Choosing) -> Option<Clsid> {
        if cfg.runtime.is_wine() {
            return None;
        }
        r.clsids
            .iter()
            .copied()
            .find(|&c| cfg.singleuse(c) && self.held.iter().filter(|a| a.clsid == c).count() >= 2)
    }

    /// Carries out every registration that waits for a choice no longer there (its held
    /// activations were answered or are fewer than two), so that none waits for a step that
    /// cannot come.
    fn settle(&mut self, cfg: &Config, out: &mut Sends) {
        while let Some(i) = self
            .choosing
            .iter()
            .position(|r| self.choice_class(cfg, r).is_none())
        {
            let r = self.choosing.remove(i);
            self.register(cfg, r, out);
        }
    }

    /// Forgets instance `s`: it is expected to register nothing more, and every class-table
    /// entry that points at it is reset ([`ScmState::next_entry`]), and under Wine its
    /// registrations behind the first leave rpcss's list.
    fn forget(&mut self, s: u8) {
        self.pending[s as usize] = 0;
        self.backups.retain(|(_, x)| *x != s);
        for c in 0..self.classes.len() {
            let e = self.classes[c];
            if matches!(e, ClassEntry::Registered(x) | ClassEntry::Starting(x) if x == s) {
                self.classes[c] = self.next_entry(Clsid(c as u8));
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
                let r = Choosing {
                    slot: cfg.slot_of(src).expect("registration from a server") as u8,
                    apartment: *apartment,
                    clsids: clsids.clone(),
                };
                if self.choice_class(cfg, &r).is_some() {
                    self.choosing.push(r);
                    self.choosing.sort();
                } else {
                    self.register(cfg, r, &mut out);
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
                        self.classes[c.0 as usize] = self.next_entry(*c);
                    } else {
                        // Wine: a registration behind the first leaves rpcss's list.
                        self.backups.retain(|b| *b != (*c, s));
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
                    // Windows's SCM learns of the refusal and forgets the instance. Under Wine
                    // the refusal is the client's own call failing: rpcss learns nothing from
                    // it, and keeps what the instance registered until it revokes or exits.
                    if !cfg.runtime.is_wine() {
                        self.forget(s);
                    }
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
                // A registration still waiting for the SCM's choice dies with its process.
                self.choosing.retain(|r| r.slot != s);
                // Under Wine the held activations are answered only when no registration of
                // their class is left or expected ([`ScmState::give_up`]): with a launch per
                // activation, another instance may still be starting for them.
                let waiting: Vec<Clsid> = if cfg.runtime.is_wine() {
                    Vec::new()
                } else {
                    (0..self.classes.len())
                        .filter(|&c| self.classes[c] == ClassEntry::Starting(s))
                        .map(|c| Clsid(c as u8))
                        .collect()
                };
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
        self.settle(cfg, &mut out);
        self.give_up(cfg, &mut out);
        out
    }

    /// The SCM's internal steps enabled now: under Wine, the poll of every held activation
    /// whose class is registered ([`ScmStep::Poll`]); under Windows, whose SCM routes held
    /// activations at the registration, every choice of a waiting single-use registration
    /// ([`ScmStep::Hand`]).
    pub fn enabled(&self, cfg: &Config) -> Vec<ScmStep> {
        if !cfg.runtime.is_wine() {
            // One registration per instance at a time: its first ([`ScmStep::Hand`]).
            let firsts = self
                .choosing
                .iter()
                .enumerate()
                .filter(|(i, r)| !self.choosing[..*i].iter().any(|q| q.slot == r.slot));
            return firsts.flat_map(|(_, r)| self.hands(cfg, r)).collect();
        }
        self.held
            .iter()
            .filter(|a| matches!(self.classes[a.clsid.0 as usize], ClassEntry::Registered(_)))
            .map(|a| ScmStep::Poll(a.client))
            .collect()
    }

    /// The choices of registration `r` (one waiting in `choosing`): each client whose held
    /// activation may take the single-use class object and, where the others launch another
    /// instance, each that may launch it. That choice arises when two or more others remain,
    /// no other starting instance is expected to register the class, and a slot is free;
    /// otherwise the others wait for that instance, or all fail alike.
    fn hands(&self, cfg: &Config, r: &Choosing) -> Vec<ScmStep> {
        let Some(c) = self.choice_class(cfg, r) else {
            return Vec::new();
        };
        let bit = 1 << c.0;
        let another_starting = self
            .pending
            .iter()
            .enumerate()
            .any(|(t, m)| t != r.slot as usize && m & bit != 0);
        let slot_free = (self.next_slot as usize) < cfg.slots();
        let clients: Vec<u8> = self
            .held
            .iter()
            .filter(|a| a.clsid == c)
            .map(|a| a.client)
            .collect();
        let mut out = Vec::new();
        for &first in &clients {
            let others = clients.iter().copied().filter(|&x| x != first);
            if others.clone().count() >= 2 && !another_starting && slot_free {
                out.extend(others.map(|n| ScmStep::Hand {
                    slot: r.slot,
                    first,
                    next: Some(n),
                }));
            } else {
                out.push(ScmStep::Hand {
                    slot: r.slot,
                    first,
                    next: None,
                });
            }
        }
        out
    }

    /// Performs `step` (which must be enabled): under Wine the polling client's activation is
    /// routed to the instance whose registration rpcss holds; under Windows a waiting
    /// registration is carried out with the chosen activations first. Returns the messages to
    /// send.
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
            ScmStep::Hand { slot, first, next } => {
                let i = self
                    .choosing
                    .iter()
                    .position(|r| r.slot == slot)
                    .expect("a registration waits for the choice");
                // The chosen class is registered now; the registration's other classes, if
                // any, wait for their own choice or are registered with them
                // ([`ScmState::settle`]), and the thread gets ScmDone when the last is.
                let c = self
                    .choice_class(cfg, &self.choosing[i])
                    .expect("a registration waiting for a choice has a single-use class");
                let r = self.choosing.remove(i);
                let rest: Vec<Clsid> = r.clsids.iter().copied().filter(|&x| x != c).collect();
                if !rest.is_empty() {
                    self.choosing.push(Choosing { clsids: rest, ..r });
                    self.choosing.sort();
                } else {
                    out.push((
                        cfg.server_id(slot as usize),
                        Msg::ScmDone {
                            apartment: r.apartment,
                        },
                    ));
                }
                self.register_classes(cfg, slot, &[c], Some((first, next)), &mut out);
            }
        }
        self.settle(cfg, &mut out);
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
