//! The built-in descriptions (spec/scenarios/NAME.toml, one per [`Scenario`]), embedded in the
//! binary; each maps to its scenario's baseline, and `check` without a file runs them.

use crate::com::config::Config;
use crate::com::scenario::{quote_prefix, Scenario};
use crate::com::toggle_set::ToggleSet;
use crate::description::format::Description;
use crate::verify::expectations::Expectations;
use crate::verify::properties::PROPERTIES;

/// The built-in descriptions, one per scenario (spec/scenarios/NAME.toml), in
/// [`Scenario::ALL`] order: (name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "local-sta",
        include_str!("../../spec/scenarios/local-sta.toml"),
    ),
    (
        "local-multi-sta",
        include_str!("../../spec/scenarios/local-multi-sta.toml"),
    ),
    ("inproc", include_str!("../../spec/scenarios/inproc.toml")),
    ("service", include_str!("../../spec/scenarios/service.toml")),
    (
        "atl9-sta",
        include_str!("../../spec/scenarios/atl9-sta.toml"),
    ),
    (
        "atl9-mta",
        include_str!("../../spec/scenarios/atl9-mta.toml"),
    ),
    (
        "atl14-sta",
        include_str!("../../spec/scenarios/atl14-sta.toml"),
    ),
    (
        "atl14-mta",
        include_str!("../../spec/scenarios/atl14-mta.toml"),
    ),
    ("wtl-sta", include_str!("../../spec/scenarios/wtl-sta.toml")),
    ("mfc-sta", include_str!("../../spec/scenarios/mfc-sta.toml")),
    ("wrl-mta", include_str!("../../spec/scenarios/wrl-mta.toml")),
];

/// The built-in description `name` (spec/scenarios/NAME.toml).
///
/// # Errors
/// A message naming the valid built-in descriptions, and the new name when `name` is a
/// scenario's old one ([`Scenario::RENAMED`]).
pub fn builtin(name: &str) -> Result<&'static str, String> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .ok_or_else(|| {
            format!(
                "unknown built-in description '{}'{}; valid choices: {}",
                quote_prefix(name),
                Scenario::renamed_hint(name),
                BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The configuration of built-in scenario `s` with `toggled` added and `clients` clients, read
/// from its description (spec/scenarios/NAME.toml) by the same code as `check FILE`: what
/// `check` without a file runs.
///
/// # Errors
/// A message when the built-in description does not read (a test keeps them readable) or the
/// toggles or the number of clients do not fit the scenario.
pub fn builtin_config(s: Scenario, toggled: ToggleSet, clients: usize) -> Result<Config, String> {
    // The bounds are the caller's to get right, not the built-in file's.
    Config::new(s, toggled, clients)?;
    let file = format!("spec/scenarios/{}.toml", s.name());
    let request = Description::parse(&file, builtin(s.name())?)
        .and_then(|d| d.to_request_for(Some(clients)))
        .map_err(|e| e.to_string())?;
    if request.config.scenario != s {
        return Err(format!(
            "{file} describes scenario '{}'",
            request.config.scenario.name()
        ));
    }
    let all = toggled.iter().fold(request.config.toggled, ToggleSet::with);
    Config::new(s, all, clients)?.with_layout(request.config.layout)
}

/// Every run of the matrix with `clients` clients, in order: per scenario, baseline then each
/// mechanism toggled, under Windows and then, for the scenarios the Wine runtime runs, under
/// Wine ([`crate::com::toggle_set::matrix`]), each scenario as its built-in description says
/// ([`builtin_config`]): what `check` without a file runs.
///
/// # Panics
/// When a matrix run does not fit its scenario (a test keeps the matrix valid).
pub fn matrix_configs(clients: usize) -> Vec<Config> {
    Scenario::ALL
        .into_iter()
        .flat_map(|s| {
            crate::com::toggle_set::matrix(s)
                .into_iter()
                .map(move |(runtime, d)| {
                    builtin_config(s, d, clients)
                        .and_then(|c| c.with_runtime(runtime))
                        .expect("valid matrix configuration")
                })
        })
        .collect()
}

/// The comment that opens a built-in description's `[expect]` section, which runs to the end
/// of the file.
pub const EXPECT_COMMENT: &str = "# Expected verdicts:";

/// The `[expect]` section of the built-in description of `scenario`, from its comment to the
/// end of the file: the pinned baseline verdicts of spec/expectations.toml, each violated one
/// with the finding that explains it (`[findings.NAME.baseline]`). Built-in descriptions end
/// with exactly this text (tests/descriptions.rs); `comlife check --bless` writes it.
///
/// # Errors
/// A property that applies to the scenario has no pinned baseline verdict.
pub fn expect_section(scenario: Scenario, pinned: &Expectations) -> Result<String, String> {
    let mut out = format!(
        "{EXPECT_COMMENT} property = \"holds\" | \"violated\". `comlife check` exits 1 when a verdict\n\
         # differs, naming it. These are the pinned baseline verdicts (spec/expectations.toml).\n\
         [expect]\n",
    );
    for p in PROPERTIES.iter().filter(|p| (p.applies)(scenario)) {
        let v = pinned
            .get(scenario, ToggleSet::EMPTY, p.name)
            .ok_or_else(|| format!("{}.baseline.{} is not pinned", scenario.name(), p.name))?;
        out += &format!("\"{}\" = \"{}\"", p.name, v.name());
        if let Some(f) = pinned.finding(scenario, ToggleSet::EMPTY, p.name) {
            out += &format!("  # {f} (spec/findings.md)");
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::com::config::DEFAULT_CLIENTS;

    #[test]
    fn every_builtin_is_its_scenario_baseline() {
        for (s, (name, text)) in Scenario::ALL.into_iter().zip(BUILTIN) {
            assert_eq!(s.name(), *name);
            let request = Description::parse(name, text)
                .and_then(|d| d.to_request())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                request.config,
                Config::new(s, ToggleSet::EMPTY, DEFAULT_CLIENTS).unwrap()
            );
        }
    }
}
