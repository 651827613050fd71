//! The scenarios: the built-in server shapes the model checks (textbook EXE and DLL servers, the
//! service host, the ATL, WTL, MFC and WRL servers), each with its layout and what applies to it.

use serde::Serialize;

/// A scenario: which server is modeled and which actors take part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Scenario {
    /// A local (EXE) server with one STA thread that registers one class, and a user who may
    /// take control of it and close it (seed 002 "Local Server", seed 003).
    LocalSta,
    /// An apartment-model local server: two STA threads, each registering a different class
    /// (seed 003, the multi-apartment races).
    LocalMultiSta,
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
    /// A WRL `Module<OutOfProc>` EXE server whose main thread is in the MTA (as in Chrome's
    /// notification_helper and OpenConsole's handoff server): calls on RPC threads, the release
    /// notifier signals the main thread, which revokes and returns from `WinMain`.
    WrlMta,
}

impl Scenario {
    /// Every scenario, in the order `check` runs them.
    pub const ALL: [Scenario; 11] = [
        Scenario::LocalSta,
        Scenario::LocalMultiSta,
        Scenario::Inproc,
        Scenario::Service,
        Scenario::Atl9Sta,
        Scenario::Atl9Mta,
        Scenario::Atl14Sta,
        Scenario::Atl14Mta,
        Scenario::WtlSta,
        Scenario::MfcSta,
        Scenario::WrlMta,
    ];

    /// The scenario's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::LocalSta => "local-sta",
            Scenario::LocalMultiSta => "local-multi-sta",
            Scenario::Inproc => "inproc",
            Scenario::Service => "service",
            Scenario::Atl9Sta => "atl9-sta",
            Scenario::Atl9Mta => "atl9-mta",
            Scenario::Atl14Sta => "atl14-sta",
            Scenario::Atl14Mta => "atl14-mta",
            Scenario::WtlSta => "wtl-sta",
            Scenario::MfcSta => "mfc-sta",
            Scenario::WrlMta => "wrl-mta",
        }
    }

    /// One-line description for `comlife list`.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::LocalSta => {
                "EXE server, one STA thread registering CLSID_A; a user may take control and close it"
            }
            Scenario::LocalMultiSta => {
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
            Scenario::WrlMta => {
                "WRL Module<OutOfProc> EXE, main thread in the MTA: object count = CoAddRefServerProcess, release notifier signals the main thread, which calls UnregisterObjects"
            }
        }
    }

    /// The sources the scenario's server is read from and, for a framework, the versions it
    /// covers (`comlife list`, README).
    pub fn source(self) -> &'static str {
        match self {
            Scenario::LocalSta | Scenario::LocalMultiSta => {
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
            Scenario::WrlMta => {
                "Windows SDK 10.0.10240 and 10.0.22000.196 winrt/wrl/module.h, implements.h Module<OutOfProc>; users Chrome notification_helper, OpenConsole: spec/frameworks.md §7"
            }
        }
    }

    /// Scenarios whose name changed (docs/renames.md, "Scenarios"): the old name and the
    /// scenario. An old name is unknown like any other, and the message says what it became.
    pub const RENAMED: [(&'static str, Scenario); 1] = [("local-mta", Scenario::LocalMultiSta)];

    /// " (renamed to 'NEW', see docs/renames.md)" when `name` is a scenario's old name
    /// ([`Scenario::RENAMED`]), otherwise empty: for messages about an unknown name.
    pub fn renamed_hint(name: &str) -> String {
        Scenario::RENAMED
            .iter()
            .find(|(old, _)| *old == name)
            .map(|(_, s)| format!(" (renamed to '{}', see docs/renames.md)", s.name()))
            .unwrap_or_default()
    }

    /// Looks a scenario up by name.
    ///
    /// # Errors
    /// Returns a message naming the valid scenarios when `name` is unknown, and the new name
    /// when it is an old one ([`Scenario::RENAMED`]).
    pub fn parse(name: &str) -> Result<Scenario, String> {
        Scenario::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown scenario '{}'{}; valid scenarios: {}",
                    quote_prefix(name),
                    Scenario::renamed_hint(name),
                    Scenario::ALL.map(|s| s.name()).join(", ")
                )
            })
    }

    /// Number of apartment threads of the scenario's own layout (1 or 2; apartment `i` registers
    /// class `i`). Code that runs the model reads [`Config::apartments`](crate::com::config::Config::apartments).
    pub fn apartments(self) -> usize {
        match self {
            Scenario::LocalMultiSta => 2,
            _ => 1,
        }
    }

    /// Whether the scenario is about a local (EXE) server: clients, the SCM and server slots.
    pub fn is_local(self) -> bool {
        !matches!(self, Scenario::Inproc | Scenario::Service)
    }

    /// The framework whose lifetime code the scenario's server runs; `None` for the textbook
    /// servers of seeds 002 and 003 (`local-sta`, `local-multi-sta`) and the DLL scenarios.
    pub fn framework(self) -> Option<crate::com::framework::Framework> {
        crate::com::framework::Framework::of(self)
    }

    /// Whether the server is a free-threaded build: its main thread is in the MTA and incoming
    /// calls run on RPC threads, concurrently and without a message queue (003:
    /// free-threaded servers get activations "as soon as the first class object is
    /// registered").
    pub fn free_threaded(self) -> bool {
        matches!(
            self,
            Scenario::Atl9Mta | Scenario::Atl14Mta | Scenario::WrlMta
        )
    }

    /// Number of classes of the scenario's own layout ([`Layout::of`](crate::com::config::Layout::of)): one per apartment of a
    /// local server; one per service (A and B) in `service`; one DLL class in `inproc`. A
    /// server description may choose another layout ([`Config::with_layout`](crate::com::config::Config::with_layout)); code that runs
    /// the model reads [`Config::classes`](crate::com::config::Config::classes).
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

/// At most the first 40 characters of user input, for error messages (a long argument is not
/// echoed in full).
pub fn quote_prefix(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
