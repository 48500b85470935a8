use std::path::PathBuf;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Every store error names the file, and the gene where one is involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Hdf5 {
        path: PathBuf,
        #[source]
        source: hdf5::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: store schema version {found}, this build reads version {expected}; rebuild the store with this version's `data-prep build`")]
    SchemaVersion { path: PathBuf, found: u32, expected: u32 },
    #[error("{path}: {}", crate::output::plain_io(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing the store failed; `message` is in plain language where the cause is known (no space,
    /// file size limit, permission), and `path` is the output, not its temporary file.
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
    /// A gene's data could not be read back (a corrupt or truncated chunk).
    #[error("{path}: gene {gene}: dataset {dataset}: cannot read (corrupt or truncated store; rebuild it): {source}")]
    Read {
        path: PathBuf,
        gene: String,
        dataset: String,
        #[source]
        source: hdf5::Error,
    },
}

impl StoreError {
    pub(crate) fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Invalid { path: path.into(), message: message.into() }
    }
}

/// Attaches the store path to hdf5 results.
pub(crate) trait H5Context<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> H5Context<T> for hdf5::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| StoreError::Hdf5 { path: path.to_path_buf(), source })
    }
}
