//! `check`, in its three forms, as one path: the command line makes a [`Plan`] (a list of runs,
//! what their verdicts are compared with, how they are printed and where their traces go), the
//! worker pool ([`comlife::verify::matrix::run_jobs`]) checks the runs, each report is
//! compared and its traces written as it comes, and once all are done stdout gets the answer
//! first (cli/answer.rs: the verdict on the server and its defects, or one line per scenario),
//! then the verdicts (cli/matrix.rs), then the regression line.
//!
//! - `check`: every scenario's matrix runs (each scenario's built-in description, with each
//!   run's toggles), compared with spec/expectations.toml.
//! - `check --scenario NAME`: the built-in description of NAME with the command line's toggles,
//!   compared with spec/expectations.toml.
//! - `check FILE.toml`: the description in FILE with the command line's toggles, compared with
//!   its `[expect]`.

use crate::fs_policy::check_output_dir;
use crate::long_run::{self, Work};
use crate::matrix::{self, Tally};
use crate::{answer, traces, usage, CheckArgs};
use comlife::com::config::{Config, DEFAULT_CLIENTS};
use comlife::com::scenario::Scenario;
use comlife::com::toggle_set::ToggleSet;
use comlife::trace::meta::Search;
use comlife::verify::check::{RunOptions, RunReport};
use comlife::verify::cost::costly;
use comlife::verify::diagnosis::diagnose;
use comlife::verify::expectations::{compare_expect, Comparison, Expectations};
use comlife::verify::matrix::{run_jobs, Job};
use comlife::verify::memory::MemoryBound;
use comlife::verify::model::build;
use comlife::verify::progress::Progress;
use comlife::verify::remedies::{self, RemedySearch};
use comlife::verify::search::action_phrase_in;
use comlife::verify::simulate::Simulation;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// How the verdicts are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Print {
    /// A matrix of runs × properties per scenario ([`matrix::print_compact`]).
    Compact,
    /// One row per run and property ([`matrix::print_rows`]).
    Long,
    /// One JSON object (a single run).
    Json,
}

/// What the verdicts are compared with.
enum Against {
    /// spec/expectations.toml (`check`, `check --scenario`).
    Spec,
    /// A server description's `[expect]` (`check FILE.toml`).
    Description {
        /// The file, as named on the command line.
        fname: String,
        /// What the file describes.
        desc: Box<comlife::description::run::CheckRequest>,
        /// The command that explores the run (written into its traces).
        explore: String,
    },
}

/// A run's JSON object ([`Plan::run_json`]).
#[derive(serde::Serialize)]
struct RunOut {
    #[serde(flatten)]
    run: comlife::verify::expectations::RunJson,
    /// [`RunReport::collision_probability`].
    collision_probability: f64,
    /// [`RunReport::tlc_collision_estimate`].
    tlc_collision_estimate: f64,
    /// What was simulated, for a simulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    simulation: Option<SimulationJson>,
}

/// A simulation's parameters in a run's JSON object (`check --simulate RUNS --seed S --depth D`).
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SimulationJson {
    /// Number of walks.
    pub(crate) runs: u64,
    /// Seed of the walks.
    pub(crate) seed: u64,
    /// Maximum steps per walk.
    pub(crate) depth: usize,
}

/// What `check` does: the runs, what their verdicts are compared with, how they are printed and
/// where their traces go.
struct Plan {
    /// The runs, in the order they are printed.
    jobs: Vec<Job>,
    /// Whether the runs are the whole matrix (`check` without a target): progress on stderr,
    /// the legend and the totals, and stale traces removed from the whole trace directory.
    whole_matrix: bool,
    print: Print,
    against: Against,
    /// Where traces are written (`<root>/<scenario or description>/<run>/`), if anywhere.
    root: Option<PathBuf>,
    /// Whether `root` is `--traces DIR` (else the form's default), for messages.
    traces_given: bool,
    /// Where their HTML pages are written (`--html DIR`).
    html: Option<PathBuf>,
    /// Print each trace as numbered steps (`--show-traces`).
    show: bool,
    /// Rewrite the pins from the runs (`--bless`).
    bless: bool,
}

impl Plan {
    /// The run's verdicts compared with what they are expected to be.
    fn compare(&self, report: &RunReport, exp: &Expectations) -> Comparison {
        match &self.against {
            Against::Spec => exp.compare(report),
            Against::Description { desc, .. } => compare_expect(&desc.expect, report, exp),
        }
    }

    /// A run's JSON object: [`Comparison::to_json`]'s fields in their order, then the
    /// fingerprint-collision probability (`collision_probability`, the birthday bound, and TLC's
    /// `tlc_collision_estimate`; docs/checker.md) and, for a simulation, its `simulation`
    /// (`runs`, `seed`, `depth`), which `comlife merge` reads.
    fn run_json(&self, report: &RunReport, cmp: &Comparison) -> RunOut {
        let simulation = self
            .jobs
            .iter()
            .find(|j| j.cfg == report.cfg)
            .and_then(|j| j.opts.simulate)
            .filter(|_| report.simulated)
            .map(|s| SimulationJson {
                runs: s.runs,
                seed: s.seed,
                depth: s.depth,
            });
        RunOut {
            run: cmp.to_json(report),
            collision_probability: report.collision_probability(),
            tlc_collision_estimate: report.tlc_collision_estimate(),
            simulation,
        }
    }

    /// Prints, as the run finishes, its notes (stderr) and, with `--json`, its JSON object
    /// (stdout). Everything else on stdout waits for every run ([`Plan::print_results`]), so
    /// that the answer comes first.
    fn print_run(&self, report: &RunReport, cmp: &Comparison) {
        let Against::Description { desc, .. } = &self.against else {
            matrix::print_notes(report, cmp);
            // A single run's object waits for the remedy search ([`Plan::print_results`]).
            if self.print == Print::Json && self.whole_matrix {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&self.run_json(report, cmp))
                        .expect("serialisable")
                );
            }
            return;
        };
        let label = format!(
            "{} ({}) {}",
            desc.name,
            report.cfg.scenario.name(),
            report.cfg.run_label()
        );
        matrix::print_stop_notes(&label, report, false);
    }

    /// The server a single run answers for, and how its toggles are applied: the
    /// description's name and file, or the scenario's name (with its run label when toggled)
    /// and the command line.
    fn subject_of(&self, report: &RunReport) -> (String, answer::Source<'_>) {
        match &self.against {
            Against::Description { fname, desc, .. } => {
                (desc.name.clone(), answer::Source::File(fname))
            }
            Against::Spec if report.cfg.toggled.is_empty() => (
                report.cfg.scenario.name().to_string(),
                answer::Source::CommandLine,
            ),
            Against::Spec => (
                format!("{} {}", report.cfg.scenario.name(), report.cfg.run_label()),
                answer::Source::CommandLine,
            ),
        }
    }

    /// A single run's JSON object ([`Plan::run_json`]) with, for a description, its
    /// `description` and `file`, and the `answer` ([`answer::answer_json`]), printed once the
    /// remedy search has run.
    fn print_single_json(
        &self,
        report: &RunReport,
        cmp: &Comparison,
        exp: &Expectations,
        search: Option<&RemedySearch>,
    ) {
        let mut v = serde_json::to_value(self.run_json(report, cmp)).expect("serialisable");
        if let Against::Description { fname, desc, .. } = &self.against {
            v["description"] = serde_json::json!(desc.name);
            v["file"] = serde_json::json!(fname);
        }
        let (name, source) = self.subject_of(report);
        let dir = self.root.as_ref().map(|r| self.run_dir(r, report));
        v["answer"] = answer::answer_json(
            &name,
            source,
            report,
            &diagnose(report, exp, search),
            dir.as_deref(),
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&v).expect("serialisable")
        );
    }

    /// Prints the results on stdout once every run finished (not for `--json`): the answer
    /// first — for one run its verdict on the server and each defect
    /// ([`answer::print_answer`]), for the whole matrix one line per scenario — then, titled
    /// apart, the verdicts (the long table, or each scenario's compact matrix and the legend).
    /// `search` is the remedy search after a single run ([`remedy_search`]).
    fn print_results(
        &self,
        runs: &[(RunReport, Comparison)],
        exp: &Expectations,
        search: Option<&RemedySearch>,
    ) {
        if self.print == Print::Json {
            if let (false, Some((report, cmp))) = (self.whole_matrix, runs.first()) {
                self.print_single_json(report, cmp, exp, search);
            }
            return;
        }
        if self.whole_matrix {
            let baselines: Vec<&RunReport> = runs
                .iter()
                .map(|(r, _)| r)
                // The servers as built on Windows: the Wine rows are Wine's behaviour, not the
                // server's defects (docs/wine.md explains them).
                .filter(|r| r.cfg.toggled.is_empty() && !r.cfg.runtime.is_wine())
                .collect();
            let width = baselines
                .iter()
                .map(|r| r.cfg.scenario.name().len())
                .max()
                .unwrap_or(0);
            println!("The servers as built (each scenario's baseline run):");
            for r in baselines {
                println!(
                    "  {}",
                    answer::summary_line(width, r, &diagnose(r, exp, None))
                );
            }
        } else if let Some((report, _)) = runs.first() {
            let (name, source) = self.subject_of(report);
            let dir = self.root.as_ref().map(|r| self.run_dir(r, report));
            answer::print_answer(
                &name,
                source,
                report,
                &diagnose(report, exp, search),
                dir.as_deref(),
            );
        }
        let name = match &self.against {
            Against::Description { desc, .. } => Some(desc.name.as_str()),
            Against::Spec => None,
        };
        match self.print {
            Print::Compact => {
                matrix::print_matrix_title();
                let mut start = 0;
                for end in 1..=runs.len() {
                    let last = runs
                        .get(end)
                        .is_none_or(|(n, _)| n.cfg.scenario != runs[start].0.cfg.scenario);
                    if last {
                        matrix::print_compact(&runs[start..end]);
                        start = end;
                    }
                }
                matrix::print_legend(self.root.as_deref(), runs);
            }
            Print::Long => {
                println!("\nEvery verdict, property by property:");
                // The first column as wide as its longest name.
                let width = runs
                    .iter()
                    .map(|(r, _)| name.unwrap_or(r.cfg.scenario.name()).chars().count())
                    .fold("scenario".len(), usize::max);
                matrix::print_header(width);
                for (r, c) in runs {
                    matrix::print_rows(name, width, r, c);
                }
            }
            Print::Json => {}
        }
    }

    /// The directory of the traces of `report`'s run below `root`: `<scenario>/<run>`, or for
    /// a description `<name>/<run>` ([`traces::run_dir`]).
    fn run_dir(&self, root: &Path, report: &RunReport) -> PathBuf {
        self.dir_of(
            root,
            &report.cfg,
            Search::of_run(report.simulated, report.por),
        )
    }

    /// The directory of the traces of a run of `cfg` below `root`, by how it searches.
    fn dir_of(&self, root: &Path, cfg: &Config, search: Search) -> PathBuf {
        let top = match &self.against {
            Against::Spec => cfg.scenario.name(),
            Against::Description { desc, .. } => &desc.name,
        };
        traces::run_dir(root, top, cfg, search)
    }

    /// Checks, before anything runs, that every directory the plan writes into can be written:
    /// the trace directory's run directories and, with `--html DIR`, DIR (which must exist and
    /// not be the trace directory, [`traces::check_html_dir`]) and the run directories below it.
    ///
    /// # Errors
    /// A message naming the directory and what is wrong with it.
    fn check_output_dirs(&self) -> Result<(), String> {
        if let Some(html) = &self.html {
            traces::check_html_dir(html, self.root.as_deref())?;
        }
        let Some(root) = &self.root else {
            return Ok(());
        };
        let traces_flag = match (&self.against, self.traces_given) {
            (_, true) => "--traces DIR".to_string(),
            (Against::Description { fname, .. }, false) => {
                format!("the trace directory beside {fname}")
            }
            (Against::Spec, false) => "the trace directory".to_string(),
        };
        check_output_dir(&traces_flag, root)?;
        for job in &self.jobs {
            let search = Search::of_run(job.opts.simulate.is_some(), job.opts.por);
            let dir = self.dir_of(root, &job.cfg, search);
            check_output_dir(&traces_flag, &dir)?;
            if let Some(html) = &self.html {
                let rel = dir.strip_prefix(root).unwrap_or(&dir);
                check_output_dir("--html DIR", &html.join(rel))?;
            }
        }
        Ok(())
    }

    /// The name a run's output goes under: a server description's, or the scenario's.
    fn subject<'a>(&'a self, report: &'a RunReport) -> &'a str {
        match &self.against {
            Against::Spec => report.cfg.scenario.name(),
            Against::Description { desc, .. } => &desc.name,
        }
    }

    /// The runs known to be costly ([`comlife::verify::cost::costly`]): name and reason.
    fn costly(&self, exp: &Expectations) -> Vec<(String, String)> {
        self.jobs
            .iter()
            .filter_map(|j| {
                let why = costly(&j.cfg, &j.opts, exp)?;
                let name = match &self.against {
                    Against::Spec => j.cfg.scenario.name().to_string(),
                    Against::Description { fname, .. } => fname.clone(),
                };
                Some((format!("{name} {}", j.cfg.run_label()), why))
            })
            .collect()
    }

    /// The class names that traces show (a description's; none for a built-in scenario).
    fn class_names(&self) -> &[String] {
        match &self.against {
            Against::Spec => &[],
            Against::Description { desc, .. } => &desc.class_names,
        }
    }
}

/// `check`: exit status 0 when every verdict matches, 1 on a mismatch, 2 on bad usage, a bad
/// description or traces that cannot be written.
pub fn check(args: CheckArgs) -> ExitCode {
    let opts = match options(&args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let plan = match plan(args, opts) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if let Err(e) = plan.check_output_dirs() {
        return usage(e);
    }
    // Wine runs are compared with their own pins; the diagnosis claims no Windows finding for
    // them (model/verify/diagnosis.rs).
    let exp = Expectations::embedded();
    long_run::warn_costly(&plan.costly(&exp));
    execute(&plan, &exp)
}

/// The run options of the command line.
///
/// # Errors
/// Exit status 2 for a zero or too large bound.
fn options(args: &CheckArgs) -> Result<RunOptions, ExitCode> {
    let mut opts = RunOptions::default();
    if let Some(t) = args.threads {
        opts.threads = crate::check_threads(t).map_err(usage)?;
    }
    for (flag, v) in [
        ("--max-states", args.max_states),
        ("--max-depth", args.max_depth),
        ("--max-memory", args.max_memory.map(|m| m as usize)),
        ("--simulate", args.simulate.map(|r| r as usize)),
        ("--depth", Some(args.depth)),
    ] {
        if v == Some(0) {
            return Err(usage(format!("{flag} must be at least 1")));
        }
    }
    opts.max_states = args.max_states;
    opts.symmetry = !args.no_symmetry;
    opts.por = args.por;
    opts.max_depth = args.max_depth;
    // Without --max-memory, a share of the machine's memory (docs/checker.md).
    opts.max_memory = match args.max_memory.map(|m| m.checked_mul(1 << 20)) {
        Some(None) => return Err(usage("--max-memory is too large".into())),
        Some(Some(bytes)) => Some(MemoryBound::Given(bytes)),
        None => MemoryBound::machine_default(),
    };
    opts.simulate = args.simulate.map(|runs| Simulation {
        runs,
        seed: args.seed,
        depth: args.depth,
    });
    Ok(opts)
}

/// The plan of each form of `check`.
///
/// # Errors
/// Exit status 2 (the message printed) for an unknown scenario or toggle, a bad number of
/// clients or a bad description.
fn plan(args: CheckArgs, mut opts: RunOptions) -> Result<Plan, ExitCode> {
    let print = match (args.json, args.long) {
        (true, _) => Print::Json,
        (false, true) => Print::Long,
        (false, false) if args.file.is_none() && args.scenario.is_none() => Print::Compact,
        (false, false) => Print::Long,
    };
    // Each form's default trace directory, for neither --traces DIR nor --no-traces.
    let (jobs, whole_matrix, against, default_root) = if let Some(file) = &args.file {
        let (desc, cfg) =
            crate::read_description(file, &args.disable, &args.enable, args.runtime.as_deref())?;
        opts.max_states = args.max_states.or(desc.max_states);
        opts.max_depth = args.max_depth.or(desc.max_depth);
        let fname = file.display().to_string();
        let mut explore = format!("comlife explore {fname}");
        for (flag, names) in [("--disable", &args.disable), ("--enable", &args.enable)] {
            for n in names {
                explore.push_str(&format!(" {flag} {n}"));
            }
        }
        // `traces` beside the file.
        let root = Some(file.parent().unwrap_or(Path::new("")).join("traces"));
        let against = Against::Description {
            fname,
            desc: Box::new(desc),
            explore,
        };
        (vec![Job { cfg, opts }], false, against, root)
    } else if let Some(s) = &args.scenario {
        let cfg = crate::config(
            s,
            &args.disable,
            &args.enable,
            args.clients,
            args.runtime.as_deref(),
        )
        .map_err(usage)?;
        (vec![Job { cfg, opts }], false, Against::Spec, None)
    } else {
        Config::new(Scenario::LocalSta, ToggleSet::EMPTY, args.clients).map_err(usage)?;
        let canonical = args.clients == DEFAULT_CLIENTS
            && opts.max_states.is_none()
            && opts.max_depth.is_none()
            && args.max_memory.is_none()
            && opts.simulate.is_none()
            && opts.symmetry
            && !opts.por;
        // `traces` for the full matrix with default --clients and no bounds.
        let root = canonical.then(|| PathBuf::from("traces"));
        if !canonical && !args.no_traces && args.traces.is_none() {
            eprintln!("comlife: not a default run (--clients, bounds, --simulate, --no-symmetry or --por): traces are written only with --traces DIR");
        }
        if args.bless && !canonical {
            return Err(usage(
                "--bless pins the whole matrix with default options: drop --clients and the bounds"
                    .into(),
            ));
        }
        let jobs = comlife::description::builtin::matrix_configs(args.clients)
            .into_iter()
            .map(|cfg| Job { cfg, opts })
            .collect();
        (jobs, true, Against::Spec, root)
    };
    let traces_given = args.traces.is_some();
    let root = if args.no_traces {
        None
    } else {
        args.traces.or(default_root)
    };
    Ok(Plan {
        jobs,
        whole_matrix,
        print,
        against,
        root,
        traces_given,
        html: args.html,
        show: args.show_traces,
        bless: args.bless,
    })
}

/// Checks the plan's runs, writing each one's traces (and notes, and with `--json` its object)
/// as it finishes; then prints the answer and the verdicts ([`Plan::print_results`]), removes
/// stale traces, prints the totals, the traces (`--show-traces`), writes the HTML pages and
/// prints the regression line.
fn execute(plan: &Plan, exp: &Expectations) -> ExitCode {
    let total = plan.jobs.len();
    let started = std::time::Instant::now();
    let work = match (plan.whole_matrix, plan.jobs[0].opts.simulate) {
        (true, _) => Work::Runs(total as u64),
        (false, Some(sim)) => Work::Walks(sim.runs),
        (false, None) => Work::Explore,
    };
    let progress = Arc::new(Progress::new());
    let display = long_run::Display::start(work, Arc::clone(&progress));
    let bar = display.bar();
    let origin = match &plan.against {
        Against::Spec => None,
        Against::Description { desc, explore, .. } => Some(comlife::trace::itf_trace::Origin {
            name: &desc.name,
            explore,
            class_names: &desc.class_names,
        }),
    };
    let mut tally = Tally::default();
    // Every run, printed once all have finished (the answer comes first).
    let mut kept: Vec<(RunReport, Comparison)> = Vec::new();
    let mut written = BTreeSet::new();
    let mut run_dirs = Vec::new();
    let done = run_jobs(&plan.jobs, &progress, |i, report| -> Result<(), String> {
        let cfg = &plan.jobs[i].cfg;
        bar.set_message(format!("{} {}", cfg.scenario.name(), cfg.run_label()));
        let cmp = plan.compare(&report, exp);
        tally.add(&cmp);
        bar.suspend(|| plan.print_run(&report, &cmp));
        bar.inc(1);
        if let Some(root) = &plan.root {
            let dir = plan.run_dir(root, &report);
            written.extend(traces::write_report_in(&dir, &report, origin.as_ref())?);
            run_dirs.push(dir);
        }
        kept.push((report, cmp));
        Ok(())
    });
    if let Err(e) = done {
        return usage(e);
    }
    display.finish();
    let search = remedy_search(plan, &kept);
    plan.print_results(&kept, exp, search.as_ref());
    let traces_written = written.len() / traces::EXTENSIONS.len();
    if let Some(root) = &plan.root {
        // The whole matrix owns the whole trace directory; a single run its run's directory.
        if plan.whole_matrix {
            run_dirs = traces::existing_run_dirs(root);
        }
        if let Err(e) = traces::remove_stale(root, &run_dirs, &written) {
            return usage(e);
        }
    }
    if plan.whole_matrix {
        let mut summary = format!("{total} runs in {:.1} s", started.elapsed().as_secs_f64());
        if let Some(root) = &plan.root {
            summary += &format!("; {traces_written} traces in {}", root.display());
        }
        eprintln!("{summary}");
    } else if let Some(dir) = run_dirs.first() {
        eprintln!("{traces_written} traces in {}", dir.display());
    }
    if plan.show {
        for (r, _) in &kept {
            show_traces(r, plan.subject(r), plan.class_names());
        }
    }
    // A single run's pages come before its verdict line, the whole matrix's after it.
    if !plan.whole_matrix {
        if let Err(code) = write_pages(plan, &run_dirs) {
            return code;
        }
    }
    if plan.bless {
        let reports: Vec<RunReport> = kept.into_iter().map(|(r, _)| r).collect();
        return match bless_files(&reports) {
            Ok(msg) => {
                eprintln!("{msg}");
                ExitCode::SUCCESS
            }
            Err(e) => usage(e),
        };
    }
    let code = match &plan.against {
        Against::Spec => tally.finish(plan.print == Print::Json),
        Against::Description { fname, desc, .. } => {
            let (report, cmp) = kept.first().expect("one run");
            let dir = plan.root.as_ref().map(|r| plan.run_dir(r, report));
            finish_description(fname, desc, report, cmp, dir.as_deref(), plan.print)
        }
    };
    if plan.whole_matrix {
        if let Err(code) = write_pages(plan, &run_dirs) {
            return code;
        }
    }
    code
}

/// The remedy search after a single run (not the whole matrix), whose answer is printed or,
/// with `--json`, is part of the run's object: each applicable remedy checked in the run's configuration
/// ([`comlife::verify::remedies::search`]), with the run's options, its progress on stderr as
/// for the whole matrix. `None` when no answer is printed.
fn remedy_search(plan: &Plan, kept: &[(RunReport, Comparison)]) -> Option<RemedySearch> {
    if plan.whole_matrix {
        return None;
    }
    let (report, _) = kept.first()?;
    let progress = Arc::new(Progress::new());
    // The runs are counted as the search plans them: the single fixes, then any pairs.
    let display = long_run::Display::start(Work::Runs(0), Arc::clone(&progress));
    let bar = display.bar();
    bar.set_message("remedy search".to_string());
    let search = remedies::search(report, plan.jobs[0].opts, &progress, |e| match e {
        remedies::SearchEvent::Planned(k) => bar.inc_length(k as u64),
        remedies::SearchEvent::Done(r) => {
            bar.inc(1);
            bar.set_message(format!("remedy search: {} done", r.cfg.run_label()));
        }
    });
    display.finish();
    Some(search)
}

/// With `--html DIR`, writes the HTML page of every trace in `run_dirs` below the trace
/// directory into DIR.
///
/// # Errors
/// Exit status 2 (the message printed) when a trace does not read back or a page cannot be
/// written.
fn write_pages(plan: &Plan, run_dirs: &[PathBuf]) -> Result<(), ExitCode> {
    if let (Some(html), Some(root)) = (&plan.html, &plan.root) {
        let n = traces::write_pages(root, run_dirs, html).map_err(usage)?;
        eprintln!("{n} pages in {}", html.display());
    }
    Ok(())
}

/// The end of `check FILE.toml`: each verdict that differs from the description's `[expect]`
/// (stderr, with its trace), each expected verdict the run does not check, and the regression
/// line saying how many expected verdicts match (stdout, or stderr after JSON) — for a
/// simulation, how many it established and how many it cannot establish. Exit status 0 when
/// none differs, else 1.
fn finish_description(
    fname: &str,
    desc: &comlife::description::run::CheckRequest,
    report: &RunReport,
    cmp: &Comparison,
    dir: Option<&Path>,
    print: Print,
) -> ExitCode {
    let mut bad = 0;
    for (p, c) in report.properties.iter().zip(&cmp.properties) {
        if c.matches != Some(false) {
            continue;
        }
        bad += 1;
        let trace = match (dir, &p.trace) {
            (Some(d), Some(_)) => format!(
                "; trace: {}",
                d.join(format!("{}.md", p.def.name)).display()
            ),
            _ => String::new(),
        };
        eprintln!(
            "comlife: {fname}: {}: expected {}, got {}{trace}",
            p.def.name,
            c.expected.map_or("-", |v| v.name()),
            p.verdict.name()
        );
    }
    for n in desc.unchecked(report) {
        bad += 1;
        eprintln!("comlife: {fname}: {n}: expected a verdict, but the run does not check it");
    }
    let expected = desc.expect.len();
    if expected == 0 {
        eprintln!(
            "comlife: {fname}: nothing was compared: the file has no [expect] section (add one \
             with a line \"PROPERTY\" = \"holds\" or \"violated\" per property; `comlife new \
             --from NAME` prints an example)"
        );
        return ExitCode::SUCCESS;
    }
    let unestablished = cmp.not_established();
    let line = if report.simulated {
        format!(
            "regression check of {fname}'s [expect]: {} of {expected} expected verdicts \
             established by simulation and matching; {unestablished} cannot be established by \
             simulation (random walks establish only the violations and examples they find)",
            expected - bad - unestablished
        )
    } else {
        format!(
            "regression check of {fname}'s [expect]: {} of {expected} expected verdicts match ({})",
            expected - bad,
            if bad == 0 {
                "the model gives the verdicts the file pins; this is not a safety verdict: the answer above is"
            } else {
                "the model or the file changed: review the differences; this is not a safety verdict"
            }
        )
    };
    if print == Print::Json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints each trace of `report` as numbered steps under `subject` (the scenario's or a server
/// description's name), with a description's `class_names` (none for a built-in scenario) in
/// place of the model's.
fn show_traces(report: &RunReport, subject: &str, class_names: &[String]) {
    let model = build(report.cfg);
    for p in &report.properties {
        let Some(t) = &p.trace else { continue };
        println!(
            "\n{} / {} / {}: {} ({} steps)",
            subject,
            report.cfg.run_label(),
            p.def.name,
            if p.def.expectation == stateright::Expectation::Sometimes {
                "example"
            } else {
                "counterexample"
            },
            t.len()
        );
        for (i, a) in t.actions.iter().enumerate() {
            let step = action_phrase_in(&model, &t.states[i], a);
            println!(
                "  {:>2}. {}",
                i + 1,
                comlife::trace::state_text::rename_classes(&step, class_names)
            );
        }
    }
}

/// `check --bless`: rewrites spec/expectations.toml from `reports` (the whole matrix) and the
/// `[expect]` section of each built-in description from the new pins, in the source tree this
/// binary was built from, each through [`crate::output::write_atomic`].
///
/// # Errors
/// A message when the source tree is not where the build found it, when a run cannot be
/// pinned or a finding no longer applies ([`comlife::verify::expectations::bless`]), or when a
/// file cannot be written.
fn bless_files(reports: &[RunReport]) -> Result<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| {
            format!(
                "--bless rewrites the source tree this binary was built from: {}: {e}",
                p.display()
            )
        })
    };
    // Through the policy every file comlife writes follows (cli/fs_policy.rs).
    let write = crate::output::write_atomic;
    let exp_path = root.join("spec/expectations.toml");
    let blessed = comlife::verify::expectations::bless(&read(&exp_path)?, reports)?;
    let pins = Expectations::parse(&blessed)?;
    let mut builtins = Vec::new();
    for (s, (name, _)) in Scenario::ALL
        .into_iter()
        .zip(comlife::description::builtin::BUILTIN)
    {
        let path = root.join(format!("spec/scenarios/{name}.toml"));
        let text = read(&path)?;
        let at = text
            .find(comlife::description::builtin::EXPECT_COMMENT)
            .ok_or_else(|| format!("{}: no [expect] section to rewrite", path.display()))?;
        let section = comlife::description::builtin::expect_section(s, &pins)?;
        builtins.push((path, format!("{}{section}", &text[..at])));
    }
    write(&exp_path, &blessed)?;
    for (path, text) in &builtins {
        write(path, text)?;
    }
    Ok(format!(
        "pinned {} runs in spec/expectations.toml and the [expect] of {} built-in descriptions; review with git diff, then rebuild (the binary embeds them)",
        reports.len(),
        builtins.len()
    ))
}
