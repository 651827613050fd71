//! Server descriptions: a COM developer's own server, described in TOML (the server's kind,
//! the framework whose lifetime code it runs, its apartments and classes with their
//! registration flags, its clients, the mechanisms toggled, the verdicts expected), read into
//! the run of the model that checks it.
//!
//! [`Description::parse`] reads the text (serde, every table with `deny_unknown_fields`);
//! [`Description::to_run`] checks what the text means and maps it to a [`Config`]. Every
//! error says where, as a compiler does: `FILE:LINE:COLUMN: what is wrong; valid choices: …`.
//! The built-in descriptions (spec/scenarios/NAME.toml, one per [`Scenario`]) are embedded
//! ([`BUILTIN`]); each maps to its scenario's baseline.
//!
//! Which server shapes the model has is decided in one place, [`scenario_of`]: a shape it does
//! not have is refused with the shapes it has.
//!
//! A layer of its own, above what is modeled ([`crate::com`]) and how it is checked
//! ([`crate::verify`]): a description names properties and their verdicts.

use crate::com::config::{quote_prefix, Config, Scenario, ToggleSet, DEFAULT_CLIENTS};

use crate::com::config::{Layout, MAX_APARTMENTS, MAX_CLASSES, MAX_CLIENTS};
use crate::com::toggles::Toggle;
use crate::verify::check::{RunReport, Verdict};
use crate::verify::properties::PROPERTIES;
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
    }
);

choice!(
    /// How an EXE server is built.
    Threading, "threading", {
        /// Apartment build: every thread that registers classes is an STA.
        Apartment = "apartment",
        /// Free-threaded build (`_ATL_FREE_THREADED`): the main thread in the MTA, calls on RPC
        /// threads.
        Free = "free",
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
struct Source {
    file: String,
    text: String,
}

/// A server description, as read from TOML (spec/scenarios/*.toml are examples).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "comlife server description")]
pub struct Description {
    /// The description's name: lowercase letters, digits and `-`; used in trace paths
    /// (`traces/NAME/RUN/PROPERTY.md`).
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9-]+$"))]
    pub name: Spanned<String>,
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
    source: Source,
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
    /// EXE only: "apartment" (default) or "free" (ATL only: atl9, atl14).
    #[serde(default)]
    #[schemars(with = "Option<Threading>")]
    pub threading: Option<Spanned<Threading>>,
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
    /// The class's name (e.g. "CLSID_A").
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The REGCLS flags it is registered with; `[]` for a DLL (it registers nothing).
    #[schemars(with = "Vec<Regcls>")]
    pub regcls: Spanned<Vec<Spanned<Regcls>>>,
    /// The CLSCTX it is registered or served with: exactly one value.
    #[schemars(with = "Vec<Clsctx>")]
    pub clsctx: Spanned<Vec<Spanned<Clsctx>>>,
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
    /// Number of client processes, 1 to 3 (default 2); not for a DLL, whose client is one
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

/// What a description asks for: the model's configuration, bounds, expected verdicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The description's name (trace paths).
    pub name: String,
    /// Scenario, toggled mechanisms, clients.
    pub config: Config,
    /// `[bounds] max_states`.
    pub max_states: Option<usize>,
    /// `[bounds] max_depth`.
    pub max_depth: Option<usize>,
    /// `[expect]`: property name → verdict, in name order.
    pub expect: Vec<(&'static str, Verdict)>,
    /// The names of the `[[server.classes]]`, in the order the file declares them: the model's
    /// classes `CLSID_A`, `CLSID_B`, `CLSID_C` in that order. Traces of the run show these
    /// names ([`crate::trace::describe::rename_classes`]).
    pub class_names: Vec<String>,
}

impl Run {
    /// The properties `[expect]` names that the run did not check (none when the run is of this
    /// description's configuration).
    pub fn unchecked(&self, report: &RunReport) -> Vec<&'static str> {
        self.expect
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| !report.properties.iter().any(|p| p.def.name == *n))
            .collect()
    }
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
type Located = (Range<usize>, String);

fn at<T>(s: &Spanned<T>, msg: impl Into<String>) -> Located {
    (s.span(), msg.into())
}

impl Source {
    fn error(&self, span: Range<usize>, message: String) -> DescriptionError {
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

/// The built-in descriptions, one per scenario (spec/scenarios/NAME.toml), in
/// [`Scenario::ALL`] order: (name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "local-sta",
        include_str!("../../spec/scenarios/local-sta.toml"),
    ),
    (
        "local-mta",
        include_str!("../../spec/scenarios/local-mta.toml"),
    ),
    ("inproc", include_str!("../../spec/scenarios/inproc.toml")),
    ("service", include_str!("../../spec/scenarios/service.toml")),
    (
        "atl9-sta",
        include_str!("../../spec/scenarios/atl9-sta.toml"),
    ),
    (
        "atl9-mta",
        include_str!("../../spec/scenarios/atl9-mta.toml"),
    ),
    (
        "atl14-sta",
        include_str!("../../spec/scenarios/atl14-sta.toml"),
    ),
    (
        "atl14-mta",
        include_str!("../../spec/scenarios/atl14-mta.toml"),
    ),
    ("wtl-sta", include_str!("../../spec/scenarios/wtl-sta.toml")),
    ("mfc-sta", include_str!("../../spec/scenarios/mfc-sta.toml")),
];

/// The built-in description `name` (spec/scenarios/NAME.toml).
///
/// # Errors
/// A message naming the valid built-in descriptions.
pub fn builtin(name: &str) -> Result<&'static str, String> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .ok_or_else(|| {
            format!(
                "unknown built-in description '{}'; valid choices: {}",
                quote_prefix(name),
                BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The configuration of built-in scenario `s` with `toggled` added and `clients` clients, read
/// from its description (spec/scenarios/NAME.toml) by the same code as `check FILE`: what
/// `check` without a file runs.
///
/// # Errors
/// A message when the built-in description does not read (a test keeps them readable) or the
/// toggles or the number of clients do not fit the scenario.
pub fn builtin_config(s: Scenario, toggled: ToggleSet, clients: usize) -> Result<Config, String> {
    // The bounds are the caller's to get right, not the built-in file's.
    Config::new(s, toggled, clients)?;
    let file = format!("spec/scenarios/{}.toml", s.name());
    let run = Description::parse(&file, builtin(s.name())?)
        .and_then(|d| d.to_run_for(Some(clients)))
        .map_err(|e| e.to_string())?;
    if run.config.scenario != s {
        return Err(format!(
            "{file} describes scenario '{}'",
            run.config.scenario.name()
        ));
    }
    let all = toggled.iter().fold(run.config.toggled, ToggleSet::with);
    Config::new(s, all, clients)?.with_layout(run.config.layout)
}

/// The JSON Schema of the description format (`comlife schema`).
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Description)).expect("a schema is JSON")
}

/// The server shape the model has for a description's `[server]` table: the scenario, or why
/// not, naming the shapes the model has. Every shape the model knows is decided here, so
/// supporting a new one is one arm more.
///
/// # Errors
/// The span of the value that makes the shape one the model does not have, and a message.
pub fn scenario_of(server: &Server) -> Result<Scenario, (Range<usize>, String)> {
    let kind = *server.kind.get_ref();
    let user = server.user.as_ref().is_some_and(|u| *u.get_ref());
    let kinds: Vec<ApartmentKind> = server
        .apartments
        .iter()
        .map(|a| *a.kind.get_ref())
        .collect();
    let classes = server.classes.len();
    // Where to point when the apartments are wrong: the first apartment, else the kind.
    let apartments_at = server
        .apartments
        .first()
        .map_or(server.kind.span(), |a| a.kind.span());
    match kind {
        ServerKind::Dll => {
            if let Some(a) = server.apartments.first() {
                return Err(at(
                    &a.kind,
                    "a DLL has no apartments of its own: its objects live in its client's \
                     (the model's client process has an STA thread and two MTA threads, and the \
                     DLL is Both-threaded); remove [[server.apartments]]",
                ));
            }
            if classes != 1 {
                return Err(at(
                    &server.kind,
                    format!("the model supports a DLL with exactly one class, not {classes}"),
                ));
            }
            Ok(Scenario::Inproc)
        }
        ServerKind::Service => {
            if classes == 2 && kinds == [ApartmentKind::Mta] {
                Ok(Scenario::Service)
            } else {
                Err((
                    apartments_at,
                    format!(
                        "the model supports a service host with two services' classes (the \
                         first is service A's, which is stopped) registered from one MTA (the \
                         host's RPC threads); this one has {classes} classes and apartments [{}]",
                        kinds
                            .iter()
                            .map(|k| k.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        }
        ServerKind::Exe => {
            let lifetime = server.lifetime.as_ref().ok_or_else(|| {
                at(
                    &server.kind,
                    format!(
                        "an EXE server needs `lifetime`; valid choices: {}",
                        Lifetime::valid()
                    ),
                )
            })?;
            let threading = server
                .threading
                .as_ref()
                .map_or(Threading::Apartment, |t| *t.get_ref());
            let lt = *lifetime.get_ref();
            if threading == Threading::Free && !matches!(lt, Lifetime::Atl9 | Lifetime::Atl14) {
                return Err(at(
                    server.threading.as_ref().expect("free was written"),
                    format!(
                        "lifetime \"{}\" has no free-threaded build in the model; valid choices \
                         for threading = \"free\": lifetime \"atl9\", \"atl14\" \
                         (spec/frameworks.md §1); otherwise threading = \"apartment\"",
                        lt.name()
                    ),
                ));
            }
            let want = match threading {
                Threading::Apartment => ApartmentKind::Sta,
                Threading::Free => ApartmentKind::Mta,
            };
            if let Some(a) = server.apartments.iter().find(|a| *a.kind.get_ref() != want) {
                return Err(at(
                    &a.kind,
                    format!(
                        "threading = \"{}\" registers classes from {} only; valid choices: \"{}\"",
                        threading.name(),
                        if want == ApartmentKind::Sta {
                            "STAs (an apartment build)"
                        } else {
                            "the MTA (the main thread of a free-threaded build)"
                        },
                        want.name()
                    ),
                ));
            }
            if user
                && !(matches!(lt, Lifetime::Textbook | Lifetime::Mfc | Lifetime::Wtl)
                    && kinds.len() == 1)
            {
                return Err(at(
                    server.user.as_ref().expect("user was written"),
                    "an interactive user is modeled for the textbook EXE with one STA (seed \
                     002, R-002-USER-CONTROL), MFC (the user takes control, R-MFC-CLOSE) and \
                     WTL (the user starts the program, R-WTL-USER-START); ATL's EXE module has \
                     no user interface of its own; valid choices here: false",
                ));
            }
            let shape_error = |what: &str| {
                (
                    apartments_at.clone(),
                    format!(
                        "the model supports, for lifetime \"{}\": {what}; this one has {} \
                         apartment(s) and {classes} class(es)",
                        lt.name(),
                        kinds.len()
                    ),
                )
            };
            let one_apartment = kinds.len() == 1 && classes <= MAX_CLASSES;
            match (lt, threading) {
                (Lifetime::Textbook, _) => {
                    if one_apartment && user {
                        Ok(Scenario::LocalSta)
                    } else if (1..=MAX_APARTMENTS).contains(&kinds.len())
                        && classes <= MAX_CLASSES
                        && !user
                    {
                        // The textbook server without a user, with one or two STAs (local-mta
                        // is its two-STA instance).
                        Ok(Scenario::LocalMta)
                    } else {
                        Err(shape_error(&format!(
                            "one STA and `user = true` (local-sta), or 1 to {MAX_APARTMENTS} STAs                              without a user (local-mta), with 1 to {MAX_CLASSES} classes"
                        )))
                    }
                }
                (_, _) if !one_apartment => Err(shape_error(&format!(
                    "one apartment (an STA, or the MTA with threading = \"free\") registering \
                     1 to {MAX_CLASSES} classes (the framework's main thread registers them all)"
                ))),
                (Lifetime::Atl9, Threading::Apartment) => Ok(Scenario::Atl9Sta),
                (Lifetime::Atl9, Threading::Free) => Ok(Scenario::Atl9Mta),
                (Lifetime::Atl14, Threading::Apartment) => Ok(Scenario::Atl14Sta),
                (Lifetime::Atl14, Threading::Free) => Ok(Scenario::Atl14Mta),
                (Lifetime::Wtl, _) => Ok(Scenario::WtlSta),
                (Lifetime::Mfc, _) => Ok(Scenario::MfcSta),
            }
        }
    }
}

/// Mechanisms that a description sets through its own keys, not through `[mechanisms]`: the
/// mechanism and the key that says it.
const SET_BY_KEYS: &[(Toggle, &str)] = &[
    (
        Toggle::RegclsSingleuse,
        "the classes' `regcls` (\"SINGLEUSE\")",
    ),
    (
        Toggle::RegclsSuspended,
        "the classes' `regcls` (\"SUSPENDED\")",
    ),
    (
        Toggle::RegisterLocalServer,
        "the first class's `clsctx` (\"LOCAL_SERVER\" or \"INPROC_SERVER\")",
    ),
    (Toggle::ClientDeath, "[clients] `may_die`"),
    (Toggle::AccessDeniedClient, "[clients] `access_denied`"),
];

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
            Err(e) => Err(source.error(e.span().unwrap_or(0..0), e.message().to_string())),
        }
    }

    /// What the description asks for: the configuration of the model, bounds and expected
    /// verdicts.
    ///
    /// # Errors
    /// `FILE:LINE:COLUMN: message` at the first value that is out of range, names something
    /// that does not exist, contradicts another value or describes a server shape the model
    /// does not have, with the valid choices.
    pub fn to_run(&self) -> Result<Run, DescriptionError> {
        self.to_run_for(None)
    }

    /// [`Description::to_run`] with the number of clients set by the caller (`--clients`)
    /// instead of `[clients] count`.
    ///
    /// # Errors
    /// As [`Description::to_run`].
    pub fn to_run_for(&self, clients: Option<usize>) -> Result<Run, DescriptionError> {
        self.check(clients)
            .map_err(|(span, msg)| self.source.error(span, msg))
    }

    fn check(&self, clients_override: Option<usize>) -> Result<Run, Located> {
        let name = self.name.get_ref();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(at(
                &self.name,
                format!(
                    "name \"{}\" is not valid; valid choices: lowercase letters, digits and '-' \
                     (it names the trace directory)",
                    quote_prefix(name)
                ),
            ));
        }
        let server = &self.server;
        let kind = *server.kind.get_ref();
        if kind != ServerKind::Exe {
            let what = if kind == ServerKind::Dll {
                "a DLL"
            } else {
                "a service host"
            };
            let valid = "valid keys in [server] here: kind, apartments, classes";
            if let Some(l) = &server.lifetime {
                return Err(at(
                    l,
                    format!("`lifetime` is for EXE servers, not {what}; {valid}"),
                ));
            }
            if let Some(t) = &server.threading {
                return Err(at(
                    t,
                    format!("`threading` is for EXE servers, not {what}; {valid}"),
                ));
            }
            if let Some(u) = &server.user {
                return Err(at(
                    u,
                    format!(
                        "{what} has no interactive user (only the textbook EXE with one STA \
                         does, R-002-USER-CONTROL); {valid}"
                    ),
                ));
            }
        }
        self.check_classes()?;
        let scenario = scenario_of(server)?;
        let (mut toggled, singleuse) = self.registration_toggles(scenario)?;
        // `user = true` in a framework server is the framework's user condition.
        if server.user.as_ref().is_some_and(|u| *u.get_ref()) {
            match scenario {
                Scenario::MfcSta => toggled = toggled.with(Toggle::UserTakesControl),
                Scenario::WtlSta => toggled = toggled.with(Toggle::UserStarted),
                _ => {}
            }
        }

        // Clients.
        let c = &self.clients;
        let clients = match &c.count {
            Some(n) if kind == ServerKind::Dll => {
                return Err(at(
                    n,
                    "a DLL's client is the model's one client process (an STA thread and two \
                     MTA threads); remove `count`",
                ))
            }
            Some(n) => {
                let v = *n.get_ref();
                if !(1..=MAX_CLIENTS as i64).contains(&v) {
                    return Err(at(
                        n,
                        format!(
                            "count = {v} is out of range; valid choices: 1 to {MAX_CLIENTS} \
                             client processes"
                        ),
                    ));
                }
                v as usize
            }
            None => DEFAULT_CLIENTS,
        };
        let clients = clients_override.unwrap_or(clients);
        for (key, value, m) in [
            ("may_die", &c.may_die, Toggle::ClientDeath),
            (
                "access_denied",
                &c.access_denied,
                Toggle::AccessDeniedClient,
            ),
        ] {
            let Some(v) = value else { continue };
            if !*v.get_ref() {
                continue;
            }
            if !m.applies_to(scenario) {
                return Err(at(
                    v,
                    format!(
                        "`{key}` (condition {}) applies to EXE servers only, not scenario '{}'; \
                         valid choices here: false",
                        m.name(),
                        scenario.name()
                    ),
                ));
            }
            toggled = toggled.with(m);
        }

        // [mechanisms].
        for (names, enable) in [
            (&self.mechanisms.disable, false),
            (&self.mechanisms.enable, true),
        ] {
            for n in names {
                let one = std::slice::from_ref(n.get_ref());
                let set = if enable {
                    ToggleSet::from_args(scenario, &[], one)
                } else {
                    ToggleSet::from_args(scenario, one, &[])
                }
                .map_err(|e| {
                    let e = e
                        .replacen("--disable", "disable", 2)
                        .replacen("--enable", "enable", 2);
                    at(
                        n,
                        format!("{e} (scenario '{}' is this description)", scenario.name()),
                    )
                })?;
                let m = set.iter().next().expect("one name");
                if let Some((_, key)) = SET_BY_KEYS.iter().find(|(k, _)| *k == m) {
                    return Err(at(
                        n,
                        format!(
                            "'{}' is set by {key}, not in [mechanisms]; remove it here",
                            m.name()
                        ),
                    ));
                }
                if toggled.contains(m) {
                    return Err(at(n, format!("'{}' is listed twice", m.name())));
                }
                toggled = toggled.with(m);
            }
        }
        if let (Some(list), false) = (&c.calls, scenario.is_local()) {
            return Err(at(
                list,
                "`calls` in [clients] is for EXE servers; remove it",
            ));
        }
        if let (Some(list), false) = (&c.classes, scenario.is_local()) {
            return Err(at(
                list,
                "`classes` in [clients] is for EXE servers; remove it",
            ));
        }
        let layout = self.layout(scenario, singleuse, clients)?;
        let config = Config::new(scenario, toggled, clients)
            .and_then(|c| c.with_layout(layout))
            .map_err(|e| (self.server.kind.span(), e))?;

        // [expect].
        let mut expect = Vec::new();
        for (p, v) in &self.expect {
            let applying = || {
                PROPERTIES
                    .iter()
                    .filter(|d| (d.applies)(scenario))
                    .map(|d| d.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let def = PROPERTIES
                .iter()
                .find(|d| d.name == p.get_ref())
                .ok_or_else(|| {
                    at(
                        p,
                        format!(
                            "unknown property '{}'; valid choices for scenario '{}': {}",
                            quote_prefix(p.get_ref()),
                            scenario.name(),
                            applying()
                        ),
                    )
                })?;
            if !(def.applies)(scenario) {
                return Err(at(
                    p,
                    format!(
                        "property '{}' is not checked in scenario '{}' (this description); \
                         valid choices: {}",
                        def.name,
                        scenario.name(),
                        applying()
                    ),
                ));
            }
            expect.push((def.name, v.get_ref().verdict()));
        }

        // [bounds].
        let bound = |b: &Option<Spanned<i64>>, key: &str| -> Result<Option<usize>, Located> {
            match b {
                None => Ok(None),
                Some(v) if *v.get_ref() >= 1 => Ok(Some(*v.get_ref() as usize)),
                Some(v) => Err(at(
                    v,
                    format!(
                        "{key} = {} is out of range; valid choices: 1 or more (or leave it out \
                         to explore everything)",
                        v.get_ref()
                    ),
                )),
            }
        };
        let max_states = bound(&self.bounds.max_states, "max_states")?;
        let max_depth = bound(&self.bounds.max_depth, "max_depth")?;
        Ok(Run {
            name: name.clone(),
            config,
            max_states,
            max_depth,
            expect,
            class_names: self
                .server
                .classes
                .iter()
                .map(|c| c.name.get_ref().clone())
                .collect(),
        })
    }

    /// Class names are unique; every name an apartment lists is a class; in an EXE or a
    /// service every class is registered by exactly one apartment.
    fn check_classes(&self) -> Result<(), Located> {
        let server = &self.server;
        let names: Vec<&str> = server
            .classes
            .iter()
            .map(|c| c.name.get_ref().as_str())
            .collect();
        let valid = || {
            if names.is_empty() {
                "none (add a [[server.classes]] entry)".to_string()
            } else {
                names.join(", ")
            }
        };
        for (i, c) in server.classes.iter().enumerate() {
            if names[..i].contains(&c.name.get_ref().as_str()) {
                return Err(at(
                    &c.name,
                    format!(
                        "class \"{}\" is declared twice",
                        quote_prefix(c.name.get_ref())
                    ),
                ));
            }
        }
        if server.classes.is_empty() {
            return Err(at(
                &server.kind,
                "the server has no class; add a [[server.classes]] entry",
            ));
        }
        let mut registered: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, a) in server.apartments.iter().enumerate() {
            if a.classes.is_empty() {
                return Err(at(
                    &a.kind,
                    format!(
                        "apartment {} registers no class; valid choices: {}",
                        i + 1,
                        valid()
                    ),
                ));
            }
            for c in &a.classes {
                let n = c.get_ref().as_str();
                if !names.contains(&n) {
                    return Err(at(
                        c,
                        format!(
                            "unknown class \"{}\" in apartment {}; valid choices: {}",
                            quote_prefix(n),
                            i + 1,
                            valid()
                        ),
                    ));
                }
                if let Some(j) = registered.insert(n, i) {
                    return Err(at(
                        c,
                        format!(
                            "class \"{n}\" is already registered by apartment {}; a class is \
                             registered by one apartment",
                            j + 1
                        ),
                    ));
                }
            }
        }
        if *server.kind.get_ref() != ServerKind::Dll {
            if let Some(c) = server
                .classes
                .iter()
                .find(|c| !registered.contains_key(c.name.get_ref().as_str()))
            {
                return Err(at(
                    &c.name,
                    format!(
                        "class \"{}\" is registered in no apartment; list it in the `classes` \
                         of one [[server.apartments]] entry",
                        quote_prefix(c.name.get_ref())
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The toggles the classes' REGCLS flags and CLSCTX values say, checked against what the
    /// scenario's code registers.
    fn registration_toggles(&self, scenario: Scenario) -> Result<(ToggleSet, u8), Located> {
        let mut toggled = ToggleSet::EMPTY;
        // Classes registered REGCLS_SINGLEUSE, as a bit set.
        let mut singleuse = 0u8;
        let kind = *self.server.kind.get_ref();
        // (singleuse, suspended) of the first class, which the others must repeat.
        let mut first: Option<(bool, bool)> = None;
        for (i, class) in self.server.classes.iter().enumerate() {
            let flags: Vec<Regcls> = class
                .regcls
                .get_ref()
                .iter()
                .map(|f| *f.get_ref())
                .collect();
            for (j, f) in class.regcls.get_ref().iter().enumerate() {
                if flags[..j].contains(f.get_ref()) {
                    return Err(at(f, format!("\"{}\" is listed twice", f.get_ref().name())));
                }
            }
            let ctx: Vec<Clsctx> = class
                .clsctx
                .get_ref()
                .iter()
                .map(|f| *f.get_ref())
                .collect();
            let one_ctx = |want: &[Clsctx], why: &str| -> Result<Clsctx, Located> {
                match ctx.as_slice() {
                    [c] if want.contains(c) => Ok(*c),
                    _ => Err(at(
                        &class.clsctx,
                        format!(
                            "clsctx must be exactly one value here ({why}); valid choices: {}",
                            want.iter()
                                .map(|c| format!("[\"{}\"]", c.name()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            };
            match kind {
                ServerKind::Dll => {
                    if let Some(f) = class.regcls.get_ref().first() {
                        return Err(at(
                            f,
                            "a DLL registers nothing with CoRegisterClassObject (its class \
                             objects come from DllGetClassObject); valid choices: regcls = []",
                        ));
                    }
                    one_ctx(&[Clsctx::InprocServer], "an in-process server")?;
                }
                ServerKind::Service => {
                    if flags != [Regcls::Multipleuse] {
                        return Err(at(
                            &class.regcls,
                            "a service registers its factory with REGCLS_MULTIPLEUSE in its \
                             private context (R-000-PRIVATE-CONTEXT); valid choices: regcls = \
                             [\"MULTIPLEUSE\"]",
                        ));
                    }
                    if i == 0 {
                        let c = one_ctx(
                            &[Clsctx::LocalServer, Clsctx::InprocServer],
                            "service A's registration, R-000-LOCAL-SERVER-FLAG",
                        )?;
                        if c == Clsctx::InprocServer {
                            toggled = toggled.with(Toggle::RegisterLocalServer);
                        }
                    } else {
                        one_ctx(
                            &[Clsctx::LocalServer],
                            "the model varies only service A's registration",
                        )?;
                    }
                }
                ServerKind::Exe => {
                    one_ctx(&[Clsctx::LocalServer], "an EXE server's class objects")?;
                    let multi = flags.contains(&Regcls::Multipleuse);
                    let single = flags.contains(&Regcls::Singleuse);
                    if multi == single {
                        return Err(at(
                            &class.regcls,
                            if multi {
                                "MULTIPLEUSE and SINGLEUSE contradict each other; valid \
                                 choices: one of them"
                            } else {
                                "regcls needs one of MULTIPLEUSE, SINGLEUSE"
                            },
                        ));
                    }
                    let suspended = flags.contains(&Regcls::Suspended);
                    if suspended && !Toggle::RegclsSuspended.applies_to(scenario) {
                        let f = class
                            .regcls
                            .get_ref()
                            .iter()
                            .find(|f| *f.get_ref() == Regcls::Suspended)
                            .expect("present");
                        let (code, rule) = match scenario {
                            Scenario::MfcSta => (
                                "MFC's COleObjectFactory registers REGCLS_MULTIPLEUSE, or \
                                 REGCLS_SINGLEUSE with bMultiInstance, never REGCLS_SUSPENDED",
                                "R-MFC-FACTORY, spec/frameworks.md §5",
                            ),
                            _ => (
                                "ATL 7.0–9.0 apartment builds register REGCLS_MULTIPLEUSE \
                                 without REGCLS_SUSPENDED and call no CoResumeClassObjects",
                                "R-ATL70-REGISTER, spec/frameworks.md §1",
                            ),
                        };
                        return Err(at(
                            f,
                            format!("{code} ({rule}); valid choices: MULTIPLEUSE, SINGLEUSE"),
                        ));
                    }
                    if single {
                        if let Some(why) = Toggle::RegclsSingleuse.refusal(scenario) {
                            let f = class
                                .regcls
                                .get_ref()
                                .iter()
                                .find(|f| *f.get_ref() == Regcls::Singleuse)
                                .expect("present");
                            return Err(at(
                                f,
                                format!("{why} (R-COM-SINGLEUSE); valid choices: MULTIPLEUSE"),
                            ));
                        }
                        singleuse |= 1 << i;
                    }
                    match first {
                        None => first = Some((single, suspended)),
                        Some((_, prev)) if prev != suspended => {
                            return Err(at(
                                &class.regcls,
                                "every class of the server is registered with REGCLS_SUSPENDED \
                                 or none is (the model resumes them all with one \
                                 CoResumeClassObjects); valid choices: the first class's \
                                 SUSPENDED flag",
                            ))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        if let Some((_, suspended)) = first {
            let every = (1u8 << self.server.classes.len()) - 1;
            if singleuse == every {
                // Every class single-use: the configuration regcls-singleuse itself.
                toggled = toggled.with(Toggle::RegclsSingleuse);
                singleuse = 0;
            }
            if !suspended && Toggle::RegclsSuspended.applies_to(scenario) {
                toggled = toggled.with(Toggle::RegclsSuspended);
            }
        }
        Ok((toggled, singleuse))
    }

    /// The server's apartments and classes as the model's [`Layout`], with `singleuse` (the
    /// single-use classes) and the class each of `clients` clients activates.
    fn layout(&self, scenario: Scenario, singleuse: u8, clients: usize) -> Result<Layout, Located> {
        let mut layout = Layout::of(scenario);
        if !scenario.is_local() {
            return Ok(layout);
        }
        let names: Vec<&str> = self
            .server
            .classes
            .iter()
            .map(|c| c.name.get_ref().as_str())
            .collect();
        let index = |n: &str| names.iter().position(|x| *x == n);
        layout.apartments = self.server.apartments.len() as u8;
        layout.classes = names.len() as u8;
        layout.class_apartment = [0; MAX_CLASSES];
        for (a, apt) in self.server.apartments.iter().enumerate() {
            for c in &apt.classes {
                let i = index(c.get_ref()).expect("checked by check_classes");
                layout.class_apartment[i] = a as u8;
            }
        }
        layout.singleuse = singleuse;
        if let Some(calls) = &self.clients.calls {
            const VALID: [&str; 2] = ["CoGetClassObject", "CoCreateInstance"];
            layout.client_calls = 0;
            for c in calls.get_ref() {
                let bit = VALID.iter().position(|v| v == c.get_ref()).ok_or_else(|| {
                    at(
                        c,
                        format!(
                            "unknown call \"{}\"; valid choices: {}",
                            quote_prefix(c.get_ref()),
                            VALID.join(", ")
                        ),
                    )
                })?;
                layout.client_calls |= 1 << bit;
            }
            if layout.client_calls == 0 {
                return Err(at(
                    calls,
                    format!(
                        "the clients need an activation call; valid choices: {}",
                        VALID.join(", ")
                    ),
                ));
            }
        }
        layout.client_class = [0; MAX_CLIENTS];
        match &self.clients.classes {
            None => {
                for (i, c) in layout.client_class.iter_mut().enumerate().take(clients) {
                    *c = (i % names.len()) as u8;
                }
            }
            Some(list) => {
                if list.get_ref().len() != clients {
                    return Err(at(
                        list,
                        format!(
                            "{} classes for {clients} clients; list one class per client",
                            list.get_ref().len()
                        ),
                    ));
                }
                for (i, c) in list.get_ref().iter().enumerate() {
                    let k = index(c.get_ref()).ok_or_else(|| {
                        at(
                            c,
                            format!(
                                "unknown class \"{}\" for client {}; valid choices: {}",
                                quote_prefix(c.get_ref()),
                                i + 1,
                                names.join(", ")
                            ),
                        )
                    })?;
                    layout.client_class[i] = k as u8;
                }
            }
        }
        Ok(layout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_is_its_scenario_baseline() {
        for (s, (name, text)) in Scenario::ALL.into_iter().zip(BUILTIN) {
            assert_eq!(s.name(), *name);
            let run = Description::parse(name, text)
                .and_then(|d| d.to_run())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                run.config,
                Config::new(s, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap()
            );
        }
    }

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
}
