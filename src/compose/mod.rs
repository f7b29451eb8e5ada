//! Compose files both ways: read one into a plan of netrig specs
//! ([`load`]), and write what a run made as a Compose file. Pure: nothing
//! here talks to Docker.

pub mod error;
pub mod fields;
pub mod interpolate;
pub mod load;
pub mod networks;
pub mod order;
pub mod plan;
pub mod schema;
pub mod services;
pub mod source;
pub mod typed;

#[cfg(test)]
mod tests;

pub use error::{ComposeError, Position, Problem};
pub use load::{load, load_str};
pub use plan::{
    CmdOverride, Condition, Dependency, LoadOptions, Plan, PlannedNetwork, PlannedService,
};
