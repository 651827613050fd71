//! Running a check: one exploration pass ([`search::explore`]) decides every property and
//! yields the shortest trace of every discovery; this module turns them into verdicts.

use crate::com::config::Config;
use crate::verify::memory::MemoryBound;
use crate::verify::model::build;
use crate::verify::progress::Progress;
use crate::verify::properties::PropertyDef;
use crate::verify::search::{self, Exploration, Limits, Trace};
use crate::verify::simulate::{simulate, Simulation};
use serde::Serialize;
use stateright::Expectation;
use std::time::Instant;

/// A property's verdict in one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Always/eventually: no counterexample in the complete state space. Sometimes: an
    /// example was reached.
    Holds,
    /// Always/eventually: a counterexample exists. Sometimes: no state satisfies it.
    Violated,
    /// A bound stopped exploration before the verdict was certain.
    Unknown,
}

impl Verdict {
    /// The verdict's name in spec/expectations.toml and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Unknown => "unknown",
        }
    }

    /// Parses a verdict name.
    ///
    /// # Errors
    /// Returns a message naming the valid verdicts.
    pub fn parse(s: &str) -> Result<Verdict, String> {
        match s {
            "holds" => Ok(Verdict::Holds),
            "violated" => Ok(Verdict::Violated),
            "unknown" => Ok(Verdict::Unknown),
            _ => Err(format!(
                "unknown verdict '{s}'; valid verdicts: holds, violated, unknown"
            )),
        }
    }
}

/// Exploration limits and parallelism for a run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Worker threads (≥ 1). Counts, verdicts and traces do not depend on it.
    pub threads: usize,
    /// Stop after this many unique states (the run is then incomplete).
    pub max_states: Option<usize>,
    /// Do not explore paths longer than this many steps (the run is then incomplete).
    pub max_depth: Option<usize>,
    /// Stop when the process's resident memory exceeds this bound (the run is then
    /// incomplete, with a message in [`RunReport::stopped`]). `check` sets
    /// [`MemoryBound::machine_default`] when `--max-memory` is not given; the default here is
    /// none.
    pub max_memory: Option<MemoryBound>,
    /// Random walks instead of exhaustive exploration ([`crate::verify::simulate`]).
    pub simulate: Option<Simulation>,
    /// Symmetry reduction ([`crate::verify::symmetry`]; on by default, `--no-symmetry` turns it off):
    /// the same verdicts and trace lengths, fewer unique states (counted per class) in the
    /// local scenarios. Simulation is never reduced.
    pub symmetry: bool,
    /// Partial-order reduction ([`crate::verify::por`]; off by default, `--por` turns it on):
    /// the same verdicts, fewer unique states; its traces are re-derived as shortest ones where
    /// that is cheap ([`shortest_traces`]), and are otherwise not necessarily shortest
    /// ([`PropertyOutcome::shortest`]). Simulation is never reduced.
    pub por: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_states: None,
            max_depth: None,
            max_memory: None,
            simulate: None,
            symmetry: true,
            por: false,
        }
    }
}

/// One property's result.
#[derive(Clone, Debug)]
pub struct PropertyOutcome {
    /// The property.
    pub def: &'static PropertyDef,
    /// Its verdict.
    pub verdict: Verdict,
    /// The counterexample (always/eventually violated) or example (sometimes holds): a shortest
    /// one when [`PropertyOutcome::shortest`].
    pub trace: Option<Trace>,
    /// Whether the trace is a shortest one: after an exhaustive search, unless a state bound
    /// cut a level shallower than the trace's length; under
    /// partial-order reduction when [`shortest_traces`] re-derived it; never for a random
    /// walk's.
    pub shortest: bool,
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// What was run.
    pub cfg: Config,
    /// Whether the whole state space was explored.
    pub complete: bool,
    /// Unique states visited.
    pub unique_states: usize,
    /// States generated, repeats included.
    pub states: usize,
    /// Longest path explored, in steps.
    pub max_depth: usize,
    /// Wall-clock seconds for exploration and traces.
    pub seconds: f64,
    /// Why the run stopped early, when the memory bound stopped it.
    pub stopped: Option<String>,
    /// Whether this was a simulation (random walks): `unique_states` counts the distinct states
    /// visited, `states` the steps taken, traces are not necessarily shortest, and a property
    /// no walk showed is `unknown`.
    pub simulated: bool,
    /// Whether symmetry reduction was on ([`RunOptions::symmetry`]): `unique_states` then
    /// counts classes of states in the local scenarios.
    pub symmetry: bool,
    /// Whether partial-order reduction was on ([`RunOptions::por`]): `unique_states` then counts
    /// the states of the reduced graph, and a trace is shortest only where
    /// [`PropertyOutcome::shortest`] says so.
    pub por: bool,
    /// Per-property results, in [`crate::verify::properties::PROPERTIES`] order.
    pub properties: Vec<PropertyOutcome>,
}

/// 2⁶⁴, the number of distinct 64-bit fingerprints.
const FINGERPRINTS: f64 = 18_446_744_073_709_551_616.0;

/// The probability that two of `n` distinct states share a 64-bit fingerprint, bounded as for
/// a random function (the birthday bound): at most n(n − 1)/2 pairs, each colliding with
/// probability 2⁻⁶⁴, so at most n(n − 1)/2⁶⁵. It depends on `n` only, so it can be computed
/// from a pinned count without exploring.
pub fn collision_bound(n: usize) -> f64 {
    let n = n as f64;
    n * (n - 1.0).max(0.0) / 2.0 / FINGERPRINTS
}

impl RunReport {
    /// The probability that a fingerprint collision merged two of this run's states
    /// ([`collision_bound`] of [`RunReport::unique_states`]): the states (classes of states,
    /// under symmetry reduction) are identified by 64-bit fingerprints only
    /// ([`crate::verify::search::fingerprint`]), and two states with one fingerprint would be
    /// taken for one, the second never explored. Fingerprints are fixed, so a collision would
    /// be the same in every run of this configuration. In a simulation a collision only
    /// lowers the count of distinct states; verdicts do not use fingerprints.
    pub fn collision_probability(&self) -> f64 {
        collision_bound(self.unique_states)
    }

    /// TLC's "calculated (optimistic)" estimate of the same probability, d·(g − d)/2⁶⁴ for d
    /// distinct and g generated states (each of the g − d lookups that found its fingerprint
    /// could have been a new state whose fingerprint equals one of the d stored), printed
    /// beside [`RunReport::collision_probability`] for comparison with TLC's runs. It is an
    /// estimate, not a bound; for our runs it is about 2(g/d − 1) times the birthday bound.
    pub fn tlc_collision_estimate(&self) -> f64 {
        let d = self.unique_states as f64;
        let g = self.states as f64;
        d * (g - d).max(0.0) / FINGERPRINTS
    }
}

/// Under partial-order reduction, per property, a shortest trace of what the reduced search
/// `reduced` found, where an exact search finds one cheaply; `None` where it does not (the
/// reduced search's trace then stands, not necessarily shortest).
///
/// The exact search (symmetry reduction as the run's) goes no deeper than the longest trace
/// found (each discovery has a path that long, so a breadth-first search finds it at its least
/// depth) and adds at most as many states as the reduced search did, so it at most doubles the
/// run's cost. A state bound that cuts it at some depth leaves every shorter level complete:
/// a discovery at that depth or less is still a shortest one, one beyond it is not used.
pub fn shortest_traces(
    model: &crate::com::system::ComModel,
    defs: &[&PropertyDef],
    limits: Limits,
    reduced: &Exploration,
) -> Vec<Option<Trace>> {
    let Some(longest) = reduced.traces.iter().flatten().map(Trace::len).max() else {
        return vec![None; defs.len()];
    };
    let exact = search::explore(
        model,
        defs,
        Limits {
            por: false,
            max_depth: Some(longest),
            max_states: Some(reduced.unique_states.max(1)),
            ..limits
        },
        &Progress::new(),
    );
    let keep: Vec<bool> = exact
        .traces
        .iter()
        .map(|t| t.as_ref().is_some_and(|t| exact.within_complete_levels(t)))
        .collect();
    exact
        .traces
        .into_iter()
        .zip(&reduced.traces)
        .zip(keep)
        .map(|((t, found), keep)| t.filter(|_| found.is_some() && keep))
        .collect()
}

/// Explores the model of `cfg` in one pass ([`search::explore`]) and decides every property
/// that applies to its scenario.
pub fn run(cfg: Config, opts: RunOptions) -> RunReport {
    run_with_progress(cfg, opts, &Progress::new())
}

/// [`run`], advancing `progress` as the run goes, for a display to show.
pub fn run_with_progress(cfg: Config, opts: RunOptions, progress: &Progress) -> RunReport {
    let start = Instant::now();
    let model = build(cfg);
    let defs = crate::verify::model::properties_of(&cfg);
    let limits = Limits {
        threads: opts.threads,
        max_states: opts.max_states,
        max_depth: opts.max_depth,
        max_memory: opts.max_memory,
        symmetry: opts.symmetry,
        por: opts.por,
        sleep_sets: true,
    };
    let x = match opts.simulate {
        Some(sim) => {
            let o = simulate(&model, &defs, sim, opts.threads, progress);
            Exploration {
                unique_states: o.distinct_states,
                generated: o.steps,
                asleep: 0,
                max_depth: o.longest,
                complete: false,
                stopped: None,
                refused_depth: None,
                traces: o.traces,
            }
        }
        None => search::explore(&model, &defs, limits, progress),
    };
    let complete = x.complete;
    // Each trace with whether it is shortest: an exhaustive search's are, up to the level a
    // state bound cut (the levels above it are complete, a discovery beyond it may have a
    // shorter path through a refused state); a reduced search's where an exact search
    // re-derives them cheaply; random walks' never are.
    let traces: Vec<(Option<Trace>, bool)> = match (opts.simulate, opts.por) {
        (Some(_), _) => x.traces.into_iter().map(|t| (t, false)).collect(),
        (None, false) => {
            let shortest: Vec<bool> = x
                .traces
                .iter()
                .map(|t| t.as_ref().is_none_or(|t| x.within_complete_levels(t)))
                .collect();
            x.traces.into_iter().zip(shortest).collect()
        }
        (None, true) => {
            let rederived = shortest_traces(&model, &defs, limits, &x);
            x.traces
                .into_iter()
                .zip(rederived)
                .map(|(found, short)| match short {
                    Some(t) => (Some(t), true),
                    None => (found, false),
                })
                .collect()
        }
    };
    let properties = defs
        .into_iter()
        .zip(traces)
        .map(|(def, (trace, shortest))| {
            let found = trace.is_some();
            let verdict = match def.expectation {
                Expectation::Always | Expectation::Eventually if found => Verdict::Violated,
                Expectation::Sometimes if found => Verdict::Holds,
                _ if !complete => Verdict::Unknown,
                Expectation::Always | Expectation::Eventually => Verdict::Holds,
                Expectation::Sometimes => Verdict::Violated,
            };
            PropertyOutcome {
                def,
                verdict,
                trace,
                shortest,
            }
        })
        .collect();

    RunReport {
        cfg,
        complete,
        unique_states: x.unique_states,
        states: x.generated,
        max_depth: x.max_depth,
        seconds: start.elapsed().as_secs_f64(),
        stopped: x.stopped,
        simulated: opts.simulate.is_some(),
        symmetry: opts.symmetry,
        por: opts.por && opts.simulate.is_none(),
        properties,
    }
}
