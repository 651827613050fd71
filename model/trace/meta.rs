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
    /// How the trace was found ([`Search::meta`]): absent for an exhaustive breadth-first
    /// search (the trace is a shortest one), "partial-order reduction" for a reduced search of
    /// `--por` and "simulation" for a random walk of `--simulate` (both replayable, not
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

    /// How the trace was found ([`Search::from_meta`]).
    pub fn search(&self) -> Search {
        Search::from_meta(self.search.as_deref())
    }

    /// Whether the trace is an example (of a sometimes property), not a counterexample.
    pub fn is_example(&self) -> bool {
        self.outcome.as_deref() == Some("example")
    }
}

/// How a run searched, which decides whether its traces are shortest ones and where they are
/// filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// Exhaustive breadth-first search of the whole state graph: traces are shortest.
    Exhaustive,
    /// Exhaustive search of the partial-order-reduced graph (`--por`,
    /// [`crate::verify::por`]): the same verdicts; traces are executions of the model, not
    /// necessarily shortest.
    PartialOrder,
    /// Random walks (`--simulate`): traces are executions, not necessarily shortest.
    Simulation,
}

impl Search {
    /// The search of a run that simulated (`simulated`) or reduced by partial order (`por`).
    pub fn of_run(simulated: bool, por: bool) -> Search {
        match (simulated, por) {
            (true, _) => Search::Simulation,
            (false, true) => Search::PartialOrder,
            (false, false) => Search::Exhaustive,
        }
    }

    /// The trace's `#meta.search`: none for an exhaustive search.
    pub fn meta(self) -> Option<&'static str> {
        match self {
            Search::Exhaustive => None,
            Search::PartialOrder => Some("partial-order reduction"),
            Search::Simulation => Some("simulation"),
        }
    }

    /// The search a trace's `#meta.search` names (an unknown name reads as a simulation: not
    /// shortest).
    pub fn from_meta(meta: Option<&str>) -> Search {
        match meta {
            None => Search::Exhaustive,
            Some("partial-order reduction") => Search::PartialOrder,
            Some(_) => Search::Simulation,
        }
    }

    /// Whether its traces are shortest ones.
    pub fn is_shortest(self) -> bool {
        self == Search::Exhaustive
    }

    /// What kind of trace it finds, as an adjective phrase: "shortest", "a partial-order-reduced
    /// search's (not necessarily shortest)", "a random walk's (not necessarily shortest)".
    pub fn trace_kind(self) -> &'static str {
        match self {
            Search::Exhaustive => "shortest",
            Search::PartialOrder => "a partial-order-reduced search's (not necessarily shortest)",
            Search::Simulation => "a random walk's (not necessarily shortest)",
        }
    }

    /// The suffix of its runs' trace directories: none, `.por`, `.simulated`.
    fn suffix(self) -> &'static str {
        match self {
            Search::Exhaustive => "",
            Search::PartialOrder => ".por",
            Search::Simulation => ".simulated",
        }
    }
}

/// The name of a run's trace directory: the run's label ([`Config::run_label`]: the toggles'
/// label, [`crate::com::toggle_set::ToggleSet::label`]: `baseline`, `auto-suspend`,
/// `with-stopping-flag-locked`, …, with `+on-wine` under Wine), then `.N-clients` when the run has another number of
/// clients than [`DEFAULT_CLIENTS`], then `.simulated` for a simulation or `.por` for a
/// partial-order-reduced run ([`Search::suffix`]: their traces are not necessarily shortest;
/// a partial-order-reduced run's are where no exact search re-derived them).
/// Runs that differ in either are filed apart, so none overwrites the exhaustive two-client
/// traces.
pub fn run_name(cfg: &Config, search: Search) -> String {
    let mut name = cfg.run_label();
    if cfg.clients != DEFAULT_CLIENTS {
        name += &format!(".{}-clients", cfg.clients);
    }
    name + search.suffix()
}
