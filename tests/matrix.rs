//! Regression invariants: every run of the `check` matrix gives the verdicts pinned in
//! spec/expectations.toml and the pinned number of unique states, and every trace it derives is
//! a real execution of the model, shows its property, and is shortest.

use comlife::check::{run, RunOptions, RunReport, Verdict};
use comlife::config::{matrix_runs, Config, Mechanism, MechanismSet, Scenario, DEFAULT_CLIENTS};
use comlife::expectations::Expectations;
use comlife::properties::PROPERTIES;
use comlife::search::{replay, successors};
use comlife::system::build;
use stateright::{Checker, Expectation, HasDiscoveries, Model};
use std::collections::BTreeSet;

/// Unique states of each run with the default two clients (deterministic for a complete
/// exploration). A change here is a change of the model: review it, then update the pin.
const PINNED_STATES: &[(&str, &str, usize)] = &[
    ("local-sta", "baseline", 84685),
    ("local-sta", "exit-on-final-decrement", 134867),
    ("local-sta", "lockserver-counts", 110007),
    ("local-sta", "factory-refs-ignored", 74281),
    ("local-sta", "user-control", 81229),
    ("local-sta", "disconnect-on-user-close", 79535),
    ("local-sta", "implicit-lockserver", 143841),
    ("local-sta", "process-refcount", 81229),
    ("local-sta", "auto-suspend", 81229),
    ("local-sta", "regcls-suspended", 83257),
    ("local-mta", "baseline", 12361),
    ("local-mta", "exit-on-final-decrement", 96028),
    ("local-mta", "lockserver-counts", 29625),
    ("local-mta", "factory-refs-ignored", 4001),
    ("local-mta", "implicit-lockserver", 27711),
    ("local-mta", "process-refcount", 14419),
    ("local-mta", "auto-suspend", 10195),
    ("local-mta", "regcls-suspended", 32765),
    ("inproc", "baseline", 234),
    ("inproc", "dllcanunloadnow-counts-locks", 296),
    ("inproc", "client-locks-factory", 228),
    ("inproc", "unload-delay", 124),
    ("inproc", "with-dll-counts-factories", 95),
    ("service", "baseline", 3630),
    ("service", "private-context", 1736),
    ("service", "disconnect-context", 2376),
    ("service", "revoke-before-disconnect", 5750),
    ("service", "retry-until-s-ok", 3894),
    ("service", "register-local-server", 2994),
    ("service", "context-scoped-disconnect", 7314),
    ("service", "deadlock-detection", 2491),
    ("service", "stop-always-accepted", 4028),
];

fn configs(s: Scenario) -> Vec<Config> {
    matrix_runs(s)
        .into_iter()
        .map(|d| Config::new(s, d, DEFAULT_CLIENTS).unwrap())
        .collect()
}

/// Checks one report's verdicts, state count and traces; returns failure messages.
fn audit(report: &RunReport, exp: &Expectations) -> Vec<String> {
    let mut errors = Vec::new();
    let cfg = report.cfg;
    let label = format!("{} / {}", cfg.scenario.name(), cfg.toggled.label());
    assert!(report.complete, "{label}: exploration must be complete");
    let pinned = PINNED_STATES
        .iter()
        .find(|(s, d, _)| *s == cfg.scenario.name() && *d == cfg.toggled.label())
        .map(|p| p.2);
    if pinned != Some(report.unique_states) {
        errors.push(format!(
            "{label}: {} unique states, pinned {pinned:?}",
            report.unique_states
        ));
    }
    let model = build(cfg);
    for p in &report.properties {
        let want = exp.get(cfg.scenario, cfg.toggled, p.def.name);
        if want != Some(p.verdict) {
            errors.push(format!(
                "{label}: {} is {:?}, expected {want:?}",
                p.def.name, p.verdict
            ));
        }
        let discovery = matches!(
            (&p.def.expectation, p.verdict),
            (Expectation::Sometimes, Verdict::Holds)
                | (
                    Expectation::Always | Expectation::Eventually,
                    Verdict::Violated
                )
        );
        assert_eq!(
            p.trace.is_some(),
            discovery,
            "{label}: {} has a trace iff it has a discovery",
            p.def.name
        );
        let Some(trace) = &p.trace else { continue };
        // A real execution: replaying its actions from the initial state reproduces its states.
        let replayed = replay(&model, &trace.actions).expect("trace replays");
        assert!(
            replayed.states == trace.states,
            "{label}: {} trace replays to the same states",
            p.def.name
        );
        let cond = |s| (p.def.condition)(&model, s);
        match p.def.expectation {
            Expectation::Always => assert!(
                !cond(trace.last()),
                "{label}: {} violated at the end",
                p.def.name
            ),
            Expectation::Sometimes => assert!(
                cond(trace.last()),
                "{label}: {} satisfied at the end",
                p.def.name
            ),
            Expectation::Eventually => {
                assert!(
                    trace.states.iter().all(|s| !cond(s)),
                    "{label}: {} never holds on the trace",
                    p.def.name
                );
                assert!(
                    successors(&model, trace.last()).is_empty(),
                    "{label}: {} trace ends in a terminal state",
                    p.def.name
                );
            }
        }
        // Shortest: stateright's own BFS finds no discovery on paths of at most len-1 steps,
        // and does find one on paths of at most len steps (so the bound is the right one).
        if p.def.expectation != Expectation::Eventually && !trace.is_empty() {
            let found_within = |steps: usize| {
                model
                    .clone()
                    .checker()
                    .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()))
                    .target_max_depth(steps + 2) // depth counts states, from 1
                    .spawn_bfs()
                    .join()
                    .discovery(p.def.name)
                    .is_some()
            };
            assert!(
                !found_within(trace.len() - 1),
                "{label}: {} has a shorter discovery",
                p.def.name
            );
            assert!(
                found_within(trace.len()),
                "{label}: {} bound check is vacuous",
                p.def.name
            );
        }
    }
    errors
}

fn audit_scenario(s: Scenario) {
    let exp = Expectations::embedded();
    let errors: Vec<String> = configs(s)
        .into_iter()
        .flat_map(|cfg| audit(&run(cfg, RunOptions::default()), &exp))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn local_sta_matches_expectations() {
    audit_scenario(Scenario::LocalSta);
}

#[test]
fn local_mta_matches_expectations() {
    audit_scenario(Scenario::LocalMta);
}

#[test]
fn inproc_matches_expectations() {
    audit_scenario(Scenario::Inproc);
}

#[test]
fn service_matches_expectations() {
    audit_scenario(Scenario::Service);
}

#[test]
fn expectations_pin_every_run_and_property() {
    let exp = Expectations::embedded();
    assert_eq!(exp.missing(), Vec::<String>::new());
    for (s, d) in exp.runs() {
        assert!(
            d.iter().count() <= 1,
            "{} pins a multi-mechanism run",
            s.name()
        );
    }
}

/// Each always/eventually property is violated by some single disabled mechanism in some
/// scenario: no property is unbreakable (the per-scenario exceptions are explained in
/// spec/properties.md).
#[test]
fn every_safety_and_liveness_property_is_breakable() {
    let exp = Expectations::embedded();
    for p in PROPERTIES
        .iter()
        .filter(|p| p.expectation != Expectation::Sometimes)
    {
        let breakers: Vec<String> = exp
            .runs()
            .filter(|(_, d)| !d.is_empty() && d.enabled().next().is_none())
            .filter(|(s, d)| exp.get(*s, *d, p.name) == Some(Verdict::Violated))
            .map(|(s, d)| format!("{}/{}", s.name(), d.label()))
            .collect();
        assert!(
            !breakers.is_empty(),
            "{} is violated by no disabled mechanism",
            p.name
        );
    }
}

/// Each mechanism is necessary: disabling it violates some always/eventually property that
/// holds in its scenario's baseline, in at least one scenario.
#[test]
fn every_mechanism_is_necessary() {
    let exp = Expectations::embedded();
    for m in Mechanism::ALL.into_iter().filter(|m| !m.opt_in()) {
        let shown = Scenario::ALL
            .into_iter()
            .filter(|s| m.applies_to(*s))
            .any(|s| {
                PROPERTIES
                    .iter()
                    .filter(|p| p.expectation != Expectation::Sometimes)
                    .any(|p| {
                        exp.get(s, MechanismSet::EMPTY, p.name) == Some(Verdict::Holds)
                            && exp.get(s, MechanismSet::only(m), p.name) == Some(Verdict::Violated)
                    })
            });
        assert!(
            shown,
            "disabling {} violates nothing that holds with it on",
            m.name()
        );
    }
}

/// Each opt-in remedy repairs something: a property violated in its scenario's baseline (a
/// pinned finding) holds with the remedy enabled.
#[test]
fn every_remedy_repairs_a_finding() {
    let exp = Expectations::embedded();
    for m in Mechanism::ALL.into_iter().filter(|m| m.opt_in()) {
        let repaired = Scenario::ALL
            .into_iter()
            .filter(|s| m.applies_to(*s))
            .any(|s| {
                PROPERTIES.iter().any(|p| {
                    exp.get(s, MechanismSet::EMPTY, p.name) == Some(Verdict::Violated)
                        && exp.get(s, MechanismSet::only(m), p.name) == Some(Verdict::Holds)
                })
            });
        assert!(
            repaired,
            "enabling {} repairs no baseline violation",
            m.name()
        );
    }
}

/// The traces are deterministic: a second run with one thread gives the same traces.
#[test]
fn traces_do_not_depend_on_thread_count() {
    let cfg = Config::new(
        Scenario::LocalMta,
        MechanismSet::only(Mechanism::AutoSuspend),
        DEFAULT_CLIENTS,
    )
    .unwrap();
    let a = run(
        cfg,
        RunOptions {
            threads: 1,
            ..RunOptions::default()
        },
    );
    let b = run(
        cfg,
        RunOptions {
            threads: 2,
            ..RunOptions::default()
        },
    );
    assert_eq!(a.unique_states, b.unique_states);
    for (x, y) in a.properties.iter().zip(&b.properties) {
        assert_eq!(
            x.trace.as_ref().map(|t| &t.actions),
            y.trace.as_ref().map(|t| &t.actions),
            "{}",
            x.def.name
        );
    }
}

/// A bound makes the run incomplete, and an incomplete run never claims "holds" for an
/// always or eventually property.
#[test]
fn bounded_run_is_incomplete_and_never_claims_holds() {
    let cfg = Config::new(Scenario::LocalSta, MechanismSet::EMPTY, DEFAULT_CLIENTS).unwrap();
    let r = run(
        cfg,
        RunOptions {
            max_states: Some(500),
            ..RunOptions::default()
        },
    );
    assert!(!r.complete);
    for p in &r.properties {
        if p.def.expectation != Expectation::Sometimes {
            assert_ne!(p.verdict, Verdict::Holds, "{}", p.def.name);
        }
    }
}
