//! Server layouts beyond the built-in scenarios' (issue 9): several classes per apartment and
//! per-class REGCLS_SINGLEUSE.

use comlife::com::config::{Config, Layout};
use comlife::com::scenario::Scenario;
use comlife::com::toggle_set::ToggleSet;
use comlife::verify::check::{run, RunOptions, Verdict};

/// Two STAs, three classes (CLSID_A in apartment 1, CLSID_B and CLSID_C in apartment 2),
/// CLSID_C registered REGCLS_SINGLEUSE; `client_class` says which class each client activates.
fn two_apartments_three_classes(clients: [u8; 3]) -> Config {
    let mut client_class = [0; comlife::com::config::MAX_CLIENTS];
    client_class[..3].copy_from_slice(&clients);
    Config::new(Scenario::LocalMultiSta, ToggleSet::EMPTY, 2)
        .unwrap()
        .with_layout(Layout {
            apartments: 2,
            classes: 3,
            class_apartment: [0, 1, 1],
            singleuse: 0b100,
            client_class,
            ..Layout::of(Scenario::LocalMultiSta)
        })
        .unwrap()
}

fn violated(cfg: Config) -> (usize, Vec<&'static str>) {
    let r = run(cfg, RunOptions::default());
    assert!(r.complete);
    assert!(r.properties.iter().all(|p| p.verdict != Verdict::Unknown));
    let v = r
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Violated)
        .map(|p| p.def.name)
        .collect();
    (r.unique_states, v)
}

/// Clients of CLSID_A (apartment 1) and of the single-use CLSID_C (apartment 2) share an
/// instance: F-4's race between the apartments is there, as in local-multi-sta.
#[test]
fn clients_in_two_apartments_have_f4() {
    let (states, v) = violated(two_apartments_three_classes([0, 2, 0]));
    // 73 223 before the SCM awaited a starting instance for a class revoked while it starts
    // (A-SCM): the same 576 states fewer as local-multi-sta's baseline.
    assert_eq!(states, 72647);
    assert_eq!(
        v,
        [
            "no-exit-with-live-objects",
            "no-exit-while-locked",
            "factory-stays-connected",
            "no-handout-after-shutdown",
            "clean-disconnect"
        ]
    );
}

/// Both clients use the single-use CLSID_C: each gets an instance of its own (R-COM-SINGLEUSE),
/// so no apartment hands out an object while another releases the last one.
#[test]
fn single_use_clients_get_an_instance_each() {
    let (states, v) = violated(two_apartments_three_classes([2, 2, 0]));
    // 54 781 before a single-use class taken while another instance starts waited for that
    // instance (A-SCM); 53 437 before the SCM chose which held activation takes the class
    // object (A-SINGLEUSE: both clients' activations held at the registration).
    assert_eq!(states, 54550);
    assert_eq!(v, ["relaunch-after-suspend"]);
}

#[test]
fn impossible_layouts_are_refused() {
    let base = Config::new(Scenario::LocalMultiSta, ToggleSet::EMPTY, 2).unwrap();
    let mut l = Layout::of(Scenario::LocalMultiSta);
    l.class_apartment = [0, 0, 0];
    let e = base.with_layout(l).unwrap_err();
    assert!(e.contains("apartment 2 registers no class"), "{e}");
    let mut l = Layout::of(Scenario::LocalMultiSta);
    l.client_class = [0, 2, 0, 0];
    assert!(base
        .with_layout(l)
        .unwrap_err()
        .contains("client 2 activates class 3"));
    let sta = Config::new(Scenario::LocalSta, ToggleSet::EMPTY, 2).unwrap();
    assert!(sta
        .with_layout(Layout::of(Scenario::LocalMultiSta))
        .unwrap_err()
        .contains("one apartment"));
}

/// A counterexample of a custom layout is exported with the layout in its `#meta` and replays
/// on the model that layout builds (not on the scenario's own).
#[test]
fn a_custom_layouts_trace_replays() {
    let cfg = two_apartments_three_classes([0, 2, 0]);
    let r = run(cfg, RunOptions::default());
    let p = r
        .properties
        .iter()
        .find(|p| p.def.name == "no-exit-with-live-objects")
        .unwrap();
    let doc = comlife::trace::itf_trace::document(&cfg, p.def, p.trace.as_ref().unwrap()).unwrap();
    assert!(doc["#meta"]["layout"]
        .as_str()
        .unwrap()
        .contains("\"classes\":3"));
    let text = comlife::trace::itf_trace::to_text(&doc);
    let replayed = comlife::trace::replay::replay(&text).expect("replays");
    assert_eq!(replayed.steps, p.trace.as_ref().unwrap().len());
    // Without the layout the same steps are not a path of the scenario's own model.
    let mut doc = doc;
    doc["#meta"].as_object_mut().unwrap().remove("layout");
    assert!(comlife::trace::replay::replay(&comlife::trace::itf_trace::to_text(&doc)).is_err());
}

/// Clients restricted to CoCreateInstance (a description's `[clients] calls`) never hold a
/// class object: fewer states, and nothing can break what only a class-object holder sees.
#[test]
fn clients_restricted_to_cocreateinstance() {
    let base = Config::new(Scenario::Atl9Sta, ToggleSet::EMPTY, 2).unwrap();
    let mut l = Layout::of(Scenario::Atl9Sta);
    l.client_calls = 0b10;
    let (all, _) = violated(base);
    let (restricted, v) = violated(base.with_layout(l).unwrap());
    assert!(restricted < all, "{restricted} < {all}");
    assert!(!v.contains(&"factory-stays-connected"), "{v:?}");
    assert!(
        v.contains(&"no-exit-with-live-objects"),
        "F-7 needs no class object: {v:?}"
    );
    l.client_calls = 0;
    assert!(base.with_layout(l).is_err());
}
