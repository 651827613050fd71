//! `comlife conform LOG`: is a real run's event log (the Wine harness's, docs/wine.md) a
//! behaviour of the model? Trace inclusion from the runtime to the model (issue 19 §4b).

use crate::fs_policy::{read_input, TRACE_CAP};
use comlife::com::config::Config;
use comlife::verify::conform::{check_applicable, conform, Conformance, EventLog};
use comlife::verify::search::action_phrase;
use std::path::Path;
use std::process::ExitCode;

/// Default bound on the pairs (state, progress) the search explores per assignment of the
/// log's clients to the model's.
pub const DEFAULT_MAX: usize = 2_000_000;

/// Reads and parses LOG, refusing one without a client event.
///
/// # Errors
/// Exit status 2, the message printed, when LOG cannot be read, is malformed (its line), or
/// has no client event to compare.
pub fn load(file: &Path) -> Result<EventLog, ExitCode> {
    let text = read_input(file, "an event log", TRACE_CAP).map_err(crate::usage)?;
    let log =
        EventLog::parse(&text).map_err(|e| crate::usage(format!("{}: {e}", file.display())))?;
    if log.is_empty() {
        return Err(crate::usage(format!(
            "{}: no client event (activation-answered, lockserver, call) to compare",
            file.display()
        )));
    }
    Ok(log)
}

/// Checks `log` (read from `file` by [`load`]) against the model of `cfg`: exit 0 when a model
/// path shows every client's observed calls in the log's order (printed with `show_path`), 1
/// when none does (naming the first observed call no path shows, and what the model's clients
/// observed instead) or when the search reached its bound, 2 when the configuration cannot be
/// compared with the log.
pub fn run(file: &Path, log: &EventLog, cfg: Config, max: usize, show_path: bool) -> ExitCode {
    if let Err(e) = check_applicable(&cfg, log) {
        return crate::usage(format!("{}: {e}", file.display()));
    }
    let run = format!(
        "{} ({}, {} client{}, runtime {})",
        cfg.scenario.name(),
        cfg.run_label(),
        cfg.clients,
        if cfg.clients == 1 { "" } else { "s" },
        cfg.runtime.name()
    );
    match conform(cfg, log, max) {
        Conformance::Accepted {
            assignment,
            path,
            explored,
        } => {
            println!(
                "{}: accepted by {run}: a {}-step model path shows the log's {} observed calls of {} \
                 client process(es) in its order ({explored} states × progress explored)",
                file.display(),
                path.len(),
                log.len(),
                log.clients.len()
            );
            for (k, c) in log.clients.iter().enumerate() {
                println!("  pid {} is model client {}", c.pid, assignment[k] + 1);
            }
            if show_path {
                let model = comlife::verify::model::build(cfg);
                for (i, a) in path.iter().enumerate() {
                    println!("  {:>3}. {}", i + 1, action_phrase(&model, a));
                }
            }
            ExitCode::SUCCESS
        }
        Conformance::Rejected {
            matched,
            next,
            offered,
            explored,
        } => {
            println!(
                "{}: rejected by {run}: no model path shows the log ({explored} states × progress explored)",
                file.display()
            );
            for (k, c) in log.clients.iter().enumerate() {
                println!(
                    "  pid {}: {} of its {} observed calls shown by the furthest path",
                    c.pid,
                    matched[k],
                    c.events.len()
                );
            }
            if let Some((k, e)) = next {
                println!(
                    "  first call no path shows next: pid {}: {e}",
                    log.clients[k].pid
                );
            }
            if offered.is_empty() {
                println!(
                    "  no model client makes that call there: the model's clients run the scripts of \
                     spec/assumptions.md A-SCRIPTS (CoCreateInstance, a call, Release; or \
                     CoGetClassObject, LockServer(TRUE), CreateInstance, a call, Release, \
                     LockServer(FALSE), Release), each call at most once"
                );
            } else {
                let what: Vec<String> = offered
                    .iter()
                    .map(|(k, op, hr)| {
                        format!("pid {}: {} → {}", log.clients[*k].pid, op.api(), hr.name())
                    })
                    .collect();
                println!(
                    "  the model's clients observed there instead: {}",
                    what.join("; ")
                );
            }
            println!(
                "  a model defect or a behaviour of the runtime the model lacks: fix the model or \
                 record it in spec/ with this log (docs/wine.md)"
            );
            ExitCode::from(1)
        }
        Conformance::Unknown { max } => {
            println!(
                "{}: unknown: the search reached its bound of {max} states × progress before it \
                 decided; raise --max-states",
                file.display()
            );
            ExitCode::from(1)
        }
    }
}
