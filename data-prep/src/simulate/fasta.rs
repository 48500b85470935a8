//! genome.fa (noodles writer, fixed line width) and genome.fa.fai, whose offsets are computed from the
//! bytes actually written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::num::NonZero;
use std::path::Path;

use noodles::fasta;
use noodles::fasta::fai;

use super::model::Genome;
use seq2exp_formats::error::{InputError, IoContext, Result};

/// Writes `path` and `path.fai`.
pub fn write(genome: &Genome, path: &Path) -> Result<()> {
    let width = genome.config.fasta_line_width;
    let line = NonZero::new(width).ok_or_else(|| InputError::new(path, "fasta_line_width must be positive"))?;
    let file = BufWriter::new(File::create(path).file_ctx(path)?);
    let mut writer = fasta::io::writer::Builder::default().set_line_base_count(line).build_from_writer(file);
    let mut records = Vec::with_capacity(genome.chroms.len());
    let mut offset = 0u64;
    for chrom in &genome.chroms {
        let header = chrom.name.len() as u64 + 2; // ">" + name + "\n"
        let len = chrom.seq.len() as u64;
        let nz = |v: u64| NonZero::new(v).expect("positive line width");
        records.push(fai::Record::new(
            chrom.name.as_str(),
            len,
            offset + header,
            nz(width as u64),
            nz(width as u64 + 1),
        ));
        let record = fasta::Record::new(
            fasta::record::Definition::new(chrom.name.as_str(), None),
            fasta::record::Sequence::from(chrom.seq.clone()),
        );
        writer.write_record(&record).file_ctx(path)?;
        offset += header + len + len.div_ceil(width as u64);
    }
    let mut inner = writer.into_inner();
    inner.flush().file_ctx(path)?;
    let written = inner.get_ref().metadata().file_ctx(path)?.len();
    if written != offset {
        return Err(InputError::new(path, format!("wrote {written} bytes but the index expects {offset}")));
    }
    let fai_path = path.with_extension("fa.fai");
    let mut fai_writer = fai::io::Writer::new(BufWriter::new(File::create(&fai_path).file_ctx(&fai_path)?));
    fai_writer.write_index(&fai::Index::from(records)).file_ctx(&fai_path)?;
    fai_writer.get_mut().flush().file_ctx(&fai_path)
}
