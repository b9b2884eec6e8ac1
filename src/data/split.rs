//! Which images a likelihood is evaluated on: the held-out tenth of a folder (the default),
//! its training images, or all of them. Each image is taken at most once, so a standard
//! error over them is over independent images.

use super::dataset::{Dataset, HOLD_OUT_FROM};
use crate::tr;
use rand::SeedableRng;
use std::fmt;

/// A split of a dataset's images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// images never trained on: a folder's every tenth image, or fresh draws of a built-in set
    Heldout,
    /// the images training draws from
    Train,
    /// every image
    All,
}

impl Split {
    /// "heldout", "train" or "all".
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "heldout" | "held-out" => Some(Self::Heldout),
            "train" => Some(Self::Train),
            "all" => Some(Self::All),
            _ => None,
        }
    }

    /// The name `parse` reads.
    pub fn name(self) -> &'static str {
        match self {
            Self::Heldout => "heldout",
            Self::Train => "train",
            Self::All => "all",
        }
    }
}

/// Why a split has no images.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// a folder of fewer than ten images holds none out
    #[error("{}", tr!("split-err-no-heldout", images = .0, from = HOLD_OUT_FROM))]
    NoHeldOut(usize),
}

/// The images of a split, row-major [count, 3, size, size] in unit space.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitImages {
    /// the values
    pub values: Vec<f32>,
    /// how many images were taken
    pub count: usize,
    /// how many the split holds (a built-in dataset: unlimited, reported as `count`)
    pub available: usize,
    /// fresh draws of a built-in dataset rather than stored images
    pub fresh_draws: bool,
    /// each image's class (None: unlabelled, or data without classes)
    pub labels: Vec<Option<usize>>,
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Up to `n` images of `split`, each at most once, in the folder's order. A built-in dataset
/// draws `n` fresh images from a fixed seed for every split (no draw is ever trained on as
/// such), so estimates with different seeds see the same images.
pub fn split_images(
    dataset: &Dataset,
    split: Split,
    n: usize,
    size: usize,
) -> Result<SplitImages, SplitError> {
    let dim = 3 * size * size;
    let Some(images) = dataset.images() else {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xE1B0);
        let (values, labels) = dataset.batch_labelled(&mut rng, n, size);
        return Ok(SplitImages {
            values,
            count: n,
            available: n,
            fresh_draws: true,
            labels,
        });
    };
    let held_out = |i: usize| images.len() >= HOLD_OUT_FROM && i % 10 == 9;
    let chosen: Vec<usize> = (0..images.len())
        .filter(|&i| match split {
            Split::Heldout => held_out(i),
            Split::Train => !held_out(i),
            Split::All => true,
        })
        .collect();
    if split == Split::Heldout && chosen.is_empty() {
        return Err(SplitError::NoHeldOut(images.len()));
    }
    let taken = &chosen[..n.min(chosen.len())];
    let mut values = vec![0.0f32; taken.len() * dim];
    for (&i, out) in taken.iter().zip(values.chunks_mut(dim)) {
        super::dataset::copy_resized(&images[i], size, false, out);
    }
    let labels = taken
        .iter()
        .map(|&i| dataset.labels().and_then(|l| l[i]))
        .collect();
    Ok(SplitImages {
        values,
        count: taken.len(),
        available: chosen.len(),
        fresh_draws: false,
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ImageRgb;

    fn folder(n: usize) -> Dataset {
        Dataset::Images(
            (0..n)
                .map(|i| ImageRgb {
                    size: 2,
                    data: vec![i as f32 / 100.0; 12],
                })
                .collect(),
        )
    }

    fn ids(s: &SplitImages) -> Vec<usize> {
        s.values
            .chunks(12)
            .map(|c| (c[0] * 100.0).round() as usize)
            .collect()
    }

    #[test]
    fn the_split_carries_the_labels_of_its_images() {
        let d = Dataset::Labelled(crate::data::dataset::LabelledImages {
            images: (0..20)
                .map(|i| ImageRgb {
                    size: 2,
                    data: vec![i as f32 / 100.0; 12],
                })
                .collect(),
            labels: (0..20).map(|i| (i % 3 != 0).then_some(i % 2)).collect(),
            classes: vec!["a".into(), "b".into()],
        });
        let h = split_images(&d, Split::Heldout, 64, 2).unwrap();
        assert_eq!(ids(&h), vec![9, 19]);
        assert_eq!(h.labels, vec![None, Some(1)]);
        let shapes = split_images(
            &Dataset::Builtin(crate::data::Builtin::Shapes),
            Split::All,
            5,
            4,
        )
        .unwrap();
        assert!(shapes.labels.iter().all(|l| l.is_some_and(|c| c < 3)));
    }

    #[test]
    fn heldout_takes_every_tenth_image_once_and_never_repeats() {
        let d = folder(35);
        let h = split_images(&d, Split::Heldout, 64, 2).unwrap();
        assert_eq!(ids(&h), vec![9, 19, 29]);
        assert_eq!((h.count, h.available), (3, 3));
        let t = split_images(&d, Split::Train, 64, 2).unwrap();
        assert_eq!(t.count, 32);
        assert!(ids(&t).iter().all(|i| i % 10 != 9));
        assert_eq!(split_images(&d, Split::All, 5, 2).unwrap().count, 5);
    }

    #[test]
    fn a_small_folder_has_no_heldout_split() {
        let d = folder(4);
        assert_eq!(
            split_images(&d, Split::Heldout, 8, 2),
            Err(SplitError::NoHeldOut(4))
        );
        assert_eq!(split_images(&d, Split::Train, 8, 2).unwrap().count, 4);
        assert_eq!(Split::parse("Held-out"), Some(Split::Heldout));
        assert_eq!(Split::parse("test"), None);
    }
}
