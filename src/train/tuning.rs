//! Where burn's GPU runtime (CubeCL) keeps what it learns about the card between runs: which
//! convolution and matmul kernels autotune found fastest for each shape, and compiled SPIR-V.
//! Without a saved cache every start tunes again (seconds to minutes on a GPU).
//!
//! CubeCL reads its own configuration (a `cubecl.toml`, or `CUBECL_*` environment variables
//! such as `CUBECL_AUTOTUNE_LEVEL`); this module keeps all of that and only moves the cache from
//! CubeCL's default (a `target/` folder beside the nearest `Cargo.toml`) into the platform's
//! cache folder, unless the configuration named a place itself.

use burn::cubecl::config::cache::CacheConfig;
use burn::cubecl::config::{CubeClRuntimeConfig, RuntimeConfig};
use std::path::PathBuf;
use std::sync::OnceLock;

/// `<platform cache folder>/diffusion-playground/gpu`: `~/.cache/…` on Linux,
/// `~/Library/Caches/…` on macOS, `%LOCALAPPDATA%\…` on Windows.
pub fn default_gpu_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("diffusion-playground").join("gpu"))
}

/// Where the GPU tuning cache lives, once [`configure_gpu_runtime`] ran (None: not configured
/// by this process, or no cache folder on this platform).
pub fn gpu_cache_dir() -> Option<PathBuf> {
    CACHE.get().cloned().flatten()
}

static CACHE: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Configure CubeCL before any GPU work: its own file and environment, with the persistent
/// cache in [`default_gpu_cache_dir`] (SPIR-V binaries cached too). Returns the cache folder.
/// Calling it again, or after GPU work began, changes nothing.
pub fn configure_gpu_runtime() -> Option<PathBuf> {
    CACHE
        .get_or_init(|| {
            let mut config = CubeClRuntimeConfig::from_current_dir().override_from_env();
            if matches!(config.environment.path, CacheConfig::Target) {
                if let Some(dir) = default_gpu_cache_dir() {
                    config.environment.path = CacheConfig::Directory(dir);
                }
            }
            config.compilation.cache = true;
            let root = config.environment.path.root();
            if CubeClRuntimeConfig::try_set(config) {
                Some(root)
            } else {
                log::warn!("the GPU runtime was configured before; its cache stays where it is");
                None
            }
        })
        .clone()
}
