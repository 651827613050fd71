//! The `check` matrix: every scenario, baseline and each mechanism disabled, as a table.

use comlife::check::{run, RunOptions, RunReport, Verdict};
use comlife::config::{Config, Mechanism, MechanismSet, Scenario};
use comlife::expectations::Expectations;
use std::process::ExitCode;

/// Every run of the matrix, in order.
pub fn runs(clients: usize) -> Vec<Config> {
    let mut v = Vec::new();
    for s in Scenario::ALL {
        let mut sets = vec![MechanismSet::EMPTY];
        sets.extend(
            Mechanism::ALL
                .into_iter()
                .filter(|m| m.applies_to(s))
                .map(MechanismSet::only),
        );
        for d in sets {
            v.push(Config::new(s, d, clients).expect("valid matrix configuration"));
        }
    }
    v
}

/// Prints the table header.
pub fn print_header() {
    println!(
        "{:<10} {:<25} {:<28} {:<9} {:<9} {:>9} {:>7}",
        "scenario", "disabled", "property", "expected", "got", "states", "seconds"
    );
}

fn expected(report: &RunReport, exp: &Expectations, pinned: bool, name: &str) -> Option<Verdict> {
    if !pinned || report.cfg.disabled.iter().count() > 1 {
        return None;
    }
    exp.get(report.cfg.scenario, report.cfg.disabled, name)
}

/// Prints one row per property; mismatches are marked with `!`.
pub fn print_rows(report: &RunReport, exp: &Expectations, pinned: bool) {
    for p in &report.properties {
        let e = expected(report, exp, pinned, p.def.name);
        let mark = if e.is_some_and(|e| e != p.verdict) {
            " !"
        } else {
            ""
        };
        let got = match &p.trace {
            Some(t) => format!("{} ({})", p.verdict.name(), t.len()),
            None => p.verdict.name().to_string(),
        };
        println!(
            "{:<10} {:<25} {:<28} {:<9} {:<13} {:>9} {:>7.2}{mark}",
            report.cfg.scenario.name(),
            report.cfg.disabled.label(),
            p.def.name,
            e.map_or("-", Verdict::name),
            got,
            report.unique_states,
            report.seconds
        );
    }
}

/// Number of properties whose verdict differs from the pinned expectation (an unpinned
/// verdict of a pinned run counts as a mismatch too).
pub fn mismatches(report: &RunReport, exp: &Expectations, pinned: bool) -> usize {
    if !pinned || report.cfg.disabled.iter().count() > 1 {
        return 0;
    }
    report
        .properties
        .iter()
        .filter(|p| {
            exp.get(report.cfg.scenario, report.cfg.disabled, p.def.name) != Some(p.verdict)
        })
        .count()
}

/// Runs the whole matrix, printing rows as runs finish and progress on stderr.
pub fn run_all(clients: usize, opts: RunOptions, exp: &Expectations, show: bool) -> ExitCode {
    let configs = runs(clients);
    let pinned = clients == comlife::config::DEFAULT_CLIENTS;
    print_header();
    let mut bad = 0;
    let total = configs.len();
    let started = std::time::Instant::now();
    let mut reports = Vec::new();
    for (i, cfg) in configs.into_iter().enumerate() {
        eprint!(
            "\r[{}/{}] {} {} …{:>30}",
            i + 1,
            total,
            cfg.scenario.name(),
            cfg.disabled.label(),
            ""
        );
        let report = run(cfg, opts);
        eprint!("\r{:>80}\r", "");
        print_rows(&report, exp, pinned);
        bad += mismatches(&report, exp, pinned);
        reports.push(report);
    }
    eprintln!("{total} runs in {:.1} s", started.elapsed().as_secs_f64());
    if show {
        for r in &reports {
            crate::show_traces(r);
        }
    }
    if bad > 0 {
        eprintln!("comlife: {bad} verdict(s) differ from spec/expectations.toml");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
