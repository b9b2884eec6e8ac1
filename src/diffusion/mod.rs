//! The DDPM math, on the host in f64: schedules, the forward process and its posterior,
//! samplers, and the variational bound. Nothing here knows about burn, egui or threads.

pub mod elbo;
pub mod gaussian;
pub mod process;
pub mod sampler;
pub mod schedule;

pub use elbo::{VlbEstimate, estimate_vlb, vlb_timesteps};
pub use sampler::{Frame, SampleError, SampleRequest, SamplerKind, Start, Trajectory, sample};
pub use schedule::{Schedule, ScheduleConfig, ScheduleError, ScheduleKind};
