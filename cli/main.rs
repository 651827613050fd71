//! `comlife`: check the COM server-lifetime model, list its parts, benchmark it, replay and
//! browse its traces, explore it.

mod answer;
mod bench;
mod check;
mod conform;
mod explore;
mod fs_policy;
mod list;
mod long_run;
mod matrix;
mod merge;
mod output;
mod replay;
mod repro;
mod trace_html;
mod traces;

use clap::{Parser, Subcommand};
use comlife::com::config::{Config, DEFAULT_CLIENTS};
use comlife::com::runtime::Runtime;
use comlife::com::scenario::Scenario;
use comlife::com::toggle_set::ToggleSet;
use comlife::description::format::Description;
use comlife::verify::check::RunOptions;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// An executable formal specification of COM server lifetime management.
#[derive(Parser)]
#[command(name = "comlife", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Explore every interleaving and check every property against spec/expectations.toml.
    ///
    /// Without --scenario: every scenario with all mechanisms on and with each one disabled.
    /// With FILE.toml: the server that description describes, against its [expect].
    /// Exit status 0 when every verdict matches, 1 on a mismatch, 2 on bad usage or a bad
    /// description (FILE:LINE:COLUMN: what is wrong).
    Check(CheckArgs),
    /// Print a built-in server description (spec/scenarios/NAME.toml) to start your own from.
    New {
        /// The built-in description: a scenario's name (`comlife list`).
        #[arg(long = "from", value_name = "NAME")]
        from: String,
    },
    /// Print the JSON Schema of the server-description format.
    Schema,
    /// List scenarios, mechanisms and properties.
    List {
        /// Print JSON.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print Markdown tables (spec/generated.md).
        #[arg(long)]
        markdown: bool,
    },
    /// Measure unique states, states per second and peak memory per scenario, side by side
    /// with stateright's own BFS checker on the same model.
    Bench {
        /// Only this scenario.
        #[arg(long)]
        scenario: Option<String>,
        /// Number of clients.
        #[arg(long, default_value_t = DEFAULT_CLIENTS)]
        clients: usize,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Skip stateright's BFS (it is slower and needs more memory).
        #[arg(long)]
        no_stateright: bool,
        /// Do not expand states D steps or more from the initial state, in every measured run
        /// (stateright's `target_max_depth` D + 1 counts the initial state as depth 1): runs
        /// long enough to measure with three clients, e.g. `--clients 3 --max-depth 28`.
        #[arg(long, value_name = "D")]
        max_depth: Option<usize>,
        /// Measure comlife's checker without symmetry reduction only (no reduced run, no
        /// reduction factor).
        #[arg(long)]
        no_symmetry: bool,
        /// Instead: explore every run of the matrix (or of --scenario) and print, per family
        /// of runs (one scenario, runtime and layout), the runs' unique states added up, the
        /// distinct states among them and the distinct (state, first level) pairs: what a
        /// search of each family's runs together could save (docs/benchmarks.md).
        #[arg(long, conflicts_with_all = ["no_stateright", "max_depth", "no_symmetry", "child"])]
        families: bool,
        /// Internal: measure one run of --scenario with this checker and print it as JSON
        /// (bench runs each measurement as such a child process).
        #[arg(long, hide = true, requires = "scenario")]
        child: Option<bench::Checker>,
    },
    /// Merge the JSON reports of one simulation run in parts (`check --simulate RUNS --seed S
    /// --json`, one seed per part) into one report, printed as JSON.
    ///
    /// A discovery any part made is established, with the shortest trace among the parts;
    /// walks and steps are summed. Exit status 0 when nothing established differs from the
    /// expected verdicts, 1 when something does, 2 for a report that cannot be read or that is
    /// not of the same run, build or a different seed than the others (naming both).
    Merge {
        /// The reports (`check --json` output of simulations, or merged reports).
        #[arg(required = true, value_name = "REPORT.json")]
        files: Vec<PathBuf>,
    },
    /// Is a real run's event log a behaviour of the model? (Trace inclusion: the Wine
    /// harness's logs, docs/wine.md.)
    ///
    /// Searches every interleaving of the model for a path on which each client process of
    /// the log makes its calls with the HRESULTs the log shows, in the log's order. Exit status
    /// 0 when one does, 1 when none does (naming the first observed call no path shows, and
    /// what the model's clients observed instead) or the search reached its bound, 2 for a log
    /// that cannot be read or is malformed (its line) or bad usage.
    Conform {
        /// The event log (`EVT pid=… t=… prog=… EVENT key=value …` lines, merged).
        #[arg(value_name = "LOG")]
        log: PathBuf,
        /// The scenario whose model the log is compared with (`comlife list`).
        #[arg(long, required_unless_present = "file", conflicts_with = "file")]
        scenario: Option<String>,
        /// A server description (TOML) to compare with instead of a scenario.
        #[arg(long, value_name = "FILE.toml")]
        file: Option<PathBuf>,
        /// Disable a mechanism (repeatable).
        #[arg(long = "disable")]
        disable: Vec<String>,
        /// Enable a remedy or variant (repeatable).
        #[arg(long = "enable")]
        enable: Vec<String>,
        /// Number of client processes of the model (1-4; default: the log's).
        #[arg(long)]
        clients: Option<usize>,
        /// The COM runtime modeled: windows (default) or wine (the harness runs on Wine).
        #[arg(long, value_name = "RUNTIME")]
        runtime: Option<String>,
        /// Stop after exploring this many pairs of state and progress per assignment of the
        /// log's clients to the model's (the answer is then unknown).
        #[arg(long, default_value_t = conform::DEFAULT_MAX)]
        max_states: usize,
        /// Print the accepted model path, one step per line.
        #[arg(long)]
        show_path: bool,
    },
    /// Re-execute an ITF trace (as written by check) against the current model.
    ///
    /// Exit status 0 when every step is a legal transition and the last state violates the
    /// named property (satisfies it, for a sometimes property); 1 naming the first step that
    /// no longer matches; 2 with the JSON path of what is wrong in a malformed or foreign file.
    Replay {
        /// The trace file (.itf.json).
        file: PathBuf,
    },
    /// Write a self-contained reproducer of a trace for the real runtime (docs/wine.md): the
    /// harness's C sources, build scripts for mingw-w64 and MSVC's cl, registration for Wine and
    /// Windows, run.sh (the clients in the trace's order, the server's schedule points where
    /// the trace interleaves) and a README saying what to expect on Windows and on Wine.
    ///
    /// Exit status 0 with the files written; 1 when the trace no longer replays; 2 for a
    /// malformed or unsupported trace (the message names what is supported) or a non-empty DIR
    /// without --force. Nothing is written on error.
    Repro {
        /// The trace file (.itf.json).
        file: PathBuf,
        /// The directory to write (created; must be empty unless --force).
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// Write into DIR even when it is not empty (its files of the same names are replaced).
        #[arg(long)]
        force: bool,
    },
    /// Serve stateright's Explorer page for one run (loopback unless --addr says otherwise).
    ///
    /// The run is checked as `check` checks it, and each discovery links its shortest trace
    /// (the path of its trace file's Explorer link); states and steps read in COM terms. Exit
    /// status 2 on bad usage or when the port is taken.
    Explore {
        /// The scenario (`comlife list`).
        #[arg(long, required_unless_present = "file", conflicts_with = "file")]
        scenario: Option<String>,
        /// A server description (TOML) to explore instead of a scenario.
        file: Option<PathBuf>,
        /// Disable a mechanism (repeatable).
        #[arg(long = "disable")]
        disable: Vec<String>,
        /// Enable a remedy or variant (repeatable).
        #[arg(long = "enable")]
        enable: Vec<String>,
        /// Number of client processes (1-4; inproc always has its three client threads).
        #[arg(long, default_value_t = DEFAULT_CLIENTS)]
        clients: usize,
        /// The COM runtime modeled: windows (default) or wine (`comlife list` says what Wine
        /// changes).
        #[arg(long, value_name = "RUNTIME")]
        runtime: Option<String>,
        /// Address to serve on.
        #[arg(long, default_value = comlife::trace::itf_trace::EXPLORER_ADDR)]
        addr: String,
    },
    /// Render an ITF trace file as a page.
    #[command(subcommand)]
    Trace(TraceCommand),
}

#[derive(Subcommand)]
enum TraceCommand {
    /// One self-contained HTML page (no network access): sequence diagram, step forward and
    /// back, the state at each step with changes highlighted, actor filter, the property with
    /// its rules and sources. The trace is replayed first: exit status 1 (nothing written) when
    /// it does not replay against the current model, 2 for a malformed file.
    Html {
        /// The trace file (.itf.json).
        file: PathBuf,
        /// Output file (default: FILE with .itf.json replaced by .html): a regular file or a
        /// new one (a symlink to a regular file is written through; docs/traces.md).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// The Markdown page (Mermaid sequence diagram and narrative) that check writes; replayed
    /// first like the HTML page (exit status 1 when it does not replay).
    Md {
        /// The trace file (.itf.json).
        file: PathBuf,
        /// Output file (default: FILE with .itf.json replaced by .md): a regular file or a new
        /// one (a symlink to a regular file is written through; docs/traces.md).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// A server description (TOML; `comlife new --from NAME` prints one to start from): check
    /// the server it describes against its [expect]. Traces go to DIR/<name>/<run>/ (default
    /// DIR: `traces` beside the file).
    #[arg(value_name = "FILE.toml", group = "target")]
    file: Option<PathBuf>,
    /// Run one scenario (`comlife list` names them).
    #[arg(long, group = "target")]
    scenario: Option<String>,
    /// Disable a mechanism (repeatable); needs --scenario or FILE.toml (adds to the file's).
    #[arg(long = "disable", requires = "target")]
    disable: Vec<String>,
    /// Enable a remedy or variant (repeatable); needs --scenario or FILE.toml (adds to the
    /// file's).
    #[arg(long = "enable", requires = "target")]
    enable: Vec<String>,
    /// Number of client processes (1-4; inproc always has its three client threads); a
    /// description says its own ([clients] count).
    #[arg(long, default_value_t = DEFAULT_CLIENTS, conflicts_with = "file")]
    clients: usize,
    /// The COM runtime modeled: windows (default) or wine; needs --scenario or FILE.toml (a
    /// description may name its own with `runtime`; the two must agree). `comlife list` says
    /// what Wine changes.
    #[arg(long, value_name = "RUNTIME", requires = "target")]
    runtime: Option<String>,
    /// Print one JSON object (with --scenario or FILE.toml).
    #[arg(long, requires = "target")]
    json: bool,
    /// Print the full matrix as the long table (one row per run and property, with expected
    /// and got) instead of the compact matrix of runs × properties.
    #[arg(long, conflicts_with_all = ["json", "file"])]
    long: bool,
    /// Print each counterexample and example as numbered steps (not with --json, whose output
    /// is one JSON object).
    #[arg(long, conflicts_with = "json")]
    show_traces: bool,
    /// Worker threads for exploration (default: all cores; at most 4 per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Stop after this many unique states (the run is then incomplete).
    #[arg(long)]
    max_states: Option<usize>,
    /// Do not explore beyond this depth (the run is then incomplete).
    #[arg(long)]
    max_depth: Option<usize>,
    /// Stop a run when this process's resident memory exceeds MIB mebibytes: the run is then
    /// incomplete (complete: false, verdicts not established are unknown) with a message,
    /// instead of being killed. Checked after every chunk of 4096 expanded states.
    #[arg(long, value_name = "MIB")]
    max_memory: Option<u64>,
    /// Instead of exploring exhaustively, take RUNS random walks (reproducible from --seed) and
    /// report every property a walk shows, with a replayable trace that is not necessarily
    /// shortest; a property no walk showed is unknown.
    #[arg(long, value_name = "RUNS", conflicts_with_all = ["max_states", "max_depth"])]
    simulate: Option<u64>,
    /// Seed of --simulate's walks (walk i uses stream i of ChaCha8 seeded with S).
    #[arg(long, value_name = "S", requires = "simulate", default_value_t = 0)]
    seed: u64,
    /// Maximum steps of each --simulate walk.
    #[arg(long, value_name = "D", requires = "simulate", default_value_t = comlife::verify::simulate::DEFAULT_DEPTH)]
    depth: usize,
    /// Write every trace to DIR/<scenario>/<baseline or mechanism>/<property>.{itf.json,md}
    /// and remove stale ones there. Default for the full matrix with default --clients and no
    /// bounds: traces. Checked before the run starts (exit 2, nothing written).
    #[arg(long, value_name = "DIR", conflicts_with = "no_traces")]
    traces: Option<PathBuf>,
    /// Write no trace files.
    #[arg(long)]
    no_traces: bool,
    /// Pin this run's results: rewrite spec/expectations.toml's run tables (verdicts and unique
    /// states) and the built-in descriptions' [expect] sections (spec/scenarios/*.toml) from
    /// the whole matrix with default options, keeping the hand-written [findings] table.
    /// Review the change with `git diff`, then rebuild: the binary embeds the pins.
    #[arg(long, conflicts_with_all = ["file", "scenario", "json", "simulate", "max_states", "max_depth", "max_memory", "no_symmetry", "por"])]
    bless: bool,
    /// Also write the HTML viewer page of every trace written, as
    /// DIR/<scenario>/<baseline or mechanism>/<property>.html. DIR must exist (its
    /// <scenario>/<run> subdirectories are created) and must not be the trace directory; checked
    /// before the run starts (exit 2, nothing written).
    #[arg(long, value_name = "DIR", conflicts_with = "no_traces")]
    html: Option<PathBuf>,
    /// Explore without symmetry reduction: every state, not one per class of states that
    /// differ by a renaming of interchangeable clients and server slots. Verdicts and trace
    /// lengths are the same; unique-state counts are those of the unreduced model.
    #[arg(long)]
    no_symmetry: bool,
    /// Partial-order reduction (docs/checker.md, spec/assumptions.md A-POR): where a client
    /// between two calls has only calls to make that no property reads, explore its next call
    /// first and let the other steps wait. The same verdicts as the exact search, fewer states.
    /// Each trace found is re-derived as a shortest one by an exact search no deeper than the
    /// traces and of at most as many states as the reduced search's; where that search cannot
    /// reach it, the reduced search's trace stands and is marked not necessarily shortest.
    /// Traces are filed in `<run>.por`. Its unique-state counts are not compared with the
    /// pinned ones.
    #[arg(long, conflicts_with = "simulate")]
    por: bool,
}

/// A usage error: printed and mapped to exit status 2.
pub(crate) fn usage(msg: String) -> ExitCode {
    eprintln!("comlife: {msg}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    restore_sigpipe();
    comlife::verify::memory::keep_freed_pages();
    output::remove_temp_files_on_interrupt();
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check::check(args),
        Command::List { json, markdown } => list::print(json, markdown),
        Command::New { from } => match comlife::description::builtin::builtin(&from) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => usage(format!("new --from {from}: {e}")),
        },
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&comlife::description::format::schema())
                    .expect("serialisable")
            );
            ExitCode::SUCCESS
        }
        Command::Bench {
            scenario,
            clients,
            threads,
            no_stateright,
            max_depth,
            no_symmetry,
            families,
            child,
        } => match (threads.map(check_threads).transpose(), child, scenario) {
            (Err(e), _, _) => usage(e),
            (Ok(threads), _, scenario) if families => {
                bench::run_families(scenario.as_deref(), clients, threads)
            }
            (Ok(threads), Some(checker), Some(s)) => match config(&s, &[], &[], clients, None) {
                Ok(cfg) => {
                    let mut opts = RunOptions::default();
                    if let Some(t) = threads {
                        opts.threads = t;
                    }
                    opts.max_depth = max_depth;
                    bench::run_child(cfg, checker, opts)
                }
                Err(e) => usage(e),
            },
            (Ok(threads), _, scenario) => bench::run_bench(bench::Bench {
                scenario,
                clients,
                threads,
                max_depth,
                with_stateright: !no_stateright,
                with_symmetry: !no_symmetry,
            }),
        },
        Command::Conform {
            log,
            scenario,
            file,
            disable,
            enable,
            clients,
            runtime,
            max_states,
            show_path,
        } => {
            let parsed = match conform::load(&log) {
                Ok(l) => l,
                Err(code) => return code,
            };
            // The model has a client for each of the log's unless --clients says otherwise.
            let clients = clients.unwrap_or(parsed.clients.len()).max(1);
            let target = Target {
                file: file.as_deref(),
                scenario: scenario.as_deref(),
                disable: &disable,
                enable: &enable,
                clients,
                runtime: runtime.as_deref(),
            };
            match target.config() {
                Ok((_, cfg)) => conform::run(&log, &parsed, cfg, max_states, show_path),
                Err(code) => code,
            }
        }
        Command::Replay { file } => replay::run(&file),
        Command::Repro { file, out, force } => repro::run(&file, &out, force),
        Command::Merge { files } => merge::run(&files),
        Command::Explore {
            scenario,
            file,
            disable,
            enable,
            clients,
            runtime,
            addr,
        } => {
            let target = Target {
                file: file.as_deref(),
                scenario: scenario.as_deref(),
                disable: &disable,
                enable: &enable,
                clients,
                runtime: runtime.as_deref(),
            };
            match target.config() {
                Ok((names, cfg)) => explore::run(cfg, &names, &addr),
                Err(code) => code,
            }
        }
        Command::Trace(TraceCommand::Html { file, out }) => {
            trace_html::run(trace_html::Format::Html, &file, out.as_deref())
        }
        Command::Trace(TraceCommand::Md { file, out }) => {
            trace_html::run(trace_html::Format::Markdown, &file, out.as_deref())
        }
    }
}

/// The most worker threads per core that `--threads` accepts.
const THREADS_PER_CORE: usize = 4;

/// `--threads N`, checked: from 1 to [`THREADS_PER_CORE`] × the cores available (more only
/// slows the run down and loads the machine).
///
/// # Errors
/// A message naming the valid range.
pub(crate) fn check_threads(n: usize) -> Result<usize, String> {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let max = THREADS_PER_CORE * cores;
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "--threads {n}: must be from 1 to {max} ({THREADS_PER_CORE} per core, {cores} cores available)"
        ))
    }
}

/// The configuration named on the command line: `--disable` takes mechanisms that are on by
/// default, `--enable` remedies and variants, `--runtime` the COM runtime.
///
/// # Errors
/// A message naming the unknown scenario, mechanism or runtime, or a mechanism given to the
/// wrong flag, with the valid choices; or a scenario or toggle the runtime refuses.
fn config(
    scenario: &str,
    disable: &[String],
    enable: &[String],
    clients: usize,
    runtime: Option<&str>,
) -> Result<Config, String> {
    let scenario = Scenario::parse(scenario)?;
    let runtime = runtime
        .map(|r| Runtime::parse(r).map_err(|e| format!("--runtime {r}: {e}")))
        .transpose()?
        .unwrap_or_default();
    let toggled = ToggleSet::from_args(scenario, disable, enable)?;
    if let Some(why) = toggled.iter().find_map(|t| runtime.already(t)) {
        return Err(format!("--runtime {}: {why}", runtime.name()));
    }
    // The scenario as its built-in description says, read as `check FILE` reads any.
    let cfg = comlife::description::builtin::builtin_config(scenario, toggled, clients)?
        .with_runtime(runtime)
        .map_err(|e| format!("--runtime {}: {e}", runtime.name()))?;
    note_inert(&cfg);
    Ok(cfg)
}

/// Tells the user, on stderr, of each toggle of `cfg` that its runtime makes inert
/// ([`Runtime::inert`]): the run is then the run without it.
fn note_inert(cfg: &Config) {
    for t in cfg.toggled.iter() {
        if let Some(i) = cfg.runtime.inert(t) {
            eprintln!(
                "note: '{}' makes no difference under the {} runtime, so this run is the run without it: {}",
                t.name(),
                cfg.runtime.name(),
                i.why
            );
        }
    }
}

/// The run a command that takes a server description or `--scenario` is about (`explore`,
/// `conform`): the description's, with the command line's toggles added, or the scenario's.
struct Target<'a> {
    /// The description file, if one was given (else `scenario` was: clap requires one).
    file: Option<&'a Path>,
    /// `--scenario`.
    scenario: Option<&'a str>,
    /// `--disable`.
    disable: &'a [String],
    /// `--enable`.
    enable: &'a [String],
    /// `--clients` (a description says its own).
    clients: usize,
    /// `--runtime`.
    runtime: Option<&'a str>,
}

impl Target<'_> {
    /// The configuration, and the description's class names (empty for a scenario).
    ///
    /// # Errors
    /// Exit status 2, the message printed, for a bad description, scenario or toggle.
    fn config(&self) -> Result<(Vec<String>, Config), ExitCode> {
        match self.file {
            Some(f) => read_description(f, self.disable, self.enable, self.runtime)
                .map(|(desc, cfg)| (desc.class_names, cfg)),
            None => config(
                self.scenario.expect("clap requires --scenario or FILE"),
                self.disable,
                self.enable,
                self.clients,
                self.runtime,
            )
            .map(|cfg| (Vec::new(), cfg))
            .map_err(usage),
        }
    }
}

/// Reads the server description `file` and adds the command line's toggles: its run and the
/// configuration to check. A bad file is reported as `FILE:LINE:COLUMN: message` and gives
/// exit status 2, as does a toggle that does not apply.
fn read_description(
    file: &Path,
    disable: &[String],
    enable: &[String],
    runtime: Option<&str>,
) -> Result<(comlife::description::run::CheckRequest, Config), ExitCode> {
    let fname = file.display().to_string();
    let text = fs_policy::read_input(file, "a server description", fs_policy::DESCRIPTION_CAP)
        .map_err(usage)?;
    let parsed = Description::parse(&fname, &text).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })?;
    let desc = parsed.to_request().map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })?;
    let scenario = desc.config.scenario;
    let extra: ToggleSet = ToggleSet::from_args(scenario, disable, enable)
        .map_err(|e| usage(format!("{e} (scenario '{}' is {fname})", scenario.name())))?;
    let toggled = parsed
        .add_command_line(desc.config.toggled, extra)
        .map_err(usage)?;
    // The description's own apartments and classes stay.
    let cfg = Config::new(scenario, toggled, desc.config.clients)
        .and_then(|c| c.with_layout(desc.config.layout))
        .map_err(usage)?;
    // The file's runtime, or the command line's; both given, they must agree (as for other
    // settings a file and the command line both name).
    let runtime = match runtime {
        None => desc.config.runtime,
        Some(r) => {
            let r = Runtime::parse(r).map_err(|e| usage(format!("--runtime {r}: {e}")))?;
            if r != desc.config.runtime && desc.runtime_given {
                return Err(usage(format!(
                    "--runtime {} conflicts with {fname}'s runtime = \"{}\"; give the runtime once",
                    r.name(),
                    desc.config.runtime.name()
                )));
            }
            r
        }
    };
    if let Some(why) = extra.iter().find_map(|t| runtime.already(t)) {
        return Err(usage(format!("{why} ({fname} runs on {})", runtime.name())));
    }
    let cfg = cfg
        .with_runtime(runtime)
        .map_err(|e| usage(format!("{fname}: {e}")))?;
    note_inert(&cfg);
    Ok((desc, cfg))
}

/// Restores the default action of SIGPIPE, which the Rust runtime ignores: when the reader of
/// stdout goes away (`comlife list | head -1`), the process ends quietly, as other Unix tools
/// do, instead of panicking on the failed write.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
