//! `trainer export --run RUN_DIR --out MODEL.onnx [--flavour fast|portable] [--store S.h5] [--genes 4]`, or
//! `trainer export --run RUN_DIR --out weights.safetensors --format reference-state-dict`.

use std::path::PathBuf;

use clap::Args;
use seq2exp_runtime::Flavour;

use crate::export::{export, export_reference_state_dict, ExportOptions};

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A seq2exp ONNX model for the runtime.
    Onnx,
    /// The weights as a safetensors state dict named as the reference PyTorch model names them.
    ReferenceStateDict,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  trainer export --run runs/soft --out soft.onnx --store store.h5
  trainer export --run runs/soft --out soft-portable.onnx --flavour portable
  trainer export --run runs/soft --out soft.safetensors --format reference-state-dict")]
pub struct ExportArgs {
    /// Run directory written by `trainer train` (its best checkpoint, else its last).
    #[arg(long)]
    pub run: PathBuf,
    /// File to write: ONNX (replaced atomically, only if validation passes) or safetensors.
    #[arg(long)]
    pub out: PathBuf,
    /// onnx | reference-state-dict (the options below are for ONNX).
    #[arg(long, value_enum, default_value = "onnx")]
    pub format: Format,
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
    if a.format == Format::ReferenceStateDict {
        let r = export_reference_state_dict(&a.run, &a.out)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&r)?);
        } else {
            println!(
                "wrote {} ({} tensors, {} values, reference naming) from {}",
                r.out.display(),
                r.tensors,
                r.parameters,
                r.checkpoint.display()
            );
        }
        return Ok(());
    }
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
