//! Sizes and checksums of the input files, recorded in the store so a result can be traced to its inputs.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{IoContext, Result};
use seq2exp_store::SourceFile;

/// Describes `path` (size + sha256 of its bytes) for the store's `sources` list.
pub fn source_file(role: &str, path: &Path) -> Result<SourceFile> {
    let mut f = std::fs::File::open(path).file_ctx(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).file_ctx(path)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(SourceFile { role: role.to_string(), path: abs.display().to_string(), size, sha256: hex::encode(hasher.finalize()) })
}
