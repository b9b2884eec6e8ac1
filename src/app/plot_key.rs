//! The key of a plot, drawn as a line of coloured marks and names below the plot, so that it
//! never covers a curve (egui_plot's legend sits inside the plot area).

/// Series colours shared by the panels.
pub mod colors {
    use egui::Color32;
    /// first series
    pub const ORANGE: Color32 = Color32::from_rgb(235, 130, 60);
    /// second series
    pub const BLUE: Color32 = Color32::from_rgb(90, 160, 235);
    /// third series
    pub const GREEN: Color32 = Color32::from_rgb(120, 200, 120);
    /// fourth series
    pub const GREY: Color32 = Color32::from_rgb(150, 150, 150);
    /// a training loss
    pub const RED: Color32 = Color32::from_rgb(220, 90, 90);
    /// a marker such as the current t or the data point x
    pub const YELLOW: Color32 = Color32::from_rgb(235, 200, 70);
    /// an exact likelihood (the probability-flow ODE) beside a bound
    pub const PURPLE: Color32 = Color32::from_rgb(190, 130, 235);
}

/// One entry: its colour, a mark that shows how it is drawn (━ line, ● points, ◆, ▼, ╌ dashed,
/// ┃ vertical line, ▮ bars) and its name.
pub type Entry<'a> = (egui::Color32, &'a str, &'a str);

/// Draw the key below a plot.
pub fn key_ui(ui: &mut egui::Ui, entries: &[Entry<'_>]) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for (i, (color, mark, name)) in entries.iter().enumerate() {
            if i > 0 {
                ui.add_space(8.0);
            }
            ui.colored_label(*color, *mark);
            ui.label(*name);
        }
    });
}

/// A measured series against a parameter: its line and a dot at each measurement.
pub fn line_and_dots(
    plot: &mut egui_plot::PlotUi<'_>,
    name: &str,
    points: Vec<[f64; 2]>,
    color: egui::Color32,
) {
    plot.line(egui_plot::Line::new(name, points.clone()).color(color));
    plot.points(
        egui_plot::Points::new(name, points)
            .radius(3.0)
            .color(color),
    );
}
