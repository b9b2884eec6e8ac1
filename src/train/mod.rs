//! Training: the device choice, the [`Trainer`], checkpoints, and the worker thread.

pub mod adam;
pub mod checkpoint;
pub mod classifier;
pub mod clip;
pub mod data_parallel;
pub mod device;
pub mod generator;
pub mod guidance_eval;
pub mod guidance_job;
pub mod guided;
pub mod history;
pub mod objective;
pub mod ode_job;
pub mod ode_nll;
pub mod one_image;
pub mod phases;
pub mod threads;
pub mod toy;
pub mod toy_exact;
pub mod toy_guidance;
pub mod toy_objective;
pub mod toy_ode;
pub mod toy_samplers;
pub mod trainer;
pub mod tuning;
pub mod whole_adam;
pub mod worker;

pub use device::{BackendKind, DeviceChoice, DeviceInfo, choose_device};
pub use trainer::{StepStats, TrainConfig, TrainError, Trainer, Weights};
pub use worker::{
    Command, Event, Level, Progress, SampleFrom, SampleGuidance, SampleJob, StepReport,
    WorkerHandle,
};
