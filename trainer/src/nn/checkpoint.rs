//! Activation recomputation ("gradient checkpointing"): [`checkpoint`] runs a layer keeping only its
//! input; the backward pass reruns the layer to rebuild what it needs. Trades one extra forward per layer
//! for not keeping every layer's activations — what makes 200 kb windows fit in memory.

use std::ffi::{c_char, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use tch::Tensor;
use torch_sys::C_tensor;

/// A layer that can be recomputed: `forward` must be deterministic (no dropout, no sampling).
pub trait Recompute {
    fn forward(&self, x: &Tensor) -> Tensor;
}

type LayerFn = unsafe extern "C" fn(*const c_void, *const C_tensor, *mut c_char, usize) -> *mut C_tensor;

extern "C" {
    fn seq2exp_checkpoint(
        x: *const C_tensor,
        f: LayerFn,
        obj: *const c_void,
        err: *mut c_char,
        err_len: usize,
    ) -> *mut C_tensor;
}

/// Called from C++ (forward and, again, backward). Panics must not unwind into C++.
unsafe extern "C" fn call_layer<L: Recompute>(
    obj: *const c_void,
    x: *const C_tensor,
    err: *mut c_char,
    err_len: usize,
) -> *mut C_tensor {
    let run = || {
        // SAFETY: `obj` is the `&L` passed to `checkpoint`, alive for the whole backward pass; `x` is a live
        // tensor borrowed from C++ (clone_from_ptr takes a new reference, it does not take ownership).
        let layer = &*(obj as *const L);
        let x = Tensor::clone_from_ptr(x as *mut C_tensor);
        let mut y = layer.forward(&x);
        let p = y.as_mut_ptr();
        std::mem::forget(y); // ownership of the at::Tensor passes to C++
        p
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(p) => p,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            let n = msg.len().min(err_len.saturating_sub(1));
            std::ptr::copy_nonoverlapping(msg.as_ptr(), err as *mut u8, n);
            *err.add(n) = 0;
            std::ptr::null_mut()
        }
    }
}

/// `layer.forward(x)`, recomputed in the backward pass instead of keeping its activations.
/// Without grad mode this is a plain call (decided on the C++ side, where the mode is visible).
///
/// # Safety
/// The graph keeps a raw pointer to `layer` and calls it during its backward pass: `layer` must stay
/// alive and unmoved until that graph is backpropagated or dropped (true for a model's own layers).
pub unsafe fn checkpoint<L: Recompute>(layer: &L, x: &Tensor) -> Tensor {
    let mut err = [0 as c_char; 512];
    // SAFETY: `layer` outlives the graph (caller's contract); the returned pointer is a new at::Tensor
    // that we own.
    unsafe {
        let out = seq2exp_checkpoint(
            x.as_ptr(),
            call_layer::<L>,
            layer as *const L as *const c_void,
            err.as_mut_ptr(),
            err.len(),
        );
        if out.is_null() {
            let msg = CStr::from_ptr(err.as_ptr()).to_string_lossy();
            panic!("checkpointed layer failed: {}", msg.lines().next().unwrap_or(""));
        }
        Tensor::from_ptr(out)
    }
}
