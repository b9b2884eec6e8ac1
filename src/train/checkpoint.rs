//! Checkpoints: a folder with a commit record and the files it names.
//!
//! ```text
//! NAME/
//!   checkpoint.json           format tag, version, the whole TrainConfig, step, and for each
//!                             file its name, length and FNV-1a hash
//!   model-00001234.bpk        trained weights (burnpack)
//!   ema-00001234.bpk          EMA weights (burnpack)
//!   optim-00001234.bin        Adam state
//! ```
//!
//! Saving writes and syncs the new data files first, then writes `checkpoint.json.tmp` and
//! renames it over `checkpoint.json` (an atomic replace), then deletes files no record names.
//! A crash at any moment leaves a `checkpoint.json` that names complete files.

use super::device::DeviceInfo;
use super::trainer::{TrainConfig, TrainError, Trainer};
use crate::data::{DataError, DataSource, Dataset};
use crate::model::UNet;
use crate::tr;
use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The tag in every record; anything else is a foreign file.
pub const FORMAT: &str = "diffusion-playground-checkpoint";
/// The record layout version this build writes and reads.
pub const VERSION: u32 = 1;
/// The commit record's file name.
pub const RECORD: &str = "checkpoint.json";
const MAX_RECORD_BYTES: u64 = 1024 * 1024;
const MAX_DATA_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Why a checkpoint could not be saved or loaded.
#[derive(Debug)]
pub enum CheckpointError {
    /// a file could not be read or written
    Io {
        /// the file
        path: PathBuf,
        /// the OS error
        source: std::io::Error,
    },
    /// there is no record in the folder
    Missing(PathBuf),
    /// the record is not ours
    Foreign(PathBuf),
    /// the record is ours but damaged, or a data file does not match it
    Corrupt(String),
    /// a newer layout
    Version(u32),
    /// the checkpoint's model differs from the one expected
    Mismatch(String),
    /// the training settings are invalid
    Train(TrainError),
    /// the dataset could not be opened
    Data(DataError),
}

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&match self {
            Self::Io { path, source } => format!("{}: {source}", path.display()),
            Self::Missing(path) => {
                tr!("ckpt-err-missing", path = path.display(), record = RECORD)
            }
            Self::Foreign(path) => tr!("ckpt-err-foreign", path = path.display()),
            Self::Corrupt(detail) => tr!("ckpt-err-corrupt", detail = detail),
            Self::Version(v) => tr!("ckpt-err-version", found = v, supported = VERSION),
            Self::Mismatch(detail) => tr!("ckpt-err-mismatch", detail = detail),
            Self::Train(e) => e.to_string(),
            Self::Data(e) => tr!("ckpt-err-data", error = e),
        })
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Train(e) => Some(e),
            Self::Data(e) => Some(e),
            _ => None,
        }
    }
}

impl From<TrainError> for CheckpointError {
    fn from(e: TrainError) -> Self {
        Self::Train(e)
    }
}

impl From<DataError> for CheckpointError {
    fn from(e: DataError) -> Self {
        Self::Data(e)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct FileEntry {
    name: String,
    len: u64,
    fnv1a: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Record {
    format: String,
    version: u32,
    step: u64,
    config: TrainConfig,
    device: String,
    model: FileEntry,
    ema: FileEntry,
    optim: Option<FileEntry>,
}

/// The settings and step a checkpoint holds, read without loading weights.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointInfo {
    /// the run's settings
    pub config: TrainConfig,
    /// steps trained
    pub step: u64,
    /// the device it was trained on
    pub device: String,
}

/// FNV-1a, 64 bit: a cheap checksum that catches truncation and bit rot.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_owned(),
        source,
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let mut f = std::fs::File::create(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))?;
    Ok(())
}

fn entry(dir: &Path, name: String, bytes: &[u8]) -> Result<FileEntry, CheckpointError> {
    write_synced(&dir.join(&name), bytes)?;
    Ok(FileEntry {
        len: bytes.len() as u64,
        fnv1a: format!("{:016x}", fnv1a(bytes)),
        name,
    })
}

fn module_bytes(module: &UNet) -> Result<Bytes, CheckpointError> {
    module
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| CheckpointError::Corrupt(format!("cannot serialise weights: {e}")))
}

/// A hook called between the steps of a save, for crash tests: returning `Err` aborts the
/// save there, as a kill would.
pub type SaveHook<'a> = &'a mut dyn FnMut(&str) -> Result<(), ()>;

/// Save `trainer` into `dir` atomically.
pub fn save(trainer: &Trainer, dir: &Path) -> Result<(), CheckpointError> {
    save_with_hook(trainer, dir, &mut |_| Ok(()))
}

/// [`save`] with a hook called at each stage ("data", "record-tmp", "commit").
pub fn save_with_hook(
    trainer: &Trainer,
    dir: &Path,
    hook: SaveHook<'_>,
) -> Result<(), CheckpointError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let step = trainer.step_count();
    let (model, ema) = trainer.parts();
    let abort = |stage: &str| CheckpointError::Corrupt(format!("save interrupted at {stage}"));
    let model = entry(dir, format!("model-{step:08}.bpk"), &module_bytes(model)?)?;
    hook("data").map_err(|_| abort("data"))?;
    let ema = entry(dir, format!("ema-{step:08}.bpk"), &module_bytes(ema)?)?;
    let optim_bytes = trainer
        .optimizer_bytes()
        .map_err(|e| CheckpointError::Corrupt(format!("cannot serialise optimizer: {e}")))?;
    let optim = entry(dir, format!("optim-{step:08}.bin"), &optim_bytes)?;
    let record = Record {
        format: FORMAT.to_owned(),
        version: VERSION,
        step,
        config: trainer.config().clone(),
        device: trainer.device_info().label(),
        model,
        ema,
        optim: Some(optim),
    };
    let json =
        serde_json::to_vec_pretty(&record).map_err(|e| CheckpointError::Corrupt(e.to_string()))?;
    let tmp = dir.join(format!("{RECORD}.tmp"));
    write_synced(&tmp, &json)?;
    hook("record-tmp").map_err(|_| abort("record-tmp"))?;
    let final_path = dir.join(RECORD);
    std::fs::rename(&tmp, &final_path).map_err(io(&final_path))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    hook("commit").map_err(|_| abort("commit"))?;
    // Remove data files the new record does not name (older steps, aborted saves).
    let keep = [
        &record.model.name,
        &record.ema.name,
        &record
            .optim
            .as_ref()
            .map(|o| o.name.clone())
            .unwrap_or_default(),
    ];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let ours = name.starts_with("model-")
                || name.starts_with("ema-")
                || name.starts_with("optim-");
            if ours && !keep.iter().any(|k| **k == name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}

fn read_record(dir: &Path) -> Result<Record, CheckpointError> {
    let path = dir.join(RECORD);
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CheckpointError::Missing(dir.to_owned()));
        }
        Err(e) => return Err(io(&path)(e)),
    };
    if !meta.is_file() || meta.len() > MAX_RECORD_BYTES {
        return Err(CheckpointError::Foreign(dir.to_owned()));
    }
    let bytes = std::fs::read(&path).map_err(io(&path))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| CheckpointError::Foreign(dir.to_owned()))?;
    if value.get("format").and_then(|v| v.as_str()) != Some(FORMAT) {
        return Err(CheckpointError::Foreign(dir.to_owned()));
    }
    let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
    if version != VERSION {
        return Err(CheckpointError::Version(version));
    }
    serde_json::from_value(value).map_err(|e| CheckpointError::Corrupt(format!("{RECORD}: {e}")))
}

fn read_checked(dir: &Path, entry: &FileEntry) -> Result<Bytes, CheckpointError> {
    if entry.name.contains('/') || entry.name.contains('\\') || entry.name.starts_with('.') {
        return Err(CheckpointError::Corrupt(format!(
            "bad file name {:?}",
            entry.name
        )));
    }
    let path = dir.join(&entry.name);
    let len = std::fs::metadata(&path).map_err(io(&path))?.len();
    if len != entry.len || len > MAX_DATA_BYTES {
        return Err(CheckpointError::Corrupt(format!(
            "{} is {len} bytes, expected {}",
            entry.name, entry.len
        )));
    }
    let bytes = std::fs::read(&path).map_err(io(&path))?;
    if format!("{:016x}", fnv1a(&bytes)) != entry.fnv1a {
        return Err(CheckpointError::Corrupt(format!(
            "{} fails its checksum",
            entry.name
        )));
    }
    Ok(Bytes::from_bytes_vec(bytes))
}

fn load_module(template: UNet, bytes: Bytes, what: &str) -> Result<UNet, CheckpointError> {
    let record = ModuleRecord::from_bytes(bytes)
        .map_err(|e| CheckpointError::Corrupt(format!("{what}: {e}")))?;
    template
        .try_load_record(record)
        .map_err(|e| CheckpointError::Mismatch(format!("{what}: {e}")))
}

/// Read a checkpoint's settings and step without loading weights.
pub fn info(dir: &Path) -> Result<CheckpointInfo, CheckpointError> {
    let r = read_record(dir)?;
    Ok(CheckpointInfo {
        config: r.config,
        step: r.step,
        device: r.device,
    })
}

/// Load a checkpoint onto `device_info`'s device. The dataset is reopened from the record
/// unless `dataset` is given.
pub fn load(
    dir: &Path,
    device_info: DeviceInfo,
    dataset: Option<(DataSource, Dataset)>,
) -> Result<Trainer, CheckpointError> {
    let record = read_record(dir)?;
    let mut config = record.config.clone();
    config
        .model
        .validate()
        .map_err(|e| CheckpointError::Mismatch(e.to_string()))?;
    let model_bytes = read_checked(dir, &record.model)?;
    let ema_bytes = read_checked(dir, &record.ema)?;
    let optim_bytes = record
        .optim
        .as_ref()
        .map(|o| read_checked(dir, o))
        .transpose()?;
    let dataset = match dataset {
        Some((source, ds)) => {
            config.data = source;
            ds
        }
        None => Dataset::open(&config.data, config.model.image_size)?.0,
    };
    let parts = Parts {
        model: model_bytes,
        ema: ema_bytes,
        optim: optim_bytes,
    };
    rebuild(config, device_info, parts, dataset, record.step)
}

/// Serialised weights, EMA and optimizer state.
struct Parts {
    model: Bytes,
    ema: Bytes,
    optim: Option<Bytes>,
}

/// Build a trainer on `device_info`'s device from serialised parts.
fn rebuild(
    config: TrainConfig,
    device_info: DeviceInfo,
    parts: Parts,
    dataset: Dataset,
    step: u64,
) -> Result<Trainer, CheckpointError> {
    let device = device_info.device();
    let template = config
        .model
        .init(&device)
        .map_err(|e| CheckpointError::Mismatch(e.to_string()))?;
    // The EMA and the model share parameter ids, so the optimizer state finds its parameters.
    let model = load_module(template, parts.model, "weights")?;
    let ema = load_module(model.clone(), parts.ema, "EMA weights")?;
    Ok(Trainer::from_parts(
        config,
        device_info,
        model,
        ema,
        parts.optim,
        dataset,
        step,
    )?)
}

/// The same training state (weights, EMA, Adam, step, data) on another device, copied through
/// host memory: used to fall back to the CPU when the GPU fails.
pub fn transfer(trainer: &Trainer, device_info: DeviceInfo) -> Result<Trainer, CheckpointError> {
    let (model, ema) = trainer.parts();
    let parts =
        Parts {
            model: module_bytes(model)?,
            ema: module_bytes(ema)?,
            optim: Some(trainer.optimizer_bytes().map_err(|e| {
                CheckpointError::Corrupt(format!("cannot serialise optimizer: {e}"))
            })?),
        };
    rebuild(
        trainer.config().clone(),
        device_info,
        parts,
        trainer.dataset().clone(),
        trainer.step_count(),
    )
}

/// Check that a checkpoint's model matches `expected`, naming the first difference.
pub fn check_model(
    info: &CheckpointInfo,
    expected: &crate::model::UNetConfig,
) -> Result<(), CheckpointError> {
    let got = &info.config.model;
    let diffs = [
        (
            "image_size",
            got.image_size.to_string(),
            expected.image_size.to_string(),
        ),
        (
            "image_channels",
            got.image_channels.to_string(),
            expected.image_channels.to_string(),
        ),
        (
            "base_channels",
            got.base_channels.to_string(),
            expected.base_channels.to_string(),
        ),
        (
            "channel_mults",
            format!("{:?}", got.channel_mults),
            format!("{:?}", expected.channel_mults),
        ),
        (
            "res_blocks",
            got.res_blocks.to_string(),
            expected.res_blocks.to_string(),
        ),
        (
            "attention",
            got.attention.to_string(),
            expected.attention.to_string(),
        ),
    ];
    match diffs.iter().find(|(_, a, b)| a != b) {
        Some((field, a, b)) => Err(CheckpointError::Mismatch(format!(
            "{field} is {a} in the checkpoint but {b} here"
        ))),
        None => Ok(()),
    }
}
