//! Scenarios, mechanisms and the run configuration shared by every actor.

use serde::Serialize;
use stateright::actor::Id;
use std::fmt;

/// A class identifier: `CLSID_A` (0), `CLSID_B` (1), `CLSID_C` (2). A server implements at most
/// [`MAX_CLASSES`] classes.
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
    /// An ATL 7.0–9.0 EXE server, apartment build: one STA main thread (spec/frameworks.md §1).
    Atl9Sta,
    /// An ATL 7.0–9.0 EXE server, free-threaded build (`_ATL_FREE_THREADED`): the main thread
    /// in the MTA, calls on RPC threads.
    Atl9Mta,
    /// An ATL 10.0–14.32 EXE server, apartment build.
    Atl14Sta,
    /// An ATL 10.0–14.32 EXE server, free-threaded build.
    Atl14Mta,
    /// A WTL 7.5–10.0 `CServerAppModule` EXE server (apartment), as the AppWizard generates it.
    WtlSta,
    /// An MFC 7.0–14.x EXE server (apartment): `COleObjectFactory` class objects,
    /// `AfxOleLockApp` objects.
    MfcSta,
}

impl Scenario {
    /// Every scenario, in the order `check` runs them.
    pub const ALL: [Scenario; 10] = [
        Scenario::LocalSta,
        Scenario::LocalMta,
        Scenario::Inproc,
        Scenario::Service,
        Scenario::Atl9Sta,
        Scenario::Atl9Mta,
        Scenario::Atl14Sta,
        Scenario::Atl14Mta,
        Scenario::WtlSta,
        Scenario::MfcSta,
    ];

    /// The scenario's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::LocalSta => "local-sta",
            Scenario::LocalMta => "local-mta",
            Scenario::Inproc => "inproc",
            Scenario::Service => "service",
            Scenario::Atl9Sta => "atl9-sta",
            Scenario::Atl9Mta => "atl9-mta",
            Scenario::Atl14Sta => "atl14-sta",
            Scenario::Atl14Mta => "atl14-mta",
            Scenario::WtlSta => "wtl-sta",
            Scenario::MfcSta => "mfc-sta",
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
                "client process (an STA thread, two MTA threads) using a Both-threaded in-process DLL; per-apartment CoFreeUnusedLibrariesEx sweeps"
            }
            Scenario::Service => {
                "shared service host: services A and B in private contexts, B using an object of A; SERVICE_CONTROL_STOP to A"
            }
            Scenario::Atl9Sta => {
                "ATL 7.0–9.0 CAtlExeModuleT EXE, apartment build: module lock count, timed monitor thread, PostThreadMessage(WM_QUIT)"
            }
            Scenario::Atl9Mta => {
                "ATL 7.0–9.0 CAtlExeModuleT EXE, free-threaded build: module lock count, timed monitor with CoSuspendClassObjects and re-check"
            }
            Scenario::Atl14Sta => {
                "ATL 10.0–14.32 CAtlExeModuleT EXE, apartment build: Lock = CoAddRefServerProcess, monitor posts WM_QUIT"
            }
            Scenario::Atl14Mta => {
                "ATL 10.0–14.32 CAtlExeModuleT EXE, free-threaded build: Lock = CoAddRefServerProcess, calls on RPC threads"
            }
            Scenario::WtlSta => {
                "WTL 7.5–10.0 CServerAppModule EXE (AppWizard code): module lock count, timed monitor, REGCLS_SUSPENDED"
            }
            Scenario::MfcSta => {
                "MFC 7.0–14.x EXE: AfxOleLockApp count, main window destroyed at zero, PostQuitMessage"
            }
        }
    }

    /// The sources the scenario's server is read from and, for a framework, the versions it
    /// covers (`comlife list`, README).
    pub fn source(self) -> &'static str {
        match self {
            Scenario::LocalSta | Scenario::LocalMta => {
                "002 (Local Server), 003; checked facts in the source-set README"
            }
            Scenario::Inproc => {
                "002 (In-Process Server); CoFreeUnusedLibrariesEx (Microsoft's page, Wine's apartment.c)"
            }
            Scenario::Service => "000, 001",
            Scenario::Atl9Sta | Scenario::Atl9Mta => {
                "ATL 7.0, 7.1, 9.0 atlbase.h CAtlExeModuleT (8.0 not read; the ATL 3.0 wizard's CExeModule has the same lifetime code): spec/frameworks.md §1–2"
            }
            Scenario::Atl14Sta | Scenario::Atl14Mta => {
                "ATL 10.0, 11.0, 12.0, 14.00, 14.16, 14.24, 14.29, 14.32 atlbase.h CAtlExeModuleT: spec/frameworks.md §1"
            }
            Scenario::WtlSta => {
                "WTL 7.5, 8.0, 9.0, 9.1, 10.0 atlapp.h CServerAppModule and the WTL 10 AppWizard's WinMain: spec/frameworks.md §3"
            }
            Scenario::MfcSta => {
                "MFC 7.0, 9.0–14.32 olelock.cpp, olefact.cpp, wincore.cpp, appcore.cpp: spec/frameworks.md §5"
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
                    "unknown scenario '{}'; valid scenarios: {}",
                    quote_prefix(name),
                    Scenario::ALL.map(|s| s.name()).join(", ")
                )
            })
    }

    /// Number of apartment threads of the scenario's own layout (1 or 2; apartment `i` registers
    /// class `i`). Code that runs the model reads [`Config::apartments`].
    pub fn apartments(self) -> usize {
        match self {
            Scenario::LocalMta => 2,
            _ => 1,
        }
    }

    /// Whether the scenario is about a local (EXE) server: clients, the SCM and server slots.
    pub fn is_local(self) -> bool {
        !matches!(self, Scenario::Inproc | Scenario::Service)
    }

    /// The framework whose lifetime code the scenario's server runs; `None` for the textbook
    /// servers of seeds 002 and 003 (`local-sta`, `local-mta`) and the DLL scenarios.
    pub fn framework(self) -> Option<crate::com::framework::Framework> {
        crate::com::framework::Framework::of(self)
    }

    /// Whether the server is a free-threaded build: its main thread is in the MTA and incoming
    /// calls run on RPC threads, concurrently and without a message queue (003:
    /// free-threaded servers get activations "as soon as the first class object is
    /// registered").
    pub fn free_threaded(self) -> bool {
        matches!(self, Scenario::Atl9Mta | Scenario::Atl14Mta)
    }

    /// Number of classes of the scenario's own layout ([`Layout::of`]): one per apartment of a
    /// local server; one per service (A and B) in `service`; one DLL class in `inproc`. A
    /// server description may choose another layout ([`Config::with_layout`]); code that runs
    /// the model reads [`Config::classes`].
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

/// The five kinds of toggle: a documented mechanism (on by default), an opt-in remedy for a
/// finding, a named variant where the sources disagree, a condition of the environment, or a
/// configuration the server's author chooses (the last four off by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Kind {
    /// A mechanism the source documents prescribe: on by default, `--disable` turns it off to
    /// show that it is necessary.
    Mechanism,
    /// An opt-in remedy for a finding (spec/findings.md): off by default, `--enable` turns it
    /// on.
    Remedy,
    /// A named variant: the behaviour of the source that the default does not follow where two
    /// sources disagree (spec/rules.md says which verdicts depend on it). Off by default,
    /// `--enable` turns it on.
    Variant,
    /// A condition of the environment that a source describes and the default model leaves
    /// out (a client's permissions, a client's death): off by default, `--enable` turns it on to show what the
    /// server's lifetime code does under it.
    Condition,
    /// A configuration the server's author chooses that a source describes (a registration
    /// flag): off by default, `--enable` turns it on.
    Configuration,
}

impl Kind {
    /// "mechanism", "remedy", "variant", "condition" or "configuration".
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mechanism => "mechanism",
            Kind::Remedy => "remedy",
            Kind::Variant => "variant",
            Kind::Condition => "condition",
            Kind::Configuration => "configuration",
        }
    }
}

/// A toggle of the model, of one of the five kinds of [`Kind`]. Its
/// properties are in [`TOGGLES`], one row per variant, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Toggle {
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
    /// R-SEEDS-UNLOAD-DELAY: CoFreeUnusedLibrariesEx frees a Both-threaded DLL only on a later
    /// sweep, after its unload delay.
    UnloadDelay,
    /// R-SEEDS-PER-APARTMENT: every apartment that loaded the DLL calls CoFreeUnusedLibrariesEx.
    EveryApartmentSweeps,
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
    /// R-002-FACTORY-COUNT-OPTION (remedy for F-3): the in-process server counts its class
    /// objects' references in DllCanUnloadNow.
    DllCountsFactories,
    /// R-003-RECHECK (remedy for F-4): after revoking, the server re-checks its count and stays
    /// in its message loops until every instance is released (003's "classical approach").
    RecheckAfterRevoke,
    /// R-003-SIMPLEST-WAY applied to the user's document (remedy for F-5): the document the user
    /// opens holds a CoAddRefServerProcess reference while it is open.
    UserDocumentCounts,
    /// Variant of R-003-AUTO-SUSPEND (A-ATOMIC): the COM runtime checks suspension and takes the
    /// implicit LockServer / CoAddRefServerProcess of an activation in one atomic step.
    AtomicActivation,
    /// Variant of R-SEEDS-UNLOAD-DELAY: Wine's candidate list (DllCanUnloadNow asked again on
    /// every sweep, the mark cleared on S_FALSE, no revival on use).
    WineCandidateList,
    /// Condition of R-SEEDS-KB170915: client 1 has launch permission but no access permission,
    /// so COM launches the server for it and then refuses its activation with E_ACCESSDENIED.
    AccessDeniedClient,
    /// Configuration of R-COM-SINGLEUSE: every class is registered with REGCLS_SINGLEUSE.
    RegclsSingleuse,
    /// Condition of R-COM-PING-GC: a client process may die while it holds references.
    ClientDeath,
    /// R-COM-PING-GC: COM's ping-based garbage collection releases a dead client's references
    /// after its time-out. Means something only under `client-death`.
    PingGarbageCollection,
    /// R-ATL70-MONITOR, R-ATL10-UNLOCK: ATL's `m_bDelayShutdown` (default true): `Unlock`
    /// reaching zero signals the monitor thread instead of posting WM_QUIT itself.
    DelayedShutdown,
    /// R-ATL70-MONITOR, R-WTL-MONITOR: the monitor thread of ATL 7.0–9.0 and WTL waits until
    /// `m_dwTimeOut` passes without a new signal and re-reads the count before posting WM_QUIT.
    MonitorRecheck,
    /// R-ATL70-MONITOR (free-threaded build): the monitor calls CoSuspendClassObjects and
    /// re-reads the count before posting WM_QUIT.
    SuspendBeforeQuit,
    /// Variant of A-NETWORK (R-COM-STA-QUEUE): the textbook server's STAs dispatch waiting calls
    /// in any order instead of from a FIFO message queue in arrival order (the default, as COM
    /// posts calls to the apartment's hidden window; framework servers always queue).
    UnorderedDispatch,
    /// R-003-PROCESS-REFCOUNT applied to a framework's module (remedy for F-7, F-8, F-9): the
    /// module's `Lock`/`Unlock` call CoAddRefServerProcess/CoReleaseServerProcess, as ATL 10.0
    /// made them.
    ProcessCountLock,
    /// Variant of A-SCM-EXITED (unsourced): an activation the SCM forwarded to a registered
    /// instance whose process exited before it arrived comes back RPC_S_SERVER_UNAVAILABLE, and
    /// the SCM returns that failure to the client instead of launching a new instance.
    ExitedInstanceFails,
    /// Box's remedy, as he wrote it (Essential COM ch. 6; MSJ January 1997; remedy for F-4,
    /// F-8): once `Unlock` has seen the count reach zero it sets a shutdown flag (his
    /// `g_heventShutdown`), and `IClassFactory::CreateInstance` returns CO_E_SERVER_STOPPING
    /// while the flag is set. The flag is set one step after the decrement.
    StoppingFlag,
    /// Box's remedy under one server lock (remedy for F-4, F-8): the decrement to zero (or the
    /// monitor's decision) sets the flag under the lock that `CreateInstance` holds across its
    /// check of the flag and the new object's `Lock`.
    StoppingFlagLocked,
    /// Condition of R-MFC-LOCKAPP (b): a modal dialog (a dialog's DoModal, AfxMessageBox)
    /// disables the main window for a while, during which the STA's modal loop keeps
    /// dispatching COM calls.
    ModalDialog,
    /// Remedy for F-10: the code that shows the modal dialog saves `AfxOleGetUserCtrl()` and,
    /// when the dialog returns with it saved FALSE, restores it with `AfxOleSetUserCtrl(FALSE)`
    /// and calls `AfxOleOnReleaseAllObjects()` if `AfxOleCanExitApp()` (the count is zero).
    RecheckAfterModal,
    /// Condition of R-MFC-CLOSE: once the instance (launched for a client) has served it, the
    /// user opens a document (`COleLinkingDoc::OnNewDocument` calls `AfxOleSetUserCtrl(TRUE)`;
    /// the document's constructor calls `AfxOleLockApp`) and later closes the main frame
    /// (`CFrameWnd::OnClose`).
    UserTakesControl,
    /// R-MFC-CLOSE: `CFrameWnd::OnClose` checks `AfxOleCanExitApp()` once the documents are
    /// closed and, with objects outstanding, hides and serves on instead of destroying the
    /// main window.
    CloseChecksObjects,
    /// Condition of R-WTL-USER-START: instance 1 is started by the user (no `/Embedding`): the
    /// AppWizard's WinMain starts the monitor and registers the class objects as for a client,
    /// then `Run()` opens the main window, and the user closes it later.
    UserStarted,
    /// R-WTL-USER-START: the AppWizard's `Run()` of a COM server calls `_Module.Lock()` once
    /// the main window exists (root.cpp), and the window's `OnDestroy` calls
    /// `_Module.Unlock()` (Frame.h): while the user's window is open the count is not zero.
    FrameLocksModule,
}

/// One row of the mechanism table: everything the CLI, the expectations file, the traces and
/// the generated tables say about a toggle.
#[derive(Debug)]
pub struct ToggleDef {
    /// The toggle this row describes.
    pub toggle: Toggle,
    /// Command-line name (`--disable NAME` / `--enable NAME`).
    pub name: &'static str,
    /// Mechanism (on by default), remedy or variant (off by default).
    pub kind: Kind,
    /// Rule IDs (spec/rules.md) it implements.
    pub rules: &'static [&'static str],
    /// Source document(s) and section.
    pub source: &'static str,
    /// What toggling it from its default means in the model.
    pub when_toggled: &'static str,
    /// The scenarios in which it means anything.
    pub applies: fn(Scenario) -> bool,
    /// Whether the matrix also runs every mechanism disabled on top of this remedy or variant
    /// ([`Toggle::is_reference`]).
    pub reference: bool,
    /// The condition it needs to mean anything ([`Toggle::needs`]).
    pub needs: Option<Toggle>,
    /// Whether the matrix runs this condition under each configuration as well
    /// ([`Toggle::under_configurations`]).
    pub under_configurations: bool,
    /// The assumption a variant re-checks, expecting no verdict to change
    /// ([`Toggle::rechecks_assumption`]).
    pub rechecks: Option<&'static str>,
}

impl ToggleDef {
    /// The defaults of the matrix columns of a row: no reference, no condition needed, not run
    /// under configurations, re-checks nothing. Rows spell out the rest.
    const PLAIN: ToggleDef = ToggleDef {
        toggle: Toggle::ExitOnFinalDecrement,
        name: "",
        kind: Kind::Mechanism,
        rules: &[],
        source: "",
        when_toggled: "",
        applies: never,
        reference: false,
        needs: None,
        under_configurations: false,
        rechecks: None,
    };
}

fn never(_: Scenario) -> bool {
    false
}

fn local(s: Scenario) -> bool {
    s.is_local()
}
fn multi_apartment(s: Scenario) -> bool {
    s.is_local() && s.apartments() > 1
}
/// A local server of seeds 002 and 003 (`local-sta`, `local-mta`), not a framework's.
fn textbook_local(s: Scenario) -> bool {
    s.is_local() && s.framework().is_none()
}
fn textbook_or_atl14(s: Scenario) -> bool {
    textbook_local(s) || matches!(s, Scenario::Atl14Sta | Scenario::Atl14Mta)
}
fn registers_suspended(s: Scenario) -> bool {
    textbook_or_atl14(s) || matches!(s, Scenario::Atl9Mta | Scenario::WtlSta)
}
fn split_activation(s: Scenario) -> bool {
    multi_apartment(s) || s.free_threaded()
}
fn atl(s: Scenario) -> bool {
    matches!(
        s,
        Scenario::Atl9Sta | Scenario::Atl9Mta | Scenario::Atl14Sta | Scenario::Atl14Mta
    )
}
fn timed_monitor(s: Scenario) -> bool {
    matches!(s, Scenario::Atl9Sta | Scenario::Atl9Mta | Scenario::WtlSta)
}
fn atl9_free_threaded(s: Scenario) -> bool {
    s == Scenario::Atl9Mta
}
fn module_count(s: Scenario) -> bool {
    matches!(
        s,
        Scenario::Atl9Sta | Scenario::Atl9Mta | Scenario::WtlSta | Scenario::MfcSta
    )
}
/// A local server whose own code chooses its REGCLS flags: the textbook servers, and MFC
/// (`COleObjectFactory`'s bMultiInstance). ATL and WTL register REGCLS_MULTIPLEUSE in fixed
/// framework code (`PreMessageLoop`, `RegisterClassObjects`): single-use there would be the
/// developer's override of the framework, not the framework ([`Toggle::refusal`]).
fn own_registration(s: Scenario) -> bool {
    textbook_local(s) || s == Scenario::MfcSta
}
fn mfc(s: Scenario) -> bool {
    s == Scenario::MfcSta
}
fn wtl(s: Scenario) -> bool {
    s == Scenario::WtlSta
}
fn with_user(s: Scenario) -> bool {
    s.has_user()
}
fn inproc(s: Scenario) -> bool {
    s == Scenario::Inproc
}
fn service(s: Scenario) -> bool {
    s == Scenario::Service
}

const S002_LOCAL: &str = "002_04beec619a32ce82.txt (Local Server)";
const S002_INPROC: &str =
    "002_04beec619a32ce82.txt (In-Process Server; Local Server, last paragraph)";
const S003: &str = "003_71d2d71f8f3a5043.txt";
const SEEDS_FREE: &str = "checked facts (CoFreeUnusedLibrariesEx: Microsoft's page, Wine)";

/// Every toggle, in [`Toggle`] order (the order `check` runs them).
pub const TOGGLES: &[ToggleDef] = &[
    ToggleDef { toggle: Toggle::ExitOnFinalDecrement, name: "exit-on-final-decrement", kind: Kind::Mechanism,
        rules: &["R-002-FINAL-DECREMENT"], source: S002_LOCAL, applies: textbook_local,
        when_toggled: "the EXE exits whenever its idle loop sees all counts at zero, e.g. at start-up before the activation that launched it arrives",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::LockserverCounts, name: "lockserver-counts", kind: Kind::Mechanism,
        rules: &["R-002-BOTTOM-LINE", "R-003-COUNT-LOCKS"], source: "002_04beec619a32ce82.txt (Unloading Mechanisms); 003_71d2d71f8f3a5043.txt", applies: local,
        when_toggled: "LockServer does not take part in the lifetime count; only objects do",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::FactoryRefsIgnored, name: "factory-refs-ignored", kind: Kind::Mechanism,
        rules: &["R-002-FACTORY-REFS"], source: S002_LOCAL, applies: textbook_local,
        when_toggled: "the server waits for its class objects' reference counts to reach zero before it exits",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::UserControl, name: "user-control", kind: Kind::Mechanism,
        rules: &["R-002-USER-CONTROL"], source: S002_LOCAL, applies: with_user,
        when_toggled: "automatic exit ignores the user-control flag",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::DisconnectOnUserClose, name: "disconnect-on-user-close", kind: Kind::Mechanism,
        rules: &["R-002-USER-CLOSE"], source: S002_LOCAL, applies: with_user,
        when_toggled: "on user close with objects in service the server exits without CoDisconnectObject (and without hiding)",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::ImplicitLockserver, name: "implicit-lockserver", kind: Kind::Mechanism,
        rules: &["R-003-IMPLICIT-LOCK"], source: S003, applies: local,
        when_toggled: "marshaling IClassFactory takes no implicit LockServer(TRUE); the client's own LockServer is remoted",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::ProcessRefcount, name: "process-refcount", kind: Kind::Mechanism,
        rules: &["R-003-PROCESS-REFCOUNT"], source: S003, applies: textbook_or_atl14,
        when_toggled: "objects and LockServer keep the server's own counter; on zero the server calls CoSuspendClassObjects itself, in a later step",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::AutoSuspend, name: "auto-suspend", kind: Kind::Mechanism,
        rules: &["R-003-AUTO-SUSPEND"], source: S003, applies: textbook_or_atl14,
        when_toggled: "CoReleaseServerProcess returning 0 does not suspend the class objects",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::RegclsSuspended, name: "regcls-suspended", kind: Kind::Mechanism,
        rules: &["R-003-REGCLS-SUSPENDED"], source: S003, applies: registers_suspended,
        when_toggled: "each class is registered with the SCM as soon as its apartment calls CoRegisterClassObject; no CoResumeClassObjects",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::DllcanunloadnowCountsLocks, name: "dllcanunloadnow-counts-locks", kind: Kind::Mechanism,
        rules: &["R-002-DLLCANUNLOADNOW"], source: S002_INPROC, applies: inproc,
        when_toggled: "DllCanUnloadNow counts objects only, not LockServer locks",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::ClientLocksFactory, name: "client-locks-factory", kind: Kind::Mechanism,
        rules: &["R-002-LOCKSERVER-HOLD"], source: S002_INPROC, applies: inproc,
        when_toggled: "a client keeps an IClassFactory beyond one scope without LockServer(TRUE)",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::UnloadDelay, name: "unload-delay", kind: Kind::Mechanism,
        rules: &["R-SEEDS-UNLOAD-DELAY"], source: SEEDS_FREE, applies: inproc,
        when_toggled: "the Both-threaded DLL is treated as delay 0: freed on the first sweep whose DllCanUnloadNow returns S_OK",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::EveryApartmentSweeps, name: "every-apartment-sweeps", kind: Kind::Mechanism,
        rules: &["R-SEEDS-PER-APARTMENT"], source: SEEDS_FREE, applies: inproc,
        when_toggled: "only an MTA thread calls CoFreeUnusedLibrariesEx; the STA thread never does",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::PrivateContext, name: "private-context", kind: Kind::Mechanism,
        rules: &["R-000-PRIVATE-CONTEXT", "R-001-PRIVATE-CONTEXT"], source: "000_4cca369cf4e7b083.txt (Remarks); 001_41b7cad96933e3e3.txt", applies: service,
        when_toggled: "the service registers its factory in the default context",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::DisconnectContext, name: "disconnect-context", kind: Kind::Mechanism,
        rules: &["R-000-DISCONNECT", "R-001-STOP-SEQUENCE"], source: "000_4cca369cf4e7b083.txt (Remarks); 001_41b7cad96933e3e3.txt", applies: service,
        when_toggled: "on stop the service revokes and unloads without CoDisconnectContext",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::RevokeBeforeDisconnect, name: "revoke-before-disconnect", kind: Kind::Mechanism,
        rules: &["R-000-REVOKE-FIRST", "R-001-STOP-SEQUENCE"], source: "000_4cca369cf4e7b083.txt (Examples); 001_41b7cad96933e3e3.txt", applies: service,
        when_toggled: "the service disconnects first and revokes its factory after",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::RetryUntilSOk, name: "retry-until-s-ok", kind: Kind::Mechanism,
        rules: &["R-000-RETRY"], source: "000_4cca369cf4e7b083.txt (Remarks)", applies: service,
        when_toggled: "the service unloads after RPC_E_TIMEOUT",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::RegisterLocalServer, name: "register-local-server", kind: Kind::Mechanism,
        rules: &["R-000-LOCAL-SERVER-FLAG"], source: "000_4cca369cf4e7b083.txt (limitations)", applies: service,
        when_toggled: "service A registers its factory with CLSCTX_INPROC_SERVER only: other processes cannot activate it, and service B's in-process pointer to its object is not disconnected",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::ContextScopedDisconnect, name: "context-scoped-disconnect", kind: Kind::Mechanism,
        rules: &["R-000-CONTEXT-SCOPE", "R-001-SHARED-HOST"], source: "000_4cca369cf4e7b083.txt (Remarks); 001_41b7cad96933e3e3.txt (comments)", applies: service,
        when_toggled: "the service disconnects process-wide (every object of the host)",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::DeadlockDetection, name: "deadlock-detection", kind: Kind::Mechanism,
        rules: &["R-000-DEADLOCK"], source: "000_4cca369cf4e7b083.txt (Return value)", applies: service,
        when_toggled: "COM does not return CONTEXT_E_WOULD_DEADLOCK: a self-disconnect with INFINITE waits for ever",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::StopAlwaysAccepted, name: "stop-always-accepted", kind: Kind::Mechanism,
        rules: &["R-001-STOP-DEMAND"], source: "001_41b7cad96933e3e3.txt (footnote, comments)", applies: service,
        when_toggled: "the service refuses SERVICE_CONTROL_STOP while any of its objects is active",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::DllCountsFactories, name: "dll-counts-factories", kind: Kind::Remedy,
        rules: &["R-002-FACTORY-COUNT-OPTION"], source: "002_04beec619a32ce82.txt (In-Process Server, paragraph 3)", applies: inproc,
        when_toggled: "(remedy for F-3) DllCanUnloadNow also answers S_FALSE while a class-object pointer is held",
        reference: true, ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::RecheckAfterRevoke, name: "recheck-after-revoke", kind: Kind::Remedy,
        rules: &["R-003-RECHECK"], source: "003_71d2d71f8f3a5043.txt (paragraph \"However, in an apartment model server\")", applies: multi_apartment,
        when_toggled: "(remedy for F-4) after deciding to shut down, the apartments revoke their class objects but keep dispatching; the process quits only when its count is zero again",
        reference: true, ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::UserDocumentCounts, name: "user-document-counts", kind: Kind::Remedy,
        rules: &["R-003-SIMPLEST-WAY", "R-002-USER-CONTROL"], source: "003_71d2d71f8f3a5043.txt (paragraph \"The simplest way\"); 002_04beec619a32ce82.txt (Local Server, user control)", applies: with_user,
        when_toggled: "(remedy for F-5) the user's document calls CoAddRefServerProcess when opened and CoReleaseServerProcess when closed, like any object instance",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::AtomicActivation, name: "atomic-activation", kind: Kind::Variant,
        rules: &["R-003-MULTI-APARTMENT", "R-003-AUTO-SUSPEND"], source: "003_71d2d71f8f3a5043.txt (the helpers' stated purpose); no source documents the runtime's locking", applies: split_activation,
        when_toggled: "(counterfactual variant: no source says COM does this) the suspended check and the activation's CoAddRefServerProcess are one atomic step, as if COM held one lock across them",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::WineCandidateList, name: "wine-candidate-list", kind: Kind::Variant,
        rules: &["R-SEEDS-UNLOAD-DELAY"], source: "Wine dlls/combase/apartment.c (apartment_freeunusedlibraries)", applies: inproc,
        when_toggled: "(variant) a sweep asks a candidate DllCanUnloadNow again, unmarks it on S_FALSE, frees it on S_OK after the delay; use through COM does not revive it",
        reference: true, ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::AccessDeniedClient, name: "access-denied-client", kind: Kind::Condition,
        rules: &["R-SEEDS-KB170915"], source: "Microsoft KB 170915, \"Incorrect Configuration Can Orphan COM Servers\" (checked facts)", applies: local,
        when_toggled: "(condition) client 1 has launch but not access permission: COM launches the server for its activation, the server registers, and COM's security check in the server process refuses the activation with E_ACCESSDENIED before it reaches the server's code",
        under_configurations: true, ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::RegclsSingleuse, name: "regcls-singleuse", kind: Kind::Configuration,
        rules: &["R-COM-SINGLEUSE"], source: "Microsoft, REGCLS enumeration (REGCLS_SINGLEUSE) and CoRevokeClassObject (spec/frameworks.md)", applies: own_registration,
        when_toggled: "(configuration) every class is registered with REGCLS_SINGLEUSE: once the SCM has handed an activation to an instance's class object, that instance gets no other activation and the next one launches a new instance",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::ClientDeath, name: "client-death", kind: Kind::Condition,
        rules: &["R-COM-PING-GC"], source: "[MS-DCOM] 3.1.2.2, 3.2.2 (spec/frameworks.md §6)", applies: local,
        when_toggled: "(condition) a client process may die between two of its calls while it holds a reference (A-PING-GC); it then makes no call and observes nothing",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::PingGarbageCollection, name: "ping-garbage-collection", kind: Kind::Mechanism,
        rules: &["R-COM-PING-GC"], source: "[MS-DCOM] 3.1.2.2, 3.2.2 (spec/frameworks.md §6)", applies: local,
        when_toggled: "a dead client's references are never released: no ping time-out runs its object and class-object stubs down (meaningful only with client-death)",
        needs: Some(Toggle::ClientDeath), ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::DelayedShutdown, name: "delayed-shutdown", kind: Kind::Mechanism,
        rules: &["R-ATL70-MONITOR", "R-ATL10-UNLOCK"], source: ATL_SRC, applies: atl,
        when_toggled: "m_bDelayShutdown is false: Unlock reaching zero posts WM_QUIT to the main thread itself, with no monitor thread",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::MonitorRecheck, name: "monitor-recheck", kind: Kind::Mechanism,
        rules: &["R-ATL70-MONITOR", "R-WTL-MONITOR"], source: "ATL 7.0–9.0 atlbase.h CAtlExeModuleT::MonitorShutdown; WTL atlapp.h CServerAppModule::MonitorShutdown (spec/frameworks.md §1, §3)", applies: timed_monitor,
        when_toggled: "the monitor posts WM_QUIT on the first signal, without waiting m_dwTimeOut and re-reading the lock count (ATL 10.0's monitor on the module's count)",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::SuspendBeforeQuit, name: "suspend-before-quit", kind: Kind::Mechanism,
        rules: &["R-ATL70-MONITOR"], source: "ATL 7.0–9.0 atlbase.h CAtlExeModuleT::MonitorShutdown, #if … defined(_ATL_FREE_THREADED) (spec/frameworks.md §1)", applies: atl9_free_threaded,
        when_toggled: "the free-threaded monitor posts WM_QUIT after the time-out without CoSuspendClassObjects and the second read of the count (the apartment build's code)",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::UnorderedDispatch, name: "unordered-dispatch", kind: Kind::Variant,
        rules: &["R-COM-STA-QUEUE"], source: "Microsoft, \"Single-Threaded Apartments\"; Raymond Chen, The Old New Thing 2008-04-24; Wine dlls/combase/rpc.c dispatch_rpc (spec/frameworks.md §6)", applies: textbook_local,
        when_toggled: "(variant) the textbook server's STAs dispatch waiting calls in any order instead of from a FIFO message queue in arrival order (A-NETWORK)",
        rechecks: Some("A-NETWORK"), ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::ProcessCountLock, name: "process-count-lock", kind: Kind::Remedy,
        rules: &["R-003-PROCESS-REFCOUNT", "R-ATL10-UNLOCK"], source: "003_71d2d71f8f3a5043.txt; ATL 10.0 atlbase.h CAtlExeModuleT::Lock/Unlock (spec/frameworks.md §1)", applies: module_count,
        when_toggled: "(remedy for F-7, F-8, F-9) the module's Lock and Unlock call CoAddRefServerProcess and CoReleaseServerProcess instead of counting in the module (ATL 10.0's change; for WTL and MFC an override in the project), so COM suspends the class objects when the count reaches zero",
        reference: true, ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::ExitedInstanceFails, name: "exited-instance-fails", kind: Kind::Variant,
        rules: &["R-003-SCM-RELAUNCH"], source: "no source: A-SCM-EXITED (spec/assumptions.md) names both outcomes", applies: local,
        when_toggled: "(variant of an unsourced assumption) an activation forwarded to an instance whose process exited before it arrived fails to the client with RPC_S_SERVER_UNAVAILABLE; the SCM does not launch a new instance for it",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::StoppingFlag, name: "stopping-flag", kind: Kind::Remedy,
        rules: &["R-SEEDS-BOX-STOPPING"], source: "Don Box, Essential COM (1998) ch. 6; ActiveX/COM Q&A, Microsoft Systems Journal, January 1997", applies: split_activation,
        when_toggled: "(remedy for F-4, F-8, as Box wrote it) Unlock sets a shutdown flag once the count is zero (one step after the decrement), and IClassFactory::CreateInstance returns CO_E_SERVER_STOPPING while it is set",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::StoppingFlagLocked, name: "stopping-flag-locked", kind: Kind::Remedy,
        rules: &["R-SEEDS-BOX-STOPPING"], source: "Don Box, Essential COM (1998) ch. 6; MSJ January 1997; the lock is the developer's (e.g. an override of CAtlExeModuleT::Unlock and of the class factory's CreateInstance)", applies: split_activation,
        when_toggled: "(remedy for F-4, F-8, under one lock) the decrement to zero (ATL 7-9: the monitor's decision) sets the shutdown flag under a server lock that IClassFactory::CreateInstance holds across its check of the flag and the new object's Lock",
        reference: true, ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::ModalDialog, name: "modal-dialog", kind: Kind::Condition,
        rules: &["R-MFC-LOCKAPP"], source: "MFC olelock.cpp AfxOleOnReleaseAllObjects (\"destroy the main window (only if enabled)\"), MFC 7.0-14.x (spec/frameworks.md §5)", applies: mfc,
        when_toggled: "(condition) once the instance has served a client, a modal dialog (DoModal, AfxMessageBox) may come up and later return; while it is up the main window is disabled and the STA's modal loop keeps dispatching COM calls",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::RecheckAfterModal, name: "recheck-after-modal", kind: Kind::Remedy,
        rules: &["R-MFC-LOCKAPP"], source: "MFC olelock.cpp AfxOleSetUserCtrl, AfxOleCanExitApp, AfxOleOnReleaseAllObjects (spec/frameworks.md §5)", applies: mfc,
        when_toggled: "(remedy for F-10) the code that shows the modal dialog saves AfxOleGetUserCtrl() before it and, when the dialog returns with the flag saved FALSE, calls AfxOleSetUserCtrl(FALSE) and, if AfxOleCanExitApp(), AfxOleOnReleaseAllObjects() (meaningful only with modal-dialog)",
        needs: Some(Toggle::ModalDialog), ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::UserTakesControl, name: "user-takes-control", kind: Kind::Condition,
        rules: &["R-MFC-CLOSE"], source: MFC_CLOSE_SRC, applies: mfc,
        when_toggled: "(condition) once instance 1 has served a client, the user opens a document (AfxOleSetUserCtrl(TRUE); the document's AfxOleLockApp) and may later close the main frame (CFrameWnd::OnClose: hide and serve on while objects remain, else DestroyWindow and AfxPostQuitMessage)",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::CloseChecksObjects, name: "close-checks-objects", kind: Kind::Mechanism,
        rules: &["R-MFC-CLOSE"], source: MFC_CLOSE_SRC, applies: mfc,
        when_toggled: "CFrameWnd::OnClose does not check AfxOleCanExitApp(): closing the frame always destroys the main window, whose OnNcDestroy calls AfxPostQuitMessage, with a client's object outstanding",
        needs: Some(Toggle::UserTakesControl), ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::UserStarted, name: "user-started", kind: Kind::Condition,
        rules: &["R-WTL-USER-START"], source: WTL_WIZARD_SRC, applies: wtl,
        when_toggled: "(condition) instance 1 is started by the user: it starts the monitor and registers its class objects as for a client, opens its main window, and the user may close the window later",
        ..ToggleDef::PLAIN },
    ToggleDef { toggle: Toggle::FrameLocksModule, name: "frame-locks-module", kind: Kind::Mechanism,
        rules: &["R-WTL-USER-START"], source: WTL_WIZARD_SRC, applies: wtl,
        when_toggled: "Run() does not call _Module.Lock() for the main window (nor OnDestroy _Module.Unlock()): a COM client's last release lets the monitor post WM_QUIT to the instance the user works in",
        needs: Some(Toggle::UserStarted), ..ToggleDef::PLAIN },
];

const MFC_CLOSE_SRC: &str = "MFC winfrm.cpp CFrameWnd::OnClose, olelink.cpp COleLinkingDoc::OnNewDocument, oledoc1.cpp COleDocument (spec/frameworks.md §5)";
const WTL_WIZARD_SRC: &str = "WTL 10 AppWizard templates root.cpp (WinMain, Run) and Frame.h (OnDestroy) (spec/frameworks.md §3)";

const ATL_SRC: &str =
    "ATL atlbase.h CAtlExeModuleT::Unlock, MonitorShutdown, 7.0–14.32 (spec/frameworks.md §1)";

impl Toggle {
    /// Every toggle, in the order `check` runs them.
    pub const ALL: [Toggle; 44] = [
        Toggle::ExitOnFinalDecrement,
        Toggle::LockserverCounts,
        Toggle::FactoryRefsIgnored,
        Toggle::UserControl,
        Toggle::DisconnectOnUserClose,
        Toggle::ImplicitLockserver,
        Toggle::ProcessRefcount,
        Toggle::AutoSuspend,
        Toggle::RegclsSuspended,
        Toggle::DllcanunloadnowCountsLocks,
        Toggle::ClientLocksFactory,
        Toggle::UnloadDelay,
        Toggle::EveryApartmentSweeps,
        Toggle::PrivateContext,
        Toggle::DisconnectContext,
        Toggle::RevokeBeforeDisconnect,
        Toggle::RetryUntilSOk,
        Toggle::RegisterLocalServer,
        Toggle::ContextScopedDisconnect,
        Toggle::DeadlockDetection,
        Toggle::StopAlwaysAccepted,
        Toggle::DllCountsFactories,
        Toggle::RecheckAfterRevoke,
        Toggle::UserDocumentCounts,
        Toggle::AtomicActivation,
        Toggle::WineCandidateList,
        Toggle::AccessDeniedClient,
        Toggle::RegclsSingleuse,
        Toggle::ClientDeath,
        Toggle::PingGarbageCollection,
        Toggle::DelayedShutdown,
        Toggle::MonitorRecheck,
        Toggle::SuspendBeforeQuit,
        Toggle::UnorderedDispatch,
        Toggle::ProcessCountLock,
        Toggle::ExitedInstanceFails,
        Toggle::StoppingFlag,
        Toggle::StoppingFlagLocked,
        Toggle::ModalDialog,
        Toggle::RecheckAfterModal,
        Toggle::UserTakesControl,
        Toggle::CloseChecksObjects,
        Toggle::UserStarted,
        Toggle::FrameLocksModule,
    ];

    /// The mechanism's row in [`TOGGLES`].
    pub fn def(self) -> &'static ToggleDef {
        &TOGGLES[self as usize]
    }

    /// The mechanism's command-line name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The source document(s) that prescribe the mechanism.
    pub fn source(self) -> &'static str {
        self.def().source
    }

    /// The rules (spec/rules.md) the mechanism implements.
    pub fn rules(self) -> &'static [&'static str] {
        self.def().rules
    }

    /// Toggle, remedy or variant.
    pub fn kind(self) -> Kind {
        self.def().kind
    }

    /// Whether the toggle is off by default and turned on with `--enable` (a remedy, a variant,
    /// a condition or a configuration); every other mechanism is on by default and turned off with `--disable`.
    pub fn opt_in(self) -> bool {
        self.kind() != Kind::Mechanism
    }

    /// What toggling the mechanism from its default means in the model.
    pub fn when_toggled(self) -> &'static str {
        self.def().when_toggled
    }

    /// Whether the matrix also runs every mechanism disabled on top of this remedy or variant
    /// ([`matrix_runs`]): true where a finding breaks, in the baseline, the properties that show
    /// the other mechanisms necessary (F-3, F-4, F-6), so the reference for those mechanisms
    /// is the run with the remedy, or the variant under which the finding does not arise.
    pub fn is_reference(self) -> bool {
        self.def().reference
    }

    /// The condition a mechanism needs to mean anything: disabling `ping-garbage-collection`
    /// changes nothing unless clients may die, so the matrix disables it under `client-death`
    /// instead of alone.
    pub fn needs(self) -> Option<Toggle> {
        self.def().needs
    }

    /// The assumption (spec/assumptions.md) a variant exists to re-check, for a variant that is
    /// expected to change no verdict: `unordered-dispatch` re-checks A-NETWORK's unordered
    /// dispatch (F-1 does not depend on it). `None` for every other toggle.
    pub fn rechecks_assumption(self) -> Option<&'static str> {
        self.def().rechecks
    }

    /// Whether the matrix runs this condition under each configuration as well: true where the
    /// condition's source names a configuration it affects (KB 170915: REGCLS_SINGLEUSE
    /// servers are the ones it orphans for certain).
    pub fn under_configurations(self) -> bool {
        self.def().under_configurations
    }

    /// Looks a mechanism up by name.
    ///
    /// # Errors
    /// Returns a message naming the valid mechanisms when `name` is unknown.
    pub fn parse(name: &str) -> Result<Toggle, String> {
        Toggle::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown mechanism '{}'; valid mechanisms: {}",
                    quote_prefix(name),
                    Toggle::ALL.map(|m| m.name()).join(", ")
                )
            })
    }

    /// Why the toggle does not apply to `scenario`, where a general "does not apply" would not
    /// tell the user enough: ATL and WTL register their class objects in fixed framework code,
    /// so `regcls-singleuse` there would be the developer's override of the framework.
    pub fn refusal(self, scenario: Scenario) -> Option<&'static str> {
        let atl_or_wtl = scenario.framework().is_some() && scenario != Scenario::MfcSta;
        (self == Toggle::RegclsSingleuse && atl_or_wtl).then_some(
            "ATL and WTL register REGCLS_MULTIPLEUSE in fixed framework code (CAtlExeModuleT::PreMessageLoop, RegisterClassObjects); REGCLS_SINGLEUSE would be your override of the framework, not the framework: describe it as a textbook server",
        )
    }

    /// Whether the mechanism means anything in `scenario`.
    pub fn applies_to(self, scenario: Scenario) -> bool {
        (self.def().applies)(scenario)
    }
}

/// At most the first 40 characters of user input, for error messages (a long argument is not
/// echoed in full).
pub fn quote_prefix(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

// The bit set below holds at most 64 toggles.
const _: () = assert!(Toggle::ALL.len() <= 64);

/// A set of mechanisms, as a bit set (bit `i` is `Toggle::ALL[i]`; at most 64 toggles, which a
/// compile-time assertion guards).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ToggleSet(u64);

impl ToggleSet {
    /// The empty set.
    pub const EMPTY: ToggleSet = ToggleSet(0);

    /// The set holding only `m`.
    pub fn only(m: Toggle) -> Self {
        ToggleSet::EMPTY.with(m)
    }

    /// This set plus `m`.
    pub fn with(self, m: Toggle) -> Self {
        ToggleSet(self.0 | (1 << (m as u64)))
    }

    /// Whether `m` is in the set.
    pub fn contains(self, m: Toggle) -> bool {
        self.0 & (1 << (m as u64)) != 0
    }

    /// The members, in [`Toggle::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Toggle> {
        Toggle::ALL.into_iter().filter(move |m| self.contains(*m))
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

    /// Parses a label made by [`ToggleSet::label`].
    ///
    /// # Errors
    /// Returns a message naming the unknown mechanism and the valid names.
    pub fn parse_label(label: &str) -> Result<ToggleSet, String> {
        if label == "baseline" {
            return Ok(ToggleSet::EMPTY);
        }
        label
            .split('+')
            .map(|part| match part.strip_prefix("with-") {
                Some(name) => Toggle::parse(name).and_then(|m| {
                    if m.opt_in() {
                        Ok(m)
                    } else {
                        Err(format!(
                            "'{name}' is on by default; only opt-in remedies take 'with-'"
                        ))
                    }
                }),
                None => Toggle::parse(part).and_then(|m| {
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
    pub fn disabled(self) -> impl Iterator<Item = Toggle> {
        self.iter().filter(|m| !m.opt_in())
    }

    /// The opt-in remedies in the set (enabled in the run).
    pub fn enabled(self) -> impl Iterator<Item = Toggle> {
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

    /// The command-line flags that select this set: `--disable NAME` for each mechanism,
    /// `--enable NAME` for each remedy or variant, in [`Toggle::ALL`] order. The inverse of
    /// [`ToggleSet::from_args`].
    pub fn to_args(self) -> Vec<String> {
        self.iter()
            .flat_map(|m| {
                let flag = if m.opt_in() { "--enable" } else { "--disable" };
                [flag.to_string(), m.name().to_string()]
            })
            .collect()
    }

    /// The set named by `--disable` and `--enable` arguments for `scenario`.
    ///
    /// # Errors
    /// Returns a message naming the unknown or misplaced name (a mechanism given to
    /// `--enable`, a remedy or variant given to `--disable`, or one that does not apply to the
    /// scenario) and the valid choices for that flag in that scenario.
    pub fn from_args(
        scenario: Scenario,
        disable: &[String],
        enable: &[String],
    ) -> Result<ToggleSet, String> {
        let mut set = ToggleSet::EMPTY;
        for (names, opt_in, flag) in [(disable, false, "--disable"), (enable, true, "--enable")] {
            let valid = || -> String {
                let v: Vec<&str> = Toggle::ALL
                    .into_iter()
                    .filter(|m| m.opt_in() == opt_in && m.applies_to(scenario))
                    .map(|m| m.name())
                    .collect();
                if v.is_empty() {
                    format!("none ('{}' has nothing to {})", scenario.name(), &flag[2..])
                } else {
                    v.join(", ")
                }
            };
            for name in names {
                let m = Toggle::parse(name).map_err(|_| {
                    format!(
                        "{flag} {0}: unknown name '{0}'; valid for {flag} in '{1}': {2}",
                        quote_prefix(name),
                        scenario.name(),
                        valid()
                    )
                })?;
                if m.opt_in() != opt_in || !m.applies_to(scenario) {
                    let why = if m.opt_in() != opt_in {
                        format!(
                            "'{}' is {}",
                            m.name(),
                            if m.opt_in() {
                                format!(
                                    "a {} that is off by default (use --enable)",
                                    m.kind().name()
                                )
                            } else {
                                "a mechanism that is on by default (use --disable)".to_string()
                            }
                        )
                    } else {
                        format!(
                            "'{}' does not apply to scenario '{}'{}",
                            m.name(),
                            scenario.name(),
                            m.refusal(scenario)
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        )
                    };
                    return Err(format!(
                        "{flag} {}: {why}; valid for {flag} in '{}': {}",
                        m.name(),
                        scenario.name(),
                        valid()
                    ));
                }
                set = set.with(m);
            }
        }
        Ok(set)
    }
}

/// The runs `check` makes for `scenario`: every mechanism at its default (the empty set,
/// `baseline`), then each toggle that applies to the scenario alone (a mechanism disabled, a
/// remedy or variant enabled; a mechanism that [`Toggle::needs`] a condition disabled under
/// it), then, for each reference remedy or variant `X`
/// ([`Toggle::is_reference`]), `X` with each mechanism disabled: where a finding breaks a property in the baseline, the run with its remedy (or
/// the variant under which it does not arise) is the reference that shows the other
/// mechanisms necessary; then each reference remedy with each reference variant; last, each
/// condition that [`Toggle::under_configurations`] with each configuration.
pub fn matrix_runs(scenario: Scenario) -> Vec<ToggleSet> {
    let applying: Vec<Toggle> = Toggle::ALL
        .into_iter()
        .filter(|m| m.applies_to(scenario))
        .collect();
    let mut runs = vec![ToggleSet::EMPTY];
    runs.extend(applying.iter().map(|m| match m.needs() {
        Some(c) => ToggleSet::only(c).with(*m),
        None => ToggleSet::only(*m),
    }));
    for x in applying.iter().filter(|m| m.is_reference()) {
        runs.extend(
            applying
                .iter()
                .filter(|m| !m.opt_in() && m.needs().is_none())
                .map(|m| ToggleSet::only(*x).with(*m)),
        );
    }
    // Each reference remedy with each reference variant: whether the remedy still repairs its
    // finding where the sources disagree (ATL's and MFC's DllCanUnloadNow are
    // `dll-counts-factories`; does it close F-6 under Wine's candidate list as it closes F-3?).
    for r in applying
        .iter()
        .filter(|m| m.is_reference() && m.kind() == Kind::Remedy)
    {
        runs.extend(
            applying
                .iter()
                .filter(|m| m.is_reference() && m.kind() == Kind::Variant)
                .map(|v| ToggleSet::only(*r).with(*v)),
        );
    }
    // A condition whose source names configurations runs under each of them too (KB 170915's
    // first case: a REGCLS_SINGLEUSE server launched for a client without access permission).
    for c in applying
        .iter()
        .filter(|m| m.kind() == Kind::Condition && m.under_configurations())
    {
        runs.extend(
            applying
                .iter()
                .filter(|m| m.kind() == Kind::Configuration)
                .map(|m| ToggleSet::only(*c).with(*m)),
        );
    }
    runs
}

impl FromIterator<Toggle> for ToggleSet {
    fn from_iter<T: IntoIterator<Item = Toggle>>(iter: T) -> Self {
        iter.into_iter().fold(ToggleSet::EMPTY, ToggleSet::with)
    }
}

impl fmt::Debug for ToggleSet {
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
    pub toggled: ToggleSet,
    /// Number of client processes, 1..=[`MAX_CLIENTS`].
    pub clients: usize,
    /// A local server's apartments and classes, and the class each client activates
    /// (the scenario's default unless a server description says otherwise).
    pub layout: Layout,
}

/// Most classes a local server implements.
pub const MAX_CLASSES: usize = 3;
/// Most apartment threads a local server has.
pub const MAX_APARTMENTS: usize = 2;

/// The apartments and classes of a local (EXE) server and which class each client activates:
/// apartment `a` registers (and revokes) every class `c` with `class_apartment[c] == a`, and
/// dispatches the calls on its objects (003, the apartment-model server). Fixed-size so that
/// [`Config`] stays `Copy` for stateright's callbacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Layout {
    /// Number of apartment threads, 1..=[`MAX_APARTMENTS`]; apartment 0 is the main thread.
    pub apartments: u8,
    /// Number of classes, 1..=[`MAX_CLASSES`].
    pub classes: u8,
    /// The apartment that registers each class (entries beyond `classes` are 0).
    pub class_apartment: [u8; MAX_CLASSES],
    /// Classes registered with REGCLS_SINGLEUSE, as a bit set (bit `c` is class `c`); the
    /// configuration `regcls-singleuse` makes every class single-use (R-COM-SINGLEUSE).
    pub singleuse: u8,
    /// The class each client activates (entries beyond the clients are 0).
    pub client_class: [u8; MAX_CLIENTS],
    /// The activation calls the clients' scripts may begin with (A-SCRIPTS), as a bit set:
    /// bit 0 CoGetClassObject (the class-object script), bit 1 CoCreateInstance. Both by
    /// default; at least one.
    #[serde(default = "both_calls")]
    pub client_calls: u8,
}

fn both_calls() -> u8 {
    0b11
}

impl Layout {
    /// The scenario's own layout: apartment `i` registers class `i` (one class per apartment;
    /// the service host's two services are its two classes), and client `i` activates class
    /// `i mod classes`.
    pub fn of(scenario: Scenario) -> Layout {
        let classes = scenario.classes() as u8;
        let apartments = scenario.apartments() as u8;
        let mut class_apartment = [0; MAX_CLASSES];
        for (c, a) in class_apartment
            .iter_mut()
            .enumerate()
            .take(classes as usize)
        {
            *a = c as u8 % apartments;
        }
        let mut client_class = [0; MAX_CLIENTS];
        for (i, c) in client_class.iter_mut().enumerate() {
            *c = i as u8 % classes;
        }
        Layout {
            apartments,
            classes,
            class_apartment,
            singleuse: 0,
            client_class,
            client_calls: 0b11,
        }
    }

    /// Whether the clients' scripts may begin with activation call `op`
    /// ([`Layout::client_calls`]).
    pub fn calls(&self, op: crate::com::client::ClientOp) -> bool {
        match op {
            crate::com::client::ClientOp::CoGetClassObject => self.client_calls & 1 != 0,
            crate::com::client::ClientOp::CoCreateInstance => self.client_calls & 2 != 0,
            _ => true,
        }
    }

    /// Checks the layout's bounds and that every apartment registers a class.
    ///
    /// # Errors
    /// A message naming the bound or the apartment that is wrong.
    pub fn validate(&self, clients: usize) -> Result<(), String> {
        if !(1..=MAX_APARTMENTS as u8).contains(&self.apartments) {
            return Err(format!(
                "{} apartments; the model supports 1 to {MAX_APARTMENTS}",
                self.apartments
            ));
        }
        if !(1..=MAX_CLASSES as u8).contains(&self.classes) {
            return Err(format!(
                "{} classes; the model supports 1 to {MAX_CLASSES}",
                self.classes
            ));
        }
        let n = self.classes as usize;
        if let Some(c) = (0..n).find(|&c| self.class_apartment[c] >= self.apartments) {
            return Err(format!(
                "{:?} is registered by apartment {}, but there are {} apartments",
                Clsid(c as u8),
                self.class_apartment[c] + 1,
                self.apartments
            ));
        }
        if let Some(a) = (0..self.apartments).find(|a| !self.class_apartment[..n].contains(a)) {
            return Err(format!(
                "apartment {} registers no class; every apartment registers at least one",
                a + 1
            ));
        }
        if self.client_calls & 0b11 == 0 || self.client_calls > 0b11 {
            return Err("the clients' scripts need CoGetClassObject or CoCreateInstance".into());
        }
        if let Some(i) = (0..clients).find(|&i| self.client_class[i] >= self.classes) {
            return Err(format!(
                "client {} activates class {}, but there are {} classes",
                i + 1,
                self.client_class[i] + 1,
                self.classes
            ));
        }
        Ok(())
    }
}

impl Config {
    /// A configuration with the mechanisms in `toggled` toggled from their default.
    ///
    /// # Errors
    /// Returns a message when `clients` is outside `1..=MAX_CLIENTS` or a mechanism does not
    /// apply to the scenario.
    pub fn new(scenario: Scenario, toggled: ToggleSet, clients: usize) -> Result<Self, String> {
        if !(1..=MAX_CLIENTS).contains(&clients) {
            return Err(format!(
                "--clients {clients} is out of bounds; valid values are 1 to {MAX_CLIENTS}"
            ));
        }
        if let Some(m) = toggled.iter().find(|m| !m.applies_to(scenario)) {
            return Err(format!(
                "mechanism '{}' does not apply to scenario '{}'{}; valid mechanisms there: {}",
                m.name(),
                scenario.name(),
                m.refusal(scenario)
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
                Toggle::ALL
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
            layout: Layout::of(scenario),
        })
    }

    /// This configuration with a local server's `layout` instead of the scenario's own (a
    /// server description's apartments and classes).
    ///
    /// # Errors
    /// When the layout is not the scenario's own and the scenario is not a local one, or the
    /// layout fails [`Layout::validate`], or it
    /// has several apartments in a scenario whose server has one (the frameworks' single
    /// main thread, the textbook server with a user, A-USER).
    pub fn with_layout(self, layout: Layout) -> Result<Config, String> {
        if layout == self.layout {
            return Ok(self);
        }
        if !self.scenario.is_local() {
            return Err(format!(
                "scenario '{}' has no apartment and class layout to choose",
                self.scenario.name()
            ));
        }
        layout.validate(self.clients)?;
        if layout.apartments > 1 && self.scenario != Scenario::LocalMta {
            return Err(format!(
                "scenario '{}' has one apartment (its main thread); several apartments need the textbook server without a user (local-mta)",
                self.scenario.name()
            ));
        }
        Ok(Config { layout, ..self })
    }

    /// Number of apartment threads of a server (local scenarios: the layout's).
    pub fn apartments(&self) -> usize {
        if self.scenario.is_local() {
            self.layout.apartments as usize
        } else {
            self.scenario.apartments()
        }
    }

    /// Number of classes (local scenarios: the layout's).
    pub fn classes(&self) -> usize {
        if self.scenario.is_local() {
            self.layout.classes as usize
        } else {
            self.scenario.classes()
        }
    }

    /// The classes apartment `a` registers, in CLSID order.
    pub fn classes_of(&self, a: usize) -> impl Iterator<Item = Clsid> + '_ {
        (0..self.classes())
            .filter(move |&c| self.apartment_of(Clsid(c as u8)) == a)
            .map(|c| Clsid(c as u8))
    }

    /// Whether `clsid` is registered with REGCLS_SINGLEUSE (the configuration
    /// `regcls-singleuse`, or the layout's choice for that class; R-COM-SINGLEUSE).
    pub fn singleuse(&self, clsid: Clsid) -> bool {
        self.on(Toggle::RegclsSingleuse) || self.layout.singleuse & (1 << clsid.0) != 0
    }

    /// Whether mechanism `m` is in force: a default-on mechanism unless toggled off, an opt-in
    /// remedy only when toggled on.
    pub fn on(&self, m: Toggle) -> bool {
        m.opt_in() == self.toggled.contains(m)
    }

    /// Whether instance 1 (slot 0) is started by the user rather than by the SCM for an
    /// activation (`user-started`, R-WTL-USER-START). The SCM then launches instances from
    /// slot 1.
    pub fn user_started(&self) -> bool {
        self.on(Toggle::UserStarted)
    }

    /// Whether COM's security check refuses client `client`'s activations with E_ACCESSDENIED:
    /// under `access-denied-client`, client 1 (index 0) has launch but not access permission
    /// (R-SEEDS-KB170915). The server process's COM runtime sees the caller's identity and the
    /// server's access permissions, so the check reads only what it can see.
    pub fn access_denied(&self, client: u8) -> bool {
        client == 0 && self.on(Toggle::AccessDeniedClient)
    }

    /// Number of server-instance slots the SCM may start (local scenarios only).
    pub fn slots(&self) -> usize {
        if self.scenario.is_local() {
            self.clients + usize::from(self.user_started())
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

    /// The class client `i` activates (the layout's; by default clients are spread over the
    /// server's classes).
    pub fn class_of_client(&self, i: usize) -> Clsid {
        Clsid(self.layout.client_class[i])
    }

    /// The apartment that registers `clsid` and hosts its objects.
    pub fn apartment_of(&self, clsid: Clsid) -> usize {
        self.layout.class_apartment[clsid.0 as usize] as usize
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
