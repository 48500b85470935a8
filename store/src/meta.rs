//! What a store says about itself: provenance, tracks, targets and the genes it holds.

use serde::{Deserialize, Serialize};

use crate::schema::{FEATURE_NAMES, SCHEMA_VERSION};

/// A per-base signal track stored in `/signals` (channel order = order here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Lower-case name used to select the track, e.g. `h3k27ac`, `dnase`.
    pub name: String,
    /// Unit of the stored values, e.g. "bigWig signal (fold change)"; values are stored raw, NaN → 0.
    pub unit: String,
    /// The file the values came from.
    pub source: String,
}

/// An input file recorded for provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceFile {
    /// What the file was used for: `fasta`, `genes`, `bigwig:dnase`, `hic`, `expression`, …
    pub role: String,
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// Store-wide metadata. Stored whole as JSON in the root attribute `meta_json`; the main fields are also
/// plain attributes so h5py users can read them directly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreMeta {
    pub schema_version: u32,
    pub window_length: u64,
    pub genome_build: String,
    pub tracks: Vec<Track>,
    /// Hi-C bin size in bp (`/hic` holds one value per bin; see `hic_bin_count`).
    pub hic_bin_size: u64,
    /// How `/hic` was computed, e.g. "cooler contacts.mcool::resolutions/5000, ABC power-law scaled, log10(x+1)".
    pub hic_description: String,
    /// Names of the columns of `/targets` (log10(x+1) of the expression table's value column).
    pub target_names: Vec<String>,
    pub feature_names: Vec<String>,
    pub sources: Vec<SourceFile>,
    /// The command line that made the store.
    pub command: String,
    /// `seq2exp-data-prep <version>`.
    pub created_by: String,
    /// Compression of `/dna` and `/signals`.
    pub compression: crate::Compression,
    /// Free-form notes (e.g. what could not be matched while building).
    #[serde(default)]
    pub notes: Vec<String>,
    /// `(chromosome, length)` of the genome the windows come from, in FASTA order (for genome-wide
    /// tracks such as the runtime's mask bigWig). Empty in stores written before it was recorded.
    #[serde(default)]
    pub chrom_sizes: Vec<(String, u64)>,
}

impl StoreMeta {
    /// Metadata with the current schema version and the standard feature names; callers fill the rest.
    pub fn new(window_length: u64, hic_bin_size: u64) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            window_length,
            genome_build: String::new(),
            tracks: Vec::new(),
            hic_bin_size,
            hic_description: String::new(),
            target_names: Vec::new(),
            feature_names: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
            sources: Vec::new(),
            command: String::new(),
            created_by: String::new(),
            compression: Default::default(),
            notes: Vec::new(),
            chrom_sizes: Vec::new(),
        }
    }

    pub fn track_index(&self, name: &str) -> Option<usize> {
        self.tracks.iter().position(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// The strand of a gene or transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Strand {
    /// `+`: the TSS is the feature's first (lowest) base.
    #[serde(rename = "+")]
    Plus,
    /// `-`: the TSS is the feature's last (highest) base.
    #[serde(rename = "-")]
    Minus,
}

impl Strand {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plus => "+",
            Self::Minus => "-",
        }
    }

    pub fn as_char(self) -> char {
        match self {
            Self::Plus => '+',
            Self::Minus => '-',
        }
    }

    /// `+` / `-`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "+" => Some(Self::Plus),
            "-" => Some(Self::Minus),
            _ => None,
        }
    }
}

impl std::fmt::Display for Strand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One gene of the store. `tss` is 0-based; the window is `[tss − L/2, tss + L/2)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneInfo {
    /// Gene id with any version suffix stripped (`ENSG00000141510`).
    pub id: String,
    pub name: String,
    /// Canonical chromosome name (`chr1`, `chrX`).
    pub chrom: String,
    pub tss: u64,
    pub strand: Strand,
}

impl GeneInfo {
    /// First base of the gene's window (may be negative near a chromosome start).
    pub fn window_start(&self, window: u64) -> i64 {
        self.tss as i64 - (window / 2) as i64
    }
}
