//! The bundled fonts: egui's defaults plus fallbacks for formulas and Chinese.

use super::*;

/// The bundled fallback font: DejaVu Sans (subset), for Greek, math and arrows.
pub(super) const DEJAVU: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

/// The bundled CJK font: Noto Sans CJK SC, cut down to the characters of the Chinese
/// catalogue (assets/fonts/subset_cjk.py).
pub(super) const NOTO_SC: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-subset.otf");

/// egui's default fonts plus the bundled fallbacks, so every formula and every Chinese
/// string renders.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    for (name, bytes) in [("dejavu", DEJAVU), ("noto-sc", NOTO_SC)] {
        fonts.font_data.insert(
            name.to_owned(),
            Arc::new(egui::FontData::from_static(bytes)),
        );
        for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
            fonts
                .families
                .entry(family)
                .or_default()
                .push(name.to_owned());
        }
    }
    ctx.set_fonts(fonts);
}
