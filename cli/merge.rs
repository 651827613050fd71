//! `comlife merge REPORT.json…`: one report from the JSON reports of one simulation split
//! into parts (`check --simulate RUNS --seed S --json`, one seed per machine or job; docs/checker.md,
//! "Simulation on a batch system").
//!
//! What random walks establish adds up across parts: a violation of an always or eventually
//! property, or a sometimes property's example, that any part showed is established, with the
//! shortest trace among the parts (ties: the first report named); a property no part showed
//! stays `unknown` — simulation never establishes that a property holds everywhere. Walks and
//! steps are summed. Distinct states cannot be summed (parts may visit the same states), so
//! the merged report gives bounds: at least the most any part visited, at most their sum.
//!
//! The parts must be of one run (scenario, toggles, clients, server description), come from one
//! build (the same properties and expected verdicts) and use different seeds (two parts with
//! one seed take the same first walks). Anything else is refused, naming both reports, with
//! exit status 2 and nothing printed on stdout. A merged report has the same shape and can be
//! merged again (its `simulation.parts` lists every part's seed, walks and depth).

use crate::fs_policy;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One part of a simulation: walks `0..runs` of `seed`, each at most `depth` steps.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
struct Part {
    seed: u64,
    runs: u64,
    depth: usize,
}

/// A report's `simulation`: one part (`check --simulate --json`) or several (a merged report).
#[derive(Deserialize)]
struct SimulationIn {
    runs: u64,
    seed: Option<u64>,
    depth: Option<usize>,
    #[serde(default)]
    parts: Vec<Part>,
}

/// One property of a report.
#[derive(Serialize, Deserialize, Clone, Debug)]
struct Property {
    name: String,
    expectation: String,
    verdict: String,
    trace_length: Option<usize>,
    expected: Option<String>,
    matches: Option<bool>,
    not_established: bool,
    finding: Option<String>,
    /// In a merged report: the report that showed the property (the shortest trace); its
    /// traces directory holds the trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shown_by: Option<String>,
}

/// The fields of a `check --json` report (or of a merged one) that merging reads.
#[derive(Deserialize)]
struct Report {
    scenario: String,
    disabled: Vec<String>,
    enabled: Vec<String>,
    clients: usize,
    #[serde(default)]
    description: Option<String>,
    simulated: bool,
    unique_states: Option<usize>,
    #[serde(default)]
    unique_states_at_least: Option<usize>,
    #[serde(default)]
    unique_states_at_most: Option<usize>,
    states: usize,
    max_depth: usize,
    seconds: f64,
    simulation: Option<SimulationIn>,
    properties: Vec<Property>,
}

/// The merged report (printed as JSON).
#[derive(Serialize)]
struct Merged {
    scenario: String,
    disabled: Vec<String>,
    enabled: Vec<String>,
    clients: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    complete: bool,
    /// Distinct states visited cannot be merged: null; see the bounds.
    unique_states: Option<usize>,
    /// The most distinct states any part visited: a lower bound on those all parts visited.
    unique_states_at_least: usize,
    /// The sum of the parts' distinct states: an upper bound.
    unique_states_at_most: usize,
    /// Steps taken by all walks.
    states: usize,
    /// The longest walk.
    max_depth: usize,
    /// The parts' seconds added up (machine time, not the wall clock of the batch).
    seconds: f64,
    simulated: bool,
    /// Properties whose established verdict differs from the expected one.
    mismatches: usize,
    simulation: SimulationOut,
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct SimulationOut {
    runs: u64,
    parts: Vec<Part>,
}

/// Whether `p`'s verdict is a discovery a walk can make: a violated always or eventually
/// property, or a sometimes property's example.
fn discovery(p: &Property) -> bool {
    matches!(
        (p.expectation.as_str(), p.verdict.as_str()),
        ("always" | "eventually", "violated") | ("sometimes", "holds")
    )
}

/// A report read and checked: its file name for messages and its parts.
struct Input {
    name: String,
    report: Report,
    parts: Vec<Part>,
}

/// Reads and checks one report.
fn read(path: &Path) -> Result<Input, String> {
    let name = path.display().to_string();
    let text = fs_policy::read_input(path, "a check --json report", fs_policy::REPORT_CAP)?;
    let report: Report = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{name}:{}:{}: not a report of `comlife check --simulate … --json`: {e}",
            e.line(),
            e.column()
        )
    })?;
    if !report.simulated {
        return Err(format!(
            "{name} is an exhaustive run (simulated: false): merge combines the reports of \
             simulations (check --simulate RUNS --seed S --json)"
        ));
    }
    let sim = report.simulation.as_ref().ok_or_else(|| {
        format!(
            "{name} has no 'simulation' (its walks and seed): it was written by an older \
             comlife; run check --simulate … --json again"
        )
    })?;
    let parts = match (sim.seed, sim.depth, sim.parts.is_empty()) {
        (Some(seed), Some(depth), true) => vec![Part {
            seed,
            runs: sim.runs,
            depth,
        }],
        (None, None, false) => sim.parts.clone(),
        _ => {
            return Err(format!(
                "{name}: 'simulation' must have either seed and depth (one part) or parts"
            ))
        }
    };
    if parts.iter().map(|p| p.runs).sum::<u64>() != sim.runs {
        return Err(format!(
            "{name}: 'simulation': runs is not the sum of its parts' runs"
        ));
    }
    if let Some(p) = report
        .properties
        .iter()
        .find(|p| p.verdict != "unknown" && !discovery(p))
    {
        return Err(format!(
            "{name}: property '{}' ({}) is '{}', which a simulation cannot establish",
            p.name, p.expectation, p.verdict
        ));
    }
    Ok(Input {
        name,
        report,
        parts,
    })
}

/// The run a report is of, in words, for messages.
fn run_of(r: &Report) -> String {
    let mut toggles: Vec<String> = r
        .disabled
        .iter()
        .map(|d| format!("--disable {d}"))
        .collect();
    toggles.extend(r.enabled.iter().map(|e| format!("--enable {e}")));
    let desc = r
        .description
        .as_ref()
        .map_or(String::new(), |d| format!("description {d}, "));
    format!(
        "{desc}scenario {}, {} clients{}",
        r.scenario,
        r.clients,
        if toggles.is_empty() {
            String::new()
        } else {
            format!(", {}", toggles.join(" "))
        }
    )
}

/// Checks that `b` can be merged with `a` (the first report).
fn compatible(a: &Input, b: &Input) -> Result<(), String> {
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let (ra, rb) = (&a.report, &b.report);
    if ra.scenario != rb.scenario
        || sorted(&ra.disabled) != sorted(&rb.disabled)
        || sorted(&ra.enabled) != sorted(&rb.enabled)
        || ra.clients != rb.clients
        || ra.description != rb.description
    {
        return Err(format!(
            "{} and {} are reports of different runs ({}; {}): only parts of one run can be merged",
            a.name,
            b.name,
            run_of(ra),
            run_of(rb)
        ));
    }
    let shape = |r: &Report| -> Vec<(String, String, Option<String>)> {
        r.properties
            .iter()
            .map(|p| (p.name.clone(), p.expectation.clone(), p.expected.clone()))
            .collect()
    };
    if shape(ra) != shape(rb) {
        return Err(format!(
            "{} and {} list different properties or expected verdicts: they were written by \
             different builds of comlife; run the parts with one build",
            a.name, b.name
        ));
    }
    Ok(())
}

/// Merges checked, compatible reports.
fn merge(inputs: &[Input]) -> Merged {
    let first = &inputs[0].report;
    let mut properties = first.properties.clone();
    for (i, p) in properties.iter_mut().enumerate() {
        let best = inputs
            .iter()
            .filter(|x| discovery(&x.report.properties[i]))
            .min_by_key(|x| x.report.properties[i].trace_length.unwrap_or(usize::MAX));
        match best {
            Some(x) => {
                let q = &x.report.properties[i];
                p.verdict = q.verdict.clone();
                p.trace_length = q.trace_length;
                p.finding = q.finding.clone();
                p.shown_by = Some(q.shown_by.clone().unwrap_or_else(|| x.name.clone()));
                p.matches = p.expected.as_ref().map(|e| *e == p.verdict);
                p.not_established = false;
            }
            None => {
                p.verdict = "unknown".into();
                p.trace_length = None;
                p.finding = None;
                p.shown_by = None;
                p.matches = None;
                p.not_established = p.expected.is_some();
            }
        }
    }
    let parts: Vec<Part> = inputs.iter().flat_map(|x| x.parts.clone()).collect();
    let lower = |r: &Report| r.unique_states_at_least.or(r.unique_states).unwrap_or(0);
    let upper = |r: &Report| r.unique_states_at_most.or(r.unique_states).unwrap_or(0);
    Merged {
        scenario: first.scenario.clone(),
        disabled: first.disabled.clone(),
        enabled: first.enabled.clone(),
        clients: first.clients,
        description: first.description.clone(),
        complete: false,
        unique_states: None,
        unique_states_at_least: inputs.iter().map(|x| lower(&x.report)).max().unwrap_or(0),
        unique_states_at_most: inputs.iter().map(|x| upper(&x.report)).sum(),
        states: inputs.iter().map(|x| x.report.states).sum(),
        max_depth: inputs.iter().map(|x| x.report.max_depth).max().unwrap_or(0),
        seconds: inputs.iter().map(|x| x.report.seconds).sum(),
        simulated: true,
        mismatches: properties
            .iter()
            .filter(|p| p.matches == Some(false))
            .count(),
        simulation: SimulationOut {
            runs: parts.iter().map(|p| p.runs).sum(),
            parts,
        },
        properties,
    }
}

/// `comlife merge FILES…`: prints the merged report (JSON) on stdout and a summary line on
/// stderr. Exit status 0 when nothing established differs from the expected verdicts, 1 when
/// something does, 2 for a report that cannot be read or merged (nothing on stdout).
pub fn run(files: &[PathBuf]) -> ExitCode {
    let mut inputs: Vec<Input> = Vec::new();
    for f in files {
        let input = match read(f) {
            Ok(i) => i,
            Err(e) => return crate::usage(e),
        };
        if let Some(first) = inputs.first() {
            if let Err(e) = compatible(first, &input) {
                return crate::usage(e);
            }
        }
        for seen in &inputs {
            if let Some(p) = seen
                .parts
                .iter()
                .find(|p| input.parts.iter().any(|q| q.seed == p.seed))
            {
                return crate::usage(format!(
                    "{} and {} both ran seed {}: they share their first walks, so merging them \
                     would count those twice; give each part its own seed",
                    seen.name, input.name, p.seed
                ));
            }
        }
        inputs.push(input);
    }
    let merged = merge(&inputs);
    println!(
        "{}",
        serde_json::to_string_pretty(&merged).expect("serialisable")
    );
    let shown = merged
        .properties
        .iter()
        .filter(|p| p.verdict != "unknown")
        .count();
    let not_established = merged
        .properties
        .iter()
        .filter(|p| p.not_established)
        .count();
    eprintln!(
        "comlife: merged {} reports ({} walks, {} seeds): {shown} of {} properties shown, \
         {} differ from the expected verdicts; {not_established} cannot be established by \
         simulation",
        inputs.len(),
        merged.simulation.runs,
        merged.simulation.parts.len(),
        merged.properties.len(),
        merged.mismatches
    );
    if merged.mismatches == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
