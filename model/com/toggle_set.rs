//! The set of toggles a run turns from their default, and the runs `check` makes of each
//! scenario (the matrix plan). The toggles themselves are in [`crate::com::toggles`].

use crate::com::runtime::Runtime;
use crate::com::scenario::{quote_prefix, Scenario};
use crate::com::toggles::{Kind, Toggle};
use std::fmt;

// The bit set below holds at most 64 toggles.
const _: () = assert!(Toggle::ALL.len() <= 64);

/// A set of toggles, as a bit set (bit `i` is `Toggle::ALL[i]`; at most 64 toggles, which a
/// compile-time assertion guards).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ToggleSet(u64);

impl ToggleSet {
    /// The empty set.
    pub const EMPTY: ToggleSet = ToggleSet(0);

    /// The set holding only `m`.
    pub fn only(m: Toggle) -> Self {
        ToggleSet::EMPTY.with(m)
    }

    /// This set plus `m`.
    pub fn with(self, m: Toggle) -> Self {
        ToggleSet(self.0 | (1 << (m as u64)))
    }

    /// Whether `m` is in the set.
    pub fn contains(self, m: Toggle) -> bool {
        self.0 & (1 << (m as u64)) != 0
    }

    /// The members, in [`Toggle::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Toggle> {
        Toggle::ALL.into_iter().filter(move |m| self.contains(*m))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The run's label, used in trace paths and spec/expectations.toml: `baseline` for the
    /// empty set, otherwise the members' names joined by `+`, an opt-in remedy as
    /// `with-<name>`.
    pub fn label(self) -> String {
        if self.is_empty() {
            "baseline".to_string()
        } else {
            self.iter()
                .map(|m| {
                    if m.opt_in() {
                        format!("with-{}", m.name())
                    } else {
                        m.name().to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        }
    }

    /// Parses a label made by [`ToggleSet::label`].
    ///
    /// # Errors
    /// Returns a message naming the unknown mechanism and the valid names.
    pub fn parse_label(label: &str) -> Result<ToggleSet, String> {
        if label == "baseline" {
            return Ok(ToggleSet::EMPTY);
        }
        label
            .split('+')
            .map(|part| match part.strip_prefix("with-") {
                Some(name) => Toggle::parse(name).and_then(|m| {
                    if m.opt_in() {
                        Ok(m)
                    } else {
                        Err(format!(
                            "'{name}' is on by default; only opt-in remedies take 'with-'"
                        ))
                    }
                }),
                None => Toggle::parse(part).and_then(|m| {
                    if m.opt_in() {
                        Err(format!("'{part}' is an opt-in remedy: write 'with-{part}'"))
                    } else {
                        Ok(m)
                    }
                }),
            })
            .collect()
    }

    /// The default-on mechanisms in the set (disabled in the run).
    pub fn disabled(self) -> impl Iterator<Item = Toggle> {
        self.iter().filter(|m| !m.opt_in())
    }

    /// The opt-in remedies in the set (enabled in the run).
    pub fn enabled(self) -> impl Iterator<Item = Toggle> {
        self.iter().filter(|m| m.opt_in())
    }

    /// The set in words, for trace titles and metadata: "auto-suspend disabled",
    /// "dll-counts-factories enabled", or "every mechanism at its default" ([`ToggleSet::label`]
    /// is its name in paths).
    pub fn in_words(self) -> String {
        let d: Vec<&str> = self.disabled().map(|m| m.name()).collect();
        let e: Vec<&str> = self.enabled().map(|m| m.name()).collect();
        let mut parts = Vec::new();
        if !d.is_empty() {
            parts.push(format!("{} disabled", d.join(", ")));
        }
        if !e.is_empty() {
            parts.push(format!("{} enabled", e.join(", ")));
        }
        if parts.is_empty() {
            "every mechanism at its default".to_string()
        } else {
            parts.join("; ")
        }
    }

    /// The command-line flags that select this set: `--disable NAME` for each mechanism,
    /// `--enable NAME` for each remedy or variant, in [`Toggle::ALL`] order. The inverse of
    /// [`ToggleSet::from_args`].
    pub fn to_args(self) -> Vec<String> {
        self.iter()
            .flat_map(|m| {
                let flag = if m.opt_in() { "--enable" } else { "--disable" };
                [flag.to_string(), m.name().to_string()]
            })
            .collect()
    }

    /// The set named by `--disable` and `--enable` arguments for `scenario`.
    ///
    /// # Errors
    /// Returns a message naming the unknown or misplaced name (a mechanism given to
    /// `--enable`, a remedy or variant given to `--disable`, or one that does not apply to the
    /// scenario) and the valid choices for that flag in that scenario.
    pub fn from_args(
        scenario: Scenario,
        disable: &[String],
        enable: &[String],
    ) -> Result<ToggleSet, String> {
        let mut set = ToggleSet::EMPTY;
        for (names, opt_in, flag) in [(disable, false, "--disable"), (enable, true, "--enable")] {
            let valid = || -> String {
                let v: Vec<&str> = Toggle::ALL
                    .into_iter()
                    .filter(|m| m.opt_in() == opt_in && m.applies_to(scenario))
                    .map(|m| m.name())
                    .collect();
                if v.is_empty() {
                    format!("none ('{}' has nothing to {})", scenario.name(), &flag[2..])
                } else {
                    v.join(", ")
                }
            };
            for name in names {
                let m = Toggle::parse(name).map_err(|_| {
                    format!(
                        "{flag} {0}: unknown name '{0}'; valid for {flag} in '{1}': {2}",
                        quote_prefix(name),
                        scenario.name(),
                        valid()
                    )
                })?;
                if m.opt_in() != opt_in || !m.applies_to(scenario) {
                    let why = if m.opt_in() != opt_in {
                        format!(
                            "'{}' is {}",
                            m.name(),
                            if m.opt_in() {
                                format!(
                                    "a {} that is off by default (use --enable)",
                                    m.kind().name()
                                )
                            } else {
                                "a mechanism that is on by default (use --disable)".to_string()
                            }
                        )
                    } else {
                        format!(
                            "'{}' does not apply to scenario '{}'{}",
                            m.name(),
                            scenario.name(),
                            m.refusal(scenario)
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        )
                    };
                    return Err(format!(
                        "{flag} {}: {why}; valid for {flag} in '{}': {}",
                        m.name(),
                        scenario.name(),
                        valid()
                    ));
                }
                if set.contains(m) {
                    return Err(format!(
                        "{flag} {}: '{}' is given twice; give each name once",
                        quote_prefix(name),
                        m.name()
                    ));
                }
                set = set.with(m);
            }
        }
        Ok(set)
    }
}

/// The runs `check` makes for `scenario`: every mechanism at its default (the empty set,
/// `baseline`), then each toggle that applies to the scenario alone (a mechanism disabled, a
/// remedy or variant enabled; a mechanism that [`Toggle::needs`] a condition disabled under
/// it), then, for each reference remedy or variant `X`
/// ([`Toggle::is_reference`]), `X` with each mechanism disabled: where a finding breaks a property in the baseline, the run with its remedy (or
/// the variant under which it does not arise) is the reference that shows the other
/// mechanisms necessary; then each reference remedy with each reference variant; last, each
/// condition that [`Toggle::under_configurations`] with each configuration.
pub fn matrix_runs(scenario: Scenario) -> Vec<ToggleSet> {
    let applying: Vec<Toggle> = Toggle::ALL
        .into_iter()
        .filter(|m| m.applies_to(scenario))
        .collect();
    let mut runs = vec![ToggleSet::EMPTY];
    runs.extend(applying.iter().map(|m| match m.needs() {
        Some(c) => ToggleSet::only(c).with(*m),
        None => ToggleSet::only(*m),
    }));
    for x in applying.iter().filter(|m| m.is_reference(scenario)) {
        runs.extend(
            applying
                .iter()
                .filter(|m| !m.opt_in() && m.needs().is_none())
                .map(|m| ToggleSet::only(*x).with(*m)),
        );
    }
    // Each reference remedy with each reference variant: whether the remedy still repairs its
    // finding where the sources disagree (ATL's and MFC's DllCanUnloadNow are
    // `dll-counts-factories`; does it close F-6 under Wine's candidate list as it closes F-3?).
    for r in applying
        .iter()
        .filter(|m| m.is_reference(scenario) && m.kind() == Kind::Remedy)
    {
        runs.extend(
            applying
                .iter()
                .filter(|m| m.is_reference(scenario) && m.kind() == Kind::Variant)
                .map(|v| ToggleSet::only(*r).with(*v)),
        );
    }
    // A condition whose source names configurations runs under each of them too (KB 170915's
    // first case: a REGCLS_SINGLEUSE server launched for a client without access permission).
    for c in applying
        .iter()
        .filter(|m| m.kind() == Kind::Condition && m.under_configurations())
    {
        runs.extend(
            applying
                .iter()
                .filter(|m| m.kind() == Kind::Configuration)
                .map(|m| ToggleSet::only(*c).with(*m)),
        );
    }
    runs
}

/// The runs `check` makes for `scenario` under `runtime`: under Windows [`matrix_runs`];
/// under another runtime, none unless it runs the scenario ([`Runtime::in_matrix`]), else the
/// rows of [`matrix_runs`] whose every toggle still means something there
/// ([`Runtime::keeps_toggle`]: not a toggle it pins or refuses).
pub fn matrix_runs_on(scenario: Scenario, runtime: Runtime) -> Vec<ToggleSet> {
    if !runtime.in_matrix(scenario) || runtime.refuses_scenario(scenario).is_some() {
        return Vec::new();
    }
    matrix_runs(scenario)
        .into_iter()
        .filter(|set| set.iter().all(|t| runtime.keeps_toggle(t)))
        .collect()
}

/// Every run of `scenario`'s matrix, the one place the runtime dimension is added: the runs
/// under each runtime of [`Runtime::ALL`] in turn ([`matrix_runs_on`]), Windows's first.
pub fn matrix(scenario: Scenario) -> Vec<(Runtime, ToggleSet)> {
    Runtime::ALL
        .into_iter()
        .flat_map(|r| {
            matrix_runs_on(scenario, r)
                .into_iter()
                .map(move |set| (r, set))
        })
        .collect()
}

impl FromIterator<Toggle> for ToggleSet {
    fn from_iter<T: IntoIterator<Item = Toggle>>(iter: T) -> Self {
        iter.into_iter().fold(ToggleSet::EMPTY, ToggleSet::with)
    }
}

impl fmt::Debug for ToggleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|m| m.name()))
            .finish()
    }
}
