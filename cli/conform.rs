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

/// Checks LOG against the model of `cfg`: exit 0 when a model path shows every client's
/// observed calls in the log's order (printed with `show_path`), 1 when none does (naming the
/// first observed call no path shows, and what the model's clients observed instead) or when
/// the search reached its bound, 2 when LOG cannot be read or is malformed (its line), or when
/// the configuration cannot be compared with it.
pub fn run(file: &Path, cfg: Config, max: usize, show_path: bool) -> ExitCode {
    let text = match read_input(file, "an event log", TRACE_CAP) {
        Ok(t) => t,
        Err(e) => return crate::usage(e),
    };
    let log = match EventLog::parse(&text) {
        Ok(l) => l,
        Err(e) => return crate::usage(format!("{}: {e}", file.display())),
    };
    if log.is_empty() {
        return crate::usage(format!(
            "{}: no client event (activation-answered, lockserver, call) to compare",
            file.display()
        ));
    }
    if let Err(e) = check_applicable(&cfg, &log) {
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
    match conform(cfg, &log, max) {
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

/// The number of client processes in LOG, for the model's default client count (the log is
/// read again, and reported, by [`run`]).
///
/// # Errors
/// Exit status 2 with the reason when LOG cannot be read or is malformed.
pub fn log_clients(file: &Path) -> Result<usize, ExitCode> {
    let text = read_input(file, "an event log", TRACE_CAP).map_err(crate::usage)?;
    EventLog::parse(&text)
        .map(|l| l.clients.len())
        .map_err(|e| crate::usage(format!("{}: {e}", file.display())))
}
