//! Running many runs: a pool of workers that checks a list of runs ([`Job`]s) and hands their
//! reports over in the list's order, whatever the number of workers.

use crate::com::config::Config;
use crate::verify::check::{run_with_progress, RunOptions, RunReport};
use crate::verify::memory::MemoryBound;
use crate::verify::progress::Progress;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// One run to check: the configuration and its bounds.
#[derive(Clone, Copy, Debug)]
pub struct Job {
    /// What is run: scenario, toggles, clients and layout.
    pub cfg: Config,
    /// Its bounds and parallelism ([`run_jobs`] decides the threads of each run).
    pub opts: RunOptions,
}

/// Checks every job and calls `each` with its index and report, in the order of `jobs`; stops
/// at the first error `each` returns (no worker starts another run then) and returns it.
///
/// The runs are independent, so with N = the largest `opts.threads` > 1 they are spread over
/// up to N workers, each exploring one run at a time on one thread (most runs are small, and
/// one run per core keeps every core busy where a run's own parallel search would wait at the
/// end of each level); the reports are handed over in order, so what `each` sees does not
/// depend on N. A single job, or any job with a memory bound given for it
/// ([`MemoryBound::Given`], a bound on the process's resident memory while it runs), runs
/// alone on its own threads; the default bound ([`MemoryBound::Default`]) bounds the whole
/// process, so runs under it are spread as any others, and each run that finds the process
/// above it stops. Every run advances `progress`.
///
/// # Errors
/// The first error `each` returns.
pub fn run_jobs<E>(
    jobs: &[Job],
    progress: &Progress,
    mut each: impl FnMut(usize, RunReport) -> Result<(), E>,
) -> Result<(), E> {
    let total = jobs.len();
    let threads = jobs.iter().map(|j| j.opts.threads).max().unwrap_or(1);
    // Under a given memory bound the runs go one at a time, so the bound applies to one run,
    // as it does for a single run.
    let workers = if jobs
        .iter()
        .any(|j| matches!(j.opts.max_memory, Some(MemoryBound::Given(_))))
    {
        1
    } else {
        threads.clamp(1, total.max(1))
    };
    let next = AtomicUsize::new(0);
    let mut failed = None;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..workers {
            let (tx, next) = (tx.clone(), &next);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let opts = RunOptions {
                    threads: if workers > 1 { 1 } else { job.opts.threads },
                    ..job.opts
                };
                if tx
                    .send((i, run_with_progress(job.cfg, opts, progress)))
                    .is_err()
                {
                    break;
                }
            });
        }
        drop(tx);
        // Reports by index until their turn comes.
        let mut waiting = BTreeMap::new();
        let mut i = 0;
        for (j, report) in rx {
            waiting.insert(j, report);
            while let Some(report) = waiting.remove(&i) {
                if let Err(e) = each(i, report) {
                    failed = Some(e);
                    // No worker starts another run; the receiver is dropped on return.
                    next.store(total, Ordering::Relaxed);
                    return;
                }
                i += 1;
            }
        }
    });
    failed.map_or(Ok(()), Err)
}
