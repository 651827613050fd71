//! What the properties ask of a state, in COM terms: who keeps a server instance up, who uses
//! the in-process DLL, which pointers point into a freed load, what a client is doing. The
//! properties explain their violations with these; the traces (`trace::state_text`, a layer above) use
//! the client's facts too.

use crate::com::client::{ClientOp, ClientState, Observations};
use crate::com::config::Config;
use crate::com::inproc::{InprocState, Thread};
use crate::com::names::{and_list, fact, fact_text, flag, Fact};
use crate::com::server::ServerState;

/// The HRESULTs a client observed, one fact per call: "CoCreateInstance returned: S_OK".
pub fn observed_facts(o: &Observations, out: &mut Vec<Fact>) {
    for op in ClientOp::ALL {
        let hrs: Vec<String> = o
            .iter()
            .filter(|(x, _)| *x == op)
            .map(|(_, hr)| hr.name().to_string())
            .collect();
        if !hrs.is_empty() {
            out.push(fact(
                format!("{} returned", op.api()),
                and_list(&hrs),
                "forgotten",
            ));
        }
    }
}

/// A client's state as facts: its call in progress, its proxies and locks, what it observed.
pub fn client_facts(c: &ClientState) -> Vec<Fact> {
    let mut v = Vec::new();
    if c.dead {
        v.push(flag(
            "dead (its references wait for COM's garbage collection)",
        ));
    }
    if let Some(op) = c.pending {
        v.push(fact("call in progress", op.api(), "returned"));
    } else if c.is_done() {
        v.push(flag("finished its calls"));
    }
    if let Some(s) = c.factory {
        v.push(fact(
            "IClassFactory proxy",
            format!("to server instance {}", s + 1),
            "released",
        ));
    }
    if c.locked {
        v.push(flag("holds LockServer(TRUE)"));
    }
    if let Some((s, o)) = c.object {
        v.push(fact(
            "object proxy",
            format!("to object {o} in server instance {}", s + 1),
            "released",
        ));
    }
    if let Some((s, o)) = c.second {
        v.push(fact(
            "second object proxy",
            format!("to object {o} in server instance {}", s + 1),
            "released",
        ));
    }
    observed_facts(&c.observed, &mut v);
    v
}

/// A client's state in COM terms ("call in progress: CoCreateInstance; …"; "nothing yet").
pub fn client_text(c: &ClientState) -> String {
    let f = client_facts(c);
    if f.is_empty() {
        return "nothing yet".into();
    }
    f.iter().map(fact_text).collect::<Vec<_>>().join("; ")
}

/// What keeps a running server instance up, in COM terms: its lifetime count, locks, connected
/// objects, class-object references, user control, apartments still in their loops.
///
/// With `factory-refs-ignored` disabled the server also waits for its class objects' reference
/// count, which names it too.
pub fn held_up_by(cfg: &Config, s: &ServerState) -> String {
    let mut v = Vec::new();
    if !cfg.on(crate::com::toggles::Toggle::FactoryRefsIgnored) && s.factory_refcount() > 0 {
        v.push(format!(
            "it waits for its class objects' reference count ({}, its own registrations included) to reach zero",
            s.factory_refcount()
        ));
    }
    if s.count > 0 {
        v.push(format!("its lifetime count is {}", s.count));
    }
    if s.locks > 0 {
        v.push(format!("{} LockServer lock(s) are held", s.locks));
    }
    for o in &s.objects {
        v.push(format!("object {} ({:?}) is connected", o.id, o.clsid));
    }
    let proxies: usize = s.factory_proxies.iter().map(|&n| n as usize).sum();
    if proxies > 0 {
        v.push(format!(
            "clients hold {proxies} IClassFactory proxy(ies) on its class objects"
        ));
    }
    if s.user.control && !s.user.closed {
        v.push("the user controls it".into());
    }
    let looping: Vec<String> = s
        .apartments
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.phase.left_loop())
        .map(|(i, _)| format!("apartment {}", i + 1))
        .collect();
    if !looping.is_empty() {
        v.push(format!(
            "{} did not leave its message loop",
            and_list(&looping)
        ));
    }
    match v.as_slice() {
        [] => "nothing, yet it did not exit".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// Who uses the in-process DLL: objects, locks, threads in its code, class-factory pointers.
pub fn dll_users(p: &InprocState) -> String {
    let mut v = Vec::new();
    for t in Thread::ALL {
        let th = &p.threads[t as usize];
        if th.object.is_some() {
            v.push(format!("{} holds an object", t.subject()));
        }
        if th.locked {
            v.push(format!("{} holds LockServer(TRUE)", t.subject()));
        }
        if th.in_dll {
            v.push(format!(
                "{} runs DLL code (returning from Release)",
                t.subject()
            ));
        }
        if th.factory.is_some() {
            v.push(format!("{} holds an IClassFactory pointer", t.subject()));
        }
    }
    if v.is_empty() {
        "no user is left now, but one was when it was freed".into()
    } else {
        and_list(&v)
    }
}

/// The pointers of the in-process client's threads into a load of the DLL that is gone (freed,
/// or replaced by a later load): "MTA thread 1's IClassFactory pointer into load 1".
pub fn stale_pointers(p: &InprocState) -> Vec<String> {
    let gone = |g: u8| !p.dll.loaded() || g != p.dll.generation;
    let mut v = Vec::new();
    for t in Thread::ALL {
        let th = &p.threads[t as usize];
        if let Some(g) = th.factory.filter(|g| gone(*g)) {
            v.push(format!(
                "{}'s IClassFactory pointer into load {g}",
                t.name()
            ));
        }
        if let Some(g) = th.object.filter(|g| gone(*g)) {
            v.push(format!("{}'s object in load {g}", t.name()));
        }
        if th.in_dll && !p.dll.loaded() {
            v.push(format!("{}'s return through the DLL's code", t.name()));
        }
    }
    v
}
