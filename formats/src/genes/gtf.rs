//! GTF (GENCODE, Ensembl, UCSC-style) gene/transcript/exon rows, parsed with noodles-gtf's lazy line
//! reader so every error can name its line. Other feature types (CDS, UTR, codons) are skipped unread.
//! [`GtfRow`] writes rows back in the same 1-based, inclusive convention.

use std::io::Write;
use std::path::Path;

use noodles::gff::feature::record::Strand as GffStrand;
use noodles::gtf;

use crate::chrom::normalise;
use crate::error::{InputError, Result};
use crate::genes::{FeatureKind, FeatureRow, Strand, GENE_TYPE_KEYS, TRANSCRIPT_TYPE_KEYS};
use crate::text::open_text;

/// Reads the gene, transcript and exon rows of a GTF file (gzip allowed).
pub(crate) fn read_rows(path: &Path) -> Result<Vec<FeatureRow>> {
    let mut reader = gtf::io::Reader::new(open_text(path)?);
    let mut line = gtf::Line::default();
    let (mut rows, mut line_no) = (Vec::new(), 0usize);
    loop {
        let n = reader
            .read_line(&mut line)
            .map_err(|e| InputError::line(path, line_no + 1, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let bytes: &[u8] = line.as_ref();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Some(record) = line.as_record() else { continue };
        let columns = bytes.split(|&b| b == b'\t').count();
        if columns < 9 {
            return Err(InputError::line(path, line_no, format!("expected 9 tab-separated columns, found {columns}")));
        }
        let record = record.map_err(|e| InputError::line(path, line_no, format!("malformed GTF row: {e}")))?;
        if let Some(row) = parse_record(&record, line_no).map_err(|m| InputError::line(path, line_no, m))? {
            rows.push(row);
        }
    }
    Ok(rows)
}

fn kind_of(ty: &[u8]) -> Option<FeatureKind> {
    match ty {
        b"gene" => Some(FeatureKind::Gene),
        b"transcript" => Some(FeatureKind::Transcript),
        b"exon" => Some(FeatureKind::Exon),
        _ => None,
    }
}

/// A gene/transcript/exon row, or `None` for other feature types.
fn parse_record(record: &gtf::Record<'_>, line: usize) -> Result<Option<FeatureRow>, String> {
    let Some(kind) = kind_of(record.ty()) else { return Ok(None) };
    let start = record.start().map_err(|e| format!("bad start: {e}"))?.get() as u64;
    let end = record.end().map_err(|e| format!("bad end: {e}"))?.get() as u64;
    if end < start {
        return Err(format!("end {end} is before start {start}"));
    }
    let strand = convert_strand(record.strand().map_err(|e| format!("bad strand: {e}"))?)?;
    let attrs = record.attributes().map_err(|e| format!("malformed attributes: {e}"))?;
    let get = |key: &str| -> Option<String> {
        let value = attrs.get(key.as_bytes())?.ok()?;
        value.iter().next().map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let gene_id = get("gene_id").ok_or_else(|| "missing gene_id attribute".to_string())?;
    Ok(Some(FeatureRow {
        line,
        kind,
        chrom: normalise(&String::from_utf8_lossy(record.reference_sequence_name())),
        start: start - 1,
        end,
        strand,
        gene_id,
        gene_name: get("gene_name"),
        gene_type: GENE_TYPE_KEYS.iter().find_map(|k| get(k)),
        transcript_id: get("transcript_id"),
        transcript_type: TRANSCRIPT_TYPE_KEYS.iter().find_map(|k| get(k)),
    }))
}

/// Genes need a strand to have a TSS.
pub(crate) fn convert_strand(s: GffStrand) -> Result<Strand, String> {
    match s {
        GffStrand::Forward => Ok(Strand::Plus),
        GffStrand::Reverse => Ok(Strand::Minus),
        _ => Err("strand must be + or - for genes, transcripts and exons".to_string()),
    }
}

/// One GTF row to write, for the 0-based half-open `[start, end)`; `attributes` is the ninth column as
/// written (`gene_id "…"; …`).
#[derive(Debug, Clone, Copy)]
pub struct GtfRow<'a> {
    pub chrom: &'a str,
    pub source: &'a str,
    pub feature: &'a str,
    pub start: u64,
    pub end: u64,
    pub strand: Strand,
    pub attributes: &'a str,
}

impl GtfRow<'_> {
    /// Writes the row (1-based start, inclusive end; score and frame `.`).
    pub fn write_to(&self, w: &mut impl Write) -> std::io::Result<()> {
        let Self { chrom, source, feature, start, end, strand, attributes } = *self;
        writeln!(w, "{chrom}\t{source}\t{feature}\t{}\t{end}\t.\t{}\t.\t{attributes}", start + 1, strand.as_char())
    }
}
