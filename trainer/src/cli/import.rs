//! `trainer import --weights W.safetensors --out RUN_DIR [--preset paper] [--config C.json] [--mode soft]
//! [--top 0.1]`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use seq2exp_models::config::{MaskMode, Preset, Seq2ExpConfig, TrainConfig};

use super::train::{compose, parse_mode};
use crate::checkpoint::read_weights;
use crate::export::SEQ2EXP_CONFIG;
use crate::import::import_reference_state_dict;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  trainer import --weights seq2exp_soft.safetensors --mode soft --out runs/imported
  trainer import --weights hard.safetensors --mode hard --config sizes.json --out runs/hard
A file written by `trainer export --format reference-state-dict` carries its configuration, so
--preset/--config/--mode are optional for it.")]
pub struct ImportArgs {
    /// Safetensors state dict in the reference model's naming (a PyTorch checkpoint's `state_dict`, saved
    /// with `safetensors.torch.save_file`, `model.` prefixes removed).
    #[arg(long)]
    pub weights: PathBuf,
    /// Run directory to create.
    #[arg(long)]
    pub out: PathBuf,
    /// Sizes: `paper` (the reference's) or `tiny`.
    #[arg(long)]
    pub preset: Option<Preset>,
    /// JSON with a `model` section (any subset of fields) merged into the preset.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// soft | hard | retrain | nomask | peakmask: which of the reference's models the file holds.
    #[arg(long)]
    pub mode: Option<String>,
    /// `retrain`: fraction of each window's bases the frozen mask keeps.
    #[arg(long, default_value_t = 0.1)]
    pub top: f64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The model configuration: the file's own (written by `trainer export`) unless sizes or a mode are
/// given; otherwise preset → mode → config file.
fn model_config(a: &ImportArgs) -> anyhow::Result<(Seq2ExpConfig, TrainConfig)> {
    let preset = a.preset.unwrap_or(Preset::Paper);
    if a.preset.is_none() && a.config.is_none() && a.mode.is_none() {
        let (_, meta) = read_weights(&a.weights)?;
        if let Some(json) = meta.get(SEQ2EXP_CONFIG) {
            let model = serde_json::from_str(json)
                .with_context(|| format!("{}: bad {SEQ2EXP_CONFIG} metadata", a.weights.display()))?;
            return Ok((model, TrainConfig::preset(preset)));
        }
        anyhow::bail!(
            "{}: the file does not say which model it holds; give --mode (and --preset/--config for sizes)",
            a.weights.display()
        );
    }
    let mode = a.mode.as_deref().map(parse_mode).transpose()?;
    let retrain = if mode == Some(MaskMode::Retrain) {
        // The reference builds the frozen mask model from the retrain model's own configuration.
        let (source, _) = compose(preset, Some(MaskMode::Soft), a.config.as_deref(), None)?;
        Some((source, a.top))
    } else {
        None
    };
    compose(preset, mode, a.config.as_deref(), retrain)
}

pub fn run(a: ImportArgs) -> anyhow::Result<()> {
    let (model, train) = model_config(&a)?;
    let r = import_reference_state_dict(&a.weights, model, train, &a.out)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "imported {} tensors from {} as a {} run → {}",
            r.tensors,
            a.weights.display(),
            r.mode,
            r.run.display()
        );
    }
    Ok(())
}
