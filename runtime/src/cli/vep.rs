//! `runtime vep --model M.onnx --store S.h5 --vcf V.vcf[.gz] --out DIR [--fasta genome.fa] [--genes LIST]
//! [--shard k/n] [--batch B]`.

use std::path::PathBuf;

use clap::Args;

use crate::select::{GeneFilter, Shard};
use crate::vep::{run_vep, Flanks, VepOptions};
use crate::{LoadOptions, Model};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  runtime vep --model soft.onnx --store store.h5 --vcf gwas.vcf.gz --out vep
  runtime vep --model soft.onnx --store store.h5 --vcf indels.vcf --fasta hg38.fa --out vep --shard 2/8")]
pub struct VepArgs {
    /// Exported model (`trainer export`).
    #[arg(long)]
    pub model: PathBuf,
    /// Window store (`data-prep build`) the model reads.
    #[arg(long)]
    pub store: PathBuf,
    /// Variants: VCF, plain or bgzipped; multi-allelic records are split.
    #[arg(long)]
    pub vcf: PathBuf,
    /// Output directory; rerunning into it resumes the same job.
    #[arg(long)]
    pub out: PathBuf,
    /// Genome FASTA (indexed) the store was built from: deletions pull in bases from beyond the window.
    #[arg(long)]
    pub fasta: Option<PathBuf>,
    /// Gene ids or names: a file with one per line, or a comma-separated list.
    #[arg(long)]
    pub genes: Option<String>,
    /// Shard k/n of the selected genes (contiguous blocks; the n shards cover each gene once).
    #[arg(long)]
    pub shard: Option<Shard>,
    /// ALT windows per model call.
    #[arg(long, default_value_t = 4)]
    pub batch: usize,
    /// Threads for the model (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Count and skip alleles on chromosomes the store lacks (default: an error naming them).
    #[arg(long)]
    pub allow_missing_chroms: bool,
    #[arg(long, default_value_t = 0.5)]
    pub element_threshold: f32,
    #[arg(long, default_value_t = 50)]
    pub element_min_length: usize,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: VepArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.batch >= 1, "--batch must be ≥ 1");
    let filter = match &a.genes {
        Some(list) => GeneFilter::list(list)?,
        None => GeneFilter::All,
    };
    let model = Model::load(&a.model, &LoadOptions { threads: a.threads, workers: Some(1) })?;
    let genome = a.fasta.as_deref().map(FastaFlanks::open).transpose()?;
    let opts = VepOptions {
        store: a.store,
        vcf: a.vcf,
        out: a.out,
        fasta: a.fasta.clone(),
        filter,
        shard: a.shard,
        batch: a.batch,
        allow_missing_chroms: a.allow_missing_chroms,
        element_threshold: a.element_threshold,
        element_min_length: a.element_min_length,
        progress: !a.quiet,
    };
    let s = run_vep(&model, &opts, genome.as_ref().map(|g| g as &dyn Flanks))?;
    println!(
        "scored {} variant–gene pairs ({} alleles, {} genes) in {:.1} s → {}",
        s.pairs,
        s.alleles,
        s.genes,
        s.seconds,
        opts.out.join(crate::vep::TSV_NAME).display()
    );
    for (reason, n) in &s.skipped {
        println!("  not scored: {n} × {reason} (see {})", opts.out.join(crate::vep::WARNINGS_NAME).display());
    }
    Ok(())
}

/// Bases beyond the stored windows from the genome FASTA (indexed as `data-prep build` does).
struct FastaFlanks(seq2exp_formats::Genome);

impl FastaFlanks {
    fn open(path: &std::path::Path) -> anyhow::Result<Self> {
        Ok(Self(seq2exp_formats::Genome::open(path)?))
    }
}

impl Flanks for FastaFlanks {
    fn codes(&self, chrom: &str, start: i64, end: i64) -> Result<Vec<u8>, String> {
        let mut bases = vec![b'N'; (end - start).max(0) as usize];
        self.0.fetch_window(chrom, start, end, &mut bases).map_err(|e| e.to_string())?;
        Ok(bases.into_iter().map(seq2exp_store::dna_code).collect())
    }
}
