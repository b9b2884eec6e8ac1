//! Panel ⑤'s exact likelihood: the world MLP's probability-flow ODE density (exact divergence)
//! on a grid, a curve in 1-D and a heat map in 2-D beside the data's density, and on held-out
//! points beside the same network's −ELBO.

use super::TrainError;
use super::toy::{HELD_OUT, ToyTrainer};
use crate::data::points::ToyData;
use crate::diffusion::elbo::{mean, std_error};
use crate::diffusion::flow_ode::OdeSolver;
use rand::SeedableRng;

/// Grid points of the 1-D curve over [−3, 3].
pub const GRID_1D: usize = 121;
/// Side of the 2-D grid over [−2.5, 2.5]².
pub const GRID_2D: usize = 28;
/// Half the width of the 1-D grid.
pub const HALF_WIDTH_1D: f64 = 3.0;
/// Half the width of the 2-D grid.
pub const HALF_WIDTH_2D: f64 = 2.5;
/// The grid's solver: Heun on 40 steps of a log-SNR grid (a picture, 80 network calls);
/// the held-out points take RK45 at rtol = atol = 10⁻⁵.
pub const GRID_SOLVER: OdeSolver = OdeSolver::Heun { steps: 40 };
/// Data draws behind the 2-D data density's histogram.
const DATA_DRAWS: usize = 20_000;

/// A mean and its standard error.
pub type MeanSe = (f64, f64);

/// What the ODE says about the world's model at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct ToyOdeDensity {
    /// the training step (EMA weights)
    pub step: u64,
    /// 1 or 2
    pub dim: usize,
    /// the grid's points, row-major [n, dim] (2-D: row by row, y then x)
    pub grid: Vec<f32>,
    /// log p_ODE at each grid point, nats
    pub log_p: Vec<f64>,
    /// field evaluations of the grid's solve
    pub grid_nfe: usize,
    /// 2-D: the data's density on the same grid (a histogram of many draws, per unit area);
    /// 1-D: empty (the panel has the mixture's closed form)
    pub data_density: Vec<f64>,
    /// held-out points scored
    pub held_out: usize,
    /// their −log p_ODE, nats per point
    pub ode_nll: MeanSe,
    /// the same points' −ELBO of the same network (every t), nats per point
    pub neg_elbo: MeanSe,
    /// −ELBO − ODE per point, paired
    pub gap: MeanSe,
    /// field evaluations of the held-out solve (RK45)
    pub held_out_nfe: usize,
}

/// The grid: 1-D x over [−3, 3], or 2-D (x, y) over [−2.5, 2.5]², row by row.
pub fn grid(dim: usize) -> Vec<f32> {
    if dim == 1 {
        (0..GRID_1D)
            .map(|i| {
                (-HALF_WIDTH_1D + 2.0 * HALF_WIDTH_1D * i as f64 / (GRID_1D - 1) as f64) as f32
            })
            .collect()
    } else {
        let at =
            |i: usize| -HALF_WIDTH_2D + 2.0 * HALF_WIDTH_2D * (i as f64 + 0.5) / GRID_2D as f64;
        (0..GRID_2D * GRID_2D)
            .flat_map(|k| [at(k % GRID_2D) as f32, at(k / GRID_2D) as f32])
            .collect()
    }
}

/// The data's density per unit area on the 2-D grid's cells, from `DATA_DRAWS` draws.
fn data_histogram(data: &ToyData) -> Vec<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xDA7A);
    let pts = data.sample(&mut rng, DATA_DRAWS);
    let cell = 2.0 * HALF_WIDTH_2D / GRID_2D as f64;
    let mut counts = vec![0.0f64; GRID_2D * GRID_2D];
    for p in pts.chunks(2) {
        let ix = ((p[0] as f64 + HALF_WIDTH_2D) / cell).floor();
        let iy = ((p[1] as f64 + HALF_WIDTH_2D) / cell).floor();
        if (0.0..GRID_2D as f64).contains(&ix) && (0.0..GRID_2D as f64).contains(&iy) {
            counts[iy as usize * GRID_2D + ix as usize] += 1.0;
        }
    }
    let scale = 1.0 / (DATA_DRAWS as f64 * cell * cell);
    counts.iter().map(|c| c * scale).collect()
}

/// The ODE's density of `trainer`'s EMA on the grid and on `HELD_OUT` held-out points.
pub fn toy_ode_density(trainer: &ToyTrainer) -> Result<ToyOdeDensity, TrainError> {
    let dim = trainer.config().data.dim();
    let grid = grid(dim);
    let on_grid = trainer.ode_log_density(&grid, GRID_SOLVER)?;
    let held = trainer.held_out_likelihoods(HELD_OUT, 0x4E1D_0u64 ^ trainer.config().seed)?;
    let diff: Vec<f64> = held
        .neg_elbo_nats
        .iter()
        .zip(&held.ode_nll_nats)
        .map(|(e, o)| e - o)
        .collect();
    Ok(ToyOdeDensity {
        step: trainer.step_count(),
        dim,
        grid,
        log_p: on_grid.log_p_nats,
        grid_nfe: on_grid.nfe,
        data_density: if dim == 2 {
            data_histogram(&trainer.config().data)
        } else {
            Vec::new()
        },
        held_out: held.ode_nll_nats.len(),
        ode_nll: (mean(&held.ode_nll_nats), std_error(&held.ode_nll_nats)),
        neg_elbo: (mean(&held.neg_elbo_nats), std_error(&held.neg_elbo_nats)),
        gap: (mean(&diff), std_error(&diff)),
        held_out_nfe: held.nfe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::DeviceInfo;
    use crate::train::toy::ToyConfig;

    /// The 2-D data histogram is a density: it integrates to (nearly) 1 over the grid, and
    /// the ODE's grid density of a trained model covers most of that mass too.
    #[test]
    fn densities_on_the_grid_integrate_to_about_one() {
        let mut t = ToyTrainer::new(
            ToyConfig::new(ToyData::parse("moons").unwrap(), 0),
            &DeviceInfo::flex(String::new()),
        );
        for _ in 0..400 {
            t.train_step();
        }
        let d = toy_ode_density(&t).unwrap();
        let cell = (2.0 * HALF_WIDTH_2D / GRID_2D as f64).powi(2);
        let data_mass: f64 = d.data_density.iter().sum::<f64>() * cell;
        assert!((data_mass - 1.0).abs() < 0.02, "{data_mass}");
        let model_mass: f64 = d.log_p.iter().map(|l| l.exp()).sum::<f64>() * cell;
        assert!((0.7..1.2).contains(&model_mass), "{model_mass}");
        assert_eq!(d.held_out, HELD_OUT);
        assert!(d.ode_nll.0.is_finite() && d.neg_elbo.0.is_finite());
    }
}
