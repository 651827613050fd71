//! Traces: states and steps in COM terms, ITF export with its typed `#meta`, replay against the
//! model, and rendering (Markdown narrative, HTML viewer).

pub mod html;
pub mod itf_trace;
pub mod meta;
pub mod narrative;
pub mod replay;
pub mod state_text;
