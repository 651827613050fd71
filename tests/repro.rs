//! `comlife repro`: the refusals (exit 2, nothing written) and F-7's reproducer's files.

mod common;
use common::{comlife, temp_dir};

const F7: &str = "traces/atl9-sta/baseline/no-exit-with-live-objects.itf.json";

#[test]
fn f7_trace_writes_a_reproducer_with_the_traces_schedule_and_hresults() {
    let dir = temp_dir("repro-f7").join("out");
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
    for trace in [
        "traces/local-sta/baseline/launcher-unserved-exit.itf.json",
        "traces/atl9-sta/with-process-count-lock/launcher-unserved-exit.itf.json",
    ] {
        let out = base.join("out");
        let (code, stdout, err) = comlife(&["repro", trace, "-o", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{trace}: {err}");
        assert!(stdout.is_empty());
        assert!(err.contains("repro supports: atl9-sta"), "{err}");
        assert!(!out.exists(), "{trace}: nothing may be written");
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
