//! The top `#meta` of a trace file, as one type: [`crate::trace::itf_trace::document`] writes it and
//! [`crate::trace::replay::load`] reads it back. Every value is a string, as the `itf` crate requires
//! of `#meta`; keys are those of the file (`format-description`, `explorerCommand`,
//! `actorName.<var>`).

use crate::com::config::{Config, DEFAULT_CLIENTS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A trace's top `#meta`: what run it is of, which property it shows, how to reproduce it.
/// Fields a reader does not need default to empty, so hand-made and older traces load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceMeta {
    /// "ITF".
    #[serde(default)]
    pub format: String,
    /// The ITF format's description (a URL).
    #[serde(default, rename = "format-description")]
    pub format_description: String,
    /// "comlife check".
    #[serde(default)]
    pub source: String,
    /// One sentence: the trace, the property, the run.
    #[serde(default)]
    pub description: String,
    /// The scenario's name (`comlife list`).
    pub scenario: String,
    /// Mechanisms disabled in the run, comma-separated.
    pub disabled: String,
    /// Remedies, variants, conditions and configurations enabled, comma-separated.
    #[serde(default)]
    pub enabled: String,
    /// Number of client processes, in decimal.
    pub clients: String,
    /// A server description's own layout as JSON ([`crate::com::config::Layout`]); absent for the
    /// scenario's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    /// The COM runtime ([`crate::com::runtime::Runtime::name`]); absent for Windows, the
    /// default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// The server description's name, for a description's run (trace paths use it in place of
    /// the scenario).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A server description's class names in the order it declares them (the model's
    /// `CLSID_A`, `CLSID_B`, `CLSID_C`), `, `-separated; absent when they are the model's own.
    /// The trace's texts use them.
    #[serde(
        default,
        rename = "classNames",
        skip_serializing_if = "Option::is_none"
    )]
    pub class_names: Option<String>,
    /// The property's name.
    pub property: String,
    /// "always", "eventually" or "sometimes".
    pub expectation: String,
    /// "counterexample" or "example".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The property's statement.
    #[serde(default)]
    pub statement: String,
    /// The rules it checks, comma-separated.
    #[serde(default)]
    pub rules: String,
    /// Their sources by title, `; `-separated.
    #[serde(default)]
    pub sources: String,
    /// How the trace was found: absent for an exhaustive breadth-first search (the trace is a
    /// shortest one), "simulation" for a random walk of `--simulate` (replayable, not
    /// necessarily shortest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Number of steps, in decimal.
    #[serde(default)]
    pub steps: String,
    /// Why the property is false (or true, for an example) at the last state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The Explorer's URL of the trace's last state.
    #[serde(default)]
    pub explorer: String,
    /// The command that serves that Explorer.
    #[serde(default, rename = "explorerCommand")]
    pub explorer_command: String,
    /// Display names of the actor variables, keyed `actorName.<var>`.
    #[serde(flatten)]
    pub actor_names: BTreeMap<String, String>,
}

impl TraceMeta {
    /// The display name of actor variable `var`, or `var` itself.
    pub fn actor_name<'a>(&'a self, var: &'a str) -> &'a str {
        self.actor_names
            .get(&format!("actorName.{var}"))
            .map_or(var, String::as_str)
    }

    /// Whether the trace was found by an exhaustive breadth-first search, so it is a shortest
    /// one (`search` absent), not by a simulation's random walk.
    pub fn is_shortest(&self) -> bool {
        self.search.is_none()
    }

    /// Whether the trace is an example (of a sometimes property), not a counterexample.
    pub fn is_example(&self) -> bool {
        self.outcome.as_deref() == Some("example")
    }
}

/// The name of a run's trace directory: the run's label ([`Config::run_label`]: the toggles'
/// label, [`crate::com::toggle_set::ToggleSet::label`]: `baseline`, `auto-suspend`,
/// `with-stopping-flag-locked`, …, with `+on-wine` under Wine), then `.N-clients` when the run has another number of
/// clients than [`DEFAULT_CLIENTS`], then `.simulated` for a simulation (`--simulate`: its
/// traces are not necessarily shortest). Runs that differ in either are filed apart, so none
/// overwrites the exhaustive two-client traces.
pub fn run_name(cfg: &Config, simulated: bool) -> String {
    let mut name = cfg.run_label();
    if cfg.clients != DEFAULT_CLIENTS {
        name += &format!(".{}-clients", cfg.clients);
    }
    if simulated {
        name += ".simulated";
    }
    name
}
