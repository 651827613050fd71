//! The verdict part of the `check` output, printed after the answer (cli/answer.rs): every
//! scenario, baseline and each mechanism toggled, as a compact matrix (toggled mechanism ×
//! property, a symbol per verdict) or as the long table (one row per run and property), then
//! the regression line saying how many verdicts are as spec/expectations.toml pins them.

use comlife::com::config::Config;
use comlife::com::toggles::Toggle;
use comlife::verify::check::{PropertyOutcome, RunReport, Verdict};
use comlife::verify::expectations::{Comparison, PropertyComparison};
use stateright::Expectation;
use std::path::Path;
use std::process::ExitCode;

/// What a matrix row turns from the defaults, in words ([`crate::answer::run_words`]), with
/// "under the wine runtime" for a run under Wine.
pub fn row_words(cfg: &Config) -> String {
    let words = crate::answer::run_words(cfg.toggled);
    if cfg.runtime.is_wine() {
        format!("{words}, under the wine runtime")
    } else {
        words
    }
}

/// Prints the long table's header. `collision` is the run's fingerprint-collision probability
/// ([`RunReport::collision_probability`], docs/checker.md). `width` is the first column's
/// width in characters (its longest name; at least the heading's).
pub fn print_header(width: usize) {
    println!(
        "{:<width$} {:<25} {:<28} {:<9} {:<13} {:>9} {:>7} {:>9}  note",
        "scenario", "toggled", "property", "expected", "got", "states", "seconds", "collision"
    );
}

/// Prints, on stderr, why the run `label` stopped early and what a simulation visited (with its
/// longest walk if `longest_walk`).
pub fn print_stop_notes(label: &str, report: &RunReport, longest_walk: bool) {
    if let Some(why) = &report.stopped {
        eprintln!("comlife: {label}: incomplete: {why}");
    }
    if report.simulated {
        let walk = if longest_walk {
            format!(" (longest walk {})", report.max_depth)
        } else {
            String::new()
        };
        eprintln!(
            "comlife: {label}: simulation visited {} distinct states in {} steps{walk}; its \
             traces are replayable but not necessarily shortest",
            report.unique_states, report.states
        );
    }
}

/// Prints, on stderr, why a run stopped early, what a simulation visited, and why a run is not
/// compared with spec/expectations.toml.
pub fn print_notes(report: &RunReport, cmp: &Comparison) {
    let label = format!("{} {}", report.cfg.scenario.name(), report.cfg.run_label());
    print_stop_notes(&label, report, true);
    if let Some(why) = &cmp.not_compared {
        eprintln!("comlife: {label}: not compared with spec/expectations.toml: {why}");
    }
    if let Some(s) = cmp.states.filter(|s| !s.matches()) {
        eprintln!(
            "comlife: {label}: {} unique states, spec/expectations.toml pins {}",
            s.got,
            s.pinned.map_or("none".to_string(), |n| n.to_string())
        );
    }
}

/// The note of the long table: a mismatch, or the finding that explains a pinned violation.
fn note(c: &PropertyComparison) -> String {
    match (c.matches, &c.finding) {
        (Some(false), _) => "! differs".into(),
        _ if c.not_established => "not established by simulation".into(),
        (_, Some(f)) => format!("{f} (spec/findings.md)"),
        _ => String::new(),
    }
}

/// Prints one long-table row per property; the first column is `name` (a server description's
/// name) or else the scenario's, `width` characters wide (as [`print_header`]'s).
pub fn print_rows(name: Option<&str>, width: usize, report: &RunReport, cmp: &Comparison) {
    for (p, c) in report.properties.iter().zip(&cmp.properties) {
        let got = match &p.trace {
            Some(t) => format!("{} ({})", p.verdict.name(), t.len()),
            None => p.verdict.name().to_string(),
        };
        println!(
            "{:<width$} {:<25} {:<28} {:<9} {:<13} {:>9} {:>7.2} {:>9.1e}  {}",
            name.unwrap_or(report.cfg.scenario.name()),
            report.cfg.run_label(),
            p.def.name,
            c.expected.map_or("-", Verdict::name),
            got,
            report.unique_states,
            report.seconds,
            report.collision_probability(),
            note(c)
        );
    }
}

/// The compact matrix's symbol for one verdict: `·` an always/eventually property holds,
/// `✗N` it is violated by a shortest counterexample of N steps, `✓N` a sometimes property's
/// shortest example has N steps, `–` no state satisfies a sometimes property (no example: not a
/// violation, so not `✗`), `?` unknown; `!`
/// appended when the verdict differs from spec/expectations.toml.
fn cell(p: &PropertyOutcome, c: &PropertyComparison) -> String {
    let len = p
        .trace
        .as_ref()
        .map(|t| t.len().to_string())
        .unwrap_or_default();
    let mut s = match (p.verdict, p.def.expectation == Expectation::Sometimes) {
        (Verdict::Unknown, _) => "?".to_string(),
        (Verdict::Holds, false) => "·".to_string(),
        (Verdict::Holds, true) => format!("✓{len}"),
        (Verdict::Violated, true) => "–".to_string(),
        (Verdict::Violated, false) => format!("✗{len}"),
    };
    if c.matches == Some(false) {
        s.push('!');
    }
    s
}

/// Width of a compact-matrix column.
const CELL: usize = 5;

/// Prints the title of the matrices: what a ✗ means in the baseline row and in the other rows.
pub fn print_matrix_title() {
    println!(
        "\nThe matrix: each scenario's server as built (row baseline: a ✗ there is a defect of the \
         server) and with toggles from their defaults (other rows: a ✗ with a mechanism disabled \
         shows what the mechanism prevents, so it is needed; with a variant, condition or \
         configuration on, what it exposes; with a remedy enabled, what it leaves). Rows ending in \
         +on-wine are the same runs under the wine runtime: a ✗ there is Wine's behaviour, not a \
         defect of the server on Windows (docs/wine.md)."
    );
}

/// Prints one scenario's runs as a compact matrix: a row per run (its label, a symbol per
/// property, its unique states, and in words what it turns from the defaults), a column per
/// property (numbered; the lines below name them and the findings that explain pinned
/// violations), then each mismatch spelled out.
pub fn print_compact(runs: &[(RunReport, Comparison)]) {
    let Some((first, _)) = runs.first() else {
        return;
    };
    let width = runs
        .iter()
        .map(|(r, _)| r.cfg.run_label().len())
        .max()
        .unwrap_or(8)
        .max(8);
    println!(
        "\n{} — {} runs × {} properties, {} clients",
        first.cfg.scenario.name(),
        runs.len(),
        first.properties.len(),
        first.cfg.clients
    );
    let mut header = format!("{:<width$}", "run");
    for i in 1..=first.properties.len() {
        header += &format!("{i:>CELL$}");
    }
    println!(
        "{header}  {:>9}  what the row turns from the defaults",
        "states"
    );
    for (r, c) in runs {
        let mut row = format!("{:<width$}", r.cfg.run_label());
        for (p, pc) in r.properties.iter().zip(&c.properties) {
            row += &format!("{:>CELL$}", cell(p, pc));
        }
        println!("{row}  {:>9}  {}", r.unique_states, row_words(&r.cfg));
    }
    // The legend: property names and kinds, and the findings that explain pinned violations
    // (those of the baseline and of single remedies or variants).
    for (i, p) in first.properties.iter().enumerate() {
        let mut findings: Vec<(&str, Vec<String>)> = Vec::new();
        for (r, c) in runs {
            let Some(f) = c.properties[i].finding.as_deref() else {
                continue;
            };
            let label = r.cfg.run_label();
            match findings.iter_mut().find(|(id, _)| *id == f) {
                Some((_, labels)) => labels.push(label),
                None => findings.push((f, vec![label])),
            }
        }
        let notes: Vec<String> = findings
            .into_iter()
            .map(|(id, labels)| format!("{id} in {}", labels.join(", ")))
            .collect();
        println!(
            "  {:>2} {} ({}){}",
            i + 1,
            p.def.name,
            comlife::verify::properties::expectation_name(&p.def.expectation),
            if notes.is_empty() {
                String::new()
            } else {
                format!("  — {}", notes.join("; "))
            }
        );
    }
    for (r, c) in runs {
        if let Some(s) = c.states.filter(|s| !s.matches()) {
            println!(
                "  ! {}: {} unique states, pinned {}",
                r.cfg.run_label(),
                s.got,
                s.pinned.map_or("none".to_string(), |n| n.to_string())
            );
        }
        for (p, pc) in r.properties.iter().zip(&c.properties) {
            if pc.matches == Some(false) {
                println!(
                    "  ! {} / {}: expected {}, got {}",
                    r.cfg.run_label(),
                    p.def.name,
                    pc.expected.map_or("nothing (not pinned)", Verdict::name),
                    p.verdict.name()
                );
            }
        }
    }
}

/// Prints the legend of the compact matrix: its symbols, each toggle of `runs` in words
/// (what toggling it from its default does, from model/com/toggles.rs), and where the traces
/// are when `root` is where they were written.
pub fn print_legend(root: Option<&Path>, runs: &[(RunReport, Comparison)]) {
    println!(
        "\n· holds   ✗N violated: shortest counterexample of N steps   ✓N example of N steps\n\
         – (sometimes property) no state reaches it: no example   ? unknown   ! differs from spec/expectations.toml\n\
         F-n: the finding in spec/findings.md that explains a pinned violation"
    );
    println!("\nWhat each toggle of a row label does when toggled from its default:");
    for m in Toggle::ALL {
        if runs.iter().any(|(r, _)| r.cfg.toggled.contains(m)) {
            println!("  {} ({}): {}", m.name(), m.kind().name(), m.when_toggled());
        }
    }
    if let Some(root) = root {
        println!(
            "\ntraces: {}/<scenario>/<run>/<property>.md (and .itf.json)",
            root.display()
        );
    }
}

/// Totals over the runs printed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    /// Verdicts that match spec/expectations.toml.
    pub matched: usize,
    /// Verdicts that differ from it.
    pub differ: usize,
    /// Runs not compared with it.
    pub not_compared: usize,
    /// Runs whose unique states differ from the pinned count.
    pub states_differ: usize,
    /// Pinned verdicts a simulation cannot establish (neither matching nor differing).
    pub not_established: usize,
}

impl Tally {
    /// Adds one run's comparison.
    pub fn add(&mut self, cmp: &Comparison) {
        self.matched += cmp.matches();
        self.differ += cmp.mismatches();
        self.not_compared += usize::from(!cmp.compared());
        self.states_differ += usize::from(cmp.states_differ());
        self.not_established += cmp.not_established();
    }

    /// Prints the regression line ("regression check: N verdicts as pinned in
    /// spec/expectations.toml, M differ", how many a simulation cannot establish, how many runs
    /// were not compared or have other state counts than the pinned ones, and that this is not a
    /// safety verdict) on stdout, or on
    /// stderr when `to_stderr` (stdout holds JSON), and returns the exit status: 1 when a
    /// verdict or a state count differs, else 0.
    pub fn finish(self, to_stderr: bool) -> ExitCode {
        let mut line = format!(
            "regression check: {} verdicts as pinned in spec/expectations.toml, {} differ",
            self.matched, self.differ
        );
        if self.not_established > 0 {
            line += &format!(
                "; {} cannot be established by simulation (random walks establish only the \
                 violations and examples they find)",
                self.not_established
            );
        }
        if self.not_compared > 0 {
            line += &format!(
                "; {} run(s) not compared (the file pins only the matrix runs with {} clients)",
                self.not_compared,
                comlife::com::config::DEFAULT_CLIENTS
            );
        }
        if self.states_differ > 0 {
            line += &format!(
                "; {} run(s) with other unique states than pinned",
                self.states_differ
            );
        }
        line += if self.differ == 0 && self.states_differ == 0 {
            " (the model behaves as pinned; this is not a safety verdict: the answer above is)"
        } else {
            " (review the differences: a changed model, or a bounded run's unknown verdicts; this is not a safety verdict)"
        };
        if to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
        if self.differ > 0 || self.states_differ > 0 {
            if self.differ > 0 {
                eprintln!(
                    "comlife: {} verdict(s) differ from spec/expectations.toml",
                    self.differ
                );
            }
            if self.states_differ > 0 {
                eprintln!(
                    "comlife: {} run(s) have other unique states than spec/expectations.toml pins",
                    self.states_differ
                );
            }
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}
