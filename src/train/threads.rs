//! The threads that compute: the trainer thread and rayon's global pool, on which burn's flex
//! backend runs its kernels. On a machine with few cores they compete with the UI thread;
//! lowering their scheduling priority (nice 10 on Linux) lets the window keep its 60 frames
//! per second while training still gets every idle cycle.

use std::sync::Once;

/// The nice value of compute threads.
pub const COMPUTE_NICE: i32 = 10;

/// Lower the calling thread's priority (Linux: per-thread nice). Returns whether it worked.
pub fn lower_this_thread() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority have no memory-safety preconditions; on Linux
        // PRIO_PROCESS with a thread id sets that thread's nice value.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, COMPUTE_NICE) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// The calling thread's nice value (Linux), for tests.
pub fn this_thread_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: as above; errno is cleared first because -1 is a valid priority.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            *libc::__errno_location() = 0;
            let nice = libc::getpriority(libc::PRIO_PROCESS, tid);
            (*libc::__errno_location() == 0).then_some(nice)
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Build rayon's global pool with low-priority threads, once per process, before anything
/// computes. Returns false when the pool was already built (its threads keep their priority).
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
