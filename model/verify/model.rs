//! The model that is checked: com's system ([`assemble`]) with the properties that apply to
//! its scenario.

use crate::com::config::Config;
use crate::com::system::{assemble, ComModel};
use crate::verify::properties::{PropertyDef, PROPERTIES};

/// Builds the model for `cfg`: the system [`assemble`] makes, with every property that applies
/// to the scenario ([`properties_of`]).
pub fn build(cfg: Config) -> ComModel {
    let mut model = assemble(cfg);
    for p in properties_of(&cfg) {
        model = model.property(p.expectation.clone(), p.name, p.condition);
    }
    model
}

/// The properties checked for `cfg`, in [`PROPERTIES`] order: the model [`build`] makes has
/// exactly these, in this order, so a checker pairs the model's `properties()` with them by
/// position.
pub fn properties_of(cfg: &Config) -> Vec<&'static PropertyDef> {
    property_indices(cfg)
        .into_iter()
        .map(|i| &PROPERTIES[i])
        .collect()
}

/// The indices in [`PROPERTIES`] of the properties checked for `cfg`, ascending
/// ([`properties_of`]).
pub fn property_indices(cfg: &Config) -> Vec<usize> {
    (0..PROPERTIES.len())
        .filter(|&i| (PROPERTIES[i].applies)(cfg.scenario))
        .collect()
}
