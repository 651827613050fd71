//! The configuration's names and bounds: scenarios, toggles and their command-line flags.

use comlife::com::config::Config;
use comlife::com::scenario::Scenario;
use comlife::com::toggle_set::ToggleSet;
use comlife::com::toggles::Toggle;

#[test]
fn bad_names_and_bounds_are_rejected_with_the_valid_choices() {
    let e = Scenario::parse("local").unwrap_err();
    assert!(e.contains("local-sta") && e.contains("local-multi-sta"));
    let e = Toggle::parse("lockserver").unwrap_err();
    assert!(e.contains("lockserver-counts"));
    let e = Config::new(Scenario::LocalSta, ToggleSet::EMPTY, 0).unwrap_err();
    assert!(e.contains("1 to 4"));
    let e = Config::new(
        Scenario::LocalMultiSta,
        ToggleSet::only(Toggle::UserControl),
        2,
    )
    .unwrap_err();
    assert!(e.contains("does not apply"));
    let long = "x".repeat(10_000);
    let e = Toggle::parse(&long).unwrap_err();
    assert!(e.len() < 2_000, "long input is quoted by a prefix only");
    let e = ToggleSet::from_args(Scenario::LocalSta, &[], &["auto-suspend".into()]).unwrap_err();
    assert!(e.contains("user-document-counts"), "{e}");
    let e = ToggleSet::from_args(Scenario::Service, &[], &["x".into()]).unwrap_err();
    assert!(e.contains("none"), "{e}");
}

#[test]
fn mechanism_sets_round_trip_through_flags() {
    for s in Scenario::ALL {
        for set in comlife::com::toggle_set::matrix_runs(s) {
            let args = set.to_args();
            let (mut dis, mut en) = (Vec::new(), Vec::new());
            for pair in args.chunks(2) {
                if pair[0] == "--disable" {
                    dis.push(pair[1].clone())
                } else {
                    en.push(pair[1].clone())
                }
            }
            assert_eq!(
                ToggleSet::from_args(s, &dis, &en),
                Ok(set),
                "{}",
                set.label()
            );
            assert_eq!(ToggleSet::parse_label(&set.label()), Ok(set));
        }
    }
}

/// A layout's JSON in a trace lists the run's clients' classes, three at least (as traces
/// written before four clients were accepted do), and reads back to the same layout.
#[test]
fn a_layout_round_trips_through_its_trace_json() {
    use comlife::com::config::Layout;
    let mut l = Layout::of(Scenario::LocalMultiSta);
    assert_eq!(l.client_class, [0, 1, 0, 1]);
    let three = l.to_json(2);
    assert!(three.contains("\"client_class\":[0,1,0]"), "{three}");
    assert_eq!(Layout::from_json(&three).unwrap(), l);
    l.client_class = [1, 0, 1, 1];
    let four = l.to_json(4);
    assert!(four.contains("\"client_class\":[1,0,1,1]"), "{four}");
    assert_eq!(Layout::from_json(&four).unwrap(), l);
    assert!(Layout::from_json("{\"classes\":2}").is_err());
}

/// `user-started` gives instance 1 to the user, a server slot beyond the clients' ones, so it
/// takes one client fewer than the bound (it used to panic in the symmetry key at three
/// clients, the bound then).
#[test]
fn user_started_leaves_a_slot_for_the_user() {
    use comlife::com::config::MAX_CLIENTS;
    use comlife::com::toggles::Toggle;
    let e = Config::new(
        Scenario::WtlSta,
        ToggleSet::only(Toggle::UserStarted),
        MAX_CLIENTS,
    )
    .unwrap_err();
    assert!(
        e.contains("user-started") && e.contains("valid values are 1 to 3"),
        "{e}"
    );
    let c = Config::new(
        Scenario::WtlSta,
        ToggleSet::only(Toggle::UserStarted),
        MAX_CLIENTS - 1,
    )
    .unwrap();
    assert_eq!(c.slots(), MAX_CLIENTS);
}
