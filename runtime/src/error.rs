//! Errors of the runtime: loading a model file, running it, and building a graph for export.

use std::path::PathBuf;

/// Why a model could not be loaded or run. Every variant about a file names it.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not an ONNX model (truncated, corrupt, or another format).
    #[error("{path}: not a readable ONNX model: {message}")]
    NotOnnx { path: PathBuf, message: String },
    /// An ONNX model, but not one written by `trainer export` (or from a newer format).
    #[error("{path}: not a seq2exp model: {message}")]
    NotSeq2Exp { path: PathBuf, message: String },
    /// ONNX Runtime refused the model or a run.
    #[error("{path}: ONNX Runtime: {message}")]
    Ort { path: PathBuf, message: String },
    /// The ONNX Runtime library could not be loaded.
    #[error("cannot load the ONNX Runtime library ({path}): {message}; set ORT_DYLIB_PATH to libonnxruntime.so (1.31 or newer)")]
    Library { path: PathBuf, message: String },
    /// An input batch that does not match the model.
    #[error("bad input: {0}")]
    Input(String),
    /// A store that cannot feed this model.
    #[error("{store} cannot feed {model}: {message}")]
    StoreMismatch { model: PathBuf, store: PathBuf, message: String },
}

/// Why a graph could not be built from a configuration and weights.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("weight `{0}` is missing")]
    MissingWeight(String),
    #[error("weight `{name}` has shape {actual:?}, the configuration implies {expected:?}")]
    Shape { name: String, expected: Vec<usize>, actual: Vec<usize> },
    #[error("cannot export: {0}")]
    Unsupported(String),
    #[error(transparent)]
    Config(#[from] seq2exp_models::config::ConfigError),
    #[error("serialising the model: {0}")]
    Serialize(String),
}
