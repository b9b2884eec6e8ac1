//! Property tests (proptest) over the two parsers that take user files: image decoding and
//! checkpoint loading. Any mutation of a valid file must give a typed error or a valid
//! result, never a panic. More cases: `PROPTEST_CASES=20000 cargo test --release fuzz`.

use diffusion_playground::data::image::{MAX_SIDE, decode_image};
use diffusion_playground::data::{Builtin, Dataset};
use diffusion_playground::train::checkpoint::{self, RECORD, fnv1a};
use diffusion_playground::train::{DeviceChoice, Trainer, choose_device};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use proptest::prelude::*;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn seeds() -> Vec<(ImageFormat, Vec<u8>)> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(12, 9, |x, y| {
        Rgb([(x * 20) as u8, (y * 25) as u8, 90])
    }));
    [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Gif,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::WebP,
    ]
    .into_iter()
    .map(|f| {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), f).unwrap();
        (f, out)
    })
    .collect()
}

/// Flip bytes at positions (taken modulo the length), then maybe truncate.
fn mutate(mut bytes: Vec<u8>, flips: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    for &(at, value) in flips {
        let i = at % bytes.len();
        bytes[i] = value;
    }
    if let Some(cut) = cut {
        bytes.truncate(cut % (bytes.len() + 1));
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn mutated_images_decode_or_fail_cleanly(
        which in 0usize..6,
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        cut in prop::option::of(any::<usize>()),
    ) {
        let (format, bytes) = seeds().swap_remove(which);
        let bytes = mutate(bytes, &flips, cut);
        let result = std::panic::catch_unwind(|| decode_image(&bytes, 8));
        let result = result.map_err(|_| format!("{format:?}: the decoder panicked"));
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
        match result.unwrap() {
            Ok(img) => {
                prop_assert_eq!(img.size, 8);
                prop_assert!(img.data.iter().all(|v| v.is_finite() && (-1.0..=1.0).contains(v)));
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.is_empty() && !msg.contains('\n'), "{:?}", msg);
            }
        }
    }

    #[test]
    fn random_bytes_never_panic_the_decoder(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let result = std::panic::catch_unwind(|| decode_image(&bytes, 8));
        prop_assert!(result.is_ok(), "the decoder panicked");
        if let Ok(Ok(img)) = result {
            prop_assert!(img.size == 8 && (img.data.len() as u32) < MAX_SIDE * MAX_SIDE);
        }
    }
}

/// One small checkpoint shared by the checkpoint cases.
fn saved_checkpoint() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt");
        let mut config = crate::training::tiny_config(4);
        config.batch = 2;
        let mut t = Trainer::new(
            config,
            choose_device(DeviceChoice::Cpu),
            Dataset::Builtin(Builtin::Shapes),
        )
        .unwrap();
        t.train_step().unwrap();
        checkpoint::save(&t, &path).unwrap();
        (dir, path)
    })
    .1
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Load must return (Ok or a typed error) without panicking.
fn load_cleanly(dir: &Path) -> Result<(), TestCaseError> {
    let result = std::panic::catch_unwind(|| {
        checkpoint::load(dir, choose_device(DeviceChoice::Cpu), None).map(|t| t.step_count())
    });
    prop_assert!(result.is_ok(), "loading panicked");
    if let Ok(Err(e)) = result {
        let msg = e.to_string();
        prop_assert!(!msg.is_empty(), "empty message");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
    ))]

    /// checkpoint.json with bytes changed or cut off.
    #[test]
    fn mutated_checkpoint_records_are_refused_cleanly(
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<usize>()),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(saved_checkpoint(), tmp.path());
        let record = tmp.path().join(RECORD);
        let bytes = std::fs::read(&record).unwrap();
        std::fs::write(&record, mutate(bytes, &flips, cut)).unwrap();
        load_cleanly(tmp.path())?;
    }

    /// Weights changed with the checksum fixed up, so the weight decoder itself sees them.
    #[test]
    fn mutated_weights_behind_a_valid_checksum_are_refused_cleanly(
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<usize>()),
        which in prop::sample::select(vec!["model", "ema", "optim"]),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(saved_checkpoint(), tmp.path());
        let record_path = tmp.path().join(RECORD);
        let mut record: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&record_path).unwrap()).unwrap();
        let name = record[which]["name"].as_str().unwrap().to_owned();
        let file = tmp.path().join(&name);
        let bytes = mutate(std::fs::read(&file).unwrap(), &flips, cut);
        std::fs::write(&file, &bytes).unwrap();
        record[which]["len"] = (bytes.len() as u64).into();
        record[which]["fnv1a"] = format!("{:016x}", fnv1a(&bytes)).into();
        std::fs::write(&record_path, serde_json::to_vec(&record).unwrap()).unwrap();
        load_cleanly(tmp.path())?;
    }
}
