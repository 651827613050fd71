//! Sleep sets (model/verify/sleep.rs, spec/assumptions.md A-SLEEP): the search with them reaches
//! the same states, in the same order, as the search without them — the same counts, depths,
//! verdicts and traces — while building fewer successors; and the two premises of that argument
//! hold on every transition. The fast suite checks every baseline; the full suite the premises
//! on every run of the two-client matrix of at most 2 000 000 pinned states.

mod common;

use comlife::com::config::{Config, DEFAULT_CLIENTS};
use comlife::com::runtime::Runtime;
use comlife::com::scenario::Scenario;
use comlife::com::state::{ComModel, SysState};
use comlife::com::toggle_set::ToggleSet;
use comlife::verify::model::{build, properties_of};
use comlife::verify::progress::Progress;
use comlife::verify::properties::{PropertyDef, PROPERTIES};
use comlife::verify::search::{explore, Exploration, Limits};
use comlife::verify::sleep::{applies, check_premises, check_premises_with};
use common::{matrix_runs, matrix_runs_up_to};
use rayon::prelude::*;
use stateright::Expectation;

/// Every scenario's baseline, under each runtime the matrix runs it on.
fn baselines() -> Vec<Config> {
    matrix_runs()
        .into_iter()
        .filter(|c| c.toggled.is_empty())
        .collect()
}

fn limits(sleep_sets: bool) -> Limits {
    Limits {
        threads: 2,
        max_states: None,
        max_depth: None,
        max_memory: None,
        symmetry: true,
        por: false,
        sleep_sets,
    }
}

/// What the search reports, but for the successors it left unbuilt: counts, depth, and each
/// property's trace as its actions.
fn reported(x: &Exploration) -> impl PartialEq + std::fmt::Debug {
    (
        x.unique_states,
        x.generated,
        x.max_depth,
        x.complete,
        x.traces
            .iter()
            .map(|t| t.as_ref().map(|t| format!("{:?}", t.actions)))
            .collect::<Vec<_>>(),
    )
}

/// On every baseline, under both runtimes: the same states, numbered alike (so the same
/// traces), with and without sleep sets; with them, successors are left unbuilt wherever
/// there are two actors.
#[test]
fn sleep_sets_change_nothing_the_search_reports() {
    let errors: Vec<String> = baselines()
        .into_par_iter()
        .filter_map(|cfg| {
            let model = build(cfg);
            let props = properties_of(&cfg);
            let with = explore(&model, &props, limits(true), &Progress::new());
            let without = explore(&model, &props, limits(false), &Progress::new());
            let name = format!("{} / {}", cfg.scenario.name(), cfg.run_label());
            if reported(&with) != reported(&without) {
                return Some(format!("{name}: the search reports differently"));
            }
            // One actor (inproc's client process) has no moves of another actor to leave
            // asleep.
            let expected = model.actors.len() > 1;
            if without.asleep != 0 || (with.asleep > 0) != expected || with.asleep >= with.generated
            {
                return Some(format!(
                    "{name}: {} of {} successors asleep with sleep sets, {} without",
                    with.asleep, with.generated, without.asleep
                ));
            }
            None
        })
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Pinned: local-multi-sta's baseline under Wine (1 883 085 classes, 7 616 975 successors)
/// leaves most of its successors unbuilt. A change of the count is a change of the model, of
/// the order of the moves or of the sleep sets: review it, then update the pin.
#[test]
fn most_successors_of_a_wine_run_are_left_unbuilt() {
    let cfg = Config::new(Scenario::LocalMultiSta, ToggleSet::EMPTY, DEFAULT_CLIENTS)
        .unwrap()
        .with_runtime(Runtime::Wine)
        .unwrap();
    let x = explore(
        &build(cfg),
        &properties_of(&cfg),
        Limits {
            threads: 1,
            ..limits(true)
        },
        &Progress::new(),
    );
    assert_eq!(
        (x.unique_states, x.generated, x.asleep),
        (1_883_085, 7_616_975, 4_434_167)
    );
}

/// Sleep sets apply only where every `eventually` property checked is declared monotone, and
/// not under partial-order reduction; a search where they do not apply leaves nothing asleep.
#[test]
fn sleep_sets_apply_only_where_every_eventually_property_is_monotone() {
    let all: Vec<&PropertyDef> = PROPERTIES.iter().collect();
    assert!(applies(&all, false));
    assert!(!applies(&all, true));
    let eventually = PROPERTIES
        .iter()
        .find(|p| p.expectation == Expectation::Eventually)
        .unwrap();
    let wavering = PropertyDef {
        name: "test-wavering",
        expectation: Expectation::Eventually,
        rules: &[],
        statement: "eventually no message is in transit",
        applies: eventually.applies,
        condition: quiet,
        monotone: false,
        explain: eventually.explain,
    };
    let mut with_it = all.clone();
    with_it.push(&wavering);
    assert!(!applies(&with_it, false));
    let cfg = Config::new(Scenario::LocalSta, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap();
    let x = explore(&build(cfg), &with_it, limits(true), &Progress::new());
    assert_eq!(x.asleep, 0);
}

/// A message per run of `runs` whose premises [`check_premises`] finds broken.
fn broken_premises(runs: Vec<Config>) -> Vec<String> {
    runs.into_par_iter()
        .filter_map(|cfg| {
            let b = check_premises(cfg).err()?;
            Some(format!(
                "{} / {}: {} ({})",
                cfg.scenario.name(),
                cfg.run_label(),
                b.premise,
                b.detail
            ))
        })
        .collect()
}

/// Holds while no message is in transit: true and false alternate along most paths.
fn quiet(_: &ComModel, s: &SysState) -> bool {
    s.network.is_empty()
}

/// The premise check can fail: a property declared monotone that is not (no message in
/// transit, true at the start and false after the first call) breaks premise 2 in local-sta.
#[test]
fn the_premise_check_fails_on_a_property_that_is_not_monotone() {
    let cfg = Config::new(Scenario::LocalSta, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap();
    let quiet = PropertyDef {
        name: "test-quiet",
        expectation: Expectation::Eventually,
        rules: &[],
        statement: "eventually no message is in transit",
        applies: PROPERTIES[0].applies,
        condition: quiet,
        monotone: true,
        explain: PROPERTIES[0].explain,
    };
    let broken = check_premises_with(cfg, &[&quiet]).expect_err("quiet is not monotone");
    assert!(broken.premise.starts_with("2:"), "{broken:?}");
    assert!(broken.detail.starts_with("test-quiet"), "{broken:?}");
}

/// Every eventually property of the model is declared monotone (so that sleep sets apply to
/// every run), and the premises hold on every baseline, under both runtimes.
#[test]
fn the_premises_hold_on_every_baseline() {
    assert!(PROPERTIES
        .iter()
        .filter(|p| p.expectation == Expectation::Eventually)
        .all(|p| p.monotone));
    let errors = broken_premises(baselines());
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Runs of at most this many pinned states have their premises checked in the full suite
/// (the few larger ones take minutes each unreduced).
const PREMISES_UP_TO: usize = 2_000_000;

/// The premises hold on every transition of every run of at most [`PREMISES_UP_TO`] pinned
/// states (230 of the 235).
#[test]
#[ignore = "full suite: cargo test --release -- --ignored (.ci/run runs it)"]
fn the_premises_hold_on_every_run_up_to_2m_states() {
    let (runs, total) = matrix_runs_up_to(PREMISES_UP_TO);
    // 230 of the 235: the five left out are local-multi-sta's largest Wine rows.
    assert!(total - runs.len() <= 5, "{} of {total} runs", runs.len());
    let errors = broken_premises(runs);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// What the premise check found (spec/assumptions.md A-SLEEP): with `per-clsid-launch` the
/// SCM's launch for an activation can still be in transit when every client is done and every
/// launched instance has exited.
/// `server-eventually-exits` does not hold there (the instance it starts has not exited), and
/// its explanation names the launch.
#[test]
fn a_launch_in_transit_keeps_server_eventually_exits_false_and_says_why() {
    use comlife::com::msg::Msg;
    use comlife::com::state::{clients, in_transit, servers};
    use comlife::verify::search::successors;
    use std::collections::HashSet;
    let cfg = Config::new(
        Scenario::LocalMultiSta,
        ToggleSet::parse_label("with-per-clsid-launch").unwrap(),
        DEFAULT_CLIENTS,
    )
    .unwrap();
    let model = build(cfg);
    let prop = PROPERTIES
        .iter()
        .find(|p| p.name == "server-eventually-exits")
        .unwrap();
    // Every client done, every launched instance exited, and a launch on its way.
    let launching = |s: &SysState| {
        clients(&cfg, s).all(|c| c.is_done())
            && servers(&cfg, s).all(|v| !v.launched() || v.exited())
            && in_transit(s).any(|e| matches!(e.msg, Msg::Launch { .. }))
    };
    let mut seen = HashSet::new();
    let mut stack = stateright::Model::init_states(&model);
    let found = loop {
        let s = stack.pop().expect("such a state is reachable");
        if launching(&s) {
            break s;
        }
        for (_, n) in successors(&model, &s) {
            if seen.insert(comlife::verify::search::fingerprint(&n)) {
                stack.push(n);
            }
        }
    };
    assert!(!(prop.condition)(&model, &found));
    let why = (prop.explain)(&model, &found);
    assert!(why.contains("launch of server instance"), "{why}");
}
