//! `comlife repro`: the refusals (exit 2, nothing written), F-7's reproducer's files, a
//! reproducer for the trace of every finding that is not withdrawn and whose lifetime code the
//! harness's C programs express, its expectations read independently from the trace, and the
//! new reproducers built with mingw-w64 when it is installed.

mod common;
use common::{comlife, temp_dir};

const F7: &str = "traces/atl9-sta/baseline/no-exit-with-live-objects.itf.json";

#[test]
fn f7_trace_writes_a_reproducer_with_the_traces_schedule_and_hresults() {
    let scratch = temp_dir("repro-f7");
    let dir = scratch.join("out");
    let (code, _, err) = comlife(&["repro", F7, "-o", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for f in [
        "server.c",
        "client.c",
        "evt.h",
        "build-mingw.sh",
        "build-msvc.cmd",
        "register.sh",
        "register.reg",
        "run.sh",
        "expected.txt",
        "README.md",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    // The server's lifetime code and the schedule point for the activation in the window.
    assert!(read("register.sh").contains("--atl9 --timeout 1000 --pause after-monitor-read=3000"));
    let run = read("run.sh");
    assert!(run.contains(
        "--as client2 'wait-event' 'prog=server schedule-point name=after-monitor-read' 'cocreate'"
    ));
    // The call after the trace waits until the server's process has ended, not only until it
    // logged its exit: a call into a process still tearing down its endpoints is cut off
    // (RPC_S_CALL_FAILED), which the trace does not say.
    assert!(
        run.contains("'wait-exit' 'prog=server exit ' 'call'"),
        "{run}"
    );
    // The HRESULTs of the trace: client 2's CoCreateInstance S_OK (in transit at the last
    // state), its call after the exit RPC_S_SERVER_UNAVAILABLE.
    let exp = read("expected.txt");
    assert!(
        exp.contains("client2 1 CoCreateInstance S_OK 0x00000000"),
        "{exp}"
    );
    assert!(
        exp.contains("client2 2 Call RPC_S_SERVER_UNAVAILABLE 0x800706ba"),
        "{exp}"
    );
    assert!(read("build-msvc.cmd").contains("Untested"));
    assert!(read("README.md").contains("What Wine does instead"));

    // A second run into the same, now non-empty, directory is refused without --force.
    let (code, _, err) = comlife(&["repro", F7, "-o", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not empty") && err.contains("--force"),
        "{err}"
    );
    let (code, _, err) = comlife(&["repro", F7, "-o", dir.to_str().unwrap(), "--force"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn unsupported_scenario_or_toggles_are_refused_naming_what_is_supported() {
    let base = temp_dir("repro-refused");
    for (trace, why) in [
        // The service host (CoDisconnectContext is a stub on Wine) and ATL 10+: no lifetime
        // code in the harness's programs.
        (
            "traces/service/baseline/client-sees-disconnected.itf.json",
            "scenario service is not expressed",
        ),
        (
            "traces/atl14-sta/baseline/launcher-unserved-exit.itf.json",
            "scenario atl14-sta is not expressed",
        ),
        // A toggle server.c does not implement.
        (
            "traces/atl9-sta/with-process-count-lock/launcher-unserved-exit.itf.json",
            "toggles process-count-lock",
        ),
        // A server step no switch drives (the user closing the server).
        (
            "traces/local-sta/with-exited-instance-fails/activation-answered.itf.json",
            "UserCloseDisconnect is not something the harness can drive",
        ),
    ] {
        let out = base.join("out");
        let (code, stdout, err) = comlife(&["repro", trace, "-o", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{trace}: {err}");
        assert!(stdout.is_empty());
        assert!(err.contains(why), "{trace}: {err}");
        if !why.contains("UserCloseDisconnect") {
            assert!(
                err.contains("repro supports: local-sta")
                    && err.contains("atl9-sta")
                    && err.contains("inproc"),
                "{err}"
            );
        }
        assert!(!out.exists(), "{trace}: nothing may be written");
    }
}

/// Each finding's trace that repro writes a reproducer for: (finding, trace, the programs).
const FINDINGS: &[(&str, &str, &str)] = &[
    (
        "F-1",
        "traces/local-sta/baseline/launcher-unserved-exit.itf.json",
        "exe",
    ),
    (
        "F-3",
        "traces/inproc/baseline/no-unload-while-live.itf.json",
        "inproc",
    ),
    (
        "F-4",
        "traces/local-multi-sta/baseline/no-exit-with-live-objects.itf.json",
        "exe",
    ),
    (
        "F-5",
        "traces/local-sta/baseline/available-under-user-control.itf.json",
        "exe",
    ),
    (
        "F-6",
        "traces/inproc/with-wine-candidate-list/no-unload-while-live.itf.json",
        "inproc",
    ),
    (
        "F-6",
        "traces/inproc/baseline+on-wine/no-unload-while-live.itf.json",
        "inproc",
    ),
    (
        "F-7",
        "traces/atl9-sta/baseline/no-exit-with-live-objects.itf.json",
        "exe",
    ),
    (
        "F-8",
        "traces/atl9-mta/baseline/no-exit-with-live-objects.itf.json",
        "exe",
    ),
    (
        "F-10",
        "traces/mfc-sta/with-modal-dialog/server-eventually-exits.itf.json",
        "exe",
    ),
];

/// The trace's states.
fn states(trace: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(trace).unwrap()).unwrap();
    v["states"].as_array().unwrap().clone()
}

/// Each client's HRESULTs observed at the trace's last state, in order (read from the ITF
/// directly, not through repro).
fn observed(trace: &str) -> Vec<(String, Vec<String>)> {
    let st = states(trace);
    let last = st.last().unwrap();
    (1..=4)
        .map(|c| format!("client{c}"))
        .filter(|c| last.get(c).is_some())
        .map(|c| {
            let tags = last[&c]["value"]["observed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["#tup"][1].as_str().unwrap().to_string())
                .collect();
            (c, tags)
        })
        .collect()
}

/// The driver steps (1-based, counting the trace's steps) of the sweeps that free the DLL and
/// of those that do not, read from the trace's DLL unload count.
fn sweeps(trace: &str) -> (Vec<usize>, Vec<usize>) {
    let st = states(trace);
    let unloads = |k: usize| {
        st[k]["clientProcess"]["value"]["dll"]["unloads"]["#bigint"]
            .as_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    let (mut freed, mut kept) = (vec![], vec![]);
    for (k, step) in st.iter().enumerate().skip(1) {
        if step["#meta"]["actionItf"]
            .as_str()
            .unwrap()
            .contains("\"Sweep\"")
        {
            if unloads(k) > unloads(k - 1) {
                freed.push(k);
            } else {
                kept.push(k);
            }
        }
    }
    (freed, kept)
}

#[test]
fn every_findings_trace_gets_a_reproducer_whose_expectations_are_the_traces() {
    let base = temp_dir("repro-findings");
    for (n, (finding, trace, kind)) in FINDINGS.iter().enumerate() {
        let dir = base.join(format!("{n}-{finding}"));
        let (code, _, err) = comlife(&["repro", trace, "-o", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{finding} {trace}: {err}");
        let sources: &[&str] = if *kind == "exe" {
            &["server.c", "client.c", "evt.h"]
        } else {
            &["dll.c", "inproc.c", "inproc.h", "evt.h"]
        };
        for f in sources.iter().chain(&[
            "build-mingw.sh",
            "build-msvc.cmd",
            "register.sh",
            "register.reg",
            "run.sh",
            "expected.txt",
            "README.md",
        ]) {
            assert!(dir.join(f).is_file(), "{finding}: {f} missing");
        }
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let readme = read("README.md");
        assert!(
            readme.contains(&format!("**{finding}**")),
            "{finding}: {readme}"
        );
        assert!(
            readme.contains("What to expect on Windows")
                && readme.contains("What Wine does instead")
        );
        assert!(read("build-msvc.cmd").contains("Untested"));
        let exp = read("expected.txt");
        if *kind == "exe" {
            // Every HRESULT each client observes in the trace, in order, with its hex code.
            for (client, tags) in observed(trace) {
                let listed: Vec<&str> = exp
                    .lines()
                    .filter(|l| l.starts_with(&format!("{client} ")))
                    .map(|l| l.split(' ').nth(3).unwrap())
                    .collect();
                assert!(
                    listed.len() >= tags.len() && listed[..tags.len()] == tags[..],
                    "{finding}: {client} observes {tags:?} in the trace, expected.txt lists {listed:?}"
                );
                for l in exp.lines().filter(|l| l.starts_with(&format!("{client} "))) {
                    let hex = l.split(' ').nth(4).unwrap();
                    assert!(
                        readme.contains(&hex.to_uppercase().replace("0X", "0x")),
                        "{finding}: {hex} not in README"
                    );
                }
            }
        } else {
            let (freed, kept) = sweeps(trace);
            assert!(
                !freed.is_empty() || !kept.is_empty(),
                "{finding}: the trace sweeps"
            );
            for k in freed {
                assert!(
                    exp.contains(&format!("\n{k} Sweep freed")),
                    "{finding}: step {k} frees: {exp}"
                );
            }
            for k in kept {
                assert!(
                    exp.contains(&format!("\n{k} Sweep kept")),
                    "{finding}: step {k} keeps: {exp}"
                );
            }
        }
    }
}

/// The new reproducers (F-4, F-5, F-6, F-8 and F-10's) build with mingw-w64. Without the toolchain
/// (harness/setup installs it) the test says so and checks nothing more.
#[test]
fn new_reproducers_build_with_mingw_when_it_is_installed() {
    let have = std::process::Command::new("x86_64-w64-mingw32-gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("x86_64-w64-mingw32-gcc not found (harness/setup installs it): not built");
        return;
    }
    let base = temp_dir("repro-build");
    for (trace, outputs) in [
        (FINDINGS[2].1, &["server.exe", "client.exe"][..]),
        (FINDINGS[3].1, &["server.exe", "client.exe"][..]),
        (FINDINGS[5].1, &["comlife_dll.dll", "inproc.exe"][..]),
        (FINDINGS[7].1, &["server.exe", "client.exe"][..]),
        (FINDINGS[8].1, &["server.exe", "client.exe"][..]),
    ] {
        let dir = base.join(trace.replace('/', "_"));
        let (code, _, err) = comlife(&["repro", trace, "-o", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let out = std::process::Command::new(dir.join("build-mingw.sh"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{trace}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for o in outputs {
            assert!(
                dir.join("bin").join(o).is_file(),
                "{trace}: bin/{o} missing"
            );
        }
    }
}

#[test]
fn bad_input_is_refused_with_nothing_written() {
    let base = temp_dir("repro-bad");
    let bad = base.join("bad.itf.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let out = base.join("out");
    let (code, _, err) = comlife(&["repro", bad.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(!out.exists());
    let (code, _, err) = comlife(&["repro", "no/such.itf.json", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(!out.exists());
    // -o naming a regular file.
    let file = base.join("file");
    std::fs::write(&file, "x").unwrap();
    let (code, _, err) = comlife(&["repro", F7, "-o", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

/// "Mechanism disabled" counterexamples: a COM mechanism no program can disable on Windows
/// (Wine lacks it; the README says so), and a toggle that becomes a switch (`unload-delay`
/// disabled: dwUnloadDelay 0).
#[test]
fn mechanism_disabled_traces_get_reproducers() {
    let base = temp_dir("repro-disabled");
    let dir = base.join("lockserver");
    let trace = "traces/local-sta/implicit-lockserver/factory-stays-connected.itf.json";
    let (code, _, err) = comlife(&["repro", trace, "-o", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let read = |d: &std::path::Path, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    assert!(read(&dir, "README.md").contains("COM's own mechanism disabled"));
    // The trace ends with the server exited and client 1 holding only the class-object proxy:
    // its CreateInstance after the exit is a call into an exited process.
    let last = states(trace).last().unwrap().clone();
    assert_eq!(last["serverInstance1"]["value"]["status"]["tag"], "Exited");
    assert_eq!(last["client1"]["value"]["factory"]["tag"], "Some");
    assert!(
        read(&dir, "expected.txt")
            .contains("client1 2 CreateInstance RPC_S_SERVER_UNAVAILABLE 0x800706ba"),
        "{}",
        read(&dir, "expected.txt")
    );
    // Client 1's activation launched the server and is answered in the trace before client 2's:
    // client 2 waits for client 1's `done` line, in the format harness/client.c writes it.
    assert!(read(&dir, "run.sh").contains("'wait-event' 'prog=client1 done step=1 op=' 'cocreate'"));
    let client_c = std::fs::read_to_string("harness/client.c").unwrap();
    assert!(client_c.contains(r#"evt("done", "step=%d op=%s hr=0x%08lx;""#));
    let dir = base.join("delay");
    let (code, _, err) = comlife(&[
        "repro",
        "traces/inproc/unload-delay/no-unload-while-live.itf.json",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(read(&dir, "run.sh").contains("bin/inproc.exe --delay 0 "));
}
