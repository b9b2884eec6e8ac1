//! Exact optimal-transport pairing within a mini-batch (Tong et al. 2024, Pooladian et al.
//! 2023): the permutation π minimising Σᵢ ‖x₀ᵢ − ε_π(i)‖², by the Hungarian method in its
//! shortest-augmenting-path form (Kuhn–Munkres with potentials, O(n³)), in f64.
//!
//! The `pathfinding` crate's Kuhn–Munkres needs integer (`Ord`) weights, which would round
//! the squared distances; this one keeps them exact.

/// The assignment of rows to columns of the square cost matrix `cost` ([n, n], row-major)
/// with the least total cost: `out[i]` is row i's column. Costs must be finite.
pub fn min_cost_assignment(cost: &[f64], n: usize) -> Vec<usize> {
    debug_assert_eq!(cost.len(), n * n);
    if n == 0 {
        return Vec::new();
    }
    // 1-based, with column 0 a virtual start: u, v the dual potentials, p[j] the row matched to
    // column j, way[j] the previous column on the augmenting path.
    let (mut u, mut v) = (vec![0.0f64; n + 1], vec![0.0f64; n + 1]);
    let (mut p, mut way) = (vec![0usize; n + 1], vec![0usize; n + 1]);
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut min_v = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let (mut delta, mut j1) = (f64::INFINITY, 0);
            let row = &cost[(i0 - 1) * n..i0 * n];
            let u0 = u[i0];
            for j in 1..=n {
                if !used[j] {
                    let reduced = row[j - 1] - u0 - v[j];
                    if reduced < min_v[j] {
                        min_v[j] = reduced;
                        way[j] = j0;
                    }
                    if min_v[j] < delta {
                        delta = min_v[j];
                        j1 = j;
                    }
                }
            }
            if j1 == 0 {
                // only with non-finite costs: nothing left to augment along
                break;
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_v[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        // flip the augmenting path
        while j0 != 0 {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        }
    }
    let mut out = vec![0usize; n];
    for j in 1..=n {
        if p[j] > 0 {
            out[p[j] - 1] = j - 1;
        }
    }
    out
}

/// The optimal pairing of the rows of `x0` with the rows of `noise` (both [n, dim]) under
/// squared Euclidean cost: `out[i]` is the noise row for data row i.
pub fn ot_pairing(x0: &[f32], noise: &[f32], dim: usize) -> Vec<usize> {
    let n = x0.len() / dim.max(1);
    let mut cost = vec![0.0f64; n * n];
    for (i, a) in x0.chunks(dim).enumerate() {
        for (j, b) in noise.chunks(dim).enumerate() {
            cost[i * n + j] = a
                .iter()
                .zip(b)
                .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
                .sum();
        }
    }
    min_cost_assignment(&cost, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn total(cost: &[f64], n: usize, perm: &[usize]) -> f64 {
        (0..n).map(|i| cost[i * n + perm[i]]).sum()
    }

    /// Every permutation of 0..n (Heap's algorithm).
    fn permutations(n: usize) -> Vec<Vec<usize>> {
        fn go(k: usize, a: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
            if k <= 1 {
                out.push(a.clone());
                return;
            }
            for i in 0..k {
                go(k - 1, a, out);
                let j = if k % 2 == 0 { i } else { 0 };
                a.swap(j, k - 1);
            }
        }
        let mut out = Vec::new();
        go(n, &mut (0..n).collect(), &mut out);
        out
    }

    /// On random small problems (n = 1 … 7, with ties and negative costs) the assignment is a
    /// permutation whose cost equals the brute-force minimum over all n! permutations.
    #[test]
    fn the_assignment_is_optimal_by_brute_force() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for n in 1..=7 {
            let perms = permutations(n);
            for trial in 0..40 {
                let cost: Vec<f64> = (0..n * n)
                    .map(|_| {
                        if trial % 4 == 0 {
                            // few distinct values: many ties
                            rng.random_range(0..3) as f64
                        } else {
                            rng.random_range(-5.0..10.0)
                        }
                    })
                    .collect();
                let got = min_cost_assignment(&cost, n);
                let mut seen = vec![false; n];
                for &j in &got {
                    assert!(!seen[j], "not a permutation: {got:?}");
                    seen[j] = true;
                }
                let best = perms
                    .iter()
                    .map(|p| total(&cost, n, p))
                    .fold(f64::INFINITY, f64::min);
                assert!(
                    (total(&cost, n, &got) - best).abs() < 1e-9,
                    "n = {n}: {} vs brute force {best}",
                    total(&cost, n, &got)
                );
            }
        }
    }

    /// Points paired with a shifted copy of themselves (shift smaller than their spacing)
    /// are paired with their own copies; the pairing never costs more than the identity.
    #[test]
    fn pairing_points_with_a_shifted_copy_finds_the_copy() {
        let dim = 2;
        let x0: Vec<f32> = (0..8)
            .flat_map(|i| [i as f32, (i * i % 5) as f32])
            .collect();
        let order = [3usize, 7, 0, 5, 1, 6, 2, 4];
        let noise: Vec<f32> = order
            .iter()
            .flat_map(|&i| [x0[2 * i] + 0.1, x0[2 * i + 1] - 0.1])
            .collect();
        let pairing = ot_pairing(&x0, &noise, dim);
        for (i, &j) in pairing.iter().enumerate() {
            assert_eq!(order[j], i, "{pairing:?}");
        }
        assert!(min_cost_assignment(&[], 0).is_empty());
    }
}
