//! Long runs that talk (issue 20 §3): a memory bound that ends a run cleanly with `unknown`
//! verdicts and a message, a warning before a run known to be costly, and a simulation compared
//! only on what random walks can establish. (The progress lines' format is tested in
//! cli/long_run.rs; when they appear depends on time, which tests do not assert.)

mod common;
use common::{comlife, temp_dir};

use comlife::verify::memory::{machine_bytes, resident_bytes, MemoryBound, DEFAULT_SHARE};

/// Parses `check --json` output.
fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).expect("check --json prints one JSON object")
}

/// A run that exceeds `--max-memory` stops: every verdict it did not establish is `unknown`,
/// JSON and stderr say where it stopped, which bound, and how to go on; unknown verdicts do not
/// match the pinned ones (exit 1), in both forms of a single run.
#[test]
fn memory_bound_ends_the_run_with_unknown_verdicts_and_advice() {
    let (code, out, err) = comlife(&[
        "check",
        "--scenario",
        "local-sta",
        "--json",
        "--max-memory",
        "1",
        "--no-traces",
    ]);
    assert_eq!(code, 1, "{err}");
    let v = json(&out);
    assert_eq!(v["complete"], false);
    let props = v["properties"].as_array().unwrap();
    // Resident memory is above 1 MiB before the first level is merged: nothing is established.
    assert!(props.iter().all(|p| p["verdict"] == "unknown"), "{v}");
    let stopped = v["stopped"].as_str().unwrap();
    for part in [
        "above --max-memory 1 MiB",
        "verdicts not established are unknown",
        "--max-memory MIB",
        "--simulate RUNS",
    ] {
        assert!(stopped.contains(part), "{part}: {stopped}");
    }
    assert!(err.contains("incomplete: stopped at"), "{err}");

    let (code, out, err) = comlife(&[
        "check",
        "spec/scenarios/local-sta.toml",
        "--max-memory",
        "1",
        "--no-traces",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("above --max-memory 1 MiB"), "{err}");
    assert!(
        out.contains("got unknown") || err.contains("got unknown"),
        "{out}{err}"
    );
}

/// Without `--max-memory`, the bound is a share of the machine's memory, said so in words.
#[test]
fn the_default_memory_bound_is_a_share_of_the_machine() {
    let machine = machine_bytes().expect("the machine's memory is readable on Linux");
    let bound = MemoryBound::machine_default().expect("a default bound");
    assert_eq!(bound.bytes(), machine / DEFAULT_SHARE.1 * DEFAULT_SHARE.0);
    assert!(resident_bytes().unwrap() < bound.bytes());
    let words = bound.describe();
    assert!(
        words.starts_with("the default memory bound of ")
            && words.contains(&format!("of this machine's {} MiB", machine >> 20)),
        "{words}"
    );
    assert_eq!(
        MemoryBound::Given(512 << 20).describe(),
        "--max-memory 512 MiB"
    );
}

/// A configuration known to be costly is warned about on stderr before it is explored, with
/// the way out; a cheap one, and a simulation, are not.
#[test]
fn a_costly_configuration_is_warned_about_first() {
    let (code, _, err) = comlife(&[
        "check",
        "--scenario",
        "local-sta",
        "--clients",
        "3",
        "--max-states",
        "1000",
        "--no-traces",
    ]);
    assert_eq!(code, 0, "{err}");
    let warning = err
        .find("comlife: warning: local-sta baseline: with 3 clients this run is known to be costly")
        .unwrap_or_else(|| panic!("no warning: {err}"));
    // The run's own note comes after it: the warning is printed before exploring.
    let note = err
        .find("not compared")
        .expect("a 3-client run is not compared");
    assert!(warning < note, "{err}");
    for part in [
        "112424 unique states",
        "symmetry reduction is on",
        "--simulate 20000",
        "bounded",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }

    for args in [
        &["check", "--scenario", "local-sta", "--max-states", "1000"][..],
        &[
            "check",
            "--scenario",
            "inproc",
            "--clients",
            "3",
            "--max-states",
            "1000",
        ],
        &[
            "check",
            "--scenario",
            "mfc-sta",
            "--clients",
            "3",
            "--max-states",
            "1000",
        ],
        &[
            "check",
            "--scenario",
            "local-sta",
            "--clients",
            "3",
            "--simulate",
            "5",
        ],
    ] {
        let (_, _, err) = comlife(&[args, &["--no-traces"]].concat());
        assert!(!err.contains("warning"), "{args:?}: {err}");
    }
}

/// A simulation of a description with an `[expect]` compares only what random walks can
/// establish: it exits 0 when nothing it established contradicts, and says how many expected
/// verdicts it established and how many it cannot.
#[test]
fn simulation_compares_only_what_it_can_establish() {
    let (code, out, err) = comlife(&[
        "check",
        "spec/scenarios/local-sta.toml",
        "--simulate",
        "300",
        "--json",
        "--no-traces",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let props = v["properties"].as_array().unwrap();
    let established = props.iter().filter(|p| p["matches"] == true).count();
    let not_established = props
        .iter()
        .filter(|p| p["not_established"] == true)
        .count();
    assert!(established > 0 && not_established > 0, "{v}");
    assert_eq!(established + not_established, props.len(), "{v}");
    // What a simulation cannot establish is unknown, never holds for always/eventually.
    for p in props {
        if p["not_established"] == true {
            assert_eq!(p["verdict"], "unknown", "{p}");
            assert_eq!(p["matches"], serde_json::Value::Null, "{p}");
        }
    }
    assert!(
        err.contains(&format!(
            "regression check of spec/scenarios/local-sta.toml's [expect]: {established} of {} \
             expected verdicts established by simulation and matching; {not_established} cannot \
             be established by simulation",
            props.len()
        )),
        "{err}"
    );

    // Against spec/expectations.toml too.
    let (code, out, err) = comlife(&[
        "check",
        "--scenario",
        "local-sta",
        "--simulate",
        "300",
        "--no-traces",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "regression check: {established} verdicts as pinned in spec/expectations.toml, 0 \
             differ; {not_established} cannot be established by simulation"
        )),
        "{out}"
    );
    assert!(out.contains("not established by simulation"), "{out}");
}

/// A simulation that finds a counterexample to a property the `[expect]` says holds, or an
/// example of a sometimes property it says no state reaches, contradicts it: exit 1.
#[test]
fn simulation_that_contradicts_the_expect_exits_1() {
    let dir = temp_dir("contradicts");
    let text = std::fs::read_to_string("spec/scenarios/local-sta.toml").unwrap();
    for (from, to, property, got) in [
        (
            "\"available-under-user-control\" = \"violated\"",
            "\"available-under-user-control\" = \"holds\"",
            "available-under-user-control",
            "violated",
        ),
        (
            "\"object-used\" = \"holds\"",
            "\"object-used\" = \"violated\"",
            "object-used",
            "holds",
        ),
    ] {
        assert!(text.contains(from));
        let file = dir.join("local-sta.toml");
        std::fs::write(&file, text.replace(from, to)).unwrap();
        let (code, out, err) = comlife(&[
            "check",
            file.to_str().unwrap(),
            "--simulate",
            "300",
            "--no-traces",
        ]);
        assert_eq!(code, 1, "{out}{err}");
        let expected = if got == "violated" {
            "holds"
        } else {
            "violated"
        };
        assert!(
            err.contains(&format!("{property}: expected {expected}, got {got}")),
            "{err}"
        );
        assert!(
            out.contains("established by simulation and matching"),
            "{out}"
        );
    }
}
