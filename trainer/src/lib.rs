//! Seq2Exp training, evaluation and ONNX export on libtorch (tch).
//!
//! `scan` exposes the Rust selective-scan kernel to libtorch autograd; `nn` holds the Caduceus blocks.

pub mod checkpoint;
pub mod cli;
pub mod error;
pub mod eval;
pub mod export;
pub mod import;
pub mod model;
pub mod nn;
pub mod scan;
pub mod train;

pub use error::{Result, TrainerError};
