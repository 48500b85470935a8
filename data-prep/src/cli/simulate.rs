//! `data-prep simulate --out DIR [--seed N]`: a small genome with planted regulatory elements.

use std::path::PathBuf;

use clap::Args;

use seq2exp_simulate::{simulate, SimConfig};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  data-prep simulate --out sim --seed 2222
  data-prep simulate --config sim.json --window 8000 --out sim8k --overwrite")]
pub struct SimulateArgs {
    /// Output directory (must not exist or be empty; written atomically).
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Genes per chromosome.
    #[arg(long)]
    pub genes_per_chrom: Option<usize>,
    /// Number of chromosomes (chr1.. then chrX last; 23 = chr1–22 + chrX, so every fold has genes).
    #[arg(long)]
    pub chroms: Option<usize>,
    /// Window the elements are placed in (TSS ± window/2); use the same --window for `build`.
    #[arg(long)]
    pub window: Option<u64>,
    /// Full configuration as JSON (flags above override it).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Replace an existing non-empty output directory.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: SimulateArgs) -> anyhow::Result<()> {
    let mut cfg: SimConfig = match &a.config {
        Some(p) => {
            serde_json::from_str(&std::fs::read_to_string(p)?).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => SimConfig::default(),
    };
    if let Some(s) = a.seed {
        cfg.seed = s;
    }
    if let Some(n) = a.genes_per_chrom {
        cfg.genes_per_chrom = n;
    }
    if let Some(n) = a.chroms {
        anyhow::ensure!((1..=23).contains(&n), "--chroms must be 1..=23");
        cfg.chromosomes =
            (1..=n.min(22)).map(|i| format!("chr{i}")).chain((n == 23).then(|| "chrX".to_string())).collect();
    }
    if let Some(w) = a.window {
        cfg.design_window = w;
        // Keep neighbouring genes' windows apart so each window holds one gene's elements.
        cfg.gene_spacing = cfg.gene_spacing.max(w + w / 4);
    }
    cfg.overwrite = a.overwrite;
    let summary = simulate(&cfg, &a.out)?;
    eprintln!("simulated {} genes on {} bp → {}", summary.n_genes, summary.genome_length, a.out.display());
    Ok(())
}
