//! What the model trains on: a built-in dataset or a folder of the user's images.

use super::builtin::{Builtin, UnknownBuiltin};
use super::image::{ImageRgb, load_image};
use crate::tr;
use rand::Rng;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// Most files read from a folder.
pub const MAX_FOLDER_FILES: usize = 10_000;
/// Deepest sub-folder level read.
pub const MAX_FOLDER_DEPTH: usize = 4;

/// Where training images come from, as written on the command line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DataSource {
    /// `builtin:NAME`
    Builtin(Builtin),
    /// a folder of images
    Folder(PathBuf),
}

impl DataSource {
    /// The source named for `n` images dropped on the window (or the image under study): no
    /// folder on disk, a label in its place.
    pub fn dropped(n: usize) -> Self {
        Self::Folder(PathBuf::from(format!("<{n} dropped images>")))
    }

    /// Parse `builtin:NAME` or a folder path.
    pub fn parse(s: &str) -> Result<Self, UnknownBuiltin> {
        match s.strip_prefix("builtin:") {
            Some(name) => Ok(Self::Builtin(name.parse()?)),
            None => Ok(Self::Folder(PathBuf::from(s))),
        }
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin(b) => write!(f, "builtin:{b}"),
            Self::Folder(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Why a dataset could not be opened.
#[derive(Debug)]
pub enum DataError {
    /// the folder cannot be listed
    Folder {
        /// the folder
        path: PathBuf,
        /// the OS error
        source: std::io::Error,
    },
    /// nothing usable was found
    NoImages {
        /// the folder
        path: PathBuf,
        /// how many were skipped
        skipped: usize,
        /// the first reason, if any, prefixed with "; first: "
        first: String,
    },
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&match self {
            Self::Folder { path, source } => {
                tr!("data-err-folder", path = path.display(), error = source)
            }
            Self::NoImages {
                path,
                skipped,
                first,
            } => tr!(
                "data-err-no-images",
                path = path.display(),
                skipped = skipped,
                first = first
            ),
        })
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Folder { source, .. } => Some(source),
            Self::NoImages { .. } => None,
        }
    }
}

/// What a folder load found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// images decoded
    pub loaded: usize,
    /// files that were skipped, with the reason
    pub skipped: Vec<(PathBuf, String)>,
}

impl LoadReport {
    /// "200 images; 3 skipped: a.txt (not an image …), …"
    pub fn summary(&self) -> String {
        if self.skipped.is_empty() {
            return tr!("data-summary", n = self.loaded);
        }
        let shown: Vec<String> = self
            .skipped
            .iter()
            .take(3)
            .map(|(p, why)| {
                format!(
                    "{} ({why})",
                    p.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                )
            })
            .collect();
        let more = if self.skipped.len() > 3 { ", …" } else { "" };
        tr!(
            "data-summary-skipped",
            n = self.loaded,
            skipped = self.skipped.len(),
            files = format!("{}{more}", shown.join(", "))
        )
    }
}

/// A dataset ready to draw batches from.
#[derive(Clone, Debug)]
pub enum Dataset {
    /// drawn fresh for every batch
    Builtin(Builtin),
    /// a fixed set of images, drawn with random horizontal flips
    Images(Vec<ImageRgb>),
    /// a folder of class sub-folders (`cats/`, `dogs/`): images with their classes
    Labelled(LabelledImages),
}

/// Images with classes, from a folder's sub-folders (the ImageFolder convention): an image in
/// `cats/` (or deeper below it) has class "cats"; an image at the top level has none.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelledImages {
    /// the images, in the folder's sorted order
    pub images: Vec<ImageRgb>,
    /// each image's class (an index into `classes`), None at the top level
    pub labels: Vec<Option<usize>>,
    /// the sub-folders' names, sorted; a sub-folder with no usable image is still listed
    pub classes: Vec<String>,
}

impl LabelledImages {
    /// Images per class.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for c in self.labels.iter().flatten() {
            counts[*c] += 1;
        }
        counts
    }
}

/// Why a dataset cannot train a class-conditional model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LabelError {
    /// fewer than two classes
    #[error("{}", tr!("label-err-too-few", source = .data, classes = .classes.join(", "), n = .classes.len()))]
    TooFew {
        /// the data
        data: String,
        /// the classes found
        classes: Vec<String>,
    },
    /// a class sub-folder has no usable image
    #[error("{}", tr!("label-err-empty", source = .data, class = .class))]
    Empty {
        /// the data
        data: String,
        /// the empty class
        class: String,
    },
}

impl Dataset {
    /// Open a source at the model size.
    pub fn open(source: &DataSource, size: usize) -> Result<(Self, LoadReport), DataError> {
        match source {
            DataSource::Builtin(b) => Ok((Self::Builtin(*b), LoadReport::default())),
            DataSource::Folder(dir) => {
                let (set, report) = load_folder_labelled(dir, size)?;
                if set.classes.is_empty() {
                    Ok((Self::Images(set.images), report))
                } else {
                    Ok((Self::Labelled(set), report))
                }
            }
        }
    }

    /// The class names: a built-in set's, a folder's sub-folders; none for plain images.
    pub fn classes(&self) -> Vec<String> {
        match self {
            Self::Builtin(b) => b.classes(),
            Self::Images(_) => Vec::new(),
            Self::Labelled(set) => set.classes.clone(),
        }
    }

    /// The classes if this data can train a class-conditional model: at least two, none of
    /// them empty. `source` names the data in the message.
    pub fn conditional_classes(&self, source: &str) -> Result<Vec<String>, LabelError> {
        let classes = self.classes();
        if classes.len() < 2 {
            return Err(LabelError::TooFew {
                data: source.to_owned(),
                classes,
            });
        }
        if let Self::Labelled(set) = self
            && let Some(i) = set.counts().iter().position(|&n| n == 0)
        {
            return Err(LabelError::Empty {
                data: source.to_owned(),
                class: classes[i].clone(),
            });
        }
        Ok(classes)
    }

    /// For each of this data's classes, its index among `classes` (matched by name; None: a
    /// class `classes` does not have).
    pub fn class_map(&self, classes: &[String]) -> Vec<Option<usize>> {
        self.classes()
            .iter()
            .map(|name| classes.iter().position(|c| c == name))
            .collect()
    }

    /// The class of every image of [`Self::images`] (None: unlabelled).
    pub fn labels(&self) -> Option<&[Option<usize>]> {
        match self {
            Self::Labelled(set) => Some(&set.labels),
            _ => None,
        }
    }

    /// Fill a training batch of `n` images of side `size`: [n, 3, size, size] flattened, unit
    /// space. With [`HOLD_OUT_FROM`] images or more, every tenth image is held out and never
    /// drawn here.
    pub fn batch(&self, rng: &mut impl Rng, n: usize, size: usize) -> Vec<f32> {
        self.batch_labelled(rng, n, size).0
    }

    /// [`Self::batch`] with each image's class (None: an unlabelled image, or data without
    /// classes). Draws the same images as `batch` from the same generator.
    pub fn batch_labelled(
        &self,
        rng: &mut impl Rng,
        n: usize,
        size: usize,
    ) -> (Vec<f32>, Vec<Option<usize>>) {
        let dim = 3 * size * size;
        let mut out = vec![0.0f32; n * dim];
        let mut labels = Vec::with_capacity(n);
        for chunk in out.chunks_mut(dim) {
            let label = match self {
                Self::Builtin(b) => Some(b.draw(rng, size, chunk)),
                Self::Images(images) => {
                    draw_image(rng, images, size, chunk);
                    None
                }
                Self::Labelled(set) => {
                    let i = draw_image(rng, &set.images, size, chunk);
                    set.labels[i]
                }
            };
            labels.push(label);
        }
        (out, labels)
    }

    /// A fixed evaluation batch of `n` images for the ELBO and the held-out loss, and what it
    /// is: fresh draws for a built-in dataset, the held-out tenth of a folder with at least
    /// [`HOLD_OUT_FROM`] images, else the training images themselves (and named so).
    pub fn eval_batch(&self, rng: &mut impl Rng, n: usize, size: usize) -> (Vec<f32>, EvalBatch) {
        match self {
            Self::Builtin(_) => (self.batch(rng, n, size), EvalBatch::FreshDraws),
            Self::Images(_) | Self::Labelled(_)
                if self.images().is_some_and(|v| v.len() >= HOLD_OUT_FROM) =>
            {
                let images = self.images().unwrap_or_default();
                let held: Vec<&ImageRgb> = images.iter().skip(9).step_by(10).collect();
                let dim = 3 * size * size;
                let mut out = vec![0.0f32; n * dim];
                for (i, chunk) in out.chunks_mut(dim).enumerate() {
                    copy_resized(held[i % held.len()], size, false, chunk);
                }
                (out, EvalBatch::HeldOut(held.len()))
            }
            Self::Images(_) | Self::Labelled(_) => {
                (self.batch(rng, n, size), EvalBatch::TrainingImages)
            }
        }
    }

    /// The fixed images, for a folder dataset.
    pub fn images(&self) -> Option<&[ImageRgb]> {
        match self {
            Self::Images(v) => Some(v),
            Self::Labelled(set) => Some(&set.images),
            Self::Builtin(_) => None,
        }
    }
}

/// Copy a random training image of `images` (held-out ones excepted) into `out` with a random
/// flip; its index.
fn draw_image(rng: &mut impl Rng, images: &[ImageRgb], size: usize, out: &mut [f32]) -> usize {
    let r = rng.random_range(0..training_count(images.len()));
    let i = training_index(images.len(), r);
    let flip = rng.random::<bool>();
    copy_resized(&images[i], size, flip, out);
    i
}

/// A folder of at least this many images keeps every tenth one out of training.
pub const HOLD_OUT_FROM: usize = 10;

/// Images of `len` that training draws from.
fn training_count(len: usize) -> usize {
    if len >= HOLD_OUT_FROM {
        len - len / 10
    } else {
        len
    }
}

/// The r-th training image of `len`: indices 9, 19, 29, … are held out.
fn training_index(len: usize, r: usize) -> usize {
    if len >= HOLD_OUT_FROM {
        (r / 9) * 10 + r % 9
    } else {
        r
    }
}

/// What the fixed evaluation batch of the ELBO curves is drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EvalBatch {
    /// new draws of a built-in dataset (never trained on as such)
    FreshDraws,
    /// this many held-out images of a folder, never trained on
    HeldOut(usize),
    /// the training images themselves (fewer than ten images: nothing to hold out)
    TrainingImages,
}

impl fmt::Display for EvalBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match self {
            Self::FreshDraws => tr!("eval-batch-fresh").to_owned(),
            Self::HeldOut(n) => tr!("eval-batch-held-out", n = n),
            Self::TrainingImages => tr!("eval-batch-training").to_owned(),
        })
    }
}

/// Copy `img` into `out` (side `size`), mirrored left-right when `flip`. Images loaded at
/// another size are resampled by nearest neighbour.
pub(crate) fn copy_resized(img: &ImageRgb, size: usize, flip: bool, out: &mut [f32]) {
    let (src, plane_in, plane_out) = (img.size, img.size * img.size, size * size);
    for c in 0..3 {
        for y in 0..size {
            for x in 0..size {
                let sx = if flip { size - 1 - x } else { x } * src / size;
                let sy = y * src / size;
                out[c * plane_out + y * size + x] = img.data[c * plane_in + sy * src + sx];
            }
        }
    }
}

/// Load every image under `dir` (sub-folders to depth 4, symlink loops skipped), in sorted
/// order. Fails only when nothing could be loaded.
pub fn load_folder(dir: &Path, size: usize) -> Result<(Vec<ImageRgb>, LoadReport), DataError> {
    load_folder_labelled(dir, size).map(|(set, report)| (set.images, report))
}

/// [`load_folder`] with classes: the names of `dir`'s sub-folders (hidden ones excepted),
/// each image labelled by the sub-folder it lies under. No sub-folders: no classes.
pub fn load_folder_labelled(
    dir: &Path,
    size: usize,
) -> Result<(LabelledImages, LoadReport), DataError> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    collect_files(dir, 0, &mut seen, &mut files).map_err(|source| DataError::Folder {
        path: dir.to_owned(),
        source,
    })?;
    let classes = class_folders(dir);
    let mut report = LoadReport::default();
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for path in files {
        match load_image(&path, size) {
            Ok(img) => {
                images.push(img);
                labels.push(class_of(dir, &path, &classes));
            }
            Err(e) => report.skipped.push((path, e.to_string())),
        }
    }
    report.loaded = images.len();
    if images.is_empty() {
        let first = report
            .skipped
            .first()
            .map(|(p, why)| tr!("data-err-first", path = p.display(), why = why))
            .unwrap_or_default();
        return Err(DataError::NoImages {
            path: dir.to_owned(),
            skipped: report.skipped.len(),
            first,
        });
    }
    Ok((
        LabelledImages {
            images,
            labels,
            classes,
        },
        report,
    ))
}

/// The names of `dir`'s visible sub-folders, sorted.
fn class_folders(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// The class of a file under `dir`: the first folder of its path below `dir`.
fn class_of(dir: &Path, path: &Path, classes: &[String]) -> Option<usize> {
    let rel = path.strip_prefix(dir).ok()?;
    let mut parts = rel.components();
    let first = parts.next()?.as_os_str().to_str()?;
    parts.next()?; // a file directly in `dir` has no class
    classes.iter().position(|c| c == first)
}

fn collect_files(
    dir: &Path,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let canonical = dir.canonicalize()?;
    if !seen.insert(canonical) {
        return Ok(()); // a symlink loop or a folder reached twice
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if out.len() >= MAX_FOLDER_FILES {
            break;
        }
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            if depth < MAX_FOLDER_DEPTH {
                // An unreadable sub-folder is skipped, not fatal.
                let _ = collect_files(&path, depth + 1, seen, out);
            }
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Image i is a flat image of value i/100, so a batch tells which images it drew.
    fn numbered(n: usize) -> Dataset {
        Dataset::Images(
            (0..n)
                .map(|i| ImageRgb {
                    size: 1,
                    data: vec![i as f32 / 100.0; 3],
                })
                .collect(),
        )
    }

    fn drawn(values: &[f32]) -> HashSet<usize> {
        values
            .chunks(3)
            .map(|c| (c[0] * 100.0).round() as usize)
            .collect()
    }

    #[test]
    fn every_tenth_image_is_held_out_from_ten_images_on() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for n in [10, 15, 20, 37] {
            let ds = numbered(n);
            let train = drawn(&ds.batch(&mut rng, 2000, 1));
            let (eval, kind) = ds.eval_batch(&mut rng, 8, 1);
            let held: HashSet<usize> = (0..n).filter(|i| i % 10 == 9).collect();
            assert_eq!(kind, EvalBatch::HeldOut(held.len()));
            assert_eq!(drawn(&eval), held, "n = {n}");
            assert!(train.is_disjoint(&held), "n = {n}");
            assert_eq!(
                train.len(),
                n - held.len(),
                "n = {n}: every other image is trained on"
            );
        }
        let ds = numbered(9);
        let (eval, kind) = ds.eval_batch(&mut rng, 8, 1);
        assert_eq!(kind, EvalBatch::TrainingImages);
        assert!(drawn(&eval).iter().all(|&i| i < 9));
        assert_eq!(drawn(&ds.batch(&mut rng, 500, 1)).len(), 9);
        assert_eq!(
            Dataset::Builtin(Builtin::Shapes)
                .eval_batch(&mut rng, 2, 4)
                .1,
            EvalBatch::FreshDraws
        );
    }

    /// A 4×4 PNG of one grey level.
    fn write_png(path: &Path, level: u8) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        image::RgbImage::from_pixel(4, 4, image::Rgb([level; 3]))
            .save(path)
            .unwrap();
    }

    #[test]
    fn a_folder_of_sub_folders_loads_its_classes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_png(&root.join("cats/a.png"), 10);
        write_png(&root.join("cats/deeper/b.png"), 20);
        write_png(&root.join("dogs/c.png"), 30);
        write_png(&root.join("top.png"), 40);
        let (ds, report) = Dataset::open(&DataSource::Folder(root.into()), 4).unwrap();
        assert_eq!(report.loaded, 4);
        assert_eq!(ds.classes(), ["cats", "dogs"]);
        // sorted paths: cats/a, cats/deeper/b, dogs/c, top
        assert_eq!(ds.labels().unwrap(), &[Some(0), Some(0), Some(1), None]);
        assert_eq!(ds.conditional_classes("x").unwrap(), ["cats", "dogs"]);
        // A batch's labels are those of the images drawn (grey level → image).
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let (values, labels) = ds.batch_labelled(&mut rng, 50, 4);
        for (img, label) in values.chunks(48).zip(&labels) {
            let level = ((img[0] + 1.0) * 127.5).round() as u8;
            let want = match level {
                10 | 20 => Some(0),
                30 => Some(1),
                _ => None,
            };
            assert_eq!(*label, want, "level {level}");
        }
        // No sub-folders: plain images, no classes.
        let flat = tempfile::tempdir().unwrap();
        write_png(&flat.path().join("a.png"), 1);
        let (ds, _) = Dataset::open(&DataSource::Folder(flat.path().into()), 4).unwrap();
        assert!(matches!(ds, Dataset::Images(_)));
        assert!(ds.classes().is_empty());
    }

    #[test]
    fn one_class_or_an_empty_class_cannot_train_a_conditional_model() {
        let dir = tempfile::tempdir().unwrap();
        write_png(&dir.path().join("cats/a.png"), 10);
        let (ds, _) = Dataset::open(&DataSource::Folder(dir.path().into()), 4).unwrap();
        let err = ds.conditional_classes("pets").unwrap_err();
        assert!(matches!(err, LabelError::TooFew { .. }));
        assert!(err.to_string().contains("cats"), "{err}");
        std::fs::create_dir(dir.path().join("dogs")).unwrap();
        std::fs::write(dir.path().join("dogs/notes.txt"), "not an image").unwrap();
        let (ds, _) = Dataset::open(&DataSource::Folder(dir.path().into()), 4).unwrap();
        let err = ds.conditional_classes("pets").unwrap_err();
        assert_eq!(
            err,
            LabelError::Empty {
                data: "pets".into(),
                class: "dogs".into()
            }
        );
        assert!(err.to_string().contains("dogs"), "{err}");
        let err = Dataset::Images(Vec::new())
            .conditional_classes("x")
            .unwrap_err();
        assert!(matches!(err, LabelError::TooFew { .. }));
        assert_eq!(
            Dataset::Builtin(Builtin::Shapes)
                .conditional_classes("x")
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn parse_sources() {
        assert_eq!(
            DataSource::parse("builtin:shapes").unwrap(),
            DataSource::Builtin(Builtin::Shapes)
        );
        assert!(DataSource::parse("builtin:nope").is_err());
        assert_eq!(
            DataSource::parse("photos").unwrap(),
            DataSource::Folder("photos".into())
        );
    }

    #[test]
    fn flip_mirrors_and_batches_have_the_right_size() {
        let img = ImageRgb {
            size: 2,
            data: vec![-1.0, 1.0, -1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5],
        };
        let mut out = vec![0.0; 12];
        copy_resized(&img, 2, true, &mut out);
        assert_eq!(&out[..4], &[1.0, -1.0, 1.0, -1.0]);
        let ds = Dataset::Images(vec![img]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        assert_eq!(ds.batch(&mut rng, 5, 2).len(), 60);
        assert_eq!(
            Dataset::Builtin(Builtin::Digits)
                .batch(&mut rng, 3, 8)
                .len(),
            3 * 192
        );
    }
}
