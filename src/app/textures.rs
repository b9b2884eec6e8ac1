//! Turning unit-space CHW images into egui textures, updated in place.

use crate::data::image::unit_to_u8;
use egui::{ColorImage, TextureHandle, TextureOptions};

/// CHW values in [-1, 1] of a square image of side `size` → an egui image.
pub fn color_image(chw: &[f32], size: usize) -> ColorImage {
    let plane = size * size;
    let mut rgb = Vec::with_capacity(plane * 3);
    for i in 0..plane {
        for c in 0..3 {
            rgb.push(chw.get(c * plane + i).copied().map(unit_to_u8).unwrap_or(0));
        }
    }
    ColorImage::from_rgb([size, size], &rgb)
}

/// A texture slot that is re-uploaded only when its content changes.
#[derive(Default)]
pub struct TextureSlot {
    handle: Option<TextureHandle>,
    /// what the texture shows now (a caller-chosen key)
    key: Option<u64>,
}

impl TextureSlot {
    /// Show `chw` (side `size`) under `key`; uploads only if `key` changed.
    pub fn update(
        &mut self,
        ctx: &egui::Context,
        name: &str,
        key: u64,
        chw: &[f32],
        size: usize,
    ) -> &TextureHandle {
        self.update_with(ctx, name, key, || color_image(chw, size))
    }

    /// Show an already-built image under `key`; `make` runs only if `key` changed.
    pub fn update_with(
        &mut self,
        ctx: &egui::Context,
        name: &str,
        key: u64,
        make: impl FnOnce() -> ColorImage,
    ) -> &TextureHandle {
        if self.key != Some(key) || self.handle.is_none() {
            let image = make();
            match &mut self.handle {
                Some(h) => h.set(image, TextureOptions::NEAREST),
                None => self.handle = Some(ctx.load_texture(name, image, TextureOptions::NEAREST)),
            }
            self.key = Some(key);
        }
        self.handle.get_or_insert_with(|| {
            ctx.load_texture(
                name,
                ColorImage::new([1, 1], vec![egui::Color32::BLACK]),
                TextureOptions::NEAREST,
            )
        })
    }

    /// Forget the content, so the next update uploads.
    pub fn invalidate(&mut self) {
        self.key = None;
    }
}

/// A cheap hash of a float slice, for texture keys.
pub fn hash_values(values: &[f32]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in values {
        h ^= v.to_bits() as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// An 8-bit RGB image → an egui image.
pub fn from_rgb8(img: &image::RgbImage) -> ColorImage {
    ColorImage::from_rgb([img.width() as usize, img.height() as usize], img.as_raw())
}
