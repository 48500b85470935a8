//! `trainer export --run RUN_DIR --out MODEL.onnx [--flavour fast|portable] [--store S.h5] [--genes 4]`.

use std::path::PathBuf;

use clap::Args;
use seq2exp_runtime::Flavour;

use crate::export::{export, ExportOptions};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Run directory written by `trainer train` (its best checkpoint, else its last).
    #[arg(long)]
    pub run: PathBuf,
    /// ONNX file to write (replaced atomically, only if validation passes).
    #[arg(long)]
    pub out: PathBuf,
    /// fast (custom scan op: needs the seq2exp runtime) | portable (stock ONNX, any onnxruntime).
    #[arg(long, default_value = "fast")]
    pub flavour: Flavour,
    /// Store whose first genes validate the export against the trainer (run configs record no store;
    /// without one, deterministic synthetic inputs are used).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Genes to validate on.
    #[arg(long, default_value_t = 4)]
    pub genes: usize,
    /// Largest |Δ| allowed between trainer and exported model, on expression and mask.
    #[arg(long, default_value_t = 1e-4)]
    pub tolerance: f32,
    /// Threads for the validation run (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: ExportArgs) -> anyhow::Result<()> {
    let opts = ExportOptions {
        run: a.run,
        out: a.out,
        flavour: a.flavour,
        store: a.store,
        genes: a.genes,
        tolerance: a.tolerance,
        threads: a.threads,
    };
    let r = export(&opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let p = &r.parity;
        println!(
            "wrote {} ({} flavour, {:.1} MB) from {}",
            r.out.display(),
            r.flavour,
            r.bytes as f64 / 1e6,
            r.checkpoint.display()
        );
        println!(
            "validated on {} ({} genes): max |Δ| expression {:.2e}, mask {}",
            p.source,
            p.genes,
            p.max_abs_expression,
            p.max_abs_mask.map_or("n/a".into(), |m| format!("{m:.2e}"))
        );
    }
    Ok(())
}
