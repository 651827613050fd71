//! comlife: an executable formal specification of COM server lifetime management.
//!
//! The model is a stateright `ActorModel` of clients, the SCM and local (EXE) server processes
//! with their apartment threads and COM runtime ([`com::system::assemble`], checked as [`verify::model::build`]). model/ is in three parts:
//! what is modeled ([`com`]), how it is checked ([`verify`]) and traces ([`trace`]). Its rules are in
//! spec/rules.md, each cited to the source documents (README.md, "Sources"); the properties that
//! check them are in [`properties`]; [`check`] explores every interleaving and derives shortest
//! counterexamples.

#![warn(missing_docs)]

pub mod com;
pub mod description;
pub mod trace;
pub mod verify;

// The modules keep their short paths (`comlife::server`, `crate::check`, …): the folders show the
// architecture, the paths stay stable for the CLI, the tests and the documentation.
pub use com::{
    actor, client, config, framework, hresult, inproc, msg, rules, scm, server, service, state,
    system,
};
pub use trace::{describe, html, itf, meta, narrative, replay};
pub use verify::{check, expectations, properties, search, simulate, symmetry, tables};

/// mimalloc as the allocator: exploration allocates and frees millions of small states across
/// threads, where it is markedly faster than the system allocator (measured with `comlife bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
