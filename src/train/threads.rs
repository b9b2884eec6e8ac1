//! The threads that compute: the trainer thread and rayon's global pool, on which burn's flex
//! backend runs its kernels. On a machine with few cores they compete with the UI thread;
//! lowering their scheduling priority (nice 10 on Linux, below normal on Windows and macOS,
//! through `thread-priority`) lets the window keep its 60 frames per second while training
//! still gets every idle cycle.

use std::sync::Once;
use thread_priority::{ThreadPriority, ThreadPriorityValue};

/// The nice value compute threads get on Linux (the mapping of [`COMPUTE_PRIORITY`]).
pub const COMPUTE_NICE: i32 = 10;

/// The cross-platform priority of compute threads, on thread-priority's 0 (lowest) … 99
/// scale. For normal threads it maps to nice 10 on Linux, to a below-normal priority on
/// Windows, and to a lower pthread priority on macOS.
pub const COMPUTE_PRIORITY: u8 = 22;

/// Lower the calling thread's priority. Returns whether it worked.
pub fn lower_this_thread() -> bool {
    ThreadPriorityValue::try_from(COMPUTE_PRIORITY)
        .ok()
        .map(ThreadPriority::Crossplatform)
        .is_some_and(|p| p.set_for_current().is_ok())
}

/// The calling thread's nice value (Linux, read from /proc), for tests.
pub fn this_thread_nice() -> Option<i32> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces; the nice
    // value is field 19, the 17th after the name.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(16)?.parse().ok()
}

/// Build rayon's global pool with low-priority threads, and the single-thread pools a training
/// batch's shards run on ([`crate::model::kernels::shards`]), once per process, before anything
/// computes. Returns false when rayon's pool was already built (its threads keep their
/// priority).
pub fn lower_compute_pool() -> bool {
    static ONCE: Once = Once::new();
    let mut built = false;
    ONCE.call_once(|| {
        built = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("compute-{i}"))
            .start_handler(|_| {
                lower_this_thread();
            })
            .build_global()
            .is_ok();
        // and the threads that run the shards of a training batch
        crate::model::kernels::shards::build_own_pools(|| {
            lower_this_thread();
        });
    });
    built
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_lowered_thread_has_a_higher_nice_value() {
        let nice = std::thread::spawn(|| {
            assert!(lower_this_thread());
            this_thread_nice()
        })
        .join()
        .unwrap();
        assert_eq!(nice, Some(COMPUTE_NICE));
        // Other threads are untouched.
        assert_ne!(this_thread_nice(), Some(COMPUTE_NICE));
    }
}
