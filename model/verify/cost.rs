//! Which exhaustive runs are known to be costly, from measurement, so that `check` can say so
//! before it starts one rather than run for many minutes without a word.
//!
//! What is measured (docs/benchmarks.md): a third client multiplies a scenario's unique states
//! (classes, under symmetry reduction) by about 60 to 530 — service 33 928 → 2.11 M (29 s),
//! mfc-sta 6 397 → 586 066 (15 s on one thread), atl9-sta 9 132 → 1.12 M (24 s on one thread,
//! 0.15 GB), local-sta 112 424 → 16.3 M (58 s on two cores, 0.6 GB), local-multi-sta
//! 72 647 → 15.1 M (70–80 s on two threads, 0.56 GB; before F-11's correction of the SCM it
//! was 73 223 → 38.6 M, 245 s, 1.4 GB: issue 21's measurements). A condition such as client death multiplies the two-client
//! count first (local-sta: 112 424 → 625 823; atl9-sta with client death and three clients
//! passed 3 M states after 150 s on one thread). So a three-client
//! run whose two-client run has [`COSTLY_TWO_CLIENT_STATES`] or more unique states has millions
//! of states: minutes and gigabytes.

use crate::com::config::Config;
use crate::com::scenario::Scenario;
use crate::com::toggle_set::ToggleSet;
use crate::verify::check::RunOptions;
use crate::verify::expectations::Expectations;

/// The two-client unique states (as spec/expectations.toml pins them) from which the same run
/// with three clients is known to be costly: at least about 3 M states, a minute or more and
/// half a gigabyte or more (see the module documentation for the measurements).
pub const COSTLY_TWO_CLIENT_STATES: usize = 50_000;

/// The two-client unique states from which the same run with four clients is known to be
/// costly: each further client multiplies the states by 60 or more (module documentation), so
/// a thousand two-client states are millions with four clients.
pub const FOUR_CLIENT_BOUND: usize = 1_000;

/// Why the exhaustive run of `cfg` with `opts` is known to be costly, or `None` when it is
/// not (or is a simulation, whose cost `--simulate RUNS` bounds). The two-client count is the
/// one `pinned` pins for the same scenario, runtime and toggles, else for the scenario's baseline (a
/// run outside the matrix, or a server description with its own layout).
pub fn costly(cfg: &Config, opts: &RunOptions, pinned: &Expectations) -> Option<String> {
    if opts.simulate.is_some() || cfg.clients < 3 || cfg.scenario == Scenario::Inproc {
        return None;
    }
    let two = pinned
        .states_on(cfg.scenario, cfg.runtime, cfg.toggled)
        .or_else(|| pinned.states(cfg.scenario, ToggleSet::EMPTY))?;
    // A fourth client multiplies again: every four-client run of a scenario with more than a
    // few thousand two-client states is beyond one machine.
    if two < COSTLY_TWO_CLIENT_STATES && (cfg.clients == 3 || two < FOUR_CLIENT_BOUND) {
        return None;
    }
    let symmetry = if opts.symmetry {
        "symmetry reduction is on"
    } else {
        "without symmetry reduction (--no-symmetry) it is larger still"
    };
    let advice = match (opts.max_states, opts.max_depth) {
        (None, None) => {
            "For a quicker answer take random walks (--simulate 20000) or bound the \
                         search (--max-states N, --max-depth N)"
        }
        _ => {
            "This run is bounded, so it stops early with unknown verdicts; random walks \
              (--simulate 20000) reach beyond such a bound"
        }
    };
    let growth = if cfg.clients == 3 {
        "a third client multiplies that by about 60 to 530"
    } else {
        "a third client multiplies that by about 60 to 530 and a fourth by as much again, \
         beyond what one machine holds"
    };
    Some(format!(
        "with {} clients this run is known to be costly: with {} clients it has {two} unique \
         states, and {growth} (measured on 2 cores: local-sta 16.3 M classes in 5 to 8 s \
         and 0.6 GB, local-multi-sta 15.1 M classes in 5 to 8 s and 0.5 GB; \
         docs/benchmarks.md); {symmetry}. {advice}",
        cfg.clients,
        crate::com::config::DEFAULT_CLIENTS
    ))
}
