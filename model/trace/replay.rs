//! Reading ITF trace files back and replaying them against the current model.
//!
//! [`load`] checks that a text is an ITF trace written by comlife: JSON, the ITF value syntax,
//! accepted by the `itf` crate, with a `#meta` that names a known scenario, mechanisms, client
//! count and property, and states that hold exactly the trace's variables. What is wrong is
//! reported with its JSON path (`$.states[3].serverInstance1`, `$["#meta"].scenario`).
//!
//! [`replay`] then re-executes the trace: the first state must be the model's initial state,
//! every later state must be reached from the one before by an enabled step (the one recorded
//! in the state's `#meta.actionItf` when it is there), and the last state must show the
//! property (violate an always property; end in a terminal state on a path where an
//! eventually property never held; satisfy a sometimes property).

use crate::com::config::{Config, Layout};
use crate::com::scenario::Scenario;
use crate::com::toggle_set::ToggleSet;

use crate::com::system::{ComModel, SysState};
use crate::com::toggles::Toggle;
use crate::trace::itf_trace::{encode_action, encode_state, vars, NETWORK_VAR};
use crate::trace::meta::TraceMeta;
use crate::verify::model::build;
use crate::verify::properties::{expectation_name, property, PropertyDef};
use crate::verify::search::successors;
use serde_json::{json, Map, Value};
use stateright::{Expectation, Model};
use std::fmt;

/// A file that is not a comlife ITF trace: the JSON path of the first thing wrong and what is
/// wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// JSON path, e.g. `$.states[3].serverInstance1` or `$["#meta"].scenario`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn bad<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, Malformed> {
    Err(Malformed {
        path: path.into(),
        message: message.into(),
    })
}

/// The JSON path of key `k` under `path`: `.k` for identifiers, `["k"]` otherwise.
pub fn key_path(path: &str, k: &str) -> String {
    if !k.is_empty()
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !k.starts_with(|c: char| c.is_ascii_digit())
    {
        format!("{path}.{k}")
    } else {
        format!("{path}[{}]", serde_json::to_string(k).unwrap_or_default())
    }
}

/// What a trace's `#meta` says about its run and property.
#[derive(Debug, Clone)]
pub struct Header {
    /// The run: scenario, disabled mechanisms, clients.
    pub cfg: Config,
    /// The property the trace shows.
    pub property: &'static PropertyDef,
    /// The trace's actor variables (its `vars` without `network`), in order.
    pub actors: Vec<String>,
    /// The whole top `#meta`, typed.
    pub meta: TraceMeta,
}

/// A loaded trace file.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The whole document.
    pub doc: Value,
    /// Its header.
    pub header: Header,
}

impl Loaded {
    /// The states, initial state first (each an object of `#meta` and the variables).
    pub fn states(&self) -> &[Value] {
        self.doc["states"].as_array().map_or(&[], Vec::as_slice)
    }

    /// A string of state `i`'s `#meta`, or "" when absent.
    pub fn state_meta(&self, i: usize, key: &str) -> &str {
        self.states()
            .get(i)
            .and_then(|s| s["#meta"][key].as_str())
            .unwrap_or("")
    }

    /// The display name of actor variable `var` (`#meta` `actorName.<var>`, else `var`).
    pub fn actor_name<'a>(&'a self, var: &'a str) -> &'a str {
        self.header.meta.actor_name(var)
    }
}

/// Checks that `v` is written in the ITF value syntax: no null, no float; `#bigint` holds an
/// integer string; `#tup`, `#set` hold lists; `#map` holds pairs; record fields do not start
/// with `#`.
///
/// # Errors
/// The path of the first offending value under `path`.
pub fn check_value(v: &Value, path: &str) -> Result<(), Malformed> {
    match v {
        Value::Null => bad(path, "null is not an ITF value"),
        Value::Bool(_) | Value::String(_) => Ok(()),
        Value::Number(n) => {
            if n.is_i64() {
                Ok(())
            } else {
                bad(
                    path,
                    format!("{n} is not an ITF integer (use {{\"#bigint\": \"…\"}})"),
                )
            }
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| check_value(x, &format!("{path}[{i}]"))),
        Value::Object(o) => {
            if let Some(k) = o.keys().find(|k| k.starts_with('#')) {
                if o.len() != 1 {
                    return bad(path, format!("an ITF {k} object has no other field"));
                }
                let inner = &o[k];
                let ip = key_path(path, k);
                match k.as_str() {
                    "#bigint" => match inner.as_str() {
                        Some(s) if parse_int(s).is_some() => Ok(()),
                        _ => bad(ip, "#bigint must hold a decimal integer string"),
                    },
                    "#tup" | "#set" => match inner.as_array() {
                        Some(items) => items
                            .iter()
                            .enumerate()
                            .try_for_each(|(i, x)| check_value(x, &format!("{ip}[{i}]"))),
                        None => bad(ip, format!("{k} must hold a list")),
                    },
                    "#map" => match inner.as_array() {
                        Some(items) => items.iter().enumerate().try_for_each(|(i, pair)| {
                            let pp = format!("{ip}[{i}]");
                            match pair.as_array().map(Vec::as_slice) {
                                Some([a, b]) => {
                                    check_value(a, &format!("{pp}[0]"))?;
                                    check_value(b, &format!("{pp}[1]"))
                                }
                                _ => bad(pp, "a #map entry must be a [key, value] pair"),
                            }
                        }),
                        None => bad(ip, "#map must hold a list of pairs"),
                    },
                    "#unserializable" => bad(ip, "an unserializable value cannot be replayed"),
                    _ => bad(ip, format!("unknown ITF form {k}")),
                }
            } else {
                o.iter()
                    .try_for_each(|(k, x)| check_value(x, &key_path(path, k)))
            }
        }
    }
}

fn parse_int(s: &str) -> Option<i128> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The canonical form of an ITF value for comparison: plain integers as `#bigint` with no
/// leading zeros, `#set` elements sorted.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!({"#bigint": n.to_string()}),
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Object(o) => {
            if let Some(s) = o.get("#bigint").and_then(Value::as_str) {
                return json!({"#bigint": parse_int(s).map_or(s.to_string(), |n| n.to_string())});
            }
            if let Some(items) = o.get("#set").and_then(Value::as_array) {
                let mut items: Vec<Value> = items.iter().map(canonical).collect();
                items.sort_by_cached_key(|x| x.to_string());
                return json!({ "#set": items });
            }
            Value::Object(o.iter().map(|(k, x)| (k.clone(), canonical(x))).collect())
        }
        other => other.clone(),
    }
}

/// The canonical form of a state's variables: each [`canonical`], the network sorted (it is a
/// multiset); `#meta` left out.
fn canonical_state(state: &Map<String, Value>) -> Map<String, Value> {
    state
        .iter()
        .filter(|(k, _)| *k != "#meta")
        .map(|(k, v)| {
            let mut c = canonical(v);
            if k == NETWORK_VAR {
                if let Value::Array(items) = &mut c {
                    items.sort_by_cached_key(|x| x.to_string());
                }
            }
            (k.clone(), c)
        })
        .collect()
}

/// The first path under `path` where `a` and `b` differ, with both values there.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> Option<(String, Value, Value)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if x.keys().eq(y.keys()) => x
            .iter()
            .find_map(|(k, v)| first_difference(v, &y[k], &key_path(path, k))),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some((path.to_string(), a.clone(), b.clone())),
    }
}

fn meta_str<'a>(meta: &'a Map<String, Value>, key: &str) -> Result<&'a str, Malformed> {
    let p = key_path("$[\"#meta\"]", key);
    match meta.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => bad(p, "must be a string"),
        None => bad(p, "missing (not a comlife trace?)"),
    }
}

fn header(doc: &Value) -> Result<Header, Malformed> {
    let Some(top) = doc.as_object() else {
        return bad("$", "an ITF trace is a JSON object");
    };
    let meta = match top.get("#meta") {
        Some(Value::Object(m)) => m,
        Some(_) => return bad("$[\"#meta\"]", "must be an object"),
        None => return bad("$[\"#meta\"]", "missing (not an ITF trace)"),
    };
    let scenario = Scenario::parse(meta_str(meta, "scenario")?)
        .or_else(|e| bad("$[\"#meta\"].scenario", e))?;
    let mut disabled = ToggleSet::EMPTY;
    for key in ["disabled", "enabled"] {
        // "enabled" (opt-in remedies) may be absent from traces that enable none.
        let names = if key == "enabled" && meta.get(key).is_none() {
            ""
        } else {
            meta_str(meta, key)?
        };
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let path = format!("$[\"#meta\"].{key}");
            let m = Toggle::parse(name).or_else(|e| bad(&path, e))?;
            if m.opt_in() != (key == "enabled") {
                return bad(
                    &path,
                    format!(
                        "'{name}' belongs in \"{}\"",
                        if m.opt_in() { "enabled" } else { "disabled" }
                    ),
                );
            }
            disabled = disabled.with(m);
        }
    }
    let clients: usize = meta_str(meta, "clients")?
        .parse()
        .or_else(|_| bad("$[\"#meta\"].clients", "must be a decimal number"))?;
    let mut cfg = Config::new(scenario, disabled, clients).or_else(|e| bad("$[\"#meta\"]", e))?;
    // A server description's own apartments and classes (absent for the scenario's layout).
    if let Some(l) = meta.get("layout") {
        let path = "$[\"#meta\"].layout";
        let text = l
            .as_str()
            .map_or_else(|| bad(path, "must be a string"), Ok)?;
        let layout =
            Layout::from_json(text).or_else(|e| bad(path, format!("not a layout: {e}")))?;
        cfg = cfg.with_layout(layout).or_else(|e| bad(path, e))?;
    }
    // The runtime (absent for Windows).
    if let Some(r) = meta.get("runtime") {
        let path = "$[\"#meta\"].runtime";
        let name = r
            .as_str()
            .map_or_else(|| bad(path, "must be a string"), Ok)?;
        let runtime = crate::com::runtime::Runtime::parse(name).or_else(|e| bad(path, e))?;
        cfg = cfg.with_runtime(runtime).or_else(|e| bad(path, e))?;
    }
    let prop =
        property(meta_str(meta, "property")?).or_else(|e| bad("$[\"#meta\"].property", e))?;
    if !(prop.applies)(scenario) {
        return bad(
            "$[\"#meta\"].property",
            format!(
                "property '{}' is not checked in scenario '{}'",
                prop.name,
                scenario.name()
            ),
        );
    }
    let exp = meta_str(meta, "expectation")?;
    if exp != expectation_name(&prop.expectation) {
        return bad(
            "$[\"#meta\"].expectation",
            format!(
                "'{exp}' but property '{}' is '{}'",
                prop.name,
                expectation_name(&prop.expectation)
            ),
        );
    }
    if let Some(o) = meta.get("outcome") {
        let want = crate::trace::itf_trace::outcome(prop);
        if o.as_str() != Some(want) {
            return bad(
                "$[\"#meta\"].outcome",
                format!(
                    "{} but a trace of the {} property {} is a{} {want}",
                    show(o),
                    expectation_name(&prop.expectation),
                    prop.name,
                    if want == "example" { "n" } else { "" }
                ),
            );
        }
    }
    let vars: Vec<String> = match top.get("vars") {
        Some(Value::Array(vs)) => vs
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                _ => bad(format!("$.vars[{i}]"), "a variable name must be a string"),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return bad("$.vars", "must be a list of variable names"),
        None => return bad("$.vars", "missing"),
    };
    if !vars.iter().any(|v| v == NETWORK_VAR) {
        return bad("$.vars", format!("no '{NETWORK_VAR}' variable"));
    }
    let actors = vars.into_iter().filter(|v| v != NETWORK_VAR).collect();
    // The keys checked above have their paths in errors; the typed #meta reads the rest.
    let meta: TraceMeta = serde_json::from_value(Value::Object(meta.clone()))
        .or_else(|e| bad("$[\"#meta\"]", format!("{e}")))?;
    Ok(Header {
        cfg,
        property: prop,
        actors,
        meta,
    })
}

/// Parses and checks a trace file's text (see the module documentation).
///
/// # Errors
/// [`Malformed`] with the JSON path of the first problem.
pub fn load(text: &str) -> Result<Loaded, Malformed> {
    let doc: Value = serde_json::from_str(text).or_else(|e| bad("$", format!("not JSON: {e}")))?;
    let loaded = checked(doc)?;
    // The reference reader must accept it too.
    if let Err(e) = itf::trace_from_value::<Value>(loaded.doc.clone()) {
        return bad("$", format!("the itf crate rejects the trace: {e}"));
    }
    Ok(loaded)
}

/// [`load`]'s checks of a document already parsed, but the `itf` crate's: what the trace
/// writer runs on each document it writes (its JSON text parses back to the same document; the
/// `itf` crate's acceptance of what `check` writes is tests/traces.rs's to check, on the
/// traces/ that `check` writes, since re-reading every trace with it took about a tenth of
/// `check`'s time).
///
/// # Errors
/// [`Malformed`] with the JSON path of the first problem.
pub fn checked(doc: Value) -> Result<Loaded, Malformed> {
    let header = header(&doc)?;
    let states = match doc.get("states") {
        Some(Value::Array(s)) if !s.is_empty() => s,
        Some(Value::Array(_)) => return bad("$.states", "a trace has at least one state"),
        Some(_) => return bad("$.states", "must be a list of states"),
        None => return bad("$.states", "missing"),
    };
    let mut expected: Vec<&str> = header.actors.iter().map(String::as_str).collect();
    expected.push(NETWORK_VAR);
    for (i, st) in states.iter().enumerate() {
        let p = format!("$.states[{i}]");
        let Some(o) = st.as_object() else {
            return bad(p, "a state must be an object");
        };
        match o.get("#meta") {
            None => {}
            Some(Value::Object(m)) => {
                if let Some(ix) = m.get("index") {
                    if ix.as_u64() != Some(i as u64) {
                        return bad(format!("{p}[\"#meta\"].index"), format!("must be {i}"));
                    }
                }
                if let Some((k, _)) = m.iter().find(|(k, v)| *k != "index" && !v.is_string()) {
                    return bad(key_path(&format!("{p}[\"#meta\"]"), k), "must be a string");
                }
            }
            Some(_) => return bad(format!("{p}[\"#meta\"]"), "must be an object"),
        }
        for var in &expected {
            match o.get(*var) {
                Some(v) => check_value(v, &key_path(&p, var))?,
                None => return bad(key_path(&p, var), "missing variable"),
            }
        }
        if let Some(k) = o
            .keys()
            .find(|k| *k != "#meta" && !expected.contains(&k.as_str()))
        {
            return bad(key_path(&p, k), "not a variable of the trace (see $.vars)");
        }
        if let Some(Value::Array(net)) = o.get(NETWORK_VAR) {
            for (j, env) in net.iter().enumerate() {
                let ep = format!("{}[{j}]", key_path(&p, NETWORK_VAR));
                for f in ["src", "dst", "msg"] {
                    if env.get(f).is_none() {
                        return bad(ep, format!("a message in transit needs '{f}'"));
                    }
                }
            }
        } else {
            return bad(key_path(&p, NETWORK_VAR), "must be a list of messages");
        }
    }
    if let Some(n) = doc["#meta"].get("steps") {
        let steps = states.len() - 1;
        if n.as_str() != Some(steps.to_string().as_str()) {
            return bad(
                "$[\"#meta\"].steps",
                format!(
                    "{} but the trace has {steps} steps ({} states)",
                    show(n),
                    states.len()
                ),
            );
        }
    }
    Ok(Loaded { doc, header })
}

/// Why a trace does not replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// The file is not a comlife ITF trace (exit status 2).
    Malformed(Malformed),
    /// Step `step` (the one leading to `$.states[step]`; 0 is the initial state) no longer
    /// matches the model, or the last state does not show the property (exit status 1).
    Mismatch {
        /// The state index.
        step: usize,
        /// What does not match.
        message: String,
    },
}

impl ReplayError {
    /// The exit status: 2 for a malformed file, 1 for a mismatch.
    pub fn exit_code(&self) -> u8 {
        match self {
            ReplayError::Malformed(_) => 2,
            ReplayError::Mismatch { .. } => 1,
        }
    }
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Malformed(m) => write!(f, "malformed trace: {m}"),
            ReplayError::Mismatch { step: 0, message } => {
                write!(
                    f,
                    "the initial state ($.states[0]) does not match: {message}"
                )
            }
            ReplayError::Mismatch { step, message } => {
                write!(
                    f,
                    "step {step} ($.states[{step}]) does not match: {message}"
                )
            }
        }
    }
}

/// A trace that replayed.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The loaded file.
    pub loaded: Loaded,
    /// Number of steps.
    pub steps: usize,
}

fn encode(names: &[String], s: &SysState) -> Map<String, Value> {
    canonical_state(&encode_state(names, s).expect("model states encode"))
}

fn mismatch<T>(step: usize, message: String) -> Result<T, ReplayError> {
    Err(ReplayError::Mismatch { step, message })
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

fn difference(recorded: &Map<String, Value>, model: &Map<String, Value>, step: usize) -> String {
    let root = format!("$.states[{step}]");
    let (a, b) = (
        Value::Object(recorded.clone()),
        Value::Object(model.clone()),
    );
    match first_difference(&a, &b, &root) {
        Some((p, x, y)) => format!(
            "at {p} the trace has {} but the model has {}",
            show(&x),
            show(&y)
        ),
        None => "the states are equal".into(),
    }
}

/// Replays an ITF trace file's text against the current model (see the module documentation).
///
/// # Errors
/// [`ReplayError::Malformed`] when the text is not a comlife trace; [`ReplayError::Mismatch`]
/// naming the first step that no longer matches, or the last step when the final state does not
/// show the property.
pub fn replay(text: &str) -> Result<Replayed, ReplayError> {
    let loaded = load(text).map_err(ReplayError::Malformed)?;
    let cfg = loaded.header.cfg;
    let prop = loaded.header.property;
    let model: ComModel = build(cfg);
    let init = model.init_states().remove(0);
    let names = crate::trace::itf_trace::actor_vars(&cfg, init.actor_states.len());
    let model_vars = vars(&cfg, init.actor_states.len());
    let file_vars: Vec<String> = loaded.doc["vars"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if file_vars != model_vars {
        return mismatch(
            0,
            format!(
                "the trace's variables are [{}] but the model's are [{}]",
                file_vars.join(", "),
                model_vars.join(", ")
            ),
        );
    }
    let states = loaded.states();
    let recorded: Vec<Map<String, Value>> = states
        .iter()
        .map(|s| canonical_state(s.as_object().expect("checked by load")))
        .collect();

    let first = encode(&names, &init);
    if first != recorded[0] {
        return mismatch(0, difference(&recorded[0], &first, 0));
    }
    let cond = |s: &SysState| (prop.condition)(&model, s);
    let mut path = vec![init];
    for i in 1..states.len() {
        let cur = path.last().expect("non-empty");
        let succ = successors(&model, cur);
        let text = loaded.state_meta(i, "action");
        let label = if text.is_empty() {
            String::new()
        } else {
            format!(" ({text})")
        };
        let recorded_action: Option<Value> = match states[i]["#meta"].get("actionItf") {
            Some(Value::String(s)) => Some(serde_json::from_str(s).map_err(|e| {
                ReplayError::Malformed(Malformed {
                    path: format!("$.states[{i}][\"#meta\"].actionItf"),
                    message: format!("not JSON: {e}"),
                })
            })?),
            _ => None,
        };
        let encoded: Vec<(Value, Map<String, Value>)> = succ
            .iter()
            .map(|(a, s)| {
                (
                    encode_action(&names, a).expect("model actions encode"),
                    encode(&names, s),
                )
            })
            .collect();
        let chosen = encoded.iter().position(|(a, s)| {
            *s == recorded[i] && recorded_action.as_ref().is_none_or(|r| r == a)
        });
        match chosen {
            Some(k) => path.push(succ[k].1.clone()),
            None => {
                let enabled: Vec<String> = succ
                    .iter()
                    .map(|(a, _)| crate::verify::search::action_phrase(&model, a))
                    .collect();
                let by_action = recorded_action
                    .as_ref()
                    .and_then(|r| encoded.iter().find(|(a, _)| a == r));
                let message = match (by_action, &recorded_action) {
                    (Some((_, s)), _) => format!(
                        "the recorded step{label} is enabled but leads elsewhere: {}",
                        difference(&recorded[i], s, i)
                    ),
                    (None, Some(_)) => format!(
                        "the recorded step{label} is not enabled after step {}; enabled: {}",
                        i - 1,
                        if enabled.is_empty() {
                            "none (terminal state)".to_string()
                        } else {
                            enabled.join("; ")
                        }
                    ),
                    (None, None) => format!(
                        "no enabled step{label} leads to the recorded state; enabled: {}",
                        enabled.join("; ")
                    ),
                };
                return mismatch(i, message);
            }
        }
    }

    let last = path.last().expect("non-empty");
    let n = path.len() - 1;
    match prop.expectation {
        Expectation::Always if cond(last) => mismatch(
            n,
            format!(
                "the last state does not violate the always property {} ({})",
                prop.name, prop.statement
            ),
        ),
        Expectation::Sometimes if !cond(last) => mismatch(
            n,
            format!(
                "the last state does not satisfy the sometimes property {} ({})",
                prop.name, prop.statement
            ),
        ),
        Expectation::Eventually => {
            if let Some(k) = path.iter().position(cond) {
                mismatch(
                    k,
                    format!(
                        "the eventually property {} already holds here, so the trace is no counterexample",
                        prop.name
                    ),
                )
            } else if !successors(&model, last).is_empty() {
                mismatch(
                    n,
                    format!(
                        "the last state is not terminal, so it does not show that {} never holds",
                        prop.name
                    ),
                )
            } else {
                Ok(Replayed { loaded, steps: n })
            }
        }
        _ => Ok(Replayed { loaded, steps: n }),
    }
}
