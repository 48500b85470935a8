//! What `runtime predict` writes, each piece crash-safe: a kill at any moment leaves either the previous
//! state or the new one, never a half-written file.
//!
//! - [`predictions`]: `predictions.tsv`, built from an append-only log that a rerun resumes from;
//! - [`masks`]: per-gene masks (`masks.h5`), built from atomically written part files;
//! - [`bigwig`]: a genome-wide mask track (`mask.bw`), overlapping windows combined by max;
//! - [`elements`]: discovered elements (`elements.bed`), runs of the mask above a threshold.

pub mod bigwig;
pub mod elements;
pub mod masks;
pub mod predictions;

use std::path::{Path, PathBuf};

/// An output (or input) problem, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Hdf5 { path: PathBuf, source: hdf5::Error },
    #[error("{place}: {message}")]
    Invalid { place: String, message: String },
}

impl OutputError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }
    pub fn hdf5(path: &Path, source: hdf5::Error) -> Self {
        Self::Hdf5 { path: path.to_path_buf(), source }
    }
    pub fn invalid(place: impl std::fmt::Display, message: impl Into<String>) -> Self {
        Self::Invalid { place: place.to_string(), message: message.into() }
    }
}

/// A sibling temporary path of `path` (same directory, so the final rename is atomic).
pub fn tmp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `path` through `write` into a temporary sibling, then renames it into place.
pub fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<(), OutputError>) -> Result<(), OutputError> {
    let tmp = tmp_path(path);
    match write(&tmp) {
        Ok(()) => std::fs::rename(&tmp, path).map_err(|e| OutputError::io(path, e)),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
