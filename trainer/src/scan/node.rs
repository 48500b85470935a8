//! The Rust face of the C++ autograd node.

use std::ffi::{c_char, CStr};

use tch::Tensor;
use torch_sys::C_tensor;

use super::{DeltaArg, ScanArgs};

/// Positions between state checkpoints kept for the backward pass.
pub const CHUNK: i64 = 256;

extern "C" {
    fn seq2exp_selective_scan(
        u: *const C_tensor,
        delta: *const C_tensor,
        delta_low: *const C_tensor,
        dt_weight: *const C_tensor,
        a_log: *const C_tensor,
        b: *const C_tensor,
        c: *const C_tensor,
        d: *const C_tensor,
        z: *const C_tensor,
        bias: *const C_tensor,
        softplus: i32,
        chunk: i64,
        err: *mut c_char,
        err_len: usize,
    ) -> *mut C_tensor;
}

/// The selective scan as a differentiable libtorch op (see [`ScanArgs`] for the layout). Fails with the
/// kernel's message on bad shapes or devices.
pub fn selective_scan(a: &ScanArgs) -> Result<Tensor, tch::TchError> {
    let opt = |t: Option<&Tensor>| t.map_or(std::ptr::null(), |t| t.as_ptr());
    let (delta, low, weight) = match a.delta {
        DeltaArg::Full(d) => (Some(d), None, None),
        DeltaArg::LowRank { low, weight } => (None, Some(low), Some(weight)),
    };
    let mut err = [0 as c_char; 512];
    // SAFETY: every pointer is a live tch tensor (or null for an absent optional input); the node only
    // borrows them and returns a new tensor that we own.
    let out = unsafe {
        seq2exp_selective_scan(
            a.u.as_ptr(),
            opt(delta),
            opt(low),
            opt(weight),
            a.a_log.as_ptr(),
            a.b.as_ptr(),
            a.c.as_ptr(),
            opt(a.d_skip),
            opt(a.z),
            opt(a.delta_bias),
            a.delta_softplus as i32,
            CHUNK,
            err.as_mut_ptr(),
            err.len(),
        )
    };
    if out.is_null() {
        // SAFETY: the C++ side wrote a NUL-terminated message.
        let msg = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy().into_owned();
        // libtorch appends a C++ backtrace after the first line: keep the message only.
        let first = msg.lines().next().unwrap_or("unknown error");
        return Err(tch::TchError::Torch(format!("selective scan: {first}")));
    }
    // SAFETY: `out` is a heap-allocated at::Tensor handed over to us.
    Ok(unsafe { Tensor::from_ptr(out) })
}
