//! The acyclicity guard (A-BOUNDS in spec/assumptions.md): every run's state graph is acyclic,
//! which the checker's `eventually` verdicts rely on (a counterexample is a terminal state at
//! the end of a path on which the property never held). A new timer or step that lets the
//! system return to a state it was in fails these tests with the cycle as a lasso of steps.
//!
//! The guard itself is tested first on tiny models that have a cycle, so it can fail.

use comlife::com::config::{Config, DEFAULT_CLIENTS};
use comlife::com::scenario::Scenario;
use comlife::com::toggle_set::{matrix_runs, ToggleSet};
use comlife::verify::acyclic::{check_acyclic, find_cycle, Acyclic, Cycle};
use comlife::verify::model::build;
use comlife::verify::search::{action_phrase, replay};
use rayon::prelude::*;
use stateright::Model;

/// A graph given by its edges (`from`, `to`) over states 0..n, initial state 0; states at or
/// above `boundary` are outside the model's boundary.
struct Graph {
    edges: &'static [(u8, u8)],
    boundary: u8,
}

impl Model for Graph {
    type State = u8;
    type Action = (u8, u8);

    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }

    fn actions(&self, state: &u8, actions: &mut Vec<(u8, u8)>) {
        actions.extend(self.edges.iter().filter(|e| e.0 == *state));
    }

    fn next_state(&self, _: &u8, action: (u8, u8)) -> Option<u8> {
        Some(action.1)
    }

    fn within_boundary(&self, state: &u8) -> bool {
        *state < self.boundary
    }
}

fn search(edges: &'static [(u8, u8)], boundary: u8) -> Result<Acyclic, Cycle<(u8, u8)>> {
    find_cycle(&Graph { edges, boundary }, |s| u64::from(*s))
}

#[test]
fn a_cycle_is_found_as_a_lasso() {
    // 0 → 1 → 2 → 3 → 1: the stem is 0 → 1, the cycle 1 → 2 → 3 → 1.
    let got = search(&[(0, 4), (0, 1), (1, 2), (2, 3), (3, 1)], u8::MAX);
    assert_eq!(
        got,
        Err(Cycle {
            stem: vec![(0, 1)],
            cycle: vec![(1, 2), (2, 3), (3, 1)],
        })
    );
}

#[test]
fn a_self_loop_and_a_cycle_through_the_initial_state_are_cycles() {
    assert_eq!(
        search(&[(0, 1), (1, 1)], u8::MAX),
        Err(Cycle {
            stem: vec![(0, 1)],
            cycle: vec![(1, 1)],
        })
    );
    assert_eq!(
        search(&[(0, 1), (1, 0)], u8::MAX),
        Err(Cycle {
            stem: vec![],
            cycle: vec![(0, 1), (1, 0)],
        })
    );
}

#[test]
fn joins_are_not_cycles() {
    // Diamonds and an edge back to a state of a lower BFS level that is not an ancestor
    // (0 → 3 and 0 → 1 → 2 → 3: 2 → 3 reaches a state BFS met at depth 1 from depth 2).
    let got = search(&[(0, 1), (0, 3), (1, 2), (1, 3), (2, 3), (3, 4)], u8::MAX);
    assert_eq!(
        got,
        Ok(Acyclic {
            states: 5,
            longest_path: 4,
        })
    );
}

#[test]
fn a_cycle_outside_the_boundary_is_not_reached() {
    assert_eq!(
        search(&[(0, 1), (1, 2), (2, 1)], 2),
        Ok(Acyclic {
            states: 2,
            longest_path: 1,
        })
    );
}

/// Checks the runs, in parallel, and returns a message per run with a cycle: the lasso's steps
/// in COM terms, after checking that they replay and return to the state they left.
fn cycles(cfgs: Vec<Config>) -> Vec<String> {
    cfgs.into_par_iter()
        .filter_map(|cfg| {
            let c = check_acyclic(cfg).err()?;
            let model = build(cfg);
            let all: Vec<_> = c.stem.iter().chain(&c.cycle).cloned().collect();
            let trace = replay(&model, &all).expect("a lasso replays");
            assert_eq!(trace.states[c.stem.len()], *trace.last(), "a lasso closes");
            let steps: Vec<String> = all.iter().map(|a| action_phrase(&model, a)).collect();
            Some(format!(
                "{} / {}: a cycle after {} steps, of {} steps:\n  {}",
                cfg.scenario.name(),
                cfg.toggled.label(),
                c.stem.len(),
                c.cycle.len(),
                steps.join("\n  ")
            ))
        })
        .collect()
}

#[test]
fn every_scenarios_baseline_is_acyclic() {
    let cfgs = Scenario::ALL
        .into_iter()
        .map(|s| Config::new(s, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap())
        .collect();
    let errors = cycles(cfgs);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
#[ignore = "full suite: cargo test --release -- --ignored (.ci/run runs it)"]
fn every_run_of_the_two_client_matrix_is_acyclic() {
    let cfgs = Scenario::ALL
        .into_iter()
        .flat_map(|s| {
            matrix_runs(s)
                .into_iter()
                .map(move |d| Config::new(s, d, DEFAULT_CLIENTS).unwrap())
        })
        .collect();
    let errors = cycles(cfgs);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
