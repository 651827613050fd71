//! The normative rules of the source documents, in our own words, each with its source (file
//! and section) and the model element that implements it. spec/rules.md explains each; the
//! tables that link rules, mechanisms and properties are generated from this list
//! (`verify::tables`, a layer above).

/// A numbered rule.
pub struct Rule {
    /// Stable ID: `R-<document>-<topic>`.
    pub id: &'static str,
    /// Source document (its file name in the source set, listed with title and author in README.md, "Sources") and section.
    pub source: &'static str,
    /// The rule in our words.
    pub text: &'static str,
    /// The model element that implements it, or why none does.
    pub element: &'static str,
}

/// Source 000 (Microsoft, CoDisconnectContext function).
const S000: &str = "000_4cca369cf4e7b083.txt";
/// Source 001 (Raymond Chen, private COM contexts for services).
const S001: &str = "001_41b7cad96933e3e3.txt";
/// Source 002 (Brockschmidt, Inside OLE, "Unloading Mechanisms").
const S002: &str = "002_04beec619a32ce82.txt";
/// Source 003 (Microsoft, "Out-of-Process Server Implementation Helpers").
const S003: &str = "003_71d2d71f8f3a5043.txt";
/// The seeds README's facts checked against other sources.
const SREADME: &str = "source-set README.md";
/// Microsoft's API reference pages and framework sources quoted in spec/frameworks.md.
const SFRAMEWORKS: &str = "spec/frameworks.md";

/// Every rule, in document order.
pub const RULES: &[Rule] = &[
    Rule {
        id: "R-000-DISCONNECT",
        source: "000 Description; Remarks",
        text: "CoDisconnectContext disconnects every proxy connection kept for objects in the current context (it calls CoDisconnectObject on each) and blocks until they are disconnected or the time-out expires; only the context that manages the objects should call it.",
        element: "HostState::disconnect_context, HostStep::Disconnect (model/com/service.rs)",
    },
    Rule {
        id: "R-000-RESULTS",
        source: "000 Return value",
        text: "S_OK: all proxy connections were disconnected. RPC_E_TIMEOUT: not all within dwTimeout because of outstanding calls; the objects are disconnected once those calls complete.",
        element: "HostState::disconnect_context, record_result; FinishCall completes Disconnecting stubs",
    },
    Rule {
        id: "R-000-RETRY",
        source: "000 Remarks",
        text: "It is not safe to unload the DLL that hosts the service until CoDisconnectContext returns S_OK; after RPC_E_TIMEOUT the service may clean up, but must call it again until it returns S_OK.",
        element: "DisconnectProgress::Waiting, HostStep::RetryDisconnect",
    },
    Rule {
        id: "R-000-DEFAULT-CONTEXT",
        source: "000 Return value (CO_E_NOTSUPPORTED); Remarks",
        text: "Default contexts cannot be disconnected: called from one, CoDisconnectContext fails (the page's CO_E_NOTSUPPORTED; CO_E_NOT_SUPPORTED 0x80004021 in winerror.h).",
        element: "HostStep::Disconnect without a private context; HostState::self_disconnect",
    },
    Rule {
        id: "R-000-DEADLOCK",
        source: "000 Return value (CONTEXT_E_WOULD_DEADLOCK)",
        text: "An object calling CoDisconnectContext on the context it resides in gets CONTEXT_E_WOULD_DEADLOCK; otherwise, with INFINITE, it would wait for its own call for ever.",
        element: "HostState::self_disconnect, Toggle::DeadlockDetection",
    },
    Rule {
        id: "R-000-PRIVATE-CONTEXT",
        source: "000 Remarks",
        text: "To use CoDisconnectContext a service first creates a context that can be disconnected (IContextCallback, CLSID_ContextSwitcher) and registers its class factories inside it.",
        element: "SvcObject::private_ctx, Toggle::PrivateContext",
    },
    Rule {
        id: "R-000-REVOKE-FIRST",
        source: "000 Examples (DisconnectCallback)",
        text: "To disconnect, the service re-enters its context, revokes its class factories, then calls CoDisconnectContext.",
        element: "HostStep::Revoke before HostStep::Disconnect",
    },
    Rule {
        id: "R-000-LOCAL-SERVER-FLAG",
        source: "000 Remarks, limitations",
        text: "In-process objects must be registered and enabled with CLSCTX_LOCAL_SERVER, or CoDisconnectContext does not disconnect them.",
        element: "HostState::affected, Toggle::RegisterLocalServer",
    },
    Rule {
        id: "R-000-CONTEXT-SCOPE",
        source: "000 Remarks (unload \"without affecting other COM servers that are running in the same process\")",
        text: "CoDisconnectContext affects only the objects of the current context, so a service in a shared host can unload without affecting the others.",
        element: "HostState::affected, Toggle::ContextScopedDisconnect",
    },
    Rule {
        id: "R-001-PRIVATE-CONTEXT",
        source: "001 \"The solution is for the service to create a private little COM context\"",
        text: "A service creates a private context (CLSID_ContextSwitcher), enters it and registers its object factory there; objects its factory creates live in that context and clients hold proxies to them.",
        element: "HostState::new (A-SERVICE-START), SvcObject::private_ctx",
    },
    Rule {
        id: "R-001-STOP-SEQUENCE",
        source: "001 \"When the server is told to shut down\"",
        text: "On shutdown the service enters its context once more, revokes its factory and calls CoDisconnectContext; the objects' reference counts drop, and the service DLL can unload.",
        element: "HostStep::Revoke, Disconnect, RetryDisconnect, Unload",
    },
    Rule {
        id: "R-001-CLIENTS-DISCONNECTED",
        source: "001 \"the clients are left holding a broken proxy\"",
        text: "After the disconnect, calls on the clients' proxies return RPC_E_DISCONNECTED.",
        element: "HostState::on_msg for Disconnected stubs",
    },
    Rule {
        id: "R-001-SHARED-HOST",
        source: "001 comments (Henke37, Danstur)",
        text: "COM disconnects proxies automatically when the process shuts COM down; a service sharing its process (svchost) cannot rely on that and needs contexts to disconnect only its own objects.",
        element: "scenario service: services A and B share one host",
    },
    Rule {
        id: "R-001-STOP-DEMAND",
        source: "001 footnote 1; comments (Ryan P)",
        text: "A service must clean up and unload on a shutdown request (more a demand than a request), yet it cannot unload while clients reference its objects; some services instead refuse SERVICE_CONTROL_STOP while objects are active.",
        element: "HostStep::StopRequest, Toggle::StopAlwaysAccepted",
    },
    Rule {
        id: "R-002-BOTTOM-LINE",
        source: "002 Unloading Mechanisms, \"The bottom line\"",
        text: "A server is no longer needed when no LockServer lock is outstanding and no object other than its class objects is being serviced; it keeps an object count and a lock count, or one combined counter.",
        element: "ServerState::count, objects, locks, lock_server, release (model/com/server.rs)",
    },
    Rule {
        id: "R-002-DLL-PASSIVE",
        source: "002 Unloading Mechanisms; In-Process Server",
        text: "A DLL cannot unload itself: COM asks it, mainly when a client calls CoFreeUnusedLibraries, by calling DllCanUnloadNow, and frees it with CoFreeLibrary when it answers S_OK.",
        element: "InprocStep::Sweep, InprocState::free (model/com/inproc.rs)",
    },
    Rule {
        id: "R-002-DLLCANUNLOADNOW",
        source: "002 In-Process Server",
        text: "DllCanUnloadNow returns S_FALSE while objects or LockServer locks exist and S_OK otherwise; references to class factories are not considered.",
        element: "InprocState::can_unload_now, Toggle::DllcanunloadnowCountsLocks",
    },
    Rule {
        id: "R-002-FACTORY-COUNT-OPTION",
        source: "002 In-Process Server, paragraph 3 (\"an in-process server could include a count of class factories\")",
        text: "An in-process server may, if it wants to, count its class factories in its global object count, so that DllCanUnloadNow keeps the DLL while a class object is referenced; a local server cannot.",
        element: "InprocState::can_unload_now with Toggle::DllCountsFactories (opt-in)",
    },
    Rule {
        id: "R-002-EXE-ACTIVE",
        source: "002 Unloading Mechanisms; Local Server",
        text: "An EXE server detects the unload condition itself and terminates (PostQuitMessage); COM does not ask it.",
        element: "ServerStep::FinishRelease, Revoke, Exit (model/com/server.rs)",
    },
    Rule {
        id: "R-002-IMPLEMENT-LOCKSERVER",
        source: "002 In-Process Server, Note",
        text: "A server must implement IClassFactory::LockServer (and a DLL DllCanUnloadNow) to support proper unloading.",
        element: "Msg::LockServer handling, lock_server (model/com/server.rs)",
    },
    Rule {
        id: "R-002-FINAL-DECREMENT",
        source: "002 Local Server, paragraph 2 (\"The server terminates after the final decrement\")",
        text: "The EXE terminates after the final decrement of its counts, not whenever a count happens to be zero; otherwise it would exit at start-up.",
        element: "ServerState::release (decision on the decrement); ServerStep::IdleZeroCheck when exit-on-final-decrement is disabled",
    },
    Rule {
        id: "R-002-USER-CONTROL",
        source: "002 Local Server, user control",
        text: "A server with a user interface keeps a user-control flag, set when the end user takes control; automatic termination happens only while it is FALSE; while TRUE only the user shuts the server down.",
        element: "UserState::control, ServerStep::UserOpenDocument, may_shut_down",
    },
    Rule {
        id: "R-002-USER-CLOSE",
        source: "002 Local Server, forcible close",
        text: "When the user closes a server that still services objects, it either hides and stays until all objects are released (user control back to FALSE) or calls CoDisconnectObject on each running object, after which clients' calls fail with a disconnection error (the document's RPC_E_NOTCONNECTED; RPC_E_DISCONNECTED in winerror.h).",
        element: "ServerStep::UserCloseHide, UserCloseDisconnect, UserClose",
    },
    Rule {
        id: "R-002-FACTORY-REFS",
        source: "002 Local Server, last paragraph",
        text: "A positive reference count on a class object cannot keep an EXE alive: registration holds references that are released only by CoRevokeClassObject during shutdown, so waiting for them would never end.",
        element: "ServerState::factory_refcount, may_shut_down (factory-refs-ignored)",
    },
    Rule {
        id: "R-002-LOCKSERVER-HOLD",
        source: "002 Local Server, last paragraph",
        text: "A client that keeps a class object beyond a function's scope must call LockServer(TRUE) to prevent shutdown.",
        element: "ClientOp::LockServerTrue / LockServerFalse (model/com/client.rs)",
    },
    Rule {
        id: "R-003-COUNT-LOCKS",
        source: "003 paragraph \"To shut down properly\"",
        text: "A server tracks its object instances and its LockServer calls; only when both reach zero may it shut down.",
        element: "lock_server, add_ref, release (model/com/server.rs)",
    },
    Rule {
        id: "R-003-STA-SERIALIZED",
        source: "003 paragraph \"To shut down properly\"",
        text: "In a single-threaded server the shutdown decision is serialized with activations by the message queue: it revokes its class objects before another activation is dispatched, and a later activation fails back to the SCM, which runs a new instance.",
        element: "one-apartment dispatch: calls wait while the apartment is in its final-release handler (AptWork::FinalRelease); activations are one step in a single-apartment server (ServerState::split_activation)",
    },
    Rule {
        id: "R-003-MULTI-APARTMENT",
        source: "003 paragraph \"However, in an apartment model server\"",
        text: "In an apartment-model or free-threaded server one thread must not decide to shut down while another hands out class objects or instances.",
        element: "scenario local-multi-sta: two apartments dispatch independently; an activation is two steps there (AptWork::Activating, ServerStep::FinishActivation)",
    },
    Rule {
        id: "R-003-PROCESS-REFCOUNT",
        source: "003 CoAddRefServerProcess / CoReleaseServerProcess paragraphs",
        text: "Objects call CoAddRefServerProcess in their constructor and CoReleaseServerProcess in their destructor, and LockServer does the same for TRUE and FALSE; when CoReleaseServerProcess returns 0 the server starts its cleanup. The helpers must be used in both places.",
        element: "ServerState::add_ref / release (count), Toggle::ProcessRefcount",
    },
    Rule {
        id: "R-003-AUTO-SUSPEND",
        source: "003 \"When the global per-process reference count reaches zero\"",
        text: "When the per-process count reaches zero COM calls CoSuspendClassObjects: no new activation gets in and the server revokes its class objects at leisure.",
        element: "ServerState::release sets suspended; Msg::Activate refused with CO_E_SERVER_STOPPING",
    },
    Rule {
        id: "R-003-SCM-RELAUNCH",
        source: "003 \"All new activation requests are henceforth handled by the SCM launching a new instance\"",
        text: "An activation that reaches a server whose class objects are suspended or revoked fails back to the SCM, which launches a new instance of the server.",
        element: "ScmState::on_msg(Activated with an error) → route (model/com/scm.rs)",
    },
    Rule {
        id: "R-003-IMPLICIT-LOCK",
        source: "003 paragraph \"When a CoGetClassObject request is made\"",
        text: "Marshaling IClassFactory for a client adds an implicit LockServer(TRUE), and the client's release of the proxy an implicit LockServer(FALSE); the proxy answers LockServer itself with S_OK without remoting it. This closes the window between marshaling and the client's own LockServer.",
        element: "Msg::Activate / ReleaseFactory handling; ClientState::start for LockServer",
    },
    Rule {
        id: "R-003-STA-INIT",
        source: "003 paragraph \"There is another activation-related race\"",
        text: "A single-threaded server receives no activation before it enters its message loop; an apartment-model server may receive one as soon as any thread does, a free-threaded one as soon as a class is registered.",
        element: "dispatch only in AptPhase::Loop (ServerState::on_msg)",
    },
    Rule {
        id: "R-003-REGCLS-SUSPENDED",
        source: "003 paragraph \"To eliminate these race conditions\"",
        text: "A server registering several classes registers each with REGCLS_SUSPENDED and calls CoResumeClassObjects once when ready; no activation arrives before that, so no final release can start shutdown during initialisation.",
        element: "ServerStep::Register / Resume, ClassReg::Suspended",
    },
    Rule {
        id: "R-SEEDS-HRESULTS",
        source: "checked facts: HRESULTs",
        text: "RPC_E_DISCONNECTED is 0x80010108, CO_E_SERVER_STOPPING 0x80080008, CO_E_SERVER_EXEC_FAILURE 0x80080005, and a call into an exited server typically fails with RPC_S_SERVER_UNAVAILABLE (0x800706BA).",
        element: "model/com/hresult.rs",
    },
    Rule {
        id: "R-SEEDS-NO-REGCLS-LOCAL-SERVER",
        source: "checked facts: REGCLS_LOCAL_SERVER",
        text: "There is no REGCLS_LOCAL_SERVER flag: registration uses CLSCTX_LOCAL_SERVER with REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED.",
        element: "ServerStep::Register",
    },
    Rule {
        id: "R-SEEDS-STOPPING",
        source: "checked facts: CO_E_SERVER_STOPPING",
        text: "After the process count reached zero and class objects are suspended, an activation reaching the dying process fails with CO_E_SERVER_STOPPING (REGDB_E_CLASSNOTREG on Windows 10 1709 and later) and the SCM starts a new instance.",
        element: "Msg::Activate handling; ScmState relaunch",
    },
    Rule {
        id: "R-SEEDS-UNLOAD-DELAY",
        source: "checked facts: CoFreeUnusedLibrariesEx",
        text: "A DLL whose DllCanUnloadNow returns S_OK becomes a candidate and is freed on a later sweep once its unload delay (10 minutes for MTA/neutral DLLs, 0 for STA) has passed; using it again takes it off the list. The delay exists because a final Release can drop the count to zero and still run DLL code (its epilogue) when another thread frees the library.",
        element: "Entry::candidate, delay_passed; InprocState::sweep_outcome; InprocStep::Sweep, DelayPasses; two-step final Release; Toggle::WineCandidateList (variant)",
    },
    Rule {
        id: "R-SEEDS-DISCONNECT-INFLIGHT",
        source: "checked facts: CoDisconnectObject and in-flight calls",
        text: "CoDisconnectObject waits for in-flight calls: the object is disconnected when they return; new calls meanwhile get CO_E_OBJNOTCONNECTED.",
        element: "StubState::Disconnecting (model/com/service.rs)",
    },
    Rule {
        id: "R-SEEDS-KB170915",
        source: "checked facts: KB 170915",
        text: "A client with launch permission but no access permission makes COM launch the server, which registers its class objects; COM's security check then refuses the activation before it reaches the server's code, so no interface is marshaled and COM's garbage collection never starts. The server is orphaned if it is REGCLS_SINGLEUSE or runs as the launching user; the KB's fix is configuration.",
        element: "condition access-denied-client: server.rs refused() answers the activation E_ACCESSDENIED on the RPC thread; scm.rs passes it to the client without relaunching (REGCLS_SINGLEUSE not modeled yet)",
    },
    Rule {
        id: "R-SEEDS-EXITED",
        source: "checked facts: calls into an exited process",
        text: "A call through a proxy into a process that has exited fails the same way whether or not the server disconnected the object first (RPC_S_SERVER_UNAVAILABLE is typical); RPC_E_DISCONNECTED comes from a live process whose stub was disconnected, answered by COM's RPC layer.",
        element: "ServerState::on_msg (exited process; ServerState::to_disconnected)",
    },
    Rule {
        id: "R-SEEDS-RELEASE-ULONG",
        source: "checked facts: IUnknown::Release",
        text: "IUnknown::Release returns the new reference count, not an HRESULT: a client never observes a Release fail.",
        element: "ClientOp::returns_hresult, Observations::record",
    },
    Rule {
        id: "R-SEEDS-REVOKE",
        source: "checked facts: CoRevokeClassObject; Wine dlls/combase (COM_RevokeRegisteredClassObject informs the SCM)",
        text: "CoRevokeClassObject removes the class object from the class table and tells the SCM (Wine); new activations then start another instance. Clients' existing class-object proxies are not disconnected by it; the server may fail later calls on them. CoRegisterClassObject (and CoResumeClassObjects) register with the SCM synchronously.",
        element: "Msg::Register / Msg::Revoke / Msg::ScmDone; AptPhase::Waiting; ScmState::on_msg",
    },
    Rule {
        id: "R-SEEDS-EXEC-FAILURE",
        source: "checked facts: Adi Oltean (Microsoft), \"When CoCreateInstance returns 0x80080005\"",
        text: "When a server the SCM launched does not register the requested class object (it ends first, or does not register in time), the client's activation fails with CO_E_SERVER_EXEC_FAILURE; the SCM does not launch another instance for it.",
        element: "ScmState::on_msg(Msg::Exited): held activations answered CO_E_SERVER_EXEC_FAILURE (model/com/scm.rs)",
    },
    Rule {
        id: "R-SEEDS-BOX-STOPPING",
        source: "checked facts: Don Box, Essential COM (1998) ch. 6; ActiveX/COM Q&A, Microsoft Systems Journal, January 1997",
        text: "An activation already admitted can run concurrently with the final CoReleaseServerProcess despite COM's lock; Box's remedy: once the server has begun shutting down, its IClassFactory::CreateInstance (and IPersistFile::Load) return CO_E_SERVER_STOPPING, and the SCM starts a new instance.",
        element: "remedies stopping-flag, stopping-flag-locked: ServerState::stopping, begin_stopping, check_stopping, ServerStep::SetStoppingFlag (model/com/server.rs)",
    },
    Rule {
        id: "R-SEEDS-COUNINITIALIZE",
        source: "checked facts: Microsoft, CoUninitialize function (Remarks)",
        text: "If conversations remain open, CoUninitialize runs a modal message loop and dispatches the pending messages before it returns (non-COM messages are discarded): calls still queued in an STA when its thread leaves its message loop are dispatched, not failed.",
        element: "ServerState::apt_dispatching; ServerStep::Dispatch in AptPhase::Done; ServerStep::Exit only once the queues are empty (model/com/server.rs); not under Wine (R-WINE-TEARDOWN)",
    },
    Rule {
        id: "R-SEEDS-PER-APARTMENT",
        source: "checked facts: CoFreeUnusedLibrariesEx (Microsoft's page); Wine dlls/combase/apartment.c",
        text: "COM keeps a list of loaded DLLs per apartment; CoFreeUnusedLibrariesEx considers the DLLs of the apartments the calling thread can host, so only a thread of that apartment frees its entry; the module is freed when no apartment holds it. A DLL whose ThreadingModel is Apartment (or none) gets delay 0; Free, Both and Neutral get the delay.",
        element: "Dll::entries, Thread::apartment, InprocStep::Sweep(thread), Toggle::EveryApartmentSweeps",
    },
    Rule {
        id: "R-SEEDS-LOCAL-SERVER-ONLY",
        source: "checked facts: CLSCTX_LOCAL_SERVER",
        text: "A class object registered without CLSCTX_LOCAL_SERVER is not visible to other processes; their activations fail (the SCM waits for a registration that never comes: CO_E_SERVER_EXEC_FAILURE).",
        element: "HostState::on_msg (Msg::Activate of service A without register-local-server)",
    },
    Rule {
        id: "R-003-RECHECK",
        source: "003 paragraph \"However, in an apartment model server\"",
        text: "The classical approach to the multi-apartment shutdown race: after revoking its class objects, the server re-checks its instance count and stays alive until all instances have been released.",
        element: "Toggle::RecheckAfterRevoke (remedy for F-4): ServerState::after_revoke, ServerStep::Quit",
    },
    Rule {
        id: "R-003-SIMPLEST-WAY",
        source: "003 paragraph \"The simplest way\"",
        text: "Call CoAddRefServerProcess in the constructor of each instance object and in LockServer(TRUE), CoReleaseServerProcess in the destructor and in LockServer(FALSE); if it returns 0, initiate cleanup. Both must use the helpers or the server may shut down prematurely.",
        element: "ServerState::create, lock_server, release; Toggle::UserDocumentCounts applies it to the user's document (remedy for F-5)",
    },
    Rule {
        id: "R-COM-SINGLEUSE",
        source: "spec/frameworks.md §6 R-COM-SINGLEUSE: Microsoft, REGCLS enumeration (REGCLS_SINGLEUSE); CoRevokeClassObject",
        text: "A class object registered with REGCLS_SINGLEUSE is removed from public view once an application has connected to it: no other activation reaches it, and the SCM launches a new instance for the next one. The server must still call CoRevokeClassObject.",
        element: "configuration regcls-singleuse: ScmState::route forgets the registration when it forwards an activation to it; under Windows, which of several held activations takes it is the SCM's choice (ScmStep::Hand, spec/assumptions.md A-SINGLEUSE)",
    },
    Rule {
        id: "R-COM-PING-GC",
        source: "spec/frameworks.md §6 R-COM-PING-GC: [MS-DCOM] 3.1.2.2 and 3.2.2 (ping period 2 minutes, ping set time-out 3 periods)",
        text: "When a client process dies, its object exporter stops pinging; after the ping set times out (about 6 minutes) the server's object resolver releases the client's references on each object it held (its stubs are run down). Until then they keep the server's counts up.",
        element: "condition client-death and mechanism ping-garbage-collection: ClientEvent::Dies, ClientEvent::Rundown (model/com/client.rs) release the dead client's object and class-object references through their stubs",
    },
    Rule {
        id: "R-COM-STA-QUEUE",
        source: "spec/frameworks.md §6 R-COM-STA-QUEUE: Microsoft, \"Single-Threaded Apartments\"; Wine dlls/combase/rpc.c dispatch_rpc",
        text: "An STA receives incoming calls as messages posted to its hidden window and dispatches them one at a time, in arrival order, from the same queue as the thread's other posted messages (a framework's WM_QUIT). An MTA has no such queue: calls run on RPC threads.",
        element: "Queued, ServerState::queues, ServerStep::Dispatch (model/com/server.rs); framework servers always, textbook servers unless the variant unordered-dispatch is on",
    },
    Rule {
        id: "R-COM-QUIT-ORDER",
        source: "spec/frameworks.md §6 R-COM-QUIT-ORDER: Raymond Chen, \"Why is there a special PostQuitMessage function?\"",
        text: "PostThreadMessage(WM_QUIT) posts a real message, retrieved after the messages posted before it; PostQuitMessage sets a flag, and GetMessage returns WM_QUIT only once the queue is otherwise empty.",
        element: "Queued::Quit (ServerState::post_thread_quit) and ServerState::quit_requested; ServerStep::GetQuit",
    },
    Rule {
        id: "R-ATL70-LOCKCOUNT",
        source: "spec/frameworks.md §1: ATL 7.0, 7.1, 9.0 atlbase.h CAtlModule::Lock/Unlock (also ATL 3.0 CComModule, WTL)",
        text: "ATL 7.0–9.0 EXE modules (and ATL 3, WTL) count objects, LockServer(TRUE) and cached class objects in the module's own m_nLockCnt; COM's process count is not used, so COM never suspends the class objects on its own.",
        element: "Framework::process_count (model/com/framework.rs) false for Atl9, Wtl, Mfc; remedy process-count-lock",
    },
    Rule {
        id: "R-ATL70-MONITOR",
        source: "spec/frameworks.md §1: ATL 7.0, 7.1, 9.0 atlbase.h CAtlExeModuleT::Unlock, MonitorShutdown, PostMessageLoop",
        text: "With m_bDelayShutdown (default), Unlock reaching 0 signals a monitor thread; the monitor waits until m_dwTimeOut passes without a new signal, reads m_nLockCnt, and if it is 0 (free-threaded builds: CoSuspendClassObjects, then a second read) posts WM_QUIT to the main thread with PostThreadMessage; otherwise it waits again. Without m_bDelayShutdown, Unlock posts WM_QUIT itself. The main thread leaves its loop on WM_QUIT, revokes the class objects and exits.",
        element: "OnZero, MonitorKind (model/com/framework.rs); Monitor, ServerStep::MonitorWake/MonitorTimeout/MonitorRecheck/MonitorPost/GetQuit; mechanisms delayed-shutdown, monitor-recheck, suspend-before-quit",
    },
    Rule {
        id: "R-ATL70-REGISTER",
        source: "spec/frameworks.md §1: ATL 7.0, 7.1, 9.0, 10.0 atlbase.h CAtlExeModuleT::PreMessageLoop",
        text: "Apartment builds up to ATL 10.0 register with REGCLS_MULTIPLEUSE only; free-threaded builds (and every build from ATL 11.0) register with REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED and call CoResumeClassObjects after starting the monitor.",
        element: "Framework::registers_suspended; mechanism regcls-suspended where the code registers suspended",
    },
    Rule {
        id: "R-ATL10-UNLOCK",
        source: "spec/frameworks.md §1: ATL 10.0 – 14.32 atlbase.h CAtlExeModuleT::Lock/Unlock/MonitorShutdown",
        text: "From ATL 10.0, Lock is CoAddRefServerProcess and Unlock CoReleaseServerProcess (which suspends the class objects at 0); at 0 Unlock signals the monitor, which posts WM_QUIT on the first signal with no delay and no re-check (or posts WM_QUIT itself without m_bDelayShutdown).",
        element: "Framework::Atl14: process_count, MonitorKind::Untimed, ServerStep::MonitorPost",
    },
    Rule {
        id: "R-WTL-MONITOR",
        source: "spec/frameworks.md §3: WTL 7.5 – 10.0 atlapp.h CServerAppModule; WTL 10 AppWizard root.cpp",
        text: "WTL's CServerAppModule runs ATL 7–9's timed monitor on CComModule's own count in every version; the AppWizard's WinMain registers with REGCLS_SUSPENDED, starts the monitor and calls CoResumeClassObjects; WTL never uses CoAddRefServerProcess.",
        element: "Framework::Wtl (model/com/framework.rs): OnZero::SignalMonitor, MonitorKind::Timed, registers_suspended",
    },
    Rule {
        id: "R-MFC-LOCKAPP",
        source: "spec/frameworks.md §5: MFC olelock.cpp AfxOleLockApp/AfxOleUnlockApp/AfxOleOnReleaseAllObjects; wincore.cpp OnNcDestroy",
        text: "MFC counts objects and LockServer in m_nObjectCount; the decrement to 0, unless the user is in control, sets user control and destroys the main window if it is enabled, whose WM_NCDESTROY calls AfxPostQuitMessage while the count is still 0. AfxPostQuitMessage first calls AfxOleTerm(TRUE), whose COleObjectFactory::RevokeAll revokes every class object, and only then ::PostQuitMessage; activations still queued find the class revoked. With the main window disabled (a modal dialog up) nothing is destroyed and nothing tries again.",
        element: "Framework::Mfc: OnZero::PostQuitMessage, ServerState::framework_zero (revoke in the loop, ScmCall::RevokeInLoop), ServerState::quit_requested, Dialog",
    },
    Rule {
        id: "R-MFC-FACTORY",
        source: "spec/frameworks.md §5: MFC olefact.cpp COleObjectFactory::Register, Revoke, LockServer",
        text: "COleObjectFactory registers REGCLS_SINGLEUSE when bMultiInstance is TRUE and REGCLS_MULTIPLEUSE otherwise, never REGCLS_SUSPENDED; its LockServer calls AfxOleLockApp/AfxOleUnlockApp.",
        element: "Framework::registers_suspended false for Mfc; configuration regcls-singleuse is bMultiInstance TRUE",
    },
    Rule {
        id: "R-MFC-CLOSE",
        source: "spec/frameworks.md §5: MFC winfrm.cpp CFrameWnd::OnClose; olelink.cpp COleLinkingDoc::OnNewDocument; oledoc1.cpp COleDocument",
        text: "A user's new document sets user control (AfxOleSetUserCtrl(TRUE)) and, as any COleDocument, calls AfxOleLockApp. CFrameWnd::OnClose closes the documents; with objects still outstanding it gives control back to COM (AfxOleSetUserCtrl(FALSE)) and serves on hidden, otherwise it destroys the main window, whose OnNcDestroy calls AfxPostQuitMessage (revoke, then quit). MFC never calls CoDisconnectObject.",
        element: "condition user-takes-control: ServerState::document_counts, ServerStep::UserOpenDocument, UserCloseHide, UserClose (MFC arm of ServerState::step)",
    },
    Rule {
        id: "R-WTL-USER-START",
        source: "spec/frameworks.md §3: WTL 10 AppWizard templates root.cpp (WinMain, Run), Frame.h (OnDestroy)",
        text: "Started by the user, the AppWizard's WinMain starts the monitor and registers the class objects as for a client; Run() of a COM server calls _Module.Lock() once the main window exists, and the window's OnDestroy calls _Module.Unlock(): a client's last release leaves the count at 1 while the user's window is open, and closing the window lets the monitor post WM_QUIT once the count stays zero.",
        element: "condition user-started: ServerState::new (slot 0 registered, window open), ScmState::new; mechanism frame-locks-module; ServerStep::UserClose (WTL arm of ServerState::step)",
    },
    Rule {
        id: "R-WRL-COUNT",
        source: "spec/frameworks.md §7: Windows SDK 10.0.10240 and 10.0.22000.196 winrt/wrl/module.h Module<OutOfProc>::IncrementObjectCount/DecrementObjectCount, ClassFactory; implements.h RuntimeClass",
        text: "WRL's out-of-process module counts in COM's process count: IncrementObjectCount is CoAddRefServerProcess and DecrementObjectCount CoReleaseServerProcess; every RuntimeClass object calls the first in its constructor and the second after its final Release, ClassFactory::LockServer calls them for TRUE and FALSE, and the class factory's own references do not count out of process.",
        element: "Framework::Wrl (model/com/framework.rs): process_count, auto_suspend",
    },
    Rule {
        id: "R-WRL-REGISTER",
        source: "spec/frameworks.md §7: winrt/wrl/module.h Details::RegisterCOMObject, Module<OutOfProc>::RegisterCOMObject/UnregisterCOMObject",
        text: "Module<OutOfProc>::RegisterObjects registers every class with CoRegisterClassObject(CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED) and then calls CoResumeClassObjects once; UnregisterObjects calls CoRevokeClassObject for each.",
        element: "Framework::registers_suspended true for Wrl; ServerStep::Register, ServerStep::Resume",
    },
    Rule {
        id: "R-WRL-NOTIFIER",
        source: "spec/frameworks.md §7: winrt/wrl/module.h Module<OutOfProc>::DecrementObjectCount, OutOfProcModuleBase::Create; chromium chrome/notification_helper/com_server_module.cc; microsoft/terminal src/host/exe/exemain.cpp",
        text: "When DecrementObjectCount's CoReleaseServerProcess returns 0, WRL invokes the release notifier the server passed to Module::Create, on the releasing thread, every time. WRL itself neither revokes, suspends nor exits: its users' notifier signals an event that the main thread (in the MTA) waits on, and the main thread then unregisters the class objects (CoRevokeClassObject) and returns from WinMain.",
        element: "OnZero::SignalMainThread (ServerState::framework_zero), ServerStep::WaitReturns",
    },
    Rule {
        id: "R-WINE-LOCKSERVER-STUB",
        source: "seeds README (Wine as a real COM runtime: observed differences); Wine dlls/combase usrmarshal.c IClassFactory_LockServer_Proxy; harness case b (docs/wine.md)",
        text: "Under Wine, marshaling IClassFactory takes no implicit LockServer, and IClassFactory::LockServer on a class-object proxy returns E_NOTIMPL without reaching the server.",
        element: "Runtime::Wine pins implicit-lockserver off (model/com/runtime.rs WINE_PINS); the client's LockServer on a proxy under Wine (model/com/client.rs)",
    },
    Rule {
        id: "R-WINE-NO-SUSPEND",
        source: "seeds README (Wine: observed differences); Wine dlls/combase combase.c CoReleaseServerProcess (\"FIXME: suspend objects\"); harness case c (docs/wine.md)",
        text: "Under Wine, CoReleaseServerProcess never suspends the class objects at zero, and CoSuspendClassObjects and CoResumeClassObjects are stubs: REGCLS_SUSPENDED is ignored and a class is activatable as soon as it is registered.",
        element: "Runtime::Wine pins auto-suspend and regcls-suspended off (WINE_PINS); the suspending steps do nothing under Wine (model/com/server.rs)",
    },
    Rule {
        id: "R-WINE-ACTIVATION",
        source: "seeds README (Wine's activation path); Wine dlls/combase rpc.c rpc_get_local_class_object, apartment.c local_server_QueryService",
        text: "Under Wine, CoCreateInstance gets the class object the server registered with rpcss and calls IClassFactory::CreateInstance through its proxy; there is no SCM forwarding and no relaunch after a refusal: an activation of a revoked class gets E_FAIL. A launching client sees the registration only at its next poll of rpcss (once a second), so its server may serve others and exit first; it gets E_NOINTERFACE when its class is gone before its poll (F-1 on Wine). A client whose first try finds no registration launches the server itself, whatever launch is under way, and rpcss hands out the first registration of its list, so a second instance launched during another's start-up may never be used (F-11 on Wine).",
        element: "Runtime::Wine pins exited-instance-fails on; Runtime::refused_activation_hr, failed_launch_hr; the client's CoCreateInstance under Wine (model/com/client.rs); ScmStep::Poll, ScmState::give_up, ScmState::route's launch per activation and ScmState::backups (model/com/scm.rs)",
    },
    Rule {
        id: "R-WINE-NO-RUNDOWN",
        source: "seeds README (Wine's activation path: no ping or rundown of dead clients' references)",
        text: "Wine has no ping or rundown of a dead client's references: a client process that dies holding references keeps the server's counts up.",
        element: "Runtime::Wine pins ping-garbage-collection off (WINE_PINS)",
    },
    Rule {
        id: "R-WINE-FREE-UNUSED",
        source: "seeds README (CoFreeUnusedLibrariesEx: Wine's apartment_freeunusedlibraries); Wine dlls/combase apartment.c",
        text: "Wine's CoFreeUnusedLibrariesEx is its candidate list: it asks DllCanUnloadNow again before freeing, clears the mark on S_FALSE, and does not revive a candidate on use.",
        element: "Runtime::Wine pins wine-candidate-list on (WINE_PINS)",
    },
    Rule {
        id: "R-WINE-DISCONNECTED",
        source: "seeds README (Wine: observed differences: a call after CoDisconnectObject fails with RPC_S_UNKNOWN_IF)",
        text: "Under Wine, a call on a stub the server disconnected with CoDisconnectObject fails with RPC_S_UNKNOWN_IF (0x800706B5), where Windows returns RPC_E_DISCONNECTED.",
        element: "Runtime::disconnected_hr (model/com/runtime.rs)",
    },
    Rule {
        id: "R-WINE-TEARDOWN",
        source: "Wine 8.0 dlls/combase combase.c CoUninitialize, apartment.c leave_apartment and apartment_release, rpc.c dispatch_rpc, stubmanager.c ipid_get_dispatch_params; dlls/rpcrt4 rpc_message.c RPCRT4_default_receive_fragment; harness/conformance runs 67, 141 and 192",
        text: "Under Wine, CoUninitialize has no modal loop: a call posted to an STA that has left its message loop is never dispatched, holds the apartment, and fails with RPC_S_CALL_FAILED when the process exits; once CoUninitialize has released an apartment with no call queued, a call that reaches it fails with RPC_E_DISCONNECTED without the server's code.",
        element: "Runtime::teardown_hr, uninitialize_dispatches, cut_off_hr (model/com/runtime.rs); ServerStep::Uninitialize, AptPhase::Uninitialized, ServerState::teardown_answer_hr, end_process (model/com/server.rs)",
    },
    Rule {
        id: "R-WINE-NO-PERMISSION-CHECK",
        source: "seeds README (Wine's activation path: no launch or access permission check)",
        text: "Wine makes no launch or access permission check, so KB 170915's orphaned server cannot arise there.",
        element: "Runtime::refuses_toggle: access-denied-client is refused under Wine",
    },
    Rule {
        id: "R-WINE-NO-DISCONNECT-CONTEXT",
        source: "seeds README (Wine's activation path: CoDisconnectContext is a stub)",
        text: "Wine's CoDisconnectContext is a stub, so the service host's stop sequence (seed 000) means nothing there.",
        element: "Runtime::refuses_scenario: service is refused under Wine",
    },
];

/// Looks a rule up by ID.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The source file for a rule ID.
pub fn source_file(id: &str) -> &'static str {
    if id.starts_with("R-000") {
        S000
    } else if id.starts_with("R-001") {
        S001
    } else if id.starts_with("R-002") {
        S002
    } else if id.starts_with("R-003") {
        S003
    } else if ["R-COM", "R-ATL", "R-WTL", "R-MFC", "R-WRL"]
        .iter()
        .any(|p| id.starts_with(p))
    {
        SFRAMEWORKS
    } else {
        SREADME
    }
}

/// The source document of rule `id` as a reader names it: title and author (README.md,
/// "Sources"), for user-facing text (trace pages, narratives).
pub fn source_title(id: &str) -> &'static str {
    match source_file(id) {
        S000 => "Microsoft, \"CoDisconnectContext function\" (Win32 API reference)",
        S001 => "Raymond Chen, \"Yo dawg, I hear you like COM apartments…\" (The Old New Thing)",
        S002 => "Kraig Brockschmidt, Inside OLE, \"Unloading Mechanisms\"",
        S003 => "Microsoft, \"Out-of-Process Server Implementation Helpers\" (COM documentation)",
        SFRAMEWORKS => "Microsoft's COM pages, Raymond Chen's posts and the ATL, WTL and MFC sources, quoted in spec/frameworks.md",
        _ => "facts checked against Microsoft's API pages, KB 170915 and Wine's combase (README.md, \"Sources\")",
    }
}
