//! The guided lesson: nine steps that follow the study note (the premise, the diffusion
//! process, training data, inference, the network, maximum likelihood as KL, the marginal
//! integral, the indicator likelihood, the Gaussian view). Each step explains what the panel
//! beside it shows and sets that panel up.

use super::AppCommand;
use super::settings::Tab;

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
    /// open panel ③ with the Gaussian (false) or indicator (true) likelihood, and probe
    Likelihood(bool),
}

/// One step of the lesson.
pub struct Step {
    /// title
    pub title: &'static str,
    /// the explanation
    pub body: &'static str,
    /// what it does to the panels
    pub action: Action,
}

/// The lesson.
pub const STEPS: [Step; 9] = [
    Step {
        title: "1 · The premise",
        body: "Every image is a sample from some probability distribution. Pure Gaussian noise is a sample \
               from a simple one, N(0, I); a photo is a sample from a very complicated one. A diffusion model \
               learns to carry samples from the simple distribution to the complicated one.\n\n\
               Panel ① shows one image x₀ at t = 0: a single point of the data distribution.",
        action: Action::ForwardAt(0.0),
    },
    Step {
        title: "2 · The diffusion process",
        body: "Turning an image into noise is easy: keep adding a little Gaussian noise. After T steps nothing \
               of the image is left and x_T ~ N(0, I). Because x₀ is a fixed value, it only shifts the mean.\n\n\
               Watch panel ① play t from 0 to T: the histogram on the right turns into the bell curve of N(0, 1).",
        action: Action::PlayForward,
    },
    Step {
        title: "3 · How training data is made",
        body: "No need to walk step by step: x_t = √ᾱ_t · x₀ + √(1−ᾱ_t) · ε in one go, with ε ~ N(0, I). \
               A training example is (x_t, t) as input and ε as the answer: the network learns to predict \
               the noise. The curves of ᾱ_t and β_t show how fast the image fades under the chosen schedule.",
        action: Action::ForwardAt(0.5),
    },
    Step {
        title: "4 · The inference loop",
        body: "To generate, start from pure noise x_T and repeat: predict the noise ε̂ = ε_θ(x_t, t), compute \
               the clean-image guess x̂₀, and step to x_(t−1). DDPM takes all T steps; DDIM jumps in a few.\n\n\
               Panel ② plays the trajectory: x_t on the left, the model's x̂₀ on the right.",
        action: Action::Sample,
    },
    Step {
        title: "5 · What the network is",
        body: "ε_θ is a small U-Net: convolutions that shrink the image to see the whole of it and grow it back, \
               with skip connections for detail, and the timestep t fed in as a sinusoidal embedding. \
               Training minimises L_simple = ‖ε − ε_θ(x_t, t)‖².\n\nTraining starts now: watch the loss fall in panel ④.",
        action: Action::Train,
    },
    Step {
        title: "6 · Maximum likelihood is a KL",
        body: "We want the model's distribution P_θ to give the real images high probability: maximise \
               ∏ᵢ P_θ(xᵢ). Taking logs and averaging, this is the same as minimising KL(P_data ‖ P_θ).\n\n\
               For diffusion models the log-likelihood is bounded by the ELBO: L = L_T + Σ L_(t−1) + L_0, \
               shown in bits per dimension in panel ④.",
        action: Action::Elbo,
    },
    Step {
        title: "7 · The marginal integral",
        body: "P_θ(x) cannot be read off the network directly. It is the integral over the noise: \
               P_θ(x) = ∫ P(z) · P_θ(x | z) dz. P(z) is the easy Gaussian; everything hinges on P_θ(x | z), \
               the chance that the network turns the noise z into exactly x.\n\n\
               Panel ③: z is the chosen image noised to t, and G(z) is the network's x̂₀ from it.",
        action: Action::Likelihood(false),
    },
    Step {
        title: "8 · The indicator likelihood",
        body: "The intuitive definition: P_θ(x | z) = 1 if G(z) = x, otherwise 0. But a network's output \
               almost never equals x exactly, in every one of thousands of pixels at once. Count the hits \
               in panel ③: they vanish as the number of pixels grows, so P_θ(x) collapses to 0 and gives no \
               gradient to learn from.",
        action: Action::Likelihood(true),
    },
    Step {
        title: "9 · The Gaussian (VAE) view",
        body: "The fix: let P_θ(x | z) = N(x; G(z), σ²). Now every x has some density, larger the closer G(z) \
               is to x, and log P_θ(x | z) = −‖x − G(z)‖²/(2σ²) + const is a smooth loss. As training goes on, \
               G(z) walks toward x (the small plot in panel ③). This is the view behind VAEs and the \
               diffusion model's Gaussian steps.",
        action: Action::Likelihood(false),
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
            Action::Elbo => vec![AppCommand::Focus(Tab::Curves), AppCommand::EstimateElbo],
            Action::Likelihood(indicator) => vec![
                AppCommand::Focus(Tab::Likelihood),
                AppCommand::IndicatorToggled(indicator),
                AppCommand::Probe,
            ],
        }
    }

    /// Draw the lesson; moving to a step returns its commands.
    pub fn ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<AppCommand>) {
        ui.heading("Guided lesson");
        ui.small("Follows the study note: from the premise of diffusion to the likelihood p(x|z).");
        ui.separator();
        let step = &STEPS[self.step.min(STEPS.len() - 1)];
        ui.label(egui::RichText::new(step.title).strong().size(16.0));
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .max_height(ui.available_height() - 60.0)
            .show(ui, |ui| {
                ui.label(step.body);
            });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(self.step > 0, egui::Button::new("◀ Back"))
                .clicked()
            {
                self.step -= 1;
                out.extend(self.commands());
            }
            ui.label(format!("{}/{}", self.step + 1, STEPS.len()));
            if ui
                .add_enabled(self.step + 1 < STEPS.len(), egui::Button::new("Next ▶"))
                .clicked()
            {
                self.step += 1;
                out.extend(self.commands());
            }
            if ui
                .button("Show me")
                .on_hover_text("Set up the panel for this step again")
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
        assert!(
            LessonPanel { step: 4 }
                .commands()
                .contains(&AppCommand::Train(true))
        );
    }
}
