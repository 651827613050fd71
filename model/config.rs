//! Scenarios, mechanisms and the run configuration shared by every actor.

use serde::Serialize;
use stateright::actor::Id;
use std::fmt;

/// A class identifier. The model's servers implement at most two classes, `CLSID_A` (0) and
/// `CLSID_B` (1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Clsid(pub u8);

impl fmt::Debug for Clsid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CLSID_{}", (b'A' + self.0) as char)
    }
}

/// A scenario: which server is modeled and which actors take part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Scenario {
    /// A local (EXE) server with one STA thread that registers one class, and a user who may
    /// take control of it and close it (seed 002 "Local Server", seed 003).
    LocalSta,
    /// An apartment-model local server: two STA threads, each registering a different class
    /// (seed 003, the multi-apartment races).
    LocalMta,
    /// A client process with an STA and an MTA thread using an in-process DLL server, and
    /// CoFreeUnusedLibrariesEx sweeps with the candidate list and the unload delay (seed 002
    /// "In-Process Server"; seeds README on CoFreeUnusedLibrariesEx).
    Inproc,
    /// A shared service host with services A and B, each registering its class factory in a
    /// private COM context; SERVICE_CONTROL_STOP to A disconnects the context and unloads A's
    /// DLL (seeds 000 and 001).
    Service,
}

impl Scenario {
    /// Every scenario, in the order `check` runs them.
    pub const ALL: [Scenario; 4] = [
        Scenario::LocalSta,
        Scenario::LocalMta,
        Scenario::Inproc,
        Scenario::Service,
    ];

    /// The scenario's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::LocalSta => "local-sta",
            Scenario::LocalMta => "local-mta",
            Scenario::Inproc => "inproc",
            Scenario::Service => "service",
        }
    }

    /// One-line description for `comlife list`.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::LocalSta => {
                "EXE server, one STA thread registering CLSID_A; a user may take control and close it"
            }
            Scenario::LocalMta => {
                "EXE server, two STA apartments registering CLSID_A and CLSID_B (apartment-model server)"
            }
            Scenario::Inproc => {
                "client process (STA + MTA thread) using an in-process DLL; CoFreeUnusedLibrariesEx sweeps"
            }
            Scenario::Service => {
                "shared service host: services A and B in private contexts; SERVICE_CONTROL_STOP to A"
            }
        }
    }

    /// Looks a scenario up by name.
    ///
    /// # Errors
    /// Returns a message naming the valid scenarios when `name` is unknown.
    pub fn parse(name: &str) -> Result<Scenario, String> {
        Scenario::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown scenario '{name}'; valid scenarios: {}",
                    Scenario::ALL.map(|s| s.name()).join(", ")
                )
            })
    }

    /// Number of apartment threads in each server process (1 or 2). Apartment `i` registers
    /// class `i`.
    pub fn apartments(self) -> usize {
        match self {
            Scenario::LocalMta => 2,
            _ => 1,
        }
    }

    /// Whether the scenario is about a local (EXE) server: clients, the SCM and server slots.
    pub fn is_local(self) -> bool {
        matches!(self, Scenario::LocalSta | Scenario::LocalMta)
    }

    /// Number of classes: one per apartment of a local server; one per service (A and B) in
    /// `service`; one DLL class in `inproc`. Client `i` uses class `i mod classes`.
    pub fn classes(self) -> usize {
        match self {
            Scenario::Service => 2,
            _ => self.apartments(),
        }
    }

    /// Whether an interactive user is modeled (user control, user close: seed 002).
    pub fn has_user(self) -> bool {
        matches!(self, Scenario::LocalSta)
    }
}

/// A documented mechanism that the model enables by default and that `--disable` turns off to
/// show it is necessary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Mechanism {
    /// R-002-FINAL-DECREMENT: the EXE exits on the final decrement, not on a zero condition.
    ExitOnFinalDecrement,
    /// R-002-BOTTOM-LINE, R-003-COUNT-LOCKS: LockServer(TRUE) counts toward server lifetime.
    LockserverCounts,
    /// R-002-FACTORY-REFS: class-object reference counts do not keep an EXE alive.
    FactoryRefsIgnored,
    /// R-002-USER-CONTROL: no automatic exit while the user has control.
    UserControl,
    /// R-002-USER-CLOSE: on user close with objects in service, hide or CoDisconnectObject.
    DisconnectOnUserClose,
    /// R-003-IMPLICIT-LOCK: marshaling IClassFactory takes an implicit LockServer(TRUE).
    ImplicitLockserver,
    /// R-003-PROCESS-REFCOUNT: objects and locks use CoAddRefServerProcess/CoReleaseServerProcess.
    ProcessRefcount,
    /// R-003-AUTO-SUSPEND: the process count reaching zero suspends the class objects.
    AutoSuspend,
    /// R-003-REGCLS-SUSPENDED: register with REGCLS_SUSPENDED, then one CoResumeClassObjects.
    RegclsSuspended,
    /// R-002-DLLCANUNLOADNOW: DllCanUnloadNow answers S_FALSE while objects or locks exist.
    DllcanunloadnowCountsLocks,
    /// R-002-LOCKSERVER-HOLD: a client keeping an IClassFactory beyond one scope locks it.
    ClientLocksFactory,
    /// R-SEEDS-UNLOAD-DELAY: CoFreeUnusedLibrariesEx frees an MTA DLL only on a later sweep,
    /// after its unload delay.
    UnloadDelay,
    /// R-000-PRIVATE-CONTEXT: the service registers its factory inside its own context.
    PrivateContext,
    /// R-000-DISCONNECT: on stop the service calls CoDisconnectContext before unloading.
    DisconnectContext,
    /// R-000-REVOKE-FIRST: the service revokes its factory before disconnecting.
    RevokeBeforeDisconnect,
    /// R-000-RETRY: the service calls CoDisconnectContext until it returns S_OK.
    RetryUntilSOk,
    /// R-000-LOCAL-SERVER-FLAG: the factory is registered with CLSCTX_LOCAL_SERVER.
    RegisterLocalServer,
    /// R-000-CONTEXT-SCOPE: CoDisconnectContext disconnects only the current context.
    ContextScopedDisconnect,
    /// R-000-DEADLOCK: COM returns CONTEXT_E_WOULD_DEADLOCK to an object disconnecting its own
    /// context.
    DeadlockDetection,
    /// R-001-STOP-DEMAND: the service accepts SERVICE_CONTROL_STOP even with objects active.
    StopAlwaysAccepted,
    /// R-002-FACTORY-COUNT-OPTION (opt-in remedy, off by default): the in-process server counts
    /// its class objects' references in DllCanUnloadNow (spec/findings.md F-3).
    DllCountsFactories,
}

impl Mechanism {
    /// Every mechanism, in the order `check` disables them.
    pub const ALL: [Mechanism; 21] = [
        Mechanism::ExitOnFinalDecrement,
        Mechanism::LockserverCounts,
        Mechanism::FactoryRefsIgnored,
        Mechanism::UserControl,
        Mechanism::DisconnectOnUserClose,
        Mechanism::ImplicitLockserver,
        Mechanism::ProcessRefcount,
        Mechanism::AutoSuspend,
        Mechanism::RegclsSuspended,
        Mechanism::DllcanunloadnowCountsLocks,
        Mechanism::ClientLocksFactory,
        Mechanism::UnloadDelay,
        Mechanism::PrivateContext,
        Mechanism::DisconnectContext,
        Mechanism::RevokeBeforeDisconnect,
        Mechanism::RetryUntilSOk,
        Mechanism::RegisterLocalServer,
        Mechanism::ContextScopedDisconnect,
        Mechanism::DeadlockDetection,
        Mechanism::StopAlwaysAccepted,
        Mechanism::DllCountsFactories,
    ];

    /// The mechanism's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::ExitOnFinalDecrement => "exit-on-final-decrement",
            Mechanism::LockserverCounts => "lockserver-counts",
            Mechanism::FactoryRefsIgnored => "factory-refs-ignored",
            Mechanism::UserControl => "user-control",
            Mechanism::DisconnectOnUserClose => "disconnect-on-user-close",
            Mechanism::ImplicitLockserver => "implicit-lockserver",
            Mechanism::ProcessRefcount => "process-refcount",
            Mechanism::AutoSuspend => "auto-suspend",
            Mechanism::RegclsSuspended => "regcls-suspended",
            Mechanism::DllcanunloadnowCountsLocks => "dllcanunloadnow-counts-locks",
            Mechanism::ClientLocksFactory => "client-locks-factory",
            Mechanism::UnloadDelay => "unload-delay",
            Mechanism::PrivateContext => "private-context",
            Mechanism::DisconnectContext => "disconnect-context",
            Mechanism::RevokeBeforeDisconnect => "revoke-before-disconnect",
            Mechanism::RetryUntilSOk => "retry-until-s-ok",
            Mechanism::RegisterLocalServer => "register-local-server",
            Mechanism::ContextScopedDisconnect => "context-scoped-disconnect",
            Mechanism::DeadlockDetection => "deadlock-detection",
            Mechanism::StopAlwaysAccepted => "stop-always-accepted",
            Mechanism::DllCountsFactories => "dll-counts-factories",
        }
    }

    /// The source document(s) that prescribe the mechanism.
    pub fn source(self) -> &'static str {
        match self {
            Mechanism::ExitOnFinalDecrement
            | Mechanism::FactoryRefsIgnored
            | Mechanism::UserControl
            | Mechanism::DisconnectOnUserClose => "002_04beec619a32ce82.txt (Local Server)",
            Mechanism::LockserverCounts => {
                "002_04beec619a32ce82.txt (Unloading Mechanisms); 003_71d2d71f8f3a5043.txt"
            }
            Mechanism::ImplicitLockserver
            | Mechanism::ProcessRefcount
            | Mechanism::AutoSuspend
            | Mechanism::RegclsSuspended => "003_71d2d71f8f3a5043.txt",
            Mechanism::DllcanunloadnowCountsLocks | Mechanism::ClientLocksFactory => {
                "002_04beec619a32ce82.txt (In-Process Server; Local Server, last paragraph)"
            }
            Mechanism::UnloadDelay => "README.md (CoFreeUnusedLibrariesEx)",
            Mechanism::PrivateContext => {
                "000_4cca369cf4e7b083.txt (Remarks); 001_41b7cad96933e3e3.txt"
            }
            Mechanism::DisconnectContext => {
                "000_4cca369cf4e7b083.txt (Remarks); 001_41b7cad96933e3e3.txt"
            }
            Mechanism::RevokeBeforeDisconnect => {
                "000_4cca369cf4e7b083.txt (Examples); 001_41b7cad96933e3e3.txt"
            }
            Mechanism::RetryUntilSOk => "000_4cca369cf4e7b083.txt (Remarks)",
            Mechanism::RegisterLocalServer => "000_4cca369cf4e7b083.txt (limitations)",
            Mechanism::ContextScopedDisconnect => {
                "000_4cca369cf4e7b083.txt (Remarks); 001_41b7cad96933e3e3.txt (comments)"
            }
            Mechanism::DeadlockDetection => "000_4cca369cf4e7b083.txt (Return value)",
            Mechanism::StopAlwaysAccepted => "001_41b7cad96933e3e3.txt (footnote, comments)",
            Mechanism::DllCountsFactories => {
                "002_04beec619a32ce82.txt (In-Process Server, paragraph 3)"
            }
        }
    }

    /// The rules (spec/rules.md) the mechanism implements.
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            Mechanism::ExitOnFinalDecrement => &["R-002-FINAL-DECREMENT"],
            Mechanism::LockserverCounts => &["R-002-BOTTOM-LINE", "R-003-COUNT-LOCKS"],
            Mechanism::FactoryRefsIgnored => &["R-002-FACTORY-REFS"],
            Mechanism::UserControl => &["R-002-USER-CONTROL"],
            Mechanism::DisconnectOnUserClose => &["R-002-USER-CLOSE"],
            Mechanism::ImplicitLockserver => &["R-003-IMPLICIT-LOCK"],
            Mechanism::ProcessRefcount => &["R-003-PROCESS-REFCOUNT"],
            Mechanism::AutoSuspend => &["R-003-AUTO-SUSPEND"],
            Mechanism::RegclsSuspended => &["R-003-REGCLS-SUSPENDED"],
            Mechanism::DllcanunloadnowCountsLocks => &["R-002-DLLCANUNLOADNOW"],
            Mechanism::ClientLocksFactory => &["R-002-LOCKSERVER-HOLD"],
            Mechanism::UnloadDelay => &["R-SEEDS-UNLOAD-DELAY"],
            Mechanism::PrivateContext => &["R-000-PRIVATE-CONTEXT", "R-001-PRIVATE-CONTEXT"],
            Mechanism::DisconnectContext => &["R-000-DISCONNECT", "R-001-STOP-SEQUENCE"],
            Mechanism::RevokeBeforeDisconnect => &["R-000-REVOKE-FIRST", "R-001-STOP-SEQUENCE"],
            Mechanism::RetryUntilSOk => &["R-000-RETRY"],
            Mechanism::RegisterLocalServer => &["R-000-LOCAL-SERVER-FLAG"],
            Mechanism::ContextScopedDisconnect => &["R-000-CONTEXT-SCOPE", "R-001-SHARED-HOST"],
            Mechanism::DeadlockDetection => &["R-000-DEADLOCK"],
            Mechanism::StopAlwaysAccepted => &["R-001-STOP-DEMAND"],
            Mechanism::DllCountsFactories => &["R-002-FACTORY-COUNT-OPTION"],
        }
    }

    /// Whether the mechanism is an opt-in remedy: off by default, turned on with `--enable`
    /// (every other mechanism is on by default and turned off with `--disable`).
    pub fn opt_in(self) -> bool {
        matches!(self, Mechanism::DllCountsFactories)
    }

    /// What toggling the mechanism from its default means in the model: disabling it, or for an
    /// opt-in remedy enabling it.
    pub fn when_toggled(self) -> &'static str {
        match self {
            Mechanism::ExitOnFinalDecrement => "the EXE exits whenever its idle loop sees all counts at zero, e.g. at start-up before the activation that launched it arrives",
            Mechanism::LockserverCounts => "LockServer does not take part in the lifetime count; only objects do",
            Mechanism::FactoryRefsIgnored => "the server waits for its class objects' reference counts to reach zero before it exits",
            Mechanism::UserControl => "automatic exit ignores the user-control flag",
            Mechanism::DisconnectOnUserClose => "on user close with objects in service the server exits without CoDisconnectObject (and without hiding)",
            Mechanism::ImplicitLockserver => "marshaling IClassFactory takes no implicit LockServer(TRUE); the client's own LockServer is remoted",
            Mechanism::ProcessRefcount => "objects and LockServer keep the server's own counter; on zero the server calls CoSuspendClassObjects itself, in a later step",
            Mechanism::AutoSuspend => "CoReleaseServerProcess returning 0 does not suspend the class objects",
            Mechanism::RegclsSuspended => "each class is live at the SCM as soon as it is registered; no CoResumeClassObjects",
            Mechanism::DllcanunloadnowCountsLocks => "DllCanUnloadNow counts objects only, not LockServer locks",
            Mechanism::ClientLocksFactory => "a client keeps an IClassFactory beyond one scope without LockServer(TRUE)",
            Mechanism::UnloadDelay => "an MTA DLL is freed on the first sweep whose DllCanUnloadNow returns S_OK",
            Mechanism::PrivateContext => "the service registers its factory in the default context",
            Mechanism::DisconnectContext => "on stop the service revokes and unloads without CoDisconnectContext",
            Mechanism::RevokeBeforeDisconnect => "the service disconnects first and revokes its factory after",
            Mechanism::RetryUntilSOk => "the service unloads after RPC_E_TIMEOUT",
            Mechanism::RegisterLocalServer => "the factory is registered without CLSCTX_LOCAL_SERVER, so its objects are not disconnected",
            Mechanism::ContextScopedDisconnect => "the service disconnects process-wide (every object of the host)",
            Mechanism::DeadlockDetection => "COM does not return CONTEXT_E_WOULD_DEADLOCK: a self-disconnect with INFINITE waits for ever",
            Mechanism::StopAlwaysAccepted => "the service refuses SERVICE_CONTROL_STOP while any of its objects is active",
            Mechanism::DllCountsFactories => "(enabled) DllCanUnloadNow also answers S_FALSE while a class-object pointer is held",
        }
    }

    /// Looks a mechanism up by name.
    ///
    /// # Errors
    /// Returns a message naming the valid mechanisms when `name` is unknown.
    pub fn parse(name: &str) -> Result<Mechanism, String> {
        Mechanism::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown mechanism '{name}'; valid mechanisms: {}",
                    Mechanism::ALL.map(|m| m.name()).join(", ")
                )
            })
    }

    /// Whether the mechanism means anything in `scenario` (the user-related ones need a user).
    pub fn applies_to(self, scenario: Scenario) -> bool {
        use Mechanism::*;
        match self {
            UserControl | DisconnectOnUserClose => scenario.has_user(),
            ExitOnFinalDecrement | LockserverCounts | FactoryRefsIgnored | ImplicitLockserver
            | ProcessRefcount | AutoSuspend | RegclsSuspended => scenario.is_local(),
            DllcanunloadnowCountsLocks | ClientLocksFactory | UnloadDelay | DllCountsFactories => {
                scenario == Scenario::Inproc
            }
            PrivateContext
            | DisconnectContext
            | RevokeBeforeDisconnect
            | RetryUntilSOk
            | RegisterLocalServer
            | ContextScopedDisconnect
            | DeadlockDetection
            | StopAlwaysAccepted => scenario == Scenario::Service,
        }
    }
}

/// A set of mechanisms, as a bit set (bit `i` is `Mechanism::ALL[i]`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MechanismSet(u32);

impl MechanismSet {
    /// The empty set.
    pub const EMPTY: MechanismSet = MechanismSet(0);

    /// The set holding only `m`.
    pub fn only(m: Mechanism) -> Self {
        MechanismSet::EMPTY.with(m)
    }

    /// This set plus `m`.
    pub fn with(self, m: Mechanism) -> Self {
        MechanismSet(self.0 | (1 << (m as u32)))
    }

    /// Whether `m` is in the set.
    pub fn contains(self, m: Mechanism) -> bool {
        self.0 & (1 << (m as u32)) != 0
    }

    /// The members, in [`Mechanism::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Mechanism> {
        Mechanism::ALL
            .into_iter()
            .filter(move |m| self.contains(*m))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The run's label, used in trace paths and spec/expectations.toml: `baseline` for the
    /// empty set, otherwise the members' names joined by `+`, an opt-in remedy as
    /// `with-<name>`.
    pub fn label(self) -> String {
        if self.is_empty() {
            "baseline".to_string()
        } else {
            self.iter()
                .map(|m| {
                    if m.opt_in() {
                        format!("with-{}", m.name())
                    } else {
                        m.name().to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        }
    }

    /// Parses a label made by [`MechanismSet::label`].
    ///
    /// # Errors
    /// Returns a message naming the unknown mechanism and the valid names.
    pub fn parse_label(label: &str) -> Result<MechanismSet, String> {
        if label == "baseline" {
            return Ok(MechanismSet::EMPTY);
        }
        label
            .split('+')
            .map(|part| match part.strip_prefix("with-") {
                Some(name) => Mechanism::parse(name).and_then(|m| {
                    if m.opt_in() {
                        Ok(m)
                    } else {
                        Err(format!(
                            "'{name}' is on by default; only opt-in remedies take 'with-'"
                        ))
                    }
                }),
                None => Mechanism::parse(part).and_then(|m| {
                    if m.opt_in() {
                        Err(format!("'{part}' is an opt-in remedy: write 'with-{part}'"))
                    } else {
                        Ok(m)
                    }
                }),
            })
            .collect()
    }

    /// The default-on mechanisms in the set (disabled in the run).
    pub fn disabled(self) -> impl Iterator<Item = Mechanism> {
        self.iter().filter(|m| !m.opt_in())
    }

    /// The opt-in remedies in the set (enabled in the run).
    pub fn enabled(self) -> impl Iterator<Item = Mechanism> {
        self.iter().filter(|m| m.opt_in())
    }

    /// "auto-suspend disabled", "dll-counts-factories enabled", or "every mechanism on".
    pub fn describe(self) -> String {
        let d: Vec<&str> = self.disabled().map(|m| m.name()).collect();
        let e: Vec<&str> = self.enabled().map(|m| m.name()).collect();
        let mut parts = Vec::new();
        if !d.is_empty() {
            parts.push(format!("{} disabled", d.join(", ")));
        }
        if !e.is_empty() {
            parts.push(format!("{} enabled", e.join(", ")));
        }
        if parts.is_empty() {
            "every mechanism at its default".to_string()
        } else {
            parts.join("; ")
        }
    }
}

/// The runs `check` makes for `scenario`: every mechanism at its default (the empty set,
/// `baseline`), then each mechanism that applies to the scenario toggled alone (a default-on
/// mechanism disabled, an opt-in remedy enabled).
pub fn matrix_runs(scenario: Scenario) -> Vec<MechanismSet> {
    let mut runs = vec![MechanismSet::EMPTY];
    runs.extend(
        Mechanism::ALL
            .into_iter()
            .filter(|m| m.applies_to(scenario))
            .map(MechanismSet::only),
    );
    runs
}

impl FromIterator<Mechanism> for MechanismSet {
    fn from_iter<T: IntoIterator<Item = Mechanism>>(iter: T) -> Self {
        iter.into_iter()
            .fold(MechanismSet::EMPTY, MechanismSet::with)
    }
}

impl fmt::Debug for MechanismSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|m| m.name()))
            .finish()
    }
}

/// Default number of clients (`--clients`).
pub const DEFAULT_CLIENTS: usize = 2;
/// Largest number of clients a run accepts: the observation bit set and the state space are
/// sized for it.
pub const MAX_CLIENTS: usize = 3;

/// Everything an actor needs to know about the run: scenario, toggled mechanisms and sizes.
///
/// Actor indices are laid out as clients `0..clients`, then the SCM, then one server-instance
/// slot per client (a client activates at most once, so an instance per client is enough for
/// every activation to be served; see spec/assumptions.md A-BOUNDS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// The scenario.
    pub scenario: Scenario,
    /// Mechanisms toggled from their default for this run: a default-on mechanism in the set is
    /// disabled, an opt-in remedy in the set is enabled.
    pub toggled: MechanismSet,
    /// Number of client processes, 1..=[`MAX_CLIENTS`].
    pub clients: usize,
}

impl Config {
    /// A configuration with the mechanisms in `toggled` toggled from their default.
    ///
    /// # Errors
    /// Returns a message when `clients` is outside `1..=MAX_CLIENTS` or a mechanism does not
    /// apply to the scenario.
    pub fn new(scenario: Scenario, toggled: MechanismSet, clients: usize) -> Result<Self, String> {
        if !(1..=MAX_CLIENTS).contains(&clients) {
            return Err(format!(
                "--clients {clients} is out of bounds; valid values are 1 to {MAX_CLIENTS}"
            ));
        }
        if let Some(m) = toggled.iter().find(|m| !m.applies_to(scenario)) {
            return Err(format!(
                "mechanism '{}' does not apply to scenario '{}'; valid mechanisms there: {}",
                m.name(),
                scenario.name(),
                Mechanism::ALL
                    .into_iter()
                    .filter(|m| m.applies_to(scenario))
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(Config {
            scenario,
            toggled,
            clients,
        })
    }

    /// Whether mechanism `m` is in force: a default-on mechanism unless toggled off, an opt-in
    /// remedy only when toggled on.
    pub fn on(&self, m: Mechanism) -> bool {
        m.opt_in() == self.toggled.contains(m)
    }

    /// Number of server-instance slots the SCM may start (local scenarios only).
    pub fn slots(&self) -> usize {
        if self.scenario.is_local() {
            self.clients
        } else {
            0
        }
    }

    /// Number of client actors: none in `inproc`, whose client threads live in one process
    /// actor.
    pub fn client_actors(&self) -> usize {
        if self.scenario == Scenario::Inproc {
            0
        } else {
            self.clients
        }
    }

    /// Actor id of the process of the `inproc` scenario, or of the service host of
    /// `service` (after the clients).
    pub fn host_id(&self) -> Id {
        Id::from(self.client_actors())
    }

    /// Actor id of client `i`.
    pub fn client_id(&self, i: usize) -> Id {
        Id::from(i)
    }

    /// Actor id of the SCM.
    pub fn scm_id(&self) -> Id {
        Id::from(self.clients)
    }

    /// Actor id of server-instance slot `s`.
    pub fn server_id(&self, s: usize) -> Id {
        Id::from(self.clients + 1 + s)
    }

    /// The slot of a server actor id, if `id` is one.
    pub fn slot_of(&self, id: Id) -> Option<usize> {
        let i = usize::from(id);
        (i > self.clients && i <= self.clients + self.slots()).then(|| i - self.clients - 1)
    }

    /// The client index of an actor id, if `id` is a client.
    pub fn client_of(&self, id: Id) -> Option<usize> {
        let i = usize::from(id);
        (i < self.client_actors()).then_some(i)
    }

    /// The class client `i` activates: clients are spread over the server's classes.
    pub fn class_of_client(&self, i: usize) -> Clsid {
        Clsid((i % self.scenario.classes()) as u8)
    }

    /// The apartment that registers `clsid` and hosts its objects.
    pub fn apartment_of(&self, clsid: Clsid) -> usize {
        clsid.0 as usize % self.scenario.apartments()
    }

    /// A human name for actor `id` ("client 1", "SCM", "server instance 1", "client
    /// process", "service host").
    pub fn actor_name(&self, id: Id) -> String {
        if let Some(c) = self.client_of(id) {
            format!("client {}", c + 1)
        } else if let Some(s) = self.slot_of(id) {
            format!("server instance {}", s + 1)
        } else if self.scenario == Scenario::Inproc {
            "client process".to_string()
        } else if self.scenario == Scenario::Service {
            "service host".to_string()
        } else {
            "SCM".to_string()
        }
    }
}
