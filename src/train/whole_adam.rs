//! The step after the backward pass as one update of the whole model on the CPU: the shards'
//! gradients summed, the global norm clipped ([`super::clip`]), Adam ([`super::adam`]) and the
//! EMA, in two parallel passes over every parameter's values
//! ([`crate::model::kernels::adam_ema`]) instead of about five passes per parameter, one
//! parameter after the other.
//!
//! burn's `ModuleOptimizer` keeps Adam's moments where only a per-parameter optimiser reaches
//! them, so [`WholeAdam`] keeps its own: the same β₁, β₂, ε, the same step count for every
//! parameter. It converts to and from the `ModuleOptimizer` of [`super::adam::module_adam`],
//! whose record is the checkpoint format, so checkpoints read and write as before.

use super::adam::{BETA_1, BETA_2, EPSILON, module_adam};
use crate::model::kernels::adam::AdamStep;
use crate::model::kernels::adam_ema::{WholeStep, whole_step};
use crate::model::kernels::ema::ema_step;
use burn::backend::DispatchTensor;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{
    AdamState, AdaptiveMomentumState, GradientsParams, LearningRate, ModuleOptimizer, Optimizer,
};
use burn::store::RecordError;
use burn::tensor::{Bytes, Device, GradientCheckpointingStrategy, Tensor};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Adam's moments of every parameter, with the steps taken.
#[derive(Clone, Default)]
pub struct WholeAdam {
    /// steps taken: Adam's t before the next step
    time: usize,
    /// (m, v) by parameter: plain, flattened, on the flex device
    moments: HashMap<ParamId, (DispatchTensor, DispatchTensor)>,
}

/// What one whole update needs besides the model.
pub struct Update {
    /// the learning rate
    pub lr: LearningRate,
    /// the gradients' largest global L2 norm
    pub max_norm: f64,
    /// the EMA's decay d for this step
    pub ema_decay: f64,
}

impl WholeAdam {
    /// Steps taken.
    pub fn time(&self) -> usize {
        self.time
    }

    /// One update of `model` (on the flex autodiff device) and its `ema` (plain, same
    /// structure and parameter ids) from the gradients of each shard of the batch. Parameters
    /// without a gradient keep their values and moments; their EMA still moves toward them.
    /// Returns (model, ema).
    pub fn step<M: Module + Send>(
        &mut self,
        model: M,
        ema: M,
        mut shard_grads: Vec<GradientsParams>,
        update: &Update,
    ) -> (M, M) {
        // The model's and the EMA's tensors are taken out (and put back) at once: a few
        // microseconds of burn's bookkeeping per parameter, on both cores.
        let shards = shard_grads.len();
        let mut take = TakeTrained {
            grads: &mut shard_grads,
            shards,
            taken: Vec::new(),
            without_grad: HashMap::new(),
        };
        let mut take_ema = TakeEma {
            taken: HashMap::new(),
        };
        let (model, ema) = rayon::join(|| model.map(&mut take), || ema.map(&mut take_ema));
        let TakeTrained {
            taken,
            without_grad,
            ..
        } = take;
        let mut ema_values = take_ema.taken;
        let first = self.time == 0;
        let count = taken.len();
        let (mut theta, mut grads, mut m, mut v, mut averages) = (
            Vec::with_capacity(count),
            Vec::with_capacity(count * shards),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
        );
        let mut metas = Vec::with_capacity(count);
        // Moved, not cloned: the kernel writes in place where nothing else holds the storage.
        for t in taken {
            // A parameter of the model that the EMA lacks averages nothing: its own copy.
            averages.push(
                ema_values
                    .remove(&t.meta.id)
                    .unwrap_or_else(|| t.theta.clone()),
            );
            let (m0, v0) = self.moments.remove(&t.meta.id).unwrap_or_else(|| {
                let zeros = || Tensor::<1>::zeros([t.values], &Device::flex()).into_dispatch();
                (zeros(), zeros())
            });
            m.push(m0);
            v.push(v0);
            theta.push(t.theta);
            grads.extend(t.grads);
            metas.push(t.meta);
        }
        let step = WholeStep {
            adam: AdamStep {
                beta_1: BETA_1,
                beta_2: BETA_2,
                epsilon: EPSILON,
                lr: update.lr as f32,
                time: (self.time + 1) as i32,
            },
            first,
            max_norm: update.max_norm,
            ema_decay: update.ema_decay,
        };
        let (theta, m, v, averages) = whole_step(theta, grads, m, v, averages, &step);
        self.time += 1;
        let mut new_theta = HashMap::with_capacity(count);
        for ((((meta, theta), m), v), e) in metas.into_iter().zip(theta).zip(m).zip(v).zip(averages)
        {
            self.moments.insert(meta.id, (m, v));
            ema_values.insert(meta.id, e);
            new_theta.insert(meta.id, (theta, meta));
        }
        let mut put = PutBack { values: new_theta };
        let mut put_ema = PutBackEma {
            values: ema_values,
            without_grad,
            decay: update.ema_decay,
        };
        rayon::join(|| model.map(&mut put), || ema.map(&mut put_ema))
    }

    /// The state of a `ModuleOptimizer` of Adam (a checkpoint's), for `model`: None when its
    /// parameters are at different step counts (a state this type cannot hold).
    pub fn from_module<M: Module>(optim: &ModuleOptimizer, model: &M) -> Option<Self> {
        let record = optim.to_record();
        if record.is_empty() {
            return Some(Self::default());
        }
        let found = Arc::new(Mutex::new(Vec::new()));
        let mut probe = ModuleOptimizer::from(Exchange {
            found: found.clone(),
            ..Exchange::default()
        })
        .load_record(record);
        let ids = ids(model);
        let mut grads = GradientsParams::new();
        model.visit(&mut ZeroGrads {
            grads: &mut grads,
            only: None,
        });
        let _ = probe.step(0.0, model.clone(), grads);
        let found = std::mem::take(&mut *found.lock().ok()?);
        if found.len() != ids.len() {
            return None;
        }
        let mut time = None;
        let mut moments = HashMap::new();
        for (id, state) in ids.into_iter().zip(found) {
            let Some((t, m, v)) = state else {
                continue;
            };
            if time.is_some_and(|time| time != t) {
                return None;
            }
            time = Some(t);
            moments.insert(id, (m, v));
        }
        Some(Self {
            time: time.unwrap_or(0),
            moments,
        })
    }

    /// The same state as the record of a `ModuleOptimizer` of [`module_adam`] for `model`:
    /// what a checkpoint holds, and what burn's per-parameter steps continue from.
    pub fn to_bytes<M: Module>(&self, model: &M) -> Result<Bytes, RecordError> {
        let mut queue = Vec::new();
        let mut with_state = HashSet::new();
        for id in ids(model) {
            if let Some((m, v)) = self.moments.get(&id) {
                queue.push((m.clone(), v.clone()));
                with_state.insert(id);
            }
        }
        queue.reverse(); // popped from the back, in the model's order
        let mut seeded = ModuleOptimizer::from(Exchange {
            time: self.time,
            queue: Arc::new(Mutex::new(queue)),
            ..Exchange::default()
        });
        let mut grads = GradientsParams::new();
        model.visit(&mut ZeroGrads {
            grads: &mut grads,
            only: Some(&with_state),
        });
        let _ = seeded.step(0.0, model.clone(), grads);
        // The record names each state by its type (Adam's), not by the optimiser that made it.
        seeded.into_bytes()
    }

    /// [`Self::to_bytes`] read back as a `ModuleOptimizer` of [`module_adam`].
    pub fn to_module<M: Module>(&self, model: &M) -> Result<ModuleOptimizer, RecordError> {
        module_adam().from_bytes(self.to_bytes(model)?)
    }
}

/// The model's float parameter ids, in the order its visitors and mappers see them.
fn ids<M: Module>(model: &M) -> Vec<ParamId> {
    struct Ids(Vec<ParamId>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.id);
        }
    }
    let mut ids = Ids(Vec::new());
    model.visit(&mut ids);
    ids.0
}

/// A zero gradient for every parameter (or those in `only`).
struct ZeroGrads<'a> {
    grads: &'a mut GradientsParams,
    only: Option<&'a HashSet<ParamId>>,
}

impl ModuleVisitor for ZeroGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.only.is_none_or(|only| only.contains(&param.id)) {
            self.grads
                .register(param.id, param.val().inner().zeros_like());
        }
    }
}

/// One (time, m, v) per parameter step, flattened, or None where it had no state.
type Found = Option<(usize, DispatchTensor, DispatchTensor)>;

/// An "optimiser" that changes no parameter: it records the Adam state each parameter is
/// handed (in `found`, in the order of the steps), and gives it the next state of `queue`
/// instead where there is one.
#[derive(Clone, Default)]
struct Exchange {
    /// the step count of the states from `queue`
    time: usize,
    found: Arc<Mutex<Vec<Found>>>,
    /// (m, v) flattened, the next at the back
    queue: Arc<Mutex<Vec<(DispatchTensor, DispatchTensor)>>>,
}

impl Optimizer for Exchange {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        _lr: LearningRate,
        tensor: Tensor<D>,
        _grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let found = state.as_ref().and_then(|s| {
            let s = &s.momentum;
            let n = s.moment_1.shape().num_elements();
            (s.max_moment_2.is_none()).then(|| {
                (
                    s.time,
                    s.moment_1.clone().reshape([n]).into_dispatch(),
                    s.moment_2.clone().reshape([n]).into_dispatch(),
                )
            })
        });
        if let Ok(mut all) = self.found.lock() {
            all.push(found);
        }
        let next = self.queue.lock().ok().and_then(|mut q| q.pop());
        let state = match next {
            Some((m, v)) => {
                let shape = tensor.shape();
                let device = tensor.device();
                Some(AdamState::new(AdaptiveMomentumState::new(
                    self.time,
                    Tensor::<1>::from_dispatch(m)
                        .to_device(&device)
                        .reshape(shape.clone()),
                    Tensor::<1>::from_dispatch(v)
                        .to_device(&device)
                        .reshape(shape),
                )))
            }
            None => state,
        };
        (tensor, state)
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        burn::optim::Adam::to_device(state, device)
    }
}

/// A trained parameter taken out of the model for the update.
struct Taken {
    meta: Meta,
    /// how many values
    values: usize,
    /// θ, plain
    theta: DispatchTensor,
    /// the shards' gradients
    grads: Vec<DispatchTensor>,
}

/// What putting a parameter back needs: whether θ was a leaf that requires a gradient, and its
/// checkpointing (as burn's optimiser restores them).
struct Meta {
    id: ParamId,
    require_grad: bool,
    checkpointing: Option<GradientCheckpointingStrategy>,
}

/// A stand-in while a parameter's tensor is out (nothing reads it before it is put back).
fn placeholder<const D: usize>(device: &Device) -> Tensor<D> {
    Tensor::empty([0; D], device)
}

/// Takes every parameter that has a gradient in each shard out of the model.
struct TakeTrained<'a> {
    grads: &'a mut Vec<GradientsParams>,
    shards: usize,
    taken: Vec<Taken>,
    /// the other parameters' values (plain), for the EMA
    without_grad: HashMap<ParamId, DispatchTensor>,
}

impl ModuleMapper for TakeTrained<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let grads: Vec<DispatchTensor> = self
            .grads
            .iter_mut()
            .filter_map(|g| g.remove::<D>(param.id))
            .map(Tensor::into_dispatch)
            .collect();
        let (id, tensor, mapper) = param.consume();
        if grads.is_empty() || grads.len() != self.shards {
            self.without_grad
                .insert(id, tensor.clone().inner().into_dispatch());
            return Param::from_mapped_value(id, tensor, mapper);
        }
        let device = tensor.device();
        self.taken.push(Taken {
            meta: Meta {
                id,
                require_grad: tensor.is_require_grad(),
                checkpointing: tensor.gradient_checkpointing_strategy(),
            },
            values: tensor.shape().num_elements(),
            theta: tensor.inner().into_dispatch(),
            grads,
        });
        Param::from_mapped_value(id, placeholder(&device), mapper)
    }
}

/// Takes every parameter out of the EMA.
struct TakeEma {
    taken: HashMap<ParamId, DispatchTensor>,
}

impl ModuleMapper for TakeEma {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let device = tensor.device();
        self.taken.insert(id, tensor.into_dispatch());
        Param::from_mapped_value(id, placeholder(&device), mapper)
    }
}

/// Puts the updated parameters back into the model (autodiff leaves again where they were).
struct PutBack {
    values: HashMap<ParamId, (DispatchTensor, Meta)>,
}

impl ModuleMapper for PutBack {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some((value, meta)) = self.values.remove(&param.id) else {
            return param;
        };
        let (id, _placeholder, mapper) = param.consume();
        let mut value = Tensor::<D>::from_inner(Tensor::from_dispatch(value));
        if let Some(strategy) = meta.checkpointing {
            value = value.with_gradient_checkpointing_strategy(strategy);
        }
        if meta.require_grad {
            value = value.require_grad();
        }
        Param::from_mapped_value(id, value, mapper)
    }
}

/// Puts the EMA's values back, moving those of the parameters without a gradient toward
/// their values.
struct PutBackEma {
    values: HashMap<ParamId, DispatchTensor>,
    without_grad: HashMap<ParamId, DispatchTensor>,
    decay: f64,
}

impl ModuleMapper for PutBackEma {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(value) = self.values.remove(&param.id) else {
            return param;
        };
        let (id, _placeholder, mapper) = param.consume();
        let mut value = Tensor::<D>::from_dispatch(value);
        if let Some(current) = self.without_grad.remove(&id) {
            value = ema_step(value, Tensor::from_dispatch(current), self.decay);
        }
        Param::from_mapped_value(id, value, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::clip::clip_global_norm;
    use crate::train::data_parallel::{self, shard_ranges};
    use crate::train::trainer::ema_step as module_ema_step;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::TensorData;

    #[derive(Module, Debug)]
    struct Two {
        a: Linear,
        b: Linear,
    }

    fn vals<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap_or_default()
    }

    fn values(m: &Two) -> Vec<f32> {
        let mut out = Vec::new();
        for l in [&m.a, &m.b] {
            out.extend(vals(l.weight.val()));
            out.extend(l.bias.as_ref().map(|b| vals(b.val())).unwrap_or_default());
        }
        out
    }

    const EMA_DECAY: f64 = 0.9;
    /// Enough EMA steps that the warm-up min(d, (1+n)/(10+n)) is d.
    const LATE: u64 = 1 << 40;

    /// The shards' gradients of Σ‖a(x)‖² (and of b's too when `use_b`) for batch `s`.
    fn shard_grads(model: &Two, s: u64, use_b: bool, scale: f32) -> Vec<GradientsParams> {
        let device = Device::flex().autodiff();
        let n = 6;
        let x: Vec<f32> = (0..n * 24)
            .map(|i| (((i as u64 * 7 + s * 13) % 17) as f32 / 9.0 - 0.9) * scale)
            .collect();
        let x = Tensor::<2>::from_data(TensorData::new(x, [n, 24]), &device);
        let shards = data_parallel::forward(model, &shard_ranges(n, 2), |m: &Two, r| {
            let xs = x.clone().narrow(0, r.start, r.len());
            let mut loss = m.a.forward(xs.clone()).powi_scalar(2).sum();
            if use_b {
                loss = loss + m.b.forward(xs).powi_scalar(2).sum().mul_scalar(0.5);
            }
            loss.div_scalar(n as f64)
        });
        data_parallel::backward_parts(shards)
    }

    /// The per-parameter path the trainer takes elsewhere: the shards' sum, global-norm
    /// clipping, burn's module optimiser with the fused Adam, the EMA.
    fn per_tensor_step(
        optim: &mut ModuleOptimizer,
        model: Two,
        ema: Two,
        parts: Vec<GradientsParams>,
        max_norm: f64,
    ) -> (Two, Two) {
        let mut parts = parts;
        let mut total = parts.pop().expect("a shard");
        for part in parts {
            let mut add = Sum {
                total: &mut total,
                part,
            };
            model.visit(&mut add);
        }
        clip_global_norm(&mut total, &model, max_norm);
        let model = optim.step(3e-2, model, total);
        let ema = module_ema_step(ema, &model, EMA_DECAY, LATE);
        (model, ema)
    }

    /// total ← total + part (as `data_parallel::backward` adds the shards).
    struct Sum<'a> {
        total: &'a mut GradientsParams,
        part: GradientsParams,
    }

    impl ModuleVisitor for Sum<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let (Some(g), Some(t)) = (
                self.part.remove::<D>(param.id),
                self.total.remove::<D>(param.id),
            ) {
                self.total.register(param.id, t + g);
            }
        }
    }

    fn start() -> (Two, Two) {
        let device = Device::flex().autodiff();
        let model = Two {
            a: LinearConfig::new(24, 20).init(&device),
            b: LinearConfig::new(24, 5).init(&device),
        };
        let ema = model.valid();
        (model, ema)
    }

    fn update(max_norm: f64) -> Update {
        Update {
            lr: 3e-2,
            max_norm,
            ema_decay: EMA_DECAY,
        }
    }

    /// Without clipping the whole update equals the per-parameter path value for value (the
    /// same f32 operations in the same order), θ and θ_ema, over several steps; with clipping
    /// it agrees to f32 rounding of the norm (its sum runs in another order), and the steps
    /// moved the weights.
    #[test]
    fn equals_the_per_parameter_path() {
        for (max_norm, scale) in [(1e9, 1.0f32), (0.05, 3.0)] {
            let (model, ema) = start();
            let before = values(&model);
            let (mut whole, mut whole_state) = ((model.clone(), ema.clone()), WholeAdam::default());
            let (mut per, mut optim) = ((model, ema), module_adam());
            for s in 0..4 {
                let parts = shard_grads(&whole.0, s, true, scale);
                whole = whole_state.step(whole.0, whole.1, parts, &update(max_norm));
                let parts = shard_grads(&per.0, s, true, scale);
                per = per_tensor_step(&mut optim, per.0, per.1, parts, max_norm);
            }
            assert_eq!(whole_state.time(), 4);
            let (w, p) = (values(&whole.0), values(&per.0));
            let (we, pe) = (values(&whole.1), values(&per.1));
            assert_ne!(w, before, "the steps moved the weights");
            if max_norm > 1e6 {
                assert_eq!(w, p);
                assert_eq!(we, pe);
            } else {
                for (x, y) in w.iter().zip(&p).chain(we.iter().zip(&pe)) {
                    assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} vs {y}");
                }
            }
            // The model's parameters are leaves that require a gradient again.
            assert!(whole.0.a.weight.val().is_require_grad());
        }
    }

    /// The record the whole update writes continues under burn's module optimiser exactly as
    /// the whole update continues, and a record of burn's optimiser continues under the whole
    /// update as under burn's: checkpoints read and write as before.
    #[test]
    fn records_are_burns_adam_records() {
        let (model, ema) = start();
        let mut state = WholeAdam::default();
        let mut m = (model, ema);
        for s in 0..3 {
            let parts = shard_grads(&m.0, s, true, 1.0);
            m = state.step(m.0, m.1, parts, &update(1e9));
        }
        let bytes = state.to_bytes(&m.0).expect("a record");
        let mut burn_optim = module_adam().from_bytes(bytes).expect("it reads");
        let (mut per, mut whole) = (m.clone(), m.clone());
        let mut read_back = WholeAdam::from_module(&burn_optim, &m.0).expect("one step count");
        assert_eq!(read_back.time(), 3);
        for s in 3..5 {
            let parts = shard_grads(&per.0, s, true, 1.0);
            per = per_tensor_step(&mut burn_optim, per.0, per.1, parts, 1e9);
            let parts = shard_grads(&whole.0, s, true, 1.0);
            whole = read_back.step(whole.0, whole.1, parts, &update(1e9));
        }
        assert_eq!(values(&per.0), values(&whole.0));
        assert_eq!(values(&per.1), values(&whole.1));
        // A state that was never stepped reads as a fresh one.
        let fresh = WholeAdam::from_module(&module_adam(), &m.0).expect("empty");
        assert_eq!(fresh.time(), 0);
    }

    /// A parameter without a gradient keeps its value and gets no moments; its EMA still
    /// moves toward it.
    #[test]
    fn a_parameter_without_a_gradient_keeps_its_value() {
        let (model, ema) = start();
        // The EMA's copy of b (same ids) differs from b: θ_ema ← θ_ema·d + θ·(1 − d) shows.
        let mut ema = ema;
        ema.b.weight = ema.b.weight.map(|w| w.mul_scalar(0.5).add_scalar(0.25));
        let b_before = vals(model.b.weight.val());
        let b_ema_before = vals(ema.b.weight.val());
        let a_before = vals(model.a.weight.val());
        let mut state = WholeAdam::default();
        let parts = shard_grads(&model, 0, false, 1.0);
        let (model, ema) = state.step(model, ema, parts, &update(1e9));
        assert_eq!(vals(model.b.weight.val()), b_before);
        assert_ne!(vals(model.a.weight.val()), a_before);
        let d = EMA_DECAY as f32;
        let want: Vec<f32> = b_ema_before
            .iter()
            .zip(&b_before)
            .map(|(e, t)| e * d + t * (1.0 - EMA_DECAY) as f32)
            .collect();
        assert_eq!(vals(ema.b.weight.val()), want);
        assert!(!state.moments.contains_key(&model.b.weight.id));
        assert!(state.moments.contains_key(&model.a.weight.id));
    }
}
