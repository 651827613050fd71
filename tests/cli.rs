//! The command line: exit statuses, JSON shape, bad input, generated tables.

mod common;
use common::{comlife, temp_dir};

use std::process::Command;

#[test]
fn unknown_names_exit_2_and_list_valid_ones() {
    let (code, out, err) = comlife(&["check", "--scenario", "nope"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("unknown scenario 'nope'") && err.contains("local-sta, local-multi-sta"),
        "{err}"
    );

    // A scenario's old name (docs/renames.md) is unknown too, and the message gives the new one.
    let (code, out, err) = comlife(&["check", "--scenario", "local-mta"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains(
            "unknown scenario 'local-mta' (renamed to 'local-multi-sta', see docs/renames.md)"
        ),
        "{err}"
    );
    let (code, out, err) = comlife(&["new", "--from", "local-mta"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("renamed to 'local-multi-sta'"), "{err}");

    let (code, _, err) = comlife(&["check", "--scenario", "local-sta", "--disable", "bogus"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown name 'bogus'") && err.contains("implicit-lockserver"),
        "{err}"
    );

    let (code, _, err) = comlife(&[
        "check",
        "--scenario",
        "local-multi-sta",
        "--disable",
        "user-control",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("does not apply"), "{err}");

    let (code, _, err) = comlife(&["check", "--clients", "9"]);
    assert_eq!(code, 2);
    assert!(err.contains("1 to 4"), "{err}");

    let (code, _, err) = comlife(&["check", "--scenario", "inproc", "--enable", "unload-delay"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("use --disable") && err.contains("dll-counts-factories"),
        "{err}"
    );

    let (code, _, err) = comlife(&[
        "check",
        "--scenario",
        "inproc",
        "--disable",
        "dll-counts-factories",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("use --enable"), "{err}");

    // A multi-toggle matrix run is compared with spec/expectations.toml too.
    let (code, out, _) = comlife(&[
        "check",
        "--scenario",
        "inproc",
        "--enable",
        "dll-counts-factories",
        "--disable",
        "unload-delay",
        "--no-traces",
    ]);
    assert_eq!(code, 0, "{out}");
    let table = &out[out.find("Every verdict").expect("a titled table")..];
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("inproc ")).collect();
    assert!(!rows.is_empty());
    assert!(
        out.lines().last().unwrap().starts_with(&format!(
            "regression check: {} verdicts as pinned in spec/expectations.toml, 0 differ (",
            rows.len()
        )),
        "{out}"
    );
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(
            ["holds", "violated"].contains(&cols[3]),
            "expected verdict shown: {row}"
        );
    }

    let (code, _, _) = comlife(&["frobnicate"]);
    assert_eq!(code, 2);
}

/// `check --json` of one run with a counterexample and an example.
const ONE_RUN_JSON: [&str; 6] = [
    "check",
    "--scenario",
    "local-multi-sta",
    "--disable",
    "auto-suspend",
    "--json",
];

#[test]
fn json_has_the_documented_shape() {
    let (code, out, _) = comlife(&ONE_RUN_JSON);
    assert_eq!(code, 0, "verdicts match spec/expectations.toml");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["scenario"], "local-multi-sta");
    assert_eq!(v["disabled"], serde_json::json!(["auto-suspend"]));
    assert_eq!(v["clients"], 2);
    assert_eq!(v["complete"], true);
    for k in ["unique_states", "states", "max_depth"] {
        assert!(v[k].as_u64().unwrap() > 0, "{k}");
    }
    assert!(v["seconds"].is_number());
    let props = v["properties"].as_array().unwrap();
    let p = props
        .iter()
        .find(|p| p["name"] == "no-handout-after-shutdown")
        .unwrap();
    assert_eq!(p["expectation"], "always");
    assert_eq!(p["verdict"], "violated");
    assert!(p["trace_length"].as_u64().unwrap() > 0);
    let p = props
        .iter()
        .find(|p| p["name"] == "no-startup-exit")
        .unwrap();
    assert_eq!(p["verdict"], "holds");
    assert!(p["trace_length"].is_null());
    // The comparison with spec/expectations.toml.
    assert_eq!(v["compared"], true);
    assert!(v["not_compared"].is_null());
    assert_eq!(v["mismatches"], 0);
    // The state count pinned beside the verdicts, and met.
    assert_eq!(v["pinned_unique_states"], v["unique_states"]);
    for p in props {
        assert_eq!(p["expected"], p["verdict"], "{p}");
        assert_eq!(p["matches"], true, "{p}");
    }
    // The answer, as the printed output gives it: the defect, what explains it (the disabled
    // mechanism), its properties and shortest trace, and the remedy search's account.
    let a = &v["answer"];
    assert!(
        a["headline"]
            .as_str()
            .unwrap()
            .starts_with("local-multi-sta auto-suspend: "),
        "{a}"
    );
    assert_eq!(a["proves_safe"], false);
    let defects = a["defects"].as_array().unwrap();
    assert!(!defects.is_empty(), "{a}");
    let d = defects
        .iter()
        .find(|d| {
            d["properties"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == "no-handout-after-shutdown")
        })
        .unwrap_or_else(|| panic!("a defect with no-handout-after-shutdown: {a}"));
    assert!(d["steps"].as_u64().unwrap() > 0);
    assert!(
        d["shortest_trace"].is_null(),
        "a single run writes no trace without --traces: {d}"
    );
    assert!(a["remedies_from"].is_object(), "{a}");
}

#[test]
fn json_answer_names_the_finding_and_the_checked_remedy() {
    let (code, out, err) = comlife(&["check", "--scenario", "atl9-sta", "--json", "--no-traces"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["answer"]["defects"][0];
    assert_eq!(d["cause"]["finding"], "F-7", "{d}");
    assert!(
        d["cause"]["title"].as_str().unwrap().contains("monitor"),
        "{d}"
    );
    assert!(
        d["shortest_trace"].is_null(),
        "--no-traces writes none: {d}"
    );
    let r = &d["remedies"][0];
    assert_eq!(r["remedy"], "process-count-lock", "{d}");
    assert_eq!(r["breaks"], serde_json::json!([]));
    assert_eq!(
        r["repairs"], d["properties"],
        "it repairs all of F-7's properties"
    );
    let f = &r["fixes"][0];
    assert_eq!(f["kind"], "remedy");
    assert!(f["code_shape"]
        .as_str()
        .unwrap()
        .contains("CoAddRefServerProcess"));
    assert_eq!(f["apply"], "--enable process-count-lock");
    assert_eq!(r["evidence"]["searched"]["complete"], true);
    assert_eq!(
        v["answer"]["remedies_from"]["search"]["tried"],
        serde_json::json!(["process-count-lock"])
    );
}

#[test]
fn baseline_violations_name_their_finding() {
    let (code, out, _) = comlife(&["check", "--scenario", "local-multi-sta", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let props = v["properties"].as_array().unwrap();
    let finding = |name: &str| props.iter().find(|p| p["name"] == name).unwrap()["finding"].clone();
    assert_eq!(finding("no-exit-with-live-objects"), "F-4");
    assert!(finding("launcher-unserved-exit").is_null());
    assert!(finding("no-startup-exit").is_null());

    let (code, out, _) = comlife(&["check", "--scenario", "local-multi-sta"]);
    assert_eq!(code, 0);
    let table = &out[out.find("Every verdict").expect("a titled table")..];
    let row = table
        .lines()
        .find(|l| l.contains("clean-disconnect"))
        .unwrap();
    assert!(row.ends_with("F-4 (spec/findings.md)"), "{row}");
}

/// The `[findings]` table of spec/expectations.toml names a finding for every pinned violation
/// of a baseline, each finding it names exists in spec/findings.md, and it names findings only
/// for violations.
#[test]
fn every_baseline_violation_has_a_finding() {
    use comlife::com::scenario::Scenario;
    use comlife::com::toggle_set::ToggleSet;
    use comlife::verify::check::Verdict;
    use comlife::verify::properties::PROPERTIES;
    let exp = comlife::verify::expectations::Expectations::embedded();
    let findings =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/findings.md")).unwrap();
    for s in Scenario::ALL {
        for p in PROPERTIES.iter().filter(|p| (p.applies)(s)) {
            // Violated: a counterexample for always/eventually, no example for sometimes.
            if exp.get(s, ToggleSet::EMPTY, p.name) == Some(Verdict::Violated) {
                assert!(
                    exp.finding(s, ToggleSet::EMPTY, p.name).is_some(),
                    "{} baseline {} is violated but [findings] names no finding",
                    s.name(),
                    p.name
                );
            }
        }
    }
    let mut n = 0;
    for (s, t, p, id) in exp.findings() {
        n += 1;
        assert!(
            findings.contains(&format!("## {id}: ")),
            "{id} is not a finding in spec/findings.md"
        );
        assert_eq!(
            exp.get(s, t, p),
            Some(Verdict::Violated),
            "[findings.{}.{}] {p}: a finding is named only for a pinned violation",
            s.name(),
            t.label()
        );
    }
    assert!(n >= 10, "the table is read ({n} entries)");
}

#[test]
fn runs_that_are_not_pinned_say_so() {
    let (code, out, err) = comlife(&["check", "--scenario", "inproc", "--clients", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("not compared with spec/expectations.toml") && err.contains("1 clients"),
        "{err}"
    );
    assert!(
        out.lines().last().unwrap().contains(
            "0 verdicts as pinned in spec/expectations.toml, 0 differ; 1 run(s) not compared"
        ),
        "{out}"
    );
    let (code, out, err) = comlife(&[
        "check",
        "--scenario",
        "inproc",
        "--disable",
        "unload-delay",
        "--disable",
        "client-locks-factory",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("is not a run of the matrix"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["compared"], false);
    assert!(v["not_compared"]
        .as_str()
        .unwrap()
        .contains("not a run of the matrix"));
    for p in v["properties"].as_array().unwrap() {
        assert!(p["expected"].is_null() && p["matches"].is_null(), "{p}");
    }
}

#[test]
fn bounded_run_reports_incomplete_and_unknown() {
    let (code, out, _) = comlife(&[
        "check",
        "--scenario",
        "local-sta",
        "--json",
        "--max-states",
        "200",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["complete"], false);
    assert!(v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["expectation"] == "sometimes" || p["verdict"] != "holds"));
    assert_eq!(
        code, 1,
        "an incomplete run does not match the pinned verdicts"
    );
}

#[test]
fn list_json_names_everything() {
    let (code, out, _) = comlife(&["list", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let scenarios = v["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), comlife::com::scenario::Scenario::ALL.len());
    assert!(scenarios
        .iter()
        .any(|s| s["name"] == "atl9-sta" && s["source"].as_str().unwrap().contains("ATL 7.0")));
    assert_eq!(
        v["mechanisms"].as_array().unwrap().len(),
        comlife::com::toggles::Toggle::ALL.len()
    );
    assert!(v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "no-exit-while-locked"));
}

/// spec/generated.md is the output of `comlife list --markdown`; regenerate it when this fails.
#[test]
fn generated_tables_are_up_to_date() {
    let generated = comlife::verify::tables::markdown();
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/generated.md"))
            .expect("spec/generated.md exists");
    assert!(
        checked_in == generated,
        "spec/generated.md is stale: run `cargo run --release -- list --markdown > spec/generated.md`"
    );
}

/// Every rule ID a property or mechanism cites exists in the rule table.
#[test]
fn cited_rules_exist() {
    use comlife::com::rules::rule;
    use comlife::com::toggles::Toggle;
    use comlife::verify::properties::PROPERTIES;
    for p in PROPERTIES {
        for r in p.rules {
            assert!(rule(r).is_some(), "{} cites unknown rule {r}", p.name);
        }
    }
    for m in Toggle::ALL {
        for r in m.rules() {
            assert!(rule(r).is_some(), "{} cites unknown rule {r}", m.name());
        }
    }
}

/// README.md links the generated lists (spec/generated.md, checked above) instead of copying
/// them (issue 18): a copy would go stale.
#[test]
fn readme_links_the_generated_lists() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains("spec/generated.md"));
    assert!(
        !readme.contains("GENERATED") && !readme.contains("generated by `cargo run -- list"),
        "README.md copies the generated lists; link spec/generated.md instead"
    );
}

/// The JSON of a run without its timing.
fn untimed(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v.as_object_mut().unwrap().remove("seconds");
    if let Some(search) = v.pointer_mut("/answer/remedies_from/search") {
        search.as_object_mut().unwrap().remove("seconds");
    }
    // The trace files' directory is the run's own (compared apart, with the files).
    if let Some(defects) = v.pointer_mut("/answer/defects") {
        for d in defects.as_array_mut().unwrap() {
            d.as_object_mut().unwrap().remove("shortest_trace");
        }
    }
    v
}

/// Every file below `dir`, relative path and content, sorted.
fn tree(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// The whole matrix (with one client, so that it is quick) prints the same rows and writes
/// byte-identical traces whether its runs go one at a time (`--threads 1`) or spread over
/// workers (`--threads 3`), which finish them out of order.
#[test]
fn matrix_output_does_not_depend_on_workers() {
    // Times (the only decimals in the rows) vary from run to run; everything else must not.
    let untimed_rows = |out: &str| -> Vec<String> {
        out.lines()
            .map(|l| {
                l.split_whitespace()
                    .filter(|t| !(t.contains('.') && t.parse::<f64>().is_ok()))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let mut runs = Vec::new();
    for t in ["1", "3"] {
        let dir = temp_dir(&format!("matrix-workers{t}"));
        let (code, out, err) = comlife(&[
            "check",
            "--clients",
            "1",
            "--long",
            "--threads",
            t,
            "--traces",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        runs.push((untimed_rows(&out), tree(&dir)));
    }
    assert!(runs[0].0.len() > 1000 && !runs[0].1.is_empty());
    assert_eq!(runs[0], runs[1]);
}

/// `--threads 1` and `--threads 2` give the same counts, verdicts and byte-identical traces.
#[test]
fn thread_count_changes_no_result() {
    let mut runs = Vec::new();
    for t in ["1", "2"] {
        let dir = temp_dir(&format!("threads{t}"));
        let args = [
            &ONE_RUN_JSON[..],
            &["--threads", t, "--traces", dir.to_str().unwrap()],
        ];
        let (code, out, err) = comlife(&args.concat());
        assert_eq!(code, 0, "{err}");
        runs.push((untimed(&out), tree(&dir)));
    }
    assert!(!runs[0].1.is_empty());
    assert_eq!(runs[0], runs[1]);
}

/// `--simulate` is reproducible from its seed on any thread count, contradicts no pinned
/// verdict, and every trace it writes replays.
#[test]
fn simulation_is_reproducible_and_its_traces_replay() {
    let dir = temp_dir("simulate");
    let args = |threads: &'static str, traces: Option<&str>| {
        let mut a = vec![
            "check",
            "--scenario",
            "local-sta",
            "--disable",
            "implicit-lockserver",
            "--json",
            "--simulate",
            "400",
            "--seed",
            "7",
            "--threads",
            threads,
        ];
        if let Some(d) = traces {
            a.extend(["--traces", d]);
        }
        comlife(&a)
    };
    let (code, one, err) = args("1", Some(dir.to_str().unwrap()));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("distinct states") && err.contains("not necessarily shortest"),
        "{err}"
    );
    let (_, two, _) = args("2", None);
    assert_eq!(untimed(&one), untimed(&two));
    let v = untimed(&one);
    assert_eq!(v["simulated"], true);
    assert_eq!(v["complete"], false);
    let shown = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["verdict"] != "unknown")
        .count();
    assert!(shown > 0, "400 walks show something");
    let files: Vec<_> = tree(&dir)
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().ends_with(".itf.json"))
        .collect();
    assert_eq!(files.len(), shown);
    for (p, _) in files {
        let (code, _, err) = comlife(&["replay", dir.join(&p).to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", p.display());
    }
}

/// Impossible bounds are usage errors (exit 2).
#[test]
fn impossible_bounds_exit_2() {
    for args in [
        &["check", "--scenario", "inproc", "--threads", "0"][..],
        &["check", "--scenario", "inproc", "--max-memory", "0"],
        &["check", "--scenario", "inproc", "--simulate", "0"],
        &[
            "check",
            "--scenario",
            "inproc",
            "--simulate",
            "5",
            "--depth",
            "0",
        ],
        &["check", "--scenario", "inproc", "--seed", "5"],
        &[
            "check",
            "--scenario",
            "inproc",
            "--simulate",
            "5",
            "--max-states",
            "9",
        ],
        &["bench", "--scenario", "inproc", "--threads", "0"],
        &["bench", "--families", "--scenario", "nowhere"],
        &["bench", "--families", "--clients", "9"],
    ] {
        let (code, _, err) = comlife(args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
}

/// A closed stdout ends the program quietly (SIGPIPE's default action), never with a panic
/// ("failed printing to stdout") and exit status 101.
#[test]
fn a_closed_stdout_ends_quietly() {
    for args in [
        &["list"][..],
        &[
            "check",
            "--scenario",
            "inproc",
            "--show-traces",
            "--no-traces",
        ][..],
    ] {
        for _ in 0..5 {
            let mut child = Command::new(env!("CARGO_BIN_EXE_comlife"))
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            drop(child.stdout.take()); // the reader goes away before the first write
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                !err.contains("panicked") && !err.contains("Broken pipe"),
                "{err}"
            );
            assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
        }
    }
}

#[test]
fn json_and_show_traces_do_not_mix() {
    let (code, out, err) = comlife(&["check", "--scenario", "inproc", "--json", "--show-traces"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("--show-traces") && err.contains("--json"),
        "{err}"
    );
}

#[test]
fn trace_pages_never_overwrite_the_input_or_create_directories() {
    let dir = temp_dir("pages");
    let input = dir.join("t.itf.json");
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/traces/inproc/baseline/no-unload-while-live.itf.json"
    );
    std::fs::copy(src, &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let inp = input.to_str().unwrap();
    let (code, _, err) = comlife(&["trace", "html", inp, "-o", inp]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(
        std::fs::read(&input).unwrap(),
        before,
        "the input is untouched"
    );
    let missing = dir.join("no/such/dir/x.html");
    let (code, _, err) = comlife(&["trace", "html", inp, "-o", missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(!dir.join("no").exists(), "no directory was created");
    let (code, _, _) = comlife(&["trace", "md", inp]);
    assert_eq!(code, 0, "the default output beside the input still works");
}

/// `bench` measures each run in a child process of its own (so each peak memory is that run's
/// own); the child prints one JSON measure.
#[test]
fn bench_measures_each_run_in_its_own_process() {
    let (code, out, err) = comlife(&["bench", "--child", "comlife", "--scenario", "inproc"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON measure");
    assert_eq!(v["unique"], 1969);
    assert!(v["seconds"].is_number());
    let (code, out, err) = comlife(&["bench", "--scenario", "inproc", "--no-stateright"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().nth(1).unwrap().starts_with("inproc "), "{out}");
    // Bytes per unique state (peak RSS over unique states), for the reduced and unreduced runs.
    assert_eq!(
        out.lines().next().unwrap().matches("B/state").count(),
        2,
        "{out}"
    );
    let cols: Vec<&str> = out.lines().nth(1).unwrap().split_whitespace().collect();
    let b_state: f64 = cols[8]
        .parse()
        .expect("the reduced run's B/state is a number");
    assert!(
        b_state > 1000.0,
        "1969 states in a process of some MiB: {out}"
    );
    let (code, _, err) = comlife(&["bench", "--child", "comlife"]);
    assert_eq!(code, 2, "--child needs --scenario: {err}");
}

/// `bench --families` prints one row per family of the scenario's runs (one per runtime for
/// `inproc`) and a total row whose sum is the runs' pinned counts added up and whose union
/// and nodes lie between the largest family's and the sum.
#[test]
fn bench_families_measures_what_a_scenarios_runs_share() {
    let (code, out, err) = comlife(&[
        "bench",
        "--families",
        "--scenario",
        "inproc",
        "--threads",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip(1)
        .take(3)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0][..2], ["inproc", "windows"], "{out}");
    assert_eq!(rows[1][..2], ["inproc", "wine"], "{out}");
    let total = &rows[2];
    assert_eq!(total[0], "all", "{out}");
    let n = |i: usize| -> usize { total[i].parse().unwrap() };
    let (sum, union, nodes) = (n(2), n(3), n(5));
    let exp = comlife::verify::expectations::Expectations::embedded();
    let pinned: usize = comlife::description::builtin::matrix_configs(2)
        .into_iter()
        .filter(|c| c.scenario == comlife::com::scenario::Scenario::Inproc)
        .map(|c| {
            exp.states_on(c.scenario, c.runtime, c.toggled)
                .expect("pinned")
        })
        .sum();
    assert_eq!(sum, pinned, "{out}");
    assert!(union < nodes && nodes < sum, "{out}");
}

/// `bench --max-depth D` bounds every measured run alike: comlife's unreduced search and
/// stateright's BFS (`target_max_depth` D + 1) find the same 385 states within 12 steps (the
/// complete unreduced run has 224 845).
#[test]
fn bench_bounds_every_run_to_the_same_depth() {
    let (code, out, err) = comlife(&[
        "bench",
        "--scenario",
        "local-sta",
        "--max-depth",
        "12",
        "--threads",
        "1",
        "--no-symmetry",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("every run bounded: no state 12 steps"),
        "{out}"
    );
    let cells: Vec<&str> = out.lines().nth(2).expect("a row").split('|').collect();
    assert!(cells[0].starts_with("local-sta "), "{out}");
    let first = |cell: &str| -> usize { cell.split_whitespace().next().unwrap().parse().unwrap() };
    assert_eq!(
        (first(cells[2]), first(cells[4])),
        (385, 385),
        "comlife's unreduced and stateright's unique states: {out}"
    );
}

/// With symmetry reduction (the default) `--threads 1` and `--threads 2` give byte-identical
/// traces in a scenario where clients are renamed; `--no-symmetry` gives the same verdicts and
/// trace lengths with more unique states; the reduced run's traces replay.
#[test]
fn symmetry_reduction_changes_no_verdict_and_no_thread_count_result() {
    let base = ["check", "--scenario", "local-sta", "--json"];
    let mut runs = Vec::new();
    for t in ["1", "2"] {
        let dir = temp_dir(&format!("sym-threads{t}"));
        let args = [
            &base[..],
            &["--threads", t, "--traces", dir.to_str().unwrap()],
        ];
        let (code, out, err) = comlife(&args.concat());
        assert_eq!(code, 0, "{err}");
        runs.push((untimed(&out), tree(&dir)));
        if t == "1" {
            let (itf, _) = runs[0]
                .1
                .iter()
                .find(|(p, _)| p.to_string_lossy().ends_with(".itf.json"))
                .expect("a trace");
            let (code, _, err) = comlife(&["replay", dir.join(itf).to_str().unwrap()]);
            assert_eq!(code, 0, "a reduced trace replays: {err}");
        }
    }
    assert!(!runs[0].1.is_empty());
    assert_eq!(runs[0], runs[1]);
    let (code, out, err) = comlife(&[&base[..], &["--no-symmetry"]].concat());
    assert_eq!(code, 0, "{err}");
    let unreduced = untimed(&out);
    let reduced = &runs[0].0;
    assert!(
        unreduced["unique_states"].as_u64() > reduced["unique_states"].as_u64(),
        "{} unreduced, {} reduced",
        unreduced["unique_states"],
        reduced["unique_states"]
    );
    assert_eq!(unreduced["properties"], reduced["properties"]);
}

/// `check --bless` pins only the whole matrix with default options: anything else is refused
/// before a run, with exit 2 and nothing rewritten. (Blessing the current model changes
/// nothing; tests/bless.rs checks the rewriting itself.)
#[test]
fn bless_refuses_what_it_cannot_pin() {
    let pins = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/expectations.toml"
    ))
    .unwrap();
    for args in [
        &["check", "--bless", "--clients", "1", "--no-traces"][..],
        &["check", "--bless", "--max-depth", "3", "--no-traces"][..],
        &["check", "--bless", "--scenario", "inproc"][..],
    ] {
        let (code, out, err) = comlife(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(err.contains("--bless"), "{args:?}: {err}");
    }
    let after = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/expectations.toml"
    ))
    .unwrap();
    assert_eq!(pins, after);
}

/// Runs with another number of clients, and simulations, write their traces to run
/// directories of their own, never over the exhaustive two-client traces.
#[test]
fn other_client_counts_and_simulations_have_their_own_trace_directories() {
    let dir = temp_dir("run-dirs");
    let mut dirs = Vec::new();
    for extra in [
        &[][..],
        &["--clients", "3", "--max-states", "500"][..],
        &["--simulate", "20"][..],
    ] {
        let mut args = vec![
            "check",
            "--scenario",
            "atl14-sta",
            "--traces",
            dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let (_, _, err) = comlife(&args);
        let line = err
            .lines()
            .find(|l| l.contains(" traces in "))
            .unwrap_or_else(|| panic!("{err}"));
        dirs.push(line.split(" traces in ").nth(1).unwrap().to_string());
    }
    let base = dir.join("atl14-sta");
    assert_eq!(
        dirs,
        [
            base.join("baseline").display().to_string(),
            base.join("baseline.3-clients").display().to_string(),
            base.join("baseline.simulated").display().to_string(),
        ]
    );
    // The exhaustive run's traces are still there.
    assert!(base.join("baseline/object-used.md").is_file());
    // Each trace names its own directory in its commands, and a simulation's does not claim
    // to be shortest.
    for (run, shortest) in [("baseline", true), ("baseline.simulated", false)] {
        let md = std::fs::read_to_string(base.join(run).join("object-used.md")).unwrap();
        assert!(
            md.contains(&format!(
                "comlife replay traces/atl14-sta/{run}/object-used.itf.json"
            )),
            "{run}: {md}"
        );
        assert_eq!(md.contains("\nShortest example ("), shortest, "{run}: {md}");
        assert_eq!(
            md.contains("A random walk's (not necessarily shortest) example"),
            !shortest,
            "{run}"
        );
        let itf = std::fs::read_to_string(base.join(run).join("object-used.itf.json")).unwrap();
        assert_eq!(
            itf.contains("\"search\": \"simulation\""),
            !shortest,
            "{run}"
        );
    }
}

/// `check --scenario NAME` answers first too, naming the remedy as a command-line flag.
#[test]
fn scenario_answer_names_remedies_as_flags() {
    let (code, out, err) = comlife(&["check", "--scenario", "local-multi-sta", "--no-traces"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("local-multi-sta: 1 defect found — F-4: "),
        "{out}"
    );
    assert!(
        out.contains("remedy: recheck-after-revoke — repairs 4 of 5")
            && out.contains("apply: --enable recheck-after-revoke"),
        "{out}"
    );
}

/// `merge` combines the reports of one simulation run in parts (one seed each): a discovery of
/// any part is established with the shortest trace among them, walks and steps add up, and
/// reports of other runs, a seed run twice, exhaustive runs and malformed files are refused
/// (exit 2, naming the files, nothing on stdout).
#[test]
fn merge_combines_simulation_parts_and_refuses_others() {
    let dir = temp_dir("merge");
    let part = |seed: &str, disable: &str| {
        let (code, out, err) = comlife(&[
            "check",
            "--scenario",
            "local-sta",
            "--disable",
            disable,
            "--json",
            "--no-traces",
            "--simulate",
            "150",
            "--seed",
            seed,
        ]);
        assert_eq!(code, 0, "{err}");
        let path = dir.join(format!("{disable}-{seed}.json"));
        std::fs::write(&path, &out).unwrap();
        (path.to_str().unwrap().to_string(), untimed(&out))
    };
    let (a, ja) = part("1", "implicit-lockserver");
    let (b, jb) = part("2", "implicit-lockserver");
    assert_eq!(ja["simulation"]["seed"], 1);
    assert_eq!(ja["simulation"]["runs"], 150);
    let (code, out, err) = comlife(&["merge", &a, &b]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("merged 2 reports (300 walks, 2 seeds)"),
        "{err}"
    );
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(m["simulation"]["runs"], 300);
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    assert_eq!(n(&m["states"]), n(&ja["states"]) + n(&jb["states"]));
    let (ua, ub) = (n(&ja["unique_states"]), n(&jb["unique_states"]));
    assert_eq!(n(&m["unique_states_at_least"]), ua.max(ub));
    assert_eq!(n(&m["unique_states_at_most"]), ua + ub);
    assert!(m["unique_states"].is_null());
    let props = |v: &serde_json::Value| v["properties"].as_array().unwrap().clone();
    let mut shown = 0;
    for ((pm, pa), pb) in props(&m).iter().zip(props(&ja)).zip(props(&jb)) {
        let lens: Vec<u64> = [&pa, &pb]
            .iter()
            .filter(|p| p["verdict"] != "unknown")
            .map(|p| n(&p["trace_length"]))
            .collect();
        match lens.iter().min() {
            Some(&len) => {
                shown += 1;
                assert_ne!(pm["verdict"], "unknown");
                assert_eq!(n(&pm["trace_length"]), len, "{pm}");
                let by = if pa["verdict"] != "unknown" && n(&pa["trace_length"]) == len {
                    &a
                } else {
                    &b
                };
                assert_eq!(pm["shown_by"], by.as_str());
            }
            None => {
                assert_eq!(pm["verdict"], "unknown");
                assert!(pm["matches"].is_null());
            }
        }
    }
    assert!(shown > 0, "150 walks show something");

    // A merged report merges again, and a discovery against the expected verdict is exit 1.
    let merged = dir.join("merged.json");
    std::fs::write(&merged, &out).unwrap();
    let (c, _) = part("3", "implicit-lockserver");
    let (code, out3, err) = comlife(&["merge", merged.to_str().unwrap(), &c]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(untimed(&out3)["simulation"]["runs"], 450);
    let flip = |path: &str| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for p in v["properties"].as_array_mut().unwrap() {
            if p["expectation"] == "always" && p["expected"] == "violated" {
                p["expected"] = "holds".into();
            }
        }
        let out = format!("{path}.flipped.json");
        std::fs::write(&out, v.to_string()).unwrap();
        out
    };
    let (code, _, err) = comlife(&["merge", &flip(&a), &flip(&b)]);
    assert_eq!(code, 1, "{err}");

    // Refused: another run, a seed twice, an exhaustive run, a malformed file.
    let (other, _) = part("4", "auto-suspend");
    let (code, out, err) = comlife(&["merge", &a, &other]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains(&a) && err.contains(&other) && err.contains("different runs"),
        "{err}"
    );
    let (code, out, err) = comlife(&["merge", &a, merged.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("both ran seed 1"), "{err}");
    let (code, exhaustive, _) =
        comlife(&["check", "--scenario", "inproc", "--json", "--no-traces"]);
    assert_eq!(code, 0);
    let ex = dir.join("exhaustive.json");
    std::fs::write(&ex, exhaustive).unwrap();
    let (code, out, err) = comlife(&["merge", ex.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("exhaustive run"), "{err}");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"scenario\": 1}").unwrap();
    let (code, out, err) = comlife(&["merge", &a, bad.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("bad.json:1:"), "{err}");
}

/// `--runtime wine` runs the model under Wine (docs/wine.md): on local-sta the class object is
/// disconnected while a client holds it (Wine takes no implicit LockServer), and the run is
/// compared with its own pins (`[local-sta."baseline+on-wine"]`), which it matches.
#[test]
fn runtime_wine_on_local_sta_violates_factory_stays_connected() {
    let (code, out, err) = comlife(&[
        "check",
        "--scenario",
        "local-sta",
        "--runtime",
        "wine",
        "--json",
        "--no-traces",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["compared"], true, "{v}");
    assert_eq!(v["mismatches"], 0, "{v}");
    let verdict = |name: &str| {
        v["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["verdict"].as_str().unwrap().to_string())
    };
    assert_eq!(
        verdict("factory-stays-connected").as_deref(),
        Some("violated")
    );
    // Under Windows it holds: the violation is the runtime's.
    let (code, out, _) = comlife(&["check", "--scenario", "local-sta", "--json", "--no-traces"]);
    assert_eq!(code, 0);
    let w: serde_json::Value = serde_json::from_str(&out).unwrap();
    let holds = w["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "factory-stays-connected" && p["verdict"] == "holds");
    assert!(holds, "{w}");
}

/// Bad runtimes and what a runtime refuses exit 2 with the reason, running nothing.
#[test]
fn runtime_errors_exit_2() {
    let refused = |args: &[&str], want: &[&str]| {
        let (code, out, err) = comlife(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        for w in want {
            assert!(err.contains(w), "{args:?}: {w}: {err}");
        }
    };
    refused(
        &["check", "--scenario", "local-sta", "--runtime", "bogus"],
        &["unknown runtime 'bogus'", "windows, wine"],
    );
    refused(
        &["check", "--scenario", "service", "--runtime", "wine"],
        &["cannot run under the wine runtime", "CoDisconnectContext"],
    );
    refused(
        &[
            "check",
            "--scenario",
            "local-sta",
            "--runtime",
            "wine",
            "--enable",
            "access-denied-client",
        ],
        &["'access-denied-client' cannot happen under the wine runtime"],
    );
    // A description's runtime: an unknown one at its FILE:LINE:COL, and one the command line
    // contradicts.
    let dir = temp_dir("runtime");
    let builtin = comlife::description::builtin::builtin("local-sta").unwrap();
    let with = |runtime: &str| {
        builtin.replacen(
            "\n[server]",
            &format!("runtime = \"{runtime}\"\n\n[server]"),
            1,
        )
    };
    let line = with("x")
        .lines()
        .position(|l| l.starts_with("runtime"))
        .unwrap()
        + 1;
    let bogus = dir.join("bogus.toml");
    std::fs::write(&bogus, with("bogus")).unwrap();
    let b = bogus.to_str().unwrap();
    refused(
        &["check", b, "--no-traces"],
        &[
            &format!("bogus.toml:{line}:11: unknown runtime \"bogus\""),
            "\"windows\", \"wine\"",
        ],
    );
    let wine = dir.join("wine.toml");
    std::fs::write(&wine, with("wine")).unwrap();
    let w = wine.to_str().unwrap();
    refused(
        &["check", w, "--runtime", "windows", "--no-traces"],
        &["--runtime windows conflicts with", "runtime = \"wine\""],
    );
    assert!(!dir.join("traces").exists());
}

/// A toggle the runtime makes inert runs, with a note on stderr that the run is the run without
/// it; a toggle it does not make inert gets no note.
#[test]
fn an_inert_toggle_runs_with_a_note() {
    let run = |toggle: &str| {
        comlife(&[
            "check",
            "--scenario",
            "local-sta",
            "--runtime",
            "wine",
            "--clients",
            "1",
            "--disable",
            toggle,
            "--no-traces",
        ])
    };
    let (code, out, err) = run("lockserver-counts");
    assert_ne!(code, 2, "{err}");
    assert!(out.contains("1 clients"), "{out}");
    assert!(
        err.contains("note: 'lockserver-counts' makes no difference under the wine runtime")
            && err.contains("R-WINE-LOCKSERVER-STUB"),
        "{err}"
    );
    let (_, _, err) = run("exit-on-final-decrement");
    assert!(!err.contains("makes no difference"), "{err}");
}

/// `list` names the runtimes with what each is, fixes and makes inert; `--json` and `--markdown`
/// too.
#[test]
fn list_shows_the_runtimes() {
    use comlife::com::runtime::Runtime;
    let (code, out, _) = comlife(&["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("runtimes (--runtime NAME"), "{out}");
    for r in Runtime::ALL {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(r.name()) && l.contains(r.about())),
            "{}: {out}",
            r.name()
        );
    }
    assert!(out.contains("fixes: implicit-lockserver off"), "{out}");
    assert!(
        out.contains("makes no difference to: lockserver-counts, process-refcount"),
        "{out}"
    );
    let (code, out, _) = comlife(&["list", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let wine = v["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "wine")
        .expect("wine listed");
    assert_eq!(
        wine["matrix_scenarios"],
        serde_json::json!(["local-sta", "local-multi-sta", "inproc"])
    );
    let inert: Vec<&str> = wine["inert"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["toggle"].as_str().unwrap())
        .collect();
    assert_eq!(inert, ["lockserver-counts", "process-refcount"]);
    let (code, out, _) = comlife(&["list", "--markdown"]);
    assert_eq!(code, 0);
    assert!(out.contains("### Runtimes"), "{out}");
    assert!(
        out.contains("| `wine` |") && out.contains("local-sta, local-multi-sta, inproc"),
        "{out}"
    );
}
