//! Errors: callers cross an FFI boundary, so every bad size is reported, never panicked on.

use super::isa::Isa;

/// Why a scan call was refused. Nothing is written to the outputs when an error is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// A slice does not have the length its dimensions imply.
    #[error("`{name}` has {actual} elements, expected {expected}")]
    Length {
        /// Argument name, as in [`ScanInputs`](super::ScanInputs) / [`ScanGrads`](super::ScanGrads).
        name: &'static str,
        /// Length implied by the dimensions.
        expected: usize,
        /// Length passed.
        actual: usize,
    },
    /// `chunk` was 0.
    #[error("chunk length must be at least 1")]
    ZeroChunk,
    /// `state` (N) was 0.
    #[error("state size N must be at least 1")]
    ZeroState,
    /// A product of the dimensions does not fit in `usize`.
    #[error("scan dimensions overflow usize: batch {batch}, dim {dim}, len {len}, state {state}")]
    Overflow {
        /// B
        batch: usize,
        /// D
        dim: usize,
        /// L
        len: usize,
        /// N
        state: usize,
    },
    /// A gradient was requested for an input that was not given (only `dz` without `z`).
    #[error("gradient `{0}` requested but its input is absent")]
    MissingInput(&'static str),
    /// `ddelta` is full while `delta` is low-rank, or the other way round.
    #[error("`ddelta` must have the form (full or low-rank) of `delta`")]
    DeltaForm,
    /// The requested instruction set is not supported by this CPU.
    #[error("instruction set {0:?} is not available on this CPU")]
    IsaUnavailable(Isa),
}
