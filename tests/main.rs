//! The one integration-test crate: each module covers one capability end to end.

mod app;
mod cli_inspect;
mod inputs;
mod training;
