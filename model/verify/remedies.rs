//! The remedy search: for a run that violates always/eventually properties, each fix that the
//! run's configuration accepts is checked in that same configuration (the description's
//! apartments, classes, clients and bounds) with the fix made, exhaustively, on the worker pool
//! ([`run_jobs`]). A fix is an opt-in remedy ([`Kind::Remedy`], a toggle) or a change of the
//! described server's own code back to the textbook's discipline ([`CodeFix`]). When no single
//! fix repairs every violated property, the pairs of fixes with at least one that repairs
//! something alone are checked too (at most [`MAX_PAIRS`]). What each run repairs, and what it breaks, is read off by
//! [`crate::verify::diagnosis`]; this module decides which runs to make, or why none is made.

use crate::com::code_fix::CodeFix;
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

/// The most pairs of fixes the search checks after the single ones (each costs about as much
/// as the run): with more candidates the pairs are not tried, and the answer says so.
pub const MAX_PAIRS: usize = 10;

/// One fix the search tries: an opt-in remedy or a change of the server's own code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fix {
    /// An opt-in remedy (`--enable NAME`, `[mechanisms] enable`).
    Remedy(Toggle),
    /// A change of the described server's code, stated as a description key.
    Code(CodeFix),
}

impl Fix {
    /// Its name: the remedy's (`process-count-lock`), or the description line
    /// (`exit = "count"`).
    pub fn name(self) -> &'static str {
        match self {
            Fix::Remedy(t) => t.name(),
            Fix::Code(c) => c.name(),
        }
    }

    /// The code a developer writes for it, if the model says.
    pub fn code_shape(self) -> Option<&'static str> {
        match self {
            Fix::Remedy(t) => t.code_shape(),
            Fix::Code(c) => Some(c.code_shape()),
        }
    }

    /// The configuration `cfg` with the fix made, if `cfg` accepts it: a remedy not already in
    /// the run, whose [`Toggle::needs`] condition is (without it the remedy changes nothing:
    /// `recheck-after-modal` without `modal-dialog`), and that the validation of a
    /// description's `[mechanisms]` and `--enable` accepts ([`Config::new`],
    /// [`Config::with_layout`]) under the run's runtime; a code fix that changes the layout
    /// ([`CodeFix::applies`]).
    pub fn apply(self, cfg: &Config) -> Option<Config> {
        match self {
            Fix::Remedy(r) => {
                let fits = r.kind() == Kind::Remedy
                    && !cfg.toggled.contains(r)
                    && r.needs().is_none_or(|c| cfg.toggled.contains(c));
                fits.then(|| {
                    Config::new(cfg.scenario, cfg.toggled.with(r), cfg.clients)
                        .and_then(|c| c.with_layout(cfg.layout))
                        .and_then(|c| c.with_runtime(cfg.runtime))
                        .ok()
                })?
            }
            Fix::Code(f) => f
                .applies(&cfg.layout)
                .then(|| cfg.with_layout(f.apply(cfg.layout)).ok())
                .flatten(),
        }
    }
}

/// A remedy the search checks: one fix, or two made together.
pub type Fixes = Vec<Fix>;

/// The name of `fixes`: their names joined by " + ".
pub fn fixes_name(fixes: &[Fix]) -> String {
    fixes
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The outcome of the remedy search for one run.
#[derive(Clone, Debug)]
pub enum RemedySearch {
    /// No remedy run was made; the words say why ("the run is a simulation: …").
    Skipped(String),
    /// Every candidate fix was checked, and the pairs when no single fix repaired everything.
    Done {
        /// One report per candidate: the single fixes in [`candidates`] order, then the pairs;
        /// each with the fixes made.
        runs: Vec<(Fixes, RunReport)>,
        /// Wall-clock seconds the remedy runs took together.
        seconds: f64,
        /// Why the pairs were not checked, when no single fix repaired everything and they
        /// were not ("12 candidates make 66 pairs, more than 10").
        pairs_skipped: Option<String>,
    },
}

/// Whether `report` has a violated always/eventually property (a defect to repair).
fn has_defect(report: &RunReport) -> bool {
    report
        .properties
        .iter()
        .any(|p| p.verdict == Verdict::Violated && p.def.expectation != Expectation::Sometimes)
}

/// The fixes the search tries for `cfg`, each with the configuration it is checked in: the
/// opt-in remedies in [`Toggle::ALL`] order, then the code fixes in [`CodeFix::ALL`] order,
/// each that `cfg` accepts ([`Fix::apply`]).
pub fn candidates(cfg: &Config) -> Vec<(Fix, Config)> {
    Toggle::ALL
        .into_iter()
        .map(Fix::Remedy)
        .chain(CodeFix::ALL.into_iter().map(Fix::Code))
        .filter_map(|f| f.apply(cfg).map(|c| (f, c)))
        .collect()
}

/// The pairs of `singles` the search tries, each with its configuration: both fixes made, when
/// the configuration accepts them together and at least one of the two repaired something
/// alone (`helped`; a pair of fixes that each change nothing is not tried).
fn pairs(cfg: &Config, singles: &[(Fix, Config)], helped: &[Fix]) -> Vec<(Fixes, Config)> {
    let mut out = Vec::new();
    for (i, (a, _)) in singles.iter().enumerate() {
        for (b, _) in &singles[i + 1..] {
            if !helped.contains(a) && !helped.contains(b) {
                continue;
            }
            if let Some(c) = a.apply(cfg).and_then(|c| b.apply(&c)) {
                out.push((vec![*a, *b], c));
            }
        }
    }
    out
}

/// How many of the always/eventually properties `report` violates a run with verdicts `with`
/// repairs, and how many there are.
fn repaired(report: &RunReport, with: &RunReport) -> (usize, usize) {
    let violated: Vec<&str> = report
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Violated && p.def.expectation != Expectation::Sometimes)
        .map(|p| p.def.name)
        .collect();
    let n = violated
        .iter()
        .filter(|name| {
            with.properties
                .iter()
                .any(|q| q.def.name == **name && q.verdict == Verdict::Holds)
        })
        .count();
    (n, violated.len())
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

/// What the search reports as it goes: how many more runs it plans (the single fixes, then
/// the pairs if it tries them), and each run's report as it comes.
pub enum SearchEvent<'a> {
    /// This many more runs are planned.
    Planned(usize),
    /// A run finished.
    Done(&'a RunReport),
}

/// Runs the remedy search after `report` with `opts` (the run's own bounds, memory bound and
/// symmetry; the threads spread the remedy runs over the worker pool), advancing `progress`
/// and calling `event` as it goes. Skipped, with the reason, when [`skip_reason`] gives one or
/// no fix applies. The pairs are checked when no single fix repairs every violated property
/// and there are at most [`MAX_PAIRS`] of them with a fix that repairs something alone.
pub fn search(
    report: &RunReport,
    opts: RunOptions,
    progress: &Progress,
    mut event: impl FnMut(SearchEvent),
) -> RemedySearch {
    if let Some(why) = skip_reason(report) {
        return RemedySearch::Skipped(why);
    }
    let singles = candidates(&report.cfg);
    if singles.is_empty() {
        return RemedySearch::Skipped(format!(
            "no modeled remedy applies to scenario {} with this run's toggles",
            report.cfg.scenario.name()
        ));
    }
    let start = Instant::now();
    let mut check = |batch: Vec<(Fixes, Config)>, runs: &mut Vec<(Fixes, RunReport)>| {
        event(SearchEvent::Planned(batch.len()));
        let jobs: Vec<Job> = batch
            .iter()
            .map(|(_, cfg)| Job {
                cfg: *cfg,
                opts: RunOptions {
                    simulate: None,
                    ..opts
                },
            })
            .collect();
        let mut reports: Vec<Option<RunReport>> = vec![None; jobs.len()];
        let finished: Result<(), std::convert::Infallible> = run_jobs(&jobs, progress, |i, r| {
            event(SearchEvent::Done(&r));
            reports[i] = Some(r);
            Ok(())
        });
        let Ok(()) = finished;
        for ((fixes, _), r) in batch.into_iter().zip(reports) {
            runs.push((fixes, r.expect("every job reports")));
        }
    };
    let mut runs = Vec::new();
    check(
        singles.iter().map(|(f, c)| (vec![*f], *c)).collect(),
        &mut runs,
    );
    let mut pairs_skipped = None;
    if !runs.iter().any(|(_, r)| {
        let (n, of) = repaired(report, r);
        n == of
    }) {
        let helped: Vec<Fix> = runs
            .iter()
            .filter(|(_, r)| repaired(report, r).0 > 0)
            .map(|(f, _)| f[0])
            .collect();
        let two = pairs(&report.cfg, &singles, &helped);
        if two.len() > MAX_PAIRS {
            pairs_skipped = Some(format!(
                "{} candidates make {} pairs with a fix that repairs something alone, more than {MAX_PAIRS}",
                singles.len(),
                two.len()
            ));
        } else if !two.is_empty() {
            check(two, &mut runs);
        }
    }
    RemedySearch::Done {
        runs,
        seconds: start.elapsed().as_secs_f64(),
        pairs_skipped,
    }
}
