//! A running check's progress, for a display to read while the check runs: counters that the
//! exploration ([`crate::verify::search::explore`]) and the random walks
//! ([`crate::verify::simulate::simulate`]) advance once per chunk or batch of work, never per
//! state, so keeping them costs nothing measurable. Several runs checked at once
//! ([`crate::verify::matrix::run_jobs`]) may share one: their counts add up.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of a running check. Relaxed atomics: a reader sees each counter's latest value
/// soon, not a consistent snapshot of all of them.
#[derive(Debug, Default)]
pub struct Progress {
    /// Unique states reached by exhaustive exploration; distinct states visited by random
    /// walks (per run, summed over the runs sharing this).
    states: AtomicU64,
    /// The deepest level reached by any run, in steps from the initial state (the longest walk
    /// for random walks).
    depth: AtomicU64,
    /// Random walks finished.
    walks: AtomicU64,
}

/// What a [`Progress`] counted so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Unique states (exploration) or distinct states visited (walks), over all runs.
    pub states: u64,
    /// The deepest level reached, in steps.
    pub depth: u64,
    /// Random walks finished.
    pub walks: u64,
}

impl Progress {
    /// Counters at zero.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Adds `n` states (unique or distinct) to the count.
    pub fn add_states(&self, n: u64) {
        self.states.fetch_add(n, Ordering::Relaxed);
    }

    /// Records that a run reached depth `d` (the count keeps the largest).
    pub fn reach_depth(&self, d: u64) {
        self.depth.fetch_max(d, Ordering::Relaxed);
    }

    /// Adds `n` finished walks.
    pub fn add_walks(&self, n: u64) {
        self.walks.fetch_add(n, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        Counts {
            states: self.states.load(Ordering::Relaxed),
            depth: self.depth.load(Ordering::Relaxed),
            walks: self.walks.load(Ordering::Relaxed),
        }
    }
}
