//! Server descriptions: a COM developer's own server, described in TOML (the server's kind,
//! the framework whose lifetime code it runs, its apartments and classes with their
//! registration flags, its clients, the mechanisms toggled, the verdicts expected), read into
//! the run of the model that checks it.
//!
//! One job per file:
//! - [`format`](mod@format): the TOML format (serde types, [`format::Description::parse`], the JSON Schema)
//!   and where an error is: `FILE:LINE:COLUMN: what is wrong; valid choices: …`, as a compiler
//!   says it;
//! - [`validate`]: what the text means, checked value by value and mapped to a
//!   [`run::CheckRequest`] ([`format::Description::to_request`]);
//! - [`shape`]: which server shapes the model has, decided in one place
//!   ([`shape::scenario_of`]): a shape it does not have is refused with the shapes it has;
//! - [`builtin`]: the built-in descriptions (spec/scenarios/NAME.toml, one per scenario),
//!   embedded ([`builtin::BUILTIN`]); each maps to its scenario's baseline;
//! - [`run`]: what a description asks to check ([`run::CheckRequest`]) and which of its
//!   expectations a run did not check.
//!
//! A layer of its own, above what is modeled ([`crate::com`]) and how it is checked
//! ([`crate::verify`]): a description names properties and their verdicts.

pub mod builtin;
pub mod format;
pub mod run;
pub mod shape;
pub mod validate;
