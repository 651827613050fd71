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
    /// search (the trace is a shortest one); "breadth-first search cut by a state bound",
    /// "partial-order reduction" for a reduced search of `--por` and "simulation" for a random
    /// walk of `--simulate` (replayable, not necessarily shortest); "partial-order reduction,
    /// re-derived by breadth-first search" for a `--por` run's shortest trace.
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

/// How a trace was found, which decides whether it is a shortest one and where its run files
/// it (`Search::suffix`: by how the run searched, whatever the trace).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// Exhaustive breadth-first search of the whole state graph (or of every level up to a
    /// depth bound, or up to the level a state bound cut, [`Search::StateBound`]): a shortest
    /// trace.
    Exhaustive,
    /// Breadth-first search that a state bound (`--max-states`) cut at a shallower level than
    /// the trace's length: a shorter trace may pass through a state the bound refused, so the
    /// trace is an execution of the model, not necessarily shortest. Filed as an exhaustive
    /// run's.
    StateBound,
    /// Exhaustive search of the partial-order-reduced graph (`--por`,
    /// [`crate::verify::por`]): the same verdicts; traces are executions of the model, not
    /// necessarily shortest.
    PartialOrder,
    /// A partial-order-reduced run's discovery re-derived by an exact breadth-first search
    /// (`crate::verify::check::shortest_traces`): a shortest trace, filed with its run's
    /// (`.por`).
    Rederived,
    /// Random walks (`--simulate`): traces are executions, not necessarily shortest.
    Simulation,
}

impl Search {
    /// How a run that simulated (`simulated`) or reduced by partial order (`por`) searched:
    /// what its trace directory is named by ([`run_name`]).
    pub fn of_run(simulated: bool, por: bool) -> Search {
        match (simulated, por) {
            (true, _) => Search::Simulation,
            (false, true) => Search::PartialOrder,
            (false, false) => Search::Exhaustive,
        }
    }

    /// How one trace of such a run was found, given whether it is a shortest one
    /// (`crate::verify::check::PropertyOutcome::shortest`).
    pub fn of_trace(simulated: bool, por: bool, shortest: bool) -> Search {
        match (Search::of_run(simulated, por), shortest) {
            (Search::Exhaustive, false) => Search::StateBound,
            (Search::PartialOrder, true) => Search::Rederived,
            (run, _) => run,
        }
    }

    /// The trace's `#meta.search`: none for an exhaustive search.
    pub fn meta(self) -> Option<&'static str> {
        match self {
            Search::Exhaustive => None,
            Search::StateBound => Some("breadth-first search cut by a state bound"),
            Search::PartialOrder => Some("partial-order reduction"),
            Search::Rederived => {
                Some("partial-order reduction, re-derived by breadth-first search")
            }
            Search::Simulation => Some("simulation"),
        }
    }

    /// The search a trace's `#meta.search` names (an unknown name reads as a simulation: not
    /// shortest).
    pub fn from_meta(meta: Option<&str>) -> Search {
        [Search::StateBound, Search::PartialOrder, Search::Rederived]
            .into_iter()
            .find(|s| s.meta() == meta)
            .unwrap_or(if meta.is_none() {
                Search::Exhaustive
            } else {
                Search::Simulation
            })
    }

    /// Whether its traces are shortest ones.
    pub fn is_shortest(self) -> bool {
        matches!(self, Search::Exhaustive | Search::Rederived)
    }

    /// What kind of trace it finds, as an adjective phrase: "shortest", "a state-bounded
    /// search's (not necessarily shortest)", "a partial-order-reduced search's (not necessarily
    /// shortest)", "a random walk's (not necessarily shortest)".
    pub fn trace_kind(self) -> &'static str {
        match self {
            Search::Exhaustive | Search::Rederived => "shortest",
            Search::StateBound => "a state-bounded search's (not necessarily shortest)",
            Search::PartialOrder => "a partial-order-reduced search's (not necessarily shortest)",
            Search::Simulation => "a random walk's (not necessarily shortest)",
        }
    }

    /// The suffix of its runs' trace directories: none, `.por`, `.simulated`.
    fn suffix(self) -> &'static str {
        match self {
            Search::Exhaustive | Search::StateBound => "",
            Search::PartialOrder | Search::Rederived => ".por",
            Search::Simulation => ".simulated",
        }
    }
}

/// The name of a run's trace directory: the run's label ([`Config::run_label`]: the toggles'
/// label, [`crate::com::toggle_set::ToggleSet::label`]: `baseline`, `auto-suspend`,
/// `with-stopping-flag-locked`, …, with `+on-wine` under Wine), then `.N-clients` when the run has another number of
/// clients than [`DEFAULT_CLIENTS`], then `.simulated` for a simulation or `.por` for a
/// partial-order-reduced run (`Search::suffix`: their traces are not necessarily shortest;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every search reads back from the `#meta.search` it writes; a trace is called shortest
    /// exactly when `check` found it shortest, and filed by how its run searched.
    #[test]
    fn a_search_reads_back_from_its_meta_and_keeps_its_runs_directory() {
        for simulated in [false, true] {
            for por in [false, true] {
                for shortest in [false, true] {
                    let s = Search::of_trace(simulated, por, shortest);
                    assert_eq!(Search::from_meta(s.meta()), s);
                    assert_eq!(s.is_shortest(), shortest && !simulated, "{s:?}");
                    assert_eq!(s.suffix(), Search::of_run(simulated, por).suffix(), "{s:?}");
                }
            }
        }
        assert_eq!(
            Search::from_meta(Some("a search of the future")),
            Search::Simulation
        );
    }
}
