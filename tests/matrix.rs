//! Regression invariants: every run of the `check` matrix gives the verdicts pinned in
//! spec/expectations.toml and the pinned number of unique states, and every trace it derives is
//! a real execution of the model, shows its property, and is shortest.

use comlife::com::config::{matrix_runs, Config, Scenario, ToggleSet, DEFAULT_CLIENTS};

use comlife::com::toggles::{Kind, Toggle};
use comlife::verify::check::{run, RunOptions, RunReport, Verdict};
use comlife::verify::expectations::Expectations;
use comlife::verify::model::build;
use comlife::verify::properties::PROPERTIES;
use comlife::verify::search::{replay, successors};
use stateright::{Checker, Expectation, HasDiscoveries, Model};
use std::collections::BTreeSet;

/// Unique states of each run with the default two clients (deterministic for a complete
/// exploration), with symmetry reduction (the default): in the local scenarios these count
/// classes of states (model/verify/symmetry.rs). A change here is a change of the model or of the
/// reduction: review it, then update the pin.
const PINNED_STATES: &[(&str, &str, usize)] = &[
    ("local-sta", "baseline", 114051),
    ("local-sta", "exit-on-final-decrement", 211697),
    ("local-sta", "lockserver-counts", 185980),
    ("local-sta", "factory-refs-ignored", 89557),
    ("local-sta", "user-control", 112371),
    ("local-sta", "disconnect-on-user-close", 95161),
    ("local-sta", "implicit-lockserver", 291266),
    ("local-sta", "process-refcount", 112371),
    ("local-sta", "auto-suspend", 112371),
    ("local-sta", "regcls-suspended", 111943),
    ("local-sta", "with-user-document-counts", 112371),
    ("local-sta", "with-access-denied-client", 21576),
    ("local-sta", "with-regcls-singleuse", 67312),
    ("local-sta", "with-client-death", 627450),
    (
        "local-sta",
        "with-client-death+ping-garbage-collection",
        160445,
    ),
    ("local-sta", "with-unordered-dispatch", 95663),
    ("local-sta", "with-exited-instance-fails", 103243),
    (
        "local-sta",
        "with-access-denied-client+with-regcls-singleuse",
        15192,
    ),
    ("local-mta", "baseline", 73223),
    ("local-mta", "exit-on-final-decrement", 821912),
    ("local-mta", "lockserver-counts", 194176),
    ("local-mta", "factory-refs-ignored", 6545),
    ("local-mta", "implicit-lockserver", 171039),
    ("local-mta", "process-refcount", 66167),
    ("local-mta", "auto-suspend", 45319),
    ("local-mta", "regcls-suspended", 148869),
    ("local-mta", "with-recheck-after-revoke", 76563),
    ("local-mta", "with-atomic-activation", 61859),
    ("local-mta", "with-access-denied-client", 4805),
    ("local-mta", "with-regcls-singleuse", 70599),
    ("local-mta", "with-client-death", 515173),
    (
        "local-mta",
        "with-client-death+ping-garbage-collection",
        82503,
    ),
    ("local-mta", "with-unordered-dispatch", 64373),
    ("local-mta", "with-exited-instance-fails", 71031),
    ("local-mta", "with-stopping-flag", 182007),
    ("local-mta", "with-stopping-flag-locked", 67373),
    (
        "local-mta",
        "exit-on-final-decrement+with-recheck-after-revoke",
        775739,
    ),
    (
        "local-mta",
        "lockserver-counts+with-recheck-after-revoke",
        211481,
    ),
    (
        "local-mta",
        "factory-refs-ignored+with-recheck-after-revoke",
        6545,
    ),
    (
        "local-mta",
        "implicit-lockserver+with-recheck-after-revoke",
        185579,
    ),
    (
        "local-mta",
        "process-refcount+with-recheck-after-revoke",
        69315,
    ),
    ("local-mta", "auto-suspend+with-recheck-after-revoke", 47955),
    (
        "local-mta",
        "regcls-suspended+with-recheck-after-revoke",
        159217,
    ),
    (
        "local-mta",
        "exit-on-final-decrement+with-stopping-flag-locked",
        788616,
    ),
    (
        "local-mta",
        "lockserver-counts+with-stopping-flag-locked",
        186930,
    ),
    (
        "local-mta",
        "factory-refs-ignored+with-stopping-flag-locked",
        6305,
    ),
    (
        "local-mta",
        "implicit-lockserver+with-stopping-flag-locked",
        166257,
    ),
    (
        "local-mta",
        "process-refcount+with-stopping-flag-locked",
        63485,
    ),
    ("local-mta", "auto-suspend+with-stopping-flag-locked", 51997),
    (
        "local-mta",
        "regcls-suspended+with-stopping-flag-locked",
        143019,
    ),
    (
        "local-mta",
        "with-access-denied-client+with-regcls-singleuse",
        4517,
    ),
    ("inproc", "baseline", 1969),
    ("inproc", "dllcanunloadnow-counts-locks", 2339),
    ("inproc", "client-locks-factory", 1853),
    ("inproc", "unload-delay", 797),
    ("inproc", "every-apartment-sweeps", 1211),
    ("inproc", "with-dll-counts-factories", 774),
    ("inproc", "with-wine-candidate-list", 1411),
    (
        "inproc",
        "dllcanunloadnow-counts-locks+with-dll-counts-factories",
        774,
    ),
    (
        "inproc",
        "client-locks-factory+with-dll-counts-factories",
        632,
    ),
    ("inproc", "unload-delay+with-dll-counts-factories", 512),
    (
        "inproc",
        "every-apartment-sweeps+with-dll-counts-factories",
        441,
    ),
    (
        "inproc",
        "dllcanunloadnow-counts-locks+with-wine-candidate-list",
        2071,
    ),
    (
        "inproc",
        "client-locks-factory+with-wine-candidate-list",
        1614,
    ),
    ("inproc", "unload-delay+with-wine-candidate-list", 797),
    (
        "inproc",
        "every-apartment-sweeps+with-wine-candidate-list",
        809,
    ),
    (
        "inproc",
        "with-dll-counts-factories+with-wine-candidate-list",
        789,
    ),
    ("service", "baseline", 33928),
    ("service", "private-context", 15972),
    ("service", "disconnect-context", 28198),
    ("service", "revoke-before-disconnect", 82260),
    ("service", "retry-until-s-ok", 36478),
    ("service", "register-local-server", 2020),
    ("service", "context-scoped-disconnect", 67310),
    ("service", "deadlock-detection", 23350),
    ("service", "stop-always-accepted", 37820),
    ("atl9-sta", "baseline", 9132),
    ("atl9-sta", "lockserver-counts", 24044),
    ("atl9-sta", "implicit-lockserver", 24495),
    ("atl9-sta", "with-access-denied-client", 2045),
    ("atl9-sta", "with-client-death", 58694),
    (
        "atl9-sta",
        "with-client-death+ping-garbage-collection",
        11200,
    ),
    ("atl9-sta", "delayed-shutdown", 7135),
    ("atl9-sta", "monitor-recheck", 9599),
    ("atl9-sta", "with-process-count-lock", 10292),
    ("atl9-sta", "with-exited-instance-fails", 8572),
    (
        "atl9-sta",
        "lockserver-counts+with-process-count-lock",
        34449,
    ),
    (
        "atl9-sta",
        "implicit-lockserver+with-process-count-lock",
        33001,
    ),
    ("atl9-sta", "delayed-shutdown+with-process-count-lock", 7307),
    ("atl9-sta", "monitor-recheck+with-process-count-lock", 8238),
    ("atl9-mta", "baseline", 18076),
    ("atl9-mta", "lockserver-counts", 45723),
    ("atl9-mta", "implicit-lockserver", 42828),
    ("atl9-mta", "regcls-suspended", 17864),
    ("atl9-mta", "with-atomic-activation", 14366),
    ("atl9-mta", "with-access-denied-client", 2721),
    ("atl9-mta", "with-client-death", 107704),
    (
        "atl9-mta",
        "with-client-death+ping-garbage-collection",
        22356,
    ),
    ("atl9-mta", "delayed-shutdown", 10760),
    ("atl9-mta", "monitor-recheck", 13602),
    ("atl9-mta", "suspend-before-quit", 13823),
    ("atl9-mta", "with-process-count-lock", 21632),
    ("atl9-mta", "with-exited-instance-fails", 17244),
    ("atl9-mta", "with-stopping-flag", 27913),
    ("atl9-mta", "with-stopping-flag-locked", 16953),
    (
        "atl9-mta",
        "lockserver-counts+with-process-count-lock",
        55723,
    ),
    (
        "atl9-mta",
        "implicit-lockserver+with-process-count-lock",
        51484,
    ),
    (
        "atl9-mta",
        "regcls-suspended+with-process-count-lock",
        21356,
    ),
    (
        "atl9-mta",
        "delayed-shutdown+with-process-count-lock",
        12200,
    ),
    ("atl9-mta", "monitor-recheck+with-process-count-lock", 16738),
    (
        "atl9-mta",
        "suspend-before-quit+with-process-count-lock",
        21471,
    ),
    (
        "atl9-mta",
        "lockserver-counts+with-stopping-flag-locked",
        44219,
    ),
    (
        "atl9-mta",
        "implicit-lockserver+with-stopping-flag-locked",
        41706,
    ),
    (
        "atl9-mta",
        "regcls-suspended+with-stopping-flag-locked",
        16741,
    ),
    (
        "atl9-mta",
        "delayed-shutdown+with-stopping-flag-locked",
        10222,
    ),
    (
        "atl9-mta",
        "monitor-recheck+with-stopping-flag-locked",
        13602,
    ),
    (
        "atl9-mta",
        "suspend-before-quit+with-stopping-flag-locked",
        14046,
    ),
    ("atl14-sta", "baseline", 8418),
    ("atl14-sta", "lockserver-counts", 27138),
    ("atl14-sta", "implicit-lockserver", 27106),
    ("atl14-sta", "process-refcount", 9715),
    ("atl14-sta", "auto-suspend", 9715),
    ("atl14-sta", "regcls-suspended", 8238),
    ("atl14-sta", "with-access-denied-client", 1961),
    ("atl14-sta", "with-client-death", 52056),
    (
        "atl14-sta",
        "with-client-death+ping-garbage-collection",
        10038,
    ),
    ("atl14-sta", "delayed-shutdown", 7471),
    ("atl14-sta", "with-exited-instance-fails", 7906),
    ("atl14-mta", "baseline", 16738),
    ("atl14-mta", "lockserver-counts", 38409),
    ("atl14-mta", "implicit-lockserver", 37614),
    ("atl14-mta", "process-refcount", 13602),
    ("atl14-mta", "auto-suspend", 13602),
    ("atl14-mta", "regcls-suspended", 16526),
    ("atl14-mta", "with-atomic-activation", 11876),
    ("atl14-mta", "with-access-denied-client", 2417),
    ("atl14-mta", "with-client-death", 95854),
    (
        "atl14-mta",
        "with-client-death+ping-garbage-collection",
        21210,
    ),
    ("atl14-mta", "delayed-shutdown", 12200),
    ("atl14-mta", "with-exited-instance-fails", 16034),
    ("atl14-mta", "with-stopping-flag", 30917),
    ("atl14-mta", "with-stopping-flag-locked", 14428),
    (
        "atl14-mta",
        "lockserver-counts+with-stopping-flag-locked",
        33585,
    ),
    (
        "atl14-mta",
        "implicit-lockserver+with-stopping-flag-locked",
        33552,
    ),
    (
        "atl14-mta",
        "process-refcount+with-stopping-flag-locked",
        13602,
    ),
    ("atl14-mta", "auto-suspend+with-stopping-flag-locked", 12604),
    (
        "atl14-mta",
        "regcls-suspended+with-stopping-flag-locked",
        14216,
    ),
    (
        "atl14-mta",
        "delayed-shutdown+with-stopping-flag-locked",
        11070,
    ),
    ("wtl-sta", "baseline", 9248),
    ("wtl-sta", "lockserver-counts", 24296),
    ("wtl-sta", "implicit-lockserver", 24723),
    ("wtl-sta", "regcls-suspended", 9132),
    ("wtl-sta", "with-access-denied-client", 2113),
    ("wtl-sta", "with-client-death", 59002),
    (
        "wtl-sta",
        "with-client-death+ping-garbage-collection",
        11316,
    ),
    ("wtl-sta", "monitor-recheck", 9715),
    ("wtl-sta", "with-process-count-lock", 10504),
    ("wtl-sta", "with-exited-instance-fails", 8672),
    ("wtl-sta", "with-user-started", 115083),
    ("wtl-sta", "with-user-started+frame-locks-module", 10230),
    (
        "wtl-sta",
        "lockserver-counts+with-process-count-lock",
        34921,
    ),
    (
        "wtl-sta",
        "implicit-lockserver+with-process-count-lock",
        33425,
    ),
    ("wtl-sta", "regcls-suspended+with-process-count-lock", 10292),
    ("wtl-sta", "monitor-recheck+with-process-count-lock", 8418),
    ("mfc-sta", "baseline", 6397),
    ("mfc-sta", "lockserver-counts", 16653),
    ("mfc-sta", "implicit-lockserver", 17007),
    ("mfc-sta", "with-access-denied-client", 1905),
    ("mfc-sta", "with-regcls-singleuse", 6573),
    ("mfc-sta", "with-client-death", 38427),
    ("mfc-sta", "with-client-death+ping-garbage-collection", 7857),
    ("mfc-sta", "with-process-count-lock", 6397),
    ("mfc-sta", "with-exited-instance-fails", 5933),
    ("mfc-sta", "with-modal-dialog", 20504),
    (
        "mfc-sta",
        "with-modal-dialog+with-recheck-after-modal",
        19829,
    ),
    ("mfc-sta", "with-user-takes-control", 19794),
    (
        "mfc-sta",
        "with-user-takes-control+close-checks-objects",
        105384,
    ),
    (
        "mfc-sta",
        "lockserver-counts+with-process-count-lock",
        16653,
    ),
    (
        "mfc-sta",
        "implicit-lockserver+with-process-count-lock",
        17007,
    ),
    (
        "mfc-sta",
        "with-access-denied-client+with-regcls-singleuse",
        2769,
    ),
];

/// Unique states without symmetry reduction (`--no-symmetry`) of the runs where it reduces the
/// most and the least: every state of the model, as stateright's own BFS counts them.
const PINNED_UNREDUCED: &[(&str, &str, usize)] = &[
    ("local-sta", "baseline", 224845),
    ("local-mta", "baseline", 74375),
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
fn atl9_sta_matches_expectations() {
    audit_scenario(Scenario::Atl9Sta);
}

#[test]
fn atl9_mta_matches_expectations() {
    audit_scenario(Scenario::Atl9Mta);
}

#[test]
fn atl14_sta_matches_expectations() {
    audit_scenario(Scenario::Atl14Sta);
}

#[test]
fn atl14_mta_matches_expectations() {
    audit_scenario(Scenario::Atl14Mta);
}

#[test]
fn wtl_sta_matches_expectations() {
    audit_scenario(Scenario::WtlSta);
}

#[test]
fn mfc_sta_matches_expectations() {
    audit_scenario(Scenario::MfcSta);
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
            matrix_runs(s).contains(&d),
            "{} pins {}, which is not a run of the matrix",
            s.name(),
            d.label()
        );
    }
}

/// Each always/eventually property is violated in some run that toggles a mechanism or a
/// variant: no property is unbreakable.
#[test]
fn every_safety_and_liveness_property_is_breakable() {
    let exp = Expectations::embedded();
    for p in PROPERTIES
        .iter()
        .filter(|p| p.expectation != Expectation::Sometimes)
    {
        let breakers: Vec<String> = exp
            .runs()
            .filter(|(_, d)| d.iter().any(|m| m.kind() != Kind::Remedy))
            .filter(|(s, d)| exp.get(*s, *d, p.name) == Some(Verdict::Violated))
            .map(|(s, d)| format!("{}/{}", s.name(), d.label()))
            .collect();
        assert!(
            !breakers.is_empty(),
            "{} is violated by no mechanism or variant",
            p.name
        );
    }
}

/// Mechanisms whose necessity no verdict shows, with the reason (spec/properties.md,
/// "Mechanisms no verdict shows necessary"). The test below checks that they are indeed not
/// shown, so a model change that shows them fails here and is reviewed.
const NOT_SHOWN: &[(Toggle, &str)] = &[
    (
        Toggle::DelayedShutdown,
        "ATL's m_bDelayShutdown narrows a window in time (A-TIME): it was shown necessary only against the counterfactual atomic-activation; against the sourced references (stopping-flag-locked, process-count-lock) disabling it changes no verdict",
    ),
    (
        Toggle::SuspendBeforeQuit,
        "the free-threaded monitor's CoSuspendClassObjects and second read narrow F-8's window without closing it: shown necessary only against the counterfactual atomic-activation; under stopping-flag-locked the flag, not the suspension, refuses the late CreateInstance",
    ),
    (
        Toggle::DllcanunloadnowCountsLocks,
        "a lock is held only together with a class-object pointer: under dll-counts-factories the pointer already keeps the DLL; without it F-3 (Microsoft's text) or F-6 (Wine) breaks both safety properties anyway",
    ),
    (
        Toggle::ClientLocksFactory,
        "same: its harm, a call through an unlocked class-object pointer into a freed DLL, is F-3's; the remedy makes the lock unnecessary in-process",
    ),
];

/// Each mechanism is necessary: disabling it violates some always/eventually property that
/// holds in a reference run of its scenario (the baseline, or a reference remedy or variant
/// enabled: [`Toggle::is_reference`]), except the ones in [`NOT_SHOWN`].
#[test]
fn every_mechanism_is_necessary() {
    let exp = Expectations::embedded();
    for m in Toggle::ALL.into_iter().filter(|m| !m.opt_in()) {
        let shown = Scenario::ALL
            .into_iter()
            .filter(|s| m.applies_to(*s))
            .any(|s| {
                let references = std::iter::once(ToggleSet::EMPTY)
                    .chain(
                        Toggle::ALL
                            .into_iter()
                            .filter(|x| x.is_reference() && x.applies_to(s))
                            .map(ToggleSet::only),
                    )
                    .chain(m.needs().map(ToggleSet::only));
                references.into_iter().any(|x| {
                    PROPERTIES
                        .iter()
                        .filter(|p| p.expectation != Expectation::Sometimes)
                        .any(|p| {
                            exp.get(s, x, p.name) == Some(Verdict::Holds)
                                && exp.get(s, x.with(m), p.name) == Some(Verdict::Violated)
                        })
                })
            });
        let exempt = NOT_SHOWN.iter().any(|(x, _)| *x == m);
        assert_eq!(
            shown,
            !exempt,
            "disabling {}: shown necessary = {shown}, exempt = {exempt}",
            m.name()
        );
    }
}

/// Each remedy repairs something (a property violated in its scenario's baseline holds with it
/// enabled), each variant and configuration changes some verdict, and each condition changes a
/// verdict or is the one under which a mechanism that needs it is shown necessary.
#[test]
fn every_remedy_repairs_a_finding_and_every_variant_matters() {
    let exp = Expectations::embedded();
    for m in Toggle::ALL.into_iter().filter(|m| m.opt_in()) {
        let changed = Scenario::ALL
            .into_iter()
            .filter(|s| m.applies_to(*s))
            .any(|s| {
                PROPERTIES.iter().any(|p| {
                    // A remedy that needs a condition repairs what the condition breaks.
                    let reference = m.needs().map_or(ToggleSet::EMPTY, ToggleSet::only);
                    let base = exp.get(s, reference, p.name);
                    let with = exp.get(s, reference.with(m), p.name);
                    match m.kind() {
                        Kind::Remedy => {
                            base == Some(Verdict::Violated) && with == Some(Verdict::Holds)
                        }
                        // A condition matters when it changes a verdict, or when a mechanism
                        // that needs it is shown necessary under it (every_mechanism_is_necessary).
                        Kind::Condition => {
                            (base.is_some() && with != base)
                                || Toggle::ALL.into_iter().any(|x| {
                                    x.needs() == Some(m)
                                        && with == Some(Verdict::Holds)
                                        && exp.get(s, ToggleSet::only(m).with(x), p.name)
                                            == Some(Verdict::Violated)
                                })
                        }
                        _ => base.is_some() && with != base,
                    }
                })
            });
        // A variant that re-checks an assumption must leave every verdict as it is, and the
        // assumption must say so.
        if let Some(a) = m.rechecks_assumption() {
            assert!(!changed, "{} changes a verdict", m.name());
            let assumptions = std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/spec/assumptions.md"
            ))
            .unwrap();
            let section = assumptions
                .split("\n## ")
                .find(|s| s.starts_with(a))
                .unwrap_or_else(|| panic!("no section {a} in spec/assumptions.md"));
            assert!(
                section.contains(&format!("`{}`", m.name())),
                "{a} does not name {}",
                m.name()
            );
            continue;
        }
        if let Some((_, why)) = REFUTED.iter().find(|(x, _)| *x == m) {
            assert!(
                !changed,
                "{} was refuted ({why}) but repairs something now",
                m.name()
            );
            continue;
        }
        assert!(
            changed,
            "enabling {} changes no verdict it should",
            m.name()
        );
    }
}

/// Remedies a source prescribes that the checker refutes: each repairs nothing, and the test
/// above fails if one starts to.
const REFUTED: &[(Toggle, &str)] = &[(
    Toggle::StoppingFlag,
    "Box's CO_E_SERVER_STOPPING check as printed, without a lock: the window between CoReleaseServerProcess returning 0 and SetEvent leaves F-4 and F-8 open; stopping-flag-locked closes their CoCreateInstance path",
)];

/// The traces are deterministic: a second run with one thread gives the same traces.
#[test]
fn traces_do_not_depend_on_thread_count() {
    let cfg = Config::new(
        Scenario::LocalMta,
        ToggleSet::only(Toggle::AutoSuspend),
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
    let cfg = Config::new(Scenario::LocalSta, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap();
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

/// The unreduced state counts are pinned too, and stateright's own BFS counts the same.
#[test]
fn unreduced_counts_are_pinned() {
    for (scenario, label, pinned) in PINNED_UNREDUCED {
        let s = Scenario::parse(scenario).unwrap();
        let cfg = Config::new(s, ToggleSet::parse_label(label).unwrap(), DEFAULT_CLIENTS).unwrap();
        let r = run(
            cfg,
            RunOptions {
                symmetry: false,
                ..RunOptions::default()
            },
        );
        assert_eq!(r.unique_states, *pinned, "{scenario} / {label} unreduced");
        let theirs = build(cfg)
            .checker()
            .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()))
            .spawn_bfs()
            .join()
            .unique_state_count();
        assert_eq!(theirs, *pinned, "{scenario} / {label}: stateright's count");
        let reduced = PINNED_STATES
            .iter()
            .find(|(x, d, _)| x == scenario && d == label)
            .map(|p| p.2)
            .unwrap();
        assert!(
            reduced < *pinned,
            "{scenario} / {label}: the reduction reduces"
        );
    }
}
