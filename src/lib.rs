//! diffusion-playground: learn DDPM and DDIM by training one live on your own machine.
//!
//! The crate is laid out along the data flow: [`data`] decodes images and draws the built-in
//! datasets, [`diffusion`] holds the math on the host in f64, [`model`] is the burn U-Net,
//! [`train`] the trainer, checkpoints and the worker thread that owns them, and [`cli`] the
//! scriptable commands.

pub mod app;
pub mod bench;
pub mod cli;
pub mod data;
pub mod diffusion;
pub mod export;
pub mod i18n;
pub mod model;
pub mod train;
