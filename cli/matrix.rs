//! The `check` matrix: every scenario, baseline and each mechanism disabled, as a table.

use crate::traces;
use comlife::check::{run, RunOptions, RunReport, Verdict};
use comlife::config::{matrix_runs, Config, Scenario};
use comlife::expectations::Expectations;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

/// Every run of the matrix, in order: per scenario, baseline then each mechanism disabled.
pub fn runs(clients: usize) -> Vec<Config> {
    Scenario::ALL
        .into_iter()
        .flat_map(|s| {
            matrix_runs(s)
                .into_iter()
                .map(move |d| Config::new(s, d, clients).expect("valid matrix configuration"))
        })
        .collect()
}

/// Prints the table header.
pub fn print_header() {
    println!(
        "{:<10} {:<25} {:<28} {:<9} {:<9} {:>9} {:>7}",
        "scenario", "disabled", "property", "expected", "got", "states", "seconds"
    );
}

/// Whether the run is one of the matrix runs that spec/expectations.toml pins (default clients,
/// and a set of toggles `matrix_runs` makes).
fn compared(report: &RunReport, pinned: bool) -> bool {
    pinned && matrix_runs(report.cfg.scenario).contains(&report.cfg.toggled)
}

fn expected(report: &RunReport, exp: &Expectations, pinned: bool, name: &str) -> Option<Verdict> {
    if !compared(report, pinned) {
        return None;
    }
    exp.get(report.cfg.scenario, report.cfg.toggled, name)
}

/// Whether `got` contradicts the expectation `want`. A simulation establishes only what its
/// walks showed, so its `unknown` verdicts contradict nothing.
fn differs(report: &RunReport, want: Option<Verdict>, got: Verdict) -> bool {
    want != Some(got) && !(report.simulated && got == Verdict::Unknown)
}

/// Prints, on stderr, why a run stopped early and what a simulation visited.
pub fn print_notes(report: &RunReport) {
    let label = format!(
        "{} {}",
        report.cfg.scenario.name(),
        report.cfg.toggled.label()
    );
    if let Some(why) = &report.stopped {
        eprintln!("comlife: {label}: incomplete: {why}");
    }
    if report.simulated {
        eprintln!(
            "comlife: {label}: simulation visited {} distinct states in {} steps (longest walk {}); \
             its traces are replayable but not necessarily shortest",
            report.unique_states, report.states, report.max_depth
        );
    }
}

/// Prints one row per property; mismatches are marked with `!`.
pub fn print_rows(report: &RunReport, exp: &Expectations, pinned: bool) {
    for p in &report.properties {
        let e = expected(report, exp, pinned, p.def.name);
        let mark = if e.is_some() && differs(report, e, p.verdict) {
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
            report.cfg.toggled.label(),
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
    if !compared(report, pinned) {
        return 0;
    }
    report
        .properties
        .iter()
        .filter(|p| {
            differs(
                report,
                exp.get(report.cfg.scenario, report.cfg.toggled, p.def.name),
                p.verdict,
            )
        })
        .count()
}

/// Runs the whole matrix, printing rows as runs finish and progress on stderr. With `root`, it
/// writes every run's traces below it and afterwards removes every file below
/// `root/<scenario>/<run>/` that no run wrote. Exit status 0 when every verdict matches, 1 on a
/// mismatch, 2 when traces cannot be written.
pub fn run_all(
    clients: usize,
    opts: RunOptions,
    exp: &Expectations,
    show: bool,
    root: Option<&Path>,
) -> ExitCode {
    let configs = runs(clients);
    let pinned = clients == comlife::config::DEFAULT_CLIENTS;
    print_header();
    let mut bad = 0;
    let total = configs.len();
    let started = std::time::Instant::now();
    let bar = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template("[{pos}/{len}] {msg} ({elapsed})").expect("valid template"),
    );
    let mut reports = Vec::new();
    let mut keep = BTreeSet::new();
    for cfg in configs {
        bar.set_message(format!("{} {}", cfg.scenario.name(), cfg.toggled.label()));
        let report = run(cfg, opts);
        bar.suspend(|| {
            print_notes(&report);
            print_rows(&report, exp, pinned)
        });
        bar.inc(1);
        bad += mismatches(&report, exp, pinned);
        if let Some(root) = root {
            match traces::write_report(root, &report) {
                Ok(w) => keep.extend(w),
                Err(e) => {
                    bar.abandon();
                    eprintln!("comlife: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        reports.push(report);
    }
    bar.finish_and_clear();
    let mut summary = format!("{total} runs in {:.1} s", started.elapsed().as_secs_f64());
    if let Some(root) = root {
        if let Err(e) = traces::remove_stale(root, &traces::existing_run_dirs(root), &keep) {
            eprintln!("comlife: {e}");
            return ExitCode::from(2);
        }
        summary += &format!(
            "; {} traces in {}",
            keep.len() / traces::EXTENSIONS.len(),
            root.display()
        );
    }
    eprintln!("{summary}");
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
