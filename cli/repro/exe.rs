//! The reproducer of an EXE scenario's trace (harness/server.c and client.c): each client's COM
//! calls in the trace's order; a client call that the server takes inside a window of its own
//! code (table.rs: ATL 7.0–9.0's monitor between reading the count and posting WM_QUIT; apartment
//! 2 inside CLSID_B's CreateInstance) waits for the server's `schedule-point` event, which the
//! server holds open (`--pause NAME=MS`); a client whose first call is not the one the server
//! was launched for waits until the server runs its message loop (on Wine there is no SCM to
//! hold its activation: it would launch a second instance); a call made after another client's
//! call was answered in the trace waits for that client's `done` line. After the trace, a
//! client left holding an object of a server that exited in the trace calls it once more, when
//! the server has exited: the model's answer to a call into an exited process is
//! RPC_S_SERVER_UNAVAILABLE.

use super::table::{self, Entry, Opens, PAUSE_MS};
use super::{refuse, Files, Refusal};
use comlife::com::hresult::Hresult;
use comlife::com::runtime::Runtime;
use comlife::trace::replay::Loaded;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The harness's sources, embedded so that a reproducer is self-contained.
const SERVER_C: &str = include_str!("../../harness/server.c");
const CLIENT_C: &str = include_str!("../../harness/client.c");
const EVT_H: &str = include_str!("../../harness/evt.h");

/// One client's part of the reproducer.
#[derive(Default)]
struct ClientPlan {
    /// The client driver's arguments (harness/client.c steps).
    args: Vec<String>,
    /// Each op's (trace step, op name), in order; index + 1 is its `done step=N`.
    ops: Vec<(usize, String)>,
    /// Expected `done` lines: (N, op, HRESULT, where the trace says it).
    expected: Vec<(usize, String, Hresult, String)>,
}

/// The parsed `actionItf` of a state: the action's JSON.
fn action(state: &Value) -> Option<Value> {
    state["#meta"]["actionItf"]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
}

/// The client variable (`client1`, …) a message concerns: its source, or the client an SCM
/// message carries (0-based in the message).
fn msg_client(deliver: &Value) -> Option<String> {
    let src = deliver["src"].as_str().unwrap_or("");
    if src.starts_with("client") {
        return Some(src.to_string());
    }
    let c = &deliver["msg"]["value"]["client"]["#bigint"];
    c.as_str()
        .and_then(|n| n.parse::<usize>().ok())
        .map(|n| format!("client{}", n + 1))
}

/// The model's HRESULT named `tag`.
fn hresult(tag: &str) -> Option<Hresult> {
    Hresult::ALL.into_iter().find(|h| format!("{h:?}") == tag)
}

/// The harness client step for a model client operation.
fn client_step(op: &str) -> Option<&'static str> {
    Some(match op {
        "CoGetClassObject" => "getclassobject",
        "CoCreateInstance" => "cocreate",
        "LockServerTrue" => "lockserver 1",
        "LockServerFalse" => "lockserver 0",
        "CreateInstance" => "createinstance",
        "Call" => "call",
        "ReleaseObject" => "release obj",
        "ReleaseFactory" => "release cf",
        _ => return None,
    })
}

/// Plans the reproducer of an EXE scenario's trace: every file's (name, text, executable), or
/// why not. `server_args` are the table's switches for the run.
pub fn plan(
    file: &Path,
    loaded: &Loaded,
    entry: &Entry,
    mut server_args: Vec<String>,
) -> Result<Files, Refusal> {
    let cfg = &loaded.header.cfg;

    let states = loaded.states();
    let mut plans: BTreeMap<String, ClientPlan> = BTreeMap::new();
    for c in 1..=cfg.clients {
        plans.insert(format!("client{c}"), ClientPlan::default());
    }
    let mut schedule_lines: Vec<String> = Vec::new();
    let windows = windows(states, entry);
    // Steps: (index, action).
    let actions: Vec<(usize, Value)> = states
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(i, s)| action(s).map(|a| (i, a)))
        .collect();
    for (i, a) in &actions {
        let v = &a["value"];
        let actor = v["actor"]
            .as_str()
            .or_else(|| v["dst"].as_str())
            .unwrap_or("");
        if actor.starts_with("serverInstance") && actor != "serverInstance1" {
            return Err(refuse(format!(
                "{}: step {i} concerns {actor}; repro drives one server instance (its schedule points cannot tell two apart)",
                file.display()
            )));
        }
        if a["tag"] == "Step" {
            let step = &v["step"];
            match (step["tag"].as_str(), step["value"]["tag"].as_str()) {
                (Some("Client"), Some(op)) => {
                    if client_step(op).is_none() {
                        return Err(refuse(format!(
                            "{}: step {i}: the client call {op} has no harness client step",
                            file.display()
                        )));
                    }
                    let plan = plans.get_mut(actor).ok_or_else(|| {
                        refuse(format!(
                            "{}: step {i}: unknown client {actor}",
                            file.display()
                        ))
                    })?;
                    plan.ops.push((*i, op.to_string()));
                }
                (Some("ClientEvent"), Some("Dies")) => {
                    let plan = plans.get_mut(actor).ok_or_else(|| {
                        refuse(format!(
                            "{}: step {i}: unknown client {actor}",
                            file.display()
                        ))
                    })?;
                    plan.ops.push((*i, "Dies".to_string()));
                }
                (Some("Server"), Some(tag)) if table::SERVER_OWN_STEPS.contains(&tag) => {}
                (Some("Server"), Some(tag))
                    if entry.server_steps.iter().any(|(t, _)| *t == tag) =>
                {
                    let (_, add) = entry
                        .server_steps
                        .iter()
                        .find(|(t, _)| *t == tag)
                        .expect("found");
                    for sw in *add {
                        if !server_args.iter().any(|a| a == sw) {
                            server_args.push(sw.to_string());
                        }
                    }
                    schedule_lines.push(format!(
                        "- trace step {i}: the server's {tag} is not driven at that point: the server runs with {} from its start",
                        add.join(" ")
                    ));
                }
                (t, o) => {
                    return Err(refuse(format!(
                        "{}: step {i}: {} {} is not something the harness can drive",
                        file.display(),
                        t.unwrap_or("?"),
                        o.unwrap_or("?")
                    )))
                }
            }
        }
    }
    // When each client op was answered: the first later state where the client has no pending
    // call (an op that sends nothing, like LockServer under Wine, is answered at once).
    let answered = |client: &str, issued: usize| -> Option<usize> {
        (issued..states.len()).find(|&k| states[k][client]["value"]["pending"]["tag"] == "None")
    };
    // Where each client op's messages reach the server: deliveries to serverInstance1
    // concerning the client, after the op and before its next op.
    // Each is (delivery step, the step where the server takes it from its queue, client).
    let deliveries: Vec<(usize, usize, String)> = actions
        .iter()
        .filter(|(_, a)| a["tag"] == "Deliver" && a["value"]["dst"] == "serverInstance1")
        .filter_map(|(i, a)| msg_client(&a["value"]).map(|c| (*i, taken(states, *i), c)))
        .collect();

    let mut points_used: Vec<&'static str> = Vec::new();
    let names: Vec<String> = plans.keys().cloned().collect();
    // The client the server was launched for (its first activation needs no wait).
    let launcher = states
        .iter()
        .find_map(|s| s["serverInstance1"]["value"]["launched_for"]["value"]["#bigint"].as_str())
        .and_then(|n| n.parse::<usize>().ok())
        .map(|n| format!("client{}", n + 1));
    // The class each client activates (the model's clsid in its activation).
    let class_of = |name: &str| -> usize {
        actions
            .iter()
            .filter(|(_, a)| a["tag"] == "Deliver")
            .filter(|(_, a)| msg_client(&a["value"]).as_deref() == Some(name))
            .find_map(|(_, a)| a["value"]["msg"]["value"]["clsid"]["#bigint"].as_str())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0)
    };
    // The latest `done` step of each other client a client has already waited for.
    let mut waited: BTreeMap<(String, String), usize> = BTreeMap::new();
    let all_ops: BTreeMap<String, Vec<(usize, String)>> = plans
        .iter()
        .map(|(k, p)| (k.clone(), p.ops.clone()))
        .collect();
    for name in &names {
        let ops = all_ops[name].clone();
        let plan = plans.get_mut(name).expect("planned");
        for (n, (issued, op)) in ops.iter().enumerate() {
            let next = ops.get(n + 1).map_or(usize::MAX, |o| o.0);
            // Happens-before from the trace: another client's op answered before this one.
            for other in names.iter().filter(|o| *o != name) {
                let last = all_ops[other]
                    .iter()
                    .enumerate()
                    .filter(|(_, (i2, _))| answered(other, *i2).is_some_and(|a| a < *issued))
                    .map(|(k, _)| k + 1)
                    .next_back();
                if let Some(k) = last {
                    let key = (name.clone(), other.clone());
                    if waited.get(&key).is_none_or(|w| *w < k) {
                        waited.insert(key, k);
                        plan.args.push("wait-event".into());
                        plan.args.push(format!("prog={other} done step={k} op="));
                        schedule_lines.push(format!(
                            "- {name}'s {op} (trace step {issued}) waits until {other}'s step {k} is done (answered before it in the trace)"
                        ));
                    }
                }
            }
            // A message of this op that the server takes inside a window of its own code.
            let in_window = deliveries.iter().find_map(|(d, e, c)| {
                if c != name || *d <= *issued || *d >= next {
                    return None;
                }
                windows
                    .iter()
                    .find(|(o, cl, _, holder)| {
                        holder.as_deref() != Some(name.as_str())
                            && ((o < d && d < cl) || (o < e && e < cl))
                    })
                    .map(|(_, _, w, _)| (*d, *e, *w))
            });
            if let Some((d, e, w)) = in_window {
                if !points_used.contains(&w.point) {
                    points_used.push(w.point);
                }
                plan.args.push("wait-event".into());
                plan.args
                    .push(format!("prog=server schedule-point name={}", w.point));
                schedule_lines.push(format!(
                    "- {name}'s {op} (trace step {issued}) reaches the server at step {d} and is taken at step {e}, while {}: it waits for the server's schedule point {}, which the server holds open {PAUSE_MS} ms",
                    w.what, w.point
                ));
            } else if let Some(l) = launcher.as_deref().filter(|l| n == 0 && *l != name) {
                // The launcher's activation, answered in the trace before this one: on Wine the
                // activations are served as the clients call, so this one waits for it.
                let first = all_ops.get(l).and_then(|o| o.first()).map(|o| o.0);
                let l_answered = first.and_then(|i| answered(l, i));
                let mine = answered(name, *issued);
                let before = l_answered.is_some_and(|a| mine.is_none_or(|m| a < m));
                let key = (name.clone(), l.to_string());
                if before && waited.get(&key).is_none_or(|w| *w < 1) {
                    waited.insert(key, 1);
                    plan.args.push("wait-event".into());
                    plan.args.push(format!("prog={l} done step=1 op="));
                    schedule_lines.push(format!(
                        "- {name}'s first call (trace step {issued}) waits until {l}'s activation, which launched the server, is answered (the trace answers it first; on Wine no SCM holds an activation, the server serves them as the clients call)"
                    ));
                } else if !before {
                    plan.args.push("wait-event".into());
                    plan.args.push("prog=server message-loop".into());
                    schedule_lines.push(format!(
                        "- {name}'s first call (trace step {issued}) waits until the server launched for {l} runs its message loop (on Wine no SCM holds an activation for a launching server: it would launch a second instance)"
                    ));
                }
            }
            if op == "Dies" {
                plan.args.push("die".into());
            } else {
                let step = match op.as_str() {
                    "CoCreateInstance" => entry
                        .cocreate
                        .get(class_of(name))
                        .copied()
                        .unwrap_or("cocreate"),
                    _ => client_step(op).expect("checked"),
                };
                plan.args.extend(step.split(' ').map(String::from));
            }
        }
    }

    // Expected HRESULTs: each client's observed list at the last state, then its pending
    // call's reply if one is in transit.
    let last = states.last().cloned().unwrap_or(Value::Null);
    let network = last["network"].as_array().cloned().unwrap_or_default();
    let server_exited = last["serverInstance1"]["value"]["status"]["tag"] == "Exited";
    for name in &names {
        let plan = plans.get_mut(name).expect("planned");
        let client = &last[name]["value"];
        let observed = client["observed"].as_array().cloned().unwrap_or_default();
        let hr_ops: Vec<(usize, usize, String)> = plan
            .ops
            .iter()
            .enumerate()
            .filter(|(_, (_, op))| !op.starts_with("Release") && op != "Dies")
            .map(|(k, (i, op))| (k + 1, *i, op.clone()))
            .collect();
        for ((k, i, op), o) in hr_ops.iter().zip(observed.iter()) {
            let tag = o["#tup"][1].as_str().unwrap_or("");
            let h = hresult(tag).ok_or_else(|| {
                refuse(format!(
                    "{}: unknown HRESULT {tag} observed by {name}",
                    file.display()
                ))
            })?;
            plan.expected.push((
                *k,
                op.clone(),
                h,
                format!("observed at the last state (trace step {i})"),
            ));
        }
        // An object it holds and is not releasing (a pending Release has freed it).
        let releasing = client["pending"]["value"]["tag"] == "ReleaseObject";
        let mut holds_dead_object =
            client["object"]["tag"] == "Some" && !releasing && server_exited;
        if hr_ops.len() > observed.len() && client["pending"]["tag"] == "Some" {
            let (k, i, op) = &hr_ops[observed.len()];
            let reply = network.iter().find(|m| {
                (m["dst"] == name.as_str() && m["msg"]["value"]["hr"]["tag"].is_string())
                    || (m["dst"] == "scm"
                        && m["msg"]["tag"] == "Activated"
                        && msg_client(m).as_deref() == Some(name.as_str()))
            });
            if let Some(m) = reply {
                let tag = m["msg"]["value"]["hr"]["tag"].as_str().unwrap_or("");
                if let Some(h) = hresult(tag) {
                    plan.expected.push((
                        *k,
                        op.clone(),
                        h,
                        format!("its reply is in transit at the last state (trace step {i})"),
                    ));
                    holds_dead_object |= m["msg"]["value"]["obj"]["tag"] == "Some" && server_exited;
                }
            }
        }
        let dead = client["dead"] == true;
        if holds_dead_object && !dead {
            let k = plan.ops.len() + 1;
            plan.args.push("wait-exit".into());
            plan.args.push("prog=server exit ".into());
            plan.args.push("call".into());
            plan.ops.push((states.len(), "Call".into()));
            plan.expected.push((
                k,
                "Call".into(),
                Hresult::RPC_S_SERVER_UNAVAILABLE,
                "after the trace: a call on the object of the exited server (the model: a call into an exited process fails, clean-disconnect)".into(),
            ));
            schedule_lines.push(format!(
                "- after the trace, {name} still holds an object of the server, which exited in the trace: it waits until the server's process has ended and calls it once more"
            ));
        }
        // A class-object proxy it holds and is not releasing, of the exited server.
        let holds_dead_factory = client["factory"]["tag"] == "Some"
            && client["pending"]["value"]["tag"] != "ReleaseFactory"
            && server_exited;
        if holds_dead_factory && !dead {
            let k = plan.ops.len() + 1;
            if !holds_dead_object {
                plan.args.push("wait-exit".into());
                plan.args.push("prog=server exit ".into());
            }
            plan.args.push("createinstance".into());
            plan.ops.push((states.len(), "CreateInstance".into()));
            plan.expected.push((
                k,
                "CreateInstance".into(),
                Hresult::RPC_S_SERVER_UNAVAILABLE,
                "after the trace: IClassFactory::CreateInstance on the class-object proxy of the exited server (the model: a call into an exited process fails)".into(),
            ));
            schedule_lines.push(format!(
                "- after the trace, {name} still holds the class-object proxy of the server, which exited in the trace: it waits until the server's process has ended and calls CreateInstance on it"
            ));
        }
    }

    for point in points_used {
        let pause = format!("{point}={PAUSE_MS}");
        if !server_args.contains(&pause) {
            server_args.push("--pause".into());
            server_args.push(pause);
        }
    }
    let runtime = cfg.runtime;
    let files = render(file, loaded, &plans, &server_args, &schedule_lines, runtime);
    Ok(files)
}

/// The step where the server takes the message delivered at step `d` from its queue: the
/// first later state whose queues no longer hold the entry the delivery added (the delivery
/// step itself when it added none, e.g. a message the server takes at once).
fn taken(states: &[Value], d: usize) -> usize {
    let queued = |k: usize| -> Vec<Value> {
        states[k]["serverInstance1"]["value"]["queues"]
            .as_array()
            .map(|qs| {
                qs.iter()
                    .flat_map(|q| q.as_array().cloned().unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = queued(d - 1);
    let Some(entry) = queued(d).into_iter().find(|m| !before.contains(m)) else {
        return d;
    };
    (d + 1..states.len())
        .find(|&k| !queued(k).contains(&entry))
        .unwrap_or(states.len())
}

/// The server's windows in the trace (table.rs): (open step, close step, the window, the
/// client whose activation holds it open, if any). A window still open at the trace's end
/// closes after it.
fn windows(
    states: &[Value],
    entry: &Entry,
) -> Vec<(usize, usize, &'static table::Window, Option<String>)> {
    let mut out = Vec::new();
    for w in entry.windows {
        match w.opens {
            Opens::Steps(open, close) => {
                let mut start = None;
                for (i, s) in states.iter().enumerate().skip(1) {
                    let Some(a) = action(s) else { continue };
                    let tag = a["value"]["step"]["value"]["tag"].as_str();
                    if a["value"]["step"]["tag"] == "Server" && tag == Some(open) {
                        start = Some(i);
                    } else if a["value"]["step"]["tag"] == "Server" && tag == Some(close) {
                        if let Some(o) = start.take() {
                            out.push((o, i, w, None));
                        }
                    }
                }
            }
            Opens::SecondAdmitted => {
                // Each admitted activation's (client, clsid, kind), in order of admission.
                let admitted = |k: usize| -> Vec<Value> {
                    states[k]["serverInstance1"]["value"]["rpc_activations"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                };
                let mut seen: Vec<Value> = Vec::new();
                for k in 1..states.len() {
                    for a in admitted(k) {
                        if !admitted(k - 1).contains(&a) && !seen.contains(&a) {
                            seen.push(a.clone());
                            if seen.len() == 2 {
                                let close = (k + 1..states.len())
                                    .find(|&j| !admitted(j).contains(&a))
                                    .unwrap_or(states.len());
                                let holder = a["#tup"][0]["#bigint"]
                                    .as_str()
                                    .and_then(|n| n.parse::<usize>().ok())
                                    .map(|n| format!("client{}", n + 1));
                                out.push((k, close, w, holder));
                            }
                        }
                    }
                }
            }
            Opens::Activating(apt) => {
                let work = |k: usize| {
                    states[k]["serverInstance1"]["value"]["apartments"][apt]["work"].clone()
                };
                let mut start: Option<(usize, Option<String>)> = None;
                for k in 1..states.len() {
                    let w_k = work(k);
                    let active = w_k["tag"] == "Activating";
                    match (&start, active) {
                        (None, true) => {
                            let holder = w_k["value"]["client"]["#bigint"]
                                .as_str()
                                .and_then(|n| n.parse::<usize>().ok())
                                .map(|n| format!("client{}", n + 1));
                            start = Some((k, holder));
                        }
                        (Some((o, h)), false) => {
                            out.push((*o, k, w, h.clone()));
                            start = None;
                        }
                        _ => {}
                    }
                }
                if let Some((o, h)) = start {
                    out.push((o, states.len(), w, h));
                }
            }
        }
    }
    out
}

/// The files of the reproducer.
fn render(
    file: &Path,
    loaded: &comlife::trace::replay::Loaded,
    plans: &BTreeMap<String, ClientPlan>,
    server_args: &[String],
    schedule: &[String],
    runtime: Runtime,
) -> Vec<(String, String, bool)> {
    let meta = &loaded.header.meta;
    let server_sw = server_args.join(" ");
    let mut files = vec![
        ("server.c".to_string(), SERVER_C.to_string(), false),
        ("client.c".to_string(), CLIENT_C.to_string(), false),
        ("evt.h".to_string(), EVT_H.to_string(), false),
    ];
    files.push((
        "build-mingw.sh".into(),
        "#!/bin/sh\n# Builds server.exe and client.exe with mingw-w64 (plain C, ole32 and uuid, no MIDL).\nset -eu\ncd \"$(dirname \"$0\")\"\nmkdir -p bin\nfor p in server client; do\n    x86_64-w64-mingw32-gcc -O2 -Wall -o bin/$p.exe $p.c -lole32 -luuid\ndone\necho \"built bin/server.exe bin/client.exe\"\n".into(),
        true,
    ));
    files.push((
        "build-msvc.cmd".into(),
        "@rem Builds server.exe and client.exe with MSVC's cl (a Developer Command Prompt). Untested: comlife's\r\n@rem machine has no cl; the sources are plain C that mingw-w64 builds.\r\nmkdir bin 2>nul & cl /nologo /W3 /Febin\\server.exe server.c ole32.lib uuid.lib user32.lib && cl /nologo /W3 /Febin\\client.exe client.c ole32.lib uuid.lib user32.lib\r\n".into(),
        false,
    ));
    let clsid = "{6C0F3A4E-1D2B-4C5A-9E7F-0A1B2C3D4E5F}";
    files.push((
        "register.sh".into(),
        format!(
            "#!/bin/sh\n# Registers bin/server.exe as the LocalServer32 of the harness class in the Wine prefix\n# $WINEPREFIX, with the server switches this trace needs.\nset -eu\ncd \"$(dirname \"$0\")\"\nWINE=\"$(command -v wine64 || echo /usr/lib/wine/wine64)\"\nexe=\"Z:$(pwd | sed 's|/|\\\\|g')\\\\bin\\\\server.exe\"\ntimeout 60 \"$WINE\" reg add 'HKLM\\Software\\Classes\\CLSID\\{clsid}\\LocalServer32' /ve /d \"$exe {server_sw}\" /f\n"
        ),
        true,
    ));
    files.push((
        "register.reg".into(),
        format!(
            "Windows Registry Editor Version 5.00\r\n\r\n; Edit the path to where bin\\server.exe is, then: reg import register.reg (as administrator).\r\n[HKEY_LOCAL_MACHINE\\Software\\Classes\\CLSID\\{clsid}\\LocalServer32]\r\n@=\"C:\\\\comlife-repro\\\\bin\\\\server.exe {server_sw}\"\r\n"
        ),
        false,
    ));
    // expected.txt and run.sh
    let mut expected = String::from(
        "# client step op HRESULT hex  -- where the trace says it (one line per HRESULT a client observes)\n",
    );
    for (name, plan) in plans {
        for (k, op, h, why) in &plan.expected {
            let _ = writeln!(
                expected,
                "{name} {k} {op} {h:?} 0x{:08x} -- {why}",
                h.code()
            );
        }
    }
    files.push(("expected.txt".into(), expected, false));
    let q = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut clients = String::new();
    for (name, plan) in plans {
        let args: Vec<String> = plan.args.iter().map(|a| q(a)).collect();
        let _ = writeln!(
            clients,
            "timeout 90 \"$WINE\" bin/client.exe --as {name} {} >\"$LOGS/{name}.out\" 2>&1 &\npids=\"$pids $!\"",
            args.join(" ")
        );
    }
    files.push(("run.sh".into(), run_sh(&clients), true));
    files.push((
        "README.md".into(),
        readme(file, loaded, plans, &server_sw, schedule, runtime, meta),
        false,
    ));
    files
}

/// run.sh: build if needed, a fresh prefix, register, the clients as planned, compare.
fn run_sh(clients: &str) -> String {
    let prologue = super::wine_prologue("server.exe", "client.exe");
    format!(
        r#"#!/usr/bin/env bash
# Runs the reproducer on Wine: builds (build-mingw.sh) when bin/ is missing, makes a fresh
# WINEPREFIX in a temporary directory, registers the server (register.sh), starts the clients
# with the schedule derived from the trace (README.md), waits for every process of the prefix
# (at most 60 s), then compares each HRESULT the clients observed with expected.txt.
# Exit 0 when every one agrees with the trace, 1 when one differs, 2 when Wine or mingw-w64 is
# missing. Every Wine command runs under timeout; the prefix's wineserver is ended on exit.
# REPRO_KEEP=1 keeps the temporary directory.
{prologue}./register.sh >"$LOGS/reg.out" 2>&1
pids=""
{clients}for p in $pids; do wait "$p" || true; done
timeout 60 "$WINESERVER" -w || echo "run.sh: a process of the prefix was still running after 60 s"
echo "-- event log"
cat "$LOGS"/*.log | grep '^EVT ' | awk '{{ t = $3; sub(/^t=/, "", t); printf "%015d %s\n", t, $0 }}' |
    sort -s -k1,1n | cut -d' ' -f2- | sed 's/^/  /'
echo "-- the trace's HRESULTs (expected.txt) against the run"
differ=0
while read -r client step op name hex rest; do
    case "$client" in '#'*|'') continue ;; esac
    got="$(cat "$LOGS"/*.log | grep -E "prog=$client done step=$step op=$op hr=" | sed -E 's/.* hr=(0x[0-9a-f]+);.*/\1/' | head -1)"
    if [ "$got" = "$hex" ]; then
        echo "  agrees   $client step $step $op: $name $hex"
    else
        echo "  DIFFERS  $client step $step $op: the trace says $name $hex, the run observed ${{got:-nothing}}"
        differ=1
    fi
done <expected.txt
if [ "$differ" = 0 ]; then echo "run.sh: every HRESULT agrees with the trace"; else echo "run.sh: some HRESULT differs from the trace"; fi
exit "$differ"
"#
    )
}

/// README.md: what the trace shows, the schedule, what to expect on Windows and on Wine.
fn readme(
    file: &Path,
    loaded: &comlife::trace::replay::Loaded,
    plans: &BTreeMap<String, ClientPlan>,
    server_sw: &str,
    schedule: &[String],
    runtime: Runtime,
    meta: &comlife::trace::meta::TraceMeta,
) -> String {
    let mut r = String::new();
    let _ = writeln!(
        r,
        "# Reproducer: `{}` in {} ({})\n",
        meta.property,
        meta.scenario,
        loaded.header.cfg.run_label()
    );
    let _ = writeln!(
        r,
        "Written by `comlife repro {}` from the trace's {} steps ({} runtime). {}\n",
        file.display(),
        meta.steps,
        runtime.name(),
        meta.description
    );
    if let Some(why) = &meta.why {
        let _ = writeln!(r, "The trace's last state: {why}.\n");
    }
    let _ = writeln!(r, "Rules: {}. Sources: {}.\n", meta.rules, meta.sources);
    let note = table::finding(
        &meta.scenario,
        &meta.property,
        &loaded.header.cfg.run_label(),
    );
    if let Some(f) = note {
        let _ = writeln!(
            r,
            "**{}** (comlife's spec/findings.md). On Windows (the trace): {}.\n",
            f.id, f.windows
        );
    }
    for t in loaded.header.cfg.toggled.iter() {
        if let Some((_, says)) = table::RUNTIME_TOGGLES.iter().find(|(n, _)| *n == t.name()) {
            let _ = writeln!(r, "**COM's own mechanism disabled:** {says}.\n");
        }
    }
    let _ = writeln!(
        r,
        "## Files\n\n| file | what |\n|---|---|\n| `server.c`, `client.c`, `evt.h` | comlife's harness programs (harness/ in comlife), plain C, no MIDL |\n| `build-mingw.sh` | builds `bin/server.exe`, `bin/client.exe` with mingw-w64 |\n| `build-msvc.cmd` | the same with MSVC's `cl`, one command line: **untested** (comlife's machine has no cl) |\n| `register.sh` | registers the server in `$WINEPREFIX` (`wine64 reg add`) |\n| `register.reg` | the same for Windows (edit the path, `reg import`) |\n| `run.sh` | runs it all on Wine and compares each client's HRESULTs with `expected.txt` (exit 0: all agree) |\n| `expected.txt` | every HRESULT a client observes in the trace |\n"
    );
    let _ = writeln!(
        r,
        "## The schedule\n\nThe server runs with `{server_sw}` (harness/server.c's header says what each switch does{}).\nThe clients start together; each makes its trace's calls in the trace's order:\n",
        if server_sw.contains("--timeout") {
            "; `--timeout` is ATL's m_dwTimeOut, shortened from ATL's 5000 ms: the race does not\ndepend on it, the schedule point holds the window open"
        } else {
            ""
        }
    );
    for (name, plan) in plans {
        let args: Vec<String> = plan
            .args
            .iter()
            .map(|a| {
                if a.contains(' ') {
                    format!("\"{a}\"")
                } else {
                    a.clone()
                }
            })
            .collect();
        let _ = writeln!(r, "- `client.exe --as {name} {}`", args.join(" "));
    }
    let _ = writeln!(
        r,
        "\nWhere the trace interleaves them (the server's own steps are not driven: an order of the\ntrace that no schedule point or wait below holds is left to the run):\n"
    );
    if schedule.is_empty() {
        let _ = writeln!(
            r,
            "- nowhere: the clients' calls are independent in the trace"
        );
    }
    for l in schedule {
        let _ = writeln!(r, "{l}");
    }
    let _ = writeln!(
        r,
        "\n## What to expect on Windows (the trace)\n\nEvery HRESULT a client observes in the trace (`expected.txt`):\n"
    );
    for (name, plan) in plans {
        for (k, op, h, why) in &plan.expected {
            let _ = writeln!(
                r,
                "- {name}, step {k}, {op}: {h:?} (0x{:08X}) — {why}",
                h.code()
            );
        }
    }
    let _ = writeln!(
        r,
        "\nOn Windows: build with `build-msvc.cmd` (or mingw-w64), import `register.reg` with the\npath edited, set `HARNESS_LOGDIR` to a folder, and start the client command lines above at\nonce (e.g. `start /b bin\\client.exe --as client1 ...`); compare the `done` lines of the logs\nwith `expected.txt`.\n"
    );
    let _ = writeln!(
        r,
        "## What Wine does instead\n\nWine (8.0) differs from Windows in ways the model's `wine` runtime applies (comlife's\nspec/rules.md, R-WINE-*; docs/wine.md records what the harness observed). For this trace:\n\n- R-WINE-ACTIVATION: CoCreateInstance gets the registered class object from rpcss and calls\n  CreateInstance through its proxy; no SCM forwards the activation, so the activation reaches\n  the server when the client calls, not when the trace's SCM delivers it. The schedule above\n  therefore starts a client's call at the server's schedule point. Source: Wine's\n  dlls/combase/rpc.c `rpc_get_local_class_object`, apartment.c `local_server_QueryService`.\n- R-WINE-LOCKSERVER-STUB: LockServer on a class-object proxy returns E_NOTIMPL (0x80004001)\n  and never reaches the server (Wine's usrmarshal.c `IClassFactory_LockServer_Proxy`); a trace\n  step that expects another HRESULT from it differs on Wine.\n- R-WINE-NO-SUSPEND: no suspension (CoReleaseServerProcess, REGCLS_SUSPENDED, CoSuspendClassObjects\n  is a stub).\n- R-WINE-NO-RUNDOWN: no ping rundown of a dead client's references.\n- For this trace ({}): {}.\n\n`comlife check --scenario {} --runtime wine --traces DIR` writes the model's traces under Wine.\n",
        note.map_or("no finding", |f| f.id),
        note.map_or("the R-WINE rules above are what differs", |f| f.wine),
        meta.scenario
    );
    r
}
