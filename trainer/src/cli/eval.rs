//! `trainer eval --run RUN_DIR --store S.h5 [--split test] [--truth BED] [--json]`.

use std::path::PathBuf;

use clap::Args;
use seq2exp_store::Split;

use crate::eval::{evaluate, table, EvalOptions};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  trainer eval --run runs/soft --store store.h5 --split test
  trainer eval --run runs/soft --store store.h5 --truth sim/truth.bed --elements sim/elements.bed --json")]
pub struct EvalArgs {
    /// Run directory written by `trainer train`.
    #[arg(long)]
    pub run: PathBuf,
    #[arg(long)]
    pub store: PathBuf,
    /// train | valid | test.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Fold (default: the run's).
    #[arg(long)]
    pub fold: Option<usize>,
    /// BED of planted (true) elements: adds element-recovery AUPRC.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Peaks BED for the peak-mask AUPRC (default: the run's --peaks, if any).
    #[arg(long)]
    pub peaks: Option<PathBuf>,
    /// BED of all planted elements named `GENE:kind` (simulator's elements.bed): mean mask per kind.
    #[arg(long)]
    pub elements: Option<PathBuf>,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    #[arg(long, default_value = "auto")]
    pub device: String,
}

pub fn run(a: EvalArgs) -> anyhow::Result<()> {
    let opts = EvalOptions {
        run: a.run,
        store: a.store,
        split: a.split,
        fold: a.fold,
        truth: a.truth,
        peaks: a.peaks,
        elements: a.elements,
        device: super::device(&a.device)?,
    };
    let report = evaluate(&opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
    }
    Ok(())
}
