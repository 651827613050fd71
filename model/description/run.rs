//! What a description asks to check ([`CheckRequest`]: the model's configuration, bounds,
//! expected verdicts), and which of its expectations a run's report did not check.

use crate::com::config::Config;
use crate::verify::check::{RunReport, Verdict};

/// What a description asks to check: the model's configuration (scenario, toggles, clients),
/// bounds, expected verdicts. [`crate::verify::check::run`] checks its `config`; the result is
/// a [`RunReport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckRequest {
    /// The description's name (trace paths).
    pub name: String,
    /// Scenario, toggled mechanisms, clients, runtime.
    pub config: Config,
    /// Whether the description names its runtime (`runtime`): `--runtime` must then agree.
    pub runtime_given: bool,
    /// `[bounds] max_states`.
    pub max_states: Option<usize>,
    /// `[bounds] max_depth`.
    pub max_depth: Option<usize>,
    /// `[expect]`: property name → verdict, in name order.
    pub expect: Vec<(&'static str, Verdict)>,
    /// The names of the `[[server.classes]]`, in the order the file declares them: the model's
    /// classes `CLSID_A`, `CLSID_B`, `CLSID_C` in that order. Traces of the run show these
    /// names (`trace::state_text::rename_classes`).
    pub class_names: Vec<String>,
}

impl CheckRequest {
    /// The properties `[expect]` names that the run did not check (none when the run is of this
    /// description's configuration).
    pub fn unchecked(&self, report: &RunReport) -> Vec<&'static str> {
        self.expect
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| !report.properties.iter().any(|p| p.def.name == *n))
            .collect()
    }
}
