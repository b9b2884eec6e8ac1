//! The one integration-test crate: each module covers one capability end to end.

mod app;
mod bench;
mod cli_evaluate;
mod cli_guidance;
mod cli_inspect;
mod cli_newcomer;
mod cli_samplers;
mod fuzz;
mod i18n;
mod inputs;
mod layout;
mod readme;
mod reliability;
mod teaching;
mod training;

/// How long a test waits for an event before it fails: far beyond any machine's speed (a cold
/// lavapipe shader cache on a busy 2-core machine included). Tests wait on events and
/// progress; this only keeps a hung test from hanging CI.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(1800);

/// Held by the tests that train on wgpu (lavapipe in CI, which takes every core while it
/// compiles and runs shaders), so that no two of them run at once.
pub static WGPU_TRAINING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Take [`WGPU_TRAINING`] (a test that panicked while holding it leaves it usable).
pub fn wgpu_training() -> std::sync::MutexGuard<'static, ()> {
    WGPU_TRAINING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
