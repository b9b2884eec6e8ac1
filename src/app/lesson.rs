//! The guided lesson: fifteen steps that follow the study note (the premise, the diffusion
//! process, training data, inference, the network, maximum likelihood as KL, the marginal
//! integral, the indicator likelihood, the Gaussian view), then the same argument over a whole
//! distribution in the 1-D and 2-D worlds, the exact likelihood of the probability-flow
//! ODE that answers the note's question, classifier-free guidance, and what 2026 tools use beyond
//! DDPM: other samplers on the same model, and flow matching. Each step explains what the panel
//! beside it shows and sets that panel up.

use super::AppCommand;
use super::settings::Tab;
use crate::i18n::t;
use crate::tr;

/// What a step does to the panels when it opens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action {
    /// open a panel
    Focus(Tab),
    /// open panel ① at t = fraction·T
    ForwardAt(f32),
    /// open panel ① and play t from 0 to T
    PlayForward,
    /// open panel ② and sample from noise
    Sample,
    /// open panel ④ and start training
    Train,
    /// open panel ④ and estimate the ELBO
    Elbo,
    /// open panel ④ and estimate the probability-flow ODE's exact likelihood beside it
    OdeNll,
    /// open panel ⑤ on this data and train it
    World(super::world::Choice),
    /// open panel ⑤'s lab on this data (two runs side by side) and train both
    Lab(super::world::Choice),
    /// open panel ③ with the Gaussian or the indicator likelihood, pick a pixel (as fractions
    /// of the side) if given, and ask the model for G(z)
    Likelihood {
        /// the indicator definition instead of the Gaussian
        indicator: bool,
        /// the pixel to study
        pixel: Option<(f32, f32)>,
    },
}

/// One step of the lesson: its title and text are catalogue keys (see `assets/i18n`).
pub struct Step {
    /// key of the title
    pub title: &'static str,
    /// key of the explanation
    pub body: &'static str,
    /// what it does to the panels
    pub action: Action,
}

/// The lesson.
pub const STEPS: [Step; 15] = [
    Step {
        title: "lesson-1-title",
        body: "lesson-1-body",
        action: Action::ForwardAt(0.0),
    },
    Step {
        title: "lesson-2-title",
        body: "lesson-2-body",
        action: Action::PlayForward,
    },
    Step {
        title: "lesson-3-title",
        body: "lesson-3-body",
        action: Action::ForwardAt(0.5),
    },
    Step {
        title: "lesson-4-title",
        body: "lesson-4-body",
        action: Action::Sample,
    },
    Step {
        title: "lesson-5-title",
        body: "lesson-5-body",
        action: Action::Train,
    },
    Step {
        title: "lesson-6-title",
        body: "lesson-6-body",
        action: Action::Elbo,
    },
    Step {
        title: "lesson-7-title",
        body: "lesson-7-body",
        action: Action::Likelihood {
            indicator: false,
            pixel: None,
        },
    },
    Step {
        title: "lesson-8-title",
        body: "lesson-8-body",
        action: Action::Likelihood {
            indicator: true,
            pixel: Some((0.5, 0.5)),
        },
    },
    Step {
        title: "lesson-9-title",
        body: "lesson-9-body",
        action: Action::Likelihood {
            indicator: false,
            pixel: Some((0.5, 0.5)),
        },
    },
    Step {
        title: "lesson-10-title",
        body: "lesson-10-body",
        action: Action::World(super::world::Choice::Mixture),
    },
    Step {
        title: "lesson-11-title",
        body: "lesson-11-body",
        action: Action::World(super::world::Choice::Moons),
    },
    Step {
        title: "lesson-12-title",
        body: "lesson-12-body",
        action: Action::OdeNll,
    },
    Step {
        title: "lesson-13-title",
        body: "lesson-13-body",
        action: Action::World(super::world::Choice::Overlap),
    },
    Step {
        title: "lesson-14-title",
        body: "lesson-14-body",
        action: Action::Lab(super::world::Choice::Moons),
    },
    Step {
        title: "lesson-15-title",
        body: "lesson-15-body",
        action: Action::Lab(super::world::Choice::Moons),
    },
];

/// State of the lesson panel.
#[derive(Default)]
pub struct LessonPanel {
    /// the open step
    pub step: usize,
}

impl LessonPanel {
    /// The commands that set up the panels for the current step.
    pub fn commands(&self) -> Vec<AppCommand> {
        let action = STEPS[self.step.min(STEPS.len() - 1)].action;
        match action {
            Action::Focus(tab) => vec![AppCommand::Focus(tab)],
            Action::ForwardAt(f) => {
                vec![AppCommand::Focus(Tab::Forward), AppCommand::SetForwardT(f)]
            }
            Action::PlayForward => vec![
                AppCommand::Focus(Tab::Forward),
                AppCommand::SetForwardT(0.0),
                AppCommand::PlayForward,
            ],
            Action::Sample => vec![AppCommand::Focus(Tab::Reverse), AppCommand::Sample],
            Action::Train => vec![AppCommand::Focus(Tab::Curves), AppCommand::Train(true)],
            Action::Elbo => vec![
                AppCommand::Focus(Tab::Curves),
                AppCommand::EstimateElbo(crate::diffusion::TimestepPlan::Stratified {
                    strata: crate::diffusion::DEFAULT_STRATA,
                }),
            ],
            Action::OdeNll => vec![AppCommand::Focus(Tab::Curves), AppCommand::EstimateOdeNll],
            Action::World(choice) => vec![
                AppCommand::Focus(Tab::World),
                AppCommand::WorldLab(false),
                AppCommand::WorldData(choice),
                AppCommand::WorldTrain(true),
            ],
            Action::Lab(choice) => vec![
                AppCommand::Focus(Tab::World),
                AppCommand::WorldData(choice),
                AppCommand::WorldLab(true),
                AppCommand::WorldTrain(true),
            ],
            Action::Likelihood { indicator, pixel } => {
                let mut c = vec![
                    AppCommand::Focus(Tab::Likelihood),
                    AppCommand::IndicatorToggled(indicator),
                ];
                c.extend(pixel.map(|(u, v)| AppCommand::PickPixel(u, v)));
                c.push(AppCommand::Probe);
                c
            }
        }
    }

    /// Draw the lesson; moving to a step returns its commands.
    pub fn ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.heading(tr!("lesson-heading"));
        ui.small(tr!("lesson-subtitle"));
        ui.separator();
        let step = &STEPS[self.step.min(STEPS.len() - 1)];
        ui.label(egui::RichText::new(t(step.title)).strong().size(16.0));
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .max_height(ui.available_height() - 60.0)
            .show(ui, |ui| {
                ui.label(t(step.body));
            });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(self.step > 0, egui::Button::new(tr!("lesson-back")))
                .clicked()
            {
                self.step -= 1;
                out.extend(self.commands());
            }
            ui.label(format!("{}/{}", self.step + 1, STEPS.len()));
            if ui
                .add_enabled(
                    self.step + 1 < STEPS.len(),
                    egui::Button::new(tr!("lesson-next")),
                )
                .clicked()
            {
                self.step += 1;
                out.extend(self.commands());
            }
            if ui
                .button(tr!("lesson-show-me"))
                .on_hover_text(tr!("lesson-show-me-tip"))
                .clicked()
            {
                out.extend(self.commands());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_sets_up_a_panel() {
        for step in 0..STEPS.len() {
            let lesson = LessonPanel { step };
            let commands = lesson.commands();
            assert!(
                matches!(commands.first(), Some(AppCommand::Focus(_))),
                "step {step}"
            );
        }
        let indicator = LessonPanel { step: 7 }.commands();
        assert!(indicator.contains(&AppCommand::Focus(Tab::Likelihood)));
        assert!(indicator.contains(&AppCommand::IndicatorToggled(true)));
        assert!(indicator.contains(&AppCommand::PickPixel(0.5, 0.5)));
        assert!(
            LessonPanel { step: 4 }
                .commands()
                .contains(&AppCommand::Train(true))
        );
        assert_eq!(
            LessonPanel { step: 11 }.commands(),
            vec![AppCommand::Focus(Tab::Curves), AppCommand::EstimateOdeNll]
        );
    }
}
