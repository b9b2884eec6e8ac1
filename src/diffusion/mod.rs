//! The DDPM math, on the host in f64: schedules, the forward process and its posterior,
//! samplers, and the variational bound. Nothing here knows about burn, egui or threads.

pub mod elbo;
pub mod flow_ode;
pub mod gaussian;
pub mod guidance;
pub mod marginal;
pub mod objective;
pub mod ot;
pub mod process;
pub mod sampler;
pub mod samplers;
pub mod schedule;
pub mod toy;

pub use elbo::{DEFAULT_STRATA, TimestepPlan, VlbEstimate, estimate_vlb};
pub use sampler::{Frame, SampleError, SampleRequest, SamplerKind, Start, Trajectory, sample};
pub use schedule::{Schedule, ScheduleConfig, ScheduleError, ScheduleKind};
