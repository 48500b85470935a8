//! One error type for bad input: it always names the file and, where known, the place in it
//! (line, chromosome, gene), so a user can go straight to the problem.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with an input (or output) file. `Display` gives `FILE: PLACE: MESSAGE`.
#[derive(Debug, thiserror::Error)]
pub struct InputError {
    pub file: PathBuf,
    /// e.g. "line 12", "chromosome chr3", "gene ENSG00000141510".
    pub place: Option<String>,
    pub message: String,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

pub type Result<T, E = InputError> = std::result::Result<T, E>;

impl InputError {
    pub fn new(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Self { file: file.as_ref().to_path_buf(), place: None, message: message.into(), source: None }
    }

    pub fn at(file: impl AsRef<Path>, place: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(file, message).place(place)
    }

    /// An error at a 1-based line number.
    pub fn line(file: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Self {
        Self::at(file, format!("line {line}"), message)
    }

    pub fn place(mut self, place: impl Into<String>) -> Self {
        self.place = Some(place.into());
        self
    }

    /// An I/O error, in plain language where the cause is a full disk, a size limit or a permission
    /// (then without the OS's own wording as a source, which would only repeat it).
    pub fn io(file: impl AsRef<Path>, err: std::io::Error) -> Self {
        let message = seq2exp_store::output::plain_io(&err).into_owned();
        let source: Option<Box<dyn std::error::Error + Send + Sync>> =
            (message == err.to_string()).then(|| Box::new(err) as _);
        Self { source, ..Self::new(file, message) }
    }

    /// Wraps any library error, keeping it as the source.
    pub fn wrap(file: impl AsRef<Path>, err: impl std::error::Error + Send + Sync + 'static) -> Self {
        let message = err.to_string();
        Self { source: Some(Box::new(err)), ..Self::new(file, message) }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(place) = &self.place {
            write!(f, ": {place}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Adds file context to `std::io::Result`s.
pub trait IoContext<T> {
    fn file_ctx(self, file: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn file_ctx(self, file: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| InputError::io(file, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_and_place() {
        let e = InputError::line("genes.gtf", 12, "missing gene_id attribute");
        assert_eq!(e.to_string(), "genes.gtf: line 12: missing gene_id attribute");
        let e = InputError::new("x.bw", "truncated");
        assert_eq!(e.to_string(), "x.bw: truncated");
    }
}
