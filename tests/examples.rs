//! The example descriptions of examples/ check as written: exit status 0 and every verdict as
//! their `[expect]` pins it; examples/sserver.toml's and examples/terminal-handoff.toml's
//! comments say what their variants give (sserver's own client, the fixes), and this file
//! checks that too.

mod common;
use common::comlife;

use std::path::Path;

fn examples() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_example_checks_as_written() {
    let files = examples();
    assert!(!files.is_empty());
    for f in files {
        let path = f.to_str().unwrap();
        let (code, out, err) = comlife(&["check", path, "--no-traces"]);
        assert_eq!(code, 0, "{path}: {out}{err}");
        let line = out
            .lines()
            .find(|l| l.starts_with("regression check of "))
            .unwrap_or_else(|| panic!("{path}: no regression line in {out}"));
        let (n, m) = line
            .split_once(" expected verdicts match")
            .and_then(|(a, _)| a.rsplit_once(": "))
            .and_then(|(_, a)| a.split_once(" of "))
            .expect("N of M");
        assert_eq!(n, m, "{line}");
    }
}

/// `check` on a variant of examples/sserver.toml: the exit status and its stdout.
fn check_variant(name: &str, edit: impl Fn(String) -> String) -> (i32, String) {
    check_example_variant("sserver", name, edit)
}

/// `check` on a variant of examples/EXAMPLE.toml: the exit status and its stdout.
fn check_example_variant(
    example: &str,
    name: &str,
    edit: impl Fn(String) -> String,
) -> (i32, String) {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/{example}.toml")),
    )
    .unwrap();
    let text = edit(text);
    let dir = common::temp_dir(name);
    let file = dir.join(format!("{example}.toml"));
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = comlife(&["check", file.to_str().unwrap(), "--no-traces"]);
    (code, out + &err)
}

/// The verdict of `property` in `check`'s table.
fn verdict<'a>(out: &'a str, property: &str) -> &'a str {
    verdict_of(out, "sserver", property)
}

/// The verdict of `property` in the table of `check` on the description named `name`.
fn verdict_of<'a>(out: &'a str, name: &str, property: &str) -> &'a str {
    out.lines()
        .find(|l| {
            l.split_whitespace().next() == Some(name)
                && l.split_whitespace().nth(2) == Some(property)
        })
        .and_then(|l| l.split_whitespace().nth(4))
        .unwrap_or_else(|| panic!("{property} in {out}"))
}

/// The [expect] section removed: the variants are read off the table.
fn without_expect(text: String) -> String {
    text[..text.find("\n[expect]\n").unwrap()].to_string()
}

const SAFETY: [&str; 6] = [
    "no-startup-exit",
    "no-exit-with-live-objects",
    "no-exit-while-locked",
    "factory-stays-connected",
    "no-handout-after-shutdown",
    "clean-disconnect",
];

#[test]
fn sserver_the_second_object_dies_with_the_first_and_its_code_fix_is_found() {
    let (code, out) = check_variant("sserver-as-written", |t| t);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("sserver: 1 defect found"), "{out}");
    // No opt-in remedy repairs it; the fix in the server's own code does.
    assert!(
        out.contains("also checked, repairs none of it: recheck-after-revoke, stopping-flag, stopping-flag-locked"),
        "{out}"
    );
    assert!(
        out.contains("remedy: exit = \"count\" + lock_server = \"counts\" — repairs it"),
        "{out}"
    );
    // The trace of clean-disconnect: object 1's release wakes the main thread, the process
    // exits, and the client's call on object 2 fails.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sserver.toml"
    ))
    .unwrap();
    let dir = common::temp_dir("sserver-trace");
    let file = dir.join("sserver.toml");
    std::fs::write(&file, text).unwrap();
    let (code, _, err) = comlife(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(
        dir.join("traces/sserver/regcls-suspended+with-regcls-singleuse/clean-disconnect.md"),
    )
    .unwrap();
    assert!(md.contains("WaitForSingleObject returns"), "{md}");
    assert!(
        md.contains(
            "receives a method call on object 2 from client 1; it sends RPC_S_SERVER_UNAVAILABLE"
        ),
        "{md}"
    );
}

#[test]
fn sserver_with_its_own_client_is_safe() {
    // sclient.cpp: one CoCreateInstanceEx, Read, Write, Release.
    let (code, out) = check_variant("sserver-sclient", |t| {
        without_expect(t).replace("create_instance = 2", "calls = [\"CoCreateInstance\"]")
    });
    assert_eq!(code, 0, "{out}");
    for p in SAFETY {
        assert_eq!(verdict(&out, p), "holds", "{p}: {out}");
    }
}

#[test]
fn sserver_fixed_counts_objects_and_locks() {
    let count = |t: String| {
        without_expect(t).replace("exit = \"first-object-destroyed\"", "exit = \"count\"")
    };
    // The count alone: the objects are safe, a client's lock is not honoured.
    let (_, out) = check_variant("sserver-count", count);
    for p in SAFETY {
        let want = if matches!(p, "no-exit-while-locked" | "factory-stays-connected") {
            "violated"
        } else {
            "holds"
        };
        assert_eq!(verdict(&out, p), want, "{p}: {out}");
    }
    // The count and a counting LockServer: 003's textbook server, safe.
    let (_, out) = check_variant("sserver-fixed", |t| {
        count(t).replace("lock_server = \"e-fail\"", "lock_server = \"counts\"")
    });
    for p in SAFETY {
        assert_eq!(verdict(&out, p), "holds", "{p}: {out}");
    }
}

/// The example's keys keep the state graph acyclic (A-BOUNDS): the second object's script and
/// the event exit included.
#[test]
fn sserver_graph_is_acyclic() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sserver.toml"
    ))
    .unwrap();
    let cfg = comlife::description::format::Description::parse("sserver.toml", &text)
        .and_then(|d| d.to_request())
        .unwrap()
        .config;
    assert!(comlife::verify::acyclic::check_acyclic(cfg).is_ok());
}

/// examples/vboxsvc.toml: VBoxSVC's mini-ATL monitor is ATL 7.0–9.0's free-threaded one, so its
/// defect is F-8, and Box's refusal under the monitor's lock is the remedy the comments name.
#[test]
fn vboxsvc_has_f8_and_the_locked_stopping_flag_repairs_it() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/vboxsvc.toml");
    let (code, out, err) = comlife(&["check", path, "--no-traces"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("vboxsvc: 1 defect found — F-8: "), "{out}");
    assert!(
        out.contains("remedy: stopping-flag-locked — repairs it"),
        "{out}"
    );
    assert!(
        out.contains(
            "also checked, repairs none of it: recheck-after-revoke, process-count-lock, stopping-flag"
        ),
        "{out}"
    );
}

/// examples/chrome-notification-helper.toml: a WRL out-of-process server, free-threaded, with
/// F-4's window, which Box's refusal under a lock closes; and
/// examples/openconsole-handoff.toml: the same module registering REGCLS_SINGLEUSE through its
/// own RegisterCOMObject, which leaves no second activation to race the release.
#[test]
fn the_wrl_servers_chrome_has_f4_and_openconsole_has_none() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/chrome-notification-helper.toml"
    );
    let (code, out, err) = comlife(&["check", path, "--no-traces"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("chrome-notification-helper: 1 defect found — F-4: "),
        "{out}"
    );
    assert!(out.contains("checked as scenario wrl-mta"), "{out}");
    assert!(
        out.contains("remedy: stopping-flag-locked — repairs it"),
        "{out}"
    );
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/openconsole-handoff.toml"
    );
    let (code, out, err) = comlife(&["check", path, "--no-traces"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("openconsole-handoff: no defect found"),
        "{out}"
    );
    assert!(out.contains("single-use classes"), "{out}");
}

/// examples/terminal-handoff.toml's fix: CoRevokeClassObject before PostQuitMessage and a
/// process kept while a handoff object is alive; each alone leaves the handoff object dying
/// before its EstablishPtyHandoff.
#[test]
fn terminal_handoff_fixed_revokes_before_quit_and_waits_for_objects() {
    let with = |keys: &'static str| {
        move |t: String| {
            without_expect(t).replace(
                "teardown = \"terminate-process\"\n",
                &format!("teardown = \"terminate-process\"\n{keys}"),
            )
        }
    };
    let (_, out) = check_example_variant(
        "terminal-handoff",
        "terminal-fixed",
        with("revoke_before_quit = true\nquit_waits_for_objects = true\n"),
    );
    for p in SAFETY {
        let want = if p == "no-startup-exit" {
            "violated" // the idle timer's start-up race
        } else {
            "holds"
        };
        assert_eq!(verdict_of(&out, "terminal-handoff", p), want, "{p}: {out}");
    }
    // The single-instance exit before registering (`registration = "conditional"`): no fix of
    // the window code reaches it.
    assert_eq!(
        verdict_of(&out, "terminal-handoff", "no-exit-during-init"),
        "violated",
        "{out}"
    );
    for (name, keys) in [
        ("terminal-revoke", "revoke_before_quit = true\n"),
        ("terminal-objects", "quit_waits_for_objects = true\n"),
    ] {
        let (_, out) = check_example_variant("terminal-handoff", name, with(keys));
        for p in ["no-exit-with-live-objects", "clean-disconnect"] {
            assert_eq!(
                verdict_of(&out, "terminal-handoff", p),
                "violated",
                "{keys} {p}: {out}"
            );
        }
    }
}

/// The Terminal's window keys keep the state graph acyclic (A-BOUNDS): the window count, the
/// idle timer and the end by TerminateProcess.
#[test]
fn terminal_handoff_graph_is_acyclic() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/terminal-handoff.toml"
    ))
    .unwrap();
    let cfg = comlife::description::format::Description::parse("terminal-handoff.toml", &text)
        .and_then(|d| d.to_request())
        .unwrap()
        .config;
    assert!(comlife::verify::acyclic::check_acyclic(cfg).is_ok());
}

/// The examples' traces checked in under examples/traces/ (written by `comlife check
/// examples/NAME.toml`, linked from docs/servers.md) replay against the current model: a
/// change of the model that changes them shows here.
#[test]
fn the_examples_traces_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/traces");
    let mut stack = vec![root];
    let mut n = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".itf.json") {
                let (code, out, err) = comlife(&["replay", p.to_str().unwrap()]);
                assert_eq!(code, 0, "{}: {out}{err}", p.display());
                n += 1;
            }
        }
    }
    assert!(n >= 5 * 3, "{n} traces");
}

/// examples/vboxsvc.toml's singleton class object changes no verdict: written as a factory that
/// makes a new object per client, the same properties hold and are violated.
#[test]
fn vboxsvc_verdicts_do_not_depend_on_its_singleton() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/vboxsvc.toml");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("\nfactory = \"singleton\"\n"));
    let dir = common::temp_dir("vboxsvc-new-object");
    let file = dir.join("vboxsvc.toml");
    std::fs::write(&file, text.replace("\nfactory = \"singleton\"\n", "\n")).unwrap();
    let (code, out, err) = comlife(&["check", file.to_str().unwrap(), "--no-traces"]);
    assert_eq!(code, 0, "the same [expect] matches: {out}{err}");
    assert!(!out.contains("a singleton class object"), "{out}");
    let (_, out, _) = comlife(&["check", path, "--no-traces"]);
    assert!(out.contains("a singleton class object"), "{out}");
}

/// examples/terminal-shell-extension.toml: a WRL `Module<InProc>` DLL in a COM surrogate
/// (`exit = "dll-unloaded"`, A-SURROGATE): the poll of the DLL's count runs on the STA that
/// creates the objects, so every property holds for Explorer's CoCreateInstance activations.
#[test]
fn the_terminal_shell_extension_in_its_surrogate_has_no_defect() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/terminal-shell-extension.toml"
    );
    let (code, out, err) = comlife(&["check", path, "--no-traces"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("terminal-shell-extension: no defect found"),
        "{out}"
    );
    assert!(
        out.contains("exit decided by the surrogate unloading the DLL"),
        "{out}"
    );
    // Its surrogate exits once Explorer's objects are gone: the example trace shows the poll.
    let md = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/traces/terminal-shell-extension/regcls-suspended/server-exits.md"
    ))
    .unwrap();
    assert!(md.contains("ISurrogate::FreeSurrogate"), "{md}");
}

/// Windows Terminal's single-instance start-up (`registration = "conditional"`,
/// A-CONDITIONAL-REGISTRATION; WindowEmperor.cpp lines 536-544): an `-Embedding` instance that
/// finds the mutex held ends before it registers, and OpenConsole's activation fails with
/// CO_E_SERVER_EXEC_FAILURE (examples/terminal-handoff.toml has the key). One client keeps the
/// check short; without the key the same description has no exit before its registration.
#[test]
fn terminal_handoff_with_its_single_instance_exit_fails_the_activation_exec_failure() {
    let one_client = |t: String| without_expect(t).replace("\ncount = 2\n", "\ncount = 1\n");
    let (_, out) = check_example_variant("terminal-handoff", "terminal-one-client", |t| {
        let t = one_client(t);
        assert!(t.contains("\nregistration = \"conditional\"\n"));
        t.replace("\nregistration = \"conditional\"\n", "\n")
    });
    assert_eq!(
        verdict_of(&out, "terminal-handoff", "no-exit-during-init"),
        "holds",
        "{out}"
    );
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/terminal-handoff.toml"
    ))
    .unwrap();
    let text = one_client(text);
    let dir = common::temp_dir("terminal-conditional");
    let file = dir.join("terminal-handoff.toml");
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = comlife(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    for p in [
        "no-exit-during-init",
        "no-startup-exit",
        "activation-answered",
    ] {
        assert_eq!(
            verdict_of(&out, "terminal-handoff", p),
            "violated",
            "{p}: {out}"
        );
    }
    let md = std::fs::read_to_string(
        dir.join("traces/terminal-handoff/regcls-suspended.1-clients/activation-answered.md"),
    );
    let md = md.unwrap();
    assert!(md.contains("without calling CoRegisterClassObject"), "{md}");
    assert!(md.contains("CO_E_SERVER_EXEC_FAILURE"), "{md}");
}

/// The new keys keep the state graph acyclic (A-BOUNDS): the surrogate's poll
/// (examples/terminal-shell-extension.toml), the self-hold's release and the conditional exit
/// (tests/descriptions/valid/).
#[test]
fn the_surrogate_self_hold_and_conditional_registration_graphs_are_acyclic() {
    for file in [
        "examples/terminal-shell-extension.toml",
        "tests/descriptions/valid/self-hold.toml",
        "tests/descriptions/valid/conditional-registration.toml",
        "examples/vboxsvc.toml",
        "tests/descriptions/valid/idle-count.toml",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let cfg = comlife::description::format::Description::parse(file, &text)
            .and_then(|d| d.to_request())
            .unwrap()
            .config;
        assert!(
            comlife::verify::acyclic::check_acyclic(cfg).is_ok(),
            "{file}"
        );
    }
}

/// examples/vboxsvc.toml's idle test (`idle_count = 1`, `peer_lock = true`, A-PEER-LOCK):
/// with the lock VBoxSVC holds for VBoxSDS the check is the plain count's, state for state and
/// verdict for verdict; without that lock the idle test lets VBoxSVC exit under a client's
/// reference, which the fix that repairs F-8 (`stopping-flag-locked`) then leaves violated.
#[test]
fn vboxsvc_idle_test_with_the_peers_lock_is_the_plain_count_and_without_it_exits_under_a_client() {
    // The verdict table, without its timing column.
    fn table(out: &str) -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with("vboxsvc "))
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                format!(
                    "{} {} {} {}",
                    w[2],
                    w[3],
                    w[4..w.len() - 3].join(" "),
                    w[w.len() - 3]
                )
            })
            .collect()
    }
    let keys = |t: &str| t.contains("\nidle_count = 1\n") && t.contains("\npeer_lock = true\n");
    let (code, written) = check_example_variant("vboxsvc", "vboxsvc-written", |t| {
        assert!(keys(&t));
        t
    });
    assert_eq!(code, 0, "{written}");
    let (code, plain) = check_example_variant("vboxsvc", "vboxsvc-plain", |t| {
        t.replace("\nidle_count = 1\n", "\n")
            .replace("\npeer_lock = true\n", "\n")
    });
    assert_eq!(code, 0, "the same [expect] matches: {plain}");
    assert!(table(&written).len() >= 10);
    assert_eq!(table(&written), table(&plain));
    assert!(
        table(&written)[0].ends_with(" 3536"),
        "{:?}",
        table(&written)
    );
    // No lock held for the peer: the idle test discounts a client's.
    let no_lock = |fix: bool| {
        move |t: String| {
            let t = without_expect(t).replace("\npeer_lock = true\n", "\npeer_lock = false\n");
            if fix {
                t.replace("enable = []", "enable = [\"stopping-flag-locked\"]")
            } else {
                t
            }
        }
    };
    // As built, F-8 already violates the property; the graph is larger (the idle test reads a
    // client's lock as idle).
    let (_, out) = check_example_variant("vboxsvc", "vboxsvc-no-lock", no_lock(false));
    assert_eq!(
        verdict_of(&out, "vboxsvc", "no-exit-with-live-objects"),
        "violated",
        "{out}"
    );
    assert!(!out.contains(" 3536 unique states"), "{out}");
    let (_, out) = check_example_variant("vboxsvc", "vboxsvc-no-lock-fixed", no_lock(true));
    assert_eq!(
        verdict_of(&out, "vboxsvc", "no-exit-with-live-objects"),
        "violated",
        "{out}"
    );
    assert_eq!(
        verdict_of(&out, "vboxsvc", "no-handout-after-shutdown"),
        "holds",
        "{out}"
    );
    // The fix with the peer's lock: every property holds.
    let (_, out) = check_example_variant("vboxsvc", "vboxsvc-fixed", |t| {
        without_expect(t).replace("enable = []", "enable = [\"stopping-flag-locked\"]")
    });
    assert!(out.starts_with("vboxsvc: no defect found"), "{out}");
}
