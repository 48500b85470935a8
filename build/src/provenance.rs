//! Sizes and checksums of the input files, recorded in the store so a result can be traced to its inputs.

use std::path::Path;

use seq2exp_store::SourceFile;

use seq2exp_formats::checksum::sha256_file;
use seq2exp_formats::error::Result;

/// Describes `path` (size + sha256 of its bytes) for the store's `sources` list.
pub fn source_file(role: &str, path: &Path) -> Result<SourceFile> {
    let (size, sha256) = sha256_file(path)?;
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(SourceFile { role: role.to_string(), path: abs.display().to_string(), size, sha256 })
}
