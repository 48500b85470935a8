//! libtorch-free Seq2Exp inference: an exported ONNX model run by ONNX Runtime (loaded dynamically),
//! with the selective scan as a custom operator on the Rust kernel (`fast` flavour) or in stock ONNX
//! (`portable`). The file format — graph signature and metadata — is defined in [`onnx`], which also
//! builds graphs for `trainer export`.

pub mod bench;
pub mod cli;
pub mod error;
mod info;
mod input;
pub mod links;
pub mod merge;
mod model;
pub mod onnx;
mod ops;
pub mod output;
pub mod predict;
pub mod select;
mod session;

pub use error::{GraphError, RuntimeError};
pub use info::{ModelInfo, TensorInfo};
pub use input::{InputBatch, Prediction};
pub use model::{LoadOptions, Model};
pub use onnx::Flavour;
pub mod vep;
