//! Every constant of the simulator, with its default. The config is written into `manifest.json`, so a
//! simulated genome can always be regenerated from its manifest.

use serde::{Deserialize, Serialize};

use seq2exp_formats::error::{InputError, Result};

/// Configuration of a planted-truth genome. Defaults give 23 chromosomes × 12 genes (276 genes, ~12 Mb).
///
/// Coordinates are 0-based; lengths in base pairs. Heights are bigWig values (f32, like real tracks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    // --- randomness -------------------------------------------------------------------------
    /// Master seed; every random stream (per chromosome and purpose) is derived from it.
    pub seed: u64,

    // --- genome layout ----------------------------------------------------------------------
    /// Chromosome names (UCSC spelling, used in FASTA, bigWig, cooler and BED files).
    pub chromosomes: Vec<String>,
    /// Genes per chromosome.
    pub genes_per_chrom: usize,
    /// Distance between consecutive TSSs before jitter; chromosome length = spacing × (genes + 1).
    pub gene_spacing: u64,
    /// Each TSS is moved by a uniform offset in ±this from its grid position.
    pub tss_jitter: u64,
    /// Design window: elements of a gene lie inside TSS ± window/2.
    pub design_window: u64,
    /// Promoter half-width: no element overlaps TSS ± this (the model forces this region on).
    pub promoter_half_width: u64,
    /// Gene body (5'-most transcript) length range.
    pub gene_length: (u64, u64),
    /// Exons per transcript range.
    pub exons_per_transcript: (usize, usize),
    /// Probability that a gene gets a second, shorter transcript starting downstream of the TSS.
    pub second_transcript_prob: f64,

    // --- gene roles -------------------------------------------------------------------------
    /// Fraction of genes labelled lncRNA (at least one); the builder must drop them.
    pub lncrna_fraction: f64,
    /// Fraction of genes written without a `gene` row in the GTF (at least one protein-coding gene).
    pub no_gene_row_fraction: f64,
    /// Fraction of protein-coding genes left out of expression.csv (at least two).
    pub missing_expression_fraction: f64,

    // --- planted elements -------------------------------------------------------------------
    /// Causal elements per gene: uniform integer in this inclusive range.
    pub causal_per_gene: (usize, usize),
    /// Open decoys per gene: accessible (DNase, H3K27ac) but without the motif.
    pub open_decoys_per_gene: usize,
    /// Motif decoys per gene: carry the motif but sit in closed chromatin (no DNase, no H3K27ac).
    pub motif_decoys_per_gene: usize,
    /// Element length.
    pub element_length: u64,
    /// Minimum distance between two elements.
    pub element_min_gap: u64,
    /// Motif length (the motif itself is drawn from the seed).
    pub motif_length: usize,
    /// Motif copies planted in each motif-carrying element.
    pub motif_copies: usize,
    /// Plant each motif copy in a random orientation (otherwise forward only). The scrubber and the
    /// decoy checks always look at both strands.
    pub motif_both_strands: bool,

    // --- sequence ---------------------------------------------------------------------------
    /// GC fraction of background sequence.
    pub gc: f64,
    /// GC fraction within ±500 bp of each TSS (CpG-island-like promoters).
    pub promoter_gc: f64,
    /// Mean number of soft-masked (lower-case) stretches per 10 kb.
    pub softmask_per_10kb: f64,
    /// Soft-masked stretch length range.
    pub softmask_length: (u64, u64),
    /// N runs per chromosome (one always starts the chromosome); placed away from design windows.
    pub n_runs_per_chrom: usize,
    /// N run length range.
    pub n_run_length: (u64, u64),
    /// FASTA line width.
    pub fasta_line_width: usize,

    // --- signals ----------------------------------------------------------------------------
    /// DNase plateau height of accessible elements: uniform in this range (the element's accessibility).
    pub dnase_height: (f32, f32),
    /// Promoter activity p (promoter DNase height): uniform in this range.
    pub promoter_activity: (f32, f32),
    /// Promoter DNase peak half-width around the TSS.
    pub promoter_peak_half_width: u64,
    /// Linear ramp at each edge of a DNase peak.
    pub peak_ramp: u64,
    /// Relative s.d. of the per-10-bp texture multiplied onto peaks (clipped to ±3 s.d.).
    pub peak_texture_sd: f32,
    /// Mean distance between low background DNase blips.
    pub dnase_background_spacing: u64,
    /// Maximum background DNase value (blips are uniform in [0.05, this]).
    pub dnase_background_max: f32,
    /// H3K27ac flank height = ratio × DNase height × LogNormal(0, `h3k27ac_height_sd`).
    pub h3k27ac_ratio: f32,
    /// Log-scale s.d. of the H3K27ac/DNase height ratio per element.
    pub h3k27ac_height_sd: f32,
    /// Extra H3K27ac multiplier on causal elements (1 = H3K27ac does not tell causal from open decoys).
    pub h3k27ac_causal_boost: f32,
    /// Width of each H3K27ac flank beside an accessible element.
    pub h3k27ac_flank: u64,
    /// Width of each H3K27ac flank beside a promoter peak.
    pub h3k27ac_promoter_flank: u64,
    /// Mean distance between background H3K27ac blips.
    pub h3k27ac_background_spacing: u64,
    /// Maximum background H3K27ac value.
    pub h3k27ac_background_max: f32,
    /// Signal values are rounded to multiples of this (so bigWig runs are realistic).
    pub signal_quantum: f32,
    /// Stretches per chromosome where zero signal is written explicitly (elsewhere zeros are omitted).
    pub explicit_zero_stretches: usize,
    /// Explicit-zero stretch length range.
    pub explicit_zero_length: (u64, u64),

    // --- peak calls -------------------------------------------------------------------------
    /// Accessible elements with DNase height below this are "weak" and may be missed by the caller.
    pub peak_call_weak_height: f32,
    /// Probability that a weak accessible element is missed in dnase_peaks.narrowPeak.
    pub peak_call_miss_prob: f64,
    /// Probability that a background blip is (wrongly) called as a peak.
    pub peak_call_noise_prob: f64,

    // --- blacklist --------------------------------------------------------------------------
    /// Blacklisted regions per chromosome, placed away from design windows.
    pub blacklist_per_chrom: usize,
    /// Blacklist region length range.
    pub blacklist_length: (u64, u64),

    // --- Hi-C -------------------------------------------------------------------------------
    /// Finest Hi-C bin size (the .mcool also gets every multiple in `hic_coarser`).
    pub hic_bin_size: u64,
    /// Coarser resolutions written (each a multiple of `hic_bin_size`).
    pub hic_coarser: Vec<u64>,
    /// Power-law exponent: expected contact ∝ (|Δbin| + 1)^−γ.
    pub hic_gamma: f64,
    /// Expected raw count on the diagonal (sequencing depth).
    pub hic_depth: f64,
    /// Only pixels within this distance are written (intra-chromosomal only).
    pub hic_band: u64,
    /// Log-scale s.d. of the multiplicative per-pixel noise before Poisson sampling.
    pub hic_noise_sd: f64,
    /// Log-scale s.d. of per-bin visibility biases; 0 writes raw = balanced counts and weights of one.
    /// With > 0, raw counts carry the biases and `bins/weight` = 1/bias undoes them.
    pub hic_bias_sd: f64,
    /// Probability that an element loops to its own gene's TSS (contact × `loop_boost`).
    pub loop_prob: f64,
    /// Contact multiplier of a loop.
    pub loop_boost: f64,
    /// Write `bins/chrom` as an HDF5 enum (like cooler ≥ 0.7) instead of plain int32.
    pub cooler_chrom_enum: bool,
    /// `genome-assembly` attribute of the cooler.
    pub assembly: String,

    // --- expression model -------------------------------------------------------------------
    /// Intercept b0 of y = log10(CAGE + 1).
    pub b0: f64,
    /// Promoter coefficient a (y gains a × promoter activity).
    pub promoter_coef: f64,
    /// Causal coefficient β: an element adds β × height × strength × contact ratio.
    pub causal_coef: f64,
    /// Per-element random strength: uniform in this range.
    pub strength: (f64, f64),
    /// Causal elements further than this from a TSS do not act on that gene.
    pub effect_range: u64,
    /// Feature weights w, in the order of the 8 feature columns.
    pub feature_weights: [f64; 8],
    /// Noise s.d. σ of y.
    pub noise_sd: f64,
    /// Extra noise s.d. of the second (GM12878) expression column, which has no tracks.
    pub second_column_noise_sd: f64,

    // --- file naming ------------------------------------------------------------------------
    /// Write bare chromosome names (`1`, `X`) in the GTF, to exercise name normalisation.
    pub gtf_bare_chrom_names: bool,
    /// Replace an existing non-empty output directory (not part of the model; not serialised).
    #[serde(skip_serializing)]
    pub overwrite: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        let mut chromosomes: Vec<String> = (1..=22).map(|i| format!("chr{i}")).collect();
        chromosomes.push("chrX".into());
        Self {
            seed: 2222,
            chromosomes,
            genes_per_chrom: 12,
            gene_spacing: 40_000,
            tss_jitter: 2_000,
            design_window: 20_000,
            promoter_half_width: 1_000,
            gene_length: (3_000, 15_000),
            exons_per_transcript: (2, 6),
            second_transcript_prob: 0.4,
            lncrna_fraction: 0.08,
            no_gene_row_fraction: 0.05,
            missing_expression_fraction: 0.02,
            causal_per_gene: (1, 3),
            open_decoys_per_gene: 2,
            motif_decoys_per_gene: 2,
            element_length: 300,
            element_min_gap: 300,
            motif_length: 12,
            motif_copies: 3,
            motif_both_strands: true,
            gc: 0.41,
            promoter_gc: 0.62,
            softmask_per_10kb: 2.0,
            softmask_length: (100, 1_000),
            n_runs_per_chrom: 3,
            n_run_length: (100, 2_000),
            fasta_line_width: 60,
            dnase_height: (1.5, 8.0),
            promoter_activity: (1.0, 6.0),
            promoter_peak_half_width: 150,
            peak_ramp: 30,
            peak_texture_sd: 0.08,
            dnase_background_spacing: 2_000,
            dnase_background_max: 0.5,
            h3k27ac_ratio: 0.8,
            h3k27ac_height_sd: 0.3,
            h3k27ac_causal_boost: 1.0,
            h3k27ac_flank: 800,
            h3k27ac_promoter_flank: 1_200,
            h3k27ac_background_spacing: 5_000,
            h3k27ac_background_max: 0.3,
            signal_quantum: 0.01,
            explicit_zero_stretches: 3,
            explicit_zero_length: (1_000, 5_000),
            peak_call_weak_height: 2.5,
            peak_call_miss_prob: 0.6,
            peak_call_noise_prob: 0.02,
            blacklist_per_chrom: 1,
            blacklist_length: (500, 3_000),
            hic_bin_size: 5_000,
            hic_coarser: vec![10_000],
            hic_gamma: 0.87,
            hic_depth: 200.0,
            hic_band: 2_000_000,
            hic_noise_sd: 0.2,
            hic_bias_sd: 0.0,
            loop_prob: 0.3,
            loop_boost: 2.5,
            cooler_chrom_enum: true,
            assembly: "seq2exp-sim".into(),
            b0: 0.9,
            promoter_coef: 0.08,
            causal_coef: 0.08,
            strength: (0.8, 1.2),
            effect_range: 10_000,
            feature_weights: [-0.05, 0.04, 0.03, -0.08, 0.0, 0.4, -0.3, 0.1],
            noise_sd: 0.1,
            second_column_noise_sd: 0.3,
            gtf_bare_chrom_names: true,
            overwrite: false,
        }
    }
}

impl SimConfig {
    /// A small, fast configuration for tests: 3 chromosomes × 4 genes, partial last Hi-C bins.
    pub fn small(seed: u64) -> Self {
        Self {
            seed,
            chromosomes: vec!["chr1".into(), "chr2".into(), "chrX".into()],
            genes_per_chrom: 4,
            gene_spacing: 41_234,
            ..Self::default()
        }
    }

    /// Length of every chromosome.
    pub fn chrom_length(&self) -> u64 {
        self.gene_spacing * (self.genes_per_chrom as u64 + 1)
    }

    /// Total number of genes.
    pub fn n_genes(&self) -> usize {
        self.chromosomes.len() * self.genes_per_chrom
    }

    /// Checks that the layout constraints can be met, naming the offending field.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(InputError::new("simulation config", msg));
        if self.chromosomes.is_empty() || self.genes_per_chrom == 0 {
            return bad("need at least one chromosome and one gene per chromosome".into());
        }
        let mut names = self.chromosomes.clone();
        names.sort();
        names.dedup();
        if names.len() != self.chromosomes.len() {
            return bad("chromosome names must be unique".into());
        }
        if self.gene_spacing < self.design_window + 2 * self.tss_jitter + 4_000 {
            return bad(format!(
                "gene_spacing {} must be ≥ design_window + 2·tss_jitter + 4000 so design windows do not touch",
                self.gene_spacing
            ));
        }
        let elements = self.causal_per_gene.1 + self.open_decoys_per_gene + self.motif_decoys_per_gene;
        let room = self.design_window.saturating_sub(2 * self.promoter_half_width);
        if elements as u64 * (self.element_length + self.element_min_gap) * 2 > room {
            return bad(format!("{elements} elements of {} bp do not fit the design window", self.element_length));
        }
        if self.causal_per_gene.0 > self.causal_per_gene.1 || self.causal_per_gene.1 == 0 {
            return bad("causal_per_gene must be a non-empty range with at least one causal element".into());
        }
        if self.motif_length < 8 || (self.motif_copies * (self.motif_length + 2)) as u64 > self.element_length {
            return bad("motif_length must be ≥ 8 and motif_copies motifs must fit in one element".into());
        }
        if self.hic_bin_size == 0 || self.hic_coarser.iter().any(|&r| r == 0 || r % self.hic_bin_size != 0) {
            return bad("hic_coarser resolutions must be positive multiples of hic_bin_size".into());
        }
        if self.fasta_line_width == 0 || self.signal_quantum <= 0.0 {
            return bad("fasta_line_width and signal_quantum must be positive".into());
        }
        if self.genes_per_chrom > 1_000 || self.chromosomes.len() > 1_000 {
            return bad("at most 1000 chromosomes and 1000 genes per chromosome".into());
        }
        Ok(())
    }
}
