//! What `runtime predict` writes, each piece crash-safe: a kill at any moment leaves either the previous
//! state or the new one, never a half-written file.
//!
//! - [`predictions`]: `predictions.tsv`, built from an append-only log that a rerun resumes from;
//! - [`masks`]: per-gene masks (`masks.h5`), built from atomically written part files;
//! - [`bigwig`]: a genome-wide mask track (`mask.bw`), overlapping windows combined by max;
//! - [`elements`]: discovered elements (`elements.bed`), runs of the mask above a threshold.

pub mod bigwig;
pub mod elements;
pub mod gene_log;
pub mod masks;
pub mod predictions;

use std::path::{Path, PathBuf};

use seq2exp_store::output::{plain_hdf5, plain_io, Staged};

/// An output (or input) problem, naming the file; write failures in plain language where the cause
/// is a full disk, a file size limit or a permission.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: {}", plain_io(source))]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Hdf5 { path: PathBuf, message: String },
    #[error("{place}: {message}")]
    Invalid { place: String, message: String },
}

impl OutputError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }
    /// `path` is the file HDF5 was working on (its size and file system explain some failures).
    pub fn hdf5(path: &Path, source: hdf5::Error) -> Self {
        Self::Hdf5 { path: path.to_path_buf(), message: plain_hdf5(&source, path).into_owned() }
    }
    pub fn invalid(place: impl std::fmt::Display, message: impl Into<String>) -> Self {
        Self::Invalid { place: place.to_string(), message: message.into() }
    }

    /// The same error naming `to` where it named `from` (a temporary file the user never sees).
    fn renamed(self, from: &Path, to: &Path) -> Self {
        match self {
            Self::Io { path, source } if path == from => Self::Io { path: to.to_path_buf(), source },
            Self::Hdf5 { path, message } if path == from => Self::Hdf5 { path: to.to_path_buf(), message },
            other => other,
        }
    }
}

/// Writes `bytes` to `path` atomically ([`seq2exp_store::output::write_file`]).
pub fn write_bytes(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), OutputError> {
    seq2exp_store::output::write_file(path, bytes).map_err(|e| OutputError::io(path, e))
}

/// Writes `path` through `write` into a temporary sibling ([`Staged`]), then renames it into place;
/// on any failure the temporary is removed and the error names `path`.
pub fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<(), OutputError>) -> Result<(), OutputError> {
    let staged = Staged::new(path).map_err(|e| OutputError::io(path, e))?;
    write(staged.tmp()).map_err(|e| e.renamed(staged.tmp(), path))?;
    staged.commit().map(|_| ()).map_err(|e| OutputError::io(path, e))
}
