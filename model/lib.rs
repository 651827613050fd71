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
