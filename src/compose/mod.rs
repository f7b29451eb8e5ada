//! Compose files both ways. Reading ([`load`]) turns a file into a plan of
//! netrig specs and [`up::up`] brings the plan up in a run; writing
//! ([`gather::gather`], then [`export::to_compose`]) turns what a run made
//! into a Compose file. Everything but `up` and `gather` is pure.

pub(crate) mod error;
pub(crate) mod export;
pub(crate) mod fields;
pub(crate) mod gather;
pub(crate) mod interpolate;
pub(crate) mod load;
pub(crate) mod networks;
pub(crate) mod order;
pub(crate) mod plan;
pub(crate) mod schema;
pub(crate) mod services;
pub(crate) mod source;
pub(crate) mod typed;
pub(crate) mod up;

#[cfg(test)]
mod tests;
