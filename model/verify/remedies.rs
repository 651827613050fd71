//! The remedy search: for a run that violates always/eventually properties, each opt-in remedy
//! ([`Kind::Remedy`]) that the run's configuration accepts is checked in that same
//! configuration (the description's apartments, classes, clients and bounds) with the remedy
//! added, exhaustively, on the worker pool ([`run_jobs`]). What each remedy run repairs, and
//! what it breaks, is read off by [`crate::verify::diagnosis`]; this module decides which runs
//! to make, or why none is made.

use crate::com::config::Config;
use crate::com::toggles::{Kind, Toggle};
use crate::verify::check::{RunOptions, RunReport, Verdict};
use crate::verify::matrix::{run_jobs, Job};
use crate::verify::progress::Progress;
use stateright::Expectation;
use std::time::Instant;

/// The search is skipped after a run that took longer than this, in seconds of wall-clock
/// time: each remedy run costs about as much as the run itself.
pub const MAX_SECONDS: f64 = 30.0;

/// The search is skipped after a run with more unique states (or classes of states) than this:
/// each remedy run holds about as many in memory.
pub const MAX_STATES: usize = 2_000_000;

/// The outcome of the remedy search for one run.
#[derive(Clone, Debug)]
pub enum RemedySearch {
    /// No remedy run was made; the words say why ("the run is a simulation: …").
    Skipped(String),
    /// Every candidate remedy was checked.
    Done {
        /// One report per candidate, in [`Toggle::ALL`] order of the remedy: the run's
        /// configuration with the remedy added ([`RunReport::cfg`] says which).
        runs: Vec<RunReport>,
        /// Wall-clock seconds the remedy runs took together.
        seconds: f64,
    },
}

/// Whether `report` has a violated always/eventually property (a defect to repair).
fn has_defect(report: &RunReport) -> bool {
    report
        .properties
        .iter()
        .any(|p| p.verdict == Verdict::Violated && p.def.expectation != Expectation::Sometimes)
}

/// The remedies the search tries for `cfg`, each with the configuration it is checked in: every
/// [`Kind::Remedy`] not already in the run that the configuration accepts with it added
/// ([`Config::new`] and [`Config::with_layout`], the validation a description's `[mechanisms]`
/// and `--enable` go through) and whose [`Toggle::needs`] condition, if any, is in the run
/// (without it the remedy changes nothing: `recheck-after-modal` without `modal-dialog`).
pub fn candidates(cfg: &Config) -> Vec<(Toggle, Config)> {
    Toggle::ALL
        .into_iter()
        .filter(|r| r.kind() == Kind::Remedy && !cfg.toggled.contains(*r))
        .filter(|r| r.needs().is_none_or(|c| cfg.toggled.contains(c)))
        .filter_map(|r| {
            Config::new(cfg.scenario, cfg.toggled.with(r), cfg.clients)
                .and_then(|c| c.with_layout(cfg.layout))
                .ok()
                .map(|c| (r, c))
        })
        .collect()
}

/// Why the search is not run after `report`, if it is not: a run without a defect, a
/// simulation, an incomplete run (bounded or stopped: its violations may be partial and a
/// remedy run under the same bounds proves nothing holds), or a run too costly to repeat once
/// per remedy ([`MAX_SECONDS`], [`MAX_STATES`]).
pub fn skip_reason(report: &RunReport) -> Option<String> {
    if !has_defect(report) {
        return Some("no always or eventually property is violated".to_string());
    }
    if report.simulated {
        return Some(
            "the run is a simulation: random walks cannot show that a remedy makes a property hold"
                .to_string(),
        );
    }
    if !report.complete {
        return Some(
            "the run did not cover every interleaving, so a remedy run under the same bounds could not show a property holding"
                .to_string(),
        );
    }
    if report.seconds > MAX_SECONDS || report.unique_states > MAX_STATES {
        return Some(format!(
            "the run took {:.0} s and {} unique states, and each remedy run costs about as much (the search runs after runs under {MAX_SECONDS:.0} s and {MAX_STATES} states); check a remedy yourself with --enable NAME",
            report.seconds, report.unique_states
        ));
    }
    None
}

/// Runs the remedy search after `report` with `opts` (the run's own bounds, memory bound and
/// symmetry; the threads spread the remedy runs over the worker pool), advancing `progress`
/// and calling `done` with each remedy run's report as it comes, in order. Skipped, with the
/// reason, when [`skip_reason`] gives one or no remedy applies.
pub fn search(
    report: &RunReport,
    opts: RunOptions,
    progress: &Progress,
    mut done: impl FnMut(&RunReport),
) -> RemedySearch {
    if let Some(why) = skip_reason(report) {
        return RemedySearch::Skipped(why);
    }
    let jobs: Vec<Job> = candidates(&report.cfg)
        .into_iter()
        .map(|(_, cfg)| Job {
            cfg,
            opts: RunOptions {
                simulate: None,
                ..opts
            },
        })
        .collect();
    if jobs.is_empty() {
        return RemedySearch::Skipped(format!(
            "no modeled remedy applies to scenario {} with this run's toggles",
            report.cfg.scenario.name()
        ));
    }
    let start = Instant::now();
    let mut runs = Vec::with_capacity(jobs.len());
    let finished: Result<(), std::convert::Infallible> = run_jobs(&jobs, progress, |_, r| {
        done(&r);
        runs.push(r);
        Ok(())
    });
    let Ok(()) = finished;
    RemedySearch::Done {
        runs,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The number of remedy runs [`search`] makes after `report` (0 when it is skipped), for a
/// progress display.
pub fn planned_runs(report: &RunReport) -> usize {
    if skip_reason(report).is_some() {
        0
    } else {
        candidates(&report.cfg).len()
    }
}
