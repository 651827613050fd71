//! Actor states in COM terms, for the people who read traces: each actor's state as a list of
//! [`Fact`]s ("CLSID_A class object: available", "object 1: CLSID_A, stub connected"), from
//! which the summary of a state ([`summary`]) and the changes of a step ([`changes`]) are made,
//! the objects each actor holds as sequence-diagram participants ([`objects`]), and a whole
//! state or step as text ([`state`], [`step`]: what the Explorer shows).
//!
//! Everything a user reads is numbered from 1 (client 1, server instance 1, apartment 1,
//! object 1: object ids are sequence numbers from 1 already) and uses COM's names (CLSIDs,
//! HRESULTs, API names), never the model's Rust structures; the ITF JSON keeps the data.

use crate::com::actor::ComState;
use crate::com::config::{Clsid, Config};
use crate::com::framework::Framework;
use crate::com::inproc::{Apt, InprocState, Thread};
use crate::com::msg::Msg;
use crate::com::names::{
    activation_name, and_list, apt_name, exit_reason, fact, fact_text, flag, service_name, Fact,
};
use crate::com::scm::{Activation, ClassEntry, ScmState};
use crate::com::server::{
    AptPhase, AptWork, ClassReg, Monitor, ProcStatus, Queued, ScmCall, ServerState,
};
use crate::com::service::{BRef, DisconnectProgress, HostState, StubState, SvcClientState};
use crate::com::state::in_transit;
use crate::com::system::{ComModel, SysState};
use crate::verify::queries::{client_facts, observed_facts};
use stateright::actor::{Envelope, Id};

/// `text` with the model's class names `CLSID_A`, `CLSID_B`, `CLSID_C` (the [`Clsid`] display
/// of classes 0, 1, 2) replaced by `names[0]`, `names[1]`, `names[2]`: a server description's
/// own names, in the order it declares its classes. Only whole names are replaced (not
/// `CLSID_ContextSwitcher`, nor `CLSID_AB`), in one pass, so names that are themselves
/// `CLSID_A`… (even swapped) come out right; classes beyond `names` keep the model's name.
/// The result is plain text: each renderer escapes it for its format
/// ([`crate::trace::narrative::md_text`], [`crate::trace::narrative::mermaid`],
/// [`crate::trace::html::html_escape`]; the HTML viewer sets it as text).
pub fn rename_classes(text: &str, names: &[String]) -> String {
    const MARK: &str = "CLSID_";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MARK.len()..];
        let mut chars = after.chars();
        let class = chars
            .next()
            .and_then(|l| ('A'..='C').contains(&l).then(|| l as usize - 'A' as usize));
        let whole = chars
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        match class.filter(|&i| whole && i < names.len()) {
            Some(i) => {
                out.push_str(&names[i]);
                rest = &after[1..];
            }
            None => {
                out.push_str(MARK);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn svc_client_facts(cfg: &Config, c: &SvcClientState, index: usize) -> Vec<Fact> {
    let mut v = Vec::new();
    if let Some(op) = c.pending {
        v.push(fact("call in progress", op.api(), "returned"));
    }
    if let Some(o) = c.object {
        let service = service_name(cfg.class_of_client(index).0);
        v.push(fact(
            "object proxy",
            format!(
                "to object {o} of service {service}{}",
                if c.keeps { ", kept for ever" } else { "" }
            ),
            "released",
        ));
    }
    observed_facts(&c.observed, &mut v);
    v
}

fn held_value(a: &Activation) -> String {
    format!(
        "held until {:?} is registered{}",
        a.clsid,
        if a.retried {
            " (after CO_E_SERVER_STOPPING)"
        } else {
            ""
        }
    )
}

fn scm_facts(s: &ScmState) -> Vec<Fact> {
    let mut v = Vec::new();
    for (c, e) in s.classes.iter().enumerate() {
        // The instances the SCM still expects to register the class (A-SCM; under Wine every
        // instance launched for it), shown only here beyond the one the class table names.
        let others = |named: Option<u8>| -> Vec<String> {
            (0..s.pending.len())
                .filter(|&t| s.pending[t] & (1 << c) != 0 && Some(t as u8) != named)
                .map(|t| format!("server instance {}", t + 1))
                .collect()
        };
        let value = match e {
            ClassEntry::Unknown => "no instance".to_string(),
            ClassEntry::Starting(i) => match others(Some(*i)).as_slice() {
                [] => format!("server instance {} launched, not registered yet", i + 1),
                more => format!(
                    "server instance {} launched, not registered yet; {} launched too",
                    i + 1,
                    and_list(more)
                ),
            },
            ClassEntry::Registered(i) => match others(None).as_slice() {
                [] => format!("registered by server instance {}", i + 1),
                more => format!(
                    "registered by server instance {}; {} launched, expected to register it too",
                    i + 1,
                    and_list(more)
                ),
            },
        };
        // Under Wine, rpcss's later registrations of the class, handed out once the first goes.
        let behind: Vec<String> = s
            .backups
            .iter()
            .filter(|(x, _)| x.0 as usize == c)
            .map(|(_, t)| format!("server instance {}", t + 1))
            .collect();
        let value = if behind.is_empty() {
            value
        } else {
            format!(
                "{value}; also registered by {} (rpcss hands out the first registration)",
                and_list(&behind)
            )
        };
        v.push(fact(format!("{:?}", Clsid(c as u8)), value, "no instance"));
    }
    for a in &s.held {
        v.push(fact(
            activation_name(a.client, a.clsid, a.kind),
            held_value(a),
            "answered",
        ));
    }
    for (a, i) in &s.forwarded {
        v.push(fact(
            activation_name(a.client, a.clsid, a.kind),
            format!(
                "forwarded to server instance {}{}",
                i + 1,
                if a.retried {
                    " (after CO_E_SERVER_STOPPING)"
                } else {
                    ""
                }
            ),
            "answered",
        ));
    }
    for r in &s.choosing {
        let classes: Vec<String> = r.clsids.iter().map(|c| format!("{c:?}")).collect();
        v.push(fact(
            format!(
                "server instance {}'s registration of {}",
                r.slot + 1,
                and_list(&classes)
            ),
            "received; which held activation takes the single-use class object is the SCM's choice"
                .to_string(),
            "carried out",
        ));
    }
    if s.relaunch_served {
        v.push(flag(
            "an activation refused with CO_E_SERVER_STOPPING was served by a new instance",
        ));
    }
    v
}

/// Apartment `apartment`'s phase `p` in words; `wrl`: the server is a WRL `Module<OutOfProc>`
/// server, whose main thread waits on an event instead of running a message loop
/// (R-WRL-NOTIFIER); `dispatches`: CoUninitialize dispatches what is still queued (Windows;
/// Wine's does not, R-WINE-TEARDOWN).
fn phase_text(p: AptPhase, apartment: usize, wrl: bool, dispatches: bool) -> String {
    match p {
        AptPhase::Loop if wrl => "waits on the event its release notifier sets".into(),
        AptPhase::Done if wrl => "has unregistered and returns from WinMain".into(),
        AptPhase::Init => "initialising".into(),
        AptPhase::Registered => {
            "registered its class suspended, the main thread has yet to call CoResumeClassObjects"
                .into()
        }
        AptPhase::Waiting(ScmCall::Register) if apartment == 0 => {
            "waits for the SCM to record the registration".into()
        }
        AptPhase::Waiting(ScmCall::Register) => {
            "in CoRegisterClassObject, waits for the SCM".into()
        }
        AptPhase::Waiting(ScmCall::Revoke) => "in CoRevokeClassObject, waits for the SCM".into(),
        AptPhase::Waiting(ScmCall::RevokeInLoop) => {
            "in COleObjectFactory::RevokeAll (CoRevokeClassObject), waits for the SCM".into()
        }
        AptPhase::Loop => "in its message loop".into(),
        AptPhase::Done if dispatches => {
            "left its message loop (CoUninitialize's modal loop dispatches what is still queued)"
                .into()
        }
        AptPhase::Done => {
            "left its message loop, not yet in CoUninitialize (calls that arrive are queued and wait)"
                .into()
        }
        AptPhase::Uninitialized => {
            "returned from CoUninitialize, which dispatched nothing (with nothing queued the apartment is gone; a queued call waits for the exit)"
                .into()
        }
    }
}

fn server_facts(cfg: &Config, s: &ServerState) -> Vec<Fact> {
    let wrl = cfg.scenario.framework() == Some(Framework::Wrl);
    let mut v = Vec::new();
    let status = match s.status {
        ProcStatus::NotStarted => return vec![fact("process", "not started", "")],
        ProcStatus::Running => "running".to_string(),
        ProcStatus::Exited(r) => format!("exited ({})", exit_reason(r)),
    };
    v.push(fact("process", status, "gone"));
    if let Some(c) = s.launched_for {
        v.push(fact(
            "launched for",
            format!("client {}'s activation", c + 1),
            "nobody",
        ));
    }
    for (i, a) in s.apartments.iter().enumerate() {
        v.push(fact(
            format!("apartment {}", i + 1),
            phase_text(a.phase, i, wrl, cfg.runtime.uninitialize_dispatches()),
            "gone",
        ));
        match a.work {
            AptWork::Idle => {}
            AptWork::FinalRelease if !cfg.layout.counts() => v.push(fact(
                "main thread",
                "woken: an object's destructor set the event it waits on",
                "acted on it",
            )),
            AptWork::FinalRelease => v.push(fact(
                format!("apartment {}'s work", i + 1),
                "a final-release handler (the count reached zero)",
                "finished",
            )),
            AptWork::Activating {
                client,
                clsid,
                kind,
            } => v.push(fact(
                format!("apartment {}'s work", i + 1),
                format!(
                    "dispatching {} (passed the suspended check)",
                    activation_name(client, clsid, kind)
                ),
                "finished",
            )),
        }
    }
    for (i, q) in s.queues.iter().enumerate() {
        if q.is_empty() {
            continue;
        }
        let items: Vec<String> = q.iter().map(Queued::text).collect();
        v.push(fact(
            format!("apartment {}'s message queue", i + 1),
            items.join(", then "),
            "empty",
        ));
    }
    if s.quit_requested {
        v.push(flag(
            "PostQuitMessage called (WM_QUIT once the queue is empty)",
        ));
    }
    if s.event {
        v.push(flag(if wrl {
            "the release notifier's event set"
        } else {
            "shutdown event set"
        }));
    }
    if s.windows != 0 {
        v.push(fact("top-level windows open", s.windows.to_string(), "0"));
    }
    if s.idle_timer {
        v.push(flag(
            "idle timer running (-Embedding launch, no window yet)",
        ));
    }
    if s.self_hold {
        v.push(flag(
            "the server's reference on itself held (since start-up)",
        ));
    }
    match s.monitor {
        Monitor::Waiting => {}
        Monitor::Timing => v.push(fact(
            "monitor thread",
            "waiting m_dwTimeOut for more activity",
            "waiting",
        )),
        Monitor::Rechecking => v.push(fact(
            "monitor thread",
            "called CoSuspendClassObjects, about to re-read the count",
            "waiting",
        )),
        Monitor::Posting => v.push(fact(
            "monitor thread",
            "read the lock count as zero, about to post WM_QUIT",
            "waiting",
        )),
        Monitor::Done => v.push(fact("monitor thread", "posted WM_QUIT and returned", "")),
    }
    for (client, clsid, kind) in &s.rpc_activations {
        v.push(fact(
            format!("RPC thread for client {}", client + 1),
            format!(
                "running {} (passed the suspended check)",
                activation_name(*client, *clsid, *kind)
            ),
            "finished",
        ));
    }
    for (c, r) in s.classes.iter().enumerate() {
        let value = match r {
            ClassReg::None => "not registered",
            ClassReg::Suspended => "registered with REGCLS_SUSPENDED",
            ClassReg::Live => "available",
            ClassReg::Revoked => "revoked",
        };
        v.push(fact(
            format!("{:?} class object", Clsid(c as u8)),
            value,
            "gone",
        ));
    }
    if s.suspended {
        v.push(flag("class objects suspended (CoSuspendClassObjects)"));
    }
    v.push(fact("lifetime count", s.count.to_string(), "0"));
    if cfg.layout.peer_lock {
        v.push(flag(
            "a peer's lock held besides (not in the count above; the idle test discounts it)",
        ));
    } else if cfg.layout.idle_count > 0 {
        v.push(flag(format!(
            "idle test: lifetime count at most {} (no peer's lock held)",
            cfg.layout.idle_count
        )));
    }
    if s.locks > 0 {
        v.push(fact("LockServer locks", s.locks.to_string(), "0"));
    }
    for o in &s.objects {
        v.push(fact(
            format!("object {}", o.id),
            format!("{:?}, stub connected", o.clsid),
            "freed",
        ));
    }
    for (c, n) in s.factory_proxies.iter().enumerate() {
        if *n > 0 {
            v.push(fact(
                format!("{:?} IClassFactory proxies held by clients", Clsid(c as u8)),
                n.to_string(),
                "none",
            ));
        }
    }
    if s.factories_disconnected {
        v.push(flag("class objects disconnected (CoDisconnectObject)"));
    }
    if let Some(r) = s.shutdown {
        v.push(fact(
            "shutdown",
            format!("decided ({})", exit_reason(r)),
            "undecided",
        ));
    }
    let served: Vec<String> = (0..8)
        .filter(|c| s.served & (1 << c) != 0)
        .map(|c| format!("client {}", c + 1))
        .collect();
    if !served.is_empty() {
        v.push(fact("served", and_list(&served), "nobody"));
    }
    if s.handed_out_late {
        v.push(flag(
            "handed out a class object or object after deciding to shut down",
        ));
    }
    if s.stranded_client {
        v.push(flag("a client's call failed here without a user close"));
    }
    if s.user.control {
        v.push(fact("user control", "TRUE", "FALSE"));
    }
    if s.user.opened {
        v.push(flag("the user opened a document"));
    }
    if s.user.closed {
        v.push(flag("the user closed the server"));
    }
    v
}

fn inproc_facts(p: &InprocState) -> Vec<Fact> {
    let mut v = Vec::new();
    let d = &p.dll;
    if d.loaded() {
        v.push(fact(
            "DLL",
            format!("loaded (load {})", d.generation),
            "gone",
        ));
    } else {
        v.push(fact("DLL", "not loaded", "gone"));
    }
    v.push(fact("DLL's object count", d.objects.to_string(), "0"));
    v.push(fact("DLL's lock count", d.locks.to_string(), "0"));
    for (apt, e) in [Apt::Sta, Apt::Mta].iter().zip(&d.entries) {
        if let Some(e) = e {
            let value = match (e.candidate, e.delay_passed) {
                (false, _) => "in use",
                (true, false) => "candidate for unloading",
                (true, true) => "candidate for unloading, its delay passed",
            };
            v.push(fact(
                format!("{}'s entry for the DLL", apt_name(*apt)),
                value,
                "removed",
            ));
        }
    }
    if d.unloads > 0 {
        v.push(fact("DLL freed", format!("{} time(s)", d.unloads), "never"));
    }
    for t in Thread::ALL {
        let th = &p.threads[t as usize];
        match p.next_op(t) {
            Some(op) => v.push(fact(format!("{}'s next call", t.name()), op.api(), "done")),
            None => v.push(flag(format!("{} finished its calls", t.name()))),
        }
        if let Some(g) = th.factory {
            v.push(fact(
                format!("{}'s IClassFactory pointer", t.name()),
                format!("into load {g}"),
                "released",
            ));
        }
        if let Some(g) = th.object {
            v.push(fact(
                format!("{}'s object", t.name()),
                format!("in load {g}"),
                "released",
            ));
        }
        if th.locked {
            v.push(flag(format!("{} holds LockServer(TRUE)", t.name())));
        }
        if th.in_dll {
            v.push(flag(format!("{} runs DLL code", t.name())));
        }
    }
    if p.unloaded_while_live {
        v.push(flag("the DLL was freed while still in use"));
    }
    if p.revived {
        v.push(flag("a candidate entry was used again"));
    }
    if p.crashed {
        v.push(flag(
            "access violation: a thread called into the unloaded DLL",
        ));
    }
    v
}

fn host_facts(h: &HostState) -> Vec<Fact> {
    let mut v = Vec::new();
    for (i, s) in h.services.iter().enumerate() {
        let n = service_name(i as u8);
        v.push(fact(
            format!("service {n}'s class factory"),
            if s.registered {
                "registered"
            } else {
                "revoked"
            },
            "gone",
        ));
        v.push(fact(
            format!("service {n}'s DLL"),
            if s.dll_loaded { "loaded" } else { "unloaded" },
            "gone",
        ));
    }
    if h.stop.requested {
        v.push(fact(
            "SERVICE_CONTROL_STOP",
            if h.stop.accepted {
                "accepted"
            } else {
                "requested"
            },
            "gone",
        ));
    }
    let progress = match h.stop.disconnect {
        DisconnectProgress::NotYet => None,
        DisconnectProgress::Waiting => Some("returned RPC_E_TIMEOUT, service A calls it again"),
        DisconnectProgress::GaveUpWaiting => Some("returned RPC_E_TIMEOUT, service A went on"),
        DisconnectProgress::Done => Some("returned S_OK"),
        DisconnectProgress::Failed => Some("returned CO_E_NOT_SUPPORTED"),
    };
    if let Some(p) = progress {
        v.push(fact("service A's CoDisconnectContext", p, "not called"));
    }
    for o in &h.objects {
        let stub = match o.stub {
            StubState::Connected => "connected",
            StubState::Disconnecting => "disconnecting (waits for calls in flight)",
            StubState::Disconnected => "disconnected",
        };
        v.push(fact(
            format!("object {}", o.id),
            format!(
                "of service {}, in its {} context{}",
                service_name(o.service),
                if o.private_ctx { "private" } else { "default" },
                if o.direct {
                    ", held by service B in-process"
                } else {
                    ""
                }
            ),
            "freed",
        ));
        v.push(fact(format!("object {}'s stub", o.id), stub, "gone"));
    }
    for e in &h.executing {
        v.push(fact(
            format!("client {}'s call on object {}", e.client + 1, e.obj),
            if e.blocked {
                "executing, blocked for ever".to_string()
            } else {
                format!("executing, will return {}", e.hr.name())
            },
            "returned",
        ));
    }
    match h.b_ref {
        BRef::NotYet => {}
        BRef::Holds { obj, called } => v.push(fact(
            "service B's object of service A",
            format!("object {obj}{}", if called { ", called" } else { "" }),
            "released",
        )),
        BRef::Done => v.push(fact(
            "service B's object of service A",
            "released",
            "released",
        )),
    }
    if !h.disconnect_results.is_empty() {
        let rs: Vec<String> = h
            .disconnect_results
            .iter()
            .map(|r| r.name().to_string())
            .collect();
        v.push(fact(
            "CoDisconnectContext results",
            rs.join(", then "),
            "none",
        ));
    }
    if h.bad_disconnect_result {
        v.push(flag(
            "CoDisconnectContext returned a result that contradicts seed 000",
        ));
    }
    if h.unloaded_while_live {
        v.push(flag("a DLL was unloaded while still in use"));
    }
    if h.crashed {
        v.push(flag("crashed: a thread called into an unloaded DLL"));
    }
    v
}

/// The facts of actor `index`'s state `s` in the run of `cfg`, in a fixed order.
pub fn facts(cfg: &Config, index: usize, s: &ComState) -> Vec<Fact> {
    match s {
        ComState::Client(c) => client_facts(c),
        ComState::Scm(x) => scm_facts(x),
        ComState::Server(x) => server_facts(cfg, x),
        ComState::Inproc(x) => inproc_facts(x),
        ComState::SvcClient(c) => svc_client_facts(cfg, c, index),
        ComState::Host(h) => host_facts(h),
    }
}

/// An actor's state in one line of COM terms: its facts joined by "; " ("nothing yet" for
/// none).
pub fn summary(cfg: &Config, index: usize, s: &ComState) -> String {
    let f = facts(cfg, index, s);
    if f.is_empty() {
        return "nothing yet".into();
    }
    f.iter().map(fact_text).collect::<Vec<_>>().join("; ")
}

/// The single-use classes whose registration the SCM used up in the step from `before` to
/// `after`, with the change in COM's words: it forwarded an activation of the class to the
/// instance that registered it with REGCLS_SINGLEUSE and took the class out of its table.
/// Microsoft's REGCLS page (combaseapi.h, REGCLS_SINGLEUSE): "After an application is
/// connected to a class object with CoGetClassObject, the class object is removed from
/// public view so that no other applications can connect to it"; the SCM then launches a new
/// instance for the next activation (R-COM-SINGLEUSE, spec/assumptions.md A-SINGLEUSE).
fn singleuse_used_up(cfg: &Config, before: &ScmState, after: &ScmState) -> Vec<(Clsid, String)> {
    let mut v = Vec::new();
    for (c, (was, now)) in before.classes.iter().zip(&after.classes).enumerate() {
        let clsid = Clsid(c as u8);
        let (ClassEntry::Registered(s) | ClassEntry::Starting(s)) = *was else {
            continue;
        };
        // Unknown, or starting an instance the SCM has just launched for the next activation.
        let launched = match *now {
            ClassEntry::Unknown => None,
            ClassEntry::Starting(t) if t != s => Some(t),
            _ => continue,
        };
        if !cfg.singleuse(clsid) {
            continue;
        }
        let Some((a, _)) = after
            .forwarded
            .iter()
            .find(|f| f.0.clsid == clsid && f.1 == s && !before.forwarded.contains(f))
        else {
            continue;
        };
        v.push((
            clsid,
            format!(
                "removed from public view (REGCLS_SINGLEUSE: {} is connected to the class \
                 object of server instance {}, so no other client can connect to it; the next \
                 activation launches a new instance)",
                activation_name(a.client, a.clsid, a.kind),
                s + 1
            ) + &launched.map_or(String::new(), |t| match t >= before.next_slot {
                true => format!(
                    "; server instance {} launched for the next, not registered yet",
                    t + 1
                ),
                false => format!(
                    "; the next waits for server instance {}, which is starting",
                    t + 1
                ),
            }),
        ));
    }
    v
}

/// What changed in actor `index` from `before` to `after`, one text per fact: "key: a → b"
/// for a changed value, the fact itself for a new one, "key: ended" for one that stopped
/// holding (flags: "no longer key").
pub fn changes(cfg: &Config, index: usize, before: &ComState, after: &ComState) -> Vec<String> {
    let a = facts(cfg, index, before);
    let b = facts(cfg, index, after);
    let used_up = match (before, after) {
        (ComState::Scm(x), ComState::Scm(y)) => singleuse_used_up(cfg, x, y),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for f in &b {
        match a.iter().find(|x| x.key == f.key) {
            Some(old) if old.value == f.value => {}
            Some(old) => match used_up.iter().find(|(c, _)| format!("{c:?}") == f.key) {
                Some((_, text)) => out.push(format!("{}: {} → {text}", f.key, old.value)),
                None => out.push(format!("{}: {} → {}", f.key, old.value, f.value)),
            },
            None => out.push(fact_text(f)),
        }
    }
    for old in &a {
        if !b.iter().any(|x| x.key == old.key) {
            out.push(if old.value.is_empty() {
                format!("no longer: {}", old.key)
            } else {
                format!("{}: {}", old.key, old.ended)
            });
        }
    }
    out
}

/// The objects an actor holds, as sequence-diagram participants: `(key, name)` with a key
/// unique within the actor (`object1`, `staObject`) and a display name ("object 1",
/// "STA thread's object").
pub fn objects(s: &ComState) -> Vec<(String, String)> {
    match s {
        ComState::Server(x) => x
            .objects
            .iter()
            .map(|o| {
                (
                    format!("object{}", o.id),
                    format!("object {} ({:?})", o.id, o.clsid),
                )
            })
            .collect(),
        ComState::Host(h) => h
            .objects
            .iter()
            .map(|o| {
                (
                    format!("object{}", o.id),
                    format!("object {} (service {})", o.id, service_name(o.service)),
                )
            })
            .collect(),
        ComState::Inproc(p) => Thread::ALL
            .iter()
            .filter(|t| p.threads[**t as usize].object.is_some())
            .map(|t| {
                (
                    crate::trace::itf_trace::camel(&format!("{} object", t.name())),
                    format!("{}'s object", t.name()),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A message in transit in COM terms: "SCM → server instance 1: launch server …".
pub fn message(model: &ComModel, e: &Envelope<&Msg>) -> String {
    format!(
        "{} → {}: {:?}",
        model.cfg.actor_name(e.src),
        model.cfg.actor_name(e.dst),
        e.msg
    )
}

/// The messages in transit in `after` that were not in `before` (each copy counts): what a
/// step sent, in COM terms ([`message`]), sorted; without replies to a client process that has
/// died ([`sent_and_dropped`]).
pub fn sent(model: &ComModel, before: &SysState, after: &SysState) -> Vec<String> {
    sent_and_dropped(model, before, after).0
}

/// What a step sent ([`sent`]), and the dead client processes (by name, each once) that it
/// sent replies to: a client that has died (condition `client-death`) receives nothing any
/// more, so those replies go nowhere and are not listed as sent.
pub fn sent_and_dropped(
    model: &ComModel,
    before: &SysState,
    after: &SysState,
) -> (Vec<String>, Vec<String>) {
    let mut was: Vec<String> = in_transit(before).map(|e| message(model, &e)).collect();
    let mut now: Vec<(String, Id)> = in_transit(after)
        .map(|e| (message(model, &e), e.dst))
        .collect();
    now.sort();
    let (mut out, mut nowhere) = (Vec::new(), Vec::new());
    for (e, dst) in now {
        match was.iter().position(|b| *b == e) {
            Some(k) => {
                was.remove(k);
            }
            None if dead_client(after, dst) => {
                let name = model.cfg.actor_name(dst);
                if !nowhere.contains(&name) {
                    nowhere.push(name);
                }
            }
            None => out.push(e),
        }
    }
    (out, nowhere)
}

/// Whether actor `id` is a client process that has died in `state` (condition
/// `client-death`): it makes no calls and receives nothing any more.
pub fn dead_client(state: &SysState, id: Id) -> bool {
    matches!(
        state.actor_states.get(usize::from(id)).map(|a| a.state()),
        Some(ComState::Client(c)) if c.dead
    )
}

/// A whole state in COM terms, as the Explorer shows it: each actor by name with its facts
/// indented below it, one per line ("nothing yet" for none), then the messages in transit,
/// sorted ("messages in transit: none" when the network is empty).
pub fn state(model: &ComModel, s: &SysState) -> String {
    let cfg = &model.cfg;
    let mut out = String::new();
    for (k, a) in s.actor_states.iter().enumerate() {
        out.push_str(&cfg.actor_name(Id::from(k)));
        out.push('\n');
        let f = facts(cfg, k, a);
        if f.is_empty() {
            out.push_str("  nothing yet\n");
        }
        for x in &f {
            out.push_str(&format!("  {}\n", fact_text(x)));
        }
    }
    let mut transit: Vec<String> = in_transit(s).map(|e| message(model, &e)).collect();
    transit.sort();
    if transit.is_empty() {
        out.push_str("messages in transit: none\n");
    } else {
        out.push_str("messages in transit\n");
        for t in transit {
            out.push_str(&format!("  {t}\n"));
        }
    }
    out
}

/// What a step from `before` to `after` did, in COM terms, as the Explorer shows it: under
/// "changed", each change of each actor ([`changes`]) as "actor: change"; under "sent", the
/// messages it sent ([`sent`]); "nothing changed" when neither has a line.
pub fn step(model: &ComModel, before: &SysState, after: &SysState) -> String {
    let cfg = &model.cfg;
    let mut changed = Vec::new();
    for (k, (b, a)) in before
        .actor_states
        .iter()
        .zip(&after.actor_states)
        .enumerate()
    {
        let name = cfg.actor_name(Id::from(k));
        for c in changes(cfg, k, b, a) {
            changed.push(format!("  {name}: {c}\n"));
        }
    }
    let sent = sent(model, before, after);
    if changed.is_empty() && sent.is_empty() {
        return "nothing changed\n".into();
    }
    let mut out = String::new();
    if !changed.is_empty() {
        out.push_str("changed\n");
        out.extend(changed);
    }
    if !sent.is_empty() {
        out.push_str("sent\n");
        for m in sent {
            out.push_str(&format!("  {m}\n"));
        }
    }
    out
}
