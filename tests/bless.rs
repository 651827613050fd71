//! `comlife check --bless` rewrites spec/expectations.toml from complete runs: run tables from
//! the reports, the header and the hand-written [findings] section as they were.

use comlife::com::config::{Config, DEFAULT_CLIENTS};
use comlife::com::scenario::Scenario;
use comlife::com::toggle_set::matrix;
use comlife::verify::check::{run, RunOptions, RunReport};
use comlife::verify::expectations::{bless, EXPECTATIONS_TOML};

/// The checked-in file cut down to the `inproc` runs, with its header and its `inproc`
/// findings.
fn inproc_only() -> String {
    let header_end = EXPECTATIONS_TOML.find("\n[").unwrap() + 1;
    let mut out = EXPECTATIONS_TOML[..header_end].to_string();
    let findings_at = EXPECTATIONS_TOML.find("# Which finding").unwrap();
    let runs: Vec<&str> = EXPECTATIONS_TOML[header_end..findings_at]
        .split("\n\n")
        .filter(|b| b.starts_with("[inproc."))
        .map(str::trim_end)
        .collect();
    out.push_str(&runs.join("\n\n"));
    out.push_str("\n\n");
    let findings = &EXPECTATIONS_TOML[findings_at..];
    let first_table = findings.find("\n[findings.").unwrap() + 1;
    out.push_str(&findings[..first_table]);
    let mut kept = Vec::new();
    for block in findings[first_table..].split("\n\n") {
        if block.starts_with("[findings.inproc.") {
            kept.push(block.trim_end().to_string());
        }
    }
    out.push_str(&kept.join("\n\n"));
    out.push('\n');
    out
}

/// The runs of inproc's matrix, under Windows and then under Wine (`[inproc."RUN+on-wine"]`).
fn reports() -> Vec<RunReport> {
    matrix(Scenario::Inproc)
        .into_iter()
        .map(|(runtime, t)| {
            run(
                Config::new(Scenario::Inproc, t, DEFAULT_CLIENTS)
                    .and_then(|c| c.with_runtime(runtime))
                    .unwrap(),
                RunOptions::default(),
            )
        })
        .collect()
}

/// Blessing the current model's runs gives the pinned file back, byte for byte.
#[test]
fn blessing_the_current_runs_changes_nothing() {
    let text = inproc_only();
    assert_eq!(bless(&text, &reports()).unwrap(), text);
}

/// A changed count is written; a finding whose property now holds is refused.
#[test]
fn bless_writes_new_counts_and_refuses_a_stale_finding() {
    let text = inproc_only();
    let mut rs = reports();
    rs[0].unique_states += 1;
    let blessed = bless(&text, &rs).unwrap();
    assert_ne!(blessed, text);
    assert!(blessed.contains(&format!("states = {}", rs[0].unique_states)));
    for o in rs[0].properties.iter_mut() {
        o.verdict = comlife::verify::check::Verdict::Holds;
    }
    let err = bless(&text, &rs).unwrap_err();
    assert!(err.contains("F-3"), "{err}");
    rs[0].complete = false;
    assert!(bless(&text, &rs).unwrap_err().contains("complete"));
}
