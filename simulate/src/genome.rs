//! The in-memory planted-truth genome. Writers only format what is here, and tests compare files
//! against it, so every planted quantity is kept. The generation steps fill it; this module depends on
//! none of them.

use serde::Serialize;

use super::config::SimConfig;

/// Names of the 8 feature columns of features.csv, in order (EPInformer's half-life features): the
/// store schema's feature names without the computed promoter activity.
pub const FEATURE_NAMES: [&str; 8] = {
    let all = seq2exp_store::FEATURE_NAMES;
    [all[0], all[1], all[2], all[3], all[4], all[5], all[6], all[7]]
};

/// Kind of a planted element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    /// Accessible and carries the motif: drives expression.
    Causal,
    /// Accessible (DNase, H3K27ac) but without the motif: no effect.
    OpenDecoy,
    /// Carries the motif in closed chromatin: no effect.
    MotifDecoy,
}

impl ElementKind {
    /// Label used in elements.bed (`GENE:label`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Causal => "causal",
            Self::OpenDecoy => "open_decoy",
            Self::MotifDecoy => "motif_decoy",
        }
    }
    /// Has a DNase peak and H3K27ac flanks.
    pub fn accessible(self) -> bool {
        !matches!(self, Self::MotifDecoy)
    }
    /// Carries planted motif copies.
    pub fn has_motif(self) -> bool {
        !matches!(self, Self::OpenDecoy)
    }
}

/// One planted motif copy: its first base and whether the reverse complement was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MotifSite {
    /// 0-based first base on the chromosome.
    pub pos: u64,
    /// The reverse complement was written.
    pub reverse: bool,
}

/// A planted element, [start, end) on chromosome index `chrom`.
#[derive(Debug, Clone)]
pub struct Element {
    pub chrom: usize,
    pub start: u64,
    pub end: u64,
    pub kind: ElementKind,
    /// Global index of the gene whose design window holds the element.
    pub gene: usize,
    /// Planted DNase plateau height (0 for motif decoys): the element's accessibility.
    pub dnase_height: f32,
    /// Planted H3K27ac flank height (0 for motif decoys).
    pub h3k27ac_height: f32,
    /// Random per-element strength (causal only; 0 for decoys).
    pub strength: f64,
    pub motif_sites: Vec<MotifSite>,
    /// The element's Hi-C bin loops to its gene's TSS bin (contact × loop_boost).
    pub looped: bool,
}

impl Element {
    /// Midpoint, used for the element's Hi-C bin.
    pub fn mid(&self) -> u64 {
        (self.start + self.end) / 2
    }
}

pub use seq2exp_formats::Strand;

/// Gene biotype written as `gene_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneType {
    /// `protein_coding`: kept by the builder.
    ProteinCoding,
    /// `lncRNA`: must be filtered out by the builder.
    LncRna,
}

impl GeneType {
    /// The `gene_type` attribute value.
    pub fn label(self) -> &'static str {
        match self {
            Self::ProteinCoding => "protein_coding",
            Self::LncRna => "lncRNA",
        }
    }
}

/// A transcript, [start, end) with exons ascending by position (0-based, half-open).
#[derive(Debug, Clone)]
pub struct Transcript {
    pub id: String,
    pub start: u64,
    pub end: u64,
    pub exons: Vec<(u64, u64)>,
}

/// The terms of y = log10(CAGE + 1) for one gene (see the module docs of `simulate`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExpressionTerms {
    pub promoter: f64,
    pub causal: f64,
    pub features: f64,
    pub noise: f64,
    /// b0 + promoter + causal + features + noise.
    pub y: f64,
    /// Raw CAGE = max(10^y − 1, 0), rounded to 3 decimals as written.
    pub cage: f64,
    /// The second (GM12878) column: y + extra noise, and its CAGE.
    pub y_second: f64,
    pub cage_second: f64,
}

/// A gene. `tss` is the 0-based TSS base: GTF start − 1 on `+`, GTF end − 1 on `−`.
#[derive(Debug, Clone)]
pub struct Gene {
    pub index: usize,
    /// Versioned id, e.g. `ENSGSIM00000000001.4`.
    pub id: String,
    pub name: String,
    pub chrom: usize,
    pub tss: u64,
    pub strand: Strand,
    pub gene_type: GeneType,
    /// False: the GTF has only transcript/exon rows for this gene.
    pub has_gene_row: bool,
    /// False: left out of expression.csv.
    pub in_expression: bool,
    /// The 5'-most transcript comes first; its TSS is the gene's.
    pub transcripts: Vec<Transcript>,
    /// Promoter activity p = promoter DNase height.
    pub promoter_activity: f32,
    /// Height of the promoter's H3K27ac flanks.
    pub promoter_h3k27ac: f32,
    /// The 8 features, in the order of [`FEATURE_NAMES`].
    pub features: [f64; 8],
    /// Every term of y.
    pub expr: ExpressionTerms,
}

impl Gene {
    /// The id without its version suffix (as in expression.csv and the BED name columns).
    pub fn stripped_id(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }
    /// Gene extent [start, end): the union of its transcripts.
    pub fn extent(&self) -> (u64, u64) {
        let start = self.transcripts.iter().map(|t| t.start).min().unwrap_or(self.tss);
        let end = self.transcripts.iter().map(|t| t.end).max().unwrap_or(self.tss + 1);
        (start, end)
    }
}

/// A run of constant signal [start, end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    pub start: u64,
    pub end: u64,
    pub value: f32,
}

/// A signal track as sorted, non-overlapping runs. Bases without a run have no data (read as 0).
#[derive(Debug, Clone, Default)]
pub struct SignalRuns {
    pub runs: Vec<Run>,
}

impl SignalRuns {
    /// Per-base values over [start, end), 0 where there is no run.
    pub fn values(&self, start: u64, end: u64) -> Vec<f32> {
        let mut out = vec![0.0f32; (end - start) as usize];
        let first = self.runs.partition_point(|r| r.end <= start);
        for r in self.runs[first..].iter().take_while(|r| r.start < end) {
            for p in r.start.max(start)..r.end.min(end) {
                out[(p - start) as usize] = r.value;
            }
        }
        out
    }
}

/// Where a called DNase peak came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeakSource {
    /// An accessible planted element (causal or open decoy).
    Element,
    /// A promoter (TSS ± 150 bp).
    Promoter,
    /// A background blip wrongly called (false positive).
    Noise,
}

/// A called DNase peak for dnase_peaks.narrowPeak.
#[derive(Debug, Clone)]
pub struct Peak {
    pub start: u64,
    pub end: u64,
    pub signal: f32,
    pub source: PeakSource,
}

/// One Hi-C pixel at the finest resolution, bins local to the chromosome, bin1 ≤ bin2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pixel {
    /// Row bin, local to the chromosome.
    pub bin1: u32,
    /// Column bin, ≥ bin1.
    pub bin2: u32,
    /// Raw count (> 0).
    pub count: i32,
}

/// A chromosome with its sequence, tracks, peaks, masks and Hi-C counts.
#[derive(Debug, Clone)]
pub struct Chromosome {
    pub name: String,
    pub length: u64,
    /// Bases A/C/G/T/N, lower case where soft-masked.
    pub seq: Vec<u8>,
    pub dnase: SignalRuns,
    pub h3k27ac: SignalRuns,
    pub peaks: Vec<Peak>,
    pub blacklist: Vec<(u64, u64)>,
    pub n_runs: Vec<(u64, u64)>,
    /// Stretches where zero signal is written explicitly.
    pub explicit_zero: Vec<(u64, u64)>,
    /// Looped (bin1, bin2) pairs, bin1 < bin2, at the finest resolution.
    pub loops: Vec<(u32, u32)>,
    /// Per-bin visibility bias multiplied into raw counts (1 when `hic_bias_sd` = 0).
    pub hic_bias: Vec<f64>,
    pub pixels: Vec<Pixel>,
}

/// The effect of one causal element on one gene: β × height × strength × contact ratio.
#[derive(Debug, Clone, Copy)]
pub struct Contribution {
    /// Global gene index.
    pub gene: usize,
    /// Index into `SimGenome::elements`.
    pub element: usize,
    /// Expected contact(bin(element), bin(TSS)) / hic_depth.
    pub contact: f64,
    pub value: f64,
}

/// Realised variance of y and of its terms across all genes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VarianceReport {
    pub n_genes: usize,
    pub mean_y: f64,
    pub min_y: f64,
    pub max_y: f64,
    pub var_y: f64,
    pub var_causal: f64,
    pub var_promoter: f64,
    pub var_features: f64,
    pub var_noise: f64,
    /// var(term) / var(y) for each term.
    pub fraction_causal: f64,
    pub fraction_promoter: f64,
    pub fraction_features: f64,
    pub fraction_noise: f64,
    /// Squared correlation of y with its noise-free part.
    pub r2_noise_free: f64,
}

/// The whole simulated genome.
#[derive(Debug, Clone)]
pub struct SimGenome {
    pub config: SimConfig,
    /// The motif (upper case, forward orientation).
    pub motif: Vec<u8>,
    pub chroms: Vec<Chromosome>,
    /// Genes, chromosome-major, ascending TSS.
    pub genes: Vec<Gene>,
    /// Elements, chromosome-major, ascending start.
    pub elements: Vec<Element>,
    pub contributions: Vec<Contribution>,
    pub variance: VarianceReport,
}
