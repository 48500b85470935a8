//! bf16 autocast for CUDA training steps (`TrainConfig::bf16`). tch's `autocast` only switches libtorch's
//! autocast on, with its default CUDA dtype (f16), so the switch lives in csrc/autocast.cpp, which also
//! sets the dtype. The scan node reads bf16 inputs and scans in f32; recomputed layers see the same state
//! (csrc/checkpoint.cpp).

extern "C" {
    fn seq2exp_autocast_enter(enabled: i32) -> i64;
    fn seq2exp_autocast_exit(prev: i64);
}

/// Restores the autocast state on drop, also when `f` panics.
struct Region(i64);

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `self.0` came from seq2exp_autocast_enter on this thread; the call never unwinds.
        unsafe { seq2exp_autocast_exit(self.0) }
    }
}

/// Runs `f` under CUDA bf16 autocast when `on`, else just runs it (so CPU runs are untouched).
pub fn bf16_autocast<T>(on: bool, f: impl FnOnce() -> T) -> T {
    if !on {
        return f();
    }
    // SAFETY: no arguments to get wrong; the C++ side catches every exception.
    let prev = unsafe { seq2exp_autocast_enter(1) };
    if prev < 0 {
        tracing::warn!("could not enable bf16 autocast; this step runs in f32");
    }
    let _region = Region(prev);
    f()
}
