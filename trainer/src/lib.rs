//! Seq2Exp training, evaluation and ONNX export on libtorch (tch).
//!
//! `scan` exposes the Rust selective-scan kernel to libtorch autograd; `nn` holds the Caduceus blocks.

pub mod nn;
pub mod scan;
