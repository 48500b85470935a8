//! FASTA (noodles writer, fixed line width) and its `.fai`, whose offsets are computed from the bytes
//! actually written and checked against the file's size.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::num::NonZero;
use std::path::{Path, PathBuf};

use noodles::fasta;
use noodles::fasta::fai;

use crate::error::{InputError, IoContext, Result};

/// Writes `(name, sequence)` records to `path` with `width` bases a line, and the index to `path.fai`.
pub fn write_indexed<'a>(
    path: &Path,
    width: usize,
    records: impl ExactSizeIterator<Item = (&'a str, &'a [u8])>,
) -> Result<()> {
    let line = NonZero::new(width).ok_or_else(|| InputError::new(path, "fasta_line_width must be positive"))?;
    let file = BufWriter::new(File::create(path).file_ctx(path)?);
    let mut writer = fasta::io::writer::Builder::default().set_line_base_count(line).build_from_writer(file);
    let mut index = Vec::with_capacity(records.len());
    let mut offset = 0u64;
    for (name, seq) in records {
        let header = name.len() as u64 + 2; // ">" + name + "\n"
        let len = seq.len() as u64;
        let nz = |v: u64| NonZero::new(v).expect("positive line width");
        index.push(fai::Record::new(name, len, offset + header, nz(width as u64), nz(width as u64 + 1)));
        let record =
            fasta::Record::new(fasta::record::Definition::new(name, None), fasta::record::Sequence::from(seq.to_vec()));
        writer.write_record(&record).file_ctx(path)?;
        offset += header + len + len.div_ceil(width as u64);
    }
    let mut inner = writer.into_inner();
    inner.flush().file_ctx(path)?;
    let written = inner.get_ref().metadata().file_ctx(path)?.len();
    if written != offset {
        return Err(InputError::new(path, format!("wrote {written} bytes but the index expects {offset}")));
    }
    let fai_path = PathBuf::from(format!("{}.fai", path.display()));
    let mut fai_writer = fai::io::Writer::new(BufWriter::new(File::create(&fai_path).file_ctx(&fai_path)?));
    fai_writer.write_index(&fai::Index::from(index)).file_ctx(&fai_path)?;
    fai_writer.get_mut().flush().file_ctx(&fai_path)
}
