//! Opening line-oriented text inputs that may be gzip- or bgzip-compressed.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{IoContext, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens `path` for line reading, decompressing when the file starts with the gzip magic (whatever its
/// name). `MultiGzDecoder` also reads bgzip files, which are concatenated gzip members.
pub(crate) fn open_text(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let mut file = File::open(path).file_ctx(path)?;
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut file, &mut magic).file_ctx(path)?;
    let file = File::open(path).file_ctx(path)?;
    if n == 2 && magic == GZIP_MAGIC {
        Ok(Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(file))))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The file name without a trailing `.gz`/`.bgz`, lower-cased, for extension sniffing.
pub(crate) fn base_name_lower(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    name.strip_suffix(".gz").or_else(|| name.strip_suffix(".bgz")).map(str::to_string).unwrap_or(name)
}

/// Strips a trailing `\n` / `\r\n`.
pub(crate) fn trim_eol(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r'])
}
