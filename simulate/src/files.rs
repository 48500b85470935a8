//! The files a simulation writes and the summary it reports, shared by the writer loop and the manifest.

use std::collections::BTreeMap;

use serde::Serialize;

use super::genome::{GeneType, SimGenome};

/// What [`simulate`](super::simulate) produced.
#[derive(Debug, Clone, Serialize)]
pub struct SimSummary {
    pub n_genes: usize,
    pub n_protein_coding: usize,
    /// Element counts keyed by `causal`, `open_decoy`, `motif_decoy`.
    pub n_elements_by_type: BTreeMap<String, usize>,
    pub genome_length: u64,
    /// File names written in the output directory (manifest.json last).
    pub files: Vec<String>,
}

impl SimSummary {
    pub(crate) fn of(genome: &SimGenome, files: Vec<String>) -> Self {
        let mut by_type = BTreeMap::new();
        for e in &genome.elements {
            *by_type.entry(e.kind.label().to_string()).or_insert(0) += 1;
        }
        Self {
            n_genes: genome.genes.len(),
            n_protein_coding: genome.genes.iter().filter(|g| g.gene_type == GeneType::ProteinCoding).count(),
            n_elements_by_type: by_type,
            genome_length: genome.chroms.iter().map(|c| c.length).sum(),
            files,
        }
    }
}

/// One output file: its name and what it holds (for manifest.json).
pub struct FileSpec {
    pub name: &'static str,
    pub role: &'static str,
}

/// Every data file, in writing order (manifest.json comes after).
pub const FILES: [FileSpec; 14] = [
    FileSpec { name: "genome.fa", role: "genome sequence (chr1 naming, soft-masked, N runs)" },
    FileSpec { name: "genome.fa.fai", role: "FASTA index" },
    FileSpec { name: "dnase.bw", role: "DNase signal (bigWig)" },
    FileSpec { name: "h3k27ac.bw", role: "H3K27ac signal (bigWig)" },
    FileSpec { name: "genes.gtf", role: "gene annotation (bare chromosome names, versioned ids)" },
    FileSpec { name: "contacts.mcool", role: "Hi-C contacts, cooler v3 at /resolutions/{5000,10000}" },
    FileSpec { name: "expression.csv", role: "raw CAGE per gene (ENSID without version)" },
    FileSpec { name: "features.csv", role: "8 mRNA half-life features (gene_id with version)" },
    FileSpec { name: "truth.bed", role: "causal (gene, element) pairs and contributions" },
    FileSpec { name: "elements.bed", role: "all planted elements with their type" },
    FileSpec { name: "dnase_peaks.narrowPeak", role: "DNase peak calls for a peak-mask baseline" },
    FileSpec { name: "blacklist.bed", role: "blacklisted regions" },
    FileSpec { name: "truth_genes.tsv", role: "per-gene TSS and every term of the expression model" },
    FileSpec { name: "README.txt", role: "short description of the directory" },
];
