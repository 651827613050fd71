//! Traces: states and steps in COM terms, ITF export, replay against the model, and the
//! narrative rendering of a trace.

pub mod describe;
pub mod itf;
pub mod meta;
pub mod narrative;
pub mod replay;
