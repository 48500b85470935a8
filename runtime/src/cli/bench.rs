//! `runtime bench [--model M.onnx | --preset paper] [--flavour fast|portable] [--mode soft|hard]
//! [--mask-ratio r] [--window L] [--threads T] [--workers W]`: genes/s and achieved GFLOP/s at the model's window,
//! beside this machine's SGEMM GFLOP/s. A hard model compacts, so its predictor's cost follows the mask
//! ratio: `--mask-ratio r` blacklists 1 − r of each gene (contiguous runs, never the promoter); the built
//! model's mask head selects every other base, so the ratio is exactly r.

use std::path::PathBuf;

use clap::Args;
use seq2exp_models::config::{inference_flops_at, MaskConfig, MaskMode, Preset, Seq2ExpConfig};

use crate::bench::{blacklist_for_ratio, random_weights, sgemm_gflops, time_batch, SyntheticBatch};
use crate::onnx::{build_model, to_bytes};
use crate::{Flavour, LoadOptions, Model};

#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:
  runtime bench --preset paper --workers 2
  runtime bench --model soft.onnx --batch 2 --repeats 3 --json
  runtime bench --preset paper --batch 4 --vep 20")]
pub struct BenchArgs {
    /// An exported model; without it, a model of --preset with random weights is built.
    #[arg(long)]
    pub model: Option<PathBuf>,
    #[arg(long, default_value = "paper")]
    pub preset: Preset,
    /// fast | portable (for the built model).
    #[arg(long, default_value = "fast")]
    pub flavour: String,
    /// soft | hard (for the built model).
    #[arg(long, default_value = "soft")]
    pub mode: String,
    /// Hard models only: the fraction of bases selected (the rest blacklisted), in (0, 1].
    #[arg(long)]
    pub mask_ratio: Option<f64>,
    /// Window of the built model (default: the preset's).
    #[arg(long)]
    pub window: Option<usize>,
    /// Threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Sessions predicting at once, each on threads / workers threads (`runtime predict --workers`).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Timed batches after one warm-up batch.
    #[arg(long, default_value_t = 1)]
    pub repeats: usize,
    /// Also report `runtime vep`'s variant–gene pairs/s with this many alleles per gene: one REF window
    /// (batch 1) plus the alleles' ALT windows in batches of --batch, each timed.
    #[arg(long, value_name = "ALLELES_PER_GENE")]
    pub vep: Option<usize>,
    /// Size of the SGEMM reference (n × n by n × n).
    #[arg(long, default_value_t = 2048)]
    pub sgemm: usize,
    #[arg(long)]
    pub json: bool,
}

/// The model to time: the given file, or a random-weights one written to a temporary file.
fn model_file(a: &BenchArgs) -> anyhow::Result<(PathBuf, Option<Cleanup>)> {
    if let Some(m) = &a.model {
        return Ok((m.clone(), None));
    }
    let flavour = match a.flavour.as_str() {
        "fast" => Flavour::Fast,
        "portable" => Flavour::Portable,
        other => anyhow::bail!("unknown --flavour '{other}' (fast, portable)"),
    };
    let mut cfg = Seq2ExpConfig::preset(a.preset);
    let hw = cfg.mask.promoter_half_width;
    cfg.mask = match a.mode.as_str() {
        "soft" => MaskConfig { promoter_half_width: hw, ..MaskConfig::soft() },
        "hard" => MaskConfig { promoter_half_width: hw, ..MaskConfig::hard() },
        other => anyhow::bail!("unknown --mode '{other}' (soft, hard)"),
    };
    if let Some(w) = a.window {
        cfg.window = w;
        cfg.head.pool_width = cfg.head.pool_width.min(w / 2);
        cfg.mask.promoter_half_width = cfg.mask.promoter_half_width.min(w / 4);
    }
    cfg.validate()?;
    let path = std::env::temp_dir().join(format!("seq2exp-bench-{}-{}-{}.onnx", a.mode, a.flavour, std::process::id()));
    std::fs::write(&path, to_bytes(&build_model(&cfg, &random_weights(&cfg, 1), flavour, &[])?)?)?;
    Ok((path.clone(), Some(Cleanup(path))))
}

/// Deletes the built model file when dropped.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The timed genes: synthetic, with a blacklist leaving `--mask-ratio` of each gene selectable.
fn inputs(a: &BenchArgs, cfg: &Seq2ExpConfig) -> anyhow::Result<SyntheticBatch> {
    let mut b = SyntheticBatch::new(a.batch, cfg.window, cfg.signals.len(), cfg.head.n_features);
    if let Some(r) = a.mask_ratio {
        if cfg.mask.mode != MaskMode::Hard {
            anyhow::bail!("--mask-ratio needs a hard model (--mode hard)");
        }
        if !(r > 0.0 && r <= 1.0) {
            anyhow::bail!("--mask-ratio must be in (0, 1], got {r}");
        }
        b.blacklist = Some(blacklist_for_ratio(cfg.window, cfg.mask.promoter_half_width, r, 7).repeat(a.batch));
    }
    Ok(b)
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    let threads = a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (path, _guard) = model_file(&a)?;
    let model = Model::load(&path, &LoadOptions { threads: Some(threads), workers: Some(a.workers) })?;
    let info = model.info();
    let cfg = info.config.clone();
    let timing = time_batch(&model, &inputs(&a, &cfg)?, a.repeats)?;
    let secs = timing.seconds_per_gene;
    // Only a hard mask has a ratio of selected bases (a soft one weights every base).
    let ratio = timing.mask_ratio.filter(|_| cfg.mask.mode == MaskMode::Hard);
    let flops = inference_flops_at(&cfg, ratio);
    let sgemm = sgemm_gflops(a.sgemm, threads)?;
    let achieved = flops.total() / secs / 1e9;
    // vep: REF once per gene (a batch of one), then the ALT windows at --batch.
    let vep_pairs_per_s = match a.vep {
        Some(n) => {
            anyhow::ensure!(n >= 1, "--vep needs at least 1 allele per gene");
            let single = if a.batch == 1 {
                secs
            } else {
                let one = inputs(&BenchArgs { batch: 1, ..a.clone() }, &cfg)?;
                time_batch(&model, &one, a.repeats)?.seconds_per_gene
            };
            Some(n as f64 / (single + n as f64 * secs))
        }
        None => None,
    };
    let report = serde_json::json!({
        "flavour": info.flavour.to_string(), "window": info.window, "mask_mode": info.mask_mode, "threads": threads, "workers": a.workers,
        "batch": a.batch, "mask_ratio": ratio, "seconds_per_gene": secs, "genes_per_s": 1.0 / secs,
        "gflop_per_gene": flops.total() / 1e9, "gflop_matmul": flops.matmul / 1e9, "gflop_scan": flops.scan / 1e9,
        "achieved_gflops": achieved, "sgemm_gflops": sgemm, "fraction_of_sgemm": achieved / sgemm,
        "peak_rss_bytes": seq2exp_cli_util::peak_rss_bytes(), "vep_alleles_per_gene": a.vep,
        "vep_pairs_per_s": vep_pairs_per_s,
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} flavour, {} model, window {}{}, {threads} threads{}: {secs:.2} s/gene ({:.4} genes/s); {:.2} GFLOP/gene ({:.2} matmul, {:.2} scan) → {achieved:.1} GFLOP/s = {:.0}% of SGEMM ({sgemm:.1} GFLOP/s, n = {}); peak RSS {:.2} GB",
            info.flavour, info.mask_mode, info.window, ratio.map_or(String::new(), |r| format!(", mask ratio {r:.3}")), if a.workers > 1 { format!(" in {} workers", a.workers) } else { String::new() }, 1.0 / secs, flops.total() / 1e9, flops.matmul / 1e9, flops.scan / 1e9,
            100.0 * achieved / sgemm, a.sgemm, seq2exp_cli_util::peak_rss_bytes() as f64 / 1e9
        );
        if let (Some(n), Some(p)) = (a.vep, vep_pairs_per_s) {
            println!(
                "vep: {p:.3} variant–gene pairs/s with {n} alleles per gene (REF once, ALT in batches of {})",
                a.batch
            );
        }
    }
    Ok(())
}
