//! The toggles of the model: the mechanisms, remedies, variants, conditions and configurations
//! ([`Kind`]) that a run turns from their default, each declared once in the `toggles!`
//! invocation below with everything the CLI, the expectations file, the traces and the
//! generated tables say about it, and the scenarios it applies to.

use crate::com::framework::Framework;
use crate::com::scenario::{quote_prefix, Scenario};
use serde::Serialize;

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

/// One row of the toggle table: everything the CLI, the expectations file, the traces and
/// the generated tables say about a toggle.
#[derive(Debug)]
pub struct ToggleDef {
    /// The toggle this row describes.
    pub toggle: Toggle,
    /// Command-line name (`--disable NAME` / `--enable NAME`).
    pub name: &'static str,
    /// A mechanism (on by default), or a remedy, variant, condition or configuration (off by
    /// default).
    pub kind: Kind,
    /// Rule IDs (spec/rules.md) it implements.
    pub rules: &'static [&'static str],
    /// Source document(s) and section.
    pub source: &'static str,
    /// What toggling it from its default means in the model.
    pub when_toggled: &'static str,
    /// The scenarios in which it means anything.
    pub applies: fn(Scenario) -> bool,
    /// The scenarios in which the matrix also runs every mechanism disabled on top of this
    /// remedy or variant ([`Toggle::is_reference`]).
    pub reference: fn(Scenario) -> bool,
    /// The condition it needs to mean anything ([`Toggle::needs`]).
    pub needs: Option<Toggle>,
    /// Whether the matrix runs this condition under each configuration as well
    /// ([`Toggle::under_configurations`]).
    pub under_configurations: bool,
    /// The assumption a variant re-checks, expecting no verdict to change
    /// ([`Toggle::rechecks_assumption`]).
    pub rechecks: Option<&'static str>,
    /// For a remedy (and only a remedy), the code a developer writes to apply it
    /// ([`Toggle::code_shape`]).
    pub code_shape: Option<&'static str>,
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
        reference: never,
        needs: None,
        under_configurations: false,
        rechecks: None,
        code_shape: None,
    };
}

/// Declares every toggle once: each entry is a variant of [`Toggle`] with its doc comment and
/// the fields of its row of [`TOGGLES`] (`name`, `kind`, `rules`, `source`, `applies`,
/// `when_toggled`, then any of `reference`, `needs`, `under_configurations`, `rechecks`,
/// `code_shape`, which default to [`ToggleDef::PLAIN`]'s; a remedy sets `code_shape`). The macro makes the enum, [`Toggle::ALL`] and the table
/// in the entries' order, so that `Toggle::def` (`TOGGLES[self as usize]`) finds each row.
macro_rules! toggles {
    ($(
        $(#[$meta:meta])*
        $variant:ident {
            name: $name:literal, kind: $kind:ident,
            rules: [$($rule:literal),* $(,)?], source: $source:expr, applies: $applies:expr,
            when_toggled: $when:expr
            $(, $field:ident: $value:expr)* $(,)?
        }
    ),+ $(,)?) => {
        /// A toggle of the model, of one of the five kinds of [`Kind`]. Its properties are in
        /// [`TOGGLES`], one row per variant, in this order (both made by `toggles!`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Toggle {
            $($(#[$meta])* $variant,)+
        }

        impl Toggle {
            /// Every toggle, in the order `check` runs them.
            pub const ALL: [Toggle; [$(Toggle::$variant),+].len()] = [$(Toggle::$variant),+];
        }

        /// Every toggle, in [`Toggle`] order (the order `check` runs them).
        pub const TOGGLES: &[ToggleDef] = &[$(
            ToggleDef {
                toggle: Toggle::$variant,
                name: $name,
                kind: Kind::$kind,
                rules: &[$($rule),*],
                source: $source,
                applies: $applies,
                when_toggled: $when,
                $($field: $value,)*
                ..ToggleDef::PLAIN
            },
        )+];
    };
}

toggles! {
    /// R-002-FINAL-DECREMENT: the EXE exits on the final decrement, not on a zero condition.
    ExitOnFinalDecrement {
        name: "exit-on-final-decrement", kind: Mechanism,
        rules: ["R-002-FINAL-DECREMENT"], source: S002_LOCAL, applies: textbook_local,
        when_toggled: "the EXE exits whenever its idle loop sees all counts at zero, e.g. at start-up before the activation that launched it arrives",
    },
    /// R-002-BOTTOM-LINE, R-003-COUNT-LOCKS: LockServer(TRUE) counts toward server lifetime.
    LockserverCounts {
        name: "lockserver-counts", kind: Mechanism,
        rules: ["R-002-BOTTOM-LINE", "R-003-COUNT-LOCKS"], source: "002_04beec619a32ce82.txt (Unloading Mechanisms); 003_71d2d71f8f3a5043.txt", applies: local,
        when_toggled: "LockServer does not take part in the lifetime count; only objects do",
    },
    /// R-002-FACTORY-REFS: class-object reference counts do not keep an EXE alive.
    FactoryRefsIgnored {
        name: "factory-refs-ignored", kind: Mechanism,
        rules: ["R-002-FACTORY-REFS"], source: S002_LOCAL, applies: textbook_local,
        when_toggled: "the server waits for its class objects' reference counts to reach zero before it exits",
    },
    /// R-002-USER-CONTROL: no automatic exit while the user has control.
    UserControl {
        name: "user-control", kind: Mechanism,
        rules: ["R-002-USER-CONTROL"], source: S002_LOCAL, applies: with_user,
        when_toggled: "automatic exit ignores the user-control flag",
    },
    /// R-002-USER-CLOSE: on user close with objects in service, hide or CoDisconnectObject.
    DisconnectOnUserClose {
        name: "disconnect-on-user-close", kind: Mechanism,
        rules: ["R-002-USER-CLOSE"], source: S002_LOCAL, applies: with_user,
        when_toggled: "on user close with objects in service the server exits without CoDisconnectObject (and without hiding)",
    },
    /// R-003-IMPLICIT-LOCK: marshaling IClassFactory takes an implicit LockServer(TRUE).
    ImplicitLockserver {
        name: "implicit-lockserver", kind: Mechanism,
        rules: ["R-003-IMPLICIT-LOCK"], source: S003, applies: local,
        when_toggled: "marshaling IClassFactory takes no implicit LockServer(TRUE); the client's own LockServer is remoted",
    },
    /// R-003-PROCESS-REFCOUNT: objects and locks use CoAddRefServerProcess/CoReleaseServerProcess.
    ProcessRefcount {
        name: "process-refcount", kind: Mechanism,
        rules: ["R-003-PROCESS-REFCOUNT", "R-WRL-COUNT"], source: S003, applies: process_count_code,
        when_toggled: "objects and LockServer keep the server's own counter; on zero the server calls CoSuspendClassObjects itself, in a later step",
    },
    /// R-003-AUTO-SUSPEND: the process count reaching zero suspends the class objects.
    AutoSuspend {
        name: "auto-suspend", kind: Mechanism,
        rules: ["R-003-AUTO-SUSPEND", "R-WRL-COUNT"], source: S003, applies: process_count_code,
        when_toggled: "CoReleaseServerProcess returning 0 does not suspend the class objects",
    },
    /// R-003-REGCLS-SUSPENDED: register with REGCLS_SUSPENDED, then one CoResumeClassObjects.
    RegclsSuspended {
        name: "regcls-suspended", kind: Mechanism,
        rules: ["R-003-REGCLS-SUSPENDED", "R-WRL-REGISTER"], source: S003, applies: registers_suspended,
        when_toggled: "each class is registered with the SCM as soon as its apartment calls CoRegisterClassObject; no CoResumeClassObjects",
    },
    /// R-002-DLLCANUNLOADNOW: DllCanUnloadNow answers S_FALSE while objects or locks exist.
    DllcanunloadnowCountsLocks {
        name: "dllcanunloadnow-counts-locks", kind: Mechanism,
        rules: ["R-002-DLLCANUNLOADNOW"], source: S002_INPROC, applies: inproc,
        when_toggled: "DllCanUnloadNow counts objects only, not LockServer locks",
    },
    /// R-002-LOCKSERVER-HOLD: a client keeping an IClassFactory beyond one scope locks it.
    ClientLocksFactory {
        name: "client-locks-factory", kind: Mechanism,
        rules: ["R-002-LOCKSERVER-HOLD"], source: S002_INPROC, applies: inproc,
        when_toggled: "a client keeps an IClassFactory beyond one scope without LockServer(TRUE)",
    },
    /// R-SEEDS-UNLOAD-DELAY: CoFreeUnusedLibrariesEx frees a Both-threaded DLL only on a later
    /// sweep, after its unload delay.
    UnloadDelay {
        name: "unload-delay", kind: Mechanism,
        rules: ["R-SEEDS-UNLOAD-DELAY"], source: SEEDS_FREE, applies: inproc,
        when_toggled: "the Both-threaded DLL is treated as delay 0: freed on the first sweep whose DllCanUnloadNow returns S_OK",
    },
    /// R-SEEDS-PER-APARTMENT: every apartment that loaded the DLL calls CoFreeUnusedLibrariesEx.
    EveryApartmentSweeps {
        name: "every-apartment-sweeps", kind: Mechanism,
        rules: ["R-SEEDS-PER-APARTMENT"], source: SEEDS_FREE, applies: inproc,
        when_toggled: "only an MTA thread calls CoFreeUnusedLibrariesEx; the STA thread never does",
    },
    /// R-000-PRIVATE-CONTEXT: the service registers its factory inside its own context.
    PrivateContext {
        name: "private-context", kind: Mechanism,
        rules: ["R-000-PRIVATE-CONTEXT", "R-001-PRIVATE-CONTEXT"], source: "000_4cca369cf4e7b083.txt (Remarks); 001_41b7cad96933e3e3.txt", applies: service,
        when_toggled: "the service registers its factory in the default context",
    },
    /// R-000-DISCONNECT: on stop the service calls CoDisconnectContext before unloading.
    DisconnectContext {
        name: "disconnect-context", kind: Mechanism,
        rules: ["R-000-DISCONNECT", "R-001-STOP-SEQUENCE"], source: "000_4cca369cf4e7b083.txt (Remarks); 001_41b7cad96933e3e3.txt", applies: service,
        when_toggled: "on stop the service revokes and unloads without CoDisconnectContext",
    },
    /// R-000-REVOKE-FIRST: the service revokes its factory before disconnecting.
    RevokeBeforeDisconnect {
        name: "revoke-before-disconnect", kind: Mechanism,
        rules: ["R-000-REVOKE-FIRST", "R-001-STOP-SEQUENCE"], source: "000_4cca369cf4e7b083.txt (Examples); 001_41b7cad96933e3e3.txt", applies: service,
        when_toggled: "the service disconnects first and revokes its factory after",
    },
    /// R-000-RETRY: the service calls CoDisconnectContext until it returns S_OK.
    RetryUntilSOk {
        name: "retry-until-s-ok", kind: Mechanism,
        rules: ["R-000-RETRY"], source: "000_4cca369cf4e7b083.txt (Remarks)", applies: service,
        when_toggled: "the service unloads after RPC_E_TIMEOUT",
    },
    /// R-000-LOCAL-SERVER-FLAG: the factory is registered with CLSCTX_LOCAL_SERVER.
    RegisterLocalServer {
        name: "register-local-server", kind: Mechanism,
        rules: ["R-000-LOCAL-SERVER-FLAG"], source: "000_4cca369cf4e7b083.txt (limitations)", applies: service,
        when_toggled: "service A registers its factory with CLSCTX_INPROC_SERVER only: other processes cannot activate it, and service B's in-process pointer to its object is not disconnected",
    },
    /// R-000-CONTEXT-SCOPE: CoDisconnectContext disconnects only the current context.
    ContextScopedDisconnect {
        name: "context-scoped-disconnect", kind: Mechanism,
        rules: ["R-000-CONTEXT-SCOPE", "R-001-SHARED-HOST"], source: "000_4cca369cf4e7b083.txt (Remarks); 001_41b7cad96933e3e3.txt (comments)", applies: service,
        when_toggled: "the service disconnects process-wide (every object of the host)",
    },
    /// R-000-DEADLOCK: COM returns CONTEXT_E_WOULD_DEADLOCK to an object disconnecting its own
    /// context.
    DeadlockDetection {
        name: "deadlock-detection", kind: Mechanism,
        rules: ["R-000-DEADLOCK"], source: "000_4cca369cf4e7b083.txt (Return value)", applies: service,
        when_toggled: "COM does not return CONTEXT_E_WOULD_DEADLOCK: a self-disconnect with INFINITE waits for ever",
    },
    /// R-001-STOP-DEMAND: the service accepts SERVICE_CONTROL_STOP even with objects active.
    StopAlwaysAccepted {
        name: "stop-always-accepted", kind: Mechanism,
        rules: ["R-001-STOP-DEMAND"], source: "001_41b7cad96933e3e3.txt (footnote, comments)", applies: service,
        when_toggled: "the service refuses SERVICE_CONTROL_STOP while any of its objects is active",
    },
    /// R-002-FACTORY-COUNT-OPTION (remedy for F-3): the in-process server counts its class
    /// objects' references in DllCanUnloadNow.
    DllCountsFactories {
        name: "dll-counts-factories", kind: Remedy,
        rules: ["R-002-FACTORY-COUNT-OPTION"], source: "002_04beec619a32ce82.txt (In-Process Server, paragraph 3)", applies: inproc,
        when_toggled: "(remedy for F-3) DllCanUnloadNow also answers S_FALSE while a class-object pointer is held",
        reference: always,
        code_shape: Some("in DllCanUnloadNow, answer S_FALSE while any client holds a class-object pointer: count the class factories' AddRef/Release in the DLL's global count (Brockschmidt, 002; ATL's CComObjectCached and MFC's AfxDllCanUnloadNow do this)"),
    },
    /// R-003-RECHECK (remedy for F-4, F-8): after revoking, the server re-checks its count and
    /// keeps serving until every instance is released (003's "classical approach"): a textbook
    /// server stays in its message loops; a free-threaded framework server's main thread, after
    /// `RevokeClassObjects` (ATL) or `Module::UnregisterObjects` (WRL), waits until the count is
    /// zero again before it returns from `WinMain`.
    RecheckAfterRevoke {
        name: "recheck-after-revoke", kind: Remedy,
        rules: ["R-003-RECHECK"], source: "003_71d2d71f8f3a5043.txt (paragraph \"However, in an apartment model server\")", applies: split_activation,
        when_toggled: "(remedy for F-4, F-8) after deciding to shut down, the server revokes its class objects but keeps serving (a textbook server's apartments stay in their message loops; a free-threaded framework server's main thread waits again); the process quits only when its count is zero again",
        reference: multi_apartment,
        code_shape: Some("after CoRevokeClassObject, re-check the server's count and do not quit while it is not zero (an activation slipped in): a textbook server keeps its message loops running and posts WM_QUIT only when the count is zero again; a free-threaded ATL or WRL server's main thread, after RevokeClassObjects (an override of PostMessageLoop) or Module::UnregisterObjects, waits until the count its Unlock or DecrementObjectCount override last returned is zero again, resetting the shutdown event before each read, and only then returns from WinMain (003's \"classical approach\")"),
    },
    /// R-003-SIMPLEST-WAY applied to the user's document (remedy for F-5): the document the user
    /// opens holds a CoAddRefServerProcess reference while it is open.
    UserDocumentCounts {
        name: "user-document-counts", kind: Remedy,
        rules: ["R-003-SIMPLEST-WAY", "R-002-USER-CONTROL"], source: "003_71d2d71f8f3a5043.txt (paragraph \"The simplest way\"); 002_04beec619a32ce82.txt (Local Server, user control)", applies: with_user,
        when_toggled: "(remedy for F-5) the user's document calls CoAddRefServerProcess when opened and CoReleaseServerProcess when closed, like any object instance",
        code_shape: Some("call CoAddRefServerProcess when the user opens a document and CoReleaseServerProcess when the user closes it, as for any object instance (003's \"simplest way\")"),
    },
    /// Variant of R-003-AUTO-SUSPEND (A-ATOMIC): the COM runtime checks suspension and takes the
    /// implicit LockServer / CoAddRefServerProcess of an activation in one atomic step.
    AtomicActivation {
        name: "atomic-activation", kind: Variant,
        rules: ["R-003-MULTI-APARTMENT", "R-003-AUTO-SUSPEND"], source: "003_71d2d71f8f3a5043.txt (the helpers' stated purpose); no source documents the runtime's locking", applies: split_activation,
        when_toggled: "(counterfactual variant: no source says COM does this) the suspended check and the activation's CoAddRefServerProcess are one atomic step, as if COM held one lock across them",
    },
    /// Variant of R-SEEDS-UNLOAD-DELAY: Wine's candidate list (DllCanUnloadNow asked again on
    /// every sweep, the mark cleared on S_FALSE, no revival on use).
    WineCandidateList {
        name: "wine-candidate-list", kind: Variant,
        rules: ["R-SEEDS-UNLOAD-DELAY"], source: "Wine dlls/combase/apartment.c (apartment_freeunusedlibraries)", applies: inproc,
        when_toggled: "(variant) a sweep asks a candidate DllCanUnloadNow again, unmarks it on S_FALSE, frees it on S_OK after the delay; use through COM does not revive it",
        reference: always,
    },
    /// Condition of R-SEEDS-KB170915: client 1 has launch permission but no access permission,
    /// so COM launches the server for it and then refuses its activation with E_ACCESSDENIED.
    AccessDeniedClient {
        name: "access-denied-client", kind: Condition,
        rules: ["R-SEEDS-KB170915"], source: "Microsoft KB 170915, \"Incorrect Configuration Can Orphan COM Servers\" (checked facts)", applies: local,
        when_toggled: "(condition) client 1 has launch but not access permission: COM launches the server for its activation, the server registers, and COM's security check in the server process refuses the activation with E_ACCESSDENIED before it reaches the server's code",
        under_configurations: true,
    },
    /// Configuration of R-COM-SINGLEUSE: every class is registered with REGCLS_SINGLEUSE.
    RegclsSingleuse {
        name: "regcls-singleuse", kind: Configuration,
        rules: ["R-COM-SINGLEUSE"], source: "Microsoft, REGCLS enumeration (REGCLS_SINGLEUSE) and CoRevokeClassObject (spec/frameworks.md)", applies: own_registration,
        when_toggled: "(configuration) every class is registered with REGCLS_SINGLEUSE: once the SCM has handed an activation to an instance's class object, that instance gets no other activation and the next one launches a new instance",
    },
    /// Condition of R-COM-PING-GC: a client process may die while it holds references.
    ClientDeath {
        name: "client-death", kind: Condition,
        rules: ["R-COM-PING-GC"], source: "[MS-DCOM] 3.1.2.2, 3.2.2 (spec/frameworks.md §6)", applies: local,
        when_toggled: "(condition) a client process may die between two of its calls while it holds a reference (A-PING-GC); it then makes no call and observes nothing",
    },
    /// R-COM-PING-GC: COM's ping-based garbage collection releases a dead client's references
    /// after its time-out. Means something only under `client-death`.
    PingGarbageCollection {
        name: "ping-garbage-collection", kind: Mechanism,
        rules: ["R-COM-PING-GC"], source: "[MS-DCOM] 3.1.2.2, 3.2.2 (spec/frameworks.md §6)", applies: local,
        when_toggled: "a dead client's references are never released: no ping time-out runs its object and class-object stubs down (meaningful only with client-death)",
        needs: Some(Toggle::ClientDeath),
    },
    /// R-ATL70-MONITOR, R-ATL10-UNLOCK: ATL's `m_bDelayShutdown` (default true): `Unlock`
    /// reaching zero signals the monitor thread instead of posting WM_QUIT itself.
    DelayedShutdown {
        name: "delayed-shutdown", kind: Mechanism,
        rules: ["R-ATL70-MONITOR", "R-ATL10-UNLOCK"], source: ATL_SRC, applies: atl,
        when_toggled: "m_bDelayShutdown is false: Unlock reaching zero posts WM_QUIT to the main thread itself, with no monitor thread",
    },
    /// R-ATL70-MONITOR, R-WTL-MONITOR: the monitor thread of ATL 7.0–9.0 and WTL waits until
    /// `m_dwTimeOut` passes without a new signal and re-reads the count before posting WM_QUIT.
    MonitorRecheck {
        name: "monitor-recheck", kind: Mechanism,
        rules: ["R-ATL70-MONITOR", "R-WTL-MONITOR"], source: "ATL 7.0–9.0 atlbase.h CAtlExeModuleT::MonitorShutdown; WTL atlapp.h CServerAppModule::MonitorShutdown (spec/frameworks.md §1, §3)", applies: timed_monitor,
        when_toggled: "the monitor posts WM_QUIT on the first signal, without waiting m_dwTimeOut and re-reading the lock count (ATL 10.0's monitor on the module's count)",
    },
    /// R-ATL70-MONITOR (free-threaded build): the monitor calls CoSuspendClassObjects and
    /// re-reads the count before posting WM_QUIT.
    SuspendBeforeQuit {
        name: "suspend-before-quit", kind: Mechanism,
        rules: ["R-ATL70-MONITOR"], source: "ATL 7.0–9.0 atlbase.h CAtlExeModuleT::MonitorShutdown, #if … defined(_ATL_FREE_THREADED) (spec/frameworks.md §1)", applies: atl9_free_threaded,
        when_toggled: "the free-threaded monitor posts WM_QUIT after the time-out without CoSuspendClassObjects and the second read of the count (the apartment build's code)",
    },
    /// Variant of A-NETWORK (R-COM-STA-QUEUE): the textbook server's STAs dispatch waiting calls
    /// in any order instead of from a FIFO message queue in arrival order (the default, as COM
    /// posts calls to the apartment's hidden window; framework servers always queue).
    UnorderedDispatch {
        name: "unordered-dispatch", kind: Variant,
        rules: ["R-COM-STA-QUEUE"], source: "Microsoft, \"Single-Threaded Apartments\"; Raymond Chen, The Old New Thing 2008-04-24; Wine dlls/combase/rpc.c dispatch_rpc (spec/frameworks.md §6)", applies: textbook_local,
        when_toggled: "(variant) the textbook server's STAs dispatch waiting calls in any order instead of from a FIFO message queue in arrival order (A-NETWORK)",
        rechecks: Some("A-NETWORK"),
    },
    /// R-003-PROCESS-REFCOUNT applied to a framework's module (remedy for F-7, F-8, F-9): the
    /// module's `Lock`/`Unlock` call CoAddRefServerProcess/CoReleaseServerProcess, as ATL 10.0
    /// made them.
    ProcessCountLock {
        name: "process-count-lock", kind: Remedy,
        rules: ["R-003-PROCESS-REFCOUNT", "R-ATL10-UNLOCK"], source: "003_71d2d71f8f3a5043.txt; ATL 10.0 atlbase.h CAtlExeModuleT::Lock/Unlock (spec/frameworks.md §1)", applies: module_count,
        when_toggled: "(remedy for F-7, F-8, F-9) the module's Lock and Unlock call CoAddRefServerProcess and CoReleaseServerProcess instead of counting in the module (ATL 10.0's change; for WTL and MFC an override in the project), so COM suspends the class objects when the count reaches zero",
        reference: always,
        code_shape: Some("make the module's Lock call CoAddRefServerProcess and its Unlock CoReleaseServerProcess instead of counting in the module (ATL 10.0's CAtlExeModuleT::Lock/Unlock; in an ATL 7.0-9.0 or WTL project an override of Lock/Unlock in the module class; in MFC the same around AfxOleLockApp/AfxOleUnlockApp), so COM suspends the class objects when the count reaches zero"),
    },
    /// Variant of A-SCM-EXITED (unsourced): an activation the SCM forwarded to a registered
    /// instance whose process exited before it arrived comes back RPC_S_SERVER_UNAVAILABLE, and
    /// the SCM returns that failure to the client instead of launching a new instance.
    ExitedInstanceFails {
        name: "exited-instance-fails", kind: Variant,
        rules: ["R-003-SCM-RELAUNCH"], source: "no source: A-SCM-EXITED (spec/assumptions.md) names both outcomes", applies: local,
        when_toggled: "(variant of an unsourced assumption) an activation forwarded to an instance whose process exited before it arrived fails to the client with RPC_S_SERVER_UNAVAILABLE; the SCM does not launch a new instance for it",
    },
    /// Variant of A-SCM-LAUNCH (unsourced for Windows): the SCM keeps its launches in progress
    /// per CLSID, so an activation for a class that is neither registered nor awaited from the
    /// instance launched for it launches another instance, even while an instance launched for
    /// another class of the same server is starting.
    PerClsidLaunch {
        name: "per-clsid-launch", kind: Variant,
        rules: ["R-003-SCM-RELAUNCH"], source: "no source for Windows: A-SCM-LAUNCH (spec/assumptions.md) names both outcomes; Microsoft, \"Registering a Running EXE Server\" (the class table is looked up per CLSID); Wine dlls/combase/rpc.c rpc_get_local_class_object launches per activation", applies: multi_class,
        when_toggled: "(variant of an unsourced assumption) a launched instance is awaited only for the class it was launched for: an activation for another class that is not registered (never, or revoked by an exiting instance) launches one more instance instead of waiting for the one that is starting",
    },
    /// Box's remedy, as he wrote it (Essential COM ch. 6; MSJ January 1997; remedy for F-4,
    /// F-8): once `Unlock` has seen the count reach zero it sets a shutdown flag (his
    /// `g_heventShutdown`), and `IClassFactory::CreateInstance` returns CO_E_SERVER_STOPPING
    /// while the flag is set. The flag is set one step after the decrement.
    StoppingFlag {
        name: "stopping-flag", kind: Remedy,
        rules: ["R-SEEDS-BOX-STOPPING"], source: "Don Box, Essential COM (1998) ch. 6; ActiveX/COM Q&A, Microsoft Systems Journal, January 1997", applies: split_activation,
        when_toggled: "(remedy for F-4, F-8, as Box wrote it) Unlock sets a shutdown flag once the count is zero (one step after the decrement), and IClassFactory::CreateInstance returns CO_E_SERVER_STOPPING while it is set",
        code_shape: Some("as Box printed it: in Unlock, when CoReleaseServerProcess returns 0, set a shutdown event; in IClassFactory::CreateInstance, return CO_E_SERVER_STOPPING when it is set (Box, Essential COM ch. 6; no lock)"),
    },
    /// Box's remedy under one server lock (remedy for F-4, F-8): the decrement to zero (or the
    /// monitor's decision) sets the flag under the lock that `CreateInstance` holds across its
    /// check of the flag and the new object's `Lock`.
    StoppingFlagLocked {
        name: "stopping-flag-locked", kind: Remedy,
        rules: ["R-SEEDS-BOX-STOPPING"], source: "Don Box, Essential COM (1998) ch. 6; MSJ January 1997; the lock is the developer's (e.g. an override of CAtlExeModuleT::Unlock and of the class factory's CreateInstance)", applies: split_activation,
        when_toggled: "(remedy for F-4, F-8, under one lock) the decrement to zero (ATL 7-9: the monitor's decision) sets the shutdown flag under a server lock that IClassFactory::CreateInstance holds across its check of the flag and the new object's Lock",
        reference: always,
        code_shape: Some("in IClassFactory::CreateInstance, under the lock that Unlock takes when it decides to exit (and sets a shutdown flag), return CO_E_SERVER_STOPPING when the flag is set, and hold the lock across the new object's Lock (Box, Essential COM ch. 6; in ATL an override of the module's Unlock and a custom class factory)"),
    },
    /// Condition of R-MFC-LOCKAPP (b): a modal dialog (a dialog's DoModal, AfxMessageBox)
    /// disables the main window for a while, during which the STA's modal loop keeps
    /// dispatching COM calls.
    ModalDialog {
        name: "modal-dialog", kind: Condition,
        rules: ["R-MFC-LOCKAPP"], source: "MFC olelock.cpp AfxOleOnReleaseAllObjects (\"destroy the main window (only if enabled)\"), MFC 7.0-14.x (spec/frameworks.md §5)", applies: mfc,
        when_toggled: "(condition) once the instance has served a client, a modal dialog (DoModal, AfxMessageBox) may come up and later return; while it is up the main window is disabled and the STA's modal loop keeps dispatching COM calls",
    },
    /// Remedy for F-10: the code that shows the modal dialog saves `AfxOleGetUserCtrl()` and,
    /// when the dialog returns with it saved FALSE, restores it with `AfxOleSetUserCtrl(FALSE)`
    /// and calls `AfxOleOnReleaseAllObjects()` if `AfxOleCanExitApp()` (the count is zero).
    RecheckAfterModal {
        name: "recheck-after-modal", kind: Remedy,
        rules: ["R-MFC-LOCKAPP"], source: "MFC olelock.cpp AfxOleSetUserCtrl, AfxOleCanExitApp, AfxOleOnReleaseAllObjects (spec/frameworks.md §5)", applies: mfc,
        when_toggled: "(remedy for F-10) the code that shows the modal dialog saves AfxOleGetUserCtrl() before it and, when the dialog returns with the flag saved FALSE, calls AfxOleSetUserCtrl(FALSE) and, if AfxOleCanExitApp(), AfxOleOnReleaseAllObjects() (meaningful only with modal-dialog)",
        needs: Some(Toggle::ModalDialog),
        code_shape: Some("around a modal dialog (DoModal, AfxMessageBox): save AfxOleGetUserCtrl() before it; when it returns, if the saved flag was FALSE, call AfxOleSetUserCtrl(FALSE) and, if AfxOleCanExitApp(), AfxOleOnReleaseAllObjects() (the shutdown MFC skipped while the window was disabled)"),
    },
    /// Condition of R-MFC-CLOSE: once the instance (launched for a client) has served it, the
    /// user opens a document (`COleLinkingDoc::OnNewDocument` calls `AfxOleSetUserCtrl(TRUE)`;
    /// the document's constructor calls `AfxOleLockApp`) and later closes the main frame
    /// (`CFrameWnd::OnClose`).
    UserTakesControl {
        name: "user-takes-control", kind: Condition,
        rules: ["R-MFC-CLOSE"], source: MFC_CLOSE_SRC, applies: mfc,
        when_toggled: "(condition) once instance 1 has served a client, the user opens a document (AfxOleSetUserCtrl(TRUE); the document's AfxOleLockApp) and may later close the main frame (CFrameWnd::OnClose: hide and serve on while objects remain, else DestroyWindow and AfxPostQuitMessage)",
    },
    /// R-MFC-CLOSE: `CFrameWnd::OnClose` checks `AfxOleCanExitApp()` once the documents are
    /// closed and, with objects outstanding, hides and serves on instead of destroying the
    /// main window.
    CloseChecksObjects {
        name: "close-checks-objects", kind: Mechanism,
        rules: ["R-MFC-CLOSE"], source: MFC_CLOSE_SRC, applies: mfc,
        when_toggled: "CFrameWnd::OnClose does not check AfxOleCanExitApp(): closing the frame always destroys the main window, whose OnNcDestroy calls AfxPostQuitMessage, with a client's object outstanding",
        needs: Some(Toggle::UserTakesControl),
    },
    /// Condition of R-WTL-USER-START: instance 1 is started by the user (no `/Embedding`): the
    /// AppWizard's WinMain starts the monitor and registers the class objects as for a client,
    /// then `Run()` opens the main window, and the user closes it later.
    UserStarted {
        name: "user-started", kind: Condition,
        rules: ["R-WTL-USER-START"], source: WTL_WIZARD_SRC, applies: wtl,
        when_toggled: "(condition) instance 1 is started by the user: it starts the monitor and registers its class objects as for a client, opens its main window, and the user may close the window later",
    },
    /// R-WTL-USER-START: the AppWizard's `Run()` of a COM server calls `_Module.Lock()` once
    /// the main window exists (root.cpp), and the window's `OnDestroy` calls
    /// `_Module.Unlock()` (Frame.h): while the user's window is open the count is not zero.
    FrameLocksModule {
        name: "frame-locks-module", kind: Mechanism,
        rules: ["R-WTL-USER-START"], source: WTL_WIZARD_SRC, applies: wtl,
        when_toggled: "Run() does not call _Module.Lock() for the main window (nor OnDestroy _Module.Unlock()): a COM client's last release lets the monitor post WM_QUIT to the instance the user works in",
        needs: Some(Toggle::UserStarted),
    },
}

const S002_LOCAL: &str = "002_04beec619a32ce82.txt (Local Server)";
const S002_INPROC: &str =
    "002_04beec619a32ce82.txt (In-Process Server; Local Server, last paragraph)";
const S003: &str = "003_71d2d71f8f3a5043.txt";
const SEEDS_FREE: &str = "checked facts (CoFreeUnusedLibrariesEx: Microsoft's page, Wine)";
const MFC_CLOSE_SRC: &str = "MFC winfrm.cpp CFrameWnd::OnClose, olelink.cpp COleLinkingDoc::OnNewDocument, oledoc1.cpp COleDocument (spec/frameworks.md §5)";
const WTL_WIZARD_SRC: &str = "WTL 10 AppWizard templates root.cpp (WinMain, Run) and Frame.h (OnDestroy) (spec/frameworks.md §3)";

const ATL_SRC: &str =
    "ATL atlbase.h CAtlExeModuleT::Unlock, MonitorShutdown, 7.0–14.32 (spec/frameworks.md §1)";

fn never(_: Scenario) -> bool {
    false
}
fn always(_: Scenario) -> bool {
    true
}

fn local(s: Scenario) -> bool {
    s.is_local()
}
/// A local server with more than one class (`local-multi-sta`).
fn multi_class(s: Scenario) -> bool {
    s.is_local() && s.classes() > 1
}
fn multi_apartment(s: Scenario) -> bool {
    s.is_local() && s.apartments() > 1
}
/// A local server of seeds 002 and 003 (`local-sta`, `local-multi-sta`), not a framework's.
fn textbook_local(s: Scenario) -> bool {
    s.is_local() && s.framework().is_none()
}
/// A local server whose count is COM's process count by its own code: the textbook servers,
/// ATL 10.0 and later (`Lock` = CoAddRefServerProcess) and WRL (`IncrementObjectCount` =
/// CoAddRefServerProcess).
fn process_count_code(s: Scenario) -> bool {
    textbook_local(s)
        || matches!(
            s,
            Scenario::Atl14Sta | Scenario::Atl14Mta | Scenario::WrlMta
        )
}
fn registers_suspended(s: Scenario) -> bool {
    process_count_code(s) || matches!(s, Scenario::Atl9Mta | Scenario::WtlSta)
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

impl Toggle {
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

    /// Whether the matrix also runs every mechanism disabled on top of this remedy or variant in
    /// `scenario` ([`crate::com::toggle_set::matrix_runs`]): true where a finding breaks, in the
    /// baseline, the properties that show the other mechanisms necessary (F-3, F-4, F-6), so the
    /// reference for those mechanisms is the run with the remedy, or the variant under which the
    /// finding does not arise. `recheck-after-revoke` is a reference only in multi-apartment
    /// servers: in a free-threaded server F-4's window opens before any of the server's code
    /// runs, so the remedy does not repair it there (spec/findings.md F-4).
    pub fn is_reference(self, scenario: Scenario) -> bool {
        (self.def().reference)(scenario)
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
        if self != Toggle::RegclsSingleuse {
            return None;
        }
        match scenario.framework() {
            // WRL's Module<OutOfProc>::RegisterCOMObject is virtual: a server overrides it to
            // register REGCLS_SINGLEUSE (OpenConsole's OutOfProcModuleWithRegistrationFlag,
            // microsoft/terminal src/host/exe/exemain.cpp), which a description states in its
            // class's regcls (the layout's single-use classes, not a matrix configuration).
            Some(Framework::Mfc) | Some(Framework::Wrl) | None => None,
            Some(_) => Some(
                "ATL and WTL register REGCLS_MULTIPLEUSE in fixed framework code (CAtlExeModuleT::PreMessageLoop, RegisterClassObjects); REGCLS_SINGLEUSE would be your override of the framework, not the framework: describe it as a textbook server",
            ),
        }
    }

    /// For a remedy, the code a developer writes to apply it, in a sentence: the override, the
    /// call or the lock (spec/findings.md gives the full form); `None` for every other kind.
    pub fn code_shape(self) -> Option<&'static str> {
        self.def().code_shape
    }

    /// Whether the mechanism means anything in `scenario`.
    pub fn applies_to(self, scenario: Scenario) -> bool {
        (self.def().applies)(scenario)
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, Toggle};

    /// Every remedy says what a developer writes; no other toggle does.
    #[test]
    fn remedies_and_only_remedies_have_a_code_shape() {
        for t in Toggle::ALL {
            match (t.kind(), t.code_shape()) {
                (Kind::Remedy, Some(s)) => assert!(s.len() > 40, "{}", t.name()),
                (Kind::Remedy, None) => panic!("remedy {} has no code_shape", t.name()),
                (_, Some(_)) => panic!("{} is not a remedy but has a code_shape", t.name()),
                (_, None) => {}
            }
        }
    }
}
