//! Genes and their transcription start sites, from GTF ([`gtf`]), GFF3 ([`gff3`]) or a BED/TSV gene
//! table ([`gene_table`]), chosen by file extension ([`read_genes`]). This module holds the types the
//! readers share; each child reads one format into them and none of them calls back up here.
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
use crate::tables::strip_version;

mod assemble;
pub mod gene_table;
pub mod gff3;
pub mod gtf;
mod read;

pub use read::{read_genes, read_transcripts};

/// Attribute keys that carry a gene's / transcript's biotype, in order of preference.
pub(crate) const GENE_TYPE_KEYS: [&str; 3] = ["gene_type", "gene_biotype", "biotype"];
pub(crate) const TRANSCRIPT_TYPE_KEYS: [&str; 2] = ["transcript_type", "transcript_biotype"];

/// The strand of a gene or transcript (the store records it per gene).
pub use seq2exp_store::Strand;

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
