//! A small image classifier, trained in seconds on the labelled data, that measures what
//! guidance does to samples without asking the diffusion model itself: three 3×3
//! convolutions (the last two with stride 2), global average pooling and a linear layer.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Device, Tensor, TensorData};

use super::kernels;

/// Shape of the classifier.
#[derive(Config, Debug, PartialEq)]
pub struct ClassifierConfig {
    /// number of classes
    pub classes: usize,
    /// channels of the images
    #[config(default = 3)]
    pub image_channels: usize,
    /// channels of the first convolution (the others have twice as many)
    #[config(default = 16)]
    pub width: usize,
}

impl ClassifierConfig {
    /// Build the classifier with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> Classifier {
        let conv = |c_in: usize, c_out: usize, stride: usize| {
            Conv2dConfig::new([c_in, c_out], [3, 3])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        let w = self.width;
        Classifier {
            conv1: conv(self.image_channels, w, 1),
            conv2: conv(w, 2 * w, 2),
            conv3: conv(2 * w, 2 * w, 2),
            head: LinearConfig::new(2 * w, self.classes.max(1)).init(device),
        }
    }
}

/// The classifier's network.
#[derive(Module, Debug)]
pub struct Classifier {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    head: Linear,
}

impl Classifier {
    /// The pooled features the head reads: x: [b, c, s, s] → [b, 2·width].
    pub fn features(&self, x: Tensor<4>) -> Tensor<2> {
        let h = relu(kernels::conv2d(&self.conv1, x)); // [b, w, s, s]
        let h = relu(kernels::conv2d(&self.conv2, h)); // [b, 2w, s/2, s/2]
        let h = relu(kernels::conv2d(&self.conv3, h)); // [b, 2w, s/4, s/4]
        let [b, c, _, _] = h.dims();
        h.flatten::<3>(2, 3).mean_dim(2).reshape([b, c]) // [b, 2w]
    }

    /// Class logits for x: [b, c, s, s] → [b, classes].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.head.forward(self.features(x))
    }

    /// Mean cross-entropy of the logits against `labels` (one class per row).
    pub fn loss(&self, x: Tensor<4>, labels: &[usize]) -> Tensor<1> {
        let logits = self.forward(x); // [b, k]
        let [b, k] = logits.dims();
        let mut one_hot = vec![0.0f32; b * k];
        for (i, &c) in labels.iter().enumerate().take(b) {
            one_hot[i * k + c.min(k - 1)] = 1.0;
        }
        let one_hot = Tensor::<2>::from_data(TensorData::new(one_hot, [b, k]), &logits.device());
        (log_softmax(logits, 1) * one_hot)
            .sum_dim(1)
            .mean()
            .neg()
            .reshape([1])
    }

    /// The most likely class of every image.
    pub fn predict(&self, x: Tensor<4>) -> Vec<usize> {
        let logits = self.forward(x);
        let [_, k] = logits.dims();
        let values = logits.into_data().try_to_vec::<f32>().unwrap_or_default();
        values
            .chunks(k.max(1))
            .map(|row| {
                row.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(i, _)| i)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_the_loss_of_uniform_logits() {
        let device = Device::flex();
        let model = ClassifierConfig::new(4).with_width(8).init(&device);
        let x = Tensor::<4>::zeros([3, 3, 8, 8], &device);
        assert_eq!(model.forward(x.clone()).dims(), [3, 4]);
        assert_eq!(model.predict(x.clone()).len(), 3);
        // Equal logits (zero input, so only the head's bias differs per class; zero it):
        // the loss is ln k.
        let model = Classifier {
            head: LinearConfig::new(16, 4)
                .with_initializer(burn::module::Initializer::Zeros)
                .init(&device),
            ..model
        };
        let loss: f32 = model.loss(x, &[0, 1, 3]).into_scalar();
        assert!((loss - 4f32.ln()).abs() < 1e-5, "{loss}");
    }
}
