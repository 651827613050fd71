//! Scenarios, the set of toggles a run turns from their default (and the runs `check` makes),
//! and the run configuration shared by every actor. The toggles themselves are in
//! [`crate::com::toggles`].

use crate::com::toggles::{Kind, Toggle};
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
}

impl Scenario {
    /// Every scenario, in the order `check` runs them.
    pub const ALL: [Scenario; 10] = [
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
    /// class `i`). Code that runs the model reads [`Config::apartments`].
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

/// A set of toggles, as a bit set (bit `i` is `Toggle::ALL[i]`; at most 64 toggles, which a
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

    /// The set in words, for trace titles and metadata: "auto-suspend disabled",
    /// "dll-counts-factories enabled", or "every mechanism at its default" ([`ToggleSet::label`]
    /// is its name in paths).
    pub fn in_words(self) -> String {
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
        if layout.apartments > 1 && self.scenario != Scenario::LocalMultiSta {
            return Err(format!(
                "scenario '{}' has one apartment (its main thread); several apartments need the textbook server without a user (local-multi-sta)",
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
