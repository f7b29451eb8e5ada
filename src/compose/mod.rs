//! Compose files both ways. Reading ([`load`]) turns a file into a plan of
//! netrig specs and [`up::up`] brings the plan up in a run; writing
//! ([`gather::gather`], then [`export::to_compose`]) turns what a run made
//! into a Compose file. Everything but `up` and `gather` is pure.

pub mod error;
pub mod export;
pub mod fields;
pub mod gather;
pub mod interpolate;
pub mod load;
pub mod networks;
pub mod order;
pub mod plan;
pub mod schema;
pub mod services;
pub mod source;
pub mod typed;
pub mod up;

#[cfg(test)]
mod tests;

pub use error::{ComposeError, Position, Problem};
pub use load::{load, load_str};
pub use plan::{
    CmdOverride, Condition, Dependency, LoadOptions, Plan, PlannedNetwork, PlannedService,
};
