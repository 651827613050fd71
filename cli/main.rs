//! `comlife`: check the COM server-lifetime model, list its parts, benchmark it.

mod bench;
mod list;
mod matrix;

use clap::{Parser, Subcommand};
use comlife::check::{run, RunOptions};
use comlife::config::{Config, Mechanism, MechanismSet, Scenario, DEFAULT_CLIENTS};
use comlife::expectations::Expectations;
use comlife::search::describe_action;
use comlife::system::build;
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
    /// Exit status 0 when every verdict matches, 1 on a mismatch, 2 on bad usage.
    Check(CheckArgs),
    /// List scenarios, mechanisms and properties.
    List {
        /// Print JSON.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print Markdown tables (the generated part of README.md and spec/).
        #[arg(long)]
        markdown: bool,
    },
    /// Measure unique states, states per second and peak memory per scenario.
    Bench {
        /// Only this scenario.
        #[arg(long)]
        scenario: Option<String>,
        /// Number of clients.
        #[arg(long, default_value_t = DEFAULT_CLIENTS)]
        clients: usize,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Run one scenario (local-sta, local-mta).
    #[arg(long)]
    scenario: Option<String>,
    /// Disable a mechanism (repeatable); needs --scenario.
    #[arg(long = "disable", requires = "scenario")]
    disable: Vec<String>,
    /// Number of clients (1-3).
    #[arg(long, default_value_t = DEFAULT_CLIENTS)]
    clients: usize,
    /// Print one JSON object (with --scenario).
    #[arg(long, requires = "scenario")]
    json: bool,
    /// Print each counterexample and example as numbered steps.
    #[arg(long)]
    show_traces: bool,
    /// Worker threads for exploration (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Stop after this many unique states (the run is then incomplete).
    #[arg(long)]
    max_states: Option<usize>,
    /// Do not explore beyond this depth (the run is then incomplete).
    #[arg(long)]
    max_depth: Option<usize>,
}

/// A usage error: printed and mapped to exit status 2.
fn usage(msg: String) -> ExitCode {
    eprintln!("comlife: {msg}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::List { json, markdown } => list::print(json, markdown),
        Command::Bench { scenario, clients } => bench::run_bench(scenario, clients),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let mut opts = RunOptions::default();
    if let Some(t) = args.threads {
        if t == 0 {
            return usage("--threads must be at least 1".into());
        }
        opts.threads = t;
    }
    for (flag, v) in [
        ("--max-states", args.max_states),
        ("--max-depth", args.max_depth),
    ] {
        if v == Some(0) {
            return usage(format!("{flag} must be at least 1"));
        }
    }
    opts.max_states = args.max_states;
    opts.max_depth = args.max_depth;
    let expectations = Expectations::embedded();

    let Some(sname) = args.scenario else {
        if let Err(e) = Config::new(Scenario::LocalSta, MechanismSet::EMPTY, args.clients) {
            return usage(e);
        }
        return matrix::run_all(args.clients, opts, &expectations, args.show_traces);
    };
    let scenario = match Scenario::parse(&sname) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let mut disabled = MechanismSet::EMPTY;
    for d in &args.disable {
        match Mechanism::parse(d) {
            Ok(m) => disabled = disabled.with(m),
            Err(e) => return usage(e),
        }
    }
    let cfg = match Config::new(scenario, disabled, args.clients) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let report = run(cfg, opts);
    let pinned = args.clients == DEFAULT_CLIENTS;
    let mismatches = matrix::mismatches(&report, &expectations, pinned);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).expect("serialisable")
        );
    } else {
        matrix::print_header();
        matrix::print_rows(&report, &expectations, pinned);
    }
    if args.show_traces {
        show_traces(&report);
    }
    if mismatches > 0 {
        eprintln!("comlife: {mismatches} verdict(s) differ from spec/expectations.toml");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints each trace of `report` as numbered steps.
pub fn show_traces(report: &comlife::check::RunReport) {
    let model = build(report.cfg);
    for p in &report.properties {
        let Some(t) = &p.trace else { continue };
        println!(
            "\n{} / {} / {}: {} ({} steps)",
            report.cfg.scenario.name(),
            report.cfg.disabled.label(),
            p.def.name,
            if p.def.expectation == stateright::Expectation::Sometimes {
                "example"
            } else {
                "counterexample"
            },
            t.len()
        );
        for (i, a) in t.actions.iter().enumerate() {
            println!("  {:>2}. {}", i + 1, describe_action(&model, a));
        }
    }
}
