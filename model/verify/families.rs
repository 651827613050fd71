//! How much of a matrix's work its runs share: the measure behind `bench --families`
//! (docs/benchmarks.md, "A search of a scenario's runs together").
//!
//! The runs of one scenario (its baseline and each mechanism or remedy toggled) are separate
//! searches, yet they reach many of the same states. A family-based search, one search of the
//! whole family that carries with each state the set of runs that reach it, would store, key
//! and expand such a state once per level at which some run first reaches it, instead of once
//! per run. This module measures what that could save on the runs as they are, without
//! building the family search: it explores each run, records every state's key and the level
//! at which the run first reached it ([`search::explore_first_levels`]), and counts per family
//! (the runs of one scenario, number of clients, runtime and layout):
//! - the **sum** of the runs' unique states: what the runs explore now;
//! - the **union**: the distinct states of the family, a lower bound on any search of it;
//! - the **family nodes**: the distinct (state, first level) pairs, what a breadth-first
//!   family search expands if it keeps each run's levels exact (each run's shortest traces):
//!   a state that one run first reaches at level 5 and another at level 7 is expanded at both.
//!
//! Each run's successors would still be computed per run (a toggle changes what an actor does),
//! so the saving is at most what the family nodes save on the search's shared work.
//!
//! A state is known by its run's key: its class's under the run's symmetry reduction. A run
//! whose toggles allow fewer renamings (the `access-denied-client` condition tells client 1
//! apart) keys its states by smaller classes, so a state it shares with the family's other
//! runs may be counted twice: the measure errs towards less sharing, never more.

use crate::com::config::Config;
use crate::verify::model::{build, properties_of};
use crate::verify::progress::Progress;
use crate::verify::search::{self, Limits};

/// One family's measure: the runs of one scenario, number of clients, runtime and layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Family {
    /// The family's scenario, clients, runtime and layout: its first run's configuration.
    pub cfg: Config,
    /// Runs in the family.
    pub runs: usize,
    /// The runs' unique states (classes, under symmetry reduction), added up.
    pub sum: usize,
    /// The family's distinct states: at most [`Family::sum`], at least its largest run's.
    pub union: usize,
    /// The distinct (state, level first reached) pairs over the family's runs: at least
    /// [`Family::union`], at most [`Family::sum`].
    pub nodes: usize,
}

/// Explores every run of `cfgs` exhaustively on `threads` threads (symmetry reduction and
/// sleep sets as `check`'s) and measures each family of them, in the order of their first runs.
/// Holds one family's keys at a time: 16 bytes per state of its runs, up to twice that while
/// the list grows (the whole two-client matrix: 2.6 GiB peak, for local-multi-sta's 14 Wine
/// runs and their 62.3 M states, measured on 2026-12-04).
pub fn measure(cfgs: &[Config], threads: usize, progress: &Progress) -> Vec<Family> {
    let same = |a: &Config, b: &Config| {
        (a.scenario, a.clients, a.runtime, a.layout) == (b.scenario, b.clients, b.runtime, b.layout)
    };
    let mut firsts: Vec<Config> = Vec::new();
    for cfg in cfgs {
        if !firsts.iter().any(|f| same(f, cfg)) {
            firsts.push(*cfg);
        }
    }
    let limits = Limits {
        threads: threads.max(1),
        max_states: None,
        max_depth: None,
        max_memory: None,
        symmetry: true,
        por: false,
        sleep_sets: true,
    };
    firsts
        .into_iter()
        .map(|first| {
            let (mut runs, mut sum) = (0, 0);
            let mut pairs: Vec<(u64, u32)> = Vec::new();
            for cfg in cfgs.iter().filter(|c| same(c, &first)) {
                let model = build(*cfg);
                let defs = properties_of(cfg);
                let (x, levels) = search::explore_first_levels(&model, &defs, limits, progress);
                runs += 1;
                sum += x.unique_states;
                pairs.extend(levels);
            }
            pairs.sort_unstable();
            pairs.dedup();
            let nodes = pairs.len();
            let union = nodes - pairs.windows(2).filter(|w| w[0].0 == w[1].0).count();
            Family {
                cfg: first,
                runs,
                sum,
                union,
                nodes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::com::scenario::Scenario;

    /// On the `inproc` scenario's runs: one family per runtime, whose sum is the runs' own
    /// counts, whose union is no more than the sum and no less than its largest run, and whose
    /// nodes lie between the two; the runs share states (the union is smaller than the sum).
    #[test]
    fn a_family_counts_its_runs_states_once_per_first_level() {
        let cfgs: Vec<Config> = crate::com::toggle_set::matrix(Scenario::Inproc)
            .into_iter()
            .map(|(runtime, toggled)| {
                Config::new(Scenario::Inproc, toggled, 2)
                    .and_then(|c| c.with_runtime(runtime))
                    .expect("a matrix run")
            })
            .collect();
        let families = measure(&cfgs, 1, &Progress::new());
        assert_eq!(families.len(), 2, "one family per runtime");
        assert_eq!(families.iter().map(|f| f.runs).sum::<usize>(), cfgs.len());
        for f in &families {
            let counts: Vec<usize> = cfgs
                .iter()
                .filter(|c| c.runtime == f.cfg.runtime)
                .map(|c| crate::verify::check::run(*c, Default::default()).unique_states)
                .collect();
            assert_eq!(f.sum, counts.iter().sum::<usize>());
            assert!(f.union >= *counts.iter().max().expect("a run"));
            assert!(f.union < f.sum, "{f:?}");
            assert!(f.union <= f.nodes && f.nodes <= f.sum, "{f:?}");
        }
    }
}
