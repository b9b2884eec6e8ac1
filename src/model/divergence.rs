//! ε̂(x) and the trace of its Jacobian, tr(∂ε̂/∂x), for the probability-flow ODE's divergence
//! (`diffusion::flow_ode`), through burn's autodiff as vector–Jacobian products.
//!
//! With probes v₁ … v_K (each the shape of x) and weights w_k,
//! trace ≈ Σ_k w_k v_kᵀ (∂ε̂/∂x) v_k, where v_kᵀ(∂ε̂/∂x) = ∇ₓ(v_k · ε̂(x)):
//!
//! - [`Probes::Exact`]: the D basis vectors with w = 1, the exact trace (for the 1-D and 2-D
//!   worlds, D ≤ 2, and for tests);
//! - [`Probes::Rademacher`]: K vectors of independent ±1 with w = 1/K, Hutchinson's unbiased
//!   estimate E[vᵀJv] = tr J.
//!
//! All K probes go through one forward and one backward pass: x is repeated K times along the
//! batch, and since each copy's ε̂ depends only on that copy, the gradient of
//! Σ_k v_k · ε̂(x_k) with respect to the copies is every v_kᵀJ at once.

use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;

/// Which probe vectors estimate the trace.
#[derive(Clone, Debug, PartialEq)]
pub enum Probes {
    /// The D basis vectors: the exact trace.
    Exact,
    /// Hutchinson's estimate with these ±1 vectors, row-major [K, batch, D], fixed for a whole
    /// ODE solve (so the field stays a smooth function of time).
    Rademacher {
        /// K
        count: usize,
        /// [K, batch, D], each ±1
        signs: Vec<f32>,
    },
}

impl Probes {
    /// K fresh Rademacher probes for a batch of `batch` points of `dim` values.
    pub fn rademacher(count: usize, batch: usize, dim: usize, rng: &mut impl Rng) -> Self {
        let signs = (0..count * batch * dim)
            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect();
        Self::Rademacher { count, signs }
    }

    /// The probes' values [K, batch, D] and their weight.
    fn vectors(&self, batch: usize, dim: usize) -> (usize, Vec<f32>, f64) {
        match self {
            Self::Exact => {
                let mut v = vec![0.0f32; dim * batch * dim];
                for k in 0..dim {
                    for b in 0..batch {
                        v[(k * batch + b) * dim + k] = 1.0;
                    }
                }
                (dim, v, 1.0)
            }
            Self::Rademacher { count, signs } => (*count, signs.clone(), 1.0 / *count as f64),
        }
    }
}

/// What [`eps_and_trace`] returns, on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct EpsTrace {
    /// ε̂, row-major [batch, D]
    pub eps: Vec<f32>,
    /// the probes' trace estimate per point (exact with [`Probes::Exact`])
    pub trace: Vec<f64>,
    /// per point, each probe's vᵀJv, row-major [batch, K] (for the spread of a Hutchinson
    /// estimate)
    pub per_probe: Vec<f64>,
}

/// ε̂ and tr(∂ε̂/∂x) for the batch `x` (row-major `dims`, batch first) on `device`.
/// `forward` is the network on the autodiff version of `device` (its parameters frozen, so
/// that no weight gradient is computed).
pub fn eps_and_trace<const R: usize>(
    device: &Device,
    x: &[f32],
    dims: [usize; R],
    probes: &Probes,
    forward: impl Fn(Tensor<R>) -> Tensor<R>,
) -> Result<EpsTrace, String> {
    let batch = dims[0];
    let dim: usize = dims[1..].iter().product();
    let (k, v, weight) = probes.vectors(batch, dim);
    if v.len() != k * batch * dim {
        return Err(format!(
            "probes hold {} values, not K·batch·D = {k}·{batch}·{dim}",
            v.len()
        ));
    }
    let mut rep_dims = dims;
    rep_dims[0] = k * batch;
    let repeated: Vec<f32> = (0..k).flat_map(|_| x.iter().copied()).collect();
    let ad = device.clone().autodiff();
    let x_rep = Tensor::<R>::from_data(TensorData::new(repeated, rep_dims), &ad).require_grad(); // [K·b, …]
    let v_t = Tensor::<R>::from_data(TensorData::new(v.clone(), rep_dims), &ad); // [K·b, …]
    let eps = forward(x_rep.clone()); // [K·b, …]
    let eps_host: Vec<f32> = eps
        .clone()
        .inner()
        .into_data()
        .try_into_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    let grads = (eps * v_t).sum().backward();
    let vjp: Vec<f32> = x_rep
        .grad(&grads)
        .ok_or_else(|| "no gradient reached the input".to_owned())?
        .into_data()
        .try_into_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?; // [K·b, D]: each vᵀJ
    let mut per_probe = vec![0.0f64; batch * k];
    for kk in 0..k {
        for b in 0..batch {
            let at = (kk * batch + b) * dim;
            per_probe[b * k + kk] = vjp[at..at + dim]
                .iter()
                .zip(&v[at..at + dim])
                .map(|(&g, &p)| g as f64 * p as f64)
                .sum();
        }
    }
    let trace = per_probe
        .chunks(k.max(1))
        .map(|row| weight * row.iter().sum::<f64>())
        .collect();
    Ok(EpsTrace {
        eps: eps_host[..batch * dim].to_vec(),
        trace,
        per_probe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UNetConfig;
    use crate::model::mlp::MlpConfig;
    use burn::module::{Module, ModuleMapper, Param};
    use rand::SeedableRng;

    struct Jitter {
        scale: f32,
        rng: rand_chacha::ChaCha8Rng,
    }

    impl ModuleMapper for Jitter {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (scale, rng) = (self.scale, &mut self.rng);
            param.map(|p| {
                let shape = p.shape();
                let noise: Vec<f32> = (0..shape.num_elements())
                    .map(|_| rng.random_range(-scale..scale))
                    .collect();
                let device = p.device();
                p + Tensor::from_data(TensorData::new(noise, shape), &device)
            })
        }
    }

    #[test]
    fn the_exact_trace_of_the_mlp_matches_finite_differences() {
        let device = Device::flex();
        let mlp = MlpConfig::new().with_dim(2).init(&device);
        let frozen = mlp.clone().freeze().train();
        let x = [0.3f32, -0.2, 1.1, 0.4];
        let label = 250.5;
        let out = eps_and_trace(&device, &x, [2, 2], &Probes::Exact, |x| {
            let n = x.dims()[0];
            frozen.forward_at_labels(x, &vec![label; n])
        })
        .unwrap();
        let eval = |x: Vec<f32>| -> Vec<f32> {
            let t = Tensor::<2>::from_data(TensorData::new(x, [2, 2]), &device);
            mlp.forward_at_labels(t, &[label, label])
                .into_data()
                .try_into_vec::<f32>()
                .unwrap()
        };
        let base = eval(x.to_vec());
        assert!(base.iter().zip(&out.eps).all(|(a, b)| (a - b).abs() < 1e-5));
        let h = 1e-2f32;
        for b in 0..2 {
            let mut tr = 0.0f64;
            for j in 0..2 {
                let (mut plus, mut minus) = (x.to_vec(), x.to_vec());
                plus[b * 2 + j] += h;
                minus[b * 2 + j] -= h;
                let d = (eval(plus)[b * 2 + j] - eval(minus)[b * 2 + j]) as f64 / (2.0 * h as f64);
                tr += d;
            }
            assert!(
                (out.trace[b] - tr).abs() < 1e-2 * tr.abs().max(1.0),
                "{} vs {tr}",
                out.trace[b]
            );
        }
    }

    #[test]
    fn hutchinson_lies_within_three_standard_errors_of_the_exact_trace_on_a_small_unet() {
        let device = Device::flex();
        let cfg = UNetConfig::new()
            .with_image_size(4)
            .with_base_channels(8)
            .with_channel_mults(vec![1, 2]);
        // Fresh weights end every block and the output in a zero convolution (ε̂ would not
        // depend on x at all): jitter every parameter.
        let unet = cfg.init(&device).expect("a valid config").map(&mut Jitter {
            scale: 0.2,
            rng: rand_chacha::ChaCha8Rng::seed_from_u64(11),
        });
        let frozen = unet.freeze().train();
        let dim = 3 * 4 * 4;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let x: Vec<f32> = (0..dim).map(|_| rng.random_range(-1.0..1.0)).collect();
        let forward = |x: Tensor<4>| {
            let n = x.dims()[0];
            frozen.forward_at_labels(x, &vec![40.0; n])
        };
        let exact = eps_and_trace(&device, &x, [1, 3, 4, 4], &Probes::Exact, forward).unwrap();
        // The fused CPU kernels' input gradients (parameters frozen) against burn's own ops.
        let reference = crate::model::kernels::with_burn_ops(|| {
            eps_and_trace(&device, &x, [1, 3, 4, 4], &Probes::Exact, forward).unwrap()
        });
        assert!(
            (reference.trace[0] - exact.trace[0]).abs() < 1e-3 * exact.trace[0].abs().max(1.0),
            "fused {} vs burn {}",
            exact.trace[0],
            reference.trace[0]
        );
        let k = 256;
        let probes = Probes::rademacher(k, 1, dim, &mut rng);
        let est = eps_and_trace(&device, &x, [1, 3, 4, 4], &probes, forward).unwrap();
        let mean = est.trace[0];
        let var = est
            .per_probe
            .iter()
            .map(|v| (v - mean).powi(2))
            .sum::<f64>()
            / (k - 1) as f64;
        let se = (var / k as f64).sqrt();
        assert!(se > 0.0);
        assert!(
            (mean - exact.trace[0]).abs() < 3.0 * se,
            "Hutchinson {mean} ± {se}, exact {}",
            exact.trace[0]
        );
    }
}
