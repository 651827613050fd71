//! COM's names and the phrases made of them, as the people who read traces and verdicts read
//! them: API names, activations, actors in a sentence, lists, apartment and exit names, and the
//! [`Fact`]s an actor's state is told in. The model's `Display`s, the properties' explanations
//! and the traces (`trace::state_text`, a layer above) all use these.

use crate::com::config::Clsid;
use crate::com::inproc::Apt;
use crate::com::msg::ActKind;
use crate::com::server::ExitReason;

/// One thing true of an actor's state, in COM terms: what it is about (`key`, unique within
/// the actor) and what holds (`value`; empty for a fact that is just the key, e.g. "crashed").
/// When the fact stops holding, a change reads "key: `ended`".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// What the fact is about, e.g. "CLSID_A class object".
    pub key: String,
    /// What holds, e.g. "available"; empty for a flag.
    pub value: String,
    /// The word for the fact ceasing to hold, e.g. "freed", "answered", "returned".
    pub ended: &'static str,
}

/// A fact: `key` holds `value`; when it stops, "key: `ended`".
pub fn fact(key: impl Into<String>, value: impl Into<String>, ended: &'static str) -> Fact {
    Fact {
        key: key.into(),
        value: value.into(),
        ended,
    }
}

/// A fact that is just its key; when it stops, "no longer key".
pub fn flag(key: impl Into<String>) -> Fact {
    fact(key, "", "no longer")
}

/// A fact as it reads: "key: value", or the key alone for a flag.
pub fn fact_text(f: &Fact) -> String {
    if f.value.is_empty() {
        f.key.clone()
    } else {
        format!("{}: {}", f.key, f.value)
    }
}

/// "CoCreateInstance" or "CoGetClassObject".
pub fn act_api(k: ActKind) -> &'static str {
    match k {
        ActKind::ClassObject => "CoGetClassObject",
        ActKind::Instance => "CoCreateInstance",
    }
}

/// "client 1's CoCreateInstance of CLSID_A" (`client` 0-based).
pub fn activation_name(client: u8, clsid: Clsid, kind: ActKind) -> String {
    format!("client {}'s {} of {clsid:?}", client + 1, act_api(kind))
}

/// An actor's name as it stands in a sentence: numbered actors ("client 1", "server instance
/// 2") as they are, the others with "the" ("the SCM", "the client process", "the service host").
pub fn the(actor: &str) -> String {
    if actor.ends_with(|c: char| c.is_ascii_digit()) || actor.starts_with("the ") {
        actor.to_string()
    } else {
        format!("the {actor}")
    }
}

/// `s` with its first letter in upper case.
pub fn capitalise(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// Names joined as "A", "A and B", "A, B and C".
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "automatic shutdown" or "closed by the user".
pub fn exit_reason(r: ExitReason) -> &'static str {
    match r {
        ExitReason::Automatic => "automatic shutdown",
        ExitReason::UserClose => "closed by the user",
    }
}

/// "STA" or "MTA".
pub fn apt_name(a: Apt) -> &'static str {
    match a {
        Apt::Sta => "STA",
        Apt::Mta => "MTA",
    }
}

/// "A" or "B" for service index 0 or 1.
pub fn service_name(i: u8) -> char {
    (b'A' + i) as char
}
