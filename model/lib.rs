//! comlife: an executable formal specification of COM server lifetime management.
//!
//! The model is a stateright `ActorModel` of clients, the SCM and local (EXE) server processes
//! with their apartment threads and COM runtime ([`system::build`]). Its rules are in
//! spec/rules.md, each cited to the source documents (README.md, "Sources"); the properties that
//! check them are in [`properties`]; [`check`] explores every interleaving and derives shortest
//! counterexamples.

#![warn(missing_docs)]

pub mod actor;
pub mod check;
pub mod client;
pub mod config;
pub mod describe;
pub mod description;
pub mod expectations;
pub mod framework;
pub mod hresult;
pub mod inproc;
pub mod itf;
pub mod msg;
pub mod narrative;
pub mod properties;
pub mod replay;
pub mod rules;
pub mod scm;
pub mod search;
pub mod server;
pub mod service;
pub mod simulate;
pub mod state;
pub mod symmetry;
pub mod system;
pub mod tables;

/// mimalloc as the allocator: exploration allocates and frees millions of small states across
/// threads, where it is markedly faster than the system allocator (measured with `comlife bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
