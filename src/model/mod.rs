//! The burn model: a small U-Net that predicts the noise ε in x_t.

pub mod classifier;
pub mod divergence;
pub mod kernels;
pub mod mlp;
pub mod unet;

pub use unet::{ConfigError, UNet, UNetConfig, timestep_embedding};
