//! Unit tests of the in-process server's handlers (the DLL, its apartments and threads) against
//! the rules they implement (spec/rules.md).

mod common;

use comlife::com::inproc::{Apt, InprocOp, InprocState, InprocStep, Thread};
use comlife::com::scenario::Scenario;
use comlife::com::toggles::Toggle;
use common::handlers::cfg;

fn run(c: &comlife::com::config::Config, p: &mut InprocState, steps: &[InprocStep]) {
    for s in steps {
        assert!(p.enabled(c).contains(s), "{s:?} enabled in {p:?}");
        p.step(c, *s);
    }
}

fn entry(p: &InprocState, apt: Apt) -> Option<comlife::com::inproc::Entry> {
    p.dll.entries[apt as usize]
}

#[test]
fn r002_dllcanunloadnow_counts_objects_and_locks_not_factories() {
    let c = cfg(Scenario::Inproc, &[]);
    let mut p = InprocState::new();
    run(
        &c,
        &mut p,
        &[InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject)],
    );
    assert!(
        p.can_unload_now(&c),
        "a class-object reference does not count"
    );
    run(
        &c,
        &mut p,
        &[InprocStep::Do(Thread::Mta1, InprocOp::LockServerTrue)],
    );
    assert!(!p.can_unload_now(&c), "a lock does");
    let off = cfg(Scenario::Inproc, &[Toggle::DllcanunloadnowCountsLocks]);
    assert!(p.can_unload_now(&off), "unless the mechanism is off");
    let remedy = cfg(Scenario::Inproc, &[Toggle::DllCountsFactories]);
    let mut q = InprocState::new();
    run(
        &remedy,
        &mut q,
        &[InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject)],
    );
    assert!(
        !q.can_unload_now(&remedy),
        "the remedy counts class objects"
    );
}

#[test]
fn seeds_per_apartment_lists_only_the_owning_apartment_frees_its_entry() {
    let c = cfg(Scenario::Inproc, &[]);
    let mut p = InprocState::new();
    run(
        &c,
        &mut p,
        &[InprocStep::Do(Thread::Sta, InprocOp::CoCreateInstance)],
    );
    assert!(entry(&p, Apt::Sta).is_some() && entry(&p, Apt::Mta).is_none());
    assert!(
        !p.enabled(&c).contains(&InprocStep::Sweep(Thread::Mta2)),
        "an MTA thread's sweep does not see the STA's list"
    );
    run(
        &c,
        &mut p,
        &[
            InprocStep::Do(Thread::Sta, InprocOp::Call),
            InprocStep::Do(Thread::Sta, InprocOp::ReleaseDecrement),
        ],
    );
    assert!(
        !p.enabled(&c).contains(&InprocStep::Sweep(Thread::Sta)),
        "the STA thread cannot sweep while it runs its Release epilogue"
    );
    run(
        &c,
        &mut p,
        &[
            InprocStep::Do(Thread::Sta, InprocOp::ReleaseReturn),
            InprocStep::Sweep(Thread::Sta),
            InprocStep::DelayPasses(Apt::Sta),
            InprocStep::Sweep(Thread::Sta),
        ],
    );
    assert!(!p.dll.loaded() && !p.unloaded_while_live);
    let off = cfg(Scenario::Inproc, &[Toggle::EveryApartmentSweeps]);
    let mut q = InprocState::new();
    run(
        &off,
        &mut q,
        &[InprocStep::Do(Thread::Sta, InprocOp::CoCreateInstance)],
    );
    assert!(
        !q.enabled(&off)
            .iter()
            .any(|s| matches!(s, InprocStep::Sweep(_))),
        "nobody frees the STA's entry"
    );
}

#[test]
fn seeds_candidate_list_microsoft_text_and_wine_variant() {
    // Microsoft's text: once the delay passed, the next sweep frees the candidate without
    // asking DllCanUnloadNow again; use through COM takes it off the list.
    let c = cfg(Scenario::Inproc, &[]);
    let mut p = InprocState::new();
    run(
        &c,
        &mut p,
        &[
            InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject),
            InprocStep::Sweep(Thread::Mta2),
        ],
    );
    assert!(entry(&p, Apt::Mta).unwrap().candidate);
    run(
        &c,
        &mut p,
        &[InprocStep::Do(Thread::Mta2, InprocOp::CoCreateInstance)],
    );
    assert!(
        !entry(&p, Apt::Mta).unwrap().candidate && p.revived,
        "revived by use"
    );
    let mut p = InprocState::new();
    run(
        &c,
        &mut p,
        &[
            InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject),
            InprocStep::Sweep(Thread::Mta2),
            InprocStep::Do(Thread::Mta1, InprocOp::LockServerTrue),
            InprocStep::DelayPasses(Apt::Mta),
            InprocStep::Sweep(Thread::Mta2),
        ],
    );
    assert!(
        p.unloaded_while_live,
        "F-3: freed under a lock, nothing asked"
    );

    // Wine: asked again; S_FALSE clears the mark; use does not.
    let w = cfg(Scenario::Inproc, &[Toggle::WineCandidateList]);
    let mut p = InprocState::new();
    run(
        &w,
        &mut p,
        &[
            InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject),
            InprocStep::Sweep(Thread::Mta2),
            InprocStep::Do(Thread::Mta1, InprocOp::LockServerTrue),
            InprocStep::Sweep(Thread::Mta2),
        ],
    );
    assert!(!entry(&p, Apt::Mta).unwrap().candidate, "S_FALSE unmarks");
    let mut p = InprocState::new();
    run(
        &w,
        &mut p,
        &[
            InprocStep::Do(Thread::Mta2, InprocOp::CoCreateInstance),
            InprocStep::Do(Thread::Mta2, InprocOp::Call),
            InprocStep::Do(Thread::Mta2, InprocOp::ReleaseDecrement),
            InprocStep::Do(Thread::Mta2, InprocOp::ReleaseReturn),
            InprocStep::Sweep(Thread::Mta2),
            InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject),
        ],
    );
    assert!(
        entry(&p, Apt::Mta).unwrap().candidate && !p.revived,
        "no revival"
    );
}

#[test]
fn seeds_unload_delay_covers_another_mta_threads_epilogue() {
    for (toggled, crashes) in [(vec![], false), (vec![Toggle::UnloadDelay], true)] {
        let c = cfg(Scenario::Inproc, &toggled);
        let mut p = InprocState::new();
        run(
            &c,
            &mut p,
            &[
                InprocStep::Do(Thread::Mta2, InprocOp::CoCreateInstance),
                InprocStep::Do(Thread::Mta2, InprocOp::Call),
                InprocStep::Do(Thread::Mta2, InprocOp::ReleaseDecrement),
                InprocStep::Sweep(Thread::Mta1),
            ],
        );
        assert_eq!(p.dll.loaded(), !crashes, "toggled {toggled:?}");
        if !crashes {
            assert!(
                !p.enabled(&c).contains(&InprocStep::DelayPasses(Apt::Mta)),
                "the delay does not pass during the epilogue (A-DELAY)"
            );
        }
        run(
            &c,
            &mut p,
            &[InprocStep::Do(Thread::Mta2, InprocOp::ReleaseReturn)],
        );
        assert_eq!(p.crashed, crashes, "toggled {toggled:?}");
    }
}

#[test]
fn r002_unlocked_factory_beyond_scope_crashes() {
    let off = cfg(Scenario::Inproc, &[Toggle::ClientLocksFactory]);
    let mut p = InprocState::new();
    run(
        &off,
        &mut p,
        &[InprocStep::Do(Thread::Mta1, InprocOp::CoGetClassObject)],
    );
    assert!(
        !p.enabled(&off)
            .contains(&InprocStep::Do(Thread::Mta1, InprocOp::LockServerTrue)),
        "no LockServer without the mechanism"
    );
    run(
        &off,
        &mut p,
        &[
            InprocStep::Sweep(Thread::Mta2),
            InprocStep::DelayPasses(Apt::Mta),
            InprocStep::Sweep(Thread::Mta2),
            InprocStep::Do(Thread::Mta1, InprocOp::CreateInstance),
        ],
    );
    assert!(p.crashed);
}
