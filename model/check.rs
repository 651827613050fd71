//! Running a check: stateright explores the state space and decides every property; this
//! module adds the exact decision of `eventually` properties and the shortest traces.

use crate::config::Config;
use crate::properties::{expectation_name, PropertyDef, PROPERTIES};
use crate::search::{self, Bounds, Found, Trace};
use crate::system::build;
use serde::Serialize;
use stateright::{Checker, Expectation, HasDiscoveries, Model};
use std::collections::BTreeSet;
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
    /// Worker threads for stateright's BFS (≥ 1).
    pub threads: usize,
    /// Stop after this many unique states (the run is then incomplete).
    pub max_states: Option<usize>,
    /// Do not explore paths longer than this many steps (the run is then incomplete).
    pub max_depth: Option<usize>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_states: None,
            max_depth: None,
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
    /// The shortest counterexample (always/eventually violated) or example (sometimes holds).
    pub trace: Option<Trace>,
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// What was run.
    pub cfg: Config,
    /// Whether the whole state space was explored.
    pub complete: bool,
    /// Unique states stateright visited.
    pub unique_states: usize,
    /// States generated, repeats included.
    pub states: usize,
    /// Longest path explored, in steps.
    pub max_depth: usize,
    /// Wall-clock seconds for exploration and traces.
    pub seconds: f64,
    /// Per-property results, in [`PROPERTIES`] order.
    pub properties: Vec<PropertyOutcome>,
}

/// Explores the model of `cfg` and decides every property that applies to its scenario.
pub fn run(cfg: Config, opts: RunOptions) -> RunReport {
    let start = Instant::now();
    let model = build(cfg);
    let mut builder = model
        .clone()
        .checker()
        .threads(opts.threads.max(1))
        // Never stop early: the state count must be that of the whole space.
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()));
    if let Some(n) = opts.max_states {
        builder = builder.target_state_count(n);
    }
    if let Some(d) = opts.max_depth {
        builder = builder.target_max_depth(d);
    }
    let checker = builder.spawn_bfs().join();
    let unique_states = checker.unique_state_count();
    let max_depth = checker.max_depth();
    let complete = opts.max_states.is_none_or(|n| unique_states < n)
        && opts.max_depth.is_none_or(|d| max_depth < d);
    let discovered: BTreeSet<&str> = checker.discoveries().into_keys().collect();
    let bounds = Bounds {
        max_states: opts.max_states,
        max_depth: opts.max_depth,
    };

    // Which properties need a trace: the discoveries stateright made, and every eventually
    // property (stateright may miss an eventually counterexample at a DAG join, so those are
    // decided exactly by the search).
    let defs: Vec<&'static PropertyDef> = model
        .properties()
        .iter()
        .map(|p| {
            PROPERTIES
                .iter()
                .find(|d| d.name == p.name)
                .expect("registered property")
        })
        .collect();
    let wanted: Vec<&'static PropertyDef> = defs
        .iter()
        .copied()
        .filter(|d| d.expectation == Expectation::Eventually || discovered.contains(d.name))
        .collect();
    let mut traces: Vec<Option<Trace>> = search::shortest_all(&model, &wanted, bounds)
        .into_iter()
        .map(|f| match f {
            Found::Trace(t) => Some(t),
            Found::Exhausted | Found::Bounded => None,
        })
        .collect();
    let properties = defs
        .into_iter()
        .map(|def| {
            let trace = match wanted.iter().position(|w| w.name == def.name) {
                Some(i) => traces[i].take(),
                None => None,
            };
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
            }
        })
        .collect();

    RunReport {
        cfg,
        complete,
        unique_states,
        states: checker.state_count(),
        max_depth,
        seconds: start.elapsed().as_secs_f64(),
        properties,
    }
}

/// JSON shape of one property in `check --json`.
#[derive(Serialize)]
pub struct PropertyJson {
    /// Property name.
    pub name: &'static str,
    /// "always", "eventually" or "sometimes".
    pub expectation: &'static str,
    /// "holds", "violated" or "unknown".
    pub verdict: &'static str,
    /// Steps in the shortest trace, if there is one.
    pub trace_length: Option<usize>,
}

/// JSON shape of `check --json`.
#[derive(Serialize)]
pub struct RunJson {
    /// Scenario name.
    pub scenario: &'static str,
    /// Disabled mechanisms' names.
    pub disabled: Vec<&'static str>,
    /// Enabled opt-in remedies' names.
    pub enabled: Vec<&'static str>,
    /// Number of clients.
    pub clients: usize,
    /// Whether the state space was explored completely.
    pub complete: bool,
    /// Unique states.
    pub unique_states: usize,
    /// Generated states, repeats included.
    pub states: usize,
    /// Longest path explored.
    pub max_depth: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Per-property verdicts.
    pub properties: Vec<PropertyJson>,
}

impl RunReport {
    /// The `--json` shape of this report.
    pub fn to_json(&self) -> RunJson {
        RunJson {
            scenario: self.cfg.scenario.name(),
            disabled: self.cfg.toggled.disabled().map(|m| m.name()).collect(),
            enabled: self.cfg.toggled.enabled().map(|m| m.name()).collect(),
            clients: self.cfg.clients,
            complete: self.complete,
            unique_states: self.unique_states,
            states: self.states,
            max_depth: self.max_depth,
            seconds: self.seconds,
            properties: self
                .properties
                .iter()
                .map(|p| PropertyJson {
                    name: p.def.name,
                    expectation: expectation_name(&p.def.expectation),
                    verdict: p.verdict.name(),
                    trace_length: p.trace.as_ref().map(Trace::len),
                })
                .collect(),
        }
    }
}
