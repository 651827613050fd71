//! `comlife bench`: per scenario (all mechanisms on), comlife's one-pass checker and
//! stateright's own BFS checker on the same model, side by side. Each measured run is a child
//! process of its own (`comlife bench --child CHECKER --scenario S`), so its peak resident
//! memory is its own, not that of the runs before it.

use comlife::check::{run, RunOptions};
use comlife::config::{Config, MechanismSet, Scenario};
use comlife::system::build;
use stateright::{Checker as _, HasDiscoveries, Model};
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::Instant;

/// Peak resident set size of this process in MiB (VmHWM), if the platform reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Unique states, seconds and peak RSS (MiB) of one measured run: the line a child prints.
#[derive(serde::Serialize, serde::Deserialize)]
struct Measure {
    unique: usize,
    seconds: f64,
    peak: Option<f64>,
}

/// Which checker a measured run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Checker {
    /// comlife's one-pass checker (`check`).
    Comlife,
    /// stateright 0.31's BFS checker, run to completion.
    Stateright,
}

/// The child's side: measures one run of `cfg` with `checker` and prints it as one JSON line.
pub fn run_child(cfg: Config, checker: Checker, opts: RunOptions) -> ExitCode {
    let m = match checker {
        Checker::Stateright => stateright_bfs(cfg, opts.threads),
        Checker::Comlife => {
            let r = run(cfg, opts);
            Measure {
                unique: r.unique_states,
                seconds: r.seconds,
                peak: peak_rss_mib(),
            }
        }
    };
    println!("{}", serde_json::to_string(&m).expect("serialisable"));
    ExitCode::SUCCESS
}

/// The parent's side: runs one measurement in a child process of this executable.
///
/// # Errors
/// A message when the child cannot be started, fails or prints something else than a measure.
fn measure_in_child(cfg: Config, checker: Checker, threads: usize) -> Result<Measure, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find comlife's executable: {e}"))?;
    let which = match checker {
        Checker::Comlife => "comlife",
        Checker::Stateright => "stateright",
    };
    let out = std::process::Command::new(exe)
        .args(["bench", "--child", which, "--scenario", cfg.scenario.name()])
        .args([
            "--clients",
            &cfg.clients.to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start a measured run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the measured run of {} with {which} failed ({})",
            cfg.scenario.name(),
            out.status
        ));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("the measured run printed no measure: {e}"))
}

impl Measure {
    fn rate(&self) -> f64 {
        self.unique as f64 / self.seconds
    }
}

fn mib(m: Option<f64>) -> String {
    m.map_or("n/a".into(), |m| format!("{m:.0}"))
}

/// stateright 0.31's BFS checker on the model of `cfg`, run to completion.
fn stateright_bfs(cfg: Config, threads: usize) -> Measure {
    let start = Instant::now();
    let checker = build(cfg)
        .checker()
        .threads(threads)
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()))
        .spawn_bfs()
        .join();
    Measure {
        unique: checker.unique_state_count(),
        seconds: start.elapsed().as_secs_f64(),
        peak: peak_rss_mib(),
    }
}

/// Runs the benchmark: `threads` workers (default: all cores), stateright's BFS alongside when
/// `with_stateright`.
pub fn run_bench(
    scenario: Option<String>,
    clients: usize,
    threads: Option<usize>,
    with_stateright: bool,
) -> ExitCode {
    let scenarios = match scenario {
        Some(n) => match Scenario::parse(&n) {
            Ok(s) => vec![s],
            Err(e) => return crate::usage(e),
        },
        None => Scenario::ALL.to_vec(),
    };
    let mut opts = RunOptions::default();
    if let Some(t) = threads {
        opts.threads = t;
    }
    println!(
        "{:<10} {:>7} {:>7} {:>10} {:>8} {:>10} {:>8} | {:>10} {:>8} {:>10} {:>8} | {:>6}",
        "scenario",
        "clients",
        "threads",
        "unique",
        "seconds",
        "states/s",
        "peak MiB",
        "sr unique",
        "sr s",
        "sr st/s",
        "sr MiB",
        "speed×"
    );
    for s in scenarios {
        let cfg = match Config::new(s, MechanismSet::EMPTY, clients) {
            Ok(c) => c,
            Err(e) => return crate::usage(e),
        };
        let theirs = if with_stateright {
            match measure_in_child(cfg, Checker::Stateright, opts.threads) {
                Ok(m) => Some(m),
                Err(e) => return crate::usage(e),
            }
        } else {
            None
        };
        let ours = match measure_in_child(cfg, Checker::Comlife, opts.threads) {
            Ok(m) => m,
            Err(e) => return crate::usage(e),
        };
        let (u, sec, rate, peak, ratio) = match &theirs {
            Some(t) => (
                t.unique.to_string(),
                format!("{:.2}", t.seconds),
                format!("{:.0}", t.rate()),
                mib(t.peak),
                format!("{:.1}", ours.rate() / t.rate()),
            ),
            None => Default::default(),
        };
        println!(
            "{:<10} {:>7} {:>7} {:>10} {:>8.2} {:>10.0} {:>8} | {:>10} {:>8} {:>10} {:>8} | {:>6}",
            s.name(),
            clients,
            opts.threads,
            ours.unique,
            ours.seconds,
            ours.rate(),
            mib(ours.peak),
            u,
            sec,
            rate,
            peak,
            ratio
        );
    }
    ExitCode::SUCCESS
}
