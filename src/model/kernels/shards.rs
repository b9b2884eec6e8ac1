//! A batch split into shards of images that run on the CPU's cores at once.
//!
//! The kernels parallelise each operation over rayon's pool, but between them a network runs
//! serial steps (burn's own small ops, allocation, the autodiff tape), and each parallel loop
//! ends waiting for its slowest part; at the bundled model's size (16×16, 16–32 images) the
//! cores sat idle an eighth to a quarter of a step. With one shard per core, each core works
//! through its own shard's serial steps while the other computes.
//!
//! Two ways to run the shards, chosen by the caller ([`ShardThreads`]): as tasks on rayon's
//! pool, where a core that finishes its shard helps with the other's parallel loops (sampling:
//! short kernels, balance matters); or each on a single-thread pool of its own, where every
//! loop of a shard stays on its core and its cache (training: a backward pass that steals from
//! the other shard reads the other shard's activations). Alternating runs on 2 cores, 16×16,
//! batch 32: training 137–141 ms a step on own threads against 146–152 ms shared; DDIM of 16
//! images 8.7–9.4 s for 400 steps shared against 9.5–9.8 s on own threads.
//!
//! `DIFFUSION_PLAYGROUND_SHARDS=1` turns the split off (for before/after measurements).

use super::fused_here;
use burn::tensor::Tensor;
use rayon::prelude::*;
use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::{Mutex, PoisonError};

/// The environment variable that turns the split off (`1`).
pub const SHARDS_ENV: &str = "DIFFUSION_PLAYGROUND_SHARDS";

/// Images per shard at least.
const MIN_SHARD: usize = 2;

thread_local! {
    static IN_SHARD: Cell<bool> = const { Cell::new(false) };
}

/// How the shards of [`run_shards`] share the cores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardThreads {
    /// tasks on rayon's pool; the kernels' loops inside them balance across every core
    Shared,
    /// each shard on a single-thread pool of its own; nothing is stolen across shards
    Own,
}

/// Into how many shards a batch `x` `[N, …]` splits: one per thread of rayon's pool (at most
/// N / 2) where the fused kernels compute it (`f32` on the flex device, not switched off), with or without autodiff (device equality
/// ignores autodiff; the caller decides whether a split applies: under autodiff the shards need
/// graphs of their own); 1 elsewhere.
pub fn batch_shards<const D: usize>(x: &Tensor<D>) -> usize {
    static OFF: OnceLock<bool> = OnceLock::new();
    let off = *OFF.get_or_init(|| std::env::var(SHARDS_ENV).is_ok_and(|v| v.trim() == "1"));
    if off || !fused_here(x) {
        return 1;
    }
    let n = x.dims().first().copied().unwrap_or(0);
    rayon::current_num_threads().min(n / MIN_SHARD).max(1)
}

/// The single-thread pools of [`ShardThreads::Own`], one per thread of rayon's pool, built
/// once; `start` runs first on each of their threads (the trainer lowers their priority, as
/// for rayon's pool).
fn own_pools(start: Option<fn()>) -> &'static [rayon::ThreadPool] {
    static POOLS: OnceLock<Vec<rayon::ThreadPool>> = OnceLock::new();
    POOLS.get_or_init(|| {
        (0..rayon::current_num_threads())
            .filter_map(|i| {
                let mut builder = rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .thread_name(move |_| format!("shard-{i}"));
                if let Some(start) = start {
                    builder = builder.start_handler(move |_| start());
                }
                builder.build().ok()
            })
            .collect()
    })
}

/// Build the pools of [`ShardThreads::Own`] now, running `start` on each of their threads,
/// unless they exist already.
pub fn build_own_pools(start: fn()) {
    own_pools(Some(start));
}

/// `f(i)` for every shard i in 0..n, all at once, and their results in order.
pub fn run_shards<R: Send>(
    n: usize,
    threads: ShardThreads,
    f: impl Fn(usize) -> R + Sync,
) -> Vec<R> {
    let shard = |i| {
        let before = IN_SHARD.with(|c| c.replace(true));
        let out = f(i);
        IN_SHARD.with(|c| c.set(before));
        out
    };
    let pools = match threads {
        ShardThreads::Own => own_pools(None),
        ShardThreads::Shared => &[],
    };
    if pools.len() >= n {
        let slots: Vec<Mutex<Option<R>>> = (0..n).map(|_| Mutex::new(None)).collect();
        on_own_pools(&pools[..n], &|i| {
            let out = shard(i);
            if let Ok(mut slot) = slots[i].lock() {
                *slot = Some(out);
            }
        });
        // Every slot is filled once `on_own_pools` returns: a shard's panic comes out of it.
        let out: Vec<R> = slots
            .into_iter()
            .filter_map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner))
            .collect();
        debug_assert_eq!(out.len(), n);
        out
    } else {
        (0..n).into_par_iter().map(shard).collect()
    }
}

/// `job(i)` on the thread of `pools[i]` for every i, all at once, from the calling thread: the
/// last through `install`, each other spawned into its pool's scope, and the caller blocks
/// without spinning. (Sent through rayon's global pool instead, two of its workers waited on
/// the shard pools by yielding, and the shard threads were preempted 2 300 times in 30 steps of
/// the 16×16 model; this way 40 steps took 4.23–4.50 s and 7.4–7.9 s of CPU against 4.45–4.83 s
/// and 7.8–8.4 s, with a quarter fewer context switches.)
fn on_own_pools(pools: &[rayon::ThreadPool], job: &(dyn Fn(usize) + Sync)) {
    match pools {
        [] => {}
        [last] => last.install(|| job(0)),
        [first, rest @ ..] => first.in_place_scope(|scope| {
            scope.spawn(|_| job(0));
            on_own_pools(rest, &|i| job(i + 1));
        }),
    }
}

/// Whether this thread runs one shard of [`run_shards`]: every core has a shard of its own,
/// so a kernel need not cut its own work into runs per core.
pub(super) fn in_shard() -> bool {
    IN_SHARD.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn shards_run_each_index_once_in_order() {
        for threads in [ShardThreads::Shared, ShardThreads::Own] {
            let out = run_shards(2, threads, |i| (i, in_shard()));
            assert_eq!(out, vec![(0, true), (1, true)]);
            let many = run_shards(5, threads, |i| i * 10);
            assert_eq!(many, vec![0, 10, 20, 30, 40]);
        }
        assert!(!in_shard());
    }

    #[test]
    fn only_cpu_batches_split() {
        let x = Tensor::<4>::zeros([8, 1, 2, 2], &Device::flex());
        let want = rayon::current_num_threads().clamp(1, 4);
        assert_eq!(batch_shards(&x), want);
        let one = Tensor::<4>::zeros([1, 1, 2, 2], &Device::flex());
        assert_eq!(batch_shards(&one), 1);
        assert_eq!(super::super::with_burn_ops(|| batch_shards(&x)), 1);
    }
}
