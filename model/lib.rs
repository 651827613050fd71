//! comlife: an executable formal specification of COM server lifetime management.
//!
//! The model is a stateright `Model` of clients, the SCM and local (EXE) server processes
//! with their apartment threads and COM runtime ([`com::system::assemble`], checked as
//! [`verify::model::build`]). model/ is in layers, each importing only from those before it:
//! what is modeled ([`com`]); how it is checked ([`verify`]); server descriptions in TOML
//! ([`description`]) and traces ([`trace`]), both on com and verify; the CLI (cli/) on top.
//! tests/layering.rs keeps the layers. Inside the crate every path is a full one
//! (`crate::com::server::…`); so is the public API (`comlife::verify::check::run`).
//!
//! Its rules are in spec/rules.md, each cited to the source documents (README.md, "Sources");
//! the properties that check them are in [`verify::properties`]; [`verify::check`] explores
//! every interleaving and derives shortest counterexamples.

#![warn(missing_docs)]

pub mod com;
pub mod description;
pub mod trace;
pub mod verify;

/// mimalloc as the allocator: exploration allocates and frees millions of small states across
/// threads, where it is markedly faster than the system allocator (measured with `comlife bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
/// on the whole two-client `check`: about 7 % less time (twice the kernel's time saved), and a
/// peak about 85 MiB higher (docs/benchmarks.md, "The allocator keeps its freed pages").
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
