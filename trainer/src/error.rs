use std::path::PathBuf;

/// Errors of the trainer library; each names the file involved where there is one.
#[derive(Debug, thiserror::Error)]
pub enum TrainerError {
    #[error("{path}: {}", seq2exp_store::output::plain_io(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error(transparent)]
    Torch(#[from] tch::TchError),
}

pub type Result<T, E = TrainerError> = std::result::Result<T, E>;
