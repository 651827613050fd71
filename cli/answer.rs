//! The answer `check` leads with: a plain-language verdict on the server as described, then
//! each defect once (the properties in words, the finding, the shortest trace, the remedy),
//! from [`comlife::verify::diagnosis`]; and, for the whole matrix, that verdict in one line
//! per scenario. The verdict table and the regression comparison come after it, titled apart.

use comlife::com::toggle_set::ToggleSet;
use comlife::com::toggles::{Kind, Toggle};
use comlife::verify::check::RunReport;
use comlife::verify::diagnosis::{Cause, Defect, Diagnosis, Evidence, RemediesFrom};
use comlife::verify::remedies::{fixes_name, Fix};
use std::path::Path;

/// Where the server of a run is described, which says how a toggle is applied to it.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A server description file (`check FILE.toml`), as named on the command line.
    File(&'a str),
    /// A built-in scenario with the command line's toggles (`check --scenario NAME`).
    CommandLine,
}

impl Source<'_> {
    /// How to turn `m` on (`on`) or back to its default (`!on`) for this source.
    fn apply(self, m: Toggle, on: bool) -> String {
        let name = m.name();
        match (self, m.opt_in(), on) {
            (Source::File(f), true, true) => {
                format!("add \"{name}\" to [mechanisms] enable in {f} (or --enable {name})")
            }
            (Source::File(f), true, false) => {
                format!("remove \"{name}\" from [mechanisms] enable in {f}")
            }
            (Source::File(f), false, _) => {
                format!(
                    "remove \"{name}\" from [mechanisms] disable in {f} (or drop --disable {name})"
                )
            }
            (Source::CommandLine, true, true) => format!("--enable {name}"),
            (Source::CommandLine, true, false) => format!("drop --enable {name}"),
            (Source::CommandLine, false, _) => format!("drop --disable {name}"),
        }
    }
    /// How to make `fix` for this source: enable an opt-in remedy, or write a description line.
    fn apply_fix(self, fix: Fix) -> String {
        match (fix, self) {
            (Fix::Remedy(t), _) => self.apply(t, true),
            (Fix::Code(c), Source::File(f)) => {
                format!("write `{}` in {} of {f}", c.name(), c.place())
            }
            (Fix::Code(c), Source::CommandLine) => format!(
                "describe the server in a file (`comlife new --from SCENARIO`) and write `{}` in {}",
                c.name(),
                c.place()
            ),
        }
    }

    /// How to make every fix of `fixes`, joined.
    fn apply_all(self, fixes: &[Fix]) -> String {
        fixes
            .iter()
            .map(|f| self.apply_fix(*f))
            .collect::<Vec<_>>()
            .join("; and ")
    }
}

/// How much of the state space the run covered, in words: "2 clients, 16738 unique states,
/// every interleaving", or why it is not every interleaving.
fn coverage(report: &RunReport) -> String {
    let how = if report.simulated {
        "random walks only, not every interleaving".to_string()
    } else if let Some(why) = &report.stopped {
        format!("stopped early ({why}), not every interleaving")
    } else if !report.complete {
        "bounded, not every interleaving".to_string()
    } else {
        "every interleaving".to_string()
    };
    format!(
        "{} clients, {} unique states, {how}",
        report.cfg.clients, report.unique_states
    )
}

/// A toggle's part in a run, in words: "mechanism X disabled", "remedy X enabled",
/// "condition X on".
fn toggle_words(m: Toggle) -> String {
    match m.kind() {
        Kind::Mechanism => format!("mechanism {} disabled", m.name()),
        Kind::Remedy => format!("remedy {} enabled", m.name()),
        k => format!("{} {} on", k.name(), m.name()),
    }
}

/// What a run turns from the defaults, in words, one phrase per toggle: "the server as built"
/// for the baseline.
pub fn run_words(t: ToggleSet) -> String {
    if t.is_empty() {
        "the server as built: every mechanism at its default".to_string()
    } else {
        t.iter().map(toggle_words).collect::<Vec<_>>().join(", ")
    }
}

/// A defect's name in a few words: the finding and its title, the toggles that cause or
/// expose it, or its first property.
fn defect_name(d: &Defect, report: &RunReport) -> String {
    match &d.cause {
        Cause::Finding(id) => match comlife::verify::findings::title(id) {
            Some(t) => format!("{id}: {t}"),
            None => id.clone(),
        },
        Cause::Toggled(ms) => {
            let (off, on): (Vec<Toggle>, Vec<Toggle>) = ms.iter().partition(|m| !m.opt_in());
            let mut parts = Vec::new();
            if !off.is_empty() {
                let n: Vec<&str> = off.iter().map(|m| m.name()).collect();
                parts.push(format!(
                    "the server needs {}, which is disabled here",
                    n.join(" and ")
                ));
            }
            for m in on {
                parts.push(format!("exposed by {}", toggle_words(m)));
            }
            parts.join("; ")
        }
        Cause::Unexplained => {
            let p = &report.properties[d.properties[0]];
            format!("{} is violated (no pinned finding explains it)", p.def.name)
        }
    }
}

/// The verdict's first line: "NAME: N defect(s) found — …", "NAME: no defect found — …", or
/// that the check is incomplete.
pub fn headline(name: &str, report: &RunReport, diag: &Diagnosis) -> String {
    let n = diag.defects.len();
    if n > 0 {
        let names: Vec<String> = diag
            .defects
            .iter()
            .map(|d| defect_name(d, report))
            .collect();
        format!(
            "{name}: {n} defect{} found — {}",
            if n == 1 { "" } else { "s" },
            names.join("; ")
        )
    } else if diag.proves_safe(report) {
        format!(
            "{name}: no defect found — every safety and liveness property holds in every reachable state"
        )
    } else {
        format!(
            "{name}: no defect found so far, but the check is incomplete ({} verdict{} unknown) — not a proof of safety",
            diag.unknown.len(),
            if diag.unknown.len() == 1 { "" } else { "s" }
        )
    }
}

/// Prints the answer for one run of the server `name` (a description's name, or the scenario's
/// with its run label): the headline, what was checked, one block per defect, and notes on
/// examples no state reached and unknown verdicts. `trace_dir` is the run's trace directory if
/// traces were written.
pub fn print_answer(
    name: &str,
    source: Source,
    report: &RunReport,
    diag: &Diagnosis,
    trace_dir: Option<&Path>,
) {
    let cfg = &report.cfg;
    println!("{}", headline(name, report, diag));
    println!(
        "  checked as scenario {} ({}){}; {}",
        cfg.scenario.name(),
        run_words(cfg.toggled),
        diag.differs
            .as_ref()
            .map_or(String::new(), |d| format!(", with {d}")),
        coverage(report)
    );
    let total = diag.defects.len();
    for (k, d) in diag.defects.iter().enumerate() {
        // Named in the headline; here by number and what explains it.
        let what = match &d.cause {
            Cause::Finding(id) => match (&diag.differs, d.named_in) {
                (Some(how), Some(run)) => format!(
                    "{id}, explained in spec/findings.md; named as in the pinned run {}.{}, which differs from this run in: {how}",
                    cfg.scenario.name(),
                    run.label()
                ),
                _ => format!("{id}, explained in spec/findings.md"),
            },
            Cause::Toggled(ms) if ms.iter().any(|m| !m.opt_in()) => {
                "a mechanism the server needs is disabled".to_string()
            }
            Cause::Toggled(_) => "exposed by what the run turns on".to_string(),
            Cause::Unexplained => "no pinned finding".to_string(),
        };
        println!("\nDefect {} of {total} ({what})", k + 1);
        println!("  violated:");
        for &i in &d.properties {
            let p = &report.properties[i];
            println!("    {} — {}", p.def.name, p.def.statement);
        }
        let short = &report.properties[d.shortest(report)];
        let steps = short.trace.as_ref().map_or(0, |t| t.len());
        // Random walks find a trace, not necessarily a shortest one; so does partial-order
        // reduction where no exact search re-derived a shortest one.
        let (kind, not) = if short.shortest {
            ("shortest trace", "")
        } else {
            ("trace", ", not necessarily shortest")
        };
        match trace_dir {
            Some(dir) => println!(
                "  {kind}: {} ({steps} steps{not})",
                dir.join(format!("{}.md", short.def.name)).display()
            ),
            None => println!(
                "  {kind}: {} ({steps} steps{not}; not written: --traces DIR writes it, --show-traces prints it)",
                short.def.name
            ),
        }
        print_remedies(d, source, report, &diag.remedies_from);
    }
    if total > 0 {
        match &diag.remedies_from {
            RemediesFrom::Search {
                tried,
                seconds,
                pairs_skipped,
            } => {
                if let Some(why) = pairs_skipped {
                    println!("\nnote: no single remedy repairs everything, and the pairs were not checked: {why}");
                }
                let n: Vec<String> = tried
                    .iter()
                    .filter(|f| f.len() == 1)
                    .map(|f| fixes_name(f))
                    .collect();
                let pairs = tried.len() - n.len();
                println!(
                    "\nnote: remedy search: {} remed{} checked in this configuration{}, every interleaving each ({}; {seconds:.1} s)",
                    n.len(),
                    if n.len() == 1 { "y" } else { "ies" },
                    if pairs > 0 { format!(", and {pairs} pairs of them") } else { String::new() },
                    n.join(", ")
                );
            }
            RemediesFrom::Pins { skipped: Some(why) } => println!(
                "\nnote: remedies from the pinned runs of spec/expectations.toml only (the scenario's own layout, two clients); the remedy search did not run: {why}"
            ),
            RemediesFrom::Pins { skipped: None } => {}
        }
    }
    if !diag.unreached.is_empty() {
        let n: Vec<&str> = diag
            .unreached
            .iter()
            .map(|&i| report.properties[i].def.name)
            .collect();
        println!(
            "\nnote: no state reaches the example{} {} (a sometimes property: not a defect, but what it demonstrates does not happen here)",
            if n.len() == 1 { "" } else { "s" },
            n.join(", ")
        );
    }
    if !diag.unknown.is_empty() {
        let n: Vec<&str> = diag
            .unknown
            .iter()
            .map(|&i| report.properties[i].def.name)
            .collect();
        println!(
            "\nnote: unknown (the run did not cover every interleaving): {}",
            n.join(", ")
        );
    }
}

/// Prints a defect's remedies: enabling a disabled mechanism back, or each opt-in remedy that
/// repairs some of its properties (all first, then some, then those that break something),
/// with the code a developer writes and how to apply it; then the remedies the search checked
/// that repair none, and what no remedy repairs.
fn print_remedies(d: &Defect, source: Source, report: &RunReport, from: &RemediesFrom) {
    let s = report.cfg.scenario.name();
    if let Cause::Toggled(ms) = &d.cause {
        for &m in ms {
            let without = report
                .cfg
                .toggled
                .iter()
                .filter(|&x| x != m)
                .fold(ToggleSet::EMPTY, ToggleSet::with);
            let shows = format!("the pinned run {s}.{} shows them holding", without.label());
            if m.opt_in() {
                println!(
                    "  without it: {shows}; {} {} means: {}",
                    m.kind().name(),
                    m.name(),
                    m.when_toggled()
                );
            } else {
                println!(
                    "  remedy: enable {} again — {}",
                    m.name(),
                    source.apply(m, true)
                );
                println!("    {shows}; disabling it means: {}", m.when_toggled());
            }
        }
    }
    if d.needs_mechanism() {
        return;
    }
    let total = d.properties.len();
    for r in &d.remedies {
        let repairs = if r.repairs.len() == total {
            "repairs it".to_string()
        } else {
            format!(
                "repairs {} of {total}: {}",
                r.repairs.len(),
                r.repairs.join(", ")
            )
        };
        let breaks = if r.breaks.is_empty() {
            String::new()
        } else {
            format!(", but violates {}", r.breaks.join(", "))
        };
        let shown = match r.evidence {
            Evidence::Searched {
                unique_states,
                complete: true,
            } => format!("checked with it: {unique_states} unique states, every interleaving"),
            Evidence::Searched { unique_states, .. } => format!(
                "checked with it: {unique_states} unique states, bounded: only its violations are established"
            ),
            Evidence::Pinned => format!("the pinned run {s}.{} shows it", r.run.label()),
        };
        println!(
            "  remedy: {} — {repairs}{breaks} ({shown})",
            fixes_name(&r.fixes)
        );
        for code in r.fixes.iter().filter_map(|f| f.code_shape()) {
            println!("    write: {code}");
        }
        println!("    apply: {}", source.apply_all(&r.fixes));
    }
    if !d.no_effect.is_empty() {
        let n: Vec<String> = d.no_effect.iter().map(|f| fixes_name(f)).collect();
        println!("  also checked, repairs none of it: {}", n.join(", "));
    }
    if d.remedies.is_empty() {
        let which = match (from, &d.cause) {
            (RemediesFrom::Search { .. }, _) => {
                "no modeled remedy repairs it (each was checked in this configuration); \
                 spec/findings.md discusses what can be done"
            }
            // The pins show the defect nowhere (it needs another client count, say), so they
            // can name no remedy for it.
            (RemediesFrom::Pins { .. }, Cause::Unexplained) => {
                "none from the pinned runs, which do not show this defect; check one in this \
                 configuration with --enable NAME"
            }
            (RemediesFrom::Pins { .. }, _) => {
                "no modeled remedy repairs it in the pinned runs; spec/findings.md discusses \
                 what can be done"
            }
        };
        println!("  remedy: {which}");
        return;
    }
    let left = d.unrepaired(report);
    if !left.is_empty() {
        println!(
            "  no modeled remedy repairs: {} (spec/findings.md discusses what can be done)",
            left.join(", ")
        );
    }
}

/// One line of the whole matrix's summary: the scenario's verdict from its baseline run, with
/// each defect's finding and the remedy that repairs most of it.
pub fn summary_line(width: usize, report: &RunReport, diag: &Diagnosis) -> String {
    let name = report.cfg.scenario.name();
    if diag.defects.is_empty() {
        let what = if diag.proves_safe(report) {
            "no defect: every safety and liveness property holds"
        } else {
            "no defect found, but the run is incomplete"
        };
        return format!("{name:<width$}  {what}");
    }
    let parts: Vec<String> = diag
        .defects
        .iter()
        .map(|d| {
            let n = d.properties.len();
            let remedy = match d.remedies.first() {
                Some(r) if r.repairs.len() == n && r.breaks.is_empty() => {
                    format!("remedy {}", fixes_name(&r.fixes))
                }
                Some(r) if r.repairs.len() == n => format!(
                    "remedy {} (but it violates {})",
                    fixes_name(&r.fixes),
                    r.breaks.join(", ")
                ),
                Some(r) => format!(
                    "remedy {} repairs {} of {n}",
                    fixes_name(&r.fixes),
                    r.repairs.len()
                ),
                None => "no modeled remedy".to_string(),
            };
            format!(
                "{} ({n} propert{}; {remedy})",
                defect_name(d, report),
                if n == 1 { "y" } else { "ies" }
            )
        })
        .collect();
    let n = diag.defects.len();
    let incomplete = if diag.proves_safe(report) || (report.complete && diag.unknown.is_empty()) {
        String::new()
    } else {
        format!(
            "; the run is incomplete ({} verdicts unknown)",
            diag.unknown.len()
        )
    };
    format!(
        "{name:<width$}  {n} defect{}: {}{incomplete}",
        if n == 1 { "" } else { "s" },
        parts.join("; ")
    )
}

/// The answer of [`print_answer`] as JSON, for `check --json` of one run: `headline`, the
/// `defects` (each with its `cause`, violated `properties`, `shortest_trace`, its `steps` and
/// whether it is `shortest`,
/// `remedies` with what each repairs and breaks, its `code_shape`, how to `apply` it and its
/// `evidence`, and the remedies with `no_effect`), the sometimes properties no state reached
/// (`unreached`), the `unknown` verdicts, what the run `differs` in from the pins, and where
/// the remedies come from (`remedies_from`). docs/checker.md describes the fields.
pub fn answer_json(
    name: &str,
    source: Source,
    report: &RunReport,
    diag: &Diagnosis,
    trace_dir: Option<&Path>,
) -> serde_json::Value {
    use serde_json::json;
    let names =
        |ix: &[usize]| -> Vec<&str> { ix.iter().map(|&i| report.properties[i].def.name).collect() };
    let defects: Vec<serde_json::Value> = diag
        .defects
        .iter()
        .map(|d| {
            let cause = match &d.cause {
                Cause::Finding(id) => json!({
                    "finding": id,
                    "title": comlife::verify::findings::title(id),
                    "named_in": d.named_in.map(|r| r.label()),
                }),
                Cause::Toggled(ms) => json!({
                    "toggled": ms.iter().map(|m| m.name()).collect::<Vec<_>>(),
                    "needs_mechanism": d.needs_mechanism(),
                }),
                Cause::Unexplained => json!("unexplained"),
            };
            let short = &report.properties[d.shortest(report)];
            let remedies: Vec<serde_json::Value> = d
                .remedies
                .iter()
                .map(|r| {
                    let evidence = match r.evidence {
                        Evidence::Searched {
                            unique_states,
                            complete,
                        } => json!({"searched": {"unique_states": unique_states, "complete": complete}}),
                        Evidence::Pinned => json!("pinned"),
                    };
                    json!({
                        "remedy": fixes_name(&r.fixes),
                        "fixes": r.fixes.iter().map(|f| json!({
                            "name": f.name(),
                            "kind": match f { Fix::Remedy(_) => "remedy", Fix::Code(_) => "code" },
                            "code_shape": f.code_shape(),
                            "apply": source.apply_fix(*f),
                        })).collect::<Vec<_>>(),
                        "repairs": r.repairs,
                        "breaks": r.breaks,
                        "evidence": evidence,
                    })
                })
                .collect();
            json!({
                "name": defect_name(d, report),
                "cause": cause,
                "properties": names(&d.properties),
                "shortest_trace": trace_dir.map(|dir| dir.join(format!("{}.md", short.def.name)).display().to_string()),
                "steps": short.trace.as_ref().map_or(0, |t| t.len()),
                "shortest": short.shortest,
                "remedies": remedies,
                "no_effect": d.no_effect.iter().map(|f| fixes_name(f)).collect::<Vec<_>>(),
                "unrepaired": d.unrepaired(report),
            })
        })
        .collect();
    let remedies_from = match &diag.remedies_from {
        RemediesFrom::Search {
            tried,
            seconds,
            pairs_skipped,
        } => json!({"search": {
            "tried": tried.iter().map(|f| fixes_name(f)).collect::<Vec<_>>(),
            "seconds": seconds,
            "pairs_skipped": pairs_skipped,
        }}),
        RemediesFrom::Pins { skipped } => json!({"pins": {"skipped": skipped}}),
    };
    json!({
        "headline": headline(name, report, diag),
        "proves_safe": diag.proves_safe(report),
        "defects": defects,
        "unreached": names(&diag.unreached),
        "unknown": names(&diag.unknown),
        "differs": diag.differs,
        "remedies_from": remedies_from,
    })
}
