//! Tables generated from code: rules ↔ mechanisms ↔ properties. `comlife list --markdown`
//! prints them; spec/generated.md holds the checked-in copy and a test fails when it is stale.

use crate::com::runtime::Runtime;
use crate::com::scenario::Scenario;
use crate::com::toggle_set::{matrix_runs_on, ToggleSet};

use crate::com::rules::{source_file, RULES};
use crate::com::toggles::Toggle;
use crate::verify::check::Verdict;
use crate::verify::expectations::Expectations;
use crate::verify::properties::{expectation_name, PROPERTIES};
use std::fmt::Write;

/// The server implementations a COM developer ships, each as one run of the matrix: a label,
/// the scenario and the run's toggles (a [`ToggleSet::label`]).
pub const IMPLEMENTATIONS: &[(&str, Scenario, &str)] = &[
    (
        "Textbook EXE, one STA (002, 003)",
        Scenario::LocalSta,
        "baseline",
    ),
    (
        "Textbook EXE, two STAs (003)",
        Scenario::LocalMultiSta,
        "baseline",
    ),
    (
        "ATL 7.0–9.0 (and ATL 3.0 wizard), apartment",
        Scenario::Atl9Sta,
        "baseline",
    ),
    ("ATL 7.0–9.0, free-threaded", Scenario::Atl9Mta, "baseline"),
    (
        "ATL 10.0, apartment (no REGCLS_SUSPENDED)",
        Scenario::Atl14Sta,
        "regcls-suspended",
    ),
    ("ATL 11.0–14.32, apartment", Scenario::Atl14Sta, "baseline"),
    (
        "ATL 10.0–14.32, free-threaded",
        Scenario::Atl14Mta,
        "baseline",
    ),
    (
        "WTL 7.5–10.0 CServerAppModule",
        Scenario::WtlSta,
        "baseline",
    ),
    (
        "MFC 7.0–14.x, bMultiInstance FALSE",
        Scenario::MfcSta,
        "baseline",
    ),
    (
        "MFC 7.0–14.x, bMultiInstance TRUE (REGCLS_SINGLEUSE)",
        Scenario::MfcSta,
        "with-regcls-singleuse",
    ),
    (
        "WRL Module<OutOfProc>, main thread in the MTA",
        Scenario::WrlMta,
        "baseline",
    ),
    (
        "ATL 11.0–14.32, apartment, a client without access (KB 170915)",
        Scenario::Atl14Sta,
        "with-access-denied-client",
    ),
    (
        "MFC, bMultiInstance TRUE, a client without access (KB 170915)",
        Scenario::MfcSta,
        "with-access-denied-client+with-regcls-singleuse",
    ),
    (
        "ATL 11.0–14.32, apartment, clients may crash",
        Scenario::Atl14Sta,
        "with-client-death",
    ),
];

/// The properties of the implementation table: what a COM developer asks of a local server.
const IMPLEMENTATION_PROPERTIES: &[&str] = &[
    "no-exit-with-live-objects",
    "no-exit-while-locked",
    "factory-stays-connected",
    "no-handout-after-shutdown",
    "clean-disconnect",
    "no-exit-during-init",
    "server-eventually-exits",
    "activation-answered",
];

/// Appends the table "implementation × property": for each implementation in
/// [`IMPLEMENTATIONS`], the pinned verdict of each property, a violation with its finding and
/// its trace file.
fn implementations(s: &mut String) {
    let exp = Expectations::embedded();
    s.push_str("\n### Implementations × properties\n\nThe pinned verdicts (spec/expectations.toml) of the run that is each implementation: `holds`, or `✗` with the finding (spec/findings.md) and the shortest counterexample's trace.\n\n| implementation | run |");
    for p in IMPLEMENTATION_PROPERTIES {
        let _ = write!(s, " `{p}` |");
    }
    s.push_str("\n|---|---|");
    for _ in IMPLEMENTATION_PROPERTIES {
        s.push_str("---|");
    }
    s.push('\n');
    for (name, sc, label) in IMPLEMENTATIONS {
        let set = ToggleSet::parse_label(label).expect("a valid run label");
        let _ = write!(s, "| {name} | `{} {label}` |", sc.name());
        for p in IMPLEMENTATION_PROPERTIES {
            let cell = match exp.get(*sc, set, p) {
                Some(Verdict::Holds) => "holds".to_string(),
                Some(Verdict::Violated) => {
                    let finding = exp
                        .finding(*sc, set, p)
                        .map(|f| format!("{f} "))
                        .unwrap_or_default();
                    format!("✗ {finding}[trace](../traces/{}/{label}/{p}.md)", sc.name())
                }
                Some(Verdict::Unknown) | None => "—".to_string(),
            };
            let _ = write!(s, " {cell} |");
        }
        s.push('\n');
    }
}

/// The runtimes table: each runtime, what it is, the scenarios the matrix runs under it, the
/// toggles it fixes and those it makes inert ([`Runtime::inert_toggles`]).
fn runtimes(s: &mut String) {
    s.push_str("\n### Runtimes\n\n`--runtime NAME` on `check` and `explore`, `runtime = \"NAME\"` in a description (docs/wine.md).\n\n| runtime | what it models | the matrix runs under it | toggles it fixes | toggles that make no difference under it |\n|---|---|---|---|---|\n");
    for r in Runtime::ALL {
        let scenarios: Vec<&str> = Scenario::ALL
            .into_iter()
            .filter(|sc| !matrix_runs_on(*sc, r).is_empty())
            .map(Scenario::name)
            .collect();
        let pins: Vec<String> = r
            .pins()
            .iter()
            .map(|p| format!("`{}` {}", p.toggle.name(), if p.on { "on" } else { "off" }))
            .collect();
        let inert: Vec<String> = r
            .inert_toggles()
            .iter()
            .map(|i| format!("`{}`", i.toggle.name()))
            .collect();
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            r.name(),
            r.about(),
            if scenarios.len() == Scenario::ALL.len() {
                "every scenario".to_string()
            } else {
                scenarios.join(", ")
            },
            or_none(&pins),
            or_none(&inert)
        );
    }
}

/// `items` joined with commas, or `none` when there are none.
fn or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// One row per property and scenario of `runtime`'s matrix ([`matrix_runs_on`]): the runs of
/// it in which the property is pinned violated (`none` if in none). Scenarios the runtime does
/// not run are left out.
fn violated_rows(s: &mut String, exp: &Expectations, runtime: Runtime) {
    for p in PROPERTIES {
        for sc in Scenario::ALL.into_iter().filter(|sc| (p.applies)(*sc)) {
            let runs = matrix_runs_on(sc, runtime);
            if runs.is_empty() {
                continue;
            }
            let bad: Vec<String> = runs
                .into_iter()
                .filter(|d| exp.get_on(sc, runtime, *d, p.name) == Some(Verdict::Violated))
                .map(|d| format!("`{}`", crate::com::config::run_label(d, runtime)))
                .collect();
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} |",
                p.name,
                expectation_name(&p.expectation),
                sc.name(),
                if bad.is_empty() {
                    "none".to_string()
                } else {
                    bad.join(", ")
                }
            );
        }
    }
}

/// The expected verdicts of the runs under Wine (`[SCENARIO."RUN+on-wine"]`): per property and
/// scenario the Wine runs in which it is violated. These are Wine's behaviour, not findings.
fn wine_verdicts(s: &mut String, exp: &Expectations) {
    s.push_str("\n### Expected verdicts under the wine runtime (spec/expectations.toml)\n\nThe same, for the runs the matrix makes under `--runtime wine` (labels end in `+on-wine`): Wine's behaviour, not defects of the server on Windows (docs/wine.md explains them).\n\n| property | expectation | scenario | violated in |\n|---|---|---|---|\n");
    violated_rows(s, exp, Runtime::Wine);
}

/// The generated Markdown.
pub fn markdown() -> String {
    let mut s = String::new();
    s.push_str("<!-- generated by `cargo run -- list --markdown`; do not edit -->\n\n");
    s.push_str(
        "### Scenarios\n\n| scenario | what it models | source and versions |\n|---|---|---|\n",
    );
    for sc in Scenario::ALL {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            sc.name(),
            sc.description(),
            sc.source()
        );
    }
    runtimes(&mut s);
    implementations(&mut s);
    s.push_str("\n### Mechanisms, remedies and variants\n\nMechanisms are on by default (`--disable NAME`); remedies for findings and variants where the sources disagree are off by default (`--enable NAME`).\n\n| name | kind | default | rules | source | toggling it (disabling a mechanism, enabling a remedy or variant) means |\n|---|---|---|---|---|---|\n");
    for m in Toggle::ALL {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} |",
            m.name(),
            m.kind().name(),
            if m.opt_in() { "off" } else { "on" },
            m.rules().join(", "),
            m.source(),
            m.when_toggled()
        );
    }
    s.push_str(
        "\n### Properties\n\n| property | expectation | rules | statement |\n|---|---|---|---|\n",
    );
    for p in PROPERTIES {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            p.name,
            expectation_name(&p.expectation),
            p.rules.join(", "),
            p.statement
        );
    }
    s.push_str("\n### Expected verdicts (spec/expectations.toml)\n\n");
    s.push_str("For each property and scenario: the runs in which it is violated (always/eventually: a counterexample exists) or, for a sometimes property, has no example. `baseline` is a pinned finding (spec/findings.md); `with-NAME` is a run with the remedy or variant NAME enabled; `M+with-NAME` disables mechanism M in that run.\n\n");
    s.push_str("| property | expectation | scenario | violated in |\n|---|---|---|---|\n");
    let exp = Expectations::embedded();
    violated_rows(&mut s, &exp, Runtime::Windows);
    wine_verdicts(&mut s, &exp);
    s.push_str("\n### Rules ↔ mechanisms ↔ properties\n\n| rule | source | mechanisms | properties |\n|---|---|---|---|\n");
    for r in RULES {
        let mechs: Vec<String> = Toggle::ALL
            .into_iter()
            .filter(|m| m.rules().contains(&r.id))
            .map(|m| format!("`{}`", m.name()))
            .collect();
        let props: Vec<String> = PROPERTIES
            .iter()
            .filter(|p| p.rules.contains(&r.id))
            .map(|p| format!("`{}`", p.name))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} ({}) | {} | {} |",
            r.id,
            source_file(r.id),
            r.source,
            if mechs.is_empty() {
                "—".into()
            } else {
                mechs.join(", ")
            },
            if props.is_empty() {
                "—".into()
            } else {
                props.join(", ")
            }
        );
    }
    s
}
