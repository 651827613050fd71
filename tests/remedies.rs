//! The remedy search (model/verify/remedies.rs) against the pins: on every scenario's baseline
//! it finds the remedies spec/expectations.toml's single-remedy runs show, with their pinned
//! state counts; a remedy that breaks a property that held is ranked after the clean ones and
//! says what it breaks; and the search is skipped, with its reason, where it cannot establish a
//! repair.

use comlife::com::config::{Config, DEFAULT_CLIENTS};
use comlife::com::scenario::Scenario;
use comlife::com::toggle_set::ToggleSet;
use comlife::com::toggles::Toggle;
use comlife::verify::check::{run, RunOptions, Verdict};
use comlife::verify::diagnosis::{diagnose, Evidence, RemediesFrom};
use comlife::verify::expectations::Expectations;
use comlife::verify::progress::Progress;
use comlife::verify::remedies::{self, Fix, RemedySearch, SearchEvent};
use comlife::verify::simulate::Simulation;

/// A remedy as the answer states it, whatever shows it: the remedy, what it repairs, what it
/// breaks.
type Stated = (Vec<Fix>, Vec<&'static str>, Vec<&'static str>);

#[test]
fn the_search_finds_what_the_pins_show_on_every_baseline() {
    let pinned = Expectations::embedded();
    let opts = RunOptions::default();
    let mut searched = 0;
    for s in Scenario::ALL {
        let cfg = Config::new(s, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap();
        let report = run(cfg, opts);
        let mut seen = 0;
        let search = remedies::search(&report, opts, &Progress::new(), |e| {
            if let SearchEvent::Done(_) = e {
                seen += 1
            }
        });
        let from_search = diagnose(&report, &pinned, Some(&search));
        let from_pins = diagnose(&report, &pinned, None);
        // The single remedies (the pins have no runs of pairs).
        let stated = |d: &comlife::verify::diagnosis::Diagnosis| -> Vec<Vec<Stated>> {
            d.defects
                .iter()
                .map(|d| {
                    d.remedies
                        .iter()
                        .filter(|r| r.fixes.len() == 1)
                        .map(|r| (r.fixes.clone(), r.repairs.clone(), r.breaks.clone()))
                        .collect()
                })
                .collect()
        };
        assert_eq!(stated(&from_search), stated(&from_pins), "{}", s.name());
        match &search {
            RemedySearch::Done { runs, .. } => {
                assert_eq!(seen, runs.len(), "{}", s.name());
                assert!(matches!(
                    from_search.remedies_from,
                    RemediesFrom::Search { .. }
                ));
                for (fixes, r) in runs {
                    assert!(r.complete, "{} {}", s.name(), r.cfg.toggled.label());
                    if fixes.len() > 1 {
                        continue;
                    }
                    // Each single remedy's run is a pinned run: the same unique states.
                    assert_eq!(
                        Some(r.unique_states),
                        pinned.states(s, r.cfg.toggled),
                        "{} {}",
                        s.name(),
                        r.cfg.toggled.label()
                    );
                    searched += 1;
                }
                for d in &from_search.defects {
                    assert!(d
                        .remedies
                        .iter()
                        .all(|r| matches!(r.evidence, Evidence::Searched { complete: true, .. })));
                }
            }
            RemedySearch::Skipped(why) => {
                // Only a server without a defect, or without a remedy that applies, is skipped.
                assert!(
                    from_search.defects.is_empty() || why.starts_with("no modeled remedy applies"),
                    "{}: {why}",
                    s.name()
                );
            }
        }
    }
    // local-sta 1, local-multi-sta 3, inproc 1, atl9-sta 1, atl9-mta 4, atl14-mta 3, wtl-sta 1,
    // wrl-mta 3.
    assert!(searched >= 17, "{searched} remedy runs");
}

/// A remedy run that violates a property the run does not is listed after the clean remedies,
/// with what it breaks. No pinned remedy breaks anything, so the remedy run's verdict is
/// changed here to show how the diagnosis reads it.
#[test]
fn a_remedy_that_breaks_a_property_says_so_and_comes_last() {
    let pinned = Expectations::embedded();
    let opts = RunOptions::default();
    let cfg = Config::new(Scenario::LocalMultiSta, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap();
    let report = run(cfg, opts);
    let RemedySearch::Done {
        mut runs,
        seconds,
        pairs_skipped,
    } = remedies::search(&report, opts, &Progress::new(), |_| {})
    else {
        panic!("local-multi-sta has F-4 and three remedies")
    };
    let (_, recheck) = runs
        .iter_mut()
        .find(|(f, _)| *f == [Fix::Remedy(Toggle::RecheckAfterRevoke)])
        .unwrap();
    let p = recheck
        .properties
        .iter_mut()
        .find(|p| p.def.name == "server-eventually-exits")
        .unwrap();
    assert_eq!(p.verdict, Verdict::Holds);
    p.verdict = Verdict::Violated;
    let diag = diagnose(
        &report,
        &pinned,
        Some(&RemedySearch::Done {
            runs,
            seconds,
            pairs_skipped,
        }),
    );
    let order: Vec<(Vec<Fix>, Vec<&str>)> = diag.defects[0]
        .remedies
        .iter()
        .filter(|r| r.fixes.len() == 1)
        .map(|r| (r.fixes.clone(), r.breaks.clone()))
        .collect();
    assert_eq!(
        order,
        [
            (vec![Fix::Remedy(Toggle::StoppingFlagLocked)], vec![]),
            (
                vec![Fix::Remedy(Toggle::RecheckAfterRevoke)],
                vec!["server-eventually-exits"]
            ),
        ]
    );
}

/// Where a remedy run could not show a property holding, the search does not run and says why.
#[test]
fn the_search_is_skipped_where_it_cannot_show_a_repair() {
    let cfg = Config::new(Scenario::LocalMultiSta, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap();
    let simulated = run(
        cfg,
        RunOptions {
            simulate: Some(Simulation {
                runs: 300,
                seed: 7,
                depth: comlife::verify::simulate::DEFAULT_DEPTH,
            }),
            ..RunOptions::default()
        },
    );
    let bounded = run(
        cfg,
        RunOptions {
            // F-4's shortest trace has 25 steps; longer paths are cut.
            max_depth: Some(30),
            ..RunOptions::default()
        },
    );
    for (r, words) in [(&simulated, "simulation"), (&bounded, "every interleaving")] {
        assert!(!r.complete && r.properties.iter().any(|p| p.verdict == Verdict::Violated));
        let why = remedies::skip_reason(r).expect("skipped");
        assert!(why.contains(words), "{why}");
        // Nothing is planned or run.
        let mut events = 0;
        let search = remedies::search(r, RunOptions::default(), &Progress::new(), |_| events += 1);
        assert!(matches!(search, RemedySearch::Skipped(_)) && events == 0);
    }
    // A clean server has nothing to repair.
    let clean = run(
        Config::new(Scenario::Atl14Sta, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap(),
        RunOptions::default(),
    );
    assert!(remedies::skip_reason(&clean).is_some());
    // A remedy already in the run, or needing a condition the run lacks, is not a candidate.
    let with = Config::new(
        Scenario::LocalMultiSta,
        ToggleSet::only(Toggle::RecheckAfterRevoke),
        DEFAULT_CLIENTS,
    )
    .unwrap();
    assert!(!remedies::candidates(&with)
        .iter()
        .any(|(t, _)| *t == Fix::Remedy(Toggle::RecheckAfterRevoke)));
    let mfc = Config::new(Scenario::MfcSta, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap();
    let names: Vec<Fix> = remedies::candidates(&mfc)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert!(
        names.contains(&Fix::Remedy(Toggle::ProcessCountLock))
            && !names.contains(&Fix::Remedy(Toggle::RecheckAfterModal)),
        "{names:?}"
    );
    let modal = Config::new(
        Scenario::MfcSta,
        ToggleSet::only(Toggle::ModalDialog),
        DEFAULT_CLIENTS,
    )
    .unwrap();
    assert!(remedies::candidates(&modal)
        .iter()
        .any(|(t, _)| *t == Fix::Remedy(Toggle::RecheckAfterModal)));
}

/// A described server's own code is fixed too (issue 22 §3): the DCOM simple sample's server
/// (examples/sserver.toml) exits on its first object's destruction and its LockServer returns
/// E_FAIL; no opt-in remedy repairs it, counting the objects repairs part, and counting them
/// with a LockServer that counts repairs everything — a pair the search tries because no single
/// fix repairs everything, and which it states with the code of both.
#[test]
fn a_described_servers_code_fixes_are_searched_alone_and_in_pairs() {
    use comlife::com::code_fix::CodeFix;
    let text = std::fs::read_to_string("examples/sserver.toml").unwrap();
    let desc = comlife::description::format::Description::parse("sserver.toml", &text)
        .unwrap()
        .to_request()
        .unwrap();
    let cfg = desc.config;
    let singles: Vec<Fix> = remedies::candidates(&cfg)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert!(
        singles.contains(&Fix::Code(CodeFix::CountObjects)),
        "{singles:?}"
    );
    assert!(
        singles.contains(&Fix::Code(CodeFix::LockServerCounts)),
        "{singles:?}"
    );
    let opts = RunOptions::default();
    let report = run(cfg, opts);
    let search = remedies::search(&report, opts, &Progress::new(), |_| {});
    let diag = diagnose(&report, &Expectations::embedded(), Some(&search));
    let RemedySearch::Done {
        runs,
        pairs_skipped,
        ..
    } = &search
    else {
        panic!("the search runs")
    };
    assert!(pairs_skipped.is_none());
    assert!(
        runs.iter().any(|(f, _)| f.len() == 2),
        "no single fix repairs everything"
    );
    let d = &diag.defects[0];
    let both = vec![
        Fix::Code(CodeFix::CountObjects),
        Fix::Code(CodeFix::LockServerCounts),
    ];
    let first = &d.remedies[0];
    assert_eq!(first.fixes, both);
    assert_eq!(
        first.repairs.len(),
        d.properties.len(),
        "the pair repairs it all"
    );
    assert!(first.breaks.is_empty());
    let count = d
        .remedies
        .iter()
        .find(|r| r.fixes == [Fix::Code(CodeFix::CountObjects)])
        .expect("counting the objects alone repairs part");
    assert_eq!(
        count.repairs,
        ["no-exit-with-live-objects", "clean-disconnect"]
    );
    // A pair that does no better than one of its fixes alone is not stated.
    assert!(d
        .remedies
        .iter()
        .all(|r| r.fixes.len() == 1 || r.fixes == both));
    assert!(d
        .no_effect
        .contains(&vec![Fix::Code(CodeFix::LockServerCounts)]));
}
