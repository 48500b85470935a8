//! Forward-only kernels of the Caduceus mixer that the runtime's fast flavour fuses into single
//! custom ONNX nodes (each replaces several full passes over a `[B, C, L]` tensor). Channel-major
//! layout, rows of L positions; parallel on rayon's current pool; ISA-dispatched like the scan.
//! The trainer keeps tch's ops for these steps (it needs their gradients).

mod conv;
mod flip;
mod rmsnorm;

pub use conv::causal_conv1d_silu;
pub use flip::flip_positions;
pub use rmsnorm::rms_norm_channels;
