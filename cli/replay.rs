//! `comlife replay FILE`: re-executes an ITF trace against the current model.

use crate::fs_policy::{read_input, TRACE_CAP};
use comlife::trace::replay::replay;
use std::path::Path;
use std::process::ExitCode;

/// Replays FILE: exit 0 when every step is a legal transition and the last state shows the
/// property (violates it, or satisfies a sometimes property); 1 naming the first step that no
/// longer matches; 2 with the JSON path of what is wrong in a malformed or foreign file (or
/// when FILE cannot be read).
pub fn run(file: &Path) -> ExitCode {
    let text = match read_input(file, "a trace", TRACE_CAP) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("comlife: {e}");
            return ExitCode::from(2);
        }
    };
    match replay(&text) {
        Ok(r) => {
            let p = r.loaded.header.property;
            let what = if p.expectation == stateright::Expectation::Sometimes {
                "satisfies"
            } else {
                "violates"
            };
            println!(
                "{}: {} steps replay in {} ({}); the last state {what} {} ({})",
                file.display(),
                r.steps,
                r.loaded.header.cfg.scenario.name(),
                r.loaded.header.cfg.run_label(),
                p.name,
                comlife::verify::properties::expectation_name(&p.expectation)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("comlife: {}: {e}", file.display());
            ExitCode::from(e.exit_code())
        }
    }
}
