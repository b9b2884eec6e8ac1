//! Winograd's transformed weights U = G g Gᵀ, kept from one inference call to the next: a
//! sampler runs the same network 50–1000 times, and transforming a layer's weights costs about
//! as much memory traffic as transforming its activations at the bundled model's size.
//!
//! An entry is keyed by the weight tensor's storage (address, length and shape) and holds a
//! clone of the tensor. The clone keeps the storage alive, so the address cannot be reused by
//! another tensor while the entry lives, and makes flex's copy-on-write copy rather than change
//! the storage in place. An entry whose weight only the cache still holds (its model was
//! dropped: a sampler's EMA snapshot, say) goes at the next miss, and the cache holds at most
//! [`MAX_BYTES`] of transformed weights, the least recently used dropped first. Training never
//! uses it: its weights change every step.

use burn::backend::flex::FlexTensor;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The transformed weights the cache holds at most (about 4 snapshots of the 32×32 default).
const MAX_BYTES: usize = 64 << 20;

struct Entry {
    key: Key,
    /// keeps the storage (and so the key's address) alive and unchanged
    weight: FlexTensor,
    u: Arc<Vec<f32>>,
}

#[derive(Clone, PartialEq, Eq)]
struct Key {
    address: usize,
    len: usize,
    dims: Vec<usize>,
}

static CACHE: Mutex<VecDeque<Entry>> = Mutex::new(VecDeque::new());

/// `transform(w)` for this weight tensor, from the cache when it was computed before. A weight
/// that is not a contiguous `f32` tensor is transformed every time.
pub fn transformed(
    weight: &FlexTensor,
    transform: impl FnOnce(&[f32]) -> Vec<f32>,
) -> Arc<Vec<f32>> {
    let Some(w) = weight.as_slice::<f32>() else {
        let w = super::extension::values(weight);
        return Arc::new(transform(&w));
    };
    let key = Key {
        address: w.as_ptr() as usize,
        len: w.len(),
        dims: weight.layout().shape().to_vec(),
    };
    if let Ok(mut cache) = CACHE.lock()
        && let Some(i) = cache.iter().position(|e| e.key == key)
    {
        // Most recently used at the back.
        if let Some(entry) = cache.remove(i) {
            let u = entry.u.clone();
            cache.push_back(entry);
            return u;
        }
    }
    let u = Arc::new(transform(w));
    if let Ok(mut cache) = CACHE.lock() {
        cache.retain(|e| !e.weight.is_unique());
        cache.push_back(Entry {
            key,
            weight: weight.clone(),
            u: u.clone(),
        });
        let mut bytes: usize = cache.iter().map(|e| 4 * e.u.len()).sum();
        while bytes > MAX_BYTES && cache.len() > 1 {
            if let Some(old) = cache.pop_front() {
                bytes -= 4 * old.u.len();
            }
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::flex::Layout;
    use burn::tensor::{Bytes, DType, Shape};

    fn tensor(values: Vec<f32>) -> FlexTensor {
        let n = values.len();
        FlexTensor::new(
            Bytes::from_elems(values),
            Layout::contiguous(Shape::from(vec![n])),
            DType::F32,
        )
    }

    #[test]
    fn the_same_storage_hits_and_new_storage_misses() {
        let calls = std::cell::Cell::new(0);
        let count = |w: &[f32]| {
            calls.set(calls.get() + 1);
            vec![w.iter().sum::<f32>()]
        };
        let a = tensor(vec![1.0, 2.0, 3.0]);
        assert_eq!(*transformed(&a, count), vec![6.0]);
        assert_eq!(*transformed(&a.clone(), count), vec![6.0]);
        assert_eq!(calls.get(), 1, "a clone shares the storage: one transform");
        // Equal values in new storage are a new weight (the cache never compares values).
        let b = tensor(vec![1.0, 2.0, 4.0]);
        assert_eq!(*transformed(&b, count), vec![7.0]);
        assert_eq!(calls.get(), 2);
        // Once only the cache holds a weight, the next miss drops its entry.
        let held = |t: &FlexTensor| {
            let p = t.as_slice::<f32>().map(|w| w.as_ptr() as usize);
            let cache = CACHE.lock().unwrap();
            cache.iter().any(|e| Some(e.key.address) == p)
        };
        assert!(held(&a));
        let address_a = a.as_slice::<f32>().map(|w| w.as_ptr() as usize);
        drop(a);
        let c = tensor(vec![0.5]);
        transformed(&c, count);
        let cache = CACHE.lock().unwrap();
        assert!(!cache.iter().any(|e| Some(e.key.address) == address_a));
        drop(cache);
        assert!(held(&b) && held(&c));
    }
}
