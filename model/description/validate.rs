//! Validation: what a description's text means, checked value by value (ranges, names that
//! must exist, values that contradict each other), and mapped to a [`CheckRequest`] of the
//! model.

use crate::com::config::{
    Config, ExitDecision, Layout, Teardown, DEFAULT_CLIENTS, MAX_CLASSES, MAX_CLIENTS,
    MAX_CREATE_INSTANCE, MAX_IDLE_COUNT,
};
use crate::com::framework::Framework;
use crate::com::runtime::Runtime;
use crate::com::scenario::{quote_prefix, Scenario};
use crate::com::toggle_set::ToggleSet;
use crate::com::toggles::Toggle;
use crate::description::format::{
    at, Clsctx, Description, DescriptionError, Exit, FactoryKind, Located, LockServerImpl, Regcls,
    Registration, RuntimeName, ServerKind, TeardownKind, Threading,
};
use crate::description::run::CheckRequest;
use crate::description::shape::scenario_of;
use crate::verify::properties::PROPERTIES;
use std::collections::BTreeMap;
use toml::Spanned;

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

/// The longest description `name` and class name, in characters.
pub const MAX_NAME: usize = 64;

/// `n` and the noun, singular for 1.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Why `name` cannot be a class name (non-empty, at most [`MAX_NAME`] characters,
/// `[A-Za-z_][A-Za-z0-9_]*`: it is shown in narratives, Mermaid diagrams and HTML), or `None`.
fn class_name_problem(name: &str) -> Option<String> {
    let rule = format!(
        "valid choices: 1 to {MAX_NAME} letters, digits and '_', not starting with a digit \
         (e.g. \"CLSID_A\")"
    );
    let len = name.chars().count();
    if name.is_empty() {
        return Some(format!("class name is empty; {rule}"));
    }
    if len > MAX_NAME {
        return Some(format!(
            "class name \"{}\" is {len} characters long; {rule}",
            quote_prefix(name).escape_debug()
        ));
    }
    let quoted = quote_prefix(name).escape_debug().to_string();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(format!(
            "class name \"{quoted}\" starts with a digit; {rule}"
        ));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map(|c| {
            format!(
                "class name \"{quoted}\" contains '{}'; {rule}",
                c.escape_debug()
            )
        })
}

impl Description {
    /// The toggles `toggled` of this description's request with the command line's `extra`
    /// (`check FILE.toml --enable X --disable Y`) added. A toggle has one direction (a
    /// mechanism on by default is only disabled, by `disable` or `--disable`; anything off by
    /// default is only enabled), so the file and the command line cannot contradict each
    /// other; naming a toggle in both is refused, as a name repeated within one list or one
    /// command line is.
    ///
    /// # Errors
    /// A message naming the flag, the toggle and where the file sets it already
    /// (`FILE:LINE:COLUMN` of its `[mechanisms]` entry, or the key that sets it), as bad usage.
    pub fn add_command_line(
        &self,
        toggled: ToggleSet,
        extra: ToggleSet,
    ) -> Result<ToggleSet, String> {
        for m in extra.iter() {
            if !toggled.contains(m) {
                continue;
            }
            let (flag, verb) = if m.opt_in() {
                ("--enable", "enables")
            } else {
                ("--disable", "disables")
            };
            let listed = [
                (&self.mechanisms.disable, "disable"),
                (&self.mechanisms.enable, "enable"),
            ]
            .into_iter()
            .find_map(|(list, key)| {
                list.iter()
                    .find(|n| Toggle::parse(n.get_ref()).is_ok_and(|t| t == m))
                    .map(|n| (n, key))
            });
            let place = match listed {
                Some((n, key)) => {
                    let e = self.source.error(n.span(), String::new());
                    format!(
                        "{}:{}:{} already {verb} '{}' ([mechanisms] {key})",
                        e.file,
                        e.line,
                        e.column,
                        m.name()
                    )
                }
                None => {
                    let key = SET_BY_KEYS
                        .iter()
                        .find(|(k, _)| *k == m)
                        .map_or("[server] `user`", |(_, key)| key);
                    format!(
                        "{} already {verb} '{}' by {key}",
                        self.source.file,
                        m.name()
                    )
                }
            };
            return Err(format!(
                "{flag} {}: {place}; name it in one place, the file or the command line",
                m.name()
            ));
        }
        Ok(extra.iter().fold(toggled, ToggleSet::with))
    }

    /// What the description asks for: the configuration of the model, bounds and expected
    /// verdicts.
    ///
    /// # Errors
    /// `FILE:LINE:COLUMN: message` at the first value that is out of range, names something
    /// that does not exist, contradicts another value or describes a server shape the model
    /// does not have, with the valid choices.
    pub fn to_request(&self) -> Result<CheckRequest, DescriptionError> {
        self.to_request_for(None)
    }

    /// [`Description::to_request`] with the number of clients set by the caller (`--clients`)
    /// instead of `[clients] count`.
    ///
    /// # Errors
    /// As [`Description::to_request`].
    pub fn to_request_for(&self, clients: Option<usize>) -> Result<CheckRequest, DescriptionError> {
        self.check(clients)
            .map_err(|(span, msg)| self.source.error(span, msg))
    }

    fn check(&self, clients_override: Option<usize>) -> Result<CheckRequest, Located> {
        let name = self.name.get_ref();
        if name.chars().count() > MAX_NAME {
            return Err(at(
                &self.name,
                format!(
                    "name \"{}\" is {} characters long; valid choices: at most {MAX_NAME} \
                     lowercase letters, digits and '-' (it names the trace directory)",
                    quote_prefix(name),
                    name.chars().count()
                ),
            ));
        }
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
            let exe_keys = [
                ("threading", server.threading.as_ref().map(|t| t.span())),
                ("exit", server.exit.as_ref().map(|e| e.span())),
                ("revoke", server.revoke.as_ref().map(|r| r.span())),
                (
                    "call_opens_window",
                    server.call_opens_window.as_ref().map(|c| c.span()),
                ),
                ("idle_timer", server.idle_timer.as_ref().map(|t| t.span())),
                (
                    "revoke_before_quit",
                    server.revoke_before_quit.as_ref().map(|r| r.span()),
                ),
                (
                    "quit_waits_for_objects",
                    server.quit_waits_for_objects.as_ref().map(|q| q.span()),
                ),
                ("teardown", server.teardown.as_ref().map(|t| t.span())),
                ("self_hold", server.self_hold.as_ref().map(|t| t.span())),
                (
                    "registration",
                    server.registration.as_ref().map(|t| t.span()),
                ),
                ("idle_count", server.idle_count.as_ref().map(|t| t.span())),
                ("peer_lock", server.peer_lock.as_ref().map(|t| t.span())),
            ];
            if let Some((key, Some(span))) = exe_keys.into_iter().find(|(_, s)| s.is_some()) {
                return Err((
                    span,
                    format!("`{key}` is for EXE servers, not {what}; {valid}"),
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
        self.check_textbook_keys(scenario)?;
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
        if let (Some(n), false) = (&c.create_instance, scenario.is_local()) {
            return Err(at(
                n,
                "`create_instance` in [clients] is for EXE servers; remove it",
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
        let config = match &self.runtime {
            None => config,
            Some(r) => {
                let runtime = match r.get_ref() {
                    RuntimeName::Windows => Runtime::Windows,
                    RuntimeName::Wine => Runtime::Wine,
                };
                config.with_runtime(runtime).map_err(|e| (r.span(), e))?
            }
        };

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
        Ok(CheckRequest {
            name: name.clone(),
            config,
            runtime_given: self.runtime.is_some(),
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

    /// `idle_count` and `peer_lock` describe an ATL 3.0–9.0 module whose idle test discounts a
    /// peer's lock (VBoxSVC's `CExeModule::isIdleLockCount`, A-PEER-LOCK): `lifetime =
    /// "atl9"` only; `idle_count` is 0 or 1; `peer_lock = true` needs `idle_count = 1`.
    fn check_idle_keys(&self, scenario: Scenario) -> Result<(), Located> {
        let server = &self.server;
        let atl9 = scenario.framework() == Some(Framework::Atl9);
        let why = "it describes an ATL 3.0-9.0 module's idle test that discounts a peer's lock \
                   (lifetime = \"atl9\", VBoxSVC's isIdleLockCount; spec/assumptions.md A-PEER-LOCK)";
        let idle = server.idle_count.as_ref().map_or(0, |n| *n.get_ref());
        if let Some(n) = &server.idle_count {
            if !atl9 && *n.get_ref() != 0 {
                return Err(at(
                    n,
                    format!("`idle_count` is not chosen here: {why}; valid choices here: 0"),
                ));
            }
            if *n.get_ref() > MAX_IDLE_COUNT {
                return Err(at(
                    n,
                    format!(
                        "idle_count = {} is not modeled: only VBoxSVC's threshold is sourced; \
                         valid choices: 0 (default: idle at a zero count), {MAX_IDLE_COUNT}",
                        n.get_ref()
                    ),
                ));
            }
        }
        if let Some(p) = &server.peer_lock {
            if !atl9 && *p.get_ref() {
                return Err(at(
                    p,
                    format!("`peer_lock` is not chosen here: {why}; valid choices here: false"),
                ));
            }
            if *p.get_ref() && idle == 0 {
                return Err(at(
                    p,
                    "peer_lock = true needs idle_count = 1: with idle_count = 0 the idle test \
                     counts the peer's lock and the server never exits; valid choices here: \
                     false, or give idle_count = 1",
                ));
            }
        }
        Ok(())
    }

    /// The keys that describe the textbook server's own code (`[server] exit`, `revoke`, a
    /// class's `lock_server`) are given for the textbook server without a user
    /// (local-multi-sta) only; `exit = "first-object-destroyed"` needs one apartment.
    fn check_textbook_keys(&self, scenario: Scenario) -> Result<(), Located> {
        let server = &self.server;
        self.check_window_keys(scenario)?;
        let textbook = scenario == Scenario::LocalMultiSta;
        let why = "it describes the textbook server's own code (lifetime = \"textbook\", \
                   without a user); the frameworks' code is theirs (spec/frameworks.md)";
        if let Some(e) = &server.exit {
            if !textbook && *e.get_ref() != Exit::Count {
                return Err(at(
                    e,
                    format!("`exit` is not chosen here: {why}; valid choices here: \"count\""),
                ));
            }
            let free = server
                .threading
                .as_ref()
                .is_some_and(|t| *t.get_ref() == Threading::Free);
            if *e.get_ref() == Exit::DllUnloaded && (server.apartments.len() != 1 || free) {
                return Err(at(
                    e,
                    "exit = \"dll-unloaded\" is modeled for a surrogate with one STA (the DLL's \
                     ThreadingModel=\"STA\"), which registers, dispatches and polls; valid choices \
                     here: \"count\"",
                ));
            }
            if *e.get_ref() == Exit::FirstObjectDestroyed && server.apartments.len() != 1 {
                return Err(at(
                    e,
                    format!(
                        "exit = \"first-object-destroyed\" is modeled for a server with one \
                         apartment (its main thread waits on the event); this one has {}; valid \
                         choices here: \"count\"",
                        server.apartments.len()
                    ),
                ));
            }
        }
        if let Some(h) = &server.self_hold {
            if !textbook && *h.get_ref() {
                return Err(at(
                    h,
                    format!("`self_hold` is not chosen here: {why}; valid choices here: false"),
                ));
            }
            let exit = server.exit.as_ref().map_or(Exit::Count, |e| *e.get_ref());
            if *h.get_ref() && exit != Exit::Count {
                return Err(at(
                    h,
                    "self_hold = true is a reference on the server's count, modeled with exit = \"count\"; valid choices here: false",
                ));
            }
        }
        self.check_idle_keys(scenario)?;
        if let Some(r) = &server.registration {
            if !textbook && *r.get_ref() != Registration::Always {
                return Err(at(
                    r,
                    format!(
                        "`registration` is not chosen here: {why}; valid choices here: \"always\""
                    ),
                ));
            }
        }
        if let Some(r) = &server.revoke {
            if !textbook && !*r.get_ref() {
                return Err(at(
                    r,
                    format!("`revoke` is not chosen here: {why}; valid choices here: true"),
                ));
            }
        }
        for c in &server.classes {
            if let Some(l) = &c.lock_server {
                if !textbook && *l.get_ref() != LockServerImpl::Counts {
                    return Err(at(
                        l,
                        format!("`lock_server` is not chosen here: {why}; valid choices here: \"counts\""),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The keys of a server that exits on its windows (`exit = "windows"`, `call_opens_window`,
    /// `idle_timer`, `teardown`): the textbook server without a `user` key (the windows bring
    /// their own user, A-WINDOWS-EXIT), one STA; the window keys only with `exit = "windows"`.
    fn check_window_keys(&self, scenario: Scenario) -> Result<(), Located> {
        let server = &self.server;
        let windows = server
            .exit
            .as_ref()
            .is_some_and(|e| *e.get_ref() == Exit::Windows);
        if let (Some(e), true) = (&server.exit, windows) {
            if scenario == Scenario::LocalSta {
                return Err(at(
                    e,
                    "exit = \"windows\" brings its own user, who closes the windows \
                     (spec/assumptions.md A-WINDOWS-EXIT); remove `user = true`",
                ));
            }
            let free = server
                .threading
                .as_ref()
                .is_some_and(|t| *t.get_ref() == Threading::Free);
            if server.apartments.len() != 1 || free {
                return Err(at(
                    e,
                    format!(
                        "exit = \"windows\" is modeled for a server with one apartment, an STA \
                         (its main thread's message loop pumps the windows); this one has {} \
                         apartment{}{}; valid choices here: \"count\", \"first-object-destroyed\"",
                        server.apartments.len(),
                        if server.apartments.len() == 1 {
                            ""
                        } else {
                            "s"
                        },
                        if free { ", the MTA" } else { "" }
                    ),
                ));
            }
        }
        let needs_windows = [
            (
                "call_opens_window = true",
                server
                    .call_opens_window
                    .as_ref()
                    .filter(|c| *c.get_ref())
                    .map(|c| c.span()),
            ),
            (
                "revoke_before_quit = true",
                server
                    .revoke_before_quit
                    .as_ref()
                    .filter(|r| *r.get_ref())
                    .map(|r| r.span()),
            ),
            (
                "quit_waits_for_objects = true",
                server
                    .quit_waits_for_objects
                    .as_ref()
                    .filter(|q| *q.get_ref())
                    .map(|q| q.span()),
            ),
            (
                "teardown = \"terminate-process\"",
                server
                    .teardown
                    .as_ref()
                    .filter(|t| *t.get_ref() == TeardownKind::TerminateProcess)
                    .map(|t| t.span()),
            ),
        ];
        if let (Some((key, Some(span))), false) = (
            needs_windows.into_iter().find(|(_, s)| s.is_some()),
            windows,
        ) {
            return Err((
                span,
                format!(
                    "{key} is modeled for a server that exits on its windows; set `exit = \
                     \"windows\"` in [server] (one STA, textbook), or leave the key out"
                ),
            ));
        }
        // idle_timer: with exit = "windows" (A-IDLE-TIMER) or "count", the default
        // (A-STARTUP-TIMER).
        let counts = server
            .exit
            .as_ref()
            .is_none_or(|e| *e.get_ref() == Exit::Count);
        if let (Some(t), false) = (
            server.idle_timer.as_ref().filter(|t| *t.get_ref()),
            windows || counts,
        ) {
            return Err(at(
                t,
                "idle_timer = true is modeled for a server that exits on its windows (exit = \"windows\", spec/assumptions.md A-IDLE-TIMER) or on its count (exit = \"count\", A-STARTUP-TIMER); leave the key out or change `exit`",
            ));
        }
        if let (Some(t), Some(r)) = (&server.teardown, &server.revoke) {
            if *t.get_ref() == TeardownKind::TerminateProcess && !*r.get_ref() {
                return Err(at(
                    r,
                    "teardown = \"terminate-process\" calls neither CoRevokeClassObject nor \
                     CoUninitialize, so `revoke = false` says nothing more; remove it",
                ));
            }
        }
        Ok(())
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
            if let Some(problem) = class_name_problem(c.name.get_ref()) {
                return Err(at(&c.name, problem));
            }
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
                    // CLSCTX_SERVER includes CLSCTX_LOCAL_SERVER; the model's clients are local
                    // processes, so for them it is the same registration.
                    one_ctx(
                        &[Clsctx::LocalServer, Clsctx::Server],
                        "an EXE server's class objects",
                    )?;
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
            if singleuse == every && Toggle::RegclsSingleuse.applies_to(scenario) {
                // Every class single-use: the configuration regcls-singleuse itself (where the
                // scenario has it; in WRL the layout says it: the server's own override of
                // RegisterCOMObject).
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
            let singleton = self.server.classes.iter().find_map(|c| {
                c.factory
                    .as_ref()
                    .filter(|f| *f.get_ref() == FactoryKind::Singleton)
            });
            if let Some(f) = singleton {
                return Err(at(
                    f,
                    "a singleton class object is modeled for EXE servers (their clients are \
                     other processes); valid choices here: \"new-object\"",
                ));
            }
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
        let server = &self.server;
        layout.free = server
            .threading
            .as_ref()
            .is_some_and(|t| *t.get_ref() == Threading::Free)
            && scenario == Scenario::LocalMultiSta;
        layout.exit = match server.exit.as_ref().map(|e| *e.get_ref()) {
            None | Some(Exit::Count) => ExitDecision::Count,
            Some(Exit::FirstObjectDestroyed) => ExitDecision::FirstObjectDestroyed,
            Some(Exit::Windows) => ExitDecision::Windows,
            Some(Exit::DllUnloaded) => ExitDecision::DllUnloaded,
        };
        layout.call_opens_window = server
            .call_opens_window
            .as_ref()
            .is_some_and(|c| *c.get_ref());
        layout.idle_timer = server.idle_timer.as_ref().is_some_and(|t| *t.get_ref());
        layout.revoke_before_quit = server
            .revoke_before_quit
            .as_ref()
            .is_some_and(|r| *r.get_ref());
        layout.quit_waits_for_objects = server
            .quit_waits_for_objects
            .as_ref()
            .is_some_and(|q| *q.get_ref());
        layout.teardown = match server.teardown.as_ref().map(|t| *t.get_ref()) {
            None | Some(TeardownKind::Uninitialize) => Teardown::Uninitialize,
            Some(TeardownKind::TerminateProcess) => Teardown::TerminateProcess,
        };
        layout.revoke = server.revoke.as_ref().is_none_or(|r| *r.get_ref());
        layout.self_hold = server.self_hold.as_ref().is_some_and(|h| *h.get_ref());
        layout.idle_count = server.idle_count.as_ref().map_or(0, |n| *n.get_ref());
        layout.peer_lock = server.peer_lock.as_ref().is_some_and(|p| *p.get_ref());
        layout.conditional_registration = server
            .registration
            .as_ref()
            .is_some_and(|r| *r.get_ref() == Registration::Conditional);
        layout.lockserver_fails = 0;
        layout.singleton = 0;
        for (i, c) in server.classes.iter().enumerate() {
            if c.lock_server.as_ref().map(|l| *l.get_ref()) == Some(LockServerImpl::EFail) {
                layout.lockserver_fails |= 1 << i;
            }
            if c.factory.as_ref().map(|f| *f.get_ref()) == Some(FactoryKind::Singleton) {
                layout.singleton |= 1 << i;
            }
        }
        if let Some(n) = &self.clients.create_instance {
            let v = *n.get_ref();
            if !(1..=i64::from(MAX_CREATE_INSTANCE)).contains(&v) {
                return Err(at(
                    n,
                    format!(
                        "create_instance = {v} is out of range; valid choices: 1 to \
                         {MAX_CREATE_INSTANCE} IClassFactory::CreateInstance calls per class object"
                    ),
                ));
            }
            layout.create_instance = v as u8;
        }
        if let Some(calls) = &self.clients.calls {
            const VALID: [&str; 2] = ["CoGetClassObject", "CoCreateInstance"];
            layout.client_calls = 0;
            for (j, c) in calls.get_ref().iter().enumerate() {
                if calls.get_ref()[..j]
                    .iter()
                    .any(|p| p.get_ref() == c.get_ref())
                {
                    return Err(at(
                        c,
                        format!("\"{}\" is listed twice", quote_prefix(c.get_ref())),
                    ));
                }
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
                // Every entry, as `Layout::of` fills them (those beyond `clients` are unused).
                for (i, c) in layout.client_class.iter_mut().enumerate() {
                    *c = (i % names.len()) as u8;
                }
            }
            Some(list) => {
                if list.get_ref().len() != clients {
                    return Err(at(
                        list,
                        format!(
                            "{} for {}; list one class per client",
                            plural(list.get_ref().len(), "class", "classes"),
                            plural(clients, "client", "clients")
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
