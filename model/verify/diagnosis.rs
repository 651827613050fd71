//! What a run says about the server as it is described: its defects, each named once, with
//! what explains it and what repairs it — the answer `check` leads with, before the verdict
//! table and the regression comparison.
//!
//! A defect is a group of violated always/eventually properties with one cause: a finding of
//! spec/findings.md that spec/expectations.toml's `[findings]` table pins for the run's
//! scenario and toggles, toggles of the run without which the pinned run shows the properties
//! hold (a mechanism the run disabled, so the server needs it; or a variant, condition or
//! configuration that exposes them), or nothing pinned. The pins describe each scenario's own
//! apartments and classes with the default two clients: a finding is still named for a run
//! with another layout or client count (its violated properties are the ones the pinned run of
//! the same scenario and toggles names it for, and [`Diagnosis::differs`] says what differs),
//! but the toggles' part is read off the pins only for the scenario's own layout.
//!
//! The remedies come from the remedy search ([`crate::verify::remedies`]) when it ran: each
//! opt-in remedy checked in this very configuration, what it repairs and what it breaks. Where
//! it did not run (the whole matrix, a simulation, a bounded or costly run) they are derived
//! from the pins: an opt-in remedy repairs a property when the pinned run with the remedy added
//! shows it holding and the pinned run without it shows it violated (the scenario's own layout
//! only; a defect that the pinned runs do not show has no remedy from the pins).

use crate::com::config::{Config, Layout, DEFAULT_CLIENTS};
use crate::com::toggle_set::ToggleSet;
use crate::com::toggles::{Kind, Toggle};
use crate::verify::check::{RunReport, Verdict};
use crate::verify::expectations::Expectations;
use crate::verify::remedies::{Fix, Fixes, RemedySearch};
use stateright::Expectation;

/// What explains a defect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The finding of spec/findings.md ("F-4") that spec/expectations.toml's `[findings]`
    /// table names for the properties in the pinned run of this scenario and toggles, or in the
    /// run with every disabled mechanism back on (the server as built, where they are violated
    /// as well; the scenario's own layout only). For a run with another layout or client count
    /// [`Diagnosis::differs`] says so.
    Finding(String),
    /// Toggles of the run (in [`Toggle::ALL`] order) without any one of which the pinned run
    /// shows the properties hold: a disabled mechanism (the server needs it; enabling it back
    /// is the remedy) or an enabled variant, condition or configuration (it exposes them).
    Toggled(Vec<Toggle>),
    /// Nothing pinned explains the violation: the `[findings]` table names no finding for the
    /// run, and the run is not pinned (another layout than the scenario's own) or no toggle of
    /// it explains it.
    Unexplained,
}

/// Where a remedy's verdicts come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The remedy search ([`crate::verify::remedies`]): this run's configuration with the
    /// remedy added, checked with the run's bounds.
    Searched {
        /// Unique states (classes of states under symmetry reduction) of that run.
        unique_states: usize,
        /// Whether it covered every interleaving (else only its violations are established).
        complete: bool,
    },
    /// The pinned run of spec/expectations.toml: the scenario's own layout, two clients, the
    /// run's toggles plus the remedy ([`Remedy::run`]).
    Pinned,
}

/// A remedy — one fix, or two made together: an opt-in remedy ([`Kind::Remedy`]) or a change
/// of the described server's code ([`Fix`]) — and what it does to a defect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remedy {
    /// The fixes (one, or a pair).
    pub fixes: Fixes,
    /// The toggles of the run that shows it: the run's toggles plus its opt-in remedies.
    pub run: ToggleSet,
    /// The defect's properties that hold in that run, in the report's order (at least one).
    pub repairs: Vec<&'static str>,
    /// The always/eventually properties that run violates and this run does not: what the
    /// remedy breaks (a remedy with any is not a clean fix), in that run's order.
    pub breaks: Vec<&'static str>,
    /// Where the verdicts come from.
    pub evidence: Evidence,
}

/// One defect: violated properties with one cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defect {
    /// What explains it.
    pub cause: Cause,
    /// The violated always/eventually properties, as indices into the report's `properties`,
    /// in the report's order (at least one).
    pub properties: Vec<usize>,
    /// Each opt-in remedy that applies and is not in the run and that repairs at least one of
    /// the properties: first those that repair all of them and break nothing, then those that
    /// repair some and break nothing (more first), then those that break something (more
    /// repairs first); within each, in [`Toggle::ALL`] order. Empty for a [`Cause::Toggled`]
    /// defect with a disabled mechanism (enabling it back is the remedy) and when no remedy
    /// repairs any property.
    pub remedies: Vec<Remedy>,
    /// The remedies the search checked that repair none of the properties, in the search's
    /// order (empty when the remedies come from the pins).
    pub no_effect: Vec<Fixes>,
    /// For a [`Cause::Finding`], the toggles of the pinned run of the scenario whose
    /// `[findings]` entry names it (this run's, or the server as built).
    pub named_in: Option<ToggleSet>,
}

impl Defect {
    /// The index (into the report's `properties`) of the property with the shortest trace.
    pub fn shortest(&self, report: &RunReport) -> usize {
        *self
            .properties
            .iter()
            .min_by_key(|&&i| {
                report.properties[i]
                    .trace
                    .as_ref()
                    .map_or(usize::MAX, |t| t.len())
            })
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

    /// Whether the cause is a disabled mechanism (enabling it back is the remedy).
    pub fn needs_mechanism(&self) -> bool {
        matches!(&self.cause, Cause::Toggled(ms) if ms.iter().any(|m| !m.opt_in()))
    }
}

/// Where a diagnosis's remedies come from.
#[derive(Clone, Debug, PartialEq)]
pub enum RemediesFrom {
    /// The remedy search ran.
    Search {
        /// The remedies it checked, in its order (single fixes, then pairs).
        tried: Vec<Fixes>,
        /// Wall-clock seconds the remedy runs took together.
        seconds: f64,
        /// Why the pairs of fixes were not checked although no single fix repaired everything.
        pairs_skipped: Option<String>,
    },
    /// The pins of spec/expectations.toml (the scenario's own layout only).
    Pins {
        /// Why the search did not run, in words, when it was asked for and skipped; `None`
        /// when it was not asked for (the whole matrix's summary).
        skipped: Option<String>,
    },
}

/// A run's answer about the server: its defects, and what it could not establish.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnosis {
    /// The defects, in the order of their first property.
    pub defects: Vec<Defect>,
    /// Sometimes properties no state reached (no example; not a defect of the server, but the
    /// behaviour they demonstrate does not occur), as indices into the report's `properties`.
    pub unreached: Vec<usize>,
    /// Properties whose verdict is unknown (a bounded, stopped or simulated run), as indices.
    pub unknown: Vec<usize>,
    /// Where the remedies come from.
    pub remedies_from: RemediesFrom,
    /// What the run's configuration differs in from the pinned runs of its scenario (the
    /// scenario's own apartments and classes, two clients), in words ("3 clients; another
    /// layout of apartments and classes"); `None` when it does not. A finding named for such a
    /// run is named as in the pinned run of the same scenario and toggles.
    pub differs: Option<String>,
}

impl Diagnosis {
    /// Whether the run establishes that the server has no defect: no violation, no unknown
    /// verdict and a complete exploration.
    pub fn proves_safe(&self, report: &RunReport) -> bool {
        self.defects.is_empty() && self.unknown.is_empty() && report.complete
    }
}

/// A remedy tried on a defect: what it fixes, the toggles of its run, that run's verdicts by
/// property name, and where the verdicts come from.
type Tried = (
    Fixes,
    ToggleSet,
    Vec<(&'static str, Verdict)>,
    Option<Evidence>,
);

/// The set `t` without `m`.
fn without(t: ToggleSet, m: Toggle) -> ToggleSet {
    t.iter()
        .filter(|&x| x != m)
        .fold(ToggleSet::EMPTY, ToggleSet::with)
}

/// What `cfg` differs in from the pinned runs of its scenario, in words, or `None`.
fn differs(cfg: &Config) -> Option<String> {
    let own = Layout::of(cfg.scenario);
    let l = &cfg.layout;
    let mut parts = Vec::new();
    if cfg.clients != DEFAULT_CLIENTS {
        parts.push(format!(
            "{} clients (the pins have {DEFAULT_CLIENTS})",
            cfg.clients
        ));
    }
    if (l.apartments, l.classes, l.class_apartment)
        != (own.apartments, own.classes, own.class_apartment)
    {
        parts.push(format!(
            "{} class{} in {} apartment{} (the pins: {} in {})",
            l.classes,
            if l.classes == 1 { "" } else { "es" },
            l.apartments,
            if l.apartments == 1 { "" } else { "s" },
            own.classes,
            own.apartments
        ));
    }
    if l.client_class != own.client_class {
        parts.push("which class each client activates".to_string());
    }
    if l.singleuse != own.singleuse {
        parts.push("single-use classes".to_string());
    }
    if l.client_calls != own.client_calls {
        parts.push(match l.client_calls {
            0b01 => "clients that only call CoGetClassObject".to_string(),
            0b10 => "clients that only call CoCreateInstance".to_string(),
            _ => "the clients' activation calls".to_string(),
        });
    }
    // The server's own lifetime code, as the description states it (issue 22).
    if l.free != own.free {
        parts.push("free-threaded (the main thread in the MTA)".to_string());
    }
    if l.exit != own.exit {
        parts.push(format!("exit decided by {}", l.exit.words()));
    }
    if l.revoke != own.revoke {
        parts.push("no CoRevokeClassObject (a bare CoUninitialize)".to_string());
    }
    if l.singleton != own.singleton {
        parts.push("a singleton class object".to_string());
    }
    if l.lockserver_fails != own.lockserver_fails {
        parts.push("LockServer returning E_FAIL".to_string());
    }
    if l.call_opens_window != own.call_opens_window {
        parts.push("a method call that opens a window".to_string());
    }
    if l.idle_timer != own.idle_timer {
        parts.push("an idle timer after an /Embedding launch".to_string());
    }
    if l.teardown != own.teardown {
        parts.push("TerminateProcess after the message loop".to_string());
    }
    if l.revoke_before_quit != own.revoke_before_quit {
        parts.push("CoRevokeClassObject before PostQuitMessage".to_string());
    }
    if l.self_hold != own.self_hold {
        parts.push("a reference the server holds on itself for a while".to_string());
    }
    if l.idle_count != own.idle_count || l.peer_lock != own.peer_lock {
        parts.push("an idle test that discounts a peer's lock".to_string());
    }
    if l.conditional_registration != own.conditional_registration {
        parts.push("a registration a condition may skip".to_string());
    }
    if l.quit_waits_for_objects != own.quit_waits_for_objects {
        parts.push("no quit while an object is alive".to_string());
    }
    if l.create_instance != own.create_instance {
        parts.push(format!(
            "clients calling CreateInstance {} times on a class object",
            l.create_instance
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The always/eventually properties that `with` (a remedy run's verdicts) violates and
/// `report` does not (it holds there, or the run does not check it).
fn broken(
    report: &RunReport,
    with: impl Iterator<Item = (&'static str, Verdict)>,
) -> Vec<&'static str> {
    let always_or_eventually = |n: &str| {
        crate::verify::properties::PROPERTIES
            .iter()
            .any(|d| d.name == n && d.expectation != Expectation::Sometimes)
    };
    let violated_here = |n: &str| {
        report
            .properties
            .iter()
            .any(|p| p.def.name == n && p.verdict == Verdict::Violated)
    };
    with.filter(|&(n, v)| v == Verdict::Violated && always_or_eventually(n) && !violated_here(n))
        .map(|(n, _)| n)
        .collect()
}

/// The diagnosis of `report`, explained from the pins of `pinned` (spec/expectations.toml),
/// with the remedies of `search` when it ran (else from the pins).
pub fn diagnose(
    report: &RunReport,
    pinned: &Expectations,
    search: Option<&RemedySearch>,
) -> Diagnosis {
    let cfg = report.cfg;
    let (s, t) = (cfg.scenario, cfg.toggled);
    // The pins describe the scenario's own apartments and classes only, and the findings and
    // remedies are Windows's: a run under Wine is diagnosed without them (its pins are
    // regression pins, explained in docs/wine.md, not findings).
    let windows = !cfg.runtime.is_wine();
    let own = cfg.layout == Layout::of(s) && windows;
    let get = |run: ToggleSet, p: &str| own.then(|| pinned.get(s, run, p)).flatten();
    // The server as built: every disabled mechanism back on.
    let built = t.enabled().fold(ToggleSet::EMPTY, ToggleSet::with);
    let remedies_from = match search {
        Some(RemedySearch::Done {
            runs,
            seconds,
            pairs_skipped,
        }) => RemediesFrom::Search {
            tried: runs.iter().map(|(f, _)| f.clone()).collect(),
            seconds: *seconds,
            pairs_skipped: pairs_skipped.clone(),
        },
        Some(RemedySearch::Skipped(why)) => RemediesFrom::Pins {
            skipped: Some(why.clone()),
        },
        None => RemediesFrom::Pins { skipped: None },
    };
    let mut out = Diagnosis {
        defects: Vec::new(),
        unreached: Vec::new(),
        unknown: Vec::new(),
        remedies_from,
        differs: differs(&cfg),
    };
    for (i, p) in report.properties.iter().enumerate() {
        match (p.verdict, p.def.expectation == Expectation::Sometimes) {
            (Verdict::Unknown, _) => out.unknown.push(i),
            (Verdict::Violated, true) => out.unreached.push(i),
            (Verdict::Holds, _) => {}
            (Verdict::Violated, false) => {
                let name = p.def.name;
                // The finding pinned for this scenario and toggles, whatever the layout and
                // clients: the same properties violated under the same toggles.
                let finding = |run| {
                    windows
                        .then(|| pinned.finding(s, run, name))
                        .flatten()
                        .map(str::to_string)
                };
                let toggled: Vec<Toggle> = t
                    .iter()
                    .filter(|m| m.kind() != Kind::Remedy)
                    .filter(|&m| get(without(t, m), name) == Some(Verdict::Holds))
                    .collect();
                let (cause, named_in) = if let Some(f) = finding(t) {
                    (Cause::Finding(f), Some(t))
                } else if !toggled.is_empty() {
                    (Cause::Toggled(toggled), None)
                } else if let Some(f) = (get(built, name) == Some(Verdict::Violated))
                    .then(|| finding(built))
                    .flatten()
                {
                    (Cause::Finding(f), Some(built))
                } else {
                    (Cause::Unexplained, None)
                };
                match out.defects.iter_mut().find(|d| d.cause == cause) {
                    Some(d) => d.properties.push(i),
                    None => out.defects.push(Defect {
                        cause,
                        properties: vec![i],
                        remedies: Vec::new(),
                        no_effect: Vec::new(),
                        named_in,
                    }),
                }
            }
        }
    }
    for d in &mut out.defects {
        // A disabled mechanism's remedy is enabling it back.
        if d.needs_mechanism() {
            continue;
        }
        let names: Vec<&'static str> = d
            .properties
            .iter()
            .map(|&i| report.properties[i].def.name)
            .collect();
        // Each remedy's verdicts: the search's runs, or the pinned runs.
        let tried: Vec<Tried> = match search {
            Some(RemedySearch::Done { runs, .. }) => runs
                .iter()
                .map(|(fixes, r)| {
                    let verdicts = r
                        .properties
                        .iter()
                        .map(|p| (p.def.name, p.verdict))
                        .collect();
                    let ev = Evidence::Searched {
                        unique_states: r.unique_states,
                        complete: r.complete,
                    };
                    (fixes.clone(), r.cfg.toggled, verdicts, Some(ev))
                })
                .collect(),
            _ => Toggle::ALL
                .into_iter()
                .filter(|r| r.kind() == Kind::Remedy && r.applies_to(s) && !t.contains(*r))
                .map(|r| {
                    let run = t.with(r);
                    let verdicts = report
                        .properties
                        .iter()
                        .filter_map(|p| Some((p.def.name, get(run, p.def.name)?)))
                        .collect();
                    (vec![Fix::Remedy(r)], run, verdicts, None)
                })
                .collect(),
        };
        for (fixes, run, verdicts, ev) in tried {
            // From the pins, a remedy repairs a property only where the pinned run without it
            // shows the property violated: a defect the pins do not show (one that needs a third
            // client, say) has no pinned remedy, whatever holds in the pinned runs.
            let pinned_violated = |n: &str| ev.is_some() || get(t, n) == Some(Verdict::Violated);
            let repairs: Vec<&'static str> = names
                .iter()
                .copied()
                .filter(|n| verdicts.iter().any(|(m, v)| m == n && *v == Verdict::Holds))
                .filter(|n| pinned_violated(n))
                .collect();
            if repairs.is_empty() {
                if ev.is_some() {
                    d.no_effect.push(fixes);
                }
                continue;
            }
            d.remedies.push(Remedy {
                fixes,
                run,
                repairs,
                breaks: broken(report, verdicts.into_iter()),
                evidence: ev.unwrap_or(Evidence::Pinned),
            });
        }
        // A pair is a remedy of its own only where it does better than each of its fixes
        // alone: it repairs more, or breaks less (a fix that adds nothing is left out).
        let singles: Vec<Remedy> = d
            .remedies
            .iter()
            .filter(|r| r.fixes.len() == 1)
            .cloned()
            .collect();
        let alone = |f: &Fix| singles.iter().find(|r| r.fixes == [*f]);
        d.remedies.retain(|r| {
            r.fixes.len() == 1
                || r.fixes.iter().all(|f| {
                    alone(f).is_none_or(|s| {
                        r.repairs.len() > s.repairs.len()
                            || (r.repairs.len() == s.repairs.len()
                                && r.breaks.len() < s.breaks.len())
                    })
                })
        });
        d.no_effect.retain(|f| f.len() == 1);
        // Stable: equal keys keep the search's order (single fixes before pairs).
        d.remedies
            .sort_by_key(|r| (!r.breaks.is_empty(), std::cmp::Reverse(r.repairs.len())));
    }
    out
}
