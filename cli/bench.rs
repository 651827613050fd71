//! `comlife bench`: per scenario (all mechanisms on), comlife's one-pass checker and
//! stateright's own BFS checker on the same model, side by side in one process.

use comlife::check::{run, RunOptions};
use comlife::config::{Config, MechanismSet, Scenario};
use comlife::system::build;
use stateright::{Checker, HasDiscoveries, Model};
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

/// Resets the peak RSS counter (Linux: writing 5 to /proc/self/clear_refs), so each run's
/// peak is its own. Best effort.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Unique states, seconds and peak RSS (MiB) of one measured run.
struct Measure {
    unique: usize,
    seconds: f64,
    peak: Option<f64>,
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
    reset_peak();
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

/// Runs the benchmark: `threads` workers (default: all cores); comlife's checker without
/// symmetry reduction and, when `with_symmetry`, with it (the reduction factor is unreduced over
/// reduced unique states); stateright's BFS alongside when `with_stateright`. The speed ratio
/// compares the unreduced run with stateright's (the same state space).
pub fn run_bench(
    scenario: Option<String>,
    clients: usize,
    threads: Option<usize>,
    with_stateright: bool,
    with_symmetry: bool,
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
        "{:<10} {:>7} {:>7} | {:>10} {:>8} {:>10} {:>8} | {:>10} {:>8} {:>10} {:>8} | {:>9} | {:>10} {:>8} {:>10} {:>8} | {:>6}",
        "scenario",
        "clients",
        "threads",
        "reduced",
        "seconds",
        "states/s",
        "peak MiB",
        "unreduced",
        "seconds",
        "states/s",
        "peak MiB",
        "symmetry×",
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
        // stateright first: whichever runs second finds memory the allocator already holds.
        let theirs = with_stateright.then(|| stateright_bfs(cfg, opts.threads));
        let measure = |symmetry: bool| {
            reset_peak();
            let r = run(cfg, RunOptions { symmetry, ..opts });
            Measure {
                unique: r.unique_states,
                seconds: r.seconds,
                peak: peak_rss_mib(),
            }
        };
        let unreduced = measure(false);
        let reduced = with_symmetry.then(|| measure(true));
        let (ru, rs, rr, rm, factor) = match &reduced {
            Some(r) => (
                r.unique.to_string(),
                format!("{:.2}", r.seconds),
                format!("{:.0}", r.rate()),
                mib(r.peak),
                format!("{:.2}", unreduced.unique as f64 / r.unique as f64),
            ),
            None => Default::default(),
        };
        let (u, sec, rate, peak, ratio) = match &theirs {
            Some(t) => (
                t.unique.to_string(),
                format!("{:.2}", t.seconds),
                format!("{:.0}", t.rate()),
                mib(t.peak),
                format!("{:.1}", unreduced.rate() / t.rate()),
            ),
            None => Default::default(),
        };
        println!(
            "{:<10} {:>7} {:>7} | {:>10} {:>8} {:>10} {:>8} | {:>10} {:>8.2} {:>10.0} {:>8} | {:>9} | {:>10} {:>8} {:>10} {:>8} | {:>6}",
            s.name(),
            clients,
            opts.threads,
            ru,
            rs,
            rr,
            rm,
            unreduced.unique,
            unreduced.seconds,
            unreduced.rate(),
            mib(unreduced.peak),
            factor,
            u,
            sec,
            rate,
            peak,
            ratio
        );
    }
    ExitCode::SUCCESS
}
