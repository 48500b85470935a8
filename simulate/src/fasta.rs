//! genome.fa and genome.fa.fai.

use std::path::Path;

use seq2exp_formats::error::Result;
use seq2exp_formats::fasta::writer::write_indexed;

use super::genome::SimGenome;

/// Writes `path` and `path.fai`.
pub fn write(genome: &SimGenome, path: &Path) -> Result<()> {
    let records = genome.chroms.iter().map(|c| (c.name.as_str(), c.seq.as_slice()));
    write_indexed(path, genome.config.fasta_line_width, records)
}
