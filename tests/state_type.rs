//! The model's own state type (model/com/state.rs `SysState`, model/com/system.rs `ComModel`)
//! against stateright 0.31's `ActorModel` over the same actors (`system::reference`): in every
//! state reached, the same actions in the same order and the same successors, and stateright's
//! own BFS counts the same states. The checker's state counts, action indices and traces rest on
//! this agreement (issue 21 §1).

use comlife::com::config::{Config, DEFAULT_CLIENTS};
use comlife::com::scenario::Scenario;
use comlife::com::system::{assemble, reference, ComModel};
use comlife::com::toggle_set::ToggleSet;
use comlife::verify::search::fingerprint;
use stateright::Model;
use std::collections::{HashSet, VecDeque};

/// Breadth-first over `model`, at most `limit` states (the number compared is returned): in
/// each, the actions and successors of the reference `ActorModel` at the same state are those
/// of `model`.
fn agree(cfg: Config, limit: usize) -> usize {
    let model: ComModel = assemble(cfg);
    let refm = reference(cfg);
    let init = model.init_states().remove(0);
    assert_eq!(
        model.to_reference(&init),
        refm.init_states().remove(0),
        "{cfg:?}: the initial states"
    );
    let mut seen = HashSet::from([fingerprint(&init)]);
    let mut queue = VecDeque::from([init]);
    let mut visited = 0;
    while let Some(s) = queue.pop_front() {
        visited += 1;
        let rs = model.to_reference(&s);
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        model.actions(&s, &mut ours);
        refm.actions(&rs, &mut theirs);
        assert_eq!(ours, theirs, "{cfg:?}: the actions of {s:?}");
        for a in ours {
            let mine = model.next_state(&s, a.clone());
            let other = refm.next_state(&rs, a.clone());
            assert_eq!(
                mine.as_ref().map(|t| model.to_reference(t)),
                other,
                "{cfg:?}: the successor of {s:?} by {a:?}"
            );
            if let Some(t) = mine {
                if visited + queue.len() < limit && seen.insert(fingerprint(&t)) {
                    queue.push_back(t);
                }
            }
        }
    }
    visited
}

fn cfg(scenario: &str, label: &str) -> Config {
    Config::new(
        Scenario::parse(scenario).unwrap(),
        ToggleSet::parse_label(label).unwrap(),
        DEFAULT_CLIENTS,
    )
    .unwrap()
}

#[test]
fn the_state_type_agrees_with_the_actor_model() {
    for (scenario, label) in [
        ("local-sta", "baseline"),
        ("local-multi-sta", "with-stopping-flag"),
        ("mfc-sta", "with-modal-dialog"),
        ("inproc", "baseline"),
        ("service", "baseline"),
    ] {
        let n = agree(cfg(scenario, label), 20_000);
        assert!(n >= 1_000, "{scenario} {label}: {n} states compared");
    }
    // One whole state graph.
    let n = agree(cfg("atl9-mta", "with-stopping-flag"), usize::MAX);
    assert!(n > 60_000, "atl9-mta with-stopping-flag: {n} states");
}

/// The memo of transitions (model/com/memo.rs) holds one copy of each distinct actor state
/// (`ComModel::intern`): in a breadth-first walk, every two equal actor states that steps
/// produced are the same allocation, the initial states' included, and a step taken again
/// (from the same actor state, by the same action) hands out the same next state. The
/// successors themselves are checked against the `ActorModel`'s above, memo hits included (one
/// model serves the whole walk).
#[test]
fn the_memo_shares_equal_actor_states() {
    use std::collections::HashMap;
    let model: ComModel = assemble(cfg("local-multi-sta", "baseline"));
    let init = model.init_states().remove(0);
    let mut held: HashMap<u64, Vec<comlife::com::state::ActorRef>> = HashMap::new();
    // The initial actor states are held first: a step back to one must hand out that copy.
    for &a in &init.actor_states {
        let equal = held.entry(a.state_hash()).or_default();
        if !equal.iter().any(|h| std::ptr::eq(*h, a)) {
            assert!(!equal.contains(&a), "two copies of {a:?}");
            equal.push(a);
        }
    }
    let mut seen = HashSet::from([fingerprint(&init)]);
    let mut queue = VecDeque::from([init.clone()]);
    let (mut shared, mut again) = (0usize, 0usize);
    while let Some(s) = queue.pop_front() {
        let mut actions = Vec::new();
        model.actions(&s, &mut actions);
        for a in actions {
            let Some(t) = model.next_state(&s, a.clone()) else {
                continue;
            };
            let u = model.next_state(&s, a).expect("taken once, taken again");
            for (k, (x, y)) in t.actor_states.iter().zip(&u.actor_states).enumerate() {
                assert!(std::ptr::eq(*x, *y), "actor {k}: a step taken again");
                if std::ptr::eq(*x, s.actor_states[k]) {
                    continue;
                }
                let equal = held.entry(x.state_hash()).or_default();
                match equal.iter().find(|h| ***h == **x) {
                    Some(h) => {
                        assert!(std::ptr::eq(*h, *x), "actor {k}: two copies of {x:?}");
                        shared += 1;
                    }
                    None => equal.push(*x),
                }
                again += 1;
            }
            if seen.len() < 30_000 && seen.insert(fingerprint(&t)) {
                queue.push_back(t);
            }
        }
    }
    assert!(shared > again / 2, "{shared} of {again} next states shared");
}
