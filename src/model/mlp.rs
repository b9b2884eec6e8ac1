//! The ε-predictor of the 1-D and 2-D worlds: a small MLP on [x, Fourier features of x,
//! sinusoidal t-embedding].
//!
//! ε̂(x_t, t) = W_out · SiLU(… SiLU(W₁ [x_t, sin/cos(π 2^k x_t), e(t)] + b₁) …) + b_out, with
//! e(t) the same sinusoidal embedding as the U-Net's.

use super::kernels::silu;
use super::unet::time_label_embedding;
use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, TensorData};

/// Shape of the MLP.
#[derive(Config, Debug, PartialEq)]
pub struct MlpConfig {
    /// dimension of the data: 1 or 2
    #[config(default = 2)]
    pub dim: usize,
    /// width of the hidden layers
    #[config(default = 128)]
    pub hidden: usize,
    /// number of hidden layers
    #[config(default = 3)]
    pub layers: usize,
    /// width of the t-embedding
    #[config(default = 32)]
    pub embed: usize,
    /// octaves of Fourier features of x: sin and cos of π·2^k·x for k < octaves, so that the
    /// network can draw sharp, thin structures (moons, spirals) without a very deep net
    #[config(default = 4)]
    pub octaves: usize,
    /// classes of a conditional model (0: unconditional); one more row is the null class ∅
    #[config(default = 0)]
    pub classes: usize,
}

impl MlpConfig {
    /// Build the network on `device`.
    pub fn init(&self, device: &Device) -> Mlp {
        let input = self.dim * (1 + 2 * self.octaves) + self.embed;
        let mut hidden = vec![LinearConfig::new(input, self.hidden).init(device)];
        for _ in 1..self.layers.max(1) {
            hidden.push(LinearConfig::new(self.hidden, self.hidden).init(device));
        }
        Mlp {
            hidden,
            out: LinearConfig::new(self.hidden, self.dim).init(device),
            // a one-hot class (the last row ∅) mapped into the time embedding's space
            class_embed: (self.classes > 0).then(|| {
                LinearConfig::new(self.classes + 1, self.embed)
                    .with_bias(false)
                    .init(device)
            }),
            embed: self.embed,
            octaves: self.octaves,
            classes: self.classes,
        }
    }
}

/// The MLP ε-predictor.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    out: Linear,
    class_embed: Option<Linear>,
    embed: usize,
    octaves: usize,
    classes: usize,
}

impl Mlp {
    /// ε̂ for x_t: [b, dim] at timesteps `ts` (one per row) → [b, dim].
    pub fn forward(&self, x_t: Tensor<2>, ts: &[usize]) -> Tensor<2> {
        let labels: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
        self.forward_at_labels(x_t, &labels)
    }

    /// ε̂ for x: [b, dim] at real time labels (one per row; an integer label is the
    /// timestep t) → [b, dim].
    pub fn forward_at_labels(&self, x_t: Tensor<2>, labels: &[f64]) -> Tensor<2> {
        self.forward_conditional(x_t, labels, None)
    }

    /// Classes of a conditional model (0: unconditional).
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// ε̂ for x: [b, dim] at real time labels, each row with its class (`classes()` is the null
    /// class ∅; None: ∅ for every row). An unconditional model ignores the classes.
    pub fn forward_conditional(
        &self,
        x_t: Tensor<2>,
        labels: &[f64],
        classes: Option<&[usize]>,
    ) -> Tensor<2> {
        let device = x_t.device();
        let mut emb = Tensor::<2>::from_data(
            TensorData::new(
                time_label_embedding(labels, self.embed),
                [labels.len(), self.embed],
            ),
            &device,
        ); // [b, embed]
        if let Some(class_embed) = &self.class_embed {
            let k = self.classes + 1;
            let mut one_hot = vec![0.0f32; labels.len() * k];
            for i in 0..labels.len() {
                let c = classes
                    .and_then(|c| c.get(i).copied())
                    .unwrap_or(self.classes);
                one_hot[i * k + c.min(self.classes)] = 1.0;
            }
            let one_hot =
                Tensor::<2>::from_data(TensorData::new(one_hot, [labels.len(), k]), &device);
            emb = emb + class_embed.forward(one_hot); // [b, embed]
        }
        let mut features = vec![x_t.clone()];
        for k in 0..self.octaves {
            let scaled = x_t
                .clone()
                .mul_scalar(std::f64::consts::PI * (1u32 << k) as f64);
            features.push(scaled.clone().sin());
            features.push(scaled.cos());
        }
        features.push(emb);
        let mut h = Tensor::cat(features, 1); // [b, dim·(1 + 2·octaves) + embed]
        for layer in &self.hidden {
            h = silu(layer.forward(h)); // [b, hidden]
        }
        self.out.forward(h) // [b, dim]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let device = Device::flex();
        let mlp = MlpConfig::new().with_dim(1).init(&device);
        let x = Tensor::<2>::from_data(TensorData::new(vec![0.1f32, -0.4, 2.0], [3, 1]), &device);
        let y = mlp.forward(x, &[1, 50, 100]);
        assert_eq!(y.dims(), [3, 1]);
        assert!(
            y.into_data()
                .try_into_vec::<f32>()
                .unwrap()
                .iter()
                .all(|v| v.is_finite())
        );
    }
}
