//! The memory a check may use: the process's resident memory, the memory of the machine (or of
//! the control group the process runs in, when that is smaller), and the bound that stops an
//! exploration cleanly, with `unknown` verdicts and a message, before the machine runs out.
//! Also the allocator's policy for the pages it frees ([`keep_freed_pages`]).

/// The share of the machine's memory ([`machine_bytes`]) that the default bound allows:
/// numerator and denominator (3/4). The rest is left to the operating system and the other
/// processes, and to the last chunk of states expanded before the bound is checked again.
pub const DEFAULT_SHARE: (u64, u64) = (3, 4);

/// A bound on the process's resident memory, in bytes, and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryBound {
    /// Given on the command line (`--max-memory MIB`): it bounds one run, so runs under it go
    /// one at a time ([`crate::verify::matrix::run_jobs`]).
    Given(u64),
    /// The default, [`DEFAULT_SHARE`] of the machine's memory: it bounds the whole process,
    /// whatever number of runs it checks at once.
    Default {
        /// The bound, in bytes.
        bytes: u64,
        /// The machine's memory it is a share of, in bytes ([`machine_bytes`]).
        machine: u64,
    },
}

impl MemoryBound {
    /// The default bound: [`DEFAULT_SHARE`] of [`machine_bytes`]; `None` where the machine's
    /// memory cannot be read.
    pub fn machine_default() -> Option<MemoryBound> {
        let machine = machine_bytes()?;
        let (num, den) = DEFAULT_SHARE;
        Some(MemoryBound::Default {
            bytes: machine / den * num,
            machine,
        })
    }

    /// The bound in bytes.
    pub fn bytes(self) -> u64 {
        match self {
            MemoryBound::Given(b) | MemoryBound::Default { bytes: b, .. } => b,
        }
    }

    /// The bound in words, e.g. "--max-memory 512 MiB" or "the default memory bound of
    /// 18078 MiB (3/4 of this machine's 24105 MiB)".
    pub fn describe(self) -> String {
        match self {
            MemoryBound::Given(b) => format!("--max-memory {} MiB", b >> 20),
            MemoryBound::Default { bytes, machine } => format!(
                "the default memory bound of {} MiB ({}/{} of this machine's {} MiB)",
                bytes >> 20,
                DEFAULT_SHARE.0,
                DEFAULT_SHARE.1,
                machine >> 20
            ),
        }
    }

    /// The message of a run stopped by this bound at `rss` bytes resident, after `unique`
    /// unique states at depth `depth`: what happened, what it means for the verdicts, and how
    /// to go on.
    pub fn stop_message(self, rss: u64, unique: usize, depth: usize) -> String {
        format!(
            "stopped at {} MiB resident, above {}, after {unique} unique states at depth \
             {depth}; verdicts not established are unknown. Give more memory with --max-memory \
             MIB, bound the search (--max-states, --max-depth) or take random walks \
             (--simulate RUNS)",
            rss >> 20,
            self.describe()
        )
    }
}

/// The resident memory of this process in bytes (Linux, from /proc/self/statm; `None`
/// elsewhere).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// The size of a memory page in bytes (4096 where it cannot be read).
fn page_size() -> u64 {
    // SAFETY: sysconf only reads a system constant.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).ok().filter(|&s| s > 0).unwrap_or(4096)
}

/// The memory this process can have, in bytes: the machine's physical memory
/// (`sysconf(_SC_PHYS_PAGES)` × page size), or the limit of its control group
/// (/sys/fs/cgroup/memory.max, cgroup v2) when that is smaller, as in a container. `None` when
/// neither can be read.
pub fn machine_bytes() -> Option<u64> {
    // SAFETY: sysconf only reads a system constant.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    let physical = u64::try_from(pages)
        .ok()
        .filter(|&p| p > 0)
        .map(|p| p * page_size());
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    match (physical, cgroup) {
        (Some(p), Some(c)) => Some(p.min(c)),
        (p, c) => p.or(c),
    }
}

/// mimalloc's `mi_option_purge_delay`: its index in `mi_option_t` (mimalloc 3's `mimalloc.h`,
/// as libmimalloc-sys 0.1.49 builds it; the bindings name no constant for it). Its default is
/// 1 000 ms; -1 never purges.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The environment variable by which a user sets mimalloc's purge delay (milliseconds; -1
/// never purges), which [`keep_freed_pages`] leaves in force.
pub const PURGE_DELAY_VAR: &str = "MIMALLOC_PURGE_DELAY";

/// Tells the allocator to keep the pages it frees for reuse rather than return them to the
/// operating system a second after (mimalloc's purge delay -1), unless [`PURGE_DELAY_VAR`]
/// sets the delay. A process that checks many runs frees one run's states and allocates the
/// next run's: with purging, the kernel zeroes every page again on its first touch. Measured
/// on the whole two-client `check`: about 7 % less time (the kernel's share halved), and a
/// peak 85–110 MiB higher (docs/benchmarks.md, "The allocator keeps its freed pages"). The
/// resident memory that a [`MemoryBound`] reads then includes freed pages kept for reuse.
pub fn keep_freed_pages() {
    if std::env::var_os(PURGE_DELAY_VAR).is_none() {
        // SAFETY: mi_option_set only stores the value in mimalloc's option table; the index
        // is checked against the option's default by a test below.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
    }
}

#[cfg(test)]
mod tests {
    /// The index names the purge delay: mimalloc 3's default of 1 000 ms is read there (no
    /// test calls `keep_freed_pages`; the environment of the test may set the delay).
    #[test]
    fn the_purge_delay_index_reads_mimallocs_purge_delay() {
        if std::env::var_os(super::PURGE_DELAY_VAR).is_none() {
            // SAFETY: mi_option_get reads mimalloc's option table.
            let v = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
            assert_eq!(v, 1000);
        }
    }
}
