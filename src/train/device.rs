//! Choosing where the model runs: a real GPU through wgpu when there is one, otherwise burn's
//! fast pure-Rust CPU backend (`flex`). Software Vulkan (lavapipe) reports itself as a CPU
//! adapter and is skipped by `auto`, since flex is several times faster on the same cores.

use crate::tr;
use burn::tensor::{Device, DeviceKind, Tensor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

/// The environment variable that overrides `--device` defaults.
pub const DEVICE_ENV: &str = "DIFFUSION_PLAYGROUND_DEVICE";

/// What the user asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// a real GPU if wgpu finds one, else the CPU
    #[default]
    Auto,
    /// wgpu's default adapter, even a software one
    Gpu,
    /// burn's flex CPU backend
    Cpu,
}

impl FromStr for DeviceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "gpu" | "wgpu" => Ok(Self::Gpu),
            "cpu" | "flex" => Ok(Self::Cpu),
            other => Err(format!(
                "unknown device '{other}': expected auto, gpu or cpu"
            )),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Gpu => "gpu",
            Self::Cpu => "cpu",
        })
    }
}

impl DeviceChoice {
    /// The flag's value if given, else the environment variable, else `auto`.
    pub fn resolve(flag: Option<DeviceChoice>) -> Result<Self, String> {
        match flag {
            Some(c) => Ok(c),
            None => match std::env::var(DEVICE_ENV) {
                Ok(v) if !v.trim().is_empty() => {
                    v.parse().map_err(|e| format!("{DEVICE_ENV}: {e}"))
                }
                _ => Ok(Self::Auto),
            },
        }
    }
}

/// Which backend was picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendKind {
    /// burn-wgpu
    Wgpu,
    /// burn-flex on the CPU
    Flex,
}

/// The device in use and why, for logs and the UI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// backend
    pub backend: BackendKind,
    /// adapter or CPU name
    pub name: String,
    /// one sentence: why this one
    pub reason: String,
    /// for wgpu: the graphics API and driver of the adapter burn's runtime opened
    /// ("Vulkan · NVIDIA 550.54"), empty when unknown or on the CPU
    #[serde(default)]
    pub details: String,
}

impl DeviceInfo {
    /// "GPU · NVIDIA H100 (wgpu)" or "CPU (flex)".
    pub fn label(&self) -> String {
        match self.backend {
            BackendKind::Wgpu => tr!("device-gpu", name = self.name),
            BackendKind::Flex => tr!("device-cpu").to_owned(),
        }
    }

    /// The burn device for inference; training adds `.autodiff()`.
    pub fn device(&self) -> Device {
        match self.backend {
            BackendKind::Wgpu => Device::wgpu(DeviceKind::DefaultDevice),
            BackendKind::Flex => Device::flex(),
        }
    }

    /// The flex CPU backend, with the reason it is used.
    pub fn flex(reason: String) -> Self {
        Self {
            backend: BackendKind::Flex,
            name: "CPU".to_owned(),
            reason,
            details: String::new(),
        }
    }
}

/// One adapter wgpu can see.
#[derive(Clone, Debug, PartialEq)]
pub struct AdapterSummary {
    /// adapter name
    pub name: String,
    /// graphics API
    pub backend: String,
    /// a real GPU (not a CPU/software adapter)
    pub is_gpu: bool,
}

/// Is this adapter the CPU drawing (llvmpipe, lavapipe, SwiftShader, WARP…)? Such an adapter
/// takes its time from the cores that train.
pub fn is_software_adapter(info: &wgpu::AdapterInfo) -> bool {
    info.device_type == wgpu::DeviceType::Cpu || software_renderer(&info.name)
}

/// Mesa's and others' CPU renderers, which report themselves as CPUs on Vulkan but not
/// always through OpenGL.
fn software_renderer(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "llvmpipe",
        "lavapipe",
        "softpipe",
        "swiftshader",
        "basic render",
    ]
    .iter()
    .any(|s| name.contains(s))
}

/// List wgpu's adapters, giving up after `timeout` (a broken driver can hang).
pub fn probe_adapters(timeout: Duration) -> Vec<AdapterSummary> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("wgpu-probe".into())
        .spawn(move || {
            let instance =
                wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
            let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY));
            let list: Vec<AdapterSummary> = adapters
                .iter()
                .map(|a| {
                    let info = a.get_info();
                    AdapterSummary {
                        name: info.name.clone(),
                        backend: format!("{:?}", info.backend),
                        is_gpu: !is_software_adapter(&info),
                    }
                })
                .collect();
            let _ = tx.send(list);
        });
    if spawned.is_err() {
        return Vec::new();
    }
    rx.recv_timeout(timeout).unwrap_or_default()
}

/// Check that a device can run a small computation, catching the panic a missing adapter causes.
pub fn smoke_test(device: &Device) -> Result<(), String> {
    let device = device.clone();
    std::panic::catch_unwind(move || {
        let x = Tensor::<1>::from_floats([1.0f32, 2.0, 3.0], &device);
        let v = x.mul_scalar(2.0).sum().into_scalar::<f32>();
        if (v - 12.0).abs() < 1e-4 {
            Ok(())
        } else {
            Err(format!("device computed {v} instead of 12"))
        }
    })
    .unwrap_or_else(|panic| Err(panic_message(panic.as_ref(), "the device panicked")))
}

/// The text of a caught panic, or `otherwise` when it carries none.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send), otherwise: &str) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| otherwise.to_owned())
}

/// The adapter burn's wgpu runtime opened, as wgpu describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenedAdapter {
    /// adapter name
    pub name: String,
    /// "Vulkan · NVIDIA 550.54.15" (API, driver and its version)
    pub details: String,
    /// a real GPU (not a CPU/software adapter)
    pub is_gpu: bool,
}

/// Start burn's wgpu runtime (once per process: it cannot be started twice) and report the
/// adapter it picked, giving up after `timeout`. Where something else started the runtime
/// first, the adapter is not known: the error says so.
pub fn open_wgpu(timeout: Duration) -> Result<OpenedAdapter, String> {
    static OPENED: OnceLock<Result<OpenedAdapter, String>> = OnceLock::new();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("wgpu-open".into())
        .spawn(move || {
            let opened = OPENED.get_or_init(|| {
                std::panic::catch_unwind(|| {
                    Device::wgpu_options()
                        .init_with_setup()
                        .map(|(_, setup)| {
                            let info = setup.adapter.get_info();
                            let driver = format!("{} {}", info.driver, info.driver_info);
                            let details = [format!("{:?}", info.backend), driver.trim().to_owned()]
                                .into_iter()
                                .filter(|p| !p.is_empty())
                                .collect::<Vec<_>>()
                                .join(" · ");
                            OpenedAdapter {
                                name: info.name.clone(),
                                details,
                                is_gpu: !is_software_adapter(&info),
                            }
                        })
                        .map_err(|e| e.to_string())
                })
                .unwrap_or_else(|panic| {
                    Err(panic_message(
                        panic.as_ref(),
                        "wgpu panicked while starting",
                    ))
                })
            });
            let _ = tx.send(opened.clone());
        });
    if spawned.is_err() {
        return Err("could not start a thread".to_owned());
    }
    rx.recv_timeout(timeout)
        .unwrap_or_else(|_| Err(format!("no answer from wgpu in {} s", timeout.as_secs())))
}

/// Pick the device. `auto` takes wgpu when it lists a real GPU adapter, else flex; `gpu` takes
/// wgpu's default adapter, even a software one; `cpu` takes flex. The label names the adapter
/// burn's runtime actually opened (with its API and driver). A wgpu device that fails to start
/// or fails its smoke test falls back to flex, and the reason says so.
pub fn choose_device(choice: DeviceChoice) -> DeviceInfo {
    if choice == DeviceChoice::Cpu {
        return DeviceInfo::flex(tr!("device-reason-cpu-asked").to_owned());
    }
    // `auto` looks before it starts wgpu; `gpu` looks only if it must (see below).
    let probed = (choice == DeviceChoice::Auto).then(|| probe_adapters(Duration::from_secs(10)));
    if let Some(adapters) = probed.as_ref().filter(|a| !a.iter().any(|a| a.is_gpu)) {
        // No real GPU: do not start wgpu at all.
        let seen = if adapters.is_empty() {
            tr!("device-reason-no-adapter").to_owned()
        } else {
            let names: Vec<&str> = adapters.iter().map(|a| a.name.as_str()).collect();
            tr!("device-reason-software-only", names = names.join(", "))
        };
        return DeviceInfo::flex(tr!("device-reason-flex-faster", seen = seen));
    }
    let (name, details, is_gpu) = match open_wgpu(Duration::from_secs(60)) {
        Ok(a) => (a.name, a.details, a.is_gpu),
        // Started before this call (not by choose_device): the probe's best guess.
        Err(e) if e.to_lowercase().contains("regist") => {
            let adapters = probed.unwrap_or_else(|| probe_adapters(Duration::from_secs(10)));
            match adapters.iter().find(|a| a.is_gpu).or(adapters.first()) {
                Some(a) => {
                    log::warn!("wgpu's runtime was started before choose_device: {e}");
                    (a.name.clone(), a.backend.clone(), a.is_gpu)
                }
                None => return DeviceInfo::flex(tr!("device-reason-start-failed", error = e)),
            }
        }
        Err(e) => return DeviceInfo::flex(tr!("device-reason-start-failed", error = e)),
    };
    let reason = match (choice, is_gpu) {
        (DeviceChoice::Auto, true) => {
            tr!("device-reason-found-gpu", name = name, api = details)
        }
        (_, false) => tr!("device-reason-gpu-software", name = name),
        _ => tr!("device-reason-gpu-asked").to_owned(),
    };
    if choice == DeviceChoice::Auto && !is_gpu {
        // wgpu preferred a software adapter after all.
        return DeviceInfo::flex(tr!("device-reason-flex-faster", seen = reason));
    }
    if cfg!(feature = "spirv") && !is_gpu && details.starts_with("Vulkan") {
        // Mesa's lavapipe crashes compiling cubecl's SPIR-V kernels: never hand it any.
        return DeviceInfo::flex(tr!("device-reason-spirv-software", name = name));
    }
    let picked = DeviceInfo {
        backend: BackendKind::Wgpu,
        name,
        reason,
        details,
    };
    match smoke_test(&picked.device()) {
        Ok(()) => picked,
        Err(e) => DeviceInfo::flex(tr!("device-reason-start-failed", error = e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_resolve() {
        assert_eq!("GPU".parse::<DeviceChoice>(), Ok(DeviceChoice::Gpu));
        assert!("tpu".parse::<DeviceChoice>().is_err());
        assert_eq!(
            DeviceChoice::resolve(Some(DeviceChoice::Cpu)),
            Ok(DeviceChoice::Cpu)
        );
    }

    #[test]
    fn software_renderers_are_not_gpus() {
        assert!(software_renderer("llvmpipe (LLVM 15.0.6, 256 bits)"));
        assert!(software_renderer("SwiftShader Device (Subzero)"));
        assert!(!software_renderer("NVIDIA H100 80GB HBM3"));
        assert!(!software_renderer("Apple M2"));
    }

    #[test]
    fn cpu_is_flex_and_works() {
        let info = choose_device(DeviceChoice::Cpu);
        assert_eq!(info.backend, BackendKind::Flex);
        assert_eq!(smoke_test(&info.device()), Ok(()));
    }
}
