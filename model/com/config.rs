//! The run configuration shared by every actor: the scenario, the toggled set, the number of
//! clients and the layout of apartments and classes. Scenarios are in
//! [`crate::com::scenario`], toggles in [`crate::com::toggles`] and sets of them in
//! [`crate::com::toggle_set`].

use crate::com::runtime::Runtime;
use crate::com::scenario::Scenario;
use crate::com::toggle_set::ToggleSet;
use crate::com::toggles::Toggle;
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

/// Default number of clients (`--clients`).
pub const DEFAULT_CLIENTS: usize = 2;
/// Largest number of clients a run accepts. Four clients are accepted for bounded searches and
/// random walks: an exhaustive four-client run of a scenario with user or framework code is
/// beyond one machine (docs/benchmarks.md), which `check` says before it starts one.
pub const MAX_CLIENTS: usize = 4;

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
    /// The COM runtime modeled: Windows (default) or Wine (R-WINE-*,
    /// [`crate::com::runtime`]).
    pub runtime: Runtime,
}

/// The suffix of a Wine run's label ([`Config::run_label`]).
pub const WINE_SUFFIX: &str = "+on-wine";

/// The label of the run of `toggled` under `runtime` ([`Config::run_label`]): the toggled
/// set's ([`ToggleSet::label`]), with [`WINE_SUFFIX`] after it under Wine.
pub fn run_label(toggled: ToggleSet, runtime: Runtime) -> String {
    let label = toggled.label();
    match runtime {
        Runtime::Windows => label,
        Runtime::Wine => format!("{label}{WINE_SUFFIX}"),
    }
}

/// Splits a run label into the toggled set's label and the runtime ([`Config::run_label`]).
pub fn split_run_label(label: &str) -> (&str, Runtime) {
    match label.strip_suffix(WINE_SUFFIX) {
        Some(rest) => (rest, Runtime::Wine),
        None => (label, Runtime::Windows),
    }
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
    /// (textbook server) Whether the apartment is the MTA (`threading = "free"`): the main
    /// thread calls `CoInitializeEx(COINIT_MULTITHREADED)` and registers, and incoming calls run
    /// on RPC threads, concurrently and without a message queue (003, free-threaded servers;
    /// R-COM-STA-QUEUE: "An MTA has no such queue"). False (STAs) by default.
    #[serde(default, skip_serializing_if = "is_false")]
    pub free: bool,
    /// (textbook server) What makes the server decide to exit ([`ExitDecision`]; `[server]
    /// exit`).
    #[serde(default, skip_serializing_if = "ExitDecision::is_count")]
    pub exit: ExitDecision,
    /// (textbook server) Whether the apartment calls CoRevokeClassObject before CoUninitialize
    /// (`[server] revoke`, true by default); without it CoUninitialize revokes what is still
    /// registered (spec/assumptions.md A-UNINIT-REVOKES).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub revoke: bool,
    /// (textbook server) Classes whose `IClassFactory::LockServer` counts nothing and returns
    /// E_FAIL (`lock_server = "e-fail"`), as a bit set (bit `c` is class `c`); the others count
    /// (R-002-LOCKSERVER-HOLD).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lockserver_fails: u8,
    /// Classes whose class object is a singleton (`factory = "singleton"`), as a bit set (bit
    /// `c` is class `c`): its CreateInstance hands every client the same object, which counts
    /// once while any client holds it (spec/assumptions.md A-SINGLETON). The others make a new
    /// object per CreateInstance.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub singleton: u8,
    /// IClassFactory::CreateInstance calls the class-object script makes on the class object it
    /// holds, 1..=[`MAX_CREATE_INSTANCE`] (`[clients] create_instance`; A-SCRIPTS). 1 by default.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub create_instance: u8,
    /// (textbook server, `exit = "windows"`) Whether a method call on an object opens a
    /// top-level window before it returns, on the STA that dispatches it (`[server]
    /// call_opens_window`; Windows Terminal's `CTerminalHandoff::EstablishPtyHandoff`,
    /// spec/assumptions.md A-WINDOWS-EXIT). False by default.
    #[serde(default, skip_serializing_if = "is_false")]
    pub call_opens_window: bool,
    /// (textbook server) Whether an instance the SCM launched (`-Embedding`) arms an idle timer
    /// (`[server] idle_timer`). With `exit = "windows"` it calls PostQuitMessage if no window is
    /// open when it ticks, and the first window stops it (Windows Terminal's
    /// `_handoffTimeoutTimer`, spec/assumptions.md A-IDLE-TIMER); with `exit = "count"` it ticks
    /// once, and if no client holds a reference on the server its handler calls
    /// CoAddRefServerProcess and CoReleaseServerProcess, a final release (the remedy of
    /// spec/findings.md F-11, A-STARTUP-TIMER). False by default.
    #[serde(default, skip_serializing_if = "is_false")]
    pub idle_timer: bool,
    /// (textbook server) What the main thread does once its message loop has ended
    /// ([`Teardown`]; `[server] teardown`).
    #[serde(default, skip_serializing_if = "Teardown::is_uninitialize")]
    pub teardown: Teardown,
    /// (textbook server, `exit = "windows"`) Whether the window code calls
    /// CoRevokeClassObject before `PostQuitMessage(0)`, as MFC's `AfxPostQuitMessage` does
    /// (R-MFC-LOCKAPP): an activation that reaches the instance afterwards is refused with
    /// CO_E_SERVER_STOPPING and the SCM starts another (R-003-SCM-RELAUNCH). `[server]
    /// revoke_before_quit`; a remedy for Windows Terminal (examples/terminal-handoff.toml). False
    /// by default.
    #[serde(default, skip_serializing_if = "is_false")]
    pub revoke_before_quit: bool,
    /// (textbook server, `exit = "windows"`) Whether PostQuitMessage also waits for the server's
    /// objects: it is called only when no window is open and no object is alive, and an object's
    /// final release checks again (`[server] quit_waits_for_objects`; a remedy for Windows
    /// Terminal). False by default.
    #[serde(default, skip_serializing_if = "is_false")]
    pub quit_waits_for_objects: bool,
    /// (textbook server, `exit = "count"`) Whether the server holds a reference on itself for
    /// a while: CoAddRefServerProcess when the process starts, before it registers, and the
    /// matching CoReleaseServerProcess at a later moment of the server's choosing, which may be
    /// the final release (`[server] self_hold`; the DesktopToasts sample's
    /// `IncrementObjectCount` before `RegisterObjects`, microsoft/Windows-classic-samples
    /// Samples/DesktopToasts/CPP/DesktopToastsSample.cpp; spec/assumptions.md A-SELF-HOLD).
    /// False by default.
    #[serde(default, skip_serializing_if = "is_false")]
    pub self_hold: bool,
    /// (textbook server) Whether the server registers only when a condition allows: its main
    /// thread may end the process before it has registered anything (`[server] registration =
    /// "conditional"`; Windows Terminal's single-instance hand-off, WindowEmperor.cpp lines
    /// 536–544 at 20588130; spec/assumptions.md A-CONDITIONAL-REGISTRATION). The activations
    /// the SCM held for it fail with CO_E_SERVER_EXEC_FAILURE (R-SEEDS-EXEC-FAILURE). False by
    /// default.
    #[serde(default, skip_serializing_if = "is_false")]
    pub conditional_registration: bool,
    /// (`lifetime = "atl9"`) The lock count at or below which the exit decision treats the
    /// server as idle: the framework's `Unlock` signals the monitor when the count falls to it,
    /// and the monitor's time-out and re-read compare against it (`[server] idle_count`; 0 or
    /// [`MAX_IDLE_COUNT`]). VBoxSVC's `CExeModule::isIdleLockCount` returns `cLocks <= 1` once
    /// it is registered with VBoxSDS (VirtualBox 7.1.6 src/VBox/Main/src-server/win/svcmain.cpp
    /// lines 137–144; spec/assumptions.md A-PEER-LOCK). 0 by default: the plain count.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub idle_count: u8,
    /// (`lifetime = "atl9"`, `idle_count = 1`) Whether one lock on the count is held for a peer
    /// process for the server's whole life, so that the decision's `idle_count` discounts it
    /// (`[server] peer_lock`). The model's count leaves that lock out (no client holds or
    /// observes it); the decision reads it as held ([`Layout::idle`]). VBoxSVC takes it on
    /// VBoxSDS's behalf in its class factory's first CreateInstance once VBoxSDS has chosen it
    /// (svcmain.cpp line 573) and never releases it (spec/assumptions.md A-PEER-LOCK). False by
    /// default: no lock is held for anyone, and a `idle_count = 1` decision then discounts a
    /// client's lock.
    #[serde(default, skip_serializing_if = "is_false")]
    pub peer_lock: bool,
}

/// The largest `idle_count` the model takes: VBoxSVC's (A-PEER-LOCK). A larger threshold is
/// not sourced.
pub const MAX_IDLE_COUNT: u8 = 1;

/// Most IClassFactory::CreateInstance calls a client's class-object script makes (A-BOUNDS).
pub const MAX_CREATE_INSTANCE: u8 = 2;

/// What makes a textbook server decide to exit (`[server] exit`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum ExitDecision {
    /// Its lifetime count (CoAddRefServerProcess/CoReleaseServerProcess, or its own) reaching
    /// zero on a final release (002 "Local Server", 003; R-002-FINAL-DECREMENT). The default.
    #[default]
    Count,
    /// The first object's destruction: its destructor sets an event the main thread waits on
    /// with `WaitForSingleObject(INFINITE)`, and the main thread then tears down (the DCOM
    /// "simple" sample, sserver.cpp lines 118, 297–301; spec/assumptions.md A-EVENT-EXIT). No
    /// count is kept.
    FirstObjectDestroyed,
    /// Its count of open top-level windows reaching zero: the STA's window code calls
    /// `PostQuitMessage(0)` when the last window closes (or an idle timer finds none,
    /// [`Layout::idle_timer`]), and the main thread's `GetMessage` returns WM_QUIT once its
    /// queue is empty (R-COM-QUIT-ORDER). COM's objects and locks count nothing. Windows
    /// Terminal's `WindowEmperor::_postQuitMessageIfNeeded` (microsoft/terminal
    /// src/cascadia/WindowsTerminal/WindowEmperor.cpp lines 1072–1083 at 20588130;
    /// spec/assumptions.md A-WINDOWS-EXIT).
    Windows,
    /// A DLL server's count in a surrogate process (dllhost) polled by the surrogate: the
    /// surrogate calls CoFreeUnusedLibraries periodically, which calls the DLL's
    /// `DllCanUnloadNow`; once it returns S_OK (the DLL's own count is zero) the DLL is
    /// unloaded and COM calls `ISurrogate::FreeSurrogate`, which revokes the class objects
    /// registered in the surrogate and makes the process exit (Microsoft's
    /// ISurrogate::FreeSurrogate page). The DLL's count is its own (WRL `Module<InProc>`: an
    /// interlocked counter, no CoReleaseServerProcess), so a final release decides nothing and
    /// suspends nothing; the poll may come at any moment the surrogate is idle after the DLL
    /// was loaded, that is after its first object was created (spec/assumptions.md
    /// A-SURROGATE). Windows Terminal's shell extension (examples/terminal-shell-extension.toml).
    DllUnloaded,
}

/// What a textbook server's main thread does once its message loop has ended (`[server]
/// teardown`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum Teardown {
    /// CoRevokeClassObject (unless `revoke = false`), then CoUninitialize, whose modal loop
    /// dispatches the calls still queued before the process exits (002, 003; Microsoft's
    /// CoUninitialize page; A-QUEUE). The default.
    #[default]
    Uninitialize,
    /// `TerminateProcess(GetCurrentProcess(), 0)` at once: no CoRevokeClassObject, no
    /// CoUninitialize, so nothing still queued is dispatched; every call queued, running or
    /// arriving later fails for its caller as a call into an exited process does
    /// (RPC_S_SERVER_UNAVAILABLE; R-SEEDS-EXITED, A-RPC-EXIT). Windows Terminal's
    /// WindowEmperor.cpp line 751 (spec/assumptions.md A-TERMINATE). Modeled with `exit =
    /// "windows"`.
    TerminateProcess,
}

impl Teardown {
    fn is_uninitialize(&self) -> bool {
        *self == Teardown::Uninitialize
    }
}

impl ExitDecision {
    fn is_count(&self) -> bool {
        *self == ExitDecision::Count
    }

    /// What decides the exit, in words ("the first object's destruction").
    pub fn words(self) -> &'static str {
        match self {
            ExitDecision::Count => "the count reaching zero",
            ExitDecision::FirstObjectDestroyed => "the first object's destruction",
            ExitDecision::Windows => "its last window closing (PostQuitMessage)",
            ExitDecision::DllUnloaded => {
                "the surrogate unloading the DLL (DllCanUnloadNow S_OK, then FreeSurrogate)"
            }
        }
    }
}

fn both_calls() -> u8 {
    0b11
}

fn yes() -> bool {
    true
}

fn one() -> u8 {
    1
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

fn is_one(n: &u8) -> bool {
    *n == 1
}

impl Layout {
    /// The layout as JSON (a trace's `#meta.layout`): `client_class` lists the entries of the
    /// run's `clients`, and three at least, the length every trace had before four clients
    /// were accepted, so that a trace of up to three clients is written as it always was.
    pub fn to_json(&self, clients: usize) -> String {
        // Serialized in field order (a `serde_json::Value` would sort the keys), then the list
        // cut: its entries are numbers, so the first `]` after the key ends it.
        let text = serde_json::to_string(self).expect("a layout is plain data");
        let key = "\"client_class\":[";
        let Some(start) = text.find(key).map(|i| i + key.len()) else {
            return text;
        };
        let end = start + text[start..].find(']').expect("a JSON list ends");
        let kept: Vec<&str> = text[start..end].split(',').take(clients.max(3)).collect();
        format!("{}{}{}", &text[..start], kept.join(","), &text[end..])
    }

    /// A layout from [`Layout::to_json`]'s JSON: the `client_class` entries it leaves out
    /// (those beyond the run's clients) are filled as [`Layout::of`] fills them, `i mod
    /// classes`.
    ///
    /// # Errors
    /// When `text` is not such JSON: serde's message.
    pub fn from_json(text: &str) -> Result<Layout, String> {
        let mut v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let classes = v
            .get("classes")
            .and_then(|c| c.as_u64())
            .unwrap_or(1)
            .max(1);
        if let Some(serde_json::Value::Array(a)) = v.get_mut("client_class") {
            for i in a.len()..MAX_CLIENTS {
                a.push((i as u64 % classes).into());
            }
        }
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

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
            free: false,
            exit: ExitDecision::Count,
            revoke: true,
            lockserver_fails: 0,
            singleton: 0,
            create_instance: 1,
            call_opens_window: false,
            idle_timer: false,
            teardown: Teardown::Uninitialize,
            revoke_before_quit: false,
            quit_waits_for_objects: false,
            self_hold: false,
            conditional_registration: false,
            idle_count: 0,
            peer_lock: false,
        }
    }

    /// Whether the server decides to exit on its window count ([`ExitDecision::Windows`]).
    pub fn windows_exit(&self) -> bool {
        self.exit == ExitDecision::Windows
    }

    /// Whether the server keeps a lifetime count (`count`): its own or COM's
    /// ([`ExitDecision::Count`]), or the DLL's in a surrogate ([`ExitDecision::DllUnloaded`]).
    pub fn counts(&self) -> bool {
        matches!(self.exit, ExitDecision::Count | ExitDecision::DllUnloaded)
    }

    /// Whether the exit decision reads the model's `count` (the lifetime count without the
    /// peer's lock, [`Layout::peer_lock`]) as idle: the count plus the peer's lock is at most
    /// [`Layout::idle_count`]. With the defaults, whether the count is zero.
    pub fn idle(&self, count: u8) -> bool {
        count + u8::from(self.peer_lock) <= self.idle_count
    }

    /// Whether the exit is decided by a poll of the count (a DLL in a surrogate,
    /// [`ExitDecision::DllUnloaded`]) rather than at the final release.
    pub fn polls_count(&self) -> bool {
        self.exit == ExitDecision::DllUnloaded
    }

    /// Whether `clsid`'s `IClassFactory::LockServer` returns E_FAIL without counting
    /// ([`Layout::lockserver_fails`]).
    pub fn lockserver_fails(&self, clsid: Clsid) -> bool {
        self.lockserver_fails & (1 << clsid.0) != 0
    }

    /// Whether `clsid`'s class object is a singleton ([`Layout::singleton`]).
    pub fn singleton(&self, clsid: Clsid) -> bool {
        self.singleton & (1 << clsid.0) != 0
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
                "{:?} is registered by apartment {}, but there {} {} apartment{}",
                Clsid(c as u8),
                self.class_apartment[c] + 1,
                if self.apartments == 1 { "is" } else { "are" },
                self.apartments,
                if self.apartments == 1 { "" } else { "s" }
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
        if !(1..=MAX_CREATE_INSTANCE).contains(&self.create_instance) {
            return Err(format!(
                "create_instance = {}; the model supports 1 to {MAX_CREATE_INSTANCE}",
                self.create_instance
            ));
        }
        if self.free && self.apartments != 1 {
            return Err(format!(
                "a free-threaded server has one apartment, the MTA; this layout has {}",
                self.apartments
            ));
        }
        if self.exit == ExitDecision::FirstObjectDestroyed && self.apartments != 1 {
            return Err(
                "exit = \"first-object-destroyed\" is modeled for a server with one apartment (the main thread waits on the event)".into(),
            );
        }
        if self.polls_count() && (self.apartments != 1 || self.free) {
            return Err(
                "exit = \"dll-unloaded\" is modeled for a surrogate with one STA (the DLL's ThreadingModel=\"STA\"), which registers, dispatches and polls".into(),
            );
        }
        if self.windows_exit() && (self.apartments != 1 || self.free) {
            return Err(
                "exit = \"windows\" is modeled for a server with one apartment, an STA (its main thread's message loop pumps the windows)".into(),
            );
        }
        if self.idle_count > MAX_IDLE_COUNT {
            return Err(format!(
                "idle_count = {}; the model supports 0 to {MAX_IDLE_COUNT} (VBoxSVC's isIdleLockCount)",
                self.idle_count
            ));
        }
        if self.peer_lock && self.idle_count == 0 {
            return Err(
                "peer_lock = true with idle_count = 0: a lock the decision does not discount keeps the server alive forever; give idle_count = 1".into(),
            );
        }
        if self.idle_count != 0 && self.exit != ExitDecision::Count {
            return Err("idle_count is a threshold on the server's count; it is modeled with exit = \"count\"".into());
        }
        if self.self_hold && self.exit != ExitDecision::Count {
            return Err(
                "self_hold is a reference on the server's count; it is modeled with exit = \"count\"".into(),
            );
        }
        if self.teardown == Teardown::TerminateProcess && !self.revoke {
            return Err(
                "teardown = \"terminate-process\" calls neither CoRevokeClassObject nor CoUninitialize; revoke = false says nothing more".into(),
            );
        }
        if self.idle_timer && !self.windows_exit() && self.exit != ExitDecision::Count {
            return Err(
                "idle_timer is modeled with exit = \"windows\" (A-IDLE-TIMER) or exit = \"count\" (A-STARTUP-TIMER)".into(),
            );
        }
        if !self.windows_exit()
            && (self.call_opens_window
                || self.revoke_before_quit
                || self.quit_waits_for_objects
                || self.teardown == Teardown::TerminateProcess)
        {
            return Err(
                "call_opens_window, revoke_before_quit, quit_waits_for_objects and teardown = \"terminate-process\" are modeled with exit = \"windows\"".into(),
            );
        }
        if let Some(i) = (0..clients).find(|&i| self.client_class[i] >= self.classes) {
            return Err(format!(
                "client {} activates class {}, but there {} {} class{}",
                i + 1,
                self.client_class[i] + 1,
                if self.classes == 1 { "is" } else { "are" },
                self.classes,
                if self.classes == 1 { "" } else { "es" }
            ));
        }
        Ok(())
    }
}

impl Config {
    /// A configuration with the mechanisms in `toggled` toggled from their default.
    ///
    /// # Errors
    /// Returns a message when `clients` is outside `1..=MAX_CLIENTS` (`1..MAX_CLIENTS` with
    /// `user-started`, whose user-started instance takes a slot of its own) or a mechanism does
    /// not apply to the scenario.
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
        if toggled.contains(Toggle::UserStarted) && clients == MAX_CLIENTS {
            return Err(format!(
                "--clients {clients} is out of bounds with user-started, whose instance 1 the \
                 user starts: it takes a server slot of its own, and there are {MAX_CLIENTS}; \
                 valid values are 1 to {}",
                MAX_CLIENTS - 1
            ));
        }
        Ok(Config {
            scenario,
            toggled,
            clients,
            layout: Layout::of(scenario),
            runtime: Runtime::Windows,
        })
    }

    /// This configuration under `runtime`. A toggle the runtime fixes ([`Runtime::pins`]) is
    /// dropped from the toggled set: a toggled pin can only ask what the runtime already does
    /// (Wine's pins are mechanisms fixed off and opt-ins fixed on), so the run is the one without
    /// it (a description's registration without REGCLS_SUSPENDED, say, under Wine).
    ///
    /// # Errors
    /// When the runtime refuses the scenario (the service host under Wine) or a condition of
    /// the toggled set ([`Runtime::refuses_toggle`]).
    pub fn with_runtime(self, runtime: Runtime) -> Result<Config, String> {
        if let Some(why) = runtime.refuses_scenario(self.scenario) {
            return Err(format!(
                "scenario '{}' cannot run under the {} runtime: {why}",
                self.scenario.name(),
                runtime.name()
            ));
        }
        if let Some(why) = self.toggled.iter().find_map(|t| runtime.refuses_toggle(t)) {
            return Err(why);
        }
        let toggled = self
            .toggled
            .iter()
            .filter(|t| runtime.pin(*t).is_none())
            .collect();
        Ok(Config {
            runtime,
            toggled,
            ..self
        })
    }

    /// The run's label in trace paths, spec/expectations.toml and reports: the toggled set's
    /// ([`ToggleSet::label`]), with `+on-wine` after it under Wine.
    pub fn run_label(&self) -> String {
        run_label(self.toggled, self.runtime)
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
        let textbook_shape = layout.free
            || layout.exit != ExitDecision::Count
            || !layout.revoke
            || layout.lockserver_fails != 0
            || layout.call_opens_window
            || layout.idle_timer
            || layout.revoke_before_quit
            || layout.quit_waits_for_objects
            || layout.teardown != Teardown::Uninitialize;
        if textbook_shape && self.scenario != Scenario::LocalMultiSta {
            return Err(format!(
                "scenario '{}' runs its framework's lifetime code; threading = \"free\", exit, revoke, lock_server = \"e-fail\", call_opens_window, idle_timer, revoke_before_quit, quit_waits_for_objects and teardown describe the textbook server without a user (local-multi-sta)",
                self.scenario.name()
            ));
        }
        if layout.apartments > 1 && self.scenario != Scenario::LocalMultiSta {
            return Err(format!(
                "scenario '{}' has one apartment (its main thread); several apartments need the textbook server without a user (local-multi-sta)",
                self.scenario.name()
            ));
        }
        Ok(Config { layout, ..self })
    }

    /// Whether the server is a free-threaded build: its main thread is in the MTA and incoming
    /// calls run on RPC threads, concurrently and without a message queue (003: free-threaded
    /// servers get activations "as soon as the first class object is registered"): the
    /// free-threaded framework scenarios ([`Scenario::free_threaded`]) and a textbook server
    /// whose layout says so ([`Layout::free`]).
    pub fn free_threaded(&self) -> bool {
        self.scenario.free_threaded() || (self.scenario.is_local() && self.layout.free)
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

    /// Whether any class of the server is registered with REGCLS_SINGLEUSE ([`Config::singleuse`]).
    pub fn has_singleuse(&self) -> bool {
        (0..self.classes()).any(|c| self.singleuse(Clsid(c as u8)))
    }

    /// Whether mechanism `m` is in force: a default-on mechanism unless toggled off, an opt-in
    /// remedy only when toggled on.
    pub fn on(&self, m: Toggle) -> bool {
        match self.runtime.pin(m) {
            Some(p) => p.on,
            None => m.opt_in() == self.toggled.contains(m),
        }
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
        // (Under Wine the condition is refused: Config::with_runtime.)
        client == 0 && self.on(Toggle::AccessDeniedClient)
    }

    /// Number of server-instance slots the SCM may start (local scenarios only): one per
    /// client, one for the user-started instance, and under `per-clsid-launch` one more for an
    /// instance launched for a class that another instance then serves, up to
    /// [`MAX_CLIENTS`] (spec/assumptions.md A-BOUNDS).
    pub fn slots(&self) -> usize {
        if self.scenario.is_local() {
            let slots = self.clients + usize::from(self.user_started());
            let extra = self.on(Toggle::PerClsidLaunch) && slots < MAX_CLIENTS;
            slots + usize::from(extra)
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
