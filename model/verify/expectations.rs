//! spec/expectations.toml: the expected verdict of every property and the number of unique
//! states, per scenario, with every mechanism on (`baseline`) and with each single mechanism
//! disabled, under Windows and (`[SCENARIO."RUN+on-wine"]`) under the Wine runtime; the findings
//! (spec/findings.md) that explain the violations of the baseline and of variants; and the
//! comparison of a run's verdicts with them.

use crate::com::config::Layout;
use crate::com::config::DEFAULT_CLIENTS;
use crate::com::config::{run_label, split_run_label};
use crate::com::runtime::Runtime;
use crate::com::scenario::Scenario;
use crate::com::toggle_set::{matrix, matrix_runs_on, ToggleSet};
use crate::verify::check::{RunReport, Verdict};
use crate::verify::properties::expectation_name;
use crate::verify::properties::PROPERTIES;
use crate::verify::search::Trace;
use serde::Serialize;
use std::collections::BTreeMap;

/// The expectations file, as embedded at build time.
pub const EXPECTATIONS_TOML: &str = include_str!("../../spec/expectations.toml");

/// A pinned run: scenario, runtime, toggled set.
type RunKey = (Scenario, Runtime, ToggleSet);

/// Expected verdicts: (scenario, runtime, toggled set) → property → verdict.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    runs: BTreeMap<RunKey, BTreeMap<String, Verdict>>,
    /// (scenario, runtime, toggled set) → pinned unique states, from the runs' [`STATES_KEY`]
    /// lines.
    states: BTreeMap<RunKey, usize>,
    /// (scenario, toggled set) → property → finding ID ("F-1"), from the `[findings]` table:
    /// findings are defects of the server on Windows, so only Windows runs have them.
    findings: BTreeMap<(Scenario, ToggleSet), BTreeMap<String, String>>,
}

/// The name of the table of spec/expectations.toml that maps pinned violations to findings:
/// `[findings.SCENARIO.RUN]` with `property = "F-n"` lines.
pub const FINDINGS_TABLE: &str = "findings";

/// The key of a run's table of spec/expectations.toml (`[SCENARIO.RUN]`, not a property name)
/// that pins the run's number of unique states: `states = N`. These are unique states as a
/// complete exploration counts them with the default two clients ([`DEFAULT_CLIENTS`]) and
/// symmetry reduction on (`RunOptions::symmetry`, the default), so in the local scenarios they
/// are symmetry-reduced classes of states (model/verify/symmetry.rs). The count is
/// deterministic (it does not depend on the number of threads), so it is compared exactly; a
/// change of it is a change of the model or of the reduction.
pub const STATES_KEY: &str = "states";

impl Expectations {
    /// Parses the TOML text: one table per scenario, one sub-table per run (its label,
    /// [`crate::com::config::Config::run_label`]: `baseline` or toggle names, `+on-wine` after
    /// them for a run under Wine), one `property = "verdict"` line per property and one
    /// [`STATES_KEY`]` = N` line.
    ///
    /// # Errors
    /// Returns a message naming the unknown scenario, run, property or verdict, a `states`
    /// that is not a non-negative integer, a Wine run in `[findings]`, or the TOML syntax error.
    pub fn parse(text: &str) -> Result<Expectations, String> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e| format!("spec/expectations.toml: {e}"))?;
        let mut runs = BTreeMap::new();
        let mut states = BTreeMap::new();
        let mut findings = BTreeMap::new();
        for (sname, stable) in &doc {
            if sname == FINDINGS_TABLE {
                let stable = stable.as_table().ok_or_else(|| {
                    format!("spec/expectations.toml: [{FINDINGS_TABLE}] must be a table")
                })?;
                for (sname, runs) in stable {
                    let prefix = format!("{FINDINGS_TABLE}.{sname}");
                    for ((s, runtime, t), count, props) in scenario_runs(&prefix, sname, runs)? {
                        if runtime.is_wine() {
                            return Err(format!(
                                "spec/expectations.toml [{prefix}]: '{}' is a run under the wine runtime; findings are defects of the server on Windows (docs/wine.md explains the Wine runs)",
                                run_label(t, runtime)
                            ));
                        }
                        let key = (s, t);
                        if count.is_some() {
                            return Err(format!(
                                "spec/expectations.toml [{prefix}]: '{STATES_KEY}' belongs in the run's own table, not in [{FINDINGS_TABLE}]"
                            ));
                        }
                        let ids = props
                            .into_iter()
                            .map(|(p, v)| match v.as_str() {
                                Some(id) if is_finding_id(id) => Ok((p, id.to_string())),
                                _ => Err(format!(
                                    "spec/expectations.toml [{prefix}].{p}: a finding ID such as \"F-1\" (spec/findings.md)"
                                )),
                            })
                            .collect::<Result<_, String>>()?;
                        findings.insert(key, ids);
                    }
                }
                continue;
            }
            for (key, count, props) in scenario_runs(sname, sname, stable)? {
                if let Some(count) = count {
                    states.insert(key, count);
                }
                let verdicts = props
                    .into_iter()
                    .map(|(p, v)| {
                        let v = v
                            .as_str()
                            .ok_or_else(|| format!("spec/expectations.toml [{sname}].{p}: verdict must be a string"))
                            .and_then(|s| Verdict::parse(s).map_err(|e| format!("spec/expectations.toml [{sname}].{p}: {e}")))?;
                        Ok((p, v))
                    })
                    .collect::<Result<_, String>>()?;
                runs.insert(key, verdicts);
            }
        }
        Ok(Expectations {
            runs,
            states,
            findings,
        })
    }

    /// The checked-in expectations.
    ///
    /// # Panics
    /// If the embedded file does not parse (a test guards this).
    pub fn embedded() -> Expectations {
        Expectations::parse(EXPECTATIONS_TOML).expect("spec/expectations.toml parses")
    }

    /// The expected verdict of `property` in `scenario` with `disabled` toggled under Windows,
    /// if pinned.
    pub fn get(&self, scenario: Scenario, disabled: ToggleSet, property: &str) -> Option<Verdict> {
        self.get_on(scenario, Runtime::Windows, disabled, property)
    }

    /// The expected verdict of `property` in `scenario` with `toggled` under `runtime`, if
    /// pinned.
    pub fn get_on(
        &self,
        scenario: Scenario,
        runtime: Runtime,
        toggled: ToggleSet,
        property: &str,
    ) -> Option<Verdict> {
        self.runs
            .get(&(scenario, runtime, toggled))?
            .get(property)
            .copied()
    }

    /// The pinned number of unique states of `scenario` with `toggled` under Windows
    /// ([`STATES_KEY`]), if the file pins it.
    pub fn states(&self, scenario: Scenario, toggled: ToggleSet) -> Option<usize> {
        self.states_on(scenario, Runtime::Windows, toggled)
    }

    /// The pinned number of unique states of `scenario` with `toggled` under `runtime`, if the
    /// file pins it.
    pub fn states_on(
        &self,
        scenario: Scenario,
        runtime: Runtime,
        toggled: ToggleSet,
    ) -> Option<usize> {
        self.states.get(&(scenario, runtime, toggled)).copied()
    }

    /// The finding (spec/findings.md) that explains `property`'s pinned verdict in `scenario`
    /// with `toggled` under Windows, if the file names one.
    pub fn finding(&self, scenario: Scenario, toggled: ToggleSet, property: &str) -> Option<&str> {
        self.findings
            .get(&(scenario, toggled))?
            .get(property)
            .map(String::as_str)
    }

    /// Every (scenario, run, property, finding ID) the `[findings]` table names, in order.
    pub fn findings(&self) -> impl Iterator<Item = (Scenario, ToggleSet, &str, &str)> + '_ {
        self.findings.iter().flat_map(|(&(s, t), props)| {
            props
                .iter()
                .map(move |(p, id)| (s, t, p.as_str(), id.as_str()))
        })
    }

    /// Compares `report`'s verdicts with the file. A run is compared only when the file pins
    /// it: default client count ([`DEFAULT_CLIENTS`]) and a toggled set of [`matrix_runs_on`]
    /// its runtime. A finding is named for a Windows run only.
    /// A simulation establishes only what its walks showed, so its `unknown` verdicts
    /// contradict nothing. The unique states are compared with the pinned count
    /// ([`STATES_KEY`]) too when they are comparable: a complete exhaustive exploration with
    /// symmetry reduction on.
    pub fn compare(&self, report: &RunReport) -> Comparison {
        let cfg = report.cfg;
        let not_compared = if cfg.clients != DEFAULT_CLIENTS {
            Some(format!(
                "{} clients: spec/expectations.toml pins runs with {DEFAULT_CLIENTS}",
                cfg.clients
            ))
        } else if !matrix_runs_on(cfg.scenario, cfg.runtime).contains(&cfg.toggled) {
            Some(if cfg.runtime.is_wine() {
                format!(
                    "'{}' is not a run of the matrix under the wine runtime: spec/expectations.toml pins the baseline and the mechanism rows of {} that toggle nothing Wine pins or refuses (docs/wine.md)",
                    cfg.run_label(),
                    crate::com::runtime::WINE_MATRIX_SCENARIOS.map(|s| s.name()).join(", ")
                )
            } else {
                format!(
                    "'{}' is not a run of the matrix: spec/expectations.toml pins the baseline, \
                     single toggles, and each mechanism disabled on top of a reference remedy",
                    cfg.toggled.label()
                )
            })
        } else {
            None
        };
        let key = (cfg.scenario, cfg.runtime, cfg.toggled);
        let windows = !cfg.runtime.is_wine();
        let properties = report
            .properties
            .iter()
            .map(|p| {
                let finding = windows
                    .then(|| self.finding(cfg.scenario, cfg.toggled, p.def.name))
                    .flatten()
                    .map(str::to_string);
                if not_compared.is_some() {
                    return PropertyComparison {
                        expected: None,
                        matches: None,
                        finding,
                        not_established: false,
                    };
                }
                let expected = self.get_on(key.0, key.1, key.2, p.def.name);
                if not_established(report, p.verdict) {
                    return PropertyComparison {
                        expected,
                        matches: None,
                        finding,
                        not_established: true,
                    };
                }
                PropertyComparison {
                    expected,
                    matches: Some(expected == Some(p.verdict)),
                    finding,
                    not_established: false,
                }
            })
            .collect();
        let states = (not_compared.is_none()
            && report.complete
            && !report.simulated
            && report.symmetry
            && !report.por)
            .then(|| StatesComparison {
                pinned: self.states_on(key.0, key.1, key.2),
                got: report.unique_states,
            });
        Comparison {
            not_compared,
            properties,
            states,
        }
    }

    /// Every run the file pins (scenario, runtime, toggled set), in order.
    pub fn runs(&self) -> impl Iterator<Item = (Scenario, Runtime, ToggleSet)> + '_ {
        self.runs.keys().copied()
    }

    /// Whether every property and the state count of every run is pinned (used by tests).
    pub fn missing(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for s in Scenario::ALL {
            for (r, d) in matrix(s) {
                let label = run_label(d, r);
                if self.states_on(s, r, d).is_none() {
                    missing.push(format!("{}.{label}.{STATES_KEY}", s.name()));
                }
                for p in PROPERTIES.iter().filter(|p| (p.applies)(s)) {
                    if self.get_on(s, r, d, p.name).is_none() {
                        missing.push(format!("{}.{label}.{}", s.name(), p.name));
                    }
                }
            }
        }
        missing
    }
}

/// Whether `id` is a finding ID: "F-" followed by a number.
fn is_finding_id(id: &str) -> bool {
    id.strip_prefix("F-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The runs of one scenario's table `[PREFIX]` (`SCENARIO` is its name): each sub-table's key,
/// parsed as a run label ([`split_run_label`], then [`ToggleSet::parse_label`]), its [`STATES_KEY`] count if it has one, and its `property = value`
/// lines with the property names checked.
///
/// # Errors
/// A message naming the table of an unknown scenario, run or property, a value that is not
/// a table, or a state count that is not a non-negative integer.
#[allow(clippy::type_complexity)]
fn scenario_runs<'a>(
    prefix: &str,
    sname: &str,
    value: &'a toml::Value,
) -> Result<Vec<(RunKey, Option<usize>, Vec<(String, &'a toml::Value)>)>, String> {
    let scenario =
        Scenario::parse(sname).map_err(|e| format!("spec/expectations.toml [{prefix}]: {e}"))?;
    let table = value
        .as_table()
        .ok_or_else(|| format!("spec/expectations.toml: [{prefix}] must be a table"))?;
    let mut out = Vec::new();
    for (run, vals) in table {
        let (label, runtime) = split_run_label(run);
        let toggled = ToggleSet::parse_label(label)
            .map_err(|e| format!("spec/expectations.toml [{prefix}.{run}]: {e} (or 'baseline')"))?;
        let vals = vals
            .as_table()
            .ok_or_else(|| format!("spec/expectations.toml: [{prefix}.{run}] must be a table"))?;
        let mut props = Vec::new();
        let mut count = None;
        for (p, v) in vals {
            if p == STATES_KEY {
                let n = v
                    .as_integer()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        format!(
                            "spec/expectations.toml [{prefix}.{run}].{STATES_KEY}: a number of unique states"
                        )
                    })?;
                count = Some(n);
                continue;
            }
            crate::verify::properties::property(p)
                .map_err(|e| format!("spec/expectations.toml [{prefix}.{run}]: {e}"))?;
            props.push((p.clone(), v));
        }
        out.push(((scenario, runtime, toggled), count, props));
    }
    Ok(out)
}

/// `report`'s verdicts compared with `expect`, a server description's `[expect]` (not with
/// spec/expectations.toml): a property the description does not name is not compared. The
/// finding `pinned` names for a violation is kept where the verdict is the pinned one.
pub fn compare_expect(
    expect: &[(&'static str, Verdict)],
    report: &RunReport,
    pinned: &Expectations,
) -> Comparison {
    let cfg = report.cfg;
    let properties = report
        .properties
        .iter()
        .map(|p| {
            let expected = expect
                .iter()
                .find(|(n, _)| *n == p.def.name)
                .map(|(_, v)| *v);
            // A pinned finding explains the scenario's own model, not another layout's.
            let finding = (p.verdict == Verdict::Violated
                && cfg.layout == Layout::of(cfg.scenario)
                && pinned.get(cfg.scenario, cfg.toggled, p.def.name) == Some(Verdict::Violated))
            .then(|| pinned.finding(cfg.scenario, cfg.toggled, p.def.name))
            .flatten()
            .map(str::to_string);
            let not_established = expected.is_some() && not_established(report, p.verdict);
            PropertyComparison {
                expected,
                matches: expected
                    .filter(|_| !not_established)
                    .map(|e| e == p.verdict),
                finding,
                not_established,
            }
        })
        .collect();
    Comparison {
        not_compared: expect
            .is_empty()
            .then(|| "the description has no [expect]".to_string()),
        properties,
        states: None,
    }
}

/// Whether `verdict`, a verdict of `report`, is one a simulation cannot establish: random walks
/// establish a violation of an always or eventually property (a counterexample walk) and a
/// sometimes property's example, and nothing else — not that a property holds everywhere, not
/// that no state reaches a sometimes property. A property no walk showed is `unknown`: the
/// expected verdict is then neither matched nor contradicted.
fn not_established(report: &RunReport, verdict: Verdict) -> bool {
    report.simulated && verdict == Verdict::Unknown
}

/// One property's verdict compared with spec/expectations.toml.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyComparison {
    /// The pinned verdict; `None` when the run is not compared or the file does not pin it.
    pub expected: Option<Verdict>,
    /// Whether the verdict matches the pinned one (`false` when a compared run's property is
    /// not pinned); `None` when the run is not compared.
    pub matches: Option<bool>,
    /// The finding that explains the pinned verdict ("F-1"), if the file names one.
    pub finding: Option<String>,
    /// Whether the run is a simulation that did not show this property, so it cannot establish
    /// the expected verdict (a `holds` of an always or eventually property, a `violated` of a
    /// sometimes property, or a violation or example no walk reached): neither a match nor a
    /// mismatch (`matches` is `None`).
    pub not_established: bool,
}

/// A run's verdicts compared with spec/expectations.toml ([`Expectations::compare`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// Why the run is not compared (the file does not pin it), or `None` when it is.
    pub not_compared: Option<String>,
    /// Per property, in the report's order.
    pub properties: Vec<PropertyComparison>,
    /// The run's unique states compared with the pinned count; `None` when they are not
    /// compared (the run is not, or is bounded, simulated, not symmetry-reduced or partial-order reduced).
    pub states: Option<StatesComparison>,
}

/// A run's unique states compared with the count spec/expectations.toml pins ([`STATES_KEY`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatesComparison {
    /// The pinned count; `None` when the file pins none for the run.
    pub pinned: Option<usize>,
    /// The run's unique states.
    pub got: usize,
}

impl StatesComparison {
    /// Whether the run's unique states are the pinned count.
    pub fn matches(self) -> bool {
        self.pinned == Some(self.got)
    }
}

impl Comparison {
    /// Whether the run was compared.
    pub fn compared(&self) -> bool {
        self.not_compared.is_none()
    }

    /// Number of verdicts that differ from the file (0 when the run is not compared).
    pub fn mismatches(&self) -> usize {
        self.properties
            .iter()
            .filter(|p| p.matches == Some(false))
            .count()
    }

    /// Whether the run's unique states differ from the pinned count (`false` when they are not
    /// compared).
    pub fn states_differ(&self) -> bool {
        self.states.is_some_and(|s| !s.matches())
    }

    /// Number of verdicts that match the file.
    pub fn matches(&self) -> usize {
        self.properties
            .iter()
            .filter(|p| p.matches == Some(true))
            .count()
    }
    /// Number of expected verdicts a simulation could not establish
    /// ([`PropertyComparison::not_established`]).
    pub fn not_established(&self) -> usize {
        self.properties.iter().filter(|p| p.not_established).count()
    }
}

/// JSON shape of one property in `check --json`.
#[derive(Serialize)]
pub struct PropertyJson {
    /// Property name.
    pub name: &'static str,
    /// "always", "eventually" or "sometimes".
    pub expectation: &'static str,
    /// "holds", "violated" or "unknown".
    pub verdict: &'static str,
    /// Steps in the shortest trace, if there is one.
    pub trace_length: Option<usize>,
    /// The verdict spec/expectations.toml pins; null when the run is not compared or the
    /// file does not pin it.
    pub expected: Option<&'static str>,
    /// Whether the verdict matches the pinned one; null when the run is not compared or a
    /// simulation cannot establish the pinned verdict (`not_established`).
    pub matches: Option<bool>,
    /// Whether the run is a simulation that cannot establish the expected verdict (no walk
    /// showed the property): neither a match nor a mismatch.
    pub not_established: bool,
    /// The finding (spec/findings.md) that explains the pinned verdict, e.g. "F-1".
    pub finding: Option<String>,
}

/// JSON shape of `check --json`.
#[derive(Serialize)]
pub struct RunJson {
    /// Scenario name.
    pub scenario: &'static str,
    /// Disabled mechanisms' names.
    pub disabled: Vec<&'static str>,
    /// Enabled opt-in remedies' names.
    pub enabled: Vec<&'static str>,
    /// Number of clients.
    pub clients: usize,
    /// Whether the state space was explored completely.
    pub complete: bool,
    /// Unique states.
    pub unique_states: usize,
    /// Generated states, repeats included.
    pub states: usize,
    /// Longest path explored.
    pub max_depth: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Why the run stopped early (memory bound), if it did.
    pub stopped: Option<String>,
    /// Whether this was a simulation (`unique_states`: distinct states the walks visited).
    pub simulated: bool,
    /// Whether the verdicts were compared with spec/expectations.toml.
    pub compared: bool,
    /// Why they were not (the file does not pin this run), or null.
    pub not_compared: Option<String>,
    /// Number of verdicts that differ from the file (0 when not compared).
    pub mismatches: usize,
    /// The unique states the file pins for this run; null when they are not compared
    /// (the run is not, or is bounded, simulated, not symmetry-reduced or partial-order reduced) or not pinned.
    pub pinned_unique_states: Option<usize>,
    /// Per-property verdicts.
    pub properties: Vec<PropertyJson>,
}

impl Comparison {
    /// The `--json` shape of `report` with this comparison of its verdicts.
    pub fn to_json(&self, report: &RunReport) -> RunJson {
        let this = report;
        RunJson {
            scenario: this.cfg.scenario.name(),
            disabled: this.cfg.toggled.disabled().map(|m| m.name()).collect(),
            enabled: this.cfg.toggled.enabled().map(|m| m.name()).collect(),
            clients: this.cfg.clients,
            complete: this.complete,
            unique_states: this.unique_states,
            states: this.states,
            max_depth: this.max_depth,
            seconds: this.seconds,
            stopped: this.stopped.clone(),
            simulated: this.simulated,
            compared: self.compared(),
            not_compared: self.not_compared.clone(),
            mismatches: self.mismatches(),
            pinned_unique_states: self.states.and_then(|s| s.pinned),
            properties: this
                .properties
                .iter()
                .zip(&self.properties)
                .map(|(p, c)| PropertyJson {
                    name: p.def.name,
                    expectation: expectation_name(&p.def.expectation),
                    verdict: p.verdict.name(),
                    trace_length: p.trace.as_ref().map(Trace::len),
                    expected: c.expected.map(Verdict::name),
                    matches: c.matches,
                    not_established: c.not_established,
                    finding: c.finding.clone(),
                })
                .collect(),
        }
    }
}

/// Rewrites the expectations file `text` from complete runs (`comlife check --bless`): every
/// run table (`[SCENARIO.RUN]` with its [`STATES_KEY`] and one verdict per property) is written
/// from `reports`, in their order; the header comment (everything before the first table) and
/// the `[findings]` section (hand-written: which finding explains which verdict) are kept as
/// they are. The result is for review with `git diff`, as any regression pin.
///
/// # Errors
/// A report that is incomplete, simulated, without symmetry reduction or not of the default
/// client count (its verdicts and counts are not what the file pins); a finding that names a
/// run no report covers, or a property whose new verdict is neither "violated" nor, for a
/// sometimes property's example, "holds".
pub fn bless(text: &str, reports: &[RunReport]) -> Result<String, String> {
    let old = Expectations::parse(text)?;
    let first_table = text
        .lines()
        .position(|l| l.starts_with('['))
        .unwrap_or(text.lines().count());
    let mut header: Vec<&str> = text.lines().take(first_table).collect();
    while header.last() == Some(&"") {
        header.pop();
    }
    let findings_at = text
        .find(&format!("\n[{FINDINGS_TABLE}."))
        .map(|i| i + 1)
        .map(|i| {
            // Keep the comment lines just above the first [findings.…] table with it.
            let before = &text[..i];
            let mut start = i;
            for line in before.lines().rev().skip_while(|l| l.is_empty()) {
                if !line.starts_with('#') {
                    break;
                }
                start -= line.len() + 1;
            }
            start
        })
        .unwrap_or(text.len());
    let mut out = header.join("\n");
    out.push_str("\n\n");
    let mut covered = std::collections::BTreeSet::new();
    for r in reports {
        let (s, t) = (r.cfg.scenario, r.cfg.toggled);
        let label = r.cfg.run_label();
        if !r.complete || r.simulated || !r.symmetry || r.por || r.cfg.clients != DEFAULT_CLIENTS {
            return Err(format!(
                "{} {label}: only a complete exhaustive run with symmetry reduction, without partial-order reduction, and {DEFAULT_CLIENTS} clients can be pinned",
                s.name(),
            ));
        }
        if !r.cfg.runtime.is_wine() {
            covered.insert((s, t));
        }
        let key = if label.contains('+') {
            format!("\"{label}\"")
        } else {
            label
        };
        out.push_str(&format!(
            "\n[{}.{key}]\n{STATES_KEY} = {}\n",
            s.name(),
            r.unique_states
        ));
        for p in &r.properties {
            out.push_str(&format!("{} = \"{}\"\n", p.def.name, p.verdict.name()));
        }
    }
    for (s, t, p, id) in old.findings() {
        if !covered.contains(&(s, t)) {
            return Err(format!(
                "[{FINDINGS_TABLE}.{}.{}] names {id} for a run that was not checked",
                s.name(),
                t.label()
            ));
        }
        let r = reports
            .iter()
            .find(|r| r.cfg.scenario == s && r.cfg.toggled == t && !r.cfg.runtime.is_wine())
            .expect("covered");
        let Some(o) = r.properties.iter().find(|o| o.def.name == p) else {
            return Err(format!("{id} names the unknown property {p}"));
        };
        let example = expectation_name(&o.def.expectation) == "sometimes";
        if !(o.verdict == Verdict::Violated || (example && o.verdict == Verdict::Holds)) {
            return Err(format!(
                "{id} explains {p} in {} {}, which is now {}: update spec/findings.md and the [{FINDINGS_TABLE}] table",
                s.name(),
                t.label(),
                o.verdict.name()
            ));
        }
    }
    out.push('\n');
    out.push_str(&text[findings_at..]);
    Ok(out)
}
