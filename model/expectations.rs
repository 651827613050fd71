//! spec/expectations.toml: the expected verdict of every property, per scenario, with every
//! mechanism on (`baseline`) and with each single mechanism disabled.

use crate::check::Verdict;
use crate::config::{matrix_runs, MechanismSet, Scenario};
use crate::properties::PROPERTIES;
use std::collections::BTreeMap;

/// The expectations file, as embedded at build time.
pub const EXPECTATIONS_TOML: &str = include_str!("../spec/expectations.toml");

/// Expected verdicts: (scenario, toggled set) → property → verdict.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    runs: BTreeMap<(Scenario, MechanismSet), BTreeMap<String, Verdict>>,
}

impl Expectations {
    /// Parses the TOML text: one table per scenario, one sub-table per run (`baseline` or a
    /// mechanism name), one `property = "verdict"` line per property.
    ///
    /// # Errors
    /// Returns a message naming the unknown scenario, run, property or verdict, or the TOML
    /// syntax error.
    pub fn parse(text: &str) -> Result<Expectations, String> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e| format!("spec/expectations.toml: {e}"))?;
        let mut runs = BTreeMap::new();
        for (sname, stable) in &doc {
            let scenario =
                Scenario::parse(sname).map_err(|e| format!("spec/expectations.toml: {e}"))?;
            let stable = stable
                .as_table()
                .ok_or_else(|| format!("spec/expectations.toml: [{sname}] must be a table"))?;
            for (run, vals) in stable {
                let disabled = MechanismSet::parse_label(run).map_err(|e| {
                    format!("spec/expectations.toml [{sname}.{run}]: {e} (or 'baseline')")
                })?;
                let vals = vals.as_table().ok_or_else(|| {
                    format!("spec/expectations.toml: [{sname}.{run}] must be a table")
                })?;
                let mut props = BTreeMap::new();
                for (p, v) in vals {
                    crate::properties::property(p)
                        .map_err(|e| format!("spec/expectations.toml [{sname}.{run}]: {e}"))?;
                    let v = v
                        .as_str()
                        .ok_or_else(|| format!("spec/expectations.toml [{sname}.{run}].{p}: verdict must be a string"))
                        .and_then(|s| Verdict::parse(s).map_err(|e| format!("spec/expectations.toml [{sname}.{run}].{p}: {e}")))?;
                    props.insert(p.clone(), v);
                }
                runs.insert((scenario, disabled), props);
            }
        }
        Ok(Expectations { runs })
    }

    /// The checked-in expectations.
    ///
    /// # Panics
    /// If the embedded file does not parse (a test guards this).
    pub fn embedded() -> Expectations {
        Expectations::parse(EXPECTATIONS_TOML).expect("spec/expectations.toml parses")
    }

    /// The expected verdict of `property` in `scenario` with `disabled` toggled, if pinned.
    pub fn get(
        &self,
        scenario: Scenario,
        disabled: MechanismSet,
        property: &str,
    ) -> Option<Verdict> {
        self.runs.get(&(scenario, disabled))?.get(property).copied()
    }

    /// Every run the file pins, in order.
    pub fn runs(&self) -> impl Iterator<Item = (Scenario, MechanismSet)> + '_ {
        self.runs.keys().copied()
    }

    /// Whether every property of every run is pinned (used by tests).
    pub fn missing(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for s in Scenario::ALL {
            for d in matrix_runs(s) {
                for p in PROPERTIES.iter().filter(|p| (p.applies)(s)) {
                    if self.get(s, d, p.name).is_none() {
                        missing.push(format!("{}.{}.{}", s.name(), d.label(), p.name));
                    }
                }
            }
        }
        missing
    }
}
