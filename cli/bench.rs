//! `comlife bench`: unique states, states per second and peak memory per scenario.

use comlife::check::{run, RunOptions};
use comlife::config::{Config, MechanismSet, Scenario};
use std::process::ExitCode;

/// Peak resident set size of this process in KiB (VmHWM), if the platform reports it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak RSS counter (Linux: writing 5 to /proc/self/clear_refs), so each scenario's
/// peak is its own. Best effort.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs the benchmark.
pub fn run_bench(scenario: Option<String>, clients: usize) -> ExitCode {
    let scenarios = match scenario {
        Some(n) => match Scenario::parse(&n) {
            Ok(s) => vec![s],
            Err(e) => return crate::usage(e),
        },
        None => Scenario::ALL.to_vec(),
    };
    println!(
        "{:<10} {:>8} {:>10} {:>12} {:>9} {:>12} {:>14}",
        "scenario", "clients", "unique", "generated", "seconds", "states/s", "peak RSS MiB"
    );
    for s in scenarios {
        let cfg = match Config::new(s, MechanismSet::EMPTY, clients) {
            Ok(c) => c,
            Err(e) => return crate::usage(e),
        };
        reset_peak();
        let r = run(cfg, RunOptions::default());
        let peak =
            peak_rss_kib().map_or("n/a".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
        println!(
            "{:<10} {:>8} {:>10} {:>12} {:>9.2} {:>12.0} {:>14}",
            s.name(),
            clients,
            r.unique_states,
            r.states,
            r.seconds,
            r.unique_states as f64 / r.seconds,
            peak
        );
    }
    ExitCode::SUCCESS
}
