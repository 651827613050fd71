//! The description format: the TOML tables read with serde (every table with
//! `deny_unknown_fields`, every closed set of strings an enum from `choice!` that names the valid
//! choices), [`Description::parse`], the JSON Schema (`comlife schema`), and where an error is
//! ([`DescriptionError`]: `FILE:LINE:COLUMN: what is wrong; valid choices: …`).

use crate::com::scenario::quote_prefix;
use crate::verify::check::Verdict;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// Defines a closed set of string choices: the enum, its names, a `Deserialize` that names the
/// valid choices when a value is not one of them, and a JSON Schema `enum`.
macro_rules! choice {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }

        impl $name {
            /// Every choice, in the order the documentation lists them.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The choice as written in a description.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$v => $s),+
                }
            }

            /// The valid choices, quoted, for error messages.
            pub fn valid() -> String {
                Self::ALL
                    .iter()
                    .map(|c| format!("\"{}\"", c.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::ALL
                    .iter()
                    .copied()
                    .find(|c| c.name() == s)
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "unknown {} \"{}\"; valid choices: {}",
                            $what,
                            quote_prefix(&s),
                            Self::valid()
                        ))
                    })
            }
        }
    };
}

choice!(
    /// What kind of server it is.
    ServerKind, "server kind", {
        /// A local (EXE) server, launched by the SCM.
        Exe = "exe",
        /// An in-process (DLL) server, loaded by its clients.
        Dll = "dll",
        /// Services sharing a service host process (seeds 000, 001).
        Service = "service",
    }
);

choice!(
    /// Whose lifetime code an EXE server runs.
    Lifetime, "lifetime", {
        /// The textbook server of seeds 002 (Inside OLE, "Local Server") and 003
        /// ("Out-of-Process Server Implementation Helpers").
        Textbook = "textbook",
        /// ATL 7.0, 7.1, 9.0 `CAtlExeModuleT` (and the ATL 3.0 wizard's `CExeModule`):
        /// spec/frameworks.md §1–2.
        Atl9 = "atl9",
        /// ATL 10.0–14.32 `CAtlExeModuleT`: spec/frameworks.md §1.
        Atl14 = "atl14",
        /// WTL 7.5–10.0 `CServerAppModule` with the AppWizard's `WinMain`: spec/frameworks.md §3.
        Wtl = "wtl",
        /// MFC 7.0–14.x `AfxOleLockApp`/`AfxOleUnlockApp`: spec/frameworks.md §5.
        Mfc = "mfc",
        /// WRL `Microsoft::WRL::Module<OutOfProc>` (Windows SDK `winrt/wrl/module.h`) with a
        /// release notifier that signals the main thread: spec/frameworks.md §7.
        Wrl = "wrl",
    }
);

choice!(
    /// How an EXE server is built.
    Threading, "threading", {
        /// Apartment build: every thread that registers classes is an STA.
        Apartment = "apartment",
        /// Free-threaded build: the main thread in the MTA (`CoInitializeEx(NULL,
        /// COINIT_MULTITHREADED)`; ATL's `_ATL_FREE_THREADED`; WRL's users), calls on RPC threads without a
        /// message queue (003; R-COM-STA-QUEUE).
        Free = "free",
    }
);

choice!(
    /// What makes a textbook EXE server decide to exit (`[server] exit`).
    Exit, "exit decision", {
        /// The lifetime count (CoAddRefServerProcess/CoReleaseServerProcess, or the server's
        /// own) reaching zero on a final release (002 "Local Server", 003;
        /// R-002-FINAL-DECREMENT). The default.
        Count = "count",
        /// The first object's destructor sets an event the main thread waits on; the main thread
        /// then tears down (revokes, CoUninitialize, returns from `main`), whatever else is
        /// alive: the DCOM "simple" sample's sserver.cpp (spec/assumptions.md A-EVENT-EXIT).
        FirstObjectDestroyed = "first-object-destroyed",
        /// The count of open top-level windows reaching zero: `PostQuitMessage(0)` when the last
        /// window closes (or the idle timer finds none), WM_QUIT once the queue is empty; one
        /// STA; objects and locks count nothing: Windows Terminal's `WindowEmperor`
        /// (spec/assumptions.md A-WINDOWS-EXIT).
        Windows = "windows",
        /// A DLL server in a surrogate process (dllhost): the surrogate's periodic
        /// CoFreeUnusedLibraries finds `DllCanUnloadNow` S_OK (the DLL's own count zero), unloads
        /// the DLL, and COM's `ISurrogate::FreeSurrogate` revokes the class objects and ends the
        /// process (spec/assumptions.md A-SURROGATE). One STA.
        DllUnloaded = "dll-unloaded",
    }
);

choice!(
    /// Whether a textbook EXE server registers its class objects unconditionally (`[server]
    /// registration`).
    Registration, "registration", {
        /// The main thread registers its classes once it has started. The default. (A server
        /// that registers late, after steps of its own, is this too: registering is a step of
        /// its own after the launch, and the SCM holds the activation until it comes.)
        Always = "always",
        /// The main thread may end the process before it registers anything, when a condition
        /// it checks first does not allow it (Windows Terminal's single-instance hand-off,
        /// WindowEmperor.cpp lines 536–544; spec/assumptions.md A-CONDITIONAL-REGISTRATION):
        /// the activations the SCM held for it fail with CO_E_SERVER_EXEC_FAILURE
        /// (R-SEEDS-EXEC-FAILURE).
        Conditional = "conditional",
    }
);

choice!(
    /// What a textbook EXE server's main thread does after its message loop (`[server]
    /// teardown`).
    TeardownKind, "teardown", {
        /// CoRevokeClassObject (unless `revoke = false`), then CoUninitialize, whose modal loop
        /// dispatches what is still queued (002, 003; A-QUEUE). The default.
        Uninitialize = "uninitialize",
        /// `TerminateProcess(GetCurrentProcess(), 0)` at once, with `exit = "windows"`: nothing
        /// queued is dispatched, every call still queued or arriving fails with
        /// RPC_S_SERVER_UNAVAILABLE (Windows Terminal, WindowEmperor.cpp line 751;
        /// spec/assumptions.md A-TERMINATE).
        TerminateProcess = "terminate-process",
    }
);

choice!(
    /// What a textbook class object's `IClassFactory::LockServer` does (`lock_server`).
    LockServerImpl, "lock_server", {
        /// LockServer(TRUE) adds to the server's count and LockServer(FALSE) releases it
        /// (002, 003; R-002-LOCKSERVER-HOLD). The default.
        Counts = "counts",
        /// `LockServer(BOOL fLock) { return E_FAIL; }`: nothing is counted (sserver.cpp line 83).
        EFail = "e-fail",
    }
);

choice!(
    /// What a class object's `IClassFactory::CreateInstance` hands out (`factory`).
    FactoryKind, "factory", {
        /// A new object per call (002, 003; every built-in server). The default.
        NewObject = "new-object",
        /// The same object to every client: a singleton class object (ATL's
        /// DECLARE_CLASSFACTORY_SINGLETON family; VBoxSVC's VirtualBoxClassFactory hands out one
        /// VirtualBoxObjectCached, which Locks the module while any client holds it:
        /// spec/assumptions.md A-SINGLETON).
        Singleton = "singleton",
    }
);

choice!(
    /// The kind of a COM apartment.
    ApartmentKind, "apartment kind", {
        /// A single-threaded apartment.
        Sta = "sta",
        /// The multithreaded apartment.
        Mta = "mta",
    }
);

choice!(
    /// A REGCLS flag a class is registered with (CoRegisterClassObject).
    Regcls, "REGCLS flag", {
        /// REGCLS_MULTIPLEUSE: any number of activations reach this instance's class object.
        Multipleuse = "MULTIPLEUSE",
        /// REGCLS_SINGLEUSE: once an activation reached it, the next one launches a new instance
        /// (R-COM-SINGLEUSE).
        Singleuse = "SINGLEUSE",
        /// REGCLS_SUSPENDED: not visible to the SCM until CoResumeClassObjects
        /// (R-003-REGCLS-SUSPENDED).
        Suspended = "SUSPENDED",
    }
);

choice!(
    /// A CLSCTX value a class object is registered or served with.
    Clsctx, "CLSCTX value", {
        /// CLSCTX_LOCAL_SERVER: other processes can activate it.
        LocalServer = "LOCAL_SERVER",
        /// CLSCTX_INPROC_SERVER: in-process only.
        InprocServer = "INPROC_SERVER",
        /// CLSCTX_SERVER (CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER), as
        /// an EXE registers it (sserver.cpp line 287): the same as LOCAL_SERVER for the model's
        /// clients, which are local processes (no remote or in-process client is modeled).
        Server = "SERVER",
    }
);

choice!(
    /// The COM runtime a description's server runs on (`runtime`; `comlife list` says what
    /// Wine changes).
    RuntimeName, "runtime", {
        /// Microsoft's COM as the documents describe it (the default).
        Windows = "windows",
        /// Wine's COM (R-WINE-* in spec/rules.md; docs/wine.md).
        Wine = "wine",
    }
);

choice!(
    /// An expected verdict in `[expect]`.
    ExpectedVerdict, "verdict", {
        /// No reachable state violates it (always, eventually); an example exists (sometimes).
        Holds = "holds",
        /// A counterexample exists (always, eventually); no state satisfies it (sometimes).
        Violated = "violated",
    }
);

impl ExpectedVerdict {
    /// The checker's verdict this names.
    pub fn verdict(self) -> Verdict {
        match self {
            ExpectedVerdict::Holds => Verdict::Holds,
            ExpectedVerdict::Violated => Verdict::Violated,
        }
    }
}

/// Where a description came from: its file name (as given) and text, to turn byte offsets into
/// line and column.
#[derive(Clone, Debug, Default)]
pub(super) struct Source {
    pub(super) file: String,
    pub(super) text: String,
}

/// A server description, as read from TOML (spec/scenarios/*.toml are examples).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "comlife server description")]
pub struct Description {
    /// The description's name: 1 to 64 lowercase letters, digits and `-`; used in trace paths
    /// (`traces/NAME/RUN/PROPERTY.md`).
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9-]{1,64}$"))]
    pub name: Spanned<String>,
    /// The COM runtime: "windows" (default) or "wine". `--runtime` on the command line must
    /// agree with it.
    #[serde(default)]
    #[schemars(with = "Option<RuntimeName>")]
    pub runtime: Option<Spanned<RuntimeName>>,
    /// The server.
    pub server: Server,
    /// Mechanisms, remedies, variants, conditions and configurations toggled from their default
    /// (`comlife list`).
    #[serde(default)]
    pub mechanisms: Mechanisms,
    /// The clients.
    #[serde(default)]
    pub clients: Clients,
    /// Exploration bounds; without them the whole state space is explored.
    #[serde(default)]
    pub bounds: Bounds,
    /// Expected verdicts: property name (`comlife list`) = "holds" | "violated". `comlife
    /// check` exits 1 when one differs.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ExpectedVerdict>")]
    pub expect: BTreeMap<Spanned<String>, Spanned<ExpectedVerdict>>,
    #[serde(skip)]
    #[schemars(skip)]
    pub(super) source: Source,
}

/// The `[server]` table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// "exe" | "dll" | "service".
    #[schemars(with = "ServerKind")]
    pub kind: Spanned<ServerKind>,
    /// EXE only: whose lifetime code the server runs.
    #[serde(default)]
    #[schemars(with = "Option<Lifetime>")]
    pub lifetime: Option<Spanned<Lifetime>>,
    /// EXE only: "apartment" (default) or "free" (textbook, atl9, atl14; wrl is free only).
    #[serde(default)]
    #[schemars(with = "Option<Threading>")]
    pub threading: Option<Spanned<Threading>>,
    /// Textbook EXE only: what makes the server decide to exit: "count" (default) or
    /// "first-object-destroyed" (one apartment).
    #[serde(default)]
    #[schemars(with = "Option<Exit>")]
    pub exit: Option<Spanned<Exit>>,
    /// Textbook EXE only: whether the server calls CoRevokeClassObject before CoUninitialize
    /// (default true); false: a bare CoUninitialize, which revokes what is still registered
    /// (spec/assumptions.md A-UNINIT-REVOKES).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub revoke: Option<Spanned<bool>>,
    /// Textbook EXE with `exit = "windows"` only: whether a method call on an object opens a
    /// top-level window on the STA before it returns (default false; Windows Terminal's
    /// `EstablishPtyHandoff`, spec/assumptions.md A-WINDOWS-EXIT).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub call_opens_window: Option<Spanned<bool>>,
    /// Textbook EXE with `exit = "windows"` or `"count"` only: whether an instance the SCM
    /// launched (`-Embedding`) runs an idle timer. With `exit = "windows"` it calls
    /// PostQuitMessage when it ticks with no window open, stopped when the first window opens
    /// (spec/assumptions.md A-IDLE-TIMER); with `exit = "count"` it ticks once, and when no
    /// client holds a reference on the server it calls CoAddRefServerProcess and
    /// CoReleaseServerProcess, which shuts the server down as a final release does
    /// (A-STARTUP-TIMER; the remedy of spec/findings.md F-11). Default false.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub idle_timer: Option<Spanned<bool>>,
    /// Textbook EXE with `exit = "windows"` only: whether the window code calls
    /// CoRevokeClassObject before PostQuitMessage, as MFC's `AfxPostQuitMessage` does (default
    /// false; a remedy: R-MFC-LOCKAPP, R-003-SCM-RELAUNCH).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub revoke_before_quit: Option<Spanned<bool>>,
    /// Textbook EXE with `exit = "windows"` only: whether PostQuitMessage also waits until no
    /// object is alive, an object's final release checking again (default false; a remedy).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub quit_waits_for_objects: Option<Spanned<bool>>,
    /// Textbook EXE only: what the main thread does after its message loop: "uninitialize"
    /// (default) or "terminate-process" (with `exit = "windows"`).
    #[serde(default)]
    #[schemars(with = "Option<TeardownKind>")]
    pub teardown: Option<Spanned<TeardownKind>>,
    /// Textbook EXE with `exit = "count"` only: whether the server holds a reference on its own
    /// count for a while: CoAddRefServerProcess when it starts, before registering, and
    /// CoReleaseServerProcess at a later moment of its choosing, which may be the final release
    /// (default false; spec/assumptions.md A-SELF-HOLD).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub self_hold: Option<Spanned<bool>>,
    /// Textbook EXE only: "always" (default) or "conditional": the server may end its process
    /// before registering anything (spec/assumptions.md A-CONDITIONAL-REGISTRATION).
    #[serde(default)]
    #[schemars(with = "Option<Registration>")]
    pub registration: Option<Spanned<Registration>>,
    /// `lifetime = "atl9"` only: the lock count at or below which the exit decision treats the
    /// server as idle, 0 (default) or 1 (VBoxSVC's `isIdleLockCount`: `cLocks <= 1` once
    /// registered with VBoxSDS; spec/assumptions.md A-PEER-LOCK).
    #[serde(default)]
    #[schemars(with = "Option<u8>")]
    pub idle_count: Option<Spanned<u8>>,
    /// `lifetime = "atl9"` with `idle_count = 1` only: whether one lock on the count is held for
    /// a peer process for the server's whole life, the lock the idle test discounts (default
    /// false; VBoxSVC takes it on VBoxSDS's behalf; spec/assumptions.md A-PEER-LOCK).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub peer_lock: Option<Spanned<bool>>,
    /// Whether an interactive user works in the server and closes it: the textbook EXE with one
    /// STA (R-002-USER-CONTROL, R-002-USER-CLOSE); MFC, where the user takes control of an
    /// instance launched for a client (condition `user-takes-control`, R-MFC-CLOSE); WTL, where
    /// the user starts instance 1 (condition `user-started`, R-WTL-USER-START). Default false.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub user: Option<Spanned<bool>>,
    /// The apartments that register classes (EXE, service), in order; none for a DLL.
    #[serde(default)]
    pub apartments: Vec<Apartment>,
    /// The classes the server implements, in order.
    #[serde(default)]
    pub classes: Vec<Class>,
}

/// One `[[server.apartments]]` entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Apartment {
    /// "sta" | "mta".
    #[schemars(with = "ApartmentKind")]
    pub kind: Spanned<ApartmentKind>,
    /// The classes this apartment registers (names from `[[server.classes]]`).
    #[schemars(with = "Vec<String>")]
    pub classes: Vec<Spanned<String>>,
}

/// One `[[server.classes]]` entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Class {
    /// The class's name (e.g. "CLSID_A"): 1 to 64 letters, digits and `_`, not starting with a
    /// digit; shown in trace narratives, diagrams and HTML.
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"))]
    pub name: Spanned<String>,
    /// The REGCLS flags it is registered with; `[]` for a DLL (it registers nothing).
    #[schemars(with = "Vec<Regcls>")]
    pub regcls: Spanned<Vec<Spanned<Regcls>>>,
    /// The CLSCTX it is registered or served with: exactly one value.
    #[schemars(with = "Vec<Clsctx>")]
    pub clsctx: Spanned<Vec<Spanned<Clsctx>>>,
    /// Textbook EXE only: what its `IClassFactory::LockServer` does: "counts" (default) or
    /// "e-fail".
    #[serde(default)]
    #[schemars(with = "Option<LockServerImpl>")]
    pub lock_server: Option<Spanned<LockServerImpl>>,
    /// EXE only: what its `IClassFactory::CreateInstance` hands out: "new-object" (default) or
    /// "singleton".
    #[serde(default)]
    #[schemars(with = "Option<FactoryKind>")]
    pub factory: Option<Spanned<FactoryKind>>,
}

/// The `[mechanisms]` table.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mechanisms {
    /// Mechanisms (on by default) to disable.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub disable: Vec<Spanned<String>>,
    /// Remedies, variants, conditions and configurations (off by default) to enable.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub enable: Vec<Spanned<String>>,
}

/// The `[clients]` table.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clients {
    /// Number of client processes, 1 to 4 (default 2); not for a DLL, whose client is one
    /// process with an STA thread and two MTA threads.
    #[serde(default)]
    #[schemars(with = "Option<u8>", range(min = 1, max = 3))]
    pub count: Option<Spanned<i64>>,
    /// Whether a client process may die holding references (condition `client-death`;
    /// EXE only).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub may_die: Option<Spanned<bool>>,
    /// Whether client 1 has launch but no access permission (condition
    /// `access-denied-client`, KB 170915; EXE only).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub access_denied: Option<Spanned<bool>>,
    /// The class each client activates, in client order (names from `[[server.classes]]`; EXE
    /// only). Default: client i activates the (i mod number of classes)-th class.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub classes: Option<Spanned<Vec<Spanned<String>>>>,
    /// The activation calls the clients' scripts may begin with (EXE only): "CoGetClassObject"
    /// (the script that keeps the class object: LockServer, CreateInstance, a call, releases)
    /// and "CoCreateInstance" (create, a call, release). Default both: each client chooses
    /// (A-SCRIPTS).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub calls: Option<Spanned<Vec<Spanned<String>>>>,
    /// IClassFactory::CreateInstance calls the CoGetClassObject script makes on the class
    /// object it holds, 1 (default) or 2 (EXE only): with 2 it holds both objects, then calls
    /// and releases the first, then the second (A-SCRIPTS).
    #[serde(default)]
    #[schemars(with = "Option<u8>", range(min = 1, max = 2))]
    pub create_instance: Option<Spanned<i64>>,
}

/// The `[bounds]` table.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// Stop after this many unique states (the run is then incomplete).
    #[serde(default)]
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub max_states: Option<Spanned<i64>>,
    /// Do not explore beyond this many steps (the run is then incomplete).
    #[serde(default)]
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub max_depth: Option<Spanned<i64>>,
}

/// An error in a description, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptionError {
    /// The file name, as given to [`Description::parse`].
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, with the valid choices.
    pub message: String,
}

impl fmt::Display for DescriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for DescriptionError {}

/// A message with the byte span it is about.
pub(super) type Located = (Range<usize>, String);

/// `msg` about the value `s`, at its span.
pub(super) fn at<T>(s: &Spanned<T>, msg: impl Into<String>) -> Located {
    (s.span(), msg.into())
}

impl Source {
    /// The error `message` at byte `span`, with its line and column.
    pub(super) fn error(&self, span: Range<usize>, message: String) -> DescriptionError {
        let start = span.start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        DescriptionError {
            file: self.file.clone(),
            line,
            column,
            message,
        }
    }
}

/// The JSON Schema of the description format (`comlife schema`).
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Description)).expect("a schema is JSON")
}

impl Description {
    /// Reads a description from `text`; `file` names it in error messages.
    ///
    /// # Errors
    /// `FILE:LINE:COLUMN: message` for a TOML syntax error, an unknown key, a value of the
    /// wrong type or an unknown choice.
    pub fn parse(file: &str, text: &str) -> Result<Description, DescriptionError> {
        let source = Source {
            file: file.to_string(),
            text: text.to_string(),
        };
        match toml::from_str::<Description>(text) {
            Ok(mut d) => {
                d.source = source;
                Ok(d)
            }
            Err(e) => {
                // toml refuses a key nested too deeply without a place: find it.
                if e.span().is_none() && e.message().trim_end() == "recursion limit" {
                    if let Some((at, depth)) = too_deep_key(text) {
                        return Err(source.error(
                            at..at,
                            format!(
                                "this dotted key is {depth} levels deep (a.b.c is 3); valid \
                                 choices: at most {TOML_KEY_DEPTH} levels"
                            ),
                        ));
                    }
                }
                let span = e.span().unwrap_or(0..0);
                let message = user_words(e.message(), key_at(text, span.start), text, span.start);
                Err(source.error(span, message))
            }
        }
    }
}

/// The most tables a dotted key or table header may nest (`a.b.c` nests 3): the toml crate
/// (1.x, its parser's `LIMIT` of 80 path segments before the last key) refuses a deeper one
/// with "recursion limit" and no place.
const TOML_KEY_DEPTH: usize = 80;

/// Where the first dotted key of `text` deeper than [`TOML_KEY_DEPTH`] goes too deep: the
/// byte offset of its first part past the limit, and its depth (parts). Strings and comments
/// are skipped; a key part is a bare key (`A-Za-z0-9_-`) or a quoted one; parts are joined by
/// `.` (with optional spaces or tabs). A dotted chain of values (a float, `1.5`) is never
/// that deep.
fn too_deep_key(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut i = 0;
    // The current chain: its depth, the offset of its part TOML_KEY_DEPTH + 1, and whether a
    // `.` was just read.
    let mut depth = 0;
    let mut over = None;
    let mut after_dot = false;
    while i < b.len() {
        let c = b[i];
        let part = match c {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                None
            }
            b'"' | b'\'' => {
                let triple = b[i..].starts_with(&[c, c, c]);
                let start = i;
                i += if triple { 3 } else { 1 };
                while i < b.len() {
                    if c == b'"' && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == c && (!triple || b[i..].starts_with(&[c, c, c])) {
                        i += if triple { 3 } else { 1 };
                        break;
                    }
                    if !triple && b[i] == b'\n' {
                        break;
                    }
                    i += 1;
                }
                Some(start)
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-')
                {
                    i += 1;
                }
                Some(start)
            }
            b'.' if depth > 0 && !after_dot => {
                after_dot = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' => {
                i += 1;
                continue;
            }
            _ => {
                i += 1;
                None
            }
        };
        match part {
            Some(start) if depth == 0 || after_dot => {
                depth += 1;
                if depth == TOML_KEY_DEPTH + 1 {
                    over = Some(start);
                }
            }
            Some(_) => {
                // Another key or value after a whole chain (`a b`): a new chain.
                if let Some(at) = over {
                    return Some((at, depth));
                }
                depth = 1;
            }
            None => {
                if let Some(at) = over {
                    return Some((at, depth));
                }
                depth = 0;
            }
        }
        after_dot = false;
    }
    over.map(|at| (at, depth))
}

/// The key of the `key = value` line that byte `pos` of `text` is on, without quotes, if any.
fn key_at(text: &str, pos: usize) -> Option<&str> {
    let pos = pos.min(text.len());
    let start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let (key, _) = text[start..pos].split_once('=')?;
    Some(key.trim().trim_matches('"'))
}

/// A serde/toml error message in the words of a description: what a user can write instead of
/// the Rust type it is read into (`i64`, `u8`), with the real bound of the key `key`; quoted
/// values shortened.
///
/// serde's own words become TOML's: "unknown field `x`, expected one of `a`, `b`" reads
/// "unknown key `x`; valid choices: `a`, `b`", "missing field" "missing key", and what was
/// found is named as TOML names it ("the integer 5", "the float 1.5", "a table", "a list", "a
/// date or time"), never as a Rust type ("i128", "map"). `text` and `pos` (where the error
/// is) tell a date from a table, which serde reports alike.
fn user_words(message: &str, key: Option<&str>, text: &str, pos: usize) -> String {
    let message = message.trim_end();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return match rest.split_once(", expected one of ") {
            Some((name, valid)) => format!("unknown key {name}; valid choices: {valid}"),
            None => match rest.split_once(", expected ") {
                Some((name, valid)) => format!("unknown key {name}; valid choices: {valid}"),
                None => match rest.split_once(", there are no fields") {
                    Some((name, _)) => format!("unknown key {name}; this table has no keys"),
                    None => format!("unknown key {rest}"),
                },
            },
        };
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("missing key {rest}");
    }
    let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    else {
        return message.to_string();
    };
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return message.to_string();
    };
    let number = matches!(
        expected,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize"
    );
    let expected = if number {
        match key {
            Some("count") => format!(
                "a whole number from 1 to {}",
                crate::com::config::MAX_CLIENTS
            ),
            Some("create_instance") => format!(
                "a whole number from 1 to {}",
                crate::com::config::MAX_CREATE_INSTANCE
            ),
            Some("max_states" | "max_depth") => "a whole number, 1 or more".to_string(),
            _ => "a whole number".to_string(),
        }
    } else {
        match expected {
            "a boolean" => "true or false".to_string(),
            "a sequence" => "a list in brackets, e.g. [\"...\"]".to_string(),
            "a string" => "a quoted string".to_string(),
            other => other.to_string(),
        }
    };
    format!(
        "expected {expected}, found {}",
        found_words(found, text, pos)
    )
}

/// What serde says it found, as TOML names it: `string "VALUE"` as the string (quoting only a
/// prefix of VALUE), ``integer `5` as i128`` as "the integer 5", ``floating point `1.5` ``
/// as "the float 1.5", ``boolean `true` `` as "true", `map` as "a table" (or "a date or
/// time" when the value at byte `pos` of `text` starts with a digit: toml hands a date to
/// serde as a table), `sequence` as "a list".
fn found_words(found: &str, text: &str, pos: usize) -> String {
    let ticked = |prefix: &str| {
        found
            .strip_prefix(prefix)
            .and_then(|v| v.strip_prefix('`'))
            .and_then(|v| v.split_once('`'))
            .map(|(v, _)| v.to_string())
    };
    if let Some(v) = found
        .strip_prefix("string \"")
        .and_then(|v| v.strip_suffix('"'))
    {
        return format!("the string \"{}\"", quote_prefix(v));
    }
    if let Some(v) = ticked("integer ") {
        return format!("the integer {v}");
    }
    if let Some(v) = ticked("floating point ") {
        return format!("the float {v}");
    }
    if let Some(v) = ticked("boolean ") {
        return v;
    }
    match found {
        "map"
            if text
                .get(pos..)
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())) =>
        {
            "a date or time".to_string()
        }
        "map" => "a table".to_string(),
        "sequence" => "a list".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let e =
            Description::parse("f.toml", "name = \"x\"\n[server]\nkind = \"exf\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 8), "{e}");
        assert!(
            e.to_string().starts_with("f.toml:3:8: unknown server kind"),
            "{e}"
        );
    }

    #[test]
    fn serde_words_become_toml_words() {
        let w = |m: &str| user_words(m, None, "x = {", 4);
        assert_eq!(
            w("unknown field `nam`, expected one of `name`, `kind`"),
            "unknown key `nam`; valid choices: `name`, `kind`"
        );
        assert_eq!(
            w("unknown field `x`, expected `name`"),
            "unknown key `x`; valid choices: `name`"
        );
        assert_eq!(w("missing field `server`"), "missing key `server`");
        assert_eq!(
            w("invalid type: integer `99999999999999999999` as i128, expected u64"),
            "expected a whole number, found the integer 99999999999999999999"
        );
        assert_eq!(
            w("invalid type: floating point `1.5`, expected i64"),
            "expected a whole number, found the float 1.5"
        );
        assert_eq!(
            w("invalid type: map, expected a string"),
            "expected a quoted string, found a table"
        );
        assert_eq!(
            user_words("invalid type: map, expected u64", None, "x = 2024-01-01", 4),
            "expected a whole number, found a date or time"
        );
        assert_eq!(
            w("invalid type: sequence, expected a boolean"),
            "expected true or false, found a list"
        );
    }

    #[test]
    fn keys_nested_too_deeply_are_found() {
        let deep = vec!["a"; 81].join(".");
        let text = format!("name = \"x\" # a.b\n{deep} = 1\n");
        let at = text.find('\n').unwrap() + 1 + 80 * 2;
        assert_eq!(too_deep_key(&text), Some((at, 81)));
        // Quoted parts, spaces around dots, a table header.
        let text = format!("[\"q.q\" . {}]", vec!["b"; 80].join("."));
        assert_eq!(too_deep_key(&text).map(|(_, d)| d), Some(81));
        // Exactly at the limit, or dots inside strings and comments: nothing.
        assert_eq!(
            too_deep_key(&format!("{} = 1", vec!["a"; 80].join("."))),
            None
        );
        let text = format!(
            "x = \"{}\" # {}",
            vec!["a"; 90].join("."),
            vec!["a"; 90].join(".")
        );
        assert_eq!(too_deep_key(&text), None);
        let e = Description::parse(
            "f.toml",
            &format!("name = \"x\"\n{} = 1", vec!["k"; 90].join(".")),
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 161), "{e}");
    }
}
