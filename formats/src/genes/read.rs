//! Which reader a gene annotation file needs, chosen by its extension.

use std::path::Path;

use super::assemble::{assemble_genes, assemble_transcripts};
use super::{GeneOptions, GeneSet, TranscriptRecord};
use crate::error::{InputError, Result};
use crate::text::base_name_lower;

/// The annotation formats [`read_genes`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GeneFormat {
    Gtf,
    Gff3,
    Table,
}

fn detect_format(path: &Path) -> Result<GeneFormat> {
    let name = base_name_lower(path);
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "gtf" => Ok(GeneFormat::Gtf),
        "gff3" | "gff" => Ok(GeneFormat::Gff3),
        "tsv" | "txt" | "bed" | "csv" => Ok(GeneFormat::Table),
        _ => Err(InputError::new(
            path,
            "unknown gene annotation format: expected .gtf, .gff3/.gff, or a \
             .tsv/.txt/.bed/.csv gene table (optionally .gz)",
        )),
    }
}

/// Reads genes and their TSSs, auto-detecting the format by extension (see the module docs).
pub fn read_genes(path: impl AsRef<Path>, options: &GeneOptions) -> Result<GeneSet> {
    let path = path.as_ref();
    match detect_format(path)? {
        GeneFormat::Gtf => assemble_genes(path, &super::gtf::read_rows(path)?, options),
        GeneFormat::Gff3 => assemble_genes(path, &super::gff3::read_rows(path)?, options),
        GeneFormat::Table => super::gene_table::read_gene_table(path, options),
    }
}

/// Reads every transcript's TSS from a GTF or GFF3 file (all types, no filter), in file order. A
/// transcript without a transcript row takes its TSS from its exons.
pub fn read_transcripts(path: impl AsRef<Path>) -> Result<Vec<TranscriptRecord>> {
    let path = path.as_ref();
    let rows = match detect_format(path)? {
        GeneFormat::Gtf => super::gtf::read_rows(path)?,
        GeneFormat::Gff3 => super::gff3::read_rows(path)?,
        GeneFormat::Table => return Err(InputError::new(path, "gene tables have no transcripts; use a GTF or GFF3")),
    };
    assemble_transcripts(path, &rows)
}
