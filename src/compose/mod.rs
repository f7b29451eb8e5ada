//! Compose files both ways: read one into a plan of netrig specs, and write
//! what a run made as a Compose file. Pure: nothing here talks to Docker.

pub mod error;
pub mod interpolate;
pub mod schema;
pub mod source;

pub use error::{ComposeError, Position, Problem};
