//! A small ε-prediction U-Net: sinusoidal time embedding, residual blocks with GroupNorm,
//! a down path and an up path joined by skip connections, and optional single-head
//! self-attention at the lowest resolution (Ho et al. 2020, scaled down).

use super::kernels::silu;
use burn::config::Config;
use burn::module::{Initializer, Module};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::softmax;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor, TensorData};

use super::kernels;
use super::kernels::shards::ShardThreads;

/// Shape of the network. Serialised into every checkpoint's `config.json`.
#[derive(Config, Debug, PartialEq)]
pub struct UNetConfig {
    /// side of the square input in pixels (a multiple of 2^(levels−1))
    #[config(default = 32)]
    pub image_size: usize,
    /// channels of the images (3 for RGB)
    #[config(default = 3)]
    pub image_channels: usize,
    /// channels at the top level; level i has base · mults[i]
    #[config(default = 48)]
    pub base_channels: usize,
    /// channel multiplier per resolution level; each level after the first halves the side
    #[config(default = "vec![1, 2, 2]")]
    pub channel_mults: Vec<usize>,
    /// residual blocks per level on the way down (the way up has one more)
    #[config(default = 1)]
    pub res_blocks: usize,
    /// self-attention in the middle, at the lowest resolution
    #[config(default = true)]
    pub attention: bool,
    /// GroupNorm groups (reduced where a width is not divisible)
    #[config(default = 8)]
    pub groups: usize,
    /// classes of a class-conditional model (None or 0: unconditional). Their embedding is
    /// added to the time embedding; one more row is the null class ∅ of classifier-free
    /// guidance. (An Option, so that checkpoints written before it load as unconditional.)
    pub classes: Option<usize>,
}

/// Most classes of a conditional model.
pub const MAX_CLASSES: usize = 1000;

/// Why a configuration cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// a field is out of its range
    #[error("invalid model config: {0}")]
    Invalid(String),
}

impl UNetConfig {
    /// The model used by the default built-in dataset at 32×32.
    pub fn default_32() -> Self {
        Self::new()
    }

    /// Check the fields before building.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let levels = self.channel_mults.len();
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if levels == 0 || levels > 5 {
            return bad("channel_mults must have 1 to 5 levels");
        }
        if self.channel_mults.contains(&0) || self.base_channels == 0 || self.base_channels > 512 {
            return bad("channel widths must be positive and at most 512");
        }
        if self.image_channels == 0 || self.image_channels > 4 {
            return bad("image_channels must be 1 to 4");
        }
        let div = 1 << (levels - 1);
        if self.image_size == 0 || self.image_size % div != 0 || self.image_size > 256 {
            return bad(&format!(
                "image_size must be a multiple of {div} and at most 256"
            ));
        }
        if self.res_blocks == 0 || self.res_blocks > 4 || self.groups == 0 {
            return bad("res_blocks must be 1 to 4 and groups positive");
        }
        if self.class_count() > MAX_CLASSES {
            return bad(&format!("at most {MAX_CLASSES} classes"));
        }
        Ok(())
    }

    /// Classes of a conditional model (0: unconditional).
    pub fn class_count(&self) -> usize {
        self.classes.unwrap_or(0)
    }

    fn width(&self, level: usize) -> usize {
        self.base_channels * self.channel_mults[level]
    }

    fn time_dim(&self) -> usize {
        self.base_channels * 4
    }

    fn norm(&self, channels: usize, device: &Device) -> GroupNorm {
        let mut g = self.groups.min(channels);
        while channels % g != 0 {
            g -= 1;
        }
        GroupNormConfig::new(g, channels).init(device)
    }

    fn conv3(&self, c_in: usize, c_out: usize, stride: usize, device: &Device) -> Conv2d {
        Conv2dConfig::new([c_in, c_out], [3, 3])
            .with_stride([stride, stride])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(device)
    }

    fn res_block(&self, c_in: usize, c_out: usize, device: &Device) -> ResBlock {
        ResBlock {
            norm1: self.norm(c_in, device),
            conv1: self.conv3(c_in, c_out, 1, device),
            time: LinearConfig::new(self.time_dim(), c_out).init(device),
            norm2: self.norm(c_out, device),
            // Zero-initialised: each block starts as the identity.
            conv2: Conv2dConfig::new([c_out, c_out], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_initializer(Initializer::Zeros)
                .init(device),
            skip: (c_in != c_out).then(|| Conv2dConfig::new([c_in, c_out], [1, 1]).init(device)),
        }
    }

    /// FLOPs of one forward pass for one image (2 per multiply-add), counted from the layer
    /// shapes: every convolution, the time embedding's linear layers and attention's two
    /// matmuls. Norms, activations and additions (a few % more) are not counted. A training
    /// step costs about 3× this per image (the backward has two products per layer).
    pub fn forward_flops(&self) -> f64 {
        let conv = |c_in: usize, c_out: usize, k: usize, side: usize| {
            2.0 * (c_in * k * k * c_out * side * side) as f64
        };
        let time_dim = self.time_dim();
        let res = |c_in: usize, c_out: usize, side: usize| {
            conv(c_in, c_out, 3, side)
                + conv(c_out, c_out, 3, side)
                + 2.0 * (time_dim * c_out) as f64
                + if c_in != c_out {
                    conv(c_in, c_out, 1, side)
                } else {
                    0.0
                }
        };
        let levels = self.channel_mults.len();
        let mut side = self.image_size;
        let c0 = self.width(0);
        let mut flops = 2.0 * (self.base_channels * time_dim + time_dim * time_dim) as f64
            + conv(self.image_channels, c0, 3, side)
            + if self.class_count() > 0 {
                2.0 * ((self.class_count() + 1) * time_dim) as f64
            } else {
                0.0
            };
        let mut skips = vec![c0];
        let mut ch = c0;
        for level in 0..levels {
            let out = self.width(level);
            for _ in 0..self.res_blocks {
                flops += res(ch, out, side);
                ch = out;
                skips.push(ch);
            }
            if level + 1 < levels {
                skips.push(ch);
                side /= 2;
                flops += conv(ch, ch, 3, side);
            }
        }
        flops += 2.0 * res(ch, ch, side);
        if self.attention {
            let hw = side * side;
            flops +=
                conv(ch, 3 * ch, 1, side) + conv(ch, ch, 1, side) + 4.0 * (hw * hw * ch) as f64;
        }
        for level in (0..levels).rev() {
            let out = self.width(level);
            for _ in 0..=self.res_blocks {
                flops += res(ch + skips.pop().unwrap_or(0), out, side);
                ch = out;
            }
            if level > 0 {
                side *= 2;
                flops += conv(ch, ch, 3, side);
            }
        }
        flops + conv(ch, self.image_channels, 3, side)
    }

    /// Build the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> Result<UNet, ConfigError> {
        self.validate()?;
        let levels = self.channel_mults.len();
        let c0 = self.width(0);
        let time_dim = self.time_dim();
        let mut skip_channels = vec![c0];
        let mut down = Vec::with_capacity(levels);
        let mut ch = c0;
        for level in 0..levels {
            let out = self.width(level);
            let mut blocks = Vec::new();
            for _ in 0..self.res_blocks {
                blocks.push(self.res_block(ch, out, device));
                ch = out;
                skip_channels.push(ch);
            }
            let downsample = (level + 1 < levels).then(|| {
                skip_channels.push(ch);
                self.conv3(ch, ch, 2, device)
            });
            down.push(DownLevel { blocks, downsample });
        }
        let mid1 = self.res_block(ch, ch, device);
        let attention = self.attention.then(|| AttentionBlock {
            norm: self.norm(ch, device),
            qkv: Conv2dConfig::new([ch, 3 * ch], [1, 1]).init(device),
            proj: Conv2dConfig::new([ch, ch], [1, 1])
                .with_initializer(Initializer::Zeros)
                .init(device),
            channels: ch,
        });
        let mid2 = self.res_block(ch, ch, device);
        let mut up = Vec::with_capacity(levels);
        for level in (0..levels).rev() {
            let out = self.width(level);
            let mut blocks = Vec::new();
            for _ in 0..=self.res_blocks {
                let skip = skip_channels.pop().unwrap_or(0);
                blocks.push(self.res_block(ch + skip, out, device));
                ch = out;
            }
            let upsample = (level > 0).then(|| self.conv3(ch, ch, 1, device));
            up.push(UpLevel { blocks, upsample });
        }
        Ok(UNet {
            stem: self.conv3(self.image_channels, c0, 1, device),
            time1: LinearConfig::new(self.base_channels, time_dim).init(device),
            time2: LinearConfig::new(time_dim, time_dim).init(device),
            // a one-hot class (the last row ∅) mapped into the time embedding's space
            class_embed: (self.class_count() > 0)
                .then(|| LinearConfig::new(self.class_count() + 1, time_dim).init(device)),
            down,
            mid1,
            attention,
            mid2,
            up,
            out_norm: self.norm(ch, device),
            out_conv: Conv2dConfig::new([ch, self.image_channels], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_initializer(Initializer::Zeros)
                .init(device),
            embed_dim: self.base_channels,
        })
    }
}

/// GroupNorm → SiLU → conv, twice, with the time embedding added in between, plus a skip.
#[derive(Module, Debug)]
pub struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    time: Linear,
    norm2: GroupNorm,
    conv2: Conv2d,
    skip: Option<Conv2d>,
}

impl ResBlock {
    /// x: [b, c_in, h, w], temb: [b, time_dim] (already through SiLU) → [b, c_out, h, w]
    fn forward(&self, x: Tensor<4>, temb: Tensor<2>) -> Tensor<4> {
        let h = kernels::conv2d(
            &self.conv1,
            kernels::group_norm_silu(&self.norm1, x.clone()),
        ); // [b, c_out, h, w]
        let t = self.time.forward(temb); // [b, c_out]
        let x = match &self.skip {
            Some(conv) => kernels::conv2d(conv, x),
            None => x,
        };
        // x + conv2(SiLU(GroupNorm(h + t))), the time embedding and the residual added inside
        // the kernels
        kernels::conv2d_residual(
            &self.conv2,
            kernels::group_norm_silu_shift(&self.norm2, h, t),
            x,
        )
    }
}

/// Single-head self-attention over the h·w positions.
#[derive(Module, Debug)]
pub struct AttentionBlock {
    norm: GroupNorm,
    qkv: Conv2d,
    proj: Conv2d,
    channels: usize,
}

impl AttentionBlock {
    /// x: [b, c, h, w] → [b, c, h, w]
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let qkv =
            kernels::conv2d(&self.qkv, self.norm.forward(x.clone())).reshape([b, 3 * c, h * w]); // [b, 3c, hw]
        let q = qkv.clone().narrow(1, 0, c); // [b, c, hw]
        let k = qkv.clone().narrow(1, c, c);
        let v = qkv.narrow(1, 2 * c, c);
        let scale = 1.0 / (self.channels as f64).sqrt();
        let attn = softmax(q.swap_dims(1, 2).matmul(k).mul_scalar(scale), 2); // [b, hw(q), hw(k)]
        let out = v.matmul(attn.swap_dims(1, 2)).reshape([b, c, h, w]); // [b, c, hw(q)]
        x + kernels::conv2d(&self.proj, out)
    }
}

/// Residual blocks at one resolution, then a stride-2 convolution (except at the bottom).
#[derive(Module, Debug)]
pub struct DownLevel {
    blocks: Vec<ResBlock>,
    downsample: Option<Conv2d>,
}

/// Residual blocks that each eat one skip, then nearest ×2 upsampling and a convolution.
#[derive(Module, Debug)]
pub struct UpLevel {
    blocks: Vec<ResBlock>,
    upsample: Option<Conv2d>,
}

/// The noise predictor ε_θ(x_t, t).
#[derive(Module, Debug)]
pub struct UNet {
    stem: Conv2d,
    time1: Linear,
    time2: Linear,
    class_embed: Option<Linear>,
    down: Vec<DownLevel>,
    mid1: ResBlock,
    attention: Option<AttentionBlock>,
    mid2: ResBlock,
    up: Vec<UpLevel>,
    out_norm: GroupNorm,
    out_conv: Conv2d,
    embed_dim: usize,
}

/// Sinusoidal embedding of integer timesteps, computed on the host:
/// e[2i] = sin(t·ω_i), e[2i+1] = cos(t·ω_i), ω_i = 10000^(−i/(d/2−1)). Row-major [n, dim].
pub fn timestep_embedding(ts: &[usize], dim: usize) -> Vec<f32> {
    let labels: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
    time_label_embedding(&labels, dim)
}

/// [`timestep_embedding`] at real time labels s (the probability-flow ODE's continuous time,
/// in units of steps): the same sinusoids at a real argument.
pub fn time_label_embedding(labels: &[f64], dim: usize) -> Vec<f32> {
    let half = (dim / 2).max(1);
    let mut out = vec![0.0f32; labels.len() * dim];
    for (row, &t) in labels.iter().enumerate() {
        for i in 0..half {
            let freq = (-(10_000f64.ln()) * i as f64 / (half.max(2) - 1) as f64).exp();
            let arg = t * freq;
            out[row * dim + 2 * i] = arg.sin() as f32;
            if 2 * i + 1 < dim {
                out[row * dim + 2 * i + 1] = arg.cos() as f32;
            }
        }
    }
    out
}

impl UNet {
    /// ε̂ for x_t: [b, c, s, s] at timesteps `ts` (one per batch item) → [b, c, s, s].
    pub fn forward(&self, x_t: Tensor<4>, ts: &[usize]) -> Tensor<4> {
        let labels: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
        self.forward_at_labels(x_t, &labels)
    }

    /// ε̂ for x: [b, c, s, s] at real time labels (one per batch item; an integer label is
    /// the timestep t) → [b, c, s, s].
    pub fn forward_at_labels(&self, x_t: Tensor<4>, labels: &[f64]) -> Tensor<4> {
        self.forward_conditional_at_labels(x_t, labels, None)
    }

    /// Classes of a conditional model (0: unconditional); `classes()` itself is the null
    /// class ∅.
    pub fn classes(&self) -> usize {
        self.class_embed
            .as_ref()
            .map_or(0, |l| l.weight.dims()[0].saturating_sub(1))
    }

    /// ε̂(x_t, t, c) at timesteps `ts`, each row with its class (`classes()` or more: the
    /// null class ∅; None: ∅ for every row). An unconditional model ignores the classes.
    pub fn forward_conditional(
        &self,
        x_t: Tensor<4>,
        ts: &[usize],
        classes: Option<&[usize]>,
    ) -> Tensor<4> {
        let labels: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
        self.forward_conditional_at_labels(x_t, &labels, classes)
    }

    /// [`Self::forward_conditional`] at real time labels.
    ///
    /// Without autodiff on the CPU a batch is split into shards of images that run at once
    /// ([`kernels::shards`], as tasks on rayon's pool): every image's output is its own, so the
    /// result is the same up to the order of f32 sums inside the kernels.
    pub fn forward_conditional_at_labels(
        &self,
        x_t: Tensor<4>,
        labels: &[f64],
        classes: Option<&[usize]>,
    ) -> Tensor<4> {
        let n = labels.len();
        // (Under autodiff the shards would share one graph: the trainer splits its batch itself.)
        let shards = kernels::shards::batch_shards(&x_t);
        if shards < 2
            || x_t.device().is_autodiff()
            || x_t.dims()[0] != n
            || classes.is_some_and(|c| c.len() < n)
        {
            return self.forward_whole_batch(x_t, labels, classes);
        }
        let bounds: Vec<(usize, usize)> = (0..shards)
            .map(|i| (i * n / shards, (i + 1) * n / shards))
            .collect();
        let outputs: Vec<Tensor<4>> =
            kernels::shards::run_shards(bounds.len(), ShardThreads::Shared, |i| {
                let (a, b) = bounds[i];
                self.forward_whole_batch(
                    x_t.clone().narrow(0, a, b - a),
                    &labels[a..b],
                    classes.map(|c| &c[a..b]),
                )
            });
        Tensor::cat(outputs, 0)
    }

    /// [`Self::forward_conditional_at_labels`] of the whole batch at once.
    fn forward_whole_batch(
        &self,
        x_t: Tensor<4>,
        labels: &[f64],
        classes: Option<&[usize]>,
    ) -> Tensor<4> {
        let device = x_t.device();
        let emb = Tensor::<2>::from_data(
            TensorData::new(
                time_label_embedding(labels, self.embed_dim),
                [labels.len(), self.embed_dim],
            ),
            &device,
        ); // [b, base]
        let mut temb = self.time2.forward(silu(self.time1.forward(emb))); // [b, 4·base]
        if let Some(class_embed) = &self.class_embed {
            let k = self.classes() + 1;
            let b = labels.len();
            let mut one_hot = vec![0.0f32; b * k];
            for i in 0..b {
                let c = classes.and_then(|c| c.get(i).copied()).unwrap_or(k - 1);
                one_hot[i * k + c.min(k - 1)] = 1.0;
            }
            let one_hot = Tensor::<2>::from_data(TensorData::new(one_hot, [b, k]), &device);
            temb = temb + class_embed.forward(one_hot); // [b, 4·base]
        }
        let temb = silu(temb);

        let mut h = kernels::conv2d(&self.stem, x_t); // [b, c0, s, s]
        let mut skips = vec![h.clone()];
        for level in &self.down {
            for block in &level.blocks {
                h = block.forward(h, temb.clone());
                skips.push(h.clone());
            }
            if let Some(down) = &level.downsample {
                h = kernels::conv2d(down, h); // [b, c, s/2, s/2]
                skips.push(h.clone());
            }
        }
        h = self.mid1.forward(h, temb.clone());
        if let Some(attn) = &self.attention {
            h = attn.forward(h);
        }
        h = self.mid2.forward(h, temb.clone());
        for level in &self.up {
            for block in &level.blocks {
                if let Some(skip) = skips.pop() {
                    h = Tensor::cat(vec![h, skip], 1); // [b, c + c_skip, s', s']
                }
                h = block.forward(h, temb.clone());
            }
            if let Some(conv) = &level.upsample {
                let [_, _, hh, ww] = h.dims();
                let up = interpolate(
                    h,
                    InterpolateOptions::new(InterpolateMode::Nearest)
                        .with_output_size([hh * 2, ww * 2]),
                ); // [b, c, 2s', 2s']
                h = kernels::conv2d(conv, up);
            }
        }
        kernels::conv2d(&self.out_conv, kernels::group_norm_silu(&self.out_norm, h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_parameter_count() {
        let device = Device::flex();
        let config = UNetConfig::new().with_image_size(16).with_base_channels(16);
        let model = config.init(&device).unwrap();
        let x = Tensor::<4>::zeros([2, 3, 16, 16], &device);
        let y = model.forward(x, &[1, 500]);
        assert_eq!(y.dims(), [2, 3, 16, 16]);
        let n = UNetConfig::default_32().init(&device).unwrap().num_params();
        assert!(
            (1_000_000..=3_000_000).contains(&n),
            "default has {n} parameters"
        );
    }

    #[test]
    fn flops_follow_the_layer_shapes() {
        // Without attention every layer's cost scales with the pixels: ×4 for twice the side.
        let small = UNetConfig::new().with_image_size(16).with_attention(false);
        let big = small.clone().with_image_size(32);
        let time = {
            let d = small.time_dim() as f64;
            2.0 * (small.base_channels as f64 * d + d * d)
        };
        let ratio = (big.forward_flops() - time) / (small.forward_flops() - time);
        assert!((ratio - 4.0).abs() < 0.01, "{ratio}");
        // One level, one block, 3 → 8 channels at 4×4: stem, the block (two 3×3 convs and the
        // time projection), the up path's block on the skip-concatenated input and its 1×1
        // skip, the output conv; no attention.
        let tiny = UNetConfig::new()
            .with_image_size(4)
            .with_base_channels(8)
            .with_channel_mults(vec![1])
            .with_attention(false);
        let conv = |ci: f64, co: f64, k: f64| 2.0 * ci * k * k * co * 16.0;
        let res = |ci: f64, co: f64| {
            conv(ci, co, 3.0)
                + conv(co, co, 3.0)
                + 2.0 * 32.0 * co
                + if ci != co { conv(ci, co, 1.0) } else { 0.0 }
        };
        let want = 2.0 * (8.0 * 32.0 + 32.0 * 32.0)
            + conv(3.0, 8.0, 3.0)
            + res(8.0, 8.0)
            + 2.0 * res(8.0, 8.0)
            + res(16.0, 8.0)
            + res(16.0, 8.0)
            + conv(8.0, 3.0, 3.0);
        assert_eq!(tiny.forward_flops(), want);
    }

    #[test]
    fn embedding_matches_the_formula() {
        let e = timestep_embedding(&[0, 7], 8);
        assert_eq!(&e[..8], &[0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
        let w1 = (-(10_000f64.ln()) / 3.0).exp();
        assert!((e[8 + 2] as f64 - (7.0 * w1).sin()).abs() < 1e-6);
        assert!((e[8 + 3] as f64 - (7.0 * w1).cos()).abs() < 1e-6);
    }

    #[test]
    fn a_conditional_model_tells_its_classes_apart() {
        let device = Device::flex();
        let config = UNetConfig::new()
            .with_image_size(8)
            .with_base_channels(8)
            .with_channel_mults(vec![1, 2])
            .with_attention(false)
            .with_classes(Some(3));
        let model = config.init(&device).unwrap();
        assert_eq!(model.classes(), 3);
        // The zero-initialised output conv would hide everything; give it weights.
        let model = UNet {
            out_conv: Conv2dConfig::new([8, 3], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(&device),
            ..model
        };
        let x = Tensor::<4>::random(
            [2, 3, 8, 8],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let run = |c: Option<&[usize]>| {
            model
                .forward_conditional(x.clone(), &[10, 10], c)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        };
        let null = run(None);
        assert_eq!(null, run(Some(&[3, 3])), "None is the null class");
        assert_eq!(
            null,
            model
                .forward(x.clone(), &[10, 10])
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        );
        // (Every block starts as the identity, so the class only matters once trained:
        // `train::guided`'s tests check that on a trained model.)
        assert_eq!(run(Some(&[0, 1])).len(), null.len());
        // An unconditional model ignores classes.
        let plain = config.with_classes(None).init(&device).unwrap();
        assert_eq!(plain.classes(), 0);
    }

    #[test]
    fn invalid_configs_are_refused() {
        let device = Device::flex();
        assert!(UNetConfig::new().with_image_size(30).init(&device).is_err());
        assert!(
            UNetConfig::new()
                .with_channel_mults(vec![])
                .init(&device)
                .is_err()
        );
    }
}
