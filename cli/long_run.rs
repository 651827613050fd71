//! What a long `check` says while it runs, on stderr: a warning before a run known to be costly
//! ([`comlife::verify::cost::costly`]), and progress — unique states, depth, states per second,
//! resident memory, and for random walks the walks done and an estimate of the time left.
//!
//! Progress appears only once a check has run for [`QUIET`], so short runs print nothing. On a
//! terminal it is an indicatif line that is redrawn in place (the caller prints through
//! [`ProgressBar::suspend`] so it never interleaves with the output); when stderr is not a
//! terminal (a pipe, a CI log), a plain line every [`PLAIN_EVERY`] instead, or every
//! `COMLIFE_PROGRESS_SECS` seconds when that environment variable is set.

use comlife::verify::memory::resident_bytes;
use comlife::verify::progress::{Counts, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a check runs before progress is shown.
pub const QUIET: Duration = Duration::from_secs(1);

/// How often a plain progress line is printed when stderr is not a terminal.
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// How often the display is updated.
const TICK: Duration = Duration::from_millis(200);

/// The environment variable that sets the interval of the plain progress lines, in seconds
/// (a positive number; anything else is ignored).
pub const PLAIN_EVERY_VAR: &str = "COMLIFE_PROGRESS_SECS";

/// What is being checked, for the display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Several runs (the whole matrix): the display counts the runs finished.
    Runs(u64),
    /// One exhaustive run.
    Explore,
    /// Random walks, this many in all.
    Walks(u64),
}

/// The progress display of one `check`: its bar (through which the caller prints, and which
/// counts finished runs for [`Work::Runs`]) and the thread that updates it.
pub struct Display {
    bar: ProgressBar,
    stop: Option<mpsc::Sender<()>>,
    ticker: Option<JoinHandle<()>>,
}

impl Display {
    /// Starts showing the progress of `work`, as `progress` counts it.
    pub fn start(work: Work, progress: Arc<Progress>) -> Display {
        let template = match work {
            Work::Runs(_) => "[{pos}/{len}] {msg} · {prefix} ({elapsed})",
            Work::Explore => "{spinner} {prefix} ({elapsed})",
            Work::Walks(_) => "{spinner} {prefix} ({elapsed}, about {eta} left)",
        };
        let len = match work {
            Work::Runs(n) | Work::Walks(n) => n,
            Work::Explore => 0,
        };
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden())
            .with_style(ProgressStyle::with_template(template).expect("valid template"));
        let plain_every = std::env::var(PLAIN_EVERY_VAR)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map_or(PLAIN_EVERY, Duration::from_secs_f64);
        let (stop, stopped) = mpsc::channel::<()>();
        let ticker = {
            let bar = bar.clone();
            std::thread::spawn(move || tick(&bar, work, &progress, plain_every, &stopped))
        };
        Display {
            bar,
            stop: Some(stop),
            ticker: Some(ticker),
        }
    }

    /// The bar: print through [`ProgressBar::suspend`]; for [`Work::Runs`], `inc` it per run
    /// finished and set its message to the run's name.
    pub fn bar(&self) -> &ProgressBar {
        &self.bar
    }

    /// Stops the display and clears its line.
    pub fn finish(mut self) {
        self.stop_ticker();
        self.bar.finish_and_clear();
    }

    fn stop_ticker(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Display {
    /// Stops the display of a check that ended early (an error) too.
    fn drop(&mut self) {
        self.stop_ticker();
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

/// The display thread: after [`QUIET`], shows the bar on a terminal, or prints a plain line
/// every `plain_every` elsewhere, until `stopped` says the check is over.
fn tick(
    bar: &ProgressBar,
    work: Work,
    progress: &Progress,
    plain_every: Duration,
    stopped: &mpsc::Receiver<()>,
) {
    let start = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut shown = false;
    let mut next_plain = plain_every.max(QUIET);
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
        let elapsed = start.elapsed();
        if elapsed < QUIET {
            continue;
        }
        let counts = progress.counts();
        let rss = resident_bytes();
        if let Work::Walks(_) = work {
            bar.set_position(counts.walks);
        }
        if terminal {
            bar.set_prefix(summary(work, counts, elapsed, rss));
            if !shown {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(TICK);
                shown = true;
            }
        } else if elapsed >= next_plain {
            // The runs planned may grow (the remedy search's pairs): the bar's length says.
            let now = match work {
                Work::Runs(n) => Work::Runs(bar.length().unwrap_or(n)),
                w => w,
            };
            eprintln!(
                "comlife: {}",
                plain_line(now, counts, bar.position(), elapsed, rss)
            );
            next_plain += plain_every;
        }
    }
}

/// The counts in words: "1234567 states, depth 24, 98765 states/s, 812 MiB", and for walks
/// "5120/20000 walks, " before it.
pub fn summary(work: Work, c: Counts, elapsed: Duration, rss: Option<u64>) -> String {
    let secs = elapsed.as_secs_f64().max(1e-3);
    let mut s = match work {
        Work::Walks(total) => format!("{}/{total} walks, ", c.walks),
        _ => String::new(),
    };
    s += &format!(
        "{} states, depth {}, {:.0} states/s",
        c.states,
        c.depth,
        c.states as f64 / secs
    );
    if let Some(rss) = rss {
        s += &format!(", {} MiB", rss >> 20);
    }
    s
}

/// A plain progress line, for a log: the elapsed time, the runs done of the whole matrix
/// (`done`, for [`Work::Runs`]), the [`summary`], and for walks an estimate of the time left
/// (from the walks done so far).
pub fn plain_line(work: Work, c: Counts, done: u64, elapsed: Duration, rss: Option<u64>) -> String {
    let mut s = format!("{:.0} s: ", elapsed.as_secs_f64());
    if let Work::Runs(total) = work {
        s += &format!("{done}/{total} runs done; ");
    }
    s += &summary(work, c, elapsed, rss);
    if let Work::Walks(total) = work {
        if c.walks > 0 {
            let left =
                elapsed.as_secs_f64() * (total.saturating_sub(c.walks)) as f64 / c.walks as f64;
            s += &format!(", about {left:.0} s left");
        }
    }
    s
}

/// Runs named in the warning about several costly runs.
const NAMED: usize = 4;

/// Prints on stderr, before anything runs, why the runs among `costly` (a run's name and the
/// reason, from [`comlife::verify::cost::costly`]) are known to be costly: the reason for one
/// run, or for several runs (the whole matrix) how many there are, the first [`NAMED`] names
/// and the first one's reason.
pub fn warn_costly(costly: &[(String, String)]) {
    let Some((first, why)) = costly.first() else {
        return;
    };
    if costly.len() == 1 {
        eprintln!("comlife: warning: {first}: {why}.");
        return;
    }
    let mut names: Vec<&str> = costly.iter().take(NAMED).map(|(n, _)| n.as_str()).collect();
    if costly.len() > NAMED {
        names.push("…");
    }
    eprintln!(
        "comlife: warning: {} runs are known to be costly ({}); {first}: {why}.",
        costly.len(),
        names.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_name_states_depth_rate_memory_and_time_left() {
        let c = Counts {
            states: 200_000,
            depth: 17,
            walks: 0,
        };
        let s = plain_line(
            Work::Explore,
            c,
            0,
            Duration::from_secs(20),
            Some(300 << 20),
        );
        assert_eq!(s, "20 s: 200000 states, depth 17, 10000 states/s, 300 MiB");
        let s = plain_line(Work::Runs(209), c, 12, Duration::from_secs(20), None);
        assert_eq!(
            s,
            "20 s: 12/209 runs done; 200000 states, depth 17, 10000 states/s"
        );
        let w = Counts { walks: 250, ..c };
        let s = plain_line(Work::Walks(1000), w, 0, Duration::from_secs(10), None);
        assert_eq!(
            s,
            "10 s: 250/1000 walks, 200000 states, depth 17, 20000 states/s, about 30 s left"
        );
    }
}
