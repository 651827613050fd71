//! A local (EXE) server process: its COM runtime (class table with REGCLS flags and the
//! suspended state, the process reference count, stubs of marshaled objects and class
//! objects), its apartment threads, and the interactive user (seed 002 "Local Server",
//! seed 003).
//!
//! Each internal step ([`ServerStep`]) and each dispatch of an incoming call is one atomic
//! step (spec/assumptions.md A-ATOMIC), except that in a server with several apartments an
//! activation is two steps: the COM runtime's suspended check, then marshaling with its
//! CoAddRefServerProcess ([`ServerStep::FinishActivation`]). An incoming call is dispatched only
//! by the apartment that owns its target, and only while that apartment's thread sits idle in
//! its message loop: until then the call stays queued (the network keeps it). A call on a stub
//! the server disconnected is answered by COM's RPC layer at once.

use crate::com::config::{Clsid, Config, ExitDecision, Teardown};
use crate::com::framework::{Framework, MonitorKind, OnZero};
use crate::com::hresult::Hresult;
use crate::com::msg::Sends;
use crate::com::msg::{ActKind, Msg, ObjId};
use crate::com::scenario::Scenario;
use crate::com::toggles::Toggle;
use serde::Serialize;
use smallvec::{smallvec, SmallVec};
use stateright::actor::Id;
use std::fmt;

/// The server's answer to the SCM for an activation of `clsid` for `client`.
fn activated(client: u8, clsid: Clsid, kind: ActKind, hr: Hresult, obj: Option<ObjId>) -> Msg {
    Msg::Activated {
        client,
        clsid,
        kind,
        hr,
        obj,
    }
}

/// Whether COM's security check in the server process refuses `msg`: an activation for a
/// client without access permission (`access-denied-client`, R-SEEDS-KB170915). The check runs
/// on the RPC thread that receives the call, before any apartment dispatches it.
fn refused(cfg: &Config, msg: &Msg) -> bool {
    matches!(msg, Msg::Activate { client, .. } if cfg.access_denied(*client))
}

/// Whether the server's threads have explicit FIFO message queues: every local server (COM
/// posts incoming calls to an STA's hidden window, R-COM-STA-QUEUE; a framework's WM_QUIT
/// ordering depends on it, R-COM-QUIT-ORDER), except a textbook server under the
/// `unordered-dispatch` variant.
pub fn queued(cfg: &Config) -> bool {
    cfg.scenario.framework().is_some() || !cfg.on(Toggle::UnorderedDispatch)
}

/// Whether incoming calls go through an STA's queue: queued servers except free-threaded ones,
/// whose calls run on RPC threads (R-COM-STA-QUEUE: "An MTA has no such queue").
fn queues_calls(cfg: &Config) -> bool {
    queued(cfg) && !cfg.free_threaded()
}

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

/// What a thread waits for from the SCM (registration and revocation are synchronous calls).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ScmCall {
    /// CoRegisterClassObject (without REGCLS_SUSPENDED) or CoResumeClassObjects.
    Register,
    /// CoRevokeClassObject of a class the SCM knows, as the thread leaves its message loop.
    Revoke,
    /// CoRevokeClassObject called inside a dispatch, after which the thread returns to its
    /// message loop: MFC's `AfxPostQuitMessage` → `AfxOleTerm(TRUE)` →
    /// `COleObjectFactory::RevokeAll` (R-MFC-LOCKAPP).
    RevokeInLoop,
}

/// (MFC, condition `modal-dialog`) a modal dialog that disables the main window while the STA's
/// modal loop dispatches COM calls (R-MFC-LOCKAPP (b)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum Dialog {
    /// No modal dialog has come up.
    #[default]
    None,
    /// A modal dialog is up: `IsWindowEnabled()` on the main window is FALSE.
    Up {
        /// `AfxOleGetUserCtrl()` when it came up (what `recheck-after-modal` saves).
        user_ctrl_before: bool,
    },
    /// The modal dialog returned (at most one per instance, A-BOUNDS).
    Returned,
}

/// Box's shutdown flag (`stopping-flag`, `stopping-flag-locked`; R-SEEDS-BOX-STOPPING): once set,
/// the server's `IClassFactory::CreateInstance` returns CO_E_SERVER_STOPPING.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum Stopping {
    /// Not shutting down (or the remedy is off).
    #[default]
    Clear,
    /// `Unlock` saw the count reach zero (or the monitor decided) and has yet to set the flag:
    /// the window of the unlocked form ([`ServerStep::SetStoppingFlag`]).
    Pending,
    /// The flag is set.
    Set,
}

/// Where an apartment thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum AptPhase {
    /// Initialising; has not called CoRegisterClassObject.
    Init,
    /// Registered its class with REGCLS_SUSPENDED and waits to call CoResumeClassObjects
    /// (apartment 0 only).
    Registered,
    /// Blocked in a synchronous call to the SCM; dispatches nothing until it returns.
    Waiting(ScmCall),
    /// In its message loop, dispatching calls.
    Loop,
    /// Left its message loop. Under Windows CoUninitialize's modal loop dispatches what is
    /// still queued (A-QUEUE); under Wine the thread has yet to reach CoUninitialize's
    /// `apartment_release` ([`ServerStep::Uninitialize`]), and a call that arrives is posted
    /// to the apartment's window and waits, never dispatched (R-WINE-TEARDOWN).
    Done,
    /// (Wine) Past CoUninitialize's `apartment_release` ([`ServerStep::Uninitialize`]): with
    /// nothing queued the apartment is destroyed and a call that reaches it gets
    /// RPC_E_DISCONNECTED; with a call queued, whose RPC thread holds the apartment, it stays,
    /// and calls keep queueing until the process exits (R-WINE-TEARDOWN).
    Uninitialized,
}

impl AptPhase {
    /// Whether the thread has left its message loop (for good).
    pub fn left_loop(self) -> bool {
        matches!(self, AptPhase::Done | AptPhase::Uninitialized)
    }
}

/// What an apartment thread in its message loop is busy with between two of its steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum AptWork {
    /// Idle in its message loop: it dispatches the next call.
    Idle,
    /// In a final-release handler: the count reached zero and the thread has yet to act on it
    /// ([`ServerStep::FinishRelease`]).
    FinalRelease,
    /// Dispatching an activation that passed COM's suspended check and is not yet marshaled
    /// ([`ServerStep::FinishActivation`]).
    Activating {
        /// The client.
        client: u8,
        /// The class.
        clsid: Clsid,
        /// Class object or instance.
        kind: ActKind,
    },
}

/// One apartment thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Apartment {
    /// Its phase.
    pub phase: AptPhase,
    /// What it is busy with in its message loop.
    pub work: AptWork,
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

/// An object instance whose stub is connected (an object disconnected by CoDisconnectObject
/// is run down and freed, so it is not kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Object {
    /// Its id within the process.
    pub id: ObjId,
    /// Its class.
    pub clsid: Clsid,
    /// Clients holding a proxy to it beyond the first: 0 for an ordinary object (one client
    /// each); for a singleton class object's object (`factory = "singleton"`), every further
    /// client's CreateInstance adds one and its Release takes one away, and only the last
    /// Release is the object's final release (VBoxSVC's VirtualBoxObjectCached; A-SINGLETON).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_holders: u8,
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

impl UserState {
    /// Whether the user works in the instance: a document or the main window the user opened
    /// is still open. In the textbook server this is the user-control flag; MFC also sets its
    /// flag (`AfxOleSetUserCtrl(TRUE)`, "avoid re-entry") when it shuts down, which is not the
    /// user's work.
    pub fn working(&self) -> bool {
        self.opened && !self.closed
    }
}

/// A message in an STA's FIFO message queue (R-COM-STA-QUEUE): an incoming COM call that COM's
/// RPC thread posted to the apartment's hidden window, or a WM_QUIT posted with
/// `PostThreadMessage` (R-COM-QUIT-ORDER).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Queued {
    /// An incoming call from `from` (a client, or the SCM for an activation).
    Call {
        /// The caller, which gets the reply.
        from: Id,
        /// The call.
        msg: Msg,
    },
    /// WM_QUIT, posted with `PostThreadMessage(m_dwMainThreadID, WM_QUIT, 0, 0)`.
    Quit,
}

impl Queued {
    /// The message in COM terms: the call, or "WM_QUIT (PostThreadMessage)".
    pub fn text(&self) -> String {
        match self {
            Queued::Call { msg, .. } => format!("{msg:?}"),
            Queued::Quit => "WM_QUIT (PostThreadMessage)".to_string(),
        }
    }
}

/// Where a framework's monitor thread is (`CAtlExeModuleT::MonitorShutdown`,
/// `CServerAppModule::MonitorShutdown`; R-ATL70-MONITOR, R-ATL10-UNLOCK).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum Monitor {
    /// Waiting for the shutdown event with INFINITE time-out.
    #[default]
    Waiting,
    /// Signalled once: waiting again with the `m_dwTimeOut` time-out, `m_bActivity` cleared.
    Timing,
    /// (free-threaded ATL 7.0–9.0) Timed out with the count at zero and called
    /// CoSuspendClassObjects; about to re-read the count.
    Rechecking,
    /// (apartment build) Timed out and read the count as zero: it leaves its loop and is about
    /// to call `PostThreadMessage(WM_QUIT)`. The server has decided to shut down.
    Posting,
    /// Posted WM_QUIT to the main thread and returned.
    Done,
}

/// A server process slot's state.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ServerState {
    /// Not started, running or exited.
    pub status: ProcStatus,
    /// Apartment threads; apartment `a` registers the classes [`Config::classes_of`] gives it.
    pub apartments: SmallVec<[Apartment; 3]>,
    /// Class-table entries, indexed by CLSID.
    pub classes: SmallVec<[ClassReg; 3]>,
    /// Whether every class became available (registered, and resumed under REGCLS_SUSPENDED)
    /// at some point. Never reset.
    pub ready: bool,
    /// Whether CoSuspendClassObjects is in effect (automatically or explicitly).
    pub suspended: bool,
    /// The lifetime count the server decides on: the CoAddRefServerProcess count, or its own
    /// counter when `process-refcount` is disabled. Bounded by objects + locks + 1 ≤ 2 ×
    /// clients + 1.
    pub count: u8,
    /// Outstanding server-side LockServer(TRUE) calls (implicit and remoted).
    pub locks: u8,
    /// Objects whose stubs are connected.
    pub objects: SmallVec<[Object; 4]>,
    /// Last object id handed out.
    pub last_obj: ObjId,
    /// Marshaled IClassFactory proxies held by clients, per class: the references the class
    /// object's stubs hold on it, which the class object's own reference count shows.
    pub factory_proxies: SmallVec<[u8; 3]>,
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
    /// Whether a client's call through a proxy (CreateInstance, LockServer or a method call)
    /// failed at this instance although the user had not closed it: a client was left with a
    /// dead proxy by an automatic shutdown.
    pub stranded_client: bool,
    /// The interactive user.
    pub user: UserState,
    /// Whether the user sits at this instance: in scenarios with a user, at the first
    /// instance only (spec/assumptions.md A-BOUNDS). Constant for a slot.
    pub user_present: bool,
    /// Per apartment, its FIFO message queue, head first: used by framework servers and under
    /// the FIFO default (for a free-threaded framework server, queue 0 is the main thread's
    /// and only ever holds WM_QUIT). Empty otherwise: calls then wait in the network.
    pub queues: Vec<Vec<Queued>>,
    /// (MFC) `PostQuitMessage` was called: the main thread's `GetMessage` returns WM_QUIT once
    /// its queue is empty (R-COM-QUIT-ORDER).
    pub quit_requested: bool,
    /// The shutdown event is set: (ATL, WTL) the monitor's auto-reset `m_hEventShutdown`;
    /// (WRL) the event the release notifier sets and the main thread waits on.
    pub event: bool,
    /// (ATL, WTL) the monitor thread.
    pub monitor: Monitor,
    /// (free-threaded framework servers) activations that passed COM's suspended check on an
    /// RPC thread and are not yet marshaled: client, class, kind, sorted. At most one per
    /// client.
    pub rpc_activations: Vec<(u8, Clsid, ActKind)>,
    /// The shutdown flag of Box's remedy (`stopping-flag`, `stopping-flag-locked`); `Clear` otherwise.
    pub stopping: Stopping,
    /// (MFC, `modal-dialog`) the modal dialog.
    pub dialog: Dialog,
    /// (`exit = "windows"`) Top-level windows open: one per method call that opened one
    /// (`call_opens_window`), so at most clients × create_instance (A-BOUNDS); the user closes
    /// them (A-WINDOWS-EXIT).
    #[serde(skip_serializing_if = "is_zero")]
    pub windows: u8,
    /// (`idle_timer`) The idle timer is running: armed at an SCM launch (`-Embedding`), stopped
    /// when the first window opens (A-IDLE-TIMER).
    #[serde(skip_serializing_if = "is_false")]
    pub idle_timer: bool,
    /// (`self_hold`) The reference the server took on its own count when the process started
    /// is still held (CoAddRefServerProcess before registering; A-SELF-HOLD).
    #[serde(skip_serializing_if = "is_false")]
    pub self_hold: bool,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An internal step of a server process: a thread's COM API call or a user action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ServerStep {
    /// Apartment thread calls `CoRegisterClassObject(CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE
    /// [| REGCLS_SUSPENDED])` for its class.
    Register(u8),
    /// The main thread calls `CoResumeClassObjects`.
    Resume,
    /// Second half of a dispatched activation: COM marshals the class object (with the
    /// implicit LockServer(TRUE)) or has the class object create the instance and marshals it;
    /// either calls CoAddRefServerProcess.
    FinishActivation(u8),
    /// Second half of a final-release handler: revoke this apartment's class object and leave
    /// the message loop (and call `CoSuspendClassObjects` when the server keeps its own count).
    FinishRelease(u8),
    /// Apartment thread, told to shut down, calls `CoRevokeClassObject` and leaves its loop.
    Revoke(u8),
    /// (`recheck-after-revoke`) every class is revoked and the count is zero again: the main
    /// thread tells every thread to leave its message loop.
    Quit,
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
    /// The apartment's message loop retrieves the call at the head of its queue and dispatches
    /// it (R-COM-STA-QUEUE).
    Dispatch(u8),
    /// The main thread's `GetMessage` returns WM_QUIT: posted at the head of its queue, or
    /// (after `PostQuitMessage`) because the queue is empty. The loop ends; the framework's
    /// `PostMessageLoop` revokes the class objects (R-COM-QUIT-ORDER).
    GetQuit,
    /// The monitor thread wakes on the shutdown event (auto-reset) and starts waiting
    /// `m_dwTimeOut` with `m_bActivity` cleared (timed monitor).
    MonitorWake,
    /// `m_dwTimeOut` passes with no new signal: the monitor reads the lock count (timed
    /// monitor).
    MonitorTimeout,
    /// After CoSuspendClassObjects the monitor reads the lock count again (free-threaded
    /// ATL 7.0–9.0).
    MonitorRecheck,
    /// The monitor posts WM_QUIT to the main thread: on waking (ATL 10.0 and later), or after
    /// its time-out read the count as zero (ATL 7.0–9.0 and WTL, apartment build).
    MonitorPost,
    /// An RPC thread finishes the `i`-th (from 0) of the activations running in a
    /// free-threaded server ([`ServerState::rpc_activations`], kept sorted): the class object
    /// creates the instance (its constructor calls `Lock`) or is marshaled with the implicit
    /// LockServer(TRUE). Numbering by position, not by client, keeps the enabled steps the same
    /// under a renaming of clients (spec/assumptions.md A-SYMMETRY).
    FinishRpc(u8),
    /// (`stopping-flag`) the thread whose `Unlock` saw the count reach zero sets the shutdown
    /// flag, one step after the decrement.
    SetStoppingFlag,
    /// (MFC, `modal-dialog`) a modal dialog comes up (DoModal, AfxMessageBox): the main window
    /// is disabled; the dialog's modal loop keeps dispatching COM calls.
    ModalOpen,
    /// (MFC, `modal-dialog`) the modal dialog returns; with `recheck-after-modal` its caller
    /// re-runs `AfxOleOnReleaseAllObjects` if the count is zero.
    ModalReturn,
    /// (WRL) the main thread's wait on the event the release notifier set returns, and it
    /// calls `Module::UnregisterObjects`: CoRevokeClassObject for each class (R-WRL-NOTIFIER).
    WaitReturns,
    /// (`idle_timer`) The idle timer ticks with no window open: `PostQuitMessage(0)` (Windows
    /// Terminal's `_handoffTimeoutTimer` Tick → `_postQuitMessageIfNeeded`, WindowEmperor.cpp
    /// lines 600–609, 1074–1083; A-IDLE-TIMER).
    IdleTimerTick,
    /// (`exit = "windows"`) The user closes a top-level window; when none is left the window
    /// code calls `PostQuitMessage(0)` (WindowEmperor.cpp lines 1181–1183; A-WINDOWS-EXIT).
    UserCloseWindow,
    /// (`self_hold`) The main thread releases the reference the server took on itself when
    /// it started: CoReleaseServerProcess, which may be the final release (the DesktopToasts
    /// sample's `DecrementObjectCount`; A-SELF-HOLD). When it happens is the server's choice:
    /// any moment the main thread is idle in its loop.
    ReleaseSelfHold,
    /// (`registration = "conditional"`) The main thread, before registering anything, finds
    /// that its condition does not allow it and ends the process (Windows Terminal: another
    /// instance holds the single-instance mutex, the command line is handed to it, and
    /// `TerminateProcess`; WindowEmperor.cpp lines 536–544; A-CONDITIONAL-REGISTRATION).
    ExitUnregistered,
    /// (`idle_timer` with `exit = "count"`, remedy for F-11) The one-shot timer a textbook server started
    /// when the SCM launched it ticks while no client holds a reference on the server: its
    /// handler calls CoAddRefServerProcess and CoReleaseServerProcess, which returns 0: COM
    /// suspends the class objects and the server shuts down as on a final release
    /// (A-STARTUP-TIMER).
    StartupTimerTick,
    /// (Wine) Apartment thread `a`, out of its message loop, calls CoUninitialize, which
    /// releases the apartment (`leave_apartment` → `apartment_release`, dlls/combase/
    /// apartment.c lines 1155–1165, 446–546) without dispatching anything: from now on a call
    /// that reaches the apartment with nothing queued gets RPC_E_DISCONNECTED
    /// (R-WINE-TEARDOWN). Under Windows CoUninitialize is part of [`ServerStep::Exit`], its
    /// modal loop [`ServerStep::Dispatch`] (A-QUEUE).
    Uninitialize(u8),
}

impl ServerStep {
    /// Every step a server with `apartments` threads can take.
    pub fn all(apartments: usize) -> Vec<ServerStep> {
        let mut v = Vec::new();
        for a in 0..apartments as u8 {
            v.extend([
                ServerStep::Register(a),
                ServerStep::FinishActivation(a),
                ServerStep::FinishRelease(a),
                ServerStep::Revoke(a),
                ServerStep::Dispatch(a),
            ]);
        }
        v.extend((0..crate::com::config::MAX_CLIENTS as u8).map(ServerStep::FinishRpc));
        v.extend([
            ServerStep::SetStoppingFlag,
            ServerStep::ModalOpen,
            ServerStep::ModalReturn,
            ServerStep::GetQuit,
            ServerStep::MonitorWake,
            ServerStep::MonitorTimeout,
            ServerStep::MonitorRecheck,
            ServerStep::MonitorPost,
            ServerStep::Resume,
            ServerStep::Quit,
            ServerStep::Exit,
            ServerStep::IdleZeroCheck,
            ServerStep::UserOpenDocument,
            ServerStep::UserClose,
            ServerStep::UserCloseHide,
            ServerStep::UserCloseDisconnect,
            ServerStep::WaitReturns,
            ServerStep::IdleTimerTick,
            ServerStep::UserCloseWindow,
            ServerStep::ReleaseSelfHold,
            ServerStep::ExitUnregistered,
            ServerStep::StartupTimerTick,
        ]);
        v.extend((0..apartments as u8).map(ServerStep::Uninitialize));
        v
    }

    /// The step as a one-line COM phrase told with the server's state `before` it, so that it
    /// says which case happened where [`ServerStep::phrase`] (the action alone) cannot: for
    /// [`ServerStep::FinishRpc`], whether the RPC thread's class object created an object
    /// (its constructor calls `Lock`), refused with CO_E_SERVER_STOPPING (Box's shutdown flag,
    /// R-SEEDS-BOX-STOPPING), or COM marshaled the class object with or without the implicit
    /// LockServer(TRUE) (R-003-IMPLICIT-LOCK); for [`ServerStep::FinishRelease`] and
    /// [`ServerStep::Revoke`], the teardown the server's code does (the main thread woken by an
    /// object's destructor under `exit = "first-object-destroyed"`, a bare CoUninitialize
    /// under `revoke = false`). In a framework server [`ServerStep::Quit`] is the main thread
    /// returning from `WinMain`, and in WRL the module's count is
    /// `IncrementObjectCount`/`DecrementObjectCount` (R-WRL-COUNT). Other steps read as
    /// [`ServerStep::phrase`].
    pub fn phrase_in(self, cfg: &Config, before: &ServerState) -> String {
        if self == ServerStep::SetStoppingFlag && cfg.scenario.framework() == Some(Framework::Wrl) {
            return "the thread whose DecrementObjectCount saw the count reach zero sets the shutdown flag (CreateInstance now returns CO_E_SERVER_STOPPING)".to_string();
        }
        if self == ServerStep::Quit && cfg.scenario.framework().is_some() {
            return "the main thread, waiting again after revoking, finds the count zero again and returns from WinMain (recheck-after-revoke)".to_string();
        }
        let revoke = if cfg.layout.revoke {
            "CoRevokeClassObject"
        } else {
            "CoUninitialize, which revokes the class objects still registered (A-UNINIT-REVOKES)"
        };
        let i = match self {
            ServerStep::FinishRpc(i) => i,
            ServerStep::FinishRelease(_) if !cfg.layout.counts() => {
                return format!(
                    "the main thread's WaitForSingleObject returns (an object's destructor set the event): it calls CloseHandle, then {revoke}, and leaves"
                )
            }
            ServerStep::FinishRelease(a) if !cfg.layout.revoke => {
                return format!(
                    "apartment {} acts on the final release: it leaves its message loop and calls {revoke}",
                    a + 1
                )
            }
            ServerStep::Revoke(a) if !cfg.layout.revoke => {
                return format!("apartment {} calls {revoke}", a + 1)
            }
            ServerStep::IdleZeroCheck if cfg.layout.polls_count() => {
                return "the surrogate's CoFreeUnusedLibraries calls DllCanUnloadNow, which returns S_OK (the DLL's count is zero): the DLL is unloaded, COM calls ISurrogate::FreeSurrogate, and the surrogate calls CoRevokeClassObject to exit".to_string()
            }
            ServerStep::GetQuit if cfg.scenario.framework().is_none() => {
                let after = match cfg.layout.teardown {
                    Teardown::Uninitialize => format!("it calls {revoke}, then CoUninitialize"),
                    Teardown::TerminateProcess => {
                        "it calls TerminateProcess(GetCurrentProcess(), 0): no CoRevokeClassObject, no CoUninitialize".to_string()
                    }
                };
                return format!(
                    "the main thread's GetMessage returns WM_QUIT (PostQuitMessage, queue empty): the message loop ends and {after}"
                );
            }
            _ => return self.phrase(),
        };
        let Some(&(client, clsid, kind)) = before.rpc_activations.get(i as usize) else {
            return self.phrase();
        };
        let what = crate::com::names::activation_name(client, clsid, kind);
        let outcome = match kind {
            ActKind::Instance if before.check_stopping().is_err() => {
                "the class object's CreateInstance returns CO_E_SERVER_STOPPING (the shutdown flag is set): nothing is created".to_string()
            }
            ActKind::Instance if cfg.scenario.framework() == Some(Framework::Wrl) => {
                "the class object's CreateInstance creates the object (its RuntimeClass constructor calls Module::IncrementObjectCount: CoAddRefServerProcess), then COM marshals it".to_string()
            }
            ActKind::Instance => {
                "the class object's CreateInstance creates the object (its constructor calls Lock), then COM marshals it".to_string()
            }
            ActKind::ClassObject if cfg.on(Toggle::ImplicitLockserver) => {
                format!("COM marshals {clsid:?}'s IClassFactory with the implicit LockServer(TRUE)")
            }
            ActKind::ClassObject => {
                format!("COM marshals {clsid:?}'s IClassFactory, with no implicit LockServer")
            }
        };
        format!("an RPC thread finishes {what}: {outcome}")
    }

    /// The step as a one-line COM phrase (apartments numbered from 1).
    pub fn phrase(self) -> String {
        match self {
            ServerStep::Register(a) => format!("apartment {} calls CoRegisterClassObject", a + 1),
            ServerStep::Resume => "the main thread calls CoResumeClassObjects".to_string(),
            ServerStep::FinishActivation(a) => format!(
                "COM in apartment {} marshals the activation's result and calls CoAddRefServerProcess",
                a + 1
            ),
            ServerStep::FinishRelease(a) => format!(
                "apartment {} acts on the final release: it calls CoRevokeClassObject and leaves its message loop",
                a + 1
            ),
            ServerStep::Revoke(a) => {
                format!("apartment {} calls CoRevokeClassObject", a + 1)
            }
            ServerStep::Quit => {
                "the main thread re-checks the count (zero) and tells every thread to quit".to_string()
            }
            ServerStep::Exit => "exits".to_string(),
            ServerStep::IdleZeroCheck => {
                "the idle message loop sees all counts at zero and quits".to_string()
            }
            ServerStep::UserOpenDocument => {
                "the user opens a document (user control = TRUE)".to_string()
            }
            ServerStep::UserClose => "the user closes the server".to_string(),
            ServerStep::UserCloseHide => {
                "the user closes the server, which hides its window and serves on".to_string()
            }
            ServerStep::UserCloseDisconnect => {
                "the user closes the server, which calls CoDisconnectObject on everything and exits"
                    .to_string()
            }
            ServerStep::Dispatch(a) => format!(
                "apartment {}'s message loop dispatches the call at the head of its queue",
                a + 1
            ),
            ServerStep::GetQuit => {
                "the main thread's GetMessage returns WM_QUIT: the message loop ends and RevokeClassObjects runs".to_string()
            }
            ServerStep::MonitorWake => {
                "the monitor thread wakes on the shutdown event and waits m_dwTimeOut for more activity".to_string()
            }
            ServerStep::MonitorTimeout => {
                "the monitor thread's wait times out and it reads the lock count".to_string()
            }
            ServerStep::MonitorRecheck => {
                "the monitor thread reads the lock count again after CoSuspendClassObjects".to_string()
            }
            ServerStep::MonitorPost => {
                "the monitor thread calls PostThreadMessage(WM_QUIT) to the main thread".to_string()
            }
            ServerStep::FinishRpc(_) => {
                "an RPC thread finishes an activation it runs (CreateInstance, or marshaling the class object)".to_string()
            }
            ServerStep::SetStoppingFlag => {
                "the thread whose Unlock saw the count reach zero sets the shutdown flag (CreateInstance now returns CO_E_SERVER_STOPPING)".to_string()
            }
            ServerStep::ModalOpen => {
                "a modal dialog comes up (DoModal or AfxMessageBox): the main window is disabled".to_string()
            }
            ServerStep::ModalReturn => "the modal dialog returns: the main window is enabled".to_string(),
            ServerStep::WaitReturns => {
                "the main thread's wait on the event the release notifier set returns: it calls Module::UnregisterObjects (CoRevokeClassObject)".to_string()
            }
            ServerStep::IdleTimerTick => {
                "the idle timer ticks with no window open: the main thread calls PostQuitMessage(0)".to_string()
            }
            ServerStep::UserCloseWindow => {
                "the user closes a window (the last one: the main thread calls PostQuitMessage(0))".to_string()
            }
            ServerStep::ReleaseSelfHold => {
                "the main thread releases the reference the server held on itself since it started (CoReleaseServerProcess)".to_string()
            }
            ServerStep::ExitUnregistered => {
                "the main thread's condition does not allow registering: it ends the process without calling CoRegisterClassObject".to_string()
            }
            ServerStep::StartupTimerTick => {
                "the start-up timer ticks with no reference on the server: the main thread calls CoAddRefServerProcess and CoReleaseServerProcess, which returns 0 (class objects suspended: the server shuts down)".to_string()
            }
            ServerStep::Uninitialize(a) => format!(
                "apartment {} calls CoUninitialize, which releases the apartment and dispatches nothing (Wine)",
                a + 1
            ),
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
                let work = match a.work {
                    AptWork::Idle => String::new(),
                    AptWork::FinalRelease => "(in final Release)".to_string(),
                    AptWork::Activating { client, .. } => {
                        format!("(activating for client {})", client + 1)
                    }
                };
                format!("apartment {}: {:?}{work}", i + 1, a.phase)
            })
            .collect();
        let classes: Vec<String> = self
            .classes
            .iter()
            .enumerate()
            .map(|(c, r)| format!("{:?}:{r:?}", Clsid(c as u8)))
            .collect();
        write!(f, " [{}] classes [{}]", apts.join(", "), classes.join(" "))?;
        if self.suspended {
            write!(f, " SUSPENDED")?;
        }
        write!(f, " count={} locks={}", self.count, self.locks)?;
        let objs: Vec<String> = self.objects.iter().map(|o| o.id.to_string()).collect();
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
        for (i, q) in self
            .queues
            .iter()
            .enumerate()
            .filter(|(_, q)| !q.is_empty())
        {
            let items: Vec<String> = q.iter().map(Queued::text).collect();
            write!(f, " queue {}: [{}]", i + 1, items.join(", "))?;
        }
        if self.quit_requested {
            write!(f, " PostQuitMessage")?;
        }
        if self.event {
            write!(f, " event set")?;
        }
        if self.monitor != Monitor::Waiting {
            write!(f, " monitor {:?}", self.monitor)?;
        }
        if !self.rpc_activations.is_empty() {
            write!(f, " RPC activations {:?}", self.rpc_activations)?;
        }
        if matches!(self.dialog, Dialog::Up { .. }) {
            write!(f, " MODAL DIALOG (main window disabled)")?;
        }
        match self.stopping {
            Stopping::Clear => {}
            Stopping::Pending => write!(f, " (shutdown flag about to be set)")?,
            Stopping::Set => write!(f, " SHUTDOWN FLAG")?,
        }
        if self.windows != 0 {
            write!(f, " windows={}", self.windows)?;
        }
        if self.idle_timer {
            write!(f, " idle timer running")?;
        }
        if self.self_hold {
            write!(f, " self-hold")?;
        }
        Ok(())
    }
}

impl ServerState {
    /// Slot `slot`'s process: not yet launched, or, for slot 0 under `user-started`, the instance
    /// the user started before any client activates (R-WTL-USER-START): the AppWizard's WinMain
    /// has started the monitor, registered its class objects (REGCLS_SUSPENDED, then
    /// CoResumeClassObjects), and `Run()` has created the main window and called
    /// `_Module.Lock()` (`frame-locks-module`). The race between a user's start and a client's
    /// launch is not modeled: how the SCM matches a registration to the launch it waits for is
    /// not sourced (spec/assumptions.md A-USER-START).
    pub fn new(cfg: &Config, slot: usize) -> Self {
        let mut v = Self::not_started(cfg, slot);
        if cfg.user_started() && slot == 0 {
            v.status = ProcStatus::Running;
            v.apartments[0].phase = AptPhase::Loop;
            v.classes.fill(ClassReg::Live);
            v.ready = true;
            v.user.control = true;
            v.user.opened = true;
            if cfg.on(Toggle::FrameLocksModule) {
                v.add_ref(cfg);
            }
        }
        v
    }

    fn not_started(cfg: &Config, slot: usize) -> Self {
        let n = cfg.apartments();
        ServerState {
            status: ProcStatus::NotStarted,
            apartments: smallvec![
                Apartment {
                    phase: AptPhase::Init,
                    work: AptWork::Idle,
                };
                n
            ],
            classes: smallvec![ClassReg::None; cfg.classes()],
            ready: false,
            suspended: false,
            count: 0,
            locks: 0,
            objects: SmallVec::new(),
            last_obj: 0,
            factory_proxies: smallvec![0; cfg.classes()],
            factories_disconnected: false,
            shutdown: None,
            launched_for: None,
            served: 0,
            handed_out_late: false,
            stranded_client: false,
            user: UserState::default(),
            user_present: (cfg.scenario.has_user()
                || cfg.on(Toggle::UserTakesControl)
                || cfg.user_started())
                && slot == 0,
            queues: if queued(cfg) {
                vec![Vec::new(); n]
            } else {
                Vec::new()
            },
            quit_requested: false,
            event: false,
            monitor: Monitor::Waiting,
            rpc_activations: Vec::new(),
            stopping: Stopping::Clear,
            dialog: Dialog::None,
            windows: 0,
            idle_timer: false,
            self_hold: false,
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

    /// Objects whose stubs are connected: objects that still have external references.
    pub fn live_objects(&self) -> usize {
        self.objects.len()
    }

    /// Reference count of the class objects: one per registration not yet revoked, plus one
    /// per marshaled proxy (R-002-FACTORY-REFS). The server's class-object code sees it.
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

    /// Whether the user's document takes part in the count: the textbook server's remedy
    /// `user-document-counts`; MFC's `COleDocument` always calls `AfxOleLockApp` (R-MFC-CLOSE).
    fn document_counts(&self, cfg: &Config) -> bool {
        cfg.on(Toggle::UserDocumentCounts) || cfg.scenario == Scenario::MfcSta
    }

    /// The reference the user's open document holds on the count (`user-document-counts`).
    fn document_ref(&self, cfg: &Config) -> u8 {
        u8::from(self.document_counts(cfg) && self.user.working())
    }

    /// Whether the server may decide to shut down automatically now: not under user control
    /// (R-002-USER-CONTROL) and, if the server waits for class-object references
    /// (`factory-refs-ignored` disabled), with none left (R-002-FACTORY-REFS).
    fn may_shut_down(&self, cfg: &Config) -> bool {
        !(cfg.on(Toggle::UserControl) && self.user.control)
            && (cfg.on(Toggle::FactoryRefsIgnored) || self.factory_refcount() == 0)
    }

    fn apt_idle(&self, a: usize) -> bool {
        self.apartments[a].phase == AptPhase::Loop && self.apartments[a].work == AptWork::Idle
    }

    /// Whether apartment `a` dispatches incoming calls now: idle in its message loop, or left it
    /// and in CoUninitialize's modal loop, which "dispatches any pending messages" before the
    /// process exits (Microsoft's CoUninitialize page; A-QUEUE). Wine's CoUninitialize has
    /// none ([`crate::com::runtime::Runtime::uninitialize_dispatches`]).
    fn apt_dispatching(&self, cfg: &Config, a: usize) -> bool {
        self.apt_idle(a)
            || (self.apartments[a].phase == AptPhase::Done && cfg.runtime.uninitialize_dispatches())
    }

    /// Whether every queue is empty (CoUninitialize's modal loop has dispatched everything).
    fn queues_empty(&self) -> bool {
        self.queues.iter().all(Vec::is_empty)
    }

    /// Box's remedy: the server has begun shutting down. The locked form sets the flag in this
    /// step, under the lock `CreateInstance` takes; the unlocked form one step later
    /// ([`ServerStep::SetStoppingFlag`]).
    fn begin_stopping(&mut self, cfg: &Config) {
        if self.stopping == Stopping::Clear {
            if cfg.on(Toggle::StoppingFlagLocked) {
                self.stopping = Stopping::Set;
            } else if cfg.on(Toggle::StoppingFlag) {
                self.stopping = Stopping::Pending;
            }
        }
    }

    /// Whether the activation check and the marshaling are two steps: in a server with several
    /// apartments, unless the `atomic-activation` variant is on. In a single-threaded server
    /// the thread that would call CoReleaseServerProcess is the one dispatching the activation
    /// (003: activations "serialized by the message queue"), so nothing can run between them.
    fn split_activation(&self, cfg: &Config) -> bool {
        self.apartments.len() > 1 && !cfg.on(Toggle::AtomicActivation)
    }

    /// Whether the apartments stay in their message loops after revoking, until the count is
    /// zero (`recheck-after-revoke`).
    fn recheck(&self, cfg: &Config) -> bool {
        cfg.on(Toggle::RecheckAfterRevoke)
    }

    /// The internal steps enabled now: every step whose guard holds, in the order the checker
    /// explores them. Each step's guard sits beside its effect below (`enabled_…`, `do_…`).
    pub fn enabled(&self, cfg: &Config) -> Vec<ServerStep> {
        if self.status != ProcStatus::Running {
            return Vec::new();
        }
        let fw = cfg.scenario.framework();
        let candidates = match fw {
            None => {
                let mut v = vec![ServerStep::SetStoppingFlag];
                for a in 0..self.apartments.len() as u8 {
                    v.extend([
                        ServerStep::Dispatch(a),
                        ServerStep::Register(a),
                        ServerStep::FinishRelease(a),
                        ServerStep::FinishActivation(a),
                        ServerStep::Revoke(a),
                    ]);
                }
                v.extend([
                    ServerStep::Resume,
                    ServerStep::Quit,
                    ServerStep::Exit,
                    ServerStep::IdleZeroCheck,
                    ServerStep::UserOpenDocument,
                    ServerStep::UserCloseHide,
                    ServerStep::UserCloseDisconnect,
                    ServerStep::UserClose,
                    // `exit = "windows"`: the window code and the end of the message loop.
                    ServerStep::IdleTimerTick,
                    ServerStep::UserCloseWindow,
                    ServerStep::GetQuit,
                    ServerStep::ReleaseSelfHold,
                    ServerStep::ExitUnregistered,
                    ServerStep::StartupTimerTick,
                ]);
                // A free-threaded textbook server's RPC threads finishing activations.
                v.extend((0..self.rpc_activations.len() as u8).map(ServerStep::FinishRpc));
                v.extend((0..self.apartments.len() as u8).map(ServerStep::Uninitialize));
                v
            }
            // A framework server's threads: the main thread's start-up (`PreMessageLoop`), its
            // message loop, the monitor thread, the user's window and, in a free-threaded
            // build, the RPC threads finishing activations.
            Some(_) => {
                let mut v = vec![
                    ServerStep::Register(0),
                    ServerStep::Resume,
                    ServerStep::GetQuit,
                    ServerStep::Dispatch(0),
                    ServerStep::Exit,
                    ServerStep::SetStoppingFlag,
                    ServerStep::MonitorWake,
                    ServerStep::MonitorTimeout,
                    ServerStep::MonitorRecheck,
                    ServerStep::MonitorPost,
                    ServerStep::UserOpenDocument,
                    ServerStep::UserCloseHide,
                    ServerStep::UserClose,
                    ServerStep::ModalOpen,
                    ServerStep::ModalReturn,
                    ServerStep::WaitReturns,
                    ServerStep::Quit,
                ];
                v.extend((0..self.rpc_activations.len() as u8).map(ServerStep::FinishRpc));
                v.push(ServerStep::Uninitialize(0));
                v
            }
        };
        candidates
            .into_iter()
            .filter(|s| self.guard(cfg, fw, *s))
            .collect()
    }

    /// The guard of `step` in a running process (`fw`: the framework the server runs, if any).
    fn guard(&self, cfg: &Config, fw: Option<Framework>, step: ServerStep) -> bool {
        match step {
            ServerStep::Register(a) => self.enabled_register(fw, a as usize),
            ServerStep::Resume => self.enabled_resume(cfg, fw),
            ServerStep::FinishActivation(a) => self.enabled_finish_activation(fw, a as usize),
            ServerStep::FinishRelease(a) => self.enabled_finish_release(fw, a as usize),
            ServerStep::Revoke(a) => self.enabled_revoke(cfg, fw, a as usize),
            ServerStep::Quit => self.enabled_quit(cfg),
            ServerStep::Exit => self.enabled_exit(cfg, fw),
            ServerStep::Dispatch(a) => self.enabled_dispatch(cfg, fw, a as usize),
            ServerStep::GetQuit => self.enabled_get_quit(cfg, fw),
            ServerStep::MonitorWake => self.enabled_monitor_wake(cfg, fw),
            ServerStep::MonitorTimeout => self.enabled_monitor_timeout(cfg, fw),
            ServerStep::MonitorRecheck => self.enabled_monitor_recheck(cfg, fw),
            ServerStep::MonitorPost => self.enabled_monitor_post(cfg, fw),
            ServerStep::FinishRpc(i) => self.enabled_finish_rpc(cfg, i as usize),
            ServerStep::SetStoppingFlag => self.enabled_set_stopping_flag(),
            ServerStep::ModalOpen => self.enabled_modal_open(cfg, fw),
            ServerStep::ModalReturn => self.enabled_modal_return(cfg, fw),
            ServerStep::WaitReturns => self.enabled_wait_returns(cfg, fw),
            ServerStep::IdleZeroCheck => self.enabled_idle_zero_check(cfg, fw),
            ServerStep::UserOpenDocument => self.enabled_user_open_document(fw),
            ServerStep::UserCloseHide => self.user_close_in_service(cfg, fw) == Some(true),
            ServerStep::UserCloseDisconnect => {
                fw.is_none() && self.user_close_in_service(cfg, fw) == Some(true)
            }
            ServerStep::UserClose => self.user_close_in_service(cfg, fw) == Some(false),
            ServerStep::IdleTimerTick => self.enabled_idle_timer_tick(cfg),
            ServerStep::UserCloseWindow => self.enabled_user_close_window(cfg),
            ServerStep::ReleaseSelfHold => self.enabled_release_self_hold(fw),
            ServerStep::ExitUnregistered => self.enabled_exit_unregistered(cfg, fw),
            ServerStep::StartupTimerTick => self.enabled_startup_timer_tick(cfg, fw),
            ServerStep::Uninitialize(a) => self.enabled_uninitialize(cfg, a as usize),
        }
    }

    /// Performs internal step `step` (which must be enabled). Returns the messages to send.
    pub fn step(&mut self, cfg: &Config, step: ServerStep) -> Sends {
        let mut out = Sends::new();
        match step {
            ServerStep::Register(a) => self.do_register(cfg, a as usize, &mut out),
            ServerStep::Resume => self.do_resume(cfg, &mut out),
            ServerStep::FinishActivation(a) => self.do_finish_activation(cfg, a as usize, &mut out),
            ServerStep::FinishRelease(a) => self.do_finish_release(cfg, a as usize, &mut out),
            ServerStep::Revoke(a) => self.revoke(cfg, a as usize, false, &mut out),
            ServerStep::Quit => self.do_quit(),
            ServerStep::Exit => self.do_exit(cfg, &mut out),
            ServerStep::Dispatch(a) => self.do_dispatch(cfg, a as usize, &mut out),
            ServerStep::GetQuit => self.do_get_quit(cfg, &mut out),
            ServerStep::MonitorWake => self.do_monitor_wake(),
            ServerStep::MonitorTimeout => self.do_monitor_timeout(cfg),
            ServerStep::MonitorRecheck => self.do_monitor_recheck(cfg),
            ServerStep::MonitorPost => self.do_monitor_post(),
            ServerStep::FinishRpc(i) => self.do_finish_rpc(cfg, i as usize, &mut out),
            ServerStep::SetStoppingFlag => self.stopping = Stopping::Set,
            ServerStep::ModalOpen => self.do_modal_open(),
            ServerStep::ModalReturn => self.do_modal_return(cfg, &mut out),
            ServerStep::WaitReturns => self.do_wait_returns(cfg, &mut out),
            ServerStep::IdleZeroCheck => self.do_idle_zero_check(cfg, &mut out),
            ServerStep::UserOpenDocument => self.do_user_open_document(cfg),
            ServerStep::UserCloseHide => self.do_user_close_hide(cfg),
            ServerStep::UserClose => self.do_user_close(cfg, false, &mut out),
            ServerStep::UserCloseDisconnect => self.do_user_close(cfg, true, &mut out),
            ServerStep::IdleTimerTick => self.post_quit_if_needed(cfg, &mut out),
            ServerStep::UserCloseWindow => {
                self.windows -= 1;
                self.post_quit_if_needed(cfg, &mut out);
            }
            ServerStep::ReleaseSelfHold => {
                self.self_hold = false;
                self.release(cfg, 0, &mut out);
            }
            ServerStep::ExitUnregistered => self.end_process(cfg, &mut out),
            ServerStep::StartupTimerTick => {
                // KillTimer; CoAddRefServerProcess; CoReleaseServerProcess returns 0.
                self.idle_timer = false;
                self.add_ref(cfg);
                self.release(cfg, 0, &mut out);
            }
            ServerStep::Uninitialize(a) => {
                self.apartments[a as usize].phase = AptPhase::Uninitialized
            }
        }
        out
    }

    // Each step's guard (`enabled_…`), then its effect (`do_…`; a one-line effect is in `step`).

    /// Register(a): a textbook apartment thread, before the server decided to shut down; in a
    /// framework server the main thread (`PreMessageLoop` → `RegisterClassObjects`).
    fn enabled_register(&self, fw: Option<Framework>, a: usize) -> bool {
        match fw {
            None => self.apartments[a].phase == AptPhase::Init && self.shutdown.is_none(),
            Some(_) => a == 0 && self.apartments[0].phase == AptPhase::Init,
        }
    }

    fn do_register(&mut self, cfg: &Config, a: usize, out: &mut Sends) {
        let suspended = self.registers_suspended(cfg);
        let clsids: Vec<Clsid> = cfg.classes_of(a).collect();
        for c in &clsids {
            self.classes[c.0 as usize] = if suspended {
                ClassReg::Suspended
            } else {
                ClassReg::Live
            };
        }
        if suspended {
            self.apartments[a].phase = if a == 0 {
                AptPhase::Registered
            } else {
                AptPhase::Loop
            };
        } else {
            self.apartments[a].phase = AptPhase::Waiting(ScmCall::Register);
            out.push((
                cfg.scm_id(),
                Msg::Register {
                    apartment: a as u8,
                    clsids,
                },
            ));
        }
        self.ready |= self.classes.iter().all(|c| *c == ClassReg::Live);
    }

    /// ReleaseSelfHold (`self_hold`): a textbook server still holding the reference it took on
    /// itself, its main thread idle in its message loop.
    fn enabled_release_self_hold(&self, fw: Option<Framework>) -> bool {
        fw.is_none() && self.self_hold && self.apt_idle(0)
    }

    /// StartupTimerTick (`idle_timer`, `exit = "count"`): a textbook server that counts, its timer armed
    /// at the launch, registered and resumed, no shutdown decided, its count at zero, every
    /// apartment idle in its loop with nothing queued (A-STARTUP-TIMER: the timer's seconds
    /// outlast the dispatch of what is already queued, as A-TIMEOUT and A-IDLE-TIMER take them
    /// to).
    fn enabled_startup_timer_tick(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        fw.is_none()
            && cfg.layout.exit == ExitDecision::Count
            && self.idle_timer
            && self.ready
            && self.shutdown.is_none()
            && self.count == 0
            && (0..self.apartments.len()).all(|a| self.apt_idle(a))
            && self.queues.iter().all(Vec::is_empty)
    }

    /// ExitUnregistered (`registration = "conditional"`): a textbook server whose threads have
    /// registered nothing yet, before any shutdown.
    fn enabled_exit_unregistered(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        fw.is_none()
            && cfg.layout.conditional_registration
            && self.shutdown.is_none()
            && self.apartments.iter().all(|a| a.phase == AptPhase::Init)
    }

    /// Resume: once every apartment registered (REGCLS_SUSPENDED), before a shutdown; in a
    /// framework server once the main thread registered.
    fn enabled_resume(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        match fw {
            None => {
                cfg.on(Toggle::RegclsSuspended)
                    && self.apartments[0].phase == AptPhase::Registered
                    && self.apartments.iter().all(|a| a.phase != AptPhase::Init)
                    && self.shutdown.is_none()
            }
            Some(_) => self.apartments[0].phase == AptPhase::Registered,
        }
    }

    fn do_resume(&mut self, cfg: &Config, out: &mut Sends) {
        let mut clsids = Vec::new();
        for (c, reg) in self.classes.iter_mut().enumerate() {
            if *reg == ClassReg::Suspended {
                *reg = ClassReg::Live;
                clsids.push(Clsid(c as u8));
            }
        }
        self.apartments[0].phase = AptPhase::Waiting(ScmCall::Register);
        self.ready |= self.classes.iter().all(|c| *c == ClassReg::Live);
        out.push((
            cfg.scm_id(),
            Msg::Register {
                apartment: 0,
                clsids,
            },
        ));
    }

    /// FinishActivation(a): a textbook apartment is in the middle of an activation.
    fn enabled_finish_activation(&self, fw: Option<Framework>, a: usize) -> bool {
        fw.is_none() && matches!(self.apartments[a].work, AptWork::Activating { .. })
    }

    fn do_finish_activation(&mut self, cfg: &Config, a: usize, out: &mut Sends) {
        let AptWork::Activating {
            client,
            clsid,
            kind,
        } = self.apartments[a].work
        else {
            unreachable!("enabled only while activating")
        };
        self.apartments[a].work = AptWork::Idle;
        let answer = self.answer_activation(cfg, a, client, clsid, kind);
        out.push((cfg.scm_id(), answer));
    }

    /// FinishRelease(a): a textbook apartment is in the middle of a final release, and (in a
    /// free-threaded server, where the release ran on an RPC thread) the main thread has
    /// returned from its own call to the SCM (CoRegisterClassObject) to act on it.
    fn enabled_finish_release(&self, fw: Option<Framework>, a: usize) -> bool {
        fw.is_none()
            && self.apartments[a].work == AptWork::FinalRelease
            && !matches!(self.apartments[a].phase, AptPhase::Waiting(_))
    }

    fn do_finish_release(&mut self, cfg: &Config, a: usize, out: &mut Sends) {
        if cfg.layout.counts() && !cfg.on(Toggle::ProcessRefcount) {
            // The server keeps its own count: it suspends the class objects itself,
            // one step after the count reached zero.
            self.suspend(cfg);
        }
        self.revoke(cfg, a, false, out);
    }

    /// Revoke(a): a textbook apartment, idle, told to shut down, leaves: before its loop, or
    /// from its loop unless `recheck-after-revoke` keeps it there with nothing left to revoke.
    /// The effect is [`ServerState::revoke`].
    fn enabled_revoke(&self, cfg: &Config, fw: Option<Framework>, a: usize) -> bool {
        let apt = self.apartments[a];
        if fw.is_some() || apt.work != AptWork::Idle {
            return false;
        }
        let revocable = cfg.classes_of(a).any(|c| {
            matches!(
                self.classes[c.0 as usize],
                ClassReg::None | ClassReg::Suspended | ClassReg::Live
            )
        });
        let leaves = matches!(apt.phase, AptPhase::Init | AptPhase::Registered)
            || (apt.phase == AptPhase::Loop && (revocable || !self.recheck(cfg)));
        self.shutdown.is_some() && leaves
    }

    /// Quit (`recheck-after-revoke`): every class revoked, the count zero again, every thread
    /// idle in its loop or gone, and one still there. In a free-threaded framework server the
    /// thread still there is the main thread, waiting again after its revocation.
    fn enabled_quit(&self, cfg: &Config) -> bool {
        self.recheck(cfg)
            && self.shutdown.is_some()
            && cfg.layout.idle(self.count)
            && self
                .classes
                .iter()
                .all(|c| matches!(c, ClassReg::None | ClassReg::Revoked))
            && self.apartments.iter().all(|a| {
                a.phase.left_loop() || (a.phase == AptPhase::Loop && a.work == AptWork::Idle)
            })
            && self.apartments.iter().any(|a| !a.phase.left_loop())
    }

    fn do_quit(&mut self) {
        for apt in self.apartments.iter_mut().filter(|a| !a.phase.left_loop()) {
            apt.phase = AptPhase::Done;
        }
    }

    /// Uninitialize(a) (Wine): the thread has left its message loop and not yet called
    /// CoUninitialize. Under Windows CoUninitialize is not a step of its own.
    fn enabled_uninitialize(&self, cfg: &Config, a: usize) -> bool {
        !cfg.runtime.uninitialize_dispatches()
            && self
                .apartments
                .get(a)
                .is_some_and(|x| x.phase == AptPhase::Done)
    }

    /// Exit: every thread has left its loop and nothing is queued; in a framework server,
    /// CoUninitialize's modal loop has dispatched what was still queued (A-QUEUE). Under Wine:
    /// every thread (a framework server's main thread) has returned from CoUninitialize
    /// ([`ServerStep::Uninitialize`]), whatever is still queued (R-WINE-TEARDOWN).
    fn enabled_exit(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        if !cfg.runtime.uninitialize_dispatches() {
            return match fw {
                None => self
                    .apartments
                    .iter()
                    .all(|a| a.phase == AptPhase::Uninitialized),
                Some(_) => self.apartments[0].phase == AptPhase::Uninitialized,
            };
        }
        match fw {
            None => {
                self.apartments.iter().all(|a| a.phase == AptPhase::Done) && self.queues_empty()
            }
            Some(_) => self.apartments[0].phase == AptPhase::Done && self.queues[0].is_empty(),
        }
    }

    fn do_exit(&mut self, cfg: &Config, out: &mut Sends) {
        // CoUninitialize's modal loop has emptied the queues (Wine's has none).
        debug_assert!(self.queues_empty() || !cfg.runtime.uninitialize_dispatches());
        self.end_process(cfg, out);
    }

    /// The process ends (after CoUninitialize, or by TerminateProcess): the SCM learns of it,
    /// and what was still queued or running on an RPC thread dies with it: the callers get
    /// [`crate::com::runtime::Runtime::cut_off_hr`], under Windows what a call into an exited
    /// process gets (R-SEEDS-EXITED; A-RPC-EXIT, A-TERMINATE), under Wine RPC_S_CALL_FAILED
    /// (R-WINE-TEARDOWN).
    fn end_process(&mut self, cfg: &Config, out: &mut Sends) {
        let scm = cfg.scm_id();
        self.status = ProcStatus::Exited(self.shutdown.unwrap_or(ExitReason::Automatic));
        out.push((scm, Msg::Exited));
        let hr = cfg.runtime.cut_off_hr();
        let queued: Vec<Queued> = self.queues.iter_mut().flat_map(std::mem::take).collect();
        for m in queued {
            if let Queued::Call { from, msg } = m {
                out.extend(self.failed_answer(from, &msg, hr));
            }
        }
        for (client, clsid, kind) in std::mem::take(&mut self.rpc_activations) {
            out.extend(self.failed_answer(
                scm,
                &Msg::Activate {
                    client,
                    clsid,
                    kind,
                },
                hr,
            ));
        }
    }

    /// Dispatch(a): a textbook apartment dispatching with a call queued; in a framework server
    /// the main thread's loop with a call at the head of its queue, or CoUninitialize's modal
    /// loop with anything queued.
    fn enabled_dispatch(&self, cfg: &Config, fw: Option<Framework>, a: usize) -> bool {
        match fw {
            None => {
                self.apt_dispatching(cfg, a) && self.queues.get(a).is_some_and(|q| !q.is_empty())
            }
            Some(_) => {
                a == 0
                    && match self.apartments[0].phase {
                        AptPhase::Loop => {
                            matches!(self.queues[0].first(), Some(Queued::Call { .. }))
                        }
                        AptPhase::Done => {
                            cfg.runtime.uninitialize_dispatches() && !self.queues[0].is_empty()
                        }
                        _ => false,
                    }
            }
        }
    }

    fn do_dispatch(&mut self, cfg: &Config, a: usize, out: &mut Sends) {
        match self.queues[a].remove(0) {
            Queued::Call { from, msg } if self.to_disconnected(&msg) => {
                out.extend(self.disconnected_answer(cfg, from, &msg))
            }
            Queued::Call { from, msg } => out.extend(self.dispatch(cfg, from, &msg, a)),
            // Only CoUninitialize's modal loop meets a WM_QUIT here (the message loop
            // retrieves it with GetQuit): "Non-COM messages are discarded".
            Queued::Quit => {}
        }
    }

    /// GetQuit: a framework's main thread's loop finds WM_QUIT at the head of its queue, or an
    /// empty queue after `PostQuitMessage`; a textbook server that exits on its windows (`exit
    /// = "windows"`), idle in its loop, an empty queue after `PostQuitMessage`
    /// (R-COM-QUIT-ORDER; without a queue, under `unordered-dispatch`, calls wait in the
    /// network in any order).
    fn enabled_get_quit(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        match fw {
            Some(_) => {
                self.apartments[0].phase == AptPhase::Loop
                    && match self.queues[0].first() {
                        Some(Queued::Quit) => true,
                        Some(Queued::Call { .. }) => false,
                        None => self.quit_requested,
                    }
            }
            None => {
                cfg.layout.windows_exit()
                    && self.quit_requested
                    && self.apt_idle(0)
                    && self.queues.first().is_none_or(Vec::is_empty)
            }
        }
    }

    fn do_get_quit(&mut self, cfg: &Config, out: &mut Sends) {
        if self.queues.first().and_then(|q| q.first()) == Some(&Queued::Quit) {
            self.queues[0].remove(0);
        }
        self.quit_requested = false;
        match (cfg.scenario.framework(), cfg.layout.teardown) {
            // Windows Terminal: `TerminateProcess(GetCurrentProcess(), 0)` after the loop
            // (WindowEmperor.cpp line 751; A-TERMINATE).
            (None, Teardown::TerminateProcess) => self.end_process(cfg, out),
            // A framework's PostMessageLoop: RevokeClassObjects (then Sleep(m_dwPause), no
            // step); the textbook's CoRevokeClassObject; then CoUninitialize.
            _ => self.revoke(cfg, 0, false, out),
        }
    }

    /// IdleTimerTick (`idle_timer`): the timer runs, no window is open, the main thread is idle
    /// in its loop with nothing queued (A-IDLE-TIMER), and PostQuitMessage is not called yet (a
    /// later tick would change nothing).
    fn enabled_idle_timer_tick(&self, cfg: &Config) -> bool {
        cfg.layout.windows_exit()
            && self.idle_timer
            && self.quit_needed(cfg)
            && !self.quit_requested
            && self.apt_idle(0)
            && self.queues.first().is_none_or(Vec::is_empty)
    }

    /// UserCloseWindow (`exit = "windows"`): a window is open and the main thread, idle in its
    /// loop, pumps its messages (A-WINDOWS-EXIT). The effect is in [`ServerState::step`].
    fn enabled_user_close_window(&self, cfg: &Config) -> bool {
        cfg.layout.windows_exit() && self.windows > 0 && self.apt_idle(0)
    }

    /// Whether `_postQuitMessageIfNeeded` would quit now (`exit = "windows"`): no window is
    /// open and, with `quit_waits_for_objects`, no object is alive.
    fn quit_needed(&self, cfg: &Config) -> bool {
        self.windows == 0 && (!cfg.layout.quit_waits_for_objects || self.objects.is_empty())
    }

    /// `_postQuitMessageIfNeeded` (`exit = "windows"`; WindowEmperor.cpp lines 1074–1083): when
    /// [`ServerState::quit_needed`], `PostQuitMessage(0)`: the server has decided to shut down,
    /// and `GetMessage` returns WM_QUIT once the queue is empty (R-COM-QUIT-ORDER). With
    /// `revoke_before_quit` it first calls CoRevokeClassObject, in the loop (as MFC's
    /// `AfxPostQuitMessage`, R-MFC-LOCKAPP).
    fn post_quit_if_needed(&mut self, cfg: &Config, out: &mut Sends) {
        if !self.quit_needed(cfg) {
            return;
        }
        if cfg.layout.revoke_before_quit {
            self.revoke(cfg, 0, true, out);
        }
        self.quit_requested = true;
        if self.shutdown.is_none() {
            self.shutdown = Some(ExitReason::Automatic);
            self.begin_stopping(cfg);
        }
    }

    /// A method call opens a window before it returns (`call_opens_window`; Windows Terminal's
    /// `EstablishPtyHandoff` → `ConptyConnection::NewHandoff` → `WindowEmperor::CreateNewWindow`,
    /// whose `_handoffTimeoutTimer.Stop()` stops the idle timer: WindowEmperor.cpp lines
    /// 249–272, 631–639; A-WINDOWS-EXIT).
    fn open_window(&mut self) {
        self.windows += 1;
        self.idle_timer = false;
    }

    /// WaitReturns (WRL): the main thread waits on the event (between its registration and its
    /// revocation, or again under `recheck-after-revoke`) and the release notifier has set it.
    fn enabled_wait_returns(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        fw.is_some_and(|fw| fw.on_zero(cfg) == OnZero::SignalMainThread)
            && self.apartments[0].phase == AptPhase::Loop
            && self.event
    }

    fn do_wait_returns(&mut self, cfg: &Config, out: &mut Sends) {
        self.event = false;
        // Module::UnregisterObjects → UnregisterCOMObject: CoRevokeClassObject (module.h).
        self.revoke(cfg, 0, false, out);
    }

    /// Whether the framework's zero count signals a monitor thread of kind `kind`.
    fn has_monitor(&self, cfg: &Config, fw: Option<Framework>, kind: MonitorKind) -> bool {
        fw.is_some_and(|fw| fw.on_zero(cfg) == OnZero::SignalMonitor && fw.monitor(cfg) == kind)
    }

    /// MonitorWake (timed monitor): signalled while waiting or timing.
    fn enabled_monitor_wake(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        self.has_monitor(cfg, fw, MonitorKind::Timed)
            && matches!(self.monitor, Monitor::Waiting | Monitor::Timing)
            && self.event
    }

    fn do_monitor_wake(&mut self) {
        self.event = false;
        self.monitor = Monitor::Timing;
    }

    /// MonitorTimeout (timed monitor): timing with no new signal. `m_dwTimeOut` (5 s) outlasts
    /// an idle STA's dispatch of what is already in its queue: the time-out comes when the
    /// queue is empty (A-TIMEOUT).
    fn enabled_monitor_timeout(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        self.has_monitor(cfg, fw, MonitorKind::Timed)
            && self.monitor == Monitor::Timing
            && !self.event
            && (self.queues[0].is_empty() || !queues_calls(cfg))
    }

    fn do_monitor_timeout(&mut self, cfg: &Config) {
        // `HasActiveConnection()` reads the count through the idle test (`idle_count`,
        // `peer_lock`: VBoxSVC's isIdleLockCount, A-PEER-LOCK); by default, a zero count.
        self.monitor = if !cfg.layout.idle(self.count) {
            Monitor::Waiting
        } else if cfg
            .scenario
            .framework()
            .is_some_and(|fw| fw.suspends_before_quit(cfg))
        {
            self.suspend(cfg); // CoSuspendClassObjects
            Monitor::Rechecking
        } else {
            // `if (!m_bActivity && m_nLockCnt == 0) break;`: the decision; the
            // PostThreadMessage that follows is the next step.
            self.shutdown = Some(ExitReason::Automatic);
            self.begin_stopping(cfg);
            Monitor::Posting
        };
    }

    /// MonitorRecheck (timed monitor): after CoSuspendClassObjects.
    fn enabled_monitor_recheck(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        self.has_monitor(cfg, fw, MonitorKind::Timed) && self.monitor == Monitor::Rechecking
    }

    fn do_monitor_recheck(&mut self, cfg: &Config) {
        // A failed re-check leaves the class objects suspended: nothing resumes them.
        self.monitor = if !cfg.layout.idle(self.count) {
            Monitor::Waiting
        } else {
            self.begin_stopping(cfg);
            self.post_thread_quit();
            Monitor::Done
        };
    }

    /// MonitorPost: the untimed monitor signalled while waiting, or the timed one after its
    /// time-out read a zero count.
    fn enabled_monitor_post(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        (self.has_monitor(cfg, fw, MonitorKind::Untimed)
            && self.monitor == Monitor::Waiting
            && self.event)
            || (self.has_monitor(cfg, fw, MonitorKind::Timed) && self.monitor == Monitor::Posting)
    }

    fn do_monitor_post(&mut self) {
        if self.monitor == Monitor::Waiting {
            self.event = false; // the untimed monitor's wait consumes the signal
        }
        self.post_thread_quit();
        self.monitor = Monitor::Done;
    }

    /// FinishRpc(i) (free-threaded server, framework or textbook): an activation is running on
    /// an RPC thread.
    fn enabled_finish_rpc(&self, cfg: &Config, i: usize) -> bool {
        cfg.free_threaded() && i < self.rpc_activations.len()
    }

    fn do_finish_rpc(&mut self, cfg: &Config, i: usize, out: &mut Sends) {
        let (client, clsid, kind) = self.rpc_activations.remove(i);
        let answer = self.answer_activation(cfg, 0, client, clsid, kind);
        out.push((cfg.scm_id(), answer));
    }

    /// SetStoppingFlag (`stopping-flag`): the decrement to zero happened; its effect, the flag
    /// set, is in [`ServerState::step`].
    fn enabled_set_stopping_flag(&self) -> bool {
        self.stopping == Stopping::Pending
    }

    /// ModalOpen (MFC, `modal-dialog`): the main thread's loop runs for an instance that has
    /// served, and no dialog came up yet.
    fn enabled_modal_open(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        fw.is_some()
            && cfg.on(Toggle::ModalDialog)
            && self.dialog == Dialog::None
            && self.apartments[0].phase == AptPhase::Loop
            && self.served != 0
    }

    fn do_modal_open(&mut self) {
        self.dialog = Dialog::Up {
            user_ctrl_before: self.user.control,
        }
    }

    /// ModalReturn (MFC, `modal-dialog`): the dialog is up.
    fn enabled_modal_return(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        fw.is_some() && cfg.on(Toggle::ModalDialog) && matches!(self.dialog, Dialog::Up { .. })
    }

    fn do_modal_return(&mut self, cfg: &Config, out: &mut Sends) {
        let Dialog::Up { user_ctrl_before } = self.dialog else {
            unreachable!("enabled only while the dialog is up")
        };
        self.dialog = Dialog::Returned;
        if cfg.on(Toggle::RecheckAfterModal) && !user_ctrl_before {
            // `BOOL bCtrl = AfxOleGetUserCtrl(); dlg.DoModal(); if (!bCtrl) {
            // AfxOleSetUserCtrl(FALSE); if (AfxOleCanExitApp())
            // AfxOleOnReleaseAllObjects(); }`
            self.user.control = false;
            if self.count == 0 {
                let fw = cfg.scenario.framework().expect("MFC");
                self.framework_zero(cfg, fw, 0, out);
            }
        }
    }

    /// IdleZeroCheck (textbook, `exit-on-final-decrement` disabled): the main thread's idle
    /// loop sees a zero count, before any shutdown.
    fn enabled_idle_zero_check(&self, cfg: &Config, fw: Option<Framework>) -> bool {
        fw.is_none()
            && cfg.layout.counts()
            && self.shutdown.is_none()
            && self.apt_idle(0)
            && (!cfg.on(Toggle::ExitOnFinalDecrement) || cfg.layout.polls_count())
            && self.count == 0
            && self.may_shut_down(cfg)
            // The surrogate unloads a DLL it has loaded: after the first object (A-SURROGATE).
            && (!cfg.layout.polls_count() || self.last_obj > 0)
    }

    fn do_idle_zero_check(&mut self, cfg: &Config, out: &mut Sends) {
        self.shutdown = Some(ExitReason::Automatic);
        self.revoke(cfg, 0, false, out);
    }

    /// Whether the user's window takes messages: a textbook server's idle main thread; a
    /// framework server's main loop with no modal dialog up (the user's actions are window
    /// messages the STA's loop dispatches between calls). Either before any shutdown.
    fn user_window(&self, fw: Option<Framework>) -> bool {
        self.user_present
            && self.shutdown.is_none()
            && match fw {
                None => self.apt_idle(0),
                Some(_) => {
                    self.apartments[0].phase == AptPhase::Loop
                        && !matches!(self.dialog, Dialog::Up { .. })
                }
            }
    }

    /// UserOpenDocument: the user's window in a server that has served a client (textbook,
    /// MFC), no document opened yet.
    fn enabled_user_open_document(&self, fw: Option<Framework>) -> bool {
        self.user_window(fw)
            && fw.is_none_or(|fw| fw == Framework::Mfc)
            && self.served != 0
            && !self.user.opened
    }

    fn do_user_open_document(&mut self, cfg: &Config) {
        // MFC: COleLinkingDoc::OnNewDocument calls AfxOleSetUserCtrl(TRUE), and the
        // document's constructor AfxOleLockApp (R-MFC-CLOSE).
        self.user.control = true;
        self.user.opened = true;
        if self.document_counts(cfg) {
            self.add_ref(cfg);
        }
    }

    /// The guard of the user's close steps: `None` when the user cannot close now; else whether
    /// the close finds objects in service (UserCloseHide, and in the textbook server
    /// UserCloseDisconnect) or not (UserClose). The textbook server decides from its own count,
    /// without the user's document, when `disconnect-on-user-close`'s alternative is on;
    /// MFC's `CFrameWnd::OnClose` with objects outstanding once the documents are closed calls
    /// AfxOleSetUserCtrl(FALSE) and serves on hidden (`close-checks-objects`, R-MFC-CLOSE).
    fn user_close_in_service(&self, cfg: &Config, fw: Option<Framework>) -> Option<bool> {
        if !self.user_window(fw) {
            return None;
        }
        let in_service = self.count > self.document_ref(cfg);
        match fw {
            None if self.user.control && !self.user.closed => {
                Some(cfg.on(Toggle::DisconnectOnUserClose) && in_service)
            }
            None => None,
            Some(fw) if self.user.working() => {
                Some(fw == Framework::Mfc && cfg.on(Toggle::CloseChecksObjects) && in_service)
            }
            Some(_) => None,
        }
    }

    fn do_user_close_hide(&mut self, cfg: &Config) {
        // Others still hold references: the document's release is not the final one.
        self.release_document(cfg);
        self.user.control = false;
        self.user.closed = true;
    }

    fn do_user_close(&mut self, cfg: &Config, disconnect: bool, out: &mut Sends) {
        match cfg.scenario.framework() {
            Some(Framework::Wtl) if !disconnect => {
                // The main window's OnDestroy (AppWizard Frame.h, COM server): `_Module.Unlock()`;
                // at zero the monitor decides, as after any last release (R-WTL-USER-START).
                self.user.control = false;
                self.user.closed = true;
                if cfg.on(Toggle::FrameLocksModule) {
                    self.release(cfg, 0, out);
                }
            }
            Some(Framework::Mfc) if !disconnect => {
                // CFrameWnd::OnClose with AfxOleCanExitApp() TRUE once the documents are closed:
                // DestroyWindow → CWnd::OnNcDestroy → AfxPostQuitMessage, which revokes every
                // class object (AfxOleTerm(TRUE)) before ::PostQuitMessage (R-MFC-CLOSE).
                self.user.closed = true;
                self.release_document(cfg);
                self.shutdown = Some(ExitReason::UserClose);
                self.quit_requested = true;
                self.revoke(cfg, 0, true, out);
            }
            _ => {
                self.user.closed = true;
                self.release_document(cfg);
                if disconnect {
                    // CoDisconnectObject on every object and class object: COM runs down
                    // every external reference, so objects are freed and locks released.
                    self.objects.clear();
                    self.factories_disconnected = true;
                    self.count = 0;
                    self.locks = 0;
                }
                self.shutdown = Some(ExitReason::UserClose);
                self.revoke(cfg, 0, false, out);
            }
        }
    }

    /// `PostThreadMessage(m_dwMainThreadID, WM_QUIT)`: WM_QUIT joins the end of the main
    /// thread's queue, and the server has decided to shut down.
    fn post_thread_quit(&mut self) {
        self.queues[0].push(Queued::Quit);
        self.shutdown = Some(ExitReason::Automatic);
    }

    /// A framework's `Unlock` found the count idle (zero, or at most `idle_count`, A-PEER-LOCK): COM's automatic suspension where
    /// the process count is used, then the framework's reaction (R-ATL70-MONITOR,
    /// R-ATL10-UNLOCK, R-MFC-LOCKAPP).
    fn framework_zero(&mut self, cfg: &Config, fw: Framework, a: usize, out: &mut Sends) {
        // COM suspends when its own count reaches zero, not at the idle test's threshold: a
        // peer's lock taken through the framework's Lock is one of COM's references too
        // (A-PEER-LOCK).
        if fw.auto_suspend(cfg) && self.count == 0 && !cfg.layout.peer_lock {
            self.suspend(cfg);
        }
        let on_zero = fw.on_zero(cfg);
        if fw.process_count(cfg)
            || matches!(on_zero, OnZero::PostThreadQuit | OnZero::SignalMainThread)
        {
            // Box's flag, where the zero count is the decision (R-SEEDS-BOX-STOPPING).
            self.begin_stopping(cfg);
        }
        match on_zero {
            OnZero::SignalMonitor => self.event = true,
            OnZero::PostThreadQuit => self.post_thread_quit(),
            OnZero::SignalMainThread => {
                // The release notifier (the server's code, run on this thread inside
                // DecrementObjectCount) sets the event: the main thread will unregister and
                // return from WinMain whatever happens next. The decision is taken here.
                self.event = true;
                self.shutdown = Some(ExitReason::Automatic);
            }
            OnZero::PostQuitMessage => {
                // AfxOleOnReleaseAllObjects (olelock.cpp): nothing while user control is TRUE;
                // otherwise AfxOleSetUserCtrl(TRUE) ("avoid re-entry"), so later zero
                // transitions do nothing.
                if self.user.control {
                    return;
                }
                self.user.control = true;
                if matches!(self.dialog, Dialog::Up { .. }) {
                    // "destroy the main window (only if enabled)": a modal dialog disables it,
                    // so nothing is destroyed and nothing will try again (F-10).
                    return;
                }
                // The main window is enabled: DestroyWindow → CWnd::OnNcDestroy finds
                // AfxOleCanExitApp() TRUE (the same dispatch) → AfxPostQuitMessage, which
                // first calls AfxOleTerm(TRUE): COleObjectFactory::RevokeAll revokes every
                // class object, and only then ::PostQuitMessage (appcore.cpp, oleinit.cpp).
                self.quit_requested = true;
                self.shutdown = Some(ExitReason::Automatic);
                self.revoke(cfg, a, true, out);
            }
        }
    }

    /// Records that a client's call through a proxy (CreateInstance, LockServer, a method call)
    /// failed here without a user close: a client left with a dead proxy.
    fn note_stranding(&mut self, msg: &Msg) {
        let stranding = matches!(
            msg,
            Msg::CreateInstance { .. } | Msg::LockServer { .. } | Msg::Call { .. }
        );
        self.stranded_client |= stranding && !self.user.closed;
    }

    /// What a caller gets for `msg` from `src` once the process has exited (or exits with the
    /// call still queued or running): RPC_S_SERVER_UNAVAILABLE, whatever the server did before
    /// (R-SEEDS-EXITED; spec/assumptions.md A-OBSERVE, A-QUEUE).
    fn exited_answer(&mut self, src: Id, msg: &Msg) -> Sends {
        self.failed_answer(src, msg, Hresult::RPC_S_SERVER_UNAVAILABLE)
    }

    /// The failure `hr` of `msg` from `src`, a call the process dies with or that reaches it
    /// after its exit ([`ServerState::end_process`], [`ServerState::exited_answer`]).
    fn failed_answer(&mut self, src: Id, msg: &Msg, hr: Hresult) -> Sends {
        self.note_stranding(msg);
        failure_reply(src, msg, hr)
    }

    /// Whether the class objects are registered with REGCLS_SUSPENDED.
    fn registers_suspended(&self, cfg: &Config) -> bool {
        match cfg.scenario.framework() {
            Some(fw) => fw.registers_suspended(cfg),
            None => cfg.on(Toggle::RegclsSuspended),
        }
    }

    /// CoRevokeClassObject for each of apartment `a`'s classes that is registered. When the
    /// SCM knows some of them (they are live), the thread makes the synchronous call to the SCM
    /// and waits (Wine's revoke informs the SCM; one round trip for the apartment's classes);
    /// otherwise it leaves its loop at once, or with `recheck-after-revoke` stays in it.
    fn revoke(&mut self, cfg: &Config, a: usize, in_loop: bool, out: &mut Sends) {
        let mut live = Vec::new();
        for c in cfg.classes_of(a) {
            let reg = &mut self.classes[c.0 as usize];
            if *reg == ClassReg::Live {
                live.push(c);
            }
            if matches!(*reg, ClassReg::Suspended | ClassReg::Live) {
                *reg = ClassReg::Revoked;
            }
        }
        self.apartments[a].work = AptWork::Idle;
        if live.is_empty() {
            if !in_loop {
                self.after_revoke(cfg, a);
            }
        } else {
            self.apartments[a].phase = AptPhase::Waiting(if in_loop {
                ScmCall::RevokeInLoop
            } else {
                ScmCall::Revoke
            });
            out.push((
                cfg.scm_id(),
                Msg::Revoke {
                    apartment: a as u8,
                    clsids: live,
                },
            ));
        }
    }

    /// The thread's CoRevokeClassObject returned: it leaves its message loop, or with
    /// `recheck-after-revoke` (and outside a user close) keeps dispatching.
    fn after_revoke(&mut self, cfg: &Config, a: usize) {
        let stays = self.recheck(cfg)
            && self.shutdown == Some(ExitReason::Automatic)
            && matches!(
                self.apartments[a].phase,
                AptPhase::Loop | AptPhase::Waiting(_)
            );
        self.apartments[a].phase = if stays {
            AptPhase::Loop
        } else {
            AptPhase::Done
        };
    }

    /// The server's answer to the SCM for an admitted activation: the class object marshaled
    /// with COM's implicit LockServer(TRUE) (R-003-IMPLICIT-LOCK), or a new object created by the
    /// class object inside the server, with S_OK; or CO_E_SERVER_STOPPING, with nothing created
    /// or handed out, when the class object's CreateInstance finds Box's shutdown flag set
    /// (R-SEEDS-BOX-STOPPING).
    fn answer_activation(
        &mut self,
        cfg: &Config,
        a: usize,
        client: u8,
        clsid: Clsid,
        kind: ActKind,
    ) -> Msg {
        if kind == ActKind::Instance {
            if let Err(hr) = self.check_stopping() {
                return activated(client, clsid, kind, hr, None);
            }
        }
        self.served |= 1 << client;
        self.handed_out_late |= self.shutdown.is_some();
        let obj = match kind {
            ActKind::ClassObject => {
                self.factory_proxies[clsid.0 as usize] += 1;
                if cfg.on(Toggle::ImplicitLockserver) {
                    // COM ignores the implicit call's HRESULT: the marshaling succeeds
                    // (A-IMPLICIT-LOCK-RESULT).
                    self.lock_server(cfg, a, clsid, true, &mut Sends::new());
                }
                None
            }
            ActKind::Instance => Some(self.create(cfg, clsid)),
        };
        activated(client, clsid, kind, Hresult::S_OK, obj)
    }

    /// Box's check at the top of `IClassFactory::CreateInstance` (R-SEEDS-BOX-STOPPING).
    ///
    /// # Errors
    /// CO_E_SERVER_STOPPING once the shutdown flag is set.
    fn check_stopping(&self) -> Result<(), Hresult> {
        match self.stopping {
            Stopping::Set => Err(Hresult::CO_E_SERVER_STOPPING),
            Stopping::Clear | Stopping::Pending => Ok(()),
        }
    }

    /// A new object (its constructor calls CoAddRefServerProcess, or `++count`; nothing under
    /// `exit = "first-object-destroyed"`).
    fn create(&mut self, cfg: &Config, clsid: Clsid) -> ObjId {
        // A singleton class object hands every client the object it made first (its
        // CreateInstance is a QueryInterface on it): one more holder, nothing counted (the
        // object counts once while any client holds it; A-SINGLETON).
        if cfg.layout.singleton(clsid) {
            if let Some(o) = self.objects.iter_mut().find(|o| o.clsid == clsid) {
                o.more_holders += 1;
                return o.id;
            }
        }
        self.last_obj += 1;
        let id = self.last_obj;
        self.objects.push(Object {
            id,
            clsid,
            more_holders: 0,
        });
        self.add_ref(cfg);
        id
    }

    /// (`user-document-counts`) the closed document's CoReleaseServerProcess. The user's close
    /// decides the shutdown itself, so only the suspension of R-003-AUTO-SUSPEND follows a
    /// final decrement here.
    /// MFC's `COleDocument` destructor (`CloseAllDocuments` in `CFrameWnd::OnClose`) calls
    /// `AfxOleUnlockApp`, whose `AfxOleOnReleaseAllObjects` does nothing while the user is in
    /// control: there too the close decides.
    fn release_document(&mut self, cfg: &Config) {
        if !self.document_counts(cfg) {
            return;
        }
        self.count -= 1;
        let suspends = match cfg.scenario.framework() {
            Some(fw) => fw.auto_suspend(cfg),
            None => cfg.on(Toggle::ProcessRefcount) && cfg.on(Toggle::AutoSuspend),
        };
        if self.count == 0 && suspends {
            self.suspend(cfg);
        }
    }

    /// CoSuspendClassObjects (the server's own call, a framework's, or CoReleaseServerProcess
    /// reaching zero): the class objects refuse activations from now on. A stub under Wine
    /// (R-WINE-NO-SUSPEND: combase.c CoSuspendClassObjects `FIXME`; CoReleaseServerProcess
    /// "FIXME: suspend objects").
    fn suspend(&mut self, cfg: &Config) {
        if !cfg.runtime.is_wine() {
            self.suspended = true;
        }
    }

    /// One more reference on the lifetime count (CoAddRefServerProcess or `++count`), if the
    /// server keeps one ([`crate::com::config::Layout::counts`]).
    fn add_ref(&mut self, cfg: &Config) {
        if cfg.layout.counts() {
            self.count += 1;
        }
    }

    /// One reference less on the lifetime count, in apartment `a`. On the final decrement
    /// CoReleaseServerProcess suspends the class objects (R-003-AUTO-SUSPEND) and the server
    /// decides to shut down (R-002-FINAL-DECREMENT), acting on it in the thread's next step.
    fn release(&mut self, cfg: &Config, a: usize, out: &mut Sends) {
        if !cfg.layout.counts() {
            return;
        }
        self.count = self.count.saturating_sub(1);
        // The framework's `Unlock` signals when the count falls to the idle test's threshold
        // (VBoxSVC's `CExeModule::Unlock`: `if (isIdleLockCount(cLocks))`, A-PEER-LOCK); by
        // default, when it reaches zero.
        if !cfg.layout.idle(self.count) || cfg.layout.polls_count() {
            // A DLL's own count in a surrogate: its zero decides nothing until the surrogate's
            // poll reads it (A-SURROGATE).
            return;
        }
        if let Some(fw) = cfg.scenario.framework() {
            self.framework_zero(cfg, fw, a, out);
            return;
        }
        if cfg.on(Toggle::ProcessRefcount) && cfg.on(Toggle::AutoSuspend) {
            self.suspend(cfg);
        }
        self.begin_stopping(cfg);
        if self.shutdown.is_some() {
            return; // already shutting down (recheck-after-revoke): Quit re-checks the count
        }
        if cfg.on(Toggle::ExitOnFinalDecrement) && self.may_shut_down(cfg) {
            self.shutdown = Some(ExitReason::Automatic);
            self.apartments[a].work = AptWork::FinalRelease;
        }
    }

    /// The final Release of an object the server handed out (its stub's, when the client
    /// released its proxy): the count's release (R-002-FINAL-DECREMENT), or under `exit =
    /// "first-object-destroyed"` the destructor's `SetEvent`, which wakes the main thread from
    /// `WaitForSingleObject(INFINITE)` (sserver.cpp lines 118, 297): the server has decided, and
    /// the main thread tears down in its next step ([`ServerStep::FinishRelease`]) whatever
    /// else is alive (spec/assumptions.md A-EVENT-EXIT).
    fn object_released(&mut self, cfg: &Config, a: usize, out: &mut Sends) {
        match cfg.layout.exit {
            ExitDecision::Count | ExitDecision::DllUnloaded => return self.release(cfg, a, out),
            // The objects count nothing; the windows decide (A-WINDOWS-EXIT), and with
            // `quit_waits_for_objects` the final release checks again.
            ExitDecision::Windows => {
                if cfg.layout.quit_waits_for_objects {
                    self.post_quit_if_needed(cfg, out);
                }
                return;
            }
            ExitDecision::FirstObjectDestroyed => {}
        }
        if self.shutdown.is_none() {
            self.begin_stopping(cfg);
            self.shutdown = Some(ExitReason::Automatic);
            self.apartments[0].work = AptWork::FinalRelease;
        }
    }

    /// IClassFactory::LockServer on the server side (implicit or remoted), and its HRESULT:
    /// S_OK, or E_FAIL with nothing counted for a class whose LockServer fails
    /// (`lock_server = "e-fail"`; sserver.cpp line 83).
    fn lock_server(
        &mut self,
        cfg: &Config,
        a: usize,
        clsid: Clsid,
        lock: bool,
        out: &mut Sends,
    ) -> Hresult {
        if cfg.layout.lockserver_fails(clsid) {
            return Hresult::E_FAIL;
        }
        if lock {
            self.locks += 1;
            if cfg.on(Toggle::LockserverCounts) {
                self.add_ref(cfg);
            }
        } else {
            self.locks = self.locks.saturating_sub(1);
            if cfg.on(Toggle::LockserverCounts) {
                self.release(cfg, a, out);
            }
        }
        Hresult::S_OK
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
            Msg::ScmDone { apartment } => *apartment as usize,
            _ => 0,
        }
    }

    /// Whether `msg` reaches a stub the server disconnected: COM's RPC layer answers it with
    /// RPC_E_DISCONNECTED without the apartment (seeds 001, 002; seeds README).
    fn to_disconnected(&self, msg: &Msg) -> bool {
        match msg {
            Msg::Call { obj } | Msg::ReleaseObject { obj } => {
                !self.objects.iter().any(|o| o.id == *obj)
            }
            Msg::CreateInstance { .. } | Msg::LockServer { .. } | Msg::ReleaseFactory { .. } => {
                self.factories_disconnected
            }
            _ => false,
        }
    }

    /// Whether `msg` can be delivered now: a launch to a slot not started; anything to an
    /// exited process (which fails it); to a running process, the SCM's answer to a thread
    /// waiting for it, a call on a disconnected stub, a refused activation, and otherwise a
    /// call that can be taken now: by an RPC thread (free-threaded server), into an STA's queue
    /// (queued servers), or, without queues, by its apartment idle in its message loop.
    pub fn can_deliver(&self, cfg: &Config, msg: &Msg) -> bool {
        match self.status {
            ProcStatus::NotStarted => matches!(msg, Msg::Launch { .. }),
            ProcStatus::Exited(_) => true,
            ProcStatus::Running => match msg {
                Msg::ScmDone { apartment } => matches!(
                    self.apartments[*apartment as usize].phase,
                    AptPhase::Waiting(_)
                ),
                _ => {
                    self.to_disconnected(msg)
                        || self.teardown_answer_hr(cfg, msg).is_some()
                        || refused(cfg, msg)
                        || cfg.free_threaded()
                        || queues_calls(cfg)
                        || self.apt_dispatching(cfg, self.target_apartment(cfg, msg))
                }
            },
        }
    }

    /// Delivers `msg` from `src`. Returns `None` when the call cannot be dispatched yet (see
    /// [`ServerState::can_deliver`]), otherwise the messages to send.
    pub fn on_msg(&mut self, cfg: &Config, src: Id, msg: &Msg) -> Option<Sends> {
        if !self.can_deliver(cfg, msg) {
            return None;
        }
        match self.status {
            ProcStatus::NotStarted => {
                let Msg::Launch { client } = msg else {
                    unreachable!("can_deliver admits only a launch")
                };
                self.status = ProcStatus::Running;
                self.launched_for = Some(*client);
                // Launched with `-Embedding`: the idle timer is armed (A-IDLE-TIMER; a server
                // that counts: A-STARTUP-TIMER).
                self.idle_timer = cfg.layout.idle_timer;
                // `self_hold`: CoAddRefServerProcess before registering (A-SELF-HOLD).
                if cfg.layout.self_hold {
                    self.self_hold = true;
                    self.add_ref(cfg);
                }
                return Some(Sends::new());
            }
            ProcStatus::Exited(_) => {
                // Every call into an exited process fails the same way, whatever the server
                // did before it exited (R-SEEDS-EXITED; spec/assumptions.md A-OBSERVE).
                return Some(self.exited_answer(src, msg));
            }
            ProcStatus::Running => {}
        }
        if self.to_disconnected(msg) {
            return Some(self.disconnected_answer(cfg, src, msg));
        }
        if let Some(hr) = self.teardown_answer_hr(cfg, msg) {
            return Some(self.rpc_answer(src, msg, hr));
        }
        if refused(cfg, msg) {
            // COM's security check refuses the activation before it reaches the server's code:
            // no class object is touched, nothing is marshaled (R-SEEDS-KB170915).
            let Msg::Activate {
                client,
                clsid,
                kind,
            } = msg
            else {
                unreachable!("only activations are refused")
            };
            return Some(smallvec::smallvec![(
                src,
                activated(*client, *clsid, *kind, Hresult::E_ACCESSDENIED, None),
            )]);
        }
        if let Msg::ScmDone { apartment } = msg {
            let a = *apartment as usize;
            match self.apartments[a].phase {
                AptPhase::Waiting(ScmCall::Register) => self.apartments[a].phase = AptPhase::Loop,
                AptPhase::Waiting(ScmCall::Revoke) => self.after_revoke(cfg, a),
                AptPhase::Waiting(ScmCall::RevokeInLoop) => {
                    self.apartments[a].phase = AptPhase::Loop
                }
                _ => unreachable!("can_deliver admits only an awaited answer"),
            }
            return Some(Sends::new());
        }
        let a = self.target_apartment(cfg, msg);
        if queues_calls(cfg) {
            // COM's RPC thread posts the call to the apartment's hidden window; the apartment
            // dispatches it in arrival order (R-COM-STA-QUEUE; ServerStep::Dispatch).
            self.queues[a].push(Queued::Call {
                from: src,
                msg: msg.clone(),
            });
            return Some(Sends::new());
        }
        Some(self.dispatch(cfg, src, msg, a))
    }

    /// COM's answer to a call on a stub the server disconnected, given without the server's
    /// code: RPC_E_DISCONNECTED (seeds 001, 002; seeds README), under Wine RPC_S_UNKNOWN_IF (R-WINE-DISCONNECTED). A call still queued when the
    /// server disconnected its target gets it too when the apartment reaches it.
    fn disconnected_answer(&mut self, cfg: &Config, src: Id, msg: &Msg) -> Sends {
        self.rpc_answer(src, msg, cfg.runtime.disconnected_hr())
    }

    /// What COM's RPC layer answers, if it answers without the apartment, a call `msg` that
    /// reaches its apartment after CoUninitialize's `apartment_release` destroyed it (the
    /// thread called CoUninitialize, [`ServerStep::Uninitialize`], with no call queued: a
    /// queued call's RPC thread holds the apartment, which `apartment_release` then does not
    /// destroy, and later calls queue behind it): under Wine RPC_E_DISCONNECTED
    /// ([`crate::com::runtime::Runtime::teardown_hr`], R-WINE-TEARDOWN); under Windows none
    /// (CoUninitialize's modal loop dispatches it, A-QUEUE).
    fn teardown_answer_hr(&self, cfg: &Config, msg: &Msg) -> Option<Hresult> {
        let call = matches!(
            msg,
            Msg::Activate { .. }
                | Msg::CreateInstance { .. }
                | Msg::LockServer { .. }
                | Msg::ReleaseFactory { .. }
                | Msg::Call { .. }
                | Msg::ReleaseObject { .. }
        );
        let a = self.target_apartment(cfg, msg);
        let torn_down = self.apartments[a].phase == AptPhase::Uninitialized
            && self
                .queues
                .get(a)
                .is_none_or(|q| !q.iter().any(|m| matches!(m, Queued::Call { .. })));
        cfg.runtime.teardown_hr().filter(|_| call && torn_down)
    }

    /// COM's RPC layer's answer `hr` to `msg` from `src`, without the server's code: a failed
    /// activation to the SCM, or a reply; the release of a class-object proxy still lowers
    /// the server's count of them.
    fn rpc_answer(&mut self, src: Id, msg: &Msg, hr: Hresult) -> Sends {
        if let Msg::ReleaseFactory { clsid } = msg {
            let c = clsid.0 as usize;
            self.factory_proxies[c] = self.factory_proxies[c].saturating_sub(1);
        }
        self.note_stranding(msg);
        failure_reply(src, msg, hr)
    }

    /// Runs incoming call `msg` from `src` in apartment `a` (or, in a free-threaded server, on
    /// an RPC thread) and returns the reply: the server's code for the call, with COM's
    /// suspended check in front of an activation.
    fn dispatch(&mut self, cfg: &Config, src: Id, msg: &Msg, a: usize) -> Sends {
        // Messages the server's code sends besides the reply (MFC's revocation).
        let mut out = Sends::new();
        let reply = |hr: Hresult, obj: Option<ObjId>| (src, Msg::Reply { hr, obj });
        let answer = match msg {
            Msg::Activate {
                client,
                clsid,
                kind,
            } => {
                let c = clsid.0 as usize;
                if self.classes[c] != ClassReg::Live || self.suspended {
                    let hr = cfg.runtime.refused_activation_hr();
                    Some((src, activated(*client, *clsid, *kind, hr, None)))
                } else if cfg.free_threaded() && !cfg.on(Toggle::AtomicActivation) {
                    self.rpc_activations.push((*client, *clsid, *kind));
                    self.rpc_activations.sort();
                    None
                } else if self.split_activation(cfg) {
                    self.apartments[a].work = AptWork::Activating {
                        client: *client,
                        clsid: *clsid,
                        kind: *kind,
                    };
                    None
                } else {
                    Some((src, self.answer_activation(cfg, a, *client, *clsid, *kind)))
                }
            }
            Msg::CreateInstance { clsid } => Some(match self.check_stopping() {
                Err(hr) => reply(hr, None),
                Ok(()) => {
                    self.handed_out_late |= self.shutdown.is_some();
                    let id = self.create(cfg, *clsid);
                    reply(Hresult::S_OK, Some(id))
                }
            }),
            Msg::LockServer { clsid, lock } => {
                let hr = self.lock_server(cfg, a, *clsid, *lock, &mut out);
                Some(reply(hr, None))
            }
            Msg::Call { .. } => {
                if cfg.layout.call_opens_window {
                    self.open_window();
                }
                Some(reply(Hresult::S_OK, None))
            }
            Msg::ReleaseObject { obj } => {
                match self.objects.iter_mut().find(|o| o.id == *obj) {
                    // Another client still holds the singleton's object: not its final release.
                    Some(o) if o.more_holders > 0 => o.more_holders -= 1,
                    _ => {
                        self.objects.retain(|o| o.id != *obj);
                        self.object_released(cfg, a, &mut out);
                    }
                }
                Some(reply(Hresult::S_OK, None))
            }
            Msg::ReleaseFactory { clsid } => {
                let c = clsid.0 as usize;
                self.factory_proxies[c] = self.factory_proxies[c].saturating_sub(1);
                // Releasing the proxy undoes the implicit LockServer(TRUE).
                if cfg.on(Toggle::ImplicitLockserver) {
                    self.lock_server(cfg, a, *clsid, false, &mut out);
                }
                Some(reply(Hresult::S_OK, None))
            }
            _ => unreachable!("only incoming COM calls are dispatched"),
        };
        // The reply leaves when the call returns, after what the server's code sent during it.
        out.extend(answer);
        out
    }
}

/// The failure `hr` of a call `msg` from `src` that COM answers without the server's code: a
/// failed activation to the SCM, or a reply with no object.
fn failure_reply(src: Id, msg: &Msg, hr: Hresult) -> Sends {
    match msg {
        Msg::Activate {
            client,
            clsid,
            kind,
        } => smallvec::smallvec![(src, activated(*client, *clsid, *kind, hr, None))],
        _ => smallvec::smallvec![(src, Msg::Reply { hr, obj: None })],
    }
}
