//! The one integration-test crate: each module covers one capability end to end.

mod app;
mod bench;
mod cli_evaluate;
mod cli_inspect;
mod fuzz;
mod i18n;
mod inputs;
mod layout;
mod reliability;
mod teaching;
mod training;
