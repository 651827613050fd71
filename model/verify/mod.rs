//! How the model is checked: the properties beside the rules they check, the one-pass
//! exploration with shortest traces, random walks, symmetry reduction, the expected verdicts
//! and the tables generated from them.

pub mod acyclic;
pub mod check;
pub mod conform;
pub mod cost;
pub mod diagnosis;
pub mod expectations;
pub mod families;
pub mod findings;
pub mod matrix;
pub mod memory;
pub mod model;
pub mod por;
pub mod progress;
pub mod properties;
pub mod queries;
pub mod remedies;
pub mod search;
pub mod simulate;
pub mod sleep;
pub mod symmetry;
pub mod tables;
pub mod visited;
pub mod workers;
