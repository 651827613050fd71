//! What a run says about the server as it is described: its defects, each named once, with
//! what explains it and what repairs it — the answer `check` leads with, before the verdict
//! table and the regression comparison.
//!
//! A defect is a group of violated always/eventually properties with one cause: a finding of
//! spec/findings.md that spec/expectations.toml's `[findings]` table pins for the run, toggles
//! of the run without which the pinned run shows the properties hold (a mechanism the run
//! disabled, so the server needs it; or a variant, condition or configuration that exposes
//! them), or nothing pinned. The remedies are derived from the pins as well: an opt-in remedy
//! repairs a property when the pinned run with the remedy added shows it holding. Everything
//! here comes from spec/expectations.toml as pinned for the scenario's own apartments and
//! classes with the default two clients; a description with another layout gets no pinned
//! explanation.

use crate::com::config::Layout;
use crate::com::toggle_set::ToggleSet;
use crate::com::toggles::{Kind, Toggle};
use crate::verify::check::{RunReport, Verdict};
use crate::verify::expectations::Expectations;
use stateright::Expectation;

/// What explains a defect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The finding of spec/findings.md ("F-4") that spec/expectations.toml's `[findings]`
    /// table names for the properties in this run, or in the run with every disabled
    /// mechanism back on (the server as built, where they are violated as well).
    Finding(String),
    /// Toggles of the run (in [`Toggle::ALL`] order) without any one of which the pinned run
    /// shows the properties hold: a disabled mechanism (the server needs it; enabling it back
    /// is the remedy) or an enabled variant, condition or configuration (it exposes them).
    Toggled(Vec<Toggle>),
    /// Nothing pinned explains the violation: the run is not pinned (another layout than the
    /// scenario's own) or the `[findings]` table names no finding for it.
    Unexplained,
}

/// An opt-in remedy ([`Kind::Remedy`]) and the properties of a defect it repairs, according to
/// the pinned run of the same scenario with the remedy added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remedy {
    /// The remedy (`--enable NAME`).
    pub toggle: Toggle,
    /// The pinned run that shows it: the run's toggles plus the remedy.
    pub run: ToggleSet,
    /// The defect's properties that hold in that run, in the report's order.
    pub repairs: Vec<&'static str>,
}

/// One defect: violated properties with one cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defect {
    /// What explains it.
    pub cause: Cause,
    /// The violated always/eventually properties, as indices into the report's `properties`,
    /// in the report's order (at least one).
    pub properties: Vec<usize>,
    /// Each opt-in remedy that applies to the scenario and is not in the run whose pinned run
    /// (the run's toggles plus the remedy) repairs at least one of the properties, those that
    /// repair more first (then in [`Toggle::ALL`] order). Empty for a [`Cause::Toggled`] defect
    /// with a disabled mechanism (enabling it back is the remedy) and when no pinned run shows
    /// a repair.
    pub remedies: Vec<Remedy>,
}

impl Defect {
    /// The index (into the report's `properties`) of the property with the shortest trace.
    pub fn shortest(&self, report: &RunReport) -> usize {
        *self
            .properties
            .iter()
            .min_by_key(|&&i| report.properties[i].trace.as_ref().map_or(usize::MAX, |t| t.len()))
            .expect("a defect has a property")
    }

    /// The defect's properties that no remedy in [`Defect::remedies`] repairs.
    pub fn unrepaired(&self, report: &RunReport) -> Vec<&'static str> {
        self.properties
            .iter()
            .map(|&i| report.properties[i].def.name)
            .filter(|n| !self.remedies.iter().any(|r| r.repairs.contains(n)))
            .collect()
    }
}

/// A run's answer about the server: its defects, and what it could not establish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// The defects, in the order of their first property.
    pub defects: Vec<Defect>,
    /// Sometimes properties no state reached (no example; not a defect of the server, but the
    /// behaviour they demonstrate does not occur), as indices into the report's `properties`.
    pub unreached: Vec<usize>,
    /// Properties whose verdict is unknown (a bounded, stopped or simulated run), as indices.
    pub unknown: Vec<usize>,
}

impl Diagnosis {
    /// Whether the run establishes that the server has no defect: no violation, no unknown
    /// verdict and a complete exploration.
    pub fn proves_safe(&self, report: &RunReport) -> bool {
        self.defects.is_empty() && self.unknown.is_empty() && report.complete
    }
}

/// The set `t` without `m`.
fn without(t: ToggleSet, m: Toggle) -> ToggleSet {
    t.iter().filter(|&x| x != m).fold(ToggleSet::EMPTY, ToggleSet::with)
}

/// The diagnosis of `report`, explained from the pins of `pinned` (spec/expectations.toml).
pub fn diagnose(report: &RunReport, pinned: &Expectations) -> Diagnosis {
    let cfg = report.cfg;
    let (s, t) = (cfg.scenario, cfg.toggled);
    // The pins describe the scenario's own apartments and classes only.
    let own = cfg.layout == Layout::of(s);
    let get = |run: ToggleSet, p: &str| own.then(|| pinned.get(s, run, p)).flatten();
    // The server as built: every disabled mechanism back on.
    let built = t.enabled().fold(ToggleSet::EMPTY, ToggleSet::with);
    let mut out = Diagnosis {
        defects: Vec::new(),
        unreached: Vec::new(),
        unknown: Vec::new(),
    };
    for (i, p) in report.properties.iter().enumerate() {
        match (p.verdict, p.def.expectation == Expectation::Sometimes) {
            (Verdict::Unknown, _) => out.unknown.push(i),
            (Verdict::Violated, true) => out.unreached.push(i),
            (Verdict::Holds, _) => {}
            (Verdict::Violated, false) => {
                let name = p.def.name;
                let finding = |run| {
                    own.then(|| pinned.finding(s, run, name))
                        .flatten()
                        .map(str::to_string)
                };
                let toggled: Vec<Toggle> = t
                    .iter()
                    .filter(|m| m.kind() != Kind::Remedy)
                    .filter(|&m| get(without(t, m), name) == Some(Verdict::Holds))
                    .collect();
                let cause = if let Some(f) = finding(t) {
                    Cause::Finding(f)
                } else if !toggled.is_empty() {
                    Cause::Toggled(toggled)
                } else if let Some(f) = (get(built, name) == Some(Verdict::Violated))
                    .then(|| finding(built))
                    .flatten()
                {
                    Cause::Finding(f)
                } else {
                    Cause::Unexplained
                };
                match out.defects.iter_mut().find(|d| d.cause == cause) {
                    Some(d) => d.properties.push(i),
                    None => out.defects.push(Defect {
                        cause,
                        properties: vec![i],
                        remedies: Vec::new(),
                    }),
                }
            }
        }
    }
    for d in &mut out.defects {
        // A disabled mechanism's remedy is enabling it back.
        if matches!(&d.cause, Cause::Toggled(ms) if ms.iter().any(|m| !m.opt_in())) {
            continue;
        }
        let names: Vec<&'static str> = d
            .properties
            .iter()
            .map(|&i| report.properties[i].def.name)
            .collect();
        for r in Toggle::ALL {
            if r.kind() != Kind::Remedy || !r.applies_to(s) || t.contains(r) {
                continue;
            }
            let run = t.with(r);
            let repairs: Vec<&'static str> = names
                .iter()
                .copied()
                .filter(|n| get(run, n) == Some(Verdict::Holds))
                .collect();
            if !repairs.is_empty() {
                d.remedies.push(Remedy {
                    toggle: r,
                    run,
                    repairs,
                });
            }
        }
        // Stable: equal counts keep Toggle::ALL order.
        d.remedies.sort_by_key(|r| std::cmp::Reverse(r.repairs.len()));
    }
    out
}
