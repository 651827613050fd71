//! Server descriptions (`comlife check FILE.toml`, `new`, `schema`): the built-in descriptions
//! are their scenarios' baselines; every malformed description of tests/descriptions/ is
//! refused with exit 2, `FILE:LINE:COLUMN:` at the right place, and nothing written; an
//! `[expect]` that differs exits 1, one that matches exits 0 with traces beside the file.

mod common;
use common::{comlife, temp_dir};

use comlife::com::config::{Config, DEFAULT_CLIENTS};
use comlife::com::rules::RULES;
use comlife::com::scenario::Scenario;
use comlife::com::toggle_set::ToggleSet;
use comlife::com::toggles::Toggle;
use comlife::description::builtin::BUILTIN;
use comlife::description::format::Description;
use comlife::verify::check::{run, RunOptions};
use comlife::verify::expectations::Expectations;
use std::path::{Path, PathBuf};

#[test]
fn builtins_are_the_scenario_baselines() {
    let pinned = Expectations::embedded();
    assert_eq!(BUILTIN.len(), Scenario::ALL.len());
    for (s, (name, text)) in Scenario::ALL.into_iter().zip(BUILTIN) {
        assert_eq!(s.name(), *name);
        let desc = Description::parse(&format!("spec/scenarios/{name}.toml"), text)
            .and_then(|d| d.to_request())
            .unwrap_or_else(|e| panic!("{e}"));
        let cfg = Config::new(s, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap();
        assert_eq!(desc.config, cfg, "{name}");
        assert_eq!((desc.max_states, desc.max_depth), (None, None), "{name}");
        let from_file = run(desc.config, RunOptions::default());
        let from_scenario = run(cfg, RunOptions::default());
        assert!(from_file.complete && from_scenario.complete, "{name}");
        assert_eq!(
            from_file.unique_states, from_scenario.unique_states,
            "{name}"
        );
        let verdicts = |r: &comlife::verify::check::RunReport| {
            r.properties
                .iter()
                .map(|p| (p.def.name, p.verdict))
                .collect::<Vec<_>>()
        };
        assert_eq!(verdicts(&from_file), verdicts(&from_scenario), "{name}");
        // The built-in [expect] is the pinned baseline, property for property.
        assert_eq!(desc.expect.len(), from_file.properties.len(), "{name}");
        for (p, v) in &desc.expect {
            assert_eq!(pinned.get(s, ToggleSet::EMPTY, p), Some(*v), "{name} {p}");
        }
        let cmp = comlife::verify::expectations::compare_expect(&desc.expect, &from_file, &pinned);
        assert_eq!(cmp.mismatches(), 0, "{name}");
        // `new --from NAME` prints the file.
        let (code, out, _) = comlife(&["new", "--from", name]);
        assert_eq!((code, out.as_str()), (0, *text), "{name}");
    }
}

/// The header every built-in description of `name` begins with, around its own paragraph
/// about the server: what it is, how it is checked, where the IDs it names are explained.
fn header(name: &str) -> (String, String) {
    let first = format!(
        "# comlife server description: built-in '{name}' (`comlife new --from {name}`).\n#\n"
    );
    let rest = format!(
        "#\n\
         # Checked exactly as `comlife check --scenario {name}` (its baseline). Check your copy with\n\
         # `comlife check FILE.toml`; `comlife list` names the mechanisms and properties, `comlife\n\
         # schema` prints the format as a JSON Schema. Rule IDs are in spec/rules.md, framework\n\
         # sources in spec/frameworks.md, findings (F-n) in spec/findings.md.\n\
         \n\
         # The description's name: lowercase letters, digits and '-'. Traces go to\n\
         # traces/NAME/RUN/PROPERTY.md beside this file (RUN: 'baseline', or the toggles).\n\
         name = \"{name}\"\n"
    );
    (first, rest)
}

/// The built-in descriptions repeat spec/expectations.toml and the rule and framework tables;
/// their copies are kept exact: the `[expect]` section is the pinned baseline with its findings
/// (nothing after it), the header names the built-in and its scenario, and every rule ID,
/// finding and spec/frameworks.md section the comments name exists. Cheap: no model is run.
#[test]
fn builtin_headers_and_expect_sections_repeat_the_pins() {
    let pinned = Expectations::embedded();
    let frameworks =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/frameworks.md"))
            .unwrap();
    let findings_md =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/findings.md"))
            .unwrap();
    for (s, (name, text)) in Scenario::ALL.into_iter().zip(BUILTIN) {
        let file = format!("spec/scenarios/{name}.toml");
        // [expect]: from its comment to the end of the file.
        let want = comlife::description::builtin::expect_section(s, &pinned).unwrap();
        let at = text
            .find(comlife::description::builtin::EXPECT_COMMENT)
            .unwrap_or_else(|| panic!("{file}: no [expect] comment"));
        assert_eq!(
            &text[at..],
            want,
            "{file}: [expect] is not spec/expectations.toml's [{name}.baseline] (with \
             [findings.{name}.baseline]); copy it from there"
        );
        // Header: the first line, then the server's own paragraph, then the shared paragraphs
        // and the name.
        let (first, rest) = header(name);
        assert!(text.starts_with(&first), "{file}: header's first line");
        let after = &text[first.len()..];
        let own_end = after
            .find(&rest)
            .unwrap_or_else(|| panic!("{file}: header after the server's paragraph:\n{rest}"));
        let own = &after[..own_end];
        assert!(
            !own.is_empty() && own.lines().all(|l| l.starts_with("# ") && l.len() > 2),
            "{file}: the server's paragraph is one block of comment lines"
        );
        // Every ID the comments name exists: rules (the rule table or spec/frameworks.md's
        // candidates), findings, and spec/frameworks.md sections.
        let comments: String = text
            .lines()
            .filter_map(|l| l.split_once('#').map(|(_, c)| c))
            .collect::<Vec<_>>()
            .join("\n");
        let ids = |prefix: &str| -> Vec<String> {
            comments
                .match_indices(prefix)
                .filter(|(i, _)| *i == 0 || !comments.as_bytes()[i - 1].is_ascii_alphanumeric())
                .map(|(i, _)| {
                    comments[i..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-')
                        .collect::<String>()
                        .trim_end_matches('-')
                        .to_string()
                })
                .filter(|id| id.len() > prefix.len())
                .collect()
        };
        for id in ids("R-") {
            assert!(
                RULES.iter().any(|r| r.id == id)
                    || frameworks.lines().any(|l| l
                        .strip_prefix("#### ")
                        .is_some_and(|h| h.split_whitespace().next() == Some(id.as_str()))),
                "{file}: rule {id} is neither in model/com/rules.rs nor a candidate in spec/frameworks.md"
            );
        }
        for id in ids("F-") {
            assert!(
                findings_md.lines().any(|l| l
                    .strip_prefix("## ")
                    .and_then(|h| h.split([':', ' ']).next())
                    == Some(id.as_str())),
                "{file}: finding {id} has no heading in spec/findings.md"
            );
        }
        for (i, _) in comments.match_indices("spec/frameworks.md §") {
            let sections: String = comments[i + "spec/frameworks.md §".len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '-')
                .collect();
            for n in sections.split('-') {
                assert!(
                    frameworks
                        .lines()
                        .any(|l| l.starts_with(&format!("## {n}. "))),
                    "{file}: spec/frameworks.md has no section §{n}"
                );
            }
        }
    }
}

#[test]
fn malformed_descriptions_exit_2_at_the_right_place_and_write_nothing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/descriptions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{} malformed descriptions", files.len());
    let scratch = temp_dir("malformed");
    let traces = scratch.join("traces");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // First line: `# expect: LINE:COLUMN: part of the message`.
        let header = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{}: no '# expect:' header", f.display()));
        let (place, part) = header.split_at(header.find(": ").expect("LINE:COLUMN: text"));
        let part = &part[2..];
        let path = f.to_str().unwrap();
        let (code, out, err) = comlife(&["check", path, "--traces", traces.to_str().unwrap()]);
        assert_eq!(code, 2, "{path}: {err}");
        assert!(out.is_empty(), "{path}: stdout {out}");
        assert!(
            err.starts_with(&format!("{path}:{place}: ")),
            "{path}: expected {place}, got: {err}"
        );
        assert!(err.contains(part), "{path}: expected '{part}' in: {err}");
        assert_eq!(err.lines().count(), 1, "{path}: {err}");
        assert!(!traces.exists(), "{path}: wrote {}", traces.display());
        // The same file, without its traces directory given: nothing beside it either.
        assert!(!dir.join("traces").exists(), "{path}");
    }
}

#[test]
fn expect_mismatch_exits_1_match_exits_0_with_traces_beside_the_file() {
    let dir = temp_dir("expect");
    let file = dir.join("my-server.toml");
    let text = comlife(&["new", "--from", "atl9-sta"]).1;
    let text = text.replace("name = \"atl9-sta\"", "name = \"my-server\"");

    // F-7 is pinned violated; expecting it to hold is a mismatch.
    let wrong = text.replace(
        "\"no-exit-with-live-objects\" = \"violated\"",
        "\"no-exit-with-live-objects\" = \"holds\"",
    );
    assert_ne!(wrong, text);
    std::fs::write(&file, &wrong).unwrap();
    let (code, out, err) = comlife(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("no-exit-with-live-objects: expected holds, got violated; trace: ")
            && out.contains("11 of 12 expected verdicts match"),
        "{out}{err}"
    );

    // The right verdicts: exit 0, traces in traces/<name>/<run>/ beside the file.
    std::fs::write(&file, &text).unwrap();
    let (code, out, err) = comlife(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("12 of 12 expected verdicts match"), "{out}");
    let run_dir = dir.join("traces/my-server/baseline");
    for ext in ["md", "itf.json"] {
        let t = run_dir.join(format!("no-exit-with-live-objects.{ext}"));
        assert!(t.is_file(), "{} missing", t.display());
    }

    // Toggles from the command line add to the file's: process-count-lock repairs F-7, so the
    // file's expectation of a violation no longer matches; the run's traces go to its label.
    let (code, _, err) = comlife(&[
        "check",
        file.to_str().unwrap(),
        "--enable",
        "process-count-lock",
        "--json",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no-exit-with-live-objects: expected violated, got holds"),
        "{err}"
    );
    assert!(dir
        .join("traces/my-server/with-process-count-lock")
        .is_dir());

    // An unknown toggle on the command line is bad usage: exit 2.
    let (code, _, err) = comlife(&["check", file.to_str().unwrap(), "--enable", "bogus"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown name 'bogus'"), "{err}");
}

#[test]
fn new_and_schema() {
    let (code, _, err) = comlife(&["new", "--from", "atl10-sta"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("valid choices: local-sta") && err.contains("mfc-sta"),
        "{err}"
    );

    let (code, out, _) = comlife(&["schema"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["title"], "comlife server description");
    assert_eq!(v["additionalProperties"], false);
    for key in [
        "name",
        "server",
        "mechanisms",
        "clients",
        "bounds",
        "expect",
    ] {
        assert!(v["properties"][key].is_object(), "{key}: {out}");
    }
    assert!(
        out.contains("\"atl14\"") && out.contains("\"SUSPENDED\""),
        "{out}"
    );
}

/// docs/descriptions.md, "Your own apartments and classes" (once in README.md): the shop
/// description, taken from the file as written, checks (exit 0 against its `[expect]`), writes
/// its traces beside the file with its layout in `#meta`, and they replay; its traces and
/// `--show-traces` name the file's classes; with every client on the single-use class the
/// safety properties hold.
#[test]
fn readme_shop_example_checks_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/descriptions.md"))
            .unwrap();
    let marker = "<!-- example: shop.toml";
    let after = &readme[readme.find(marker).expect("the example's marker")..];
    let start = after.find("```toml\n").unwrap() + "```toml\n".len();
    let text = &after[start..start + after[start..].find("```").unwrap()];
    let dir = temp_dir("shop");
    let file = dir.join("shop.toml");
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let (code, _, err) = comlife(&["check", f]);
    assert_eq!(code, 0, "{err}");
    let trace = dir.join("traces/shop/baseline/no-exit-with-live-objects.itf.json");
    let json = std::fs::read_to_string(&trace).unwrap();
    assert!(
        json.contains("\"layout\""),
        "the layout travels with the trace"
    );
    let (code, out, err) = comlife(&["replay", trace.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let md = std::fs::read_to_string(dir.join("traces/shop/baseline/no-exit-with-live-objects.md"))
        .unwrap();
    // The trace speaks of the file's classes, not of the model's CLSID_A, B and C (which the
    // layout in #meta still maps them to, so replay above is unaffected).
    assert!(md.contains("CLSID_Checkout") && md.contains("comlife explore "));
    for model_name in ["CLSID_A", "CLSID_B", "CLSID_C"] {
        let whole = |t: &str| {
            t.match_indices(model_name).any(|(i, _)| {
                !t[i + model_name.len()..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
        };
        assert!(!whole(&md), "{model_name} in the Markdown trace");
        assert!(!whole(&json), "{model_name} in the ITF trace");
    }
    assert!(json.contains("\"classNames\": \"CLSID_Catalog, CLSID_Cart, CLSID_Checkout\""));
    let (code, out, err) = comlife(&["check", f, "--no-traces", "--show-traces"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("CoGetClassObject(CLSID_Checkout, CLSCTX_LOCAL_SERVER)"),
        "{out}"
    );
    // Every client on the single-use class: an instance each, no race.
    let single = text.replace(
        "classes = [\"CLSID_Catalog\", \"CLSID_Checkout\"]",
        "classes = [\"CLSID_Checkout\", \"CLSID_Checkout\"]",
    );
    let single = single.replace(
        "\"no-exit-with-live-objects\" = \"violated\"",
        "\"no-exit-with-live-objects\" = \"holds\"",
    );
    std::fs::write(&file, single).unwrap();
    let (code, _, err) = comlife(&["check", f, "--no-traces"]);
    assert_eq!(code, 0, "{err}");
}

/// A description's class names replace the model's whole names in one pass: swapped names come
/// out swapped, longer names that begin like a model name are left alone, and classes the
/// description does not name keep the model's name.
#[test]
fn class_names_replace_the_models_whole_names() {
    use comlife::trace::state_text::rename_classes;
    let names = ["CLSID_B".to_string(), "CLSID_A".to_string()];
    assert_eq!(
        rename_classes("CLSID_A, CLSID_B and CLSID_C", &names),
        "CLSID_B, CLSID_A and CLSID_C"
    );
    let shop = ["CLSID_Catalog".to_string()];
    assert_eq!(
        rename_classes(
            "CLSID_ContextSwitcher, CLSID_AB, CLSID_A_x, (CLSID_A)",
            &shop
        ),
        "CLSID_ContextSwitcher, CLSID_AB, CLSID_A_x, (CLSID_Catalog)"
    );
    assert_eq!(rename_classes("CLSID_", &shop), "CLSID_");
    assert_eq!(rename_classes("CLSID_A", &[]), "CLSID_A");
}

/// A 100 KB description name or class name is refused up front (exit 2, at its place), and the
/// message quotes only a prefix of it.
#[test]
fn long_names_are_refused_with_a_short_message() {
    let dir = temp_dir("long-names");
    let text = comlife(&["new", "--from", "atl14-sta"]).1;
    let long_name = "a".repeat(100_000);
    let long_class = "A".repeat(100_000);
    let cases = [
        (
            text.replace("name = \"atl14-sta\"", &format!("name = \"{long_name}\"")),
            "is 100000 characters long; valid choices: at most 64",
        ),
        (
            text.replace("\"CLSID_A\"", &format!("\"{long_class}\"")),
            "class name \"AAAA",
        ),
    ];
    for (i, (t, part)) in cases.iter().enumerate() {
        assert_ne!(*t, text, "case {i}");
        let file = dir.join(format!("long-{i}.toml"));
        std::fs::write(&file, t).unwrap();
        let (code, out, err) = comlife(&["check", file.to_str().unwrap(), "--no-traces"]);
        assert_eq!(code, 2, "case {i}: {}", &err[..err.len().min(300)]);
        assert!(out.is_empty(), "case {i}");
        assert!(
            err.contains(part),
            "case {i}: {}",
            &err[..err.len().min(300)]
        );
        assert!(err.len() < 400, "case {i}: {} bytes of error", err.len());
        assert_eq!(err.lines().count(), 1, "case {i}");
    }
}

/// A repeated --enable or --disable name is bad usage (exit 2), as a repeated name in
/// [mechanisms] is a bad description.
#[test]
fn repeated_toggle_flags_exit_2() {
    for args in [
        &[
            "check",
            "--scenario",
            "local-sta",
            "--enable",
            "user-document-counts",
            "--enable",
            "user-document-counts",
            "--no-traces",
        ][..],
        &[
            "check",
            "spec/scenarios/local-sta.toml",
            "--enable",
            "user-document-counts",
            "--enable",
            "user-document-counts",
            "--no-traces",
        ][..],
    ] {
        let (code, out, err) = comlife(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("'user-document-counts' is given twice"),
            "{args:?}: {err}"
        );
    }
}

/// Bytes that are not UTF-8 are reported at FILE:LINE:COLUMN of the first of them.
#[test]
fn non_utf8_is_reported_at_its_place() {
    let dir = temp_dir("non-utf8");
    let file = dir.join("bad.toml");
    std::fs::write(&file, b"name = \"x\"\n# caf\xc3\xa9 \xff\n").unwrap();
    let path = file.to_str().unwrap();
    let (code, out, err) = comlife(&["check", path, "--no-traces"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!("{path}:2:8: not UTF-8 text: byte 0xff")),
        "{err}"
    );
}

/// A description without [expect] is checked, and stderr says that nothing was compared and
/// why.
#[test]
fn no_expect_says_nothing_was_compared() {
    let dir = temp_dir("no-expect");
    let file = dir.join("x.toml");
    let text = comlife(&["new", "--from", "local-sta"]).1;
    let cut = text.find("[expect]").expect("an [expect] section");
    std::fs::write(&file, &text[..cut]).unwrap();
    let (code, _, err) = comlife(&["check", file.to_str().unwrap(), "--no-traces"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("nothing was compared: the file has no [expect] section"),
        "{err}"
    );
}

/// `check FILE.toml` answers first: its first line is the plain verdict on the server the file
/// describes, under the file's name; each defect names its finding, its shortest trace and the
/// remedy the pins show repairing it; the verdict table and the regression line come after.
#[test]
fn the_answer_comes_first_with_finding_trace_and_remedy() {
    let dir = temp_dir("answer");
    let file = dir.join("my-server.toml");
    let text = comlife(&["new", "--from", "atl14-mta"]).1;
    std::fs::write(
        &file,
        text.replace("name = \"atl14-mta\"", "name = \"my-server\""),
    )
    .unwrap();
    let (code, out, err) = comlife(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("my-server: 1 defect found — F-4: ")
            && first.contains(comlife::verify::findings::title("F-4").unwrap()),
        "{out}"
    );
    let trace = dir.join("traces/my-server/baseline/no-handout-after-shutdown.md");
    assert!(trace.is_file(), "{}", trace.display());
    assert!(
        out.contains(&format!("shortest trace: {} (20 steps)", trace.display())),
        "{out}"
    );
    // The remedy search checks the description with each remedy: stopping-flag-locked repairs
    // one of F-4's five properties (what a developer writes follows), recheck-after-revoke and
    // stopping-flag none (in a free-threaded server the window opens on COM's RPC thread), and
    // no remedy the other four.
    assert!(
        out.contains("remedy: stopping-flag-locked — repairs 1 of 5: no-exit-with-live-objects (checked with it: ")
            && out.contains(&format!("    write: {}", Toggle::StoppingFlagLocked.code_shape().unwrap()))
            && out.contains("also checked, repairs none of it: recheck-after-revoke, stopping-flag\n")
            && out.contains("no modeled remedy repairs: no-exit-while-locked, factory-stays-connected, no-handout-after-shutdown, clean-disconnect"),
        "{out}"
    );
    // The answer, then the table under the description's name, then the regression line.
    let answer_end = out
        .find("Every verdict")
        .expect("the table is titled apart");
    assert!(out[..answer_end].contains("Defect 1 of 1 (F-4"), "{out}");
    assert!(out[answer_end..]
        .lines()
        .any(|l| l.starts_with("my-server baseline  ")));
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("regression check of ") && last.contains("not a safety verdict"),
        "{last}"
    );
    // The trace's title names the description, and the scenario it is checked as.
    let md = std::fs::read_to_string(&trace).unwrap();
    assert!(
        md.starts_with("# `no-handout-after-shutdown` violated: my-server, checked as atl14-mta"),
        "{}",
        md.lines().next().unwrap()
    );
}

/// A description that disables a mechanism its server needs: the defect names the mechanism,
/// and enabling it back (in the file) is the remedy.
#[test]
fn a_disabled_mechanism_is_named_as_the_remedy() {
    let dir = temp_dir("answer-disabled");
    let file = dir.join("no-suspend.toml");
    let text = comlife(&["new", "--from", "atl14-sta"]).1;
    let text = text
        .replace("name = \"atl14-sta\"", "name = \"no-suspend\"")
        .replacen("disable = []", "disable = [\"auto-suspend\"]", 1);
    assert!(text.contains("disable = [\"auto-suspend\"]"));
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = comlife(&["check", file.to_str().unwrap(), "--no-traces"]);
    // The file's [expect] is the baseline's, so the regression check differs: exit 1.
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with(
            "no-suspend: 1 defect found — the server needs auto-suspend, which is disabled here"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "remedy: enable auto-suspend again — remove \"auto-suspend\" from [mechanisms] disable in {}",
            file.display()
        )) && out.contains("the pinned run atl14-sta.baseline shows them holding"),
        "{out}"
    );
}

/// A server without a defect says so first, and says what the check covered.
#[test]
fn a_clean_server_says_no_defect() {
    let (code, out, err) = comlife(&["check", "spec/scenarios/atl14-sta.toml", "--no-traces"]);
    assert_eq!(code, 0, "{out}{err}");
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("atl14-sta: no defect found — every safety and liveness property holds in every reachable state"),
        "{out}"
    );
    let states = Expectations::embedded()
        .states(Scenario::Atl14Sta, ToggleSet::EMPTY)
        .unwrap();
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "  checked as scenario atl14-sta (the server as built: every mechanism at its default); \
                 {DEFAULT_CLIENTS} clients, {states} unique states, every interleaving"
            )
            .as_str()
        ),
        "{out}"
    );
    assert!(!out.contains("Defect "), "{out}");
}
/// A toggle the description sets already, named again on the command line, is refused as a
/// repeated name is (exit 2, nothing written), naming the flag and where the file sets it:
/// its `[mechanisms]` entry (FILE:LINE:COLUMN) or the key that sets it.
#[test]
fn toggles_named_in_the_file_and_on_the_command_line_exit_2() {
    let dir = temp_dir("file-and-flag");
    let text = comlife(&["new", "--from", "atl9-sta"]).1;
    let cases = [
        (
            text.replacen("\nenable = []", "\nenable = [\"process-count-lock\"]", 1),
            "--enable",
            "process-count-lock",
            "already enables 'process-count-lock' ([mechanisms] enable)",
        ),
        (
            text.replacen("\ndisable = []", "\ndisable = [\"implicit-lockserver\"]", 1),
            "--disable",
            "implicit-lockserver",
            "already disables 'implicit-lockserver' ([mechanisms] disable)",
        ),
        (
            text.replacen("may_die = false", "may_die = true", 1),
            "--enable",
            "client-death",
            "already enables 'client-death' by [clients] `may_die`",
        ),
    ];
    for (i, (t, flag, name, part)) in cases.iter().enumerate() {
        assert_ne!(*t, text, "case {i}: the built-in description changed");
        let file = dir.join(format!("dup-{i}.toml"));
        std::fs::write(&file, t).unwrap();
        let path = file.to_str().unwrap();
        let (code, out, err) = comlife(&["check", path, flag, name]);
        assert_eq!(code, 2, "case {i}: {out}{err}");
        assert!(out.is_empty(), "case {i}: {out}");
        assert!(
            err.contains(&format!("{flag} {name}: {path}")),
            "case {i}: {err}"
        );
        assert!(err.contains(part), "case {i}: {err}");
        assert!(err.contains("name it in one place"), "case {i}: {err}");
        assert!(
            !dir.join("traces").exists(),
            "case {i}: traces were written"
        );
    }
    // The [mechanisms] entry is located.
    let (_, _, err) = comlife(&[
        "check",
        dir.join("dup-0.toml").to_str().unwrap(),
        "--enable",
        "process-count-lock",
    ]);
    let line = text
        .lines()
        .position(|l| l.starts_with("enable = []"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("dup-0.toml:{line}:11 already")),
        "{err}"
    );
}

/// The remedies of a defect found by the search, run against the description's own
/// configuration: a copy of local-multi-sta (F-4) gets recheck-after-revoke, with its code
/// shape and how to apply it in the file; the remedy that repairs none (stopping-flag) is not
/// listed as a repair; and the search's runs are the pinned remedy runs, state for state.
#[test]
fn the_remedy_search_finds_recheck_after_revoke_for_a_copy_of_local_multi_sta() {
    let dir = temp_dir("remedy-search");
    let file = dir.join("copy.toml");
    let text = comlife(&["new", "--from", "local-multi-sta"]).1;
    std::fs::write(
        &file,
        text.replace("name = \"local-multi-sta\"", "name = \"copy\""),
    )
    .unwrap();
    let (code, out, err) = comlife(&["check", file.to_str().unwrap(), "--no-traces"]);
    assert_eq!(code, 0, "{out}{err}");
    let answer = &out[..out.find("Every verdict").expect("the table")];
    let pinned = Expectations::embedded();
    let states = |t: Toggle| {
        pinned
            .states(Scenario::LocalMultiSta, ToggleSet::only(t))
            .unwrap()
    };
    assert!(
        answer.contains(&format!(
            "remedy: recheck-after-revoke — repairs 4 of 5: no-exit-with-live-objects, no-exit-while-locked, factory-stays-connected, clean-disconnect (checked with it: {} unique states, every interleaving)",
            states(Toggle::RecheckAfterRevoke)
        )),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("    write: {}", Toggle::RecheckAfterRevoke.code_shape().unwrap()))
            && answer.contains(&format!(
                "apply: add \"recheck-after-revoke\" to [mechanisms] enable in {} (or --enable recheck-after-revoke)",
                file.display()
            )),
        "{answer}"
    );
    // Full repairs first, then partial ones (more first): recheck-after-revoke before
    // stopping-flag-locked.
    let a = answer.find("remedy: recheck-after-revoke").unwrap();
    let b = answer
        .find(&format!(
            "remedy: stopping-flag-locked — repairs 1 of 5: no-exit-with-live-objects (checked with it: {} unique states",
            states(Toggle::StoppingFlagLocked)
        ))
        .unwrap_or_else(|| panic!("{answer}"));
    assert!(a < b, "{answer}");
    // stopping-flag (as Box printed it) repairs none of F-4: checked, not offered as a repair.
    assert!(!answer.contains("remedy: stopping-flag —"), "{answer}");
    assert!(
        answer.contains("  also checked, repairs none of it: stopping-flag\n"),
        "{answer}"
    );
    assert!(
        answer.contains("note: remedy search: 3 remedies checked in this configuration, and 3 pairs of them, every interleaving each (recheck-after-revoke, stopping-flag, stopping-flag-locked; "),
        "{answer}"
    );
    // No single remedy repairs all five, so the pairs were checked; none does better than its
    // remedies alone, so none is listed.
    assert!(!answer.contains(" + "), "{answer}");
    // The description is the pinned configuration: the finding is named without a caveat.
    assert!(
        answer.contains("Defect 1 of 1 (F-4, explained in spec/findings.md)\n"),
        "{answer}"
    );
}

/// A server with another layout than any built-in (the README's shop: three classes, a
/// single-use one, a client of each apartment) gets its remedies from the search, not from
/// pins, and its finding is named as in the pinned run with what differs said.
#[test]
fn another_layout_gets_searched_remedies_and_a_qualified_finding() {
    let dir = temp_dir("remedy-layout");
    let file = dir.join("shop.toml");
    let shop = r#"name = "shop"
[server]
kind = "exe"
lifetime = "textbook"
[[server.apartments]]
kind = "sta"
classes = ["CLSID_Catalog"]
[[server.apartments]]
kind = "sta"
classes = ["CLSID_Cart", "CLSID_Checkout"]
[[server.classes]]
name = "CLSID_Catalog"
regcls = ["MULTIPLEUSE", "SUSPENDED"]
clsctx = ["LOCAL_SERVER"]
[[server.classes]]
name = "CLSID_Cart"
regcls = ["MULTIPLEUSE", "SUSPENDED"]
clsctx = ["LOCAL_SERVER"]
[[server.classes]]
name = "CLSID_Checkout"
regcls = ["SINGLEUSE", "SUSPENDED"]
clsctx = ["LOCAL_SERVER"]
[clients]
count = 2
classes = ["CLSID_Catalog", "CLSID_Checkout"]
"#;
    std::fs::write(&file, shop).unwrap();
    let (code, out, err) = comlife(&["check", file.to_str().unwrap(), "--no-traces"]);
    assert_eq!(code, 0, "{shop}\n{out}{err}");
    assert!(
        out.contains("Defect 1 of 1 (F-4, explained in spec/findings.md; named as in the pinned run local-multi-sta.baseline, which differs from this run in: 3 classes in 2 apartments (the pins: 2 in 2); which class each client activates; single-use classes)"),
        "{out}"
    );
    assert!(
        out.contains("remedy: recheck-after-revoke — repairs 4 of 5: ")
            && out.contains("(checked with it: ")
            && !out.contains("(the pinned run local-multi-sta.with-"),
        "{out}"
    );
}

/// A simulation cannot show a property holding: the search is skipped with a note, and the
/// remedies come from the pins.
#[test]
fn the_remedy_search_is_skipped_for_a_simulation() {
    let (code, out, err) = comlife(&[
        "check",
        "spec/scenarios/local-multi-sta.toml",
        "--no-traces",
        "--simulate",
        "300",
        "--seed",
        "7",
    ]);
    assert!(code == 0 || code == 1, "{out}{err}");
    let answer = &out[..out.find("Every verdict").unwrap_or(out.len())];
    if answer.contains("Defect 1 of") {
        assert!(
            answer.contains("note: remedies from the pinned runs of spec/expectations.toml only (the scenario's own layout, two clients); the remedy search did not run: the run is a simulation")
                && answer.contains("(the pinned run local-multi-sta.with-recheck-after-revoke shows it)")
                && !answer.contains("checked with it"),
            "{answer}"
        );
    } else {
        panic!("300 walks with seed 7 find no violation of local-multi-sta: {answer}");
    }
}

/// The synthetic descriptions of tests/descriptions/valid/ (issue 22: a reference the server
/// holds on itself, a conditional registration, an idle test that discounts a lock nobody
/// holds) check as written, every verdict as pinned; and
/// without their key the same server has no defect, so the key is what the violations come
/// from.
#[test]
fn the_synthetic_descriptions_check_as_pinned_and_their_key_is_the_cause() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/descriptions/valid");
    for (file, key) in [
        ("self-hold.toml", "self_hold = true\n"),
        (
            "conditional-registration.toml",
            "registration = \"conditional\"\n",
        ),
        ("idle-count.toml", "idle_count = 1\n"),
    ] {
        let path = dir.join(file);
        let path = path.to_str().unwrap();
        let (code, out, err) = comlife(&["check", path, "--no-traces"]);
        assert_eq!(code, 0, "{path}: {out}{err}");
        assert!(out.contains("9 of 9 expected verdicts match"), "{out}");
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains(key), "{path}");
        let plain = text.replace(key, "");
        let plain = &plain[..plain.find("\n[expect]\n").unwrap()];
        let tmp = temp_dir(&format!("plain-{file}"));
        let f = tmp.join(file);
        std::fs::write(&f, plain).unwrap();
        let (_, out, err) = comlife(&["check", f.to_str().unwrap(), "--no-traces"]);
        assert!(
            out.contains(": no defect found"),
            "{file} without {key}: {out}{err}"
        );
    }
}

/// tests/descriptions/valid/idle-count.toml with the lock its idle test discounts held
/// (`peer_lock = true`): the decision is the plain count's again, but the lock, taken through
/// the module's Lock (here CoAddRefServerProcess, `process-count-lock`), keeps COM's count above
/// zero, so COM never suspends the class objects and the remedy's repair of F-7 is lost
/// (spec/assumptions.md A-PEER-LOCK): the same verdicts as without the remedy.
#[test]
fn a_peers_lock_taken_through_com_keeps_com_from_suspending() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/descriptions/valid");
    let text = std::fs::read_to_string(dir.join("idle-count.toml")).unwrap();
    let text = &text[..text.find("\n[expect]\n").unwrap()];
    let run = |name: &str, t: String| {
        let tmp = temp_dir(name);
        let f = tmp.join("idle-count.toml");
        std::fs::write(&f, t).unwrap();
        let (_, out, err) = comlife(&["check", f.to_str().unwrap(), "--no-traces"]);
        out + &err
    };
    let held = run(
        "peer-lock-held",
        text.replace("idle_count = 1\n", "idle_count = 1\npeer_lock = true\n"),
    );
    let no_remedy = run(
        "no-remedy",
        text.replace("idle_count = 1\n", "")
            .replace("enable = [\"process-count-lock\"]", "enable = []"),
    );
    let verdicts = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with("idle-count "))
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                format!("{} {}", w[2], w[4])
            })
            .collect()
    };
    assert!(verdicts(&held).len() >= 9, "{held}");
    assert_eq!(verdicts(&held), verdicts(&no_remedy), "{held}{no_remedy}");
    assert!(no_remedy.contains("F-7"), "{no_remedy}");
}
