//! The selective scan as a libtorch op. `selective_scan` runs the Rust kernel of `seq2exp-models` inside a
//! libtorch autograd node (a small C++ `torch::autograd::Function`, see `csrc/scan_autograd.cpp`): states
//! are never materialised, the backward pass recomputes them from chunk checkpoints. The node dispatches on
//! the tensors' device; CUDA tensors go to the CUDA kernel when built with the `cuda` feature.

mod ffi;
mod node;
mod reference;

pub use node::selective_scan;
pub use reference::selective_scan_reference;

use tch::Tensor;

/// δ before bias and softplus, in one of the kernel's two forms (`seq2exp_models::scan::Delta`).
#[derive(Clone, Copy)]
pub enum DeltaArg<'a> {
    /// `[B, D, L]`
    Full(&'a Tensor),
    /// δ_pre = weight · low with `low: [B, R, L]` and `weight: [D, R]` (Mamba's x_proj δ rows and
    /// `dt_proj.weight`): the kernel forms δ_pre per chunk, so no `[B, D, L]` δ or dδ tensor exists.
    LowRank { low: &'a Tensor, weight: &'a Tensor },
}

/// Inputs of one scan (layout of `seq2exp_models::scan`): `u, z: [B, D, L]`, `delta` (see [`DeltaArg`]),
/// `a_log: [D, N]`, `b, c: [B, L, N]`, `d_skip, delta_bias: [D]`.
pub struct ScanArgs<'a> {
    pub u: &'a Tensor,
    pub delta: DeltaArg<'a>,
    pub a_log: &'a Tensor,
    pub b: &'a Tensor,
    pub c: &'a Tensor,
    pub d_skip: Option<&'a Tensor>,
    pub z: Option<&'a Tensor>,
    pub delta_bias: Option<&'a Tensor>,
    pub delta_softplus: bool,
}
