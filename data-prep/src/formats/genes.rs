//! Genes and their transcription start sites, from GTF ([`super::gtf`]), GFF3 ([`super::gff3`]) or a
//! BED/TSV gene table ([`super::gene_table`]), chosen by file extension.
//!
//! TSS convention (0-based): `+` strand → feature start, `−` strand → feature end − 1 (the last base).
//! A gene's TSS comes from its `gene` row; a gene without one (some GTFs have none) takes it from its
//! transcripts, or failing those its exons: the smallest start on `+`, the largest end on `−`.
//!
//! By default only protein-coding genes are kept (`gene_type` / `gene_biotype` / `biotype` =
//! `protein_coding`). A file that carries no type attribute at all keeps every gene, with a warning.
//! Ids are indexed without their version ([`strip_version`]); two genes with the same id are an error
//! naming both lines.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{InputError, Result};
use crate::formats::tables::strip_version;
use crate::formats::text::base_name_lower;

/// The strand of a gene or transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strand {
    Plus,
    Minus,
}

impl Strand {
    /// `+` / `-`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "+" => Some(Strand::Plus),
            "-" => Some(Strand::Minus),
            _ => None,
        }
    }

    pub fn as_char(self) -> char {
        match self {
            Strand::Plus => '+',
            Strand::Minus => '-',
        }
    }
}

/// One gene with its TSS.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneRecord {
    /// Id without version (`ENSG00000141510`): the key used to join tables.
    pub id: String,
    /// Id as written in the file (`ENSG00000141510.17`); for Ensembl GFF3, `gene_id.version`.
    pub id_versioned: String,
    /// Gene name (symbol), or the id when the file has none.
    pub name: String,
    /// Canonical chromosome name.
    pub chrom: String,
    /// 0-based TSS.
    pub tss: u64,
    pub strand: Strand,
    pub gene_type: Option<String>,
}

/// One transcript with its TSS (same convention as genes).
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptRecord {
    /// Transcript id as written (versioned when the file versions it).
    pub id: String,
    /// Its gene's id as written.
    pub gene_id: String,
    pub chrom: String,
    pub tss: u64,
    pub strand: Strand,
    pub transcript_type: Option<String>,
}

/// Options for [`read_genes`].
#[derive(Debug, Clone)]
pub struct GeneOptions {
    /// Keep only `protein_coding` genes (default `true`).
    pub protein_coding_only: bool,
    /// Gene tables only: the column holding the gene id (default: `Ensembl_ID`, `gene_id`, `ENSID` or
    /// `id` when present, else `name`).
    pub id_column: Option<String>,
}

impl Default for GeneOptions {
    fn default() -> Self {
        Self { protein_coding_only: true, id_column: None }
    }
}

/// Genes in file order, indexed by version-less id.
#[derive(Debug, Clone)]
pub struct GeneSet {
    source: PathBuf,
    genes: Vec<GeneRecord>,
    index: HashMap<String, usize>,
}

impl GeneSet {
    /// Builds a set; `lines[i]` is where `genes[i]` was read, for the duplicate-id error.
    pub(crate) fn new(source: &Path, genes: Vec<GeneRecord>, lines: &[usize]) -> Result<Self> {
        if genes.is_empty() {
            return Err(InputError::new(
                source,
                "no genes left (only protein-coding genes are kept unless \
                 `data-prep build --all-biotypes` is given; is it the right file?)",
            ));
        }
        let mut index = HashMap::with_capacity(genes.len());
        for (i, g) in genes.iter().enumerate() {
            if let Some(prev) = index.insert(g.id.clone(), i) {
                let (a, b) = (&genes[prev], g);
                return Err(InputError::at(
                    source,
                    format!("gene {}", g.id),
                    format!(
                        "duplicate gene id on lines {} and {}: {} ({}) and {} ({})",
                        lines[prev], lines[i], a.id_versioned, a.name, b.id_versioned, b.name
                    ),
                ));
            }
        }
        Ok(Self { source: source.to_path_buf(), genes, index })
    }

    /// The file the genes came from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    pub fn len(&self) -> usize {
        self.genes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.genes.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, GeneRecord> {
        self.genes.iter()
    }

    pub fn as_slice(&self) -> &[GeneRecord] {
        &self.genes
    }

    pub fn into_vec(self) -> Vec<GeneRecord> {
        self.genes
    }

    /// Looks a gene up by id, with or without version.
    pub fn get(&self, id: &str) -> Option<&GeneRecord> {
        self.index.get(&strip_version(id)).map(|&i| &self.genes[i])
    }

    /// Chromosomes that genes sit on but the genome lacks (sorted): the builder reports these.
    pub fn missing_chroms(&self, chrom_lengths: &[(String, u64)]) -> Vec<String> {
        let have: HashMap<&str, u64> = chrom_lengths.iter().map(|(c, l)| (c.as_str(), *l)).collect();
        let mut missing: Vec<String> =
            self.genes.iter().filter(|g| !have.contains_key(g.chrom.as_str())).map(|g| g.chrom.clone()).collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// Errors on the first gene whose TSS lies at or past the end of its chromosome (the annotation
    /// and the genome are probably different assemblies). Genes on chromosomes the genome lacks are
    /// skipped here; see [`GeneSet::missing_chroms`].
    pub fn check_in_genome(&self, chrom_lengths: &[(String, u64)]) -> Result<()> {
        let have: HashMap<&str, u64> = chrom_lengths.iter().map(|(c, l)| (c.as_str(), *l)).collect();
        for g in &self.genes {
            if let Some(&len) = have.get(g.chrom.as_str()) {
                if g.tss >= len {
                    return Err(InputError::at(
                        &self.source,
                        format!("gene {}", g.id),
                        format!(
                            "TSS {} is outside chromosome {} (length {len} in the genome); are the annotation and \
                         the genome the same assembly?",
                            g.tss, g.chrom
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

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

/// The level of an annotation row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeatureKind {
    Gene,
    Transcript,
    Exon,
}

/// One gene/transcript/exon row, format-independent. Coordinates 0-based half-open.
#[derive(Debug, Clone)]
pub(crate) struct FeatureRow {
    pub line: usize,
    pub kind: FeatureKind,
    pub chrom: String,
    pub start: u64,
    pub end: u64,
    pub strand: Strand,
    /// Gene id as written (versioned where the file versions it).
    pub gene_id: String,
    pub gene_name: Option<String>,
    pub gene_type: Option<String>,
    pub transcript_id: Option<String>,
    pub transcript_type: Option<String>,
}

/// TSS of a group of rows: min start on `+`, max end − 1 on `−`.
fn tss_of(rows: &[&FeatureRow]) -> u64 {
    match rows[0].strand {
        Strand::Plus => rows.iter().map(|r| r.start).min().unwrap_or(0),
        Strand::Minus => rows.iter().map(|r| r.end).max().unwrap_or(1).saturating_sub(1),
    }
}

/// Errors when rows of one gene/transcript disagree on chromosome or strand.
fn check_consistent(path: &Path, what: &str, rows: &[&FeatureRow]) -> Result<()> {
    let first = rows[0];
    if let Some(bad) = rows.iter().find(|r| r.chrom != first.chrom || r.strand != first.strand) {
        return Err(InputError::at(
            path,
            what.to_string(),
            format!(
                "rows disagree on chromosome/strand: line {} has {} {}, line {} has {} {}",
                first.line,
                first.chrom,
                first.strand.as_char(),
                bad.line,
                bad.chrom,
                bad.strand.as_char()
            ),
        ));
    }
    Ok(())
}

/// Rows grouped by a key, keeping first-appearance order.
fn group_by<'a>(
    rows: impl Iterator<Item = &'a FeatureRow>,
    key: impl Fn(&FeatureRow) -> Option<&str>,
) -> Vec<(String, Vec<&'a FeatureRow>)> {
    let mut order: Vec<(String, Vec<&FeatureRow>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let Some(k) = key(r) else { continue };
        let i = *at.entry(k.to_string()).or_insert_with(|| {
            order.push((k.to_string(), Vec::new()));
            order.len() - 1
        });
        order[i].1.push(r);
    }
    order
}

/// The rows that define a group's TSS: its top-level row (`top`), else the next level down.
fn defining_rows<'a>(
    path: &Path,
    what: &str,
    rows: &[&'a FeatureRow],
    top: FeatureKind,
) -> Result<Vec<&'a FeatureRow>> {
    let tops: Vec<&FeatureRow> = rows.iter().copied().filter(|r| r.kind == top).collect();
    if tops.len() > 1 {
        return Err(InputError::at(
            path,
            what.to_string(),
            format!(
                "duplicate {} rows on lines {} and {}",
                if top == FeatureKind::Gene { "gene" } else { "transcript" },
                tops[0].line,
                tops[1].line
            ),
        ));
    }
    if !tops.is_empty() {
        return Ok(tops);
    }
    let transcripts: Vec<&FeatureRow> = rows.iter().copied().filter(|r| r.kind == FeatureKind::Transcript).collect();
    if !transcripts.is_empty() {
        return Ok(transcripts);
    }
    Ok(rows.iter().copied().filter(|r| r.kind == FeatureKind::Exon).collect())
}

/// Turns gene/transcript/exon rows into genes (see the module docs for the rules).
pub(crate) fn assemble_genes(path: &Path, rows: &[FeatureRow], options: &GeneOptions) -> Result<GeneSet> {
    let typed = rows.iter().any(|r| r.gene_type.is_some());
    if options.protein_coding_only && !typed && !rows.is_empty() {
        tracing::warn!("{}: no gene_type/gene_biotype/biotype attribute anywhere; keeping all genes", path.display());
    }
    let (mut genes, mut lines) = (Vec::new(), Vec::new());
    for (gene_id, group) in group_by(rows.iter(), |r| Some(r.gene_id.as_str())) {
        let what = format!("gene {gene_id}");
        let defining = defining_rows(path, &what, &group, FeatureKind::Gene)?;
        if defining.is_empty() {
            continue;
        }
        check_consistent(path, &what, &defining)?;
        let gene_type = defining.iter().chain(group.iter()).find_map(|r| r.gene_type.clone());
        if options.protein_coding_only && typed && gene_type.as_deref() != Some("protein_coding") {
            continue;
        }
        let name = group.iter().find_map(|r| r.gene_name.clone()).unwrap_or_else(|| gene_id.clone());
        lines.push(defining[0].line);
        genes.push(GeneRecord {
            id: strip_version(&gene_id),
            id_versioned: gene_id,
            name,
            chrom: defining[0].chrom.clone(),
            tss: tss_of(&defining),
            strand: defining[0].strand,
            gene_type,
        });
    }
    GeneSet::new(path, genes, &lines)
}

/// Turns transcript/exon rows into transcripts.
pub(crate) fn assemble_transcripts(path: &Path, rows: &[FeatureRow]) -> Result<Vec<TranscriptRecord>> {
    let level = rows.iter().filter(|r| r.kind != FeatureKind::Gene);
    let mut out = Vec::new();
    for (tx_id, group) in group_by(level, |r| r.transcript_id.as_deref()) {
        let what = format!("transcript {tx_id}");
        let defining = defining_rows(path, &what, &group, FeatureKind::Transcript)?;
        check_consistent(path, &what, &defining)?;
        out.push(TranscriptRecord {
            id: tx_id,
            gene_id: defining[0].gene_id.clone(),
            chrom: defining[0].chrom.clone(),
            tss: tss_of(&defining),
            strand: defining[0].strand,
            transcript_type: group.iter().find_map(|r| r.transcript_type.clone()),
        });
    }
    if out.is_empty() {
        return Err(InputError::new(path, "no transcripts found"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        line: usize,
        kind: FeatureKind,
        start: u64,
        end: u64,
        strand: Strand,
        gene: &str,
        tx: Option<&str>,
    ) -> FeatureRow {
        FeatureRow {
            line,
            kind,
            chrom: "chr1".into(),
            start,
            end,
            strand,
            gene_id: gene.into(),
            gene_name: None,
            gene_type: Some("protein_coding".into()),
            transcript_id: tx.map(str::to_string),
            transcript_type: None,
        }
    }

    #[test]
    fn tss_from_transcripts_when_no_gene_row() {
        let rows = vec![
            row(1, FeatureKind::Transcript, 100, 200, Strand::Minus, "G1.1", Some("T1")),
            row(2, FeatureKind::Transcript, 120, 260, Strand::Minus, "G1.1", Some("T2")),
            row(3, FeatureKind::Exon, 50, 60, Strand::Plus, "G2.3", Some("T3")),
            row(4, FeatureKind::Exon, 40, 45, Strand::Plus, "G2.3", Some("T3")),
        ];
        let set = assemble_genes(Path::new("x.gtf"), &rows, &GeneOptions::default()).unwrap();
        assert_eq!(set.get("G1").unwrap().tss, 259);
        assert_eq!(set.get("G2.3").unwrap().tss, 40);
        assert_eq!(set.get("G2").unwrap().id_versioned, "G2.3");
    }

    #[test]
    fn duplicate_gene_rows_name_both_lines() {
        let rows = vec![
            row(7, FeatureKind::Gene, 100, 200, Strand::Plus, "G1.1", None),
            row(9, FeatureKind::Gene, 100, 200, Strand::Plus, "G1.2", None),
        ];
        let e = assemble_genes(Path::new("x.gtf"), &rows, &GeneOptions::default()).unwrap_err().to_string();
        assert!(e.contains("gene G1") && e.contains("lines 7 and 9"), "{e}");
    }

    #[test]
    fn strand_disagreement_is_an_error() {
        let rows = vec![
            row(1, FeatureKind::Transcript, 100, 200, Strand::Minus, "G1", Some("T1")),
            row(5, FeatureKind::Transcript, 100, 200, Strand::Plus, "G1", Some("T2")),
        ];
        let e = assemble_genes(Path::new("x.gtf"), &rows, &GeneOptions::default()).unwrap_err().to_string();
        assert!(e.contains("gene G1") && e.contains("line 1") && e.contains("line 5"), "{e}");
    }
}
