//! `comlife bench`: per scenario (all mechanisms on), comlife's one-pass checker and
//! stateright's own BFS checker on the same model, side by side. Each measured run is a child
//! process of its own (`comlife bench --child CHECKER --scenario S`), so its peak resident
//! memory is its own, not that of the runs before it.

use comlife::com::config::Config;
use comlife::com::scenario::Scenario;
use comlife::com::system::reference;
use comlife::com::toggle_set::ToggleSet;
use comlife::verify::check::{run, RunOptions};
use comlife::verify::families;
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
    /// comlife's one-pass checker (`check`), with symmetry reduction.
    Comlife,
    /// comlife's one-pass checker without symmetry reduction (`check --no-symmetry`).
    ComlifeUnreduced,
    /// stateright 0.31's BFS checker, run to completion.
    Stateright,
}

impl Checker {
    /// The name `--child` takes.
    fn arg(self) -> &'static str {
        match self {
            Checker::Comlife => "comlife",
            Checker::ComlifeUnreduced => "comlife-unreduced",
            Checker::Stateright => "stateright",
        }
    }
}

/// The child's side: measures one run of `cfg` with `checker` and prints it as one JSON line.
pub fn run_child(cfg: Config, checker: Checker, opts: RunOptions) -> ExitCode {
    let m = match checker {
        Checker::Stateright => stateright_bfs(cfg, opts.threads, opts.max_depth),
        Checker::Comlife | Checker::ComlifeUnreduced => {
            let symmetry = checker == Checker::Comlife;
            let r = run(cfg, RunOptions { symmetry, ..opts });
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
fn measure_in_child(
    cfg: Config,
    checker: Checker,
    threads: usize,
    max_depth: Option<usize>,
) -> Result<Measure, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find comlife's executable: {e}"))?;
    let which = checker.arg();
    let out = std::process::Command::new(exe)
        .args(["bench", "--child", which, "--scenario", cfg.scenario.name()])
        .args([
            "--clients",
            &cfg.clients.to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .args(max_depth.map(|d| format!("--max-depth={d}")))
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

    /// Peak resident memory over unique states, in bytes per state (issue 21's memory measure:
    /// it includes the process's fixed cost, a few MiB, so it means something only for runs of
    /// a million states or more); "n/a" where the platform reports no peak.
    fn bytes_per_state(&self) -> String {
        match self.peak {
            Some(p) if self.unique > 0 => {
                format!("{:.0}", p * 1024.0 * 1024.0 / self.unique as f64)
            }
            _ => "n/a".into(),
        }
    }
}

fn mib(m: Option<f64>) -> String {
    m.map_or("n/a".into(), |m| format!("{m:.0}"))
}

/// stateright 0.31's BFS checker on the reference `ActorModel` of `cfg`
/// ([`comlife::com::system::reference`]: stateright's own state type, without properties), run
/// to completion, or to `max_depth` steps as comlife's `--max-depth` (stateright counts the
/// initial state as depth 1): the fixed reference of issue 21 §3, which comlife's state type
/// does not speed up.
fn stateright_bfs(cfg: Config, threads: usize, max_depth: Option<usize>) -> Measure {
    let start = Instant::now();
    let mut builder = reference(cfg)
        .checker()
        .threads(threads)
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()));
    if let Some(d) = max_depth {
        builder = builder.target_max_depth(d.saturating_add(1));
    }
    let checker = builder.spawn_bfs().join();
    Measure {
        unique: checker.unique_state_count(),
        seconds: start.elapsed().as_secs_f64(),
        peak: peak_rss_mib(),
    }
}

/// What `bench` measures.
pub struct Bench {
    /// Only this scenario (by name); every scenario when `None`.
    pub scenario: Option<String>,
    /// Client processes (1–4).
    pub clients: usize,
    /// Worker threads of every run (default: all cores).
    pub threads: Option<usize>,
    /// Expand no state this many steps from the initial state, in every run; unbounded when
    /// `None`.
    pub max_depth: Option<usize>,
    /// Whether stateright's BFS runs alongside.
    pub with_stateright: bool,
    /// Whether comlife's checker also runs with symmetry reduction.
    pub with_symmetry: bool,
}

/// Runs the benchmark: `threads` workers (default: all cores); comlife's checker without
/// symmetry reduction and, when `with_symmetry`, with it (the reduction factor is unreduced over
/// reduced unique states); stateright's BFS alongside when `with_stateright`. The speed ratio
/// compares the unreduced run with stateright's (the same state space; under `max_depth` the
/// `unreduced` and `sr unique` columns show whether both bounded searches found the same
/// states). Each measurement is a child process of its own, so each peak memory is that run's.
pub fn run_bench(bench: Bench) -> ExitCode {
    let Bench {
        scenario,
        clients,
        threads,
        max_depth,
        with_stateright,
        with_symmetry,
    } = bench;
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
    if let Some(d) = max_depth {
        println!(
            "every run bounded: no state {d} steps or more from the initial state is expanded"
        );
    }
    println!(
        "{:<10} {:>7} {:>7} | {:>10} {:>8} {:>10} {:>8} {:>7} | {:>10} {:>8} {:>10} {:>8} {:>7} | {:>9} | {:>10} {:>8} {:>10} {:>8} | {:>6}",
        "scenario",
        "clients",
        "threads",
        "reduced",
        "seconds",
        "states/s",
        "peak MiB",
        "B/state",
        "unreduced",
        "seconds",
        "states/s",
        "peak MiB",
        "B/state",
        "symmetry×",
        "sr unique",
        "sr s",
        "sr st/s",
        "sr MiB",
        "speed×"
    );
    for s in scenarios {
        let cfg = match Config::new(s, ToggleSet::EMPTY, clients) {
            Ok(c) => c,
            Err(e) => return crate::usage(e),
        };
        let measure = |checker: Checker, wanted: bool| -> Result<Option<Measure>, String> {
            wanted
                .then(|| measure_in_child(cfg, checker, opts.threads, max_depth))
                .transpose()
        };
        let (theirs, unreduced, reduced) = match (
            measure(Checker::Stateright, with_stateright),
            measure(Checker::ComlifeUnreduced, true),
            measure(Checker::Comlife, with_symmetry),
        ) {
            (Ok(t), Ok(Some(u)), Ok(r)) => (t, u, r),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return crate::usage(e),
            (_, Ok(None), _) => unreachable!("the unreduced run is always measured"),
        };
        let (ru, rs, rr, rm, rb, factor) = match &reduced {
            Some(r) => (
                r.unique.to_string(),
                format!("{:.2}", r.seconds),
                format!("{:.0}", r.rate()),
                mib(r.peak),
                r.bytes_per_state(),
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
            "{:<10} {:>7} {:>7} | {:>10} {:>8} {:>10} {:>8} {:>7} | {:>10} {:>8.2} {:>10.0} {:>8} {:>7} | {:>9} | {:>10} {:>8} {:>10} {:>8} | {:>6}",
            s.name(),
            clients,
            opts.threads,
            ru,
            rs,
            rr,
            rm,
            rb,
            unreduced.unique,
            unreduced.seconds,
            unreduced.rate(),
            mib(unreduced.peak),
            unreduced.bytes_per_state(),
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

/// `bench --families`: explores every run of the matrix with `clients` clients (of `scenario`
/// only, when given) on `threads` threads (default: all cores) and prints, per family of runs
/// ([`comlife::verify::families`]), the runs' unique states added up, the family's distinct
/// states and its distinct (state, first level) pairs, then the totals: how much of the
/// matrix's search a search of each family's runs together would share. Exit status 2 with a
/// message for an unknown scenario or an impossible number of clients.
pub fn run_families(scenario: Option<&str>, clients: usize, threads: Option<usize>) -> ExitCode {
    let only = match scenario.map(Scenario::parse).transpose() {
        Ok(s) => s,
        Err(e) => return crate::usage(e),
    };
    if let Err(e) = Config::new(Scenario::LocalSta, ToggleSet::EMPTY, clients) {
        return crate::usage(e);
    }
    let cfgs: Vec<Config> = comlife::description::builtin::matrix_configs(clients)
        .into_iter()
        .filter(|c| only.is_none_or(|s| c.scenario == s))
        .collect();
    let threads = threads.unwrap_or(RunOptions::default().threads);
    let start = Instant::now();
    let families = families::measure(&cfgs, threads, &comlife::verify::progress::Progress::new());
    println!(
        "{:<16} {:<8} {:>5} {:>11} {:>11} {:>6} {:>11} {:>6}",
        "scenario", "runtime", "runs", "sum", "union", "union÷", "nodes", "nodes÷"
    );
    let share = |part: usize, of: usize| format!("{:.2}", part as f64 / of.max(1) as f64);
    for f in &families {
        println!(
            "{:<16} {:<8} {:>5} {:>11} {:>11} {:>6} {:>11} {:>6}",
            f.cfg.scenario.name(),
            f.cfg.runtime.name(),
            f.runs,
            f.sum,
            f.union,
            share(f.union, f.sum),
            f.nodes,
            share(f.nodes, f.sum)
        );
    }
    let total = |g: fn(&families::Family) -> usize| families.iter().map(g).sum::<usize>();
    let (sum, union, nodes) = (total(|f| f.sum), total(|f| f.union), total(|f| f.nodes));
    println!(
        "{:<16} {:<8} {:>5} {:>11} {:>11} {:>6} {:>11} {:>6}",
        "all",
        "",
        total(|f| f.runs),
        sum,
        union,
        share(union, sum),
        nodes,
        share(nodes, sum)
    );
    println!(
        "sum: the runs' unique states added up (what the runs explore now); union: the \
         distinct states of each family (runs of one scenario, runtime and layout); nodes: its \
         distinct (state, level first reached) pairs, what a breadth-first search of the \
         family's runs together expands when it keeps each run's shortest traces; measured in \
         {:.1} s",
        start.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
