//! The normative rules of the source documents, in our own words, each with its source (file
//! and section) and the model element that implements it. spec/rules.md explains each; the
//! tables that link rules, mechanisms and properties are generated from this list
//! ([`crate::tables`]).

/// A numbered rule.
pub struct Rule {
    /// Stable ID: `R-<document>-<topic>`.
    pub id: &'static str,
    /// Source file in `../shared/seeds/` and section.
    pub source: &'static str,
    /// The rule in our words.
    pub text: &'static str,
    /// The model element that implements it, or why none does.
    pub element: &'static str,
}

/// Source 002 (Brockschmidt, Inside OLE, "Unloading Mechanisms").
const S002: &str = "002_04beec619a32ce82.txt";
/// Source 003 (Microsoft, "Out-of-Process Server Implementation Helpers").
const S003: &str = "003_71d2d71f8f3a5043.txt";
/// The seeds README's facts checked against other sources.
const SREADME: &str = "README.md";

/// Every rule, in document order.
pub const RULES: &[Rule] = &[
    Rule {
        id: "R-002-BOTTOM-LINE",
        source: "002 Unloading Mechanisms, \"The bottom line\"",
        text: "A server is no longer needed when no LockServer lock is outstanding and no object other than its class objects is being serviced; it keeps an object count and a lock count, or one combined counter.",
        element: "ServerState::count, documented_count, lock_server, release (model/server.rs)",
    },
    Rule {
        id: "R-002-EXE-ACTIVE",
        source: "002 Unloading Mechanisms; Local Server",
        text: "An EXE server detects the unload condition itself and terminates (PostQuitMessage); COM does not ask it.",
        element: "ServerStep::FinishRelease, Revoke, Exit (model/server.rs)",
    },
    Rule {
        id: "R-002-IMPLEMENT-LOCKSERVER",
        source: "002 In-Process Server, Note",
        text: "A server must implement IClassFactory::LockServer (and a DLL DllCanUnloadNow) to support proper unloading.",
        element: "Msg::LockServer handling, lock_server (model/server.rs)",
    },
    Rule {
        id: "R-002-FINAL-DECREMENT",
        source: "002 Local Server, first paragraph",
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
        element: "ClientOp::LockServerTrue / LockServerFalse (model/client.rs)",
    },
    Rule {
        id: "R-003-COUNT-LOCKS",
        source: "003 paragraph \"To shut down properly\"",
        text: "A server tracks its object instances and its LockServer calls; only when both reach zero may it shut down.",
        element: "lock_server, add_ref, release (model/server.rs)",
    },
    Rule {
        id: "R-003-STA-SERIALIZED",
        source: "003 paragraph \"To shut down properly\"",
        text: "In a single-threaded server the shutdown decision is serialized with activations by the message queue: it revokes its class objects before another activation is dispatched, and a later activation fails back to the SCM, which runs a new instance.",
        element: "one-apartment dispatch: calls wait while the apartment is in its final-release handler (Apartment::busy)",
    },
    Rule {
        id: "R-003-MULTI-APARTMENT",
        source: "003 paragraph \"However, in an apartment model server\"",
        text: "In an apartment-model or free-threaded server one thread must not decide to shut down while another hands out class objects or instances.",
        element: "scenario local-mta: two apartments dispatch independently",
    },
    Rule {
        id: "R-003-PROCESS-REFCOUNT",
        source: "003 CoAddRefServerProcess / CoReleaseServerProcess paragraphs",
        text: "Objects call CoAddRefServerProcess in their constructor and CoReleaseServerProcess in their destructor, and LockServer does the same for TRUE and FALSE; when CoReleaseServerProcess returns 0 the server starts its cleanup. The helpers must be used in both places.",
        element: "ServerState::add_ref / release (count), Mechanism::ProcessRefcount",
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
        element: "ScmState::on_msg(Activated with an error) → route (model/scm.rs)",
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
        source: "README.md, known facts: HRESULTs",
        text: "RPC_E_DISCONNECTED is 0x80010108, CO_E_SERVER_STOPPING 0x80080008, CO_E_SERVER_EXEC_FAILURE 0x80080005, and a call into an exited server typically fails with RPC_S_SERVER_UNAVAILABLE (0x800706BA).",
        element: "model/hresult.rs",
    },
    Rule {
        id: "R-SEEDS-NO-REGCLS-LOCAL-SERVER",
        source: "README.md, known facts: REGCLS_LOCAL_SERVER",
        text: "There is no REGCLS_LOCAL_SERVER flag: registration uses CLSCTX_LOCAL_SERVER with REGCLS_MULTIPLEUSE | REGCLS_SUSPENDED.",
        element: "ServerStep::Register",
    },
    Rule {
        id: "R-SEEDS-STOPPING",
        source: "README.md, known facts: CO_E_SERVER_STOPPING",
        text: "After the process count reached zero and class objects are suspended, an activation reaching the dying process fails with CO_E_SERVER_STOPPING (REGDB_E_CLASSNOTREG on Windows 10 1709 and later) and the SCM starts a new instance.",
        element: "Msg::Activate handling; ScmState relaunch",
    },
    Rule {
        id: "R-SEEDS-IDLE-TIMER",
        source: "README.md, known facts: KB 170915",
        text: "A server launched but never activated, which checks for exit only on a decrement, runs for ever; real servers add an idle timer.",
        element: "checked by server-eventually-exits; see spec/findings.md",
    },
];

/// Looks a rule up by ID.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The source file for a rule ID.
pub fn source_file(id: &str) -> &'static str {
    if id.starts_with("R-002") {
        S002
    } else if id.starts_with("R-003") {
        S003
    } else {
        SREADME
    }
}
