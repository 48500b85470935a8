//! The selective scan of Mamba-1: forward and backward, in pure Rust, over f32 (fast path) or f64.
//!
//! # Layout (fixed: the trainer's autograd node and the ONNX Runtime custom op call this)
//! All tensors are dense and row-major; B = batch, D = channels (d_inner), L = length, N = states.
//!
//! | tensor                     | shape              | note                                          |
//! |----------------------------|--------------------|-----------------------------------------------|
//! | `u`, `delta`, `z`, `y`     | `[B, D, L]`        | one channel's L values are contiguous         |
//! | `delta_low` (low-rank δ)   | `[B, R, L]`        | rows like `u`; R = dt_rank                    |
//! | `dt_weight` (low-rank δ)   | `[D, R]`           | δ_pre = dt_weight · delta_low                 |
//! | `a_log`                    | `[D, N]`           | A = −exp(a_log)                               |
//! | `b`, `c`                   | `[B, L, N]`        | shared by all channels; one position's N contiguous |
//! | `d_skip`, `delta_bias`     | `[D]`              | optional                                      |
//! | checkpoints                | `[B, D, n_chunks, N]` | state before position k·T, k = 0..n_chunks  |
//!
//! # Semantics
//! `delta` is either δ_pre itself ([`Delta::Full`]) or its factors ([`Delta::LowRank`]):
//! δ_pre[b,d,t] = Σ_r dt_weight[d,r]·delta_low[b,r,t], Mamba's dt_proj fused into the kernel so that
//! neither δ_pre nor its gradient is ever a `[B, D, L]` buffer; the backward then returns
//! d delta_low and d dt_weight ([`DeltaGrad::LowRank`]) instead of dδ_pre.
//! δ = softplus(δ_pre + delta_bias) (or delta + delta_bias when `delta_softplus` is false);
//! h_t = exp(δ_t A_dn) h_{t−1} + δ_t B_t,n u_t,d with h_{−1} = 0;
//! y_t,d = Σ_n C_t,n h_t,dn + D_d u_t,d, then y *= silu(z) when `z` is given.
//! softplus is evaluated without PyTorch's threshold (x > 20 → x); the two differ by < e^−20·x.
//!
//! # Memory
//! Besides the caller's `[B, D, L]` tensors and the checkpoint grid ([`checkpoint_len`]):
//! - forward: the states `[B, D, N]` and O(T) scratch per worker;
//! - backward: the adjoint carry and dA sums `[B, D, N]`, one `[T, N]` partial of dB and of dC per
//!   (batch, block of 16 channels), and O(T·N) scratch per worker (a chunk's recomputed states);
//! - both: when N is not a multiple of 16, zero-padded copies of `b` and `c`;
//! - low-rank δ: O(T) scratch per worker for a chunk's δ_pre and dδ_pre, one `[R, T]` partial of
//!   d delta_low per (batch, block of 16 channels), and `[B, D, R]` sums for d dt_weight.
//!
//! No [B, D, L, N] tensor is ever allocated (except in [`mod@reference`]).
//!
//! # Parallelism and determinism
//! Work runs on the current rayon pool (use `ThreadPool::install` to choose one): the forward over
//! (batch, group of 8 channels), the backward over (batch, block of 16 channels) one chunk at a
//! time, all chunks in reverse. Results are bit-identical between runs and independent of the
//! number of threads: every reduction has a fixed order. They do depend on the instruction set
//! ([`Isa`]): the AVX2/AVX-512 paths use fused multiply-adds.
//!
//! # Speed
//! The N states of a channel are processed in blocks of 16 lanes held in fixed-size arrays, so the
//! compiler keeps them in registers and vectorises; exp(δA) is a branch-free polynomial
//! ([`math::exp2_f32`]) for f32, libm for f64. Each kernel is compiled three times (baseline,
//! AVX2+FMA, AVX-512) and the best the CPU supports is picked at run time; no build flags needed.

mod backward;
mod backward_chunk;
mod delta;
pub(crate) mod dims;
mod error;
mod float;
mod forward;
pub(crate) mod isa;
pub mod math;
mod prep;
pub mod reference;
mod vec16;

pub use backward::{scan_backward, scan_backward_with};
pub use delta::{Delta, DeltaGrad};
pub use dims::{checkpoint_len, ScanDims, ScanGrads, ScanInputs};
pub use error::ScanError;
pub use float::ScanFloat;
pub use forward::{scan_forward, scan_forward_with};
pub use isa::Isa;

/// Default number of positions between two checkpoints (T).
pub const DEFAULT_CHUNK: usize = 256;

/// How a scan runs: checkpoint spacing and instruction set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// Positions per chunk (T ≥ 1); the checkpoint grid holds one state per chunk.
    pub chunk: usize,
    /// Code path; [`Isa::detect`] picks the best one this CPU supports.
    pub isa: Isa,
}

impl ScanOptions {
    /// Options with the given chunk length and the best instruction set of this CPU.
    pub fn new(chunk: usize) -> Self {
        Self { chunk, isa: Isa::detect() }
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self::new(DEFAULT_CHUNK)
    }
}
