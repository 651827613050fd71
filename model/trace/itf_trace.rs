//! Traces in the Informal Trace Format (ITF, Apalache ADR-015, as written by Apalache and
//! Quint).
//!
//! A trace document is `{"#meta": {...}, "vars": [...], "states": [...]}`. Its variables are one
//! per actor, named after [`Config::actor_name`] in camel case (`client1`, `scm`,
//! `serverInstance1`), plus `network`, the messages in transit. Every actor state is encoded
//! from its `serde::Serialize` impl by [`to_itf`], so new state and message variants need no
//! change here:
//!
//! * integers → `{"#bigint": "N"}`; strings and booleans as themselves;
//! * structs → records (JSON objects); tuples → `{"#tup": [...]}`; sequences → lists;
//!   maps → `{"#map": [[k, v], ...]}`;
//! * enum variants → Quint's sum-type encoding `{"tag": "Name", "value": v}` with the unit
//!   value `{"#tup": []}`; `Option` → the variants `None` and `Some`.
//!
//! The network is a multiset, encoded as a list of records `{src, dst, msg}` (variable names
//! for `src` and `dst`) sorted by sender, receiver and encoded message, so equal states encode
//! to equal JSON.
//!
//! Every `#meta` value but a state's `index` is a string, as the `itf` crate requires. The top
//! `#meta` names the run (scenario, disabled mechanisms, clients), the property, its
//! expectation, rule IDs, source documents, the stateright Explorer link and `why` (the
//! property's explanation at the last state, [`PropertyDef::explain`]); each state's `#meta`
//! names the step that led to it in COM terms and in a machine-readable form (`actionItf`, the
//! ITF encoding of the action as a JSON string), and what it changed in COM terms (see
//! `step_meta`).

use crate::com::config::{Config, Layout};
use crate::com::names::{capitalise, the};
use crate::com::rules::source_title;
use crate::com::system::{ComModel, SysState};
use crate::trace::meta::{Search, TraceMeta};
use crate::trace::state_text::{self, rename_classes};
use crate::verify::model::build;
use crate::verify::properties::{expectation_name, PropertyDef};
use crate::verify::search::{action_phrase, Action, Trace};
use serde::ser::{self, Serialize};
use serde_json::{json, Map, Value};
use stateright::actor::{ActorModelAction, Id};
use stateright::{Expectation, Path};
use std::fmt;

/// The default address of `comlife explore`, used in the Explorer links of trace files.
pub const EXPLORER_ADDR: &str = "127.0.0.1:3000";

/// The name of the network variable.
pub const NETWORK_VAR: &str = "network";

/// A value that has no ITF encoding (a float), or a failed `Serialize` impl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot encode as ITF: {}", self.0)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        EncodeError(msg.to_string())
    }
}

/// Encodes any `Serialize` value as an ITF value (see the module documentation).
///
/// # Errors
/// Floats have no ITF encoding; a `Serialize` impl may also fail on its own.
pub fn to_itf<T: Serialize + ?Sized>(value: &T) -> Result<Value, EncodeError> {
    value.serialize(ItfSerializer)
}

/// `{"#bigint": "n"}`.
pub fn bigint(n: impl fmt::Display) -> Value {
    json!({ "#bigint": n.to_string() })
}

/// The unit value, the empty tuple `{"#tup": []}`.
pub fn unit() -> Value {
    json!({ "#tup": [] })
}

/// A Quint sum-type value `{"tag": tag, "value": value}`.
pub fn variant(tag: &str, value: Value) -> Value {
    json!({ "tag": tag, "value": value })
}

struct ItfSerializer;

/// Collects the elements of a sequence, tuple or tuple variant.
struct SeqSer {
    items: Vec<Value>,
    kind: SeqKind,
}

enum SeqKind {
    List,
    Tuple,
    Variant(&'static str),
}

impl SeqSer {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EncodeError> {
        self.items.push(to_itf(v)?);
        Ok(())
    }

    fn finish(self) -> Value {
        match self.kind {
            SeqKind::List => Value::Array(self.items),
            SeqKind::Tuple => json!({ "#tup": self.items }),
            SeqKind::Variant(tag) => variant(tag, json!({ "#tup": self.items })),
        }
    }
}

/// Collects a map's entries.
struct MapSer {
    entries: Vec<(Value, Value)>,
    key: Option<Value>,
}

/// Collects a struct's or struct variant's fields.
struct StructSer {
    fields: Map<String, Value>,
    tag: Option<&'static str>,
}

impl StructSer {
    fn finish(self) -> Value {
        let record = Value::Object(self.fields);
        match self.tag {
            Some(tag) => variant(tag, record),
            None => record,
        }
    }
}

macro_rules! ints {
    ($($f:ident: $t:ty),*) => {
        $(fn $f(self, v: $t) -> Result<Value, EncodeError> {
            Ok(bigint(v))
        })*
    };
}

impl ser::Serializer for ItfSerializer {
    type Ok = Value;
    type Error = EncodeError;
    type SerializeSeq = SeqSer;
    type SerializeTuple = SeqSer;
    type SerializeTupleStruct = SeqSer;
    type SerializeTupleVariant = SeqSer;
    type SerializeMap = MapSer;
    type SerializeStruct = StructSer;
    type SerializeStructVariant = StructSer;

    ints!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
          serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
          serialize_u64: u64, serialize_u128: u128);

    fn serialize_bool(self, v: bool) -> Result<Value, EncodeError> {
        Ok(Value::Bool(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, EncodeError> {
        Err(EncodeError(format!("float {v} has no ITF encoding")))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, EncodeError> {
        Err(EncodeError(format!("float {v} has no ITF encoding")))
    }
    fn serialize_char(self, v: char) -> Result<Value, EncodeError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, EncodeError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, EncodeError> {
        Ok(Value::Array(v.iter().map(bigint).collect()))
    }
    fn serialize_none(self) -> Result<Value, EncodeError> {
        Ok(variant("None", unit()))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, EncodeError> {
        Ok(variant("Some", to_itf(v)?))
    }
    fn serialize_unit(self) -> Result<Value, EncodeError> {
        Ok(unit())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, EncodeError> {
        Ok(unit())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        tag: &'static str,
    ) -> Result<Value, EncodeError> {
        Ok(variant(tag, unit()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Value, EncodeError> {
        to_itf(v)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        tag: &'static str,
        v: &T,
    ) -> Result<Value, EncodeError> {
        Ok(variant(tag, to_itf(v)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer, EncodeError> {
        Ok(SeqSer {
            items: Vec::with_capacity(len.unwrap_or(0)),
            kind: SeqKind::List,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer, EncodeError> {
        Ok(SeqSer {
            items: Vec::with_capacity(len),
            kind: SeqKind::Tuple,
        })
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqSer, EncodeError> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        tag: &'static str,
        len: usize,
    ) -> Result<SeqSer, EncodeError> {
        Ok(SeqSer {
            items: Vec::with_capacity(len),
            kind: SeqKind::Variant(tag),
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapSer, EncodeError> {
        Ok(MapSer {
            entries: Vec::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<StructSer, EncodeError> {
        Ok(StructSer {
            fields: Map::new(),
            tag: None,
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        tag: &'static str,
        _: usize,
    ) -> Result<StructSer, EncodeError> {
        Ok(StructSer {
            fields: Map::new(),
            tag: Some(tag),
        })
    }
}

impl ser::SerializeSeq for SeqSer {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EncodeError> {
        self.push(v)
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqSer {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EncodeError> {
        self.push(v)
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqSer {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EncodeError> {
        self.push(v)
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for SeqSer {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EncodeError> {
        self.push(v)
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeMap for MapSer {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), EncodeError> {
        self.key = Some(to_itf(k)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EncodeError> {
        let k = self
            .key
            .take()
            .ok_or_else(|| EncodeError("map value without a key".into()))?;
        self.entries.push((k, to_itf(v)?));
        Ok(())
    }
    fn end(mut self) -> Result<Value, EncodeError> {
        // Hash maps iterate in no fixed order: sort so equal maps encode equally.
        self.entries
            .sort_by_cached_key(|(k, _)| serde_json::to_string(k).unwrap_or_default());
        Ok(json!({
            "#map": self.entries.into_iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>()
        }))
    }
}

impl ser::SerializeStruct for StructSer {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), EncodeError> {
        self.fields.insert(name.to_string(), to_itf(v)?);
        Ok(())
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for StructSer {
    type Ok = Value;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), EncodeError> {
        self.fields.insert(name.to_string(), to_itf(v)?);
        Ok(())
    }
    fn end(self) -> Result<Value, EncodeError> {
        Ok(self.finish())
    }
}

/// An actor's display name in camel case: "server instance 1" → `serverInstance1`,
/// "SCM" → `scm`. Characters other than ASCII letters and digits separate words.
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    for (i, word) in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        let lower = word.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut cs = lower.chars();
            if let Some(c) = cs.next() {
                out.push(c.to_ascii_uppercase());
                out.extend(cs);
            }
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "actor");
    }
    out
}

/// The ITF variable names of `actors` actors of `cfg`, in actor-id order: [`camel`] of
/// [`Config::actor_name`], made unique with a `_<id>` suffix where two names collide (and
/// never `network`).
pub fn actor_vars(cfg: &Config, actors: usize) -> Vec<String> {
    let base: Vec<String> = (0..actors)
        .map(|i| camel(&cfg.actor_name(Id::from(i))))
        .collect();
    base.iter()
        .enumerate()
        .map(|(i, b)| {
            if b == NETWORK_VAR || base.iter().filter(|x| *x == b).count() > 1 {
                format!("{b}_{i}")
            } else {
                b.clone()
            }
        })
        .collect()
}

/// Every variable of a state of `cfg` with `actors` actors: the actors, then `network`.
pub fn vars(cfg: &Config, actors: usize) -> Vec<String> {
    let mut v = actor_vars(cfg, actors);
    v.push(NETWORK_VAR.to_string());
    v
}

/// The ITF variables of one system state: each actor's state and the network (see the module
/// documentation). `names` are the [`actor_vars`] of the state's actors.
///
/// # Errors
/// When a state or message cannot be encoded ([`to_itf`]).
pub fn encode_state(names: &[String], state: &SysState) -> Result<Map<String, Value>, EncodeError> {
    let mut vars = Map::new();
    for (name, s) in names.iter().zip(&state.actor_states) {
        vars.insert(name.clone(), to_itf(s.state())?);
    }
    let mut net = Vec::new();
    for env in crate::com::state::in_transit(state) {
        let (src, dst) = (usize::from(env.src), usize::from(env.dst));
        let msg = to_itf(env.msg)?;
        let key = serde_json::to_string(&msg).unwrap_or_default();
        net.push((
            (src, dst, key),
            json!({"src": names[src], "dst": names[dst], "msg": msg}),
        ));
    }
    net.sort_by(|a, b| a.0.cmp(&b.0));
    vars.insert(
        NETWORK_VAR.to_string(),
        Value::Array(net.into_iter().map(|(_, v)| v).collect()),
    );
    Ok(vars)
}

/// The ITF encoding of an action: `Deliver {src, dst, msg}`, `Step {actor, step}`, or
/// `Other` with stateright's description for the kinds the model does not use.
///
/// # Errors
/// When the message or step cannot be encoded ([`to_itf`]).
pub fn encode_action(names: &[String], action: &Action) -> Result<Value, EncodeError> {
    Ok(match action {
        ActorModelAction::Deliver { src, dst, msg } => variant(
            "Deliver",
            json!({"src": names[usize::from(*src)], "dst": names[usize::from(*dst)], "msg": to_itf(msg)?}),
        ),
        ActorModelAction::Timeout(id, step) => variant(
            "Step",
            json!({"actor": names[usize::from(*id)], "step": to_itf(step)?}),
        ),
        other => variant("Other", Value::String(format!("{other:?}"))),
    })
}

/// The stateright Explorer link of a trace of `model`: `http://<EXPLORER_ADDR>/#/steps/<path>`
/// with the path of [`explorer_path`].
///
/// Returns `None` when the trace is not a path of the model.
pub fn explorer_link(model: &ComModel, trace: &Trace) -> Option<String> {
    Some(format!(
        "http://{EXPLORER_ADDR}/#/steps/{}",
        explorer_path(model, trace)?
    ))
}

/// A trace of `model` as the Explorer addresses it: the index of its initial state among the
/// model's initial states, then the index of each step among the actions of the state it
/// leaves, joined by `/` ([`stateright::Path::encode`]); `0/3/1` is two steps from the first
/// initial state. The Explorer's discoveries (`comlife explore`) and the links of trace files
/// are both this path of a shortest trace.
///
/// Returns `None` when the trace is not a path of the model.
pub fn explorer_path(model: &ComModel, trace: &Trace) -> Option<String> {
    let init = trace.states.first()?.clone();
    let path = Path::from_actions(model, init, trace.actions.iter())?;
    Some(path.encode(model))
}

/// Whether a trace for `prop` is a counterexample (always, eventually) or an example
/// (sometimes).
pub fn outcome(prop: &PropertyDef) -> &'static str {
    if prop.expectation == Expectation::Sometimes {
        "example"
    } else {
        "counterexample"
    }
}

/// The source documents of `rules` by title and author, each once, in order of first citation.
pub fn sources(rules: &[&str]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for r in rules {
        let f = source_title(r);
        if !v.contains(&f) {
            v.push(f);
        }
    }
    v
}

/// The `comlife` arguments selecting the run of `cfg` (`--scenario … [--disable …]`, and
/// `--clients` when not the default).
pub fn run_args(cfg: &Config) -> String {
    let mut s = format!("--scenario {}", cfg.scenario.name());
    for a in cfg.toggled.to_args() {
        s.push(' ');
        s.push_str(&a);
    }
    if cfg.clients != crate::com::config::DEFAULT_CLIENTS {
        s.push_str(&format!(" --clients {}", cfg.clients));
    }
    if cfg.runtime.is_wine() {
        s.push_str(&format!(" --runtime {}", cfg.runtime.name()));
    }
    s
}

/// The `#meta` of a state's step: `action` (COM terms), `actionKind` (`deliver`, `step`,
/// `init`), `actor` (the variable of the actor that acts), `src`/`dst` for deliveries,
/// `label` (the message or step alone), `actionItf` (the action's ITF encoding as JSON text)
/// `sent` (the messages the step put on the network, one per line, in COM terms),
/// `sentence` (a step as a sentence about its actor, told with its state before the step; also
/// for a delivery of COM's garbage collection on behalf of a dead client), `sentBy` (who sends
/// `sent` when it is not the actor: COM, for a dead client),
/// `repliesToTheDead` (the dead clients that replies were sent to: they go nowhere, one per
/// line), per actor `summary.<var>` (the actor's
/// state in COM terms, [`state_text::summary`]) and, for actors the step changed,
/// `changes.<var>` (one change per line, [`state_text::changes`]); `objectsCreated` and
/// `objectsDestroyed` list the objects that appeared or went away in the step (in the initial
/// state: those that exist), one per line as `owner-var TAB participant-id TAB name`;
/// `inTransit` lists the messages in transit in COM terms, one per line in the order of the
/// `network` variable.
fn step_meta(
    model: &ComModel,
    names: &[String],
    index: usize,
    step: Option<(&Action, &SysState)>,
    state: &SysState,
) -> Result<Map<String, Value>, EncodeError> {
    let action = step.map(|(a, _)| a);
    let mut m = Map::new();
    m.insert("index".into(), json!(index));
    let s = |v: &str| Value::String(v.to_string());
    match action {
        None => {
            m.insert("action".into(), s("initial state"));
            m.insert("actionKind".into(), s("init"));
        }
        Some(a) => {
            m.insert("action".into(), s(&action_phrase(model, a)));
            m.insert(
                "actionItf".into(),
                s(&serde_json::to_string(&encode_action(names, a)?).unwrap_or_default()),
            );
            let prev = step
                .map(|(_, p)| p)
                .expect("an action has a state before it");
            match a {
                ActorModelAction::Deliver { src, dst, msg } => {
                    m.insert("actionKind".into(), s("deliver"));
                    m.insert("actor".into(), s(&names[usize::from(*dst)]));
                    m.insert("src".into(), s(&names[usize::from(*src)]));
                    m.insert("dst".into(), s(&names[usize::from(*dst)]));
                    if state_text::dead_client(prev, *src) {
                        // What a dead client "sends" is COM's garbage collection releasing its
                        // references in the server (R-COM-PING-GC).
                        let client = model.cfg.actor_name(*src);
                        m.insert(
                            "label".into(),
                            s(&format!("{msg:?} (COM's garbage collection for {client})")),
                        );
                        m.insert(
                            "sentence".into(),
                            s(&format!(
                                "{} receives {msg:?} that COM's garbage collection makes for \
                                 {client}",
                                capitalise(&the(&model.cfg.actor_name(*dst)))
                            )),
                        );
                    } else {
                        m.insert("label".into(), s(&format!("{msg:?}")));
                    }
                }
                ActorModelAction::Timeout(id, step) => {
                    let before = prev.actor_states[usize::from(*id)];
                    let sentence = step.sentence_in(&model.cfg.actor_name(*id), &model.cfg, before);
                    m.insert("actionKind".into(), s("step"));
                    m.insert("actor".into(), s(&names[usize::from(*id)]));
                    m.insert("label".into(), s(&step.label_in(&model.cfg, before)));
                    m.insert("action".into(), s(&sentence));
                    m.insert("sentence".into(), s(&sentence));
                }
                _ => {
                    m.insert("actionKind".into(), s("other"));
                }
            }
        }
    }
    if let Some((_, prev)) = step {
        let (sent, nowhere) = state_text::sent_and_dropped(model, prev, state);
        if !sent.is_empty() {
            m.insert("sent".into(), s(&sent.join("\n")));
        }
        if !nowhere.is_empty() {
            m.insert("repliesToTheDead".into(), s(&nowhere.join("\n")));
        }
        if let Some(ActorModelAction::Timeout(id, _)) = action {
            if state_text::dead_client(state, *id) && !sent.is_empty() {
                m.insert("sentBy".into(), s("COM"));
            }
        }
    }
    let cfg = &model.cfg;
    if let Some((_, prev)) = step {
        let mut created = Vec::new();
        let mut destroyed = Vec::new();
        for (k, name) in names.iter().enumerate() {
            let (before, after) = (prev.actor_states[k], state.actor_states[k]);
            let ch = state_text::changes(cfg, k, before, after);
            if !ch.is_empty() {
                m.insert(format!("changes.{name}"), s(&ch.join("\n")));
            }
            let (was, now) = (state_text::objects(before), state_text::objects(after));
            for (key, label) in &now {
                if !was.iter().any(|(k2, _)| k2 == key) {
                    created.push(format!("{name}\t{name}_{key}\t{label}"));
                }
            }
            for (key, label) in &was {
                if !now.iter().any(|(k2, _)| k2 == key) {
                    destroyed.push(format!("{name}\t{name}_{key}\t{label}"));
                }
            }
        }
        if !created.is_empty() {
            m.insert("objectsCreated".into(), s(&created.join("\n")));
        }
        if !destroyed.is_empty() {
            m.insert("objectsDestroyed".into(), s(&destroyed.join("\n")));
        }
    } else {
        let mut initial = Vec::new();
        for (k, name) in names.iter().enumerate() {
            for (key, label) in state_text::objects(state.actor_states[k]) {
                initial.push(format!("{name}\t{name}_{key}\t{label}"));
            }
        }
        if !initial.is_empty() {
            m.insert("objectsCreated".into(), s(&initial.join("\n")));
        }
    }
    for (k, (name, a)) in names.iter().zip(&state.actor_states).enumerate() {
        m.insert(
            format!("summary.{name}"),
            s(&state_text::summary(cfg, k, a)),
        );
    }
    // The messages in transit in COM terms, in the order of the `network` variable.
    let mut transit = Vec::new();
    for e in crate::com::state::in_transit(state) {
        let key = serde_json::to_string(&to_itf(e.msg)?).unwrap_or_default();
        transit.push((
            (usize::from(e.src), usize::from(e.dst), key),
            state_text::message(model, &e),
        ));
    }
    transit.sort_by(|a, b| a.0.cmp(&b.0));
    if !transit.is_empty() {
        let lines: Vec<String> = transit.into_iter().map(|(_, t)| t).collect();
        m.insert("inTransit".into(), s(&lines.join("\n")));
    }
    Ok(m)
}

/// The ITF document of `trace`, a shortest counterexample to (or example of) `prop` in the run
/// of `cfg`.
///
/// # Errors
/// When a state, message or step cannot be encoded ([`to_itf`]), or the trace is not a path of
/// the model of `cfg`.
pub fn document(cfg: &Config, prop: &PropertyDef, trace: &Trace) -> Result<Value, EncodeError> {
    document_for(cfg, prop, trace, Search::Exhaustive, None)
}

/// Where a server description's trace comes from: what [`document_for`] records of it.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    /// The description's name (`#meta.name`; trace paths use it in place of the scenario).
    pub name: &'a str,
    /// The command that serves the Explorer on its model (`#meta.explorerCommand`).
    pub explore: &'a str,
    /// Its classes' names, in the order it declares them (the model's `CLSID_A`, `CLSID_B`,
    /// `CLSID_C`): the trace's texts use them
    /// ([`crate::trace::state_text::rename_classes`]) and `#meta.classNames` lists them. The
    /// states and actions keep the model's class numbers, so replay is unaffected.
    pub class_names: &'a [String],
}

/// [`document`] for a run that may be a simulation or partial-order reduced (`search`: then the
/// trace is not necessarily shortest, and `#meta.search` says so) and may be a server
/// description's (see [`Origin`]).
///
/// # Errors
/// As [`document`].
pub fn document_for(
    cfg: &Config,
    prop: &PropertyDef,
    trace: &Trace,
    search: Search,
    origin: Option<&Origin>,
) -> Result<Value, EncodeError> {
    let model = build(*cfg);
    let actors = trace.states.first().map_or(0, |s| s.actor_states.len());
    let names = actor_vars(cfg, actors);
    let class_names = origin.map_or(&[][..], |o| o.class_names);
    let own_names = !names_are_the_models(class_names);
    let rename = |text: String| {
        if own_names {
            rename_classes(&text, class_names)
        } else {
            text
        }
    };
    let link = explorer_link(&model, trace)
        .ok_or_else(|| EncodeError("the trace is not a path of the model".into()))?;
    let disabled: Vec<&str> = cfg.toggled.disabled().map(|m| m.name()).collect();
    let enabled: Vec<&str> = cfg.toggled.enabled().map(|m| m.name()).collect();
    let expectation = expectation_name(&prop.expectation);
    let layout = if cfg.layout == Layout::of(cfg.scenario) {
        None
    } else {
        // A server description's own apartments and classes, as JSON in a string (ITF wants
        // strings in #meta); replay rebuilds the configuration from it.
        Some(cfg.layout.to_json(cfg.clients))
    };
    let meta = TraceMeta {
        format: "ITF".into(),
        format_description: "https://apalache-mc.org/docs/adr/015adr-trace.html".into(),
        source: "comlife check".into(),
        description: format!(
            "{} {} for the {expectation} property {} in scenario {} ({}): {}",
            search.trace_kind(),
            outcome(prop),
            prop.name,
            cfg.scenario.name(),
            cfg.toggled.in_words(),
            prop.statement
        ),
        scenario: cfg.scenario.name().into(),
        disabled: disabled.join(", "),
        enabled: enabled.join(", "),
        clients: cfg.clients.to_string(),
        layout,
        runtime: cfg
            .runtime
            .is_wine()
            .then(|| cfg.runtime.name().to_string()),
        name: origin.map(|o| o.name.to_string()),
        class_names: own_names.then(|| class_names.join(", ")),
        property: prop.name.into(),
        expectation: expectation.into(),
        outcome: Some(outcome(prop).into()),
        statement: prop.statement.into(),
        rules: prop.rules.join(", "),
        sources: sources(prop.rules).join("; "),
        search: search.meta().map(str::to_string),
        steps: trace.len().to_string(),
        why: trace
            .states
            .last()
            .map(|last| rename((prop.explain)(&model, last))),
        explorer: link,
        explorer_command: match origin {
            Some(o) => o.explore.to_string(),
            None => format!("comlife explore {}", run_args(cfg)),
        },
        actor_names: names
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("actorName.{n}"), cfg.actor_name(Id::from(i))))
            .collect(),
    };
    let meta = serde_json::to_value(&meta).map_err(|e| EncodeError(format!("#meta: {e}")))?;

    let mut states = Vec::new();
    for (i, st) in trace.states.iter().enumerate() {
        let step = i
            .checked_sub(1)
            .map(|j| (&trace.actions[j], &trace.states[j]));
        let mut obj = Map::new();
        let mut meta = step_meta(&model, &names, i, step, st)?;
        for (key, v) in meta.iter_mut() {
            if key != "actionItf" {
                rename_texts(v, &rename);
            }
        }
        obj.insert("#meta".into(), Value::Object(meta));
        obj.extend(encode_state(&names, st)?);
        states.push(Value::Object(obj));
    }
    Ok(json!({
        "#meta": meta,
        "vars": vars(cfg, actors),
        "states": states,
    }))
}

/// Applies `rename` to every string in `v`, at any depth.
fn rename_texts(v: &mut Value, rename: &impl Fn(String) -> String) {
    match v {
        Value::String(text) => *text = rename(std::mem::take(text)),
        Value::Array(items) => items.iter_mut().for_each(|x| rename_texts(x, rename)),
        Value::Object(map) => map.values_mut().for_each(|x| rename_texts(x, rename)),
        _ => {}
    }
}

/// Whether `names` are the model's own class names (`CLSID_A`, `CLSID_B`, … in order), or none.
fn names_are_the_models(names: &[String]) -> bool {
    names
        .iter()
        .enumerate()
        .all(|(i, n)| *n == format!("{:?}", crate::com::config::Clsid(i as u8)))
}

/// The text of a trace file: valid JSON laid out for reading and diffing: the top `#meta`
/// one field per line, each state's `#meta` on one line and each variable of each state on
/// one line, with a final newline.
pub fn to_text(doc: &Value) -> String {
    let one = |v: &Value| serde_json::to_string(v).expect("JSON values serialise");
    let mut out = String::from("{\n");
    let Some(top) = doc.as_object() else {
        return one(doc) + "\n";
    };
    let mut keys: Vec<&String> = ["#meta", "vars", "states"]
        .iter()
        .filter_map(|k| top.get_key_value(*k).map(|(k, _)| k))
        .collect();
    keys.extend(
        top.keys()
            .filter(|k| !["#meta", "vars", "states"].contains(&k.as_str())),
    );
    let mut first = true;
    for (k, v) in keys.into_iter().map(|k| (k, &top[k])) {
        if !first {
            out.push_str(",\n");
        }
        first = false;
        out.push_str(&format!("  {}: ", one(&Value::String(k.clone()))));
        match (k.as_str(), v) {
            ("#meta", Value::Object(m)) => {
                out.push_str("{\n");
                let fields: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("    {}: {}", one(&Value::String(k.clone())), one(v)))
                    .collect();
                out.push_str(&fields.join(",\n"));
                out.push_str("\n  }");
            }
            ("states", Value::Array(states)) => {
                out.push_str("[\n");
                let states: Vec<String> = states
                    .iter()
                    .map(|st| match st.as_object() {
                        Some(o) => {
                            let fields: Vec<String> = o
                                .iter()
                                .map(|(k, v)| {
                                    format!("      {}: {}", one(&Value::String(k.clone())), one(v))
                                })
                                .collect();
                            format!("    {{\n{}\n    }}", fields.join(",\n"))
                        }
                        None => format!("    {}", one(st)),
                    })
                    .collect();
                out.push_str(&states.join(",\n"));
                out.push_str("\n  ]");
            }
            _ => out.push_str(&one(v)),
        }
    }
    out.push_str("\n}\n");
    out
}
