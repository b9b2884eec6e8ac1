//! Data: image decoding into unit space, and the datasets the model trains on.

pub mod builtin;
pub mod dataset;
pub mod image;
pub mod points;
pub mod split;

pub use self::image::{ImageError, ImageRgb, decode_image, load_image};
pub use builtin::Builtin;
pub use dataset::{DataError, DataSource, Dataset, LoadReport};
