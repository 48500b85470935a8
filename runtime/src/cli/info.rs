//! `runtime info M.onnx`: what a model file expects and returns, and where it came from.

use std::path::PathBuf;

use clap::Args;

use crate::{LoadOptions, Model, TensorInfo};

/// `name: dtype [B, 200000, 3]` (`?` for a dynamic dimension).
fn tensor(t: &TensorInfo) -> String {
    let dims: Vec<String> = t.shape.iter().map(|d| d.map_or("?".to_string(), |v| v.to_string())).collect();
    format!("{}: {} [{}]", t.name, t.dtype, dims.join(", "))
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  runtime info soft.onnx
  runtime info soft.onnx --json")]
pub struct InfoArgs {
    /// Exported model.
    pub model: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: InfoArgs) -> anyhow::Result<()> {
    let model = Model::load(&a.model, &LoadOptions { threads: Some(1), ..Default::default() })?;
    let i = model.info();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "flavour": i.flavour.to_string(), "window": i.window, "signals": i.signal_names,
                "mask_mode": i.mask_mode, "inputs": i.inputs.iter().map(tensor).collect::<Vec<_>>(),
                "outputs": i.outputs.iter().map(tensor).collect::<Vec<_>>(), "metadata": i.metadata,
            }))?
        );
        return Ok(());
    }
    println!("{}", a.model.display());
    println!("  flavour   {}", i.flavour);
    println!("  window    {} bp", i.window);
    println!("  signals   {}", i.signal_names.join(", "));
    println!("  mask      {}", i.mask_mode);
    for t in &i.inputs {
        println!("  input     {}", tensor(t));
    }
    for t in &i.outputs {
        println!("  output    {}", tensor(t));
    }
    for (k, v) in &i.metadata {
        let v = if v.len() > 120 {
            format!("{}… ({} bytes)", &v[..v.char_indices().nth(117).map_or(v.len(), |(p, _)| p)], v.len())
        } else {
            v.clone()
        };
        println!("  {k:<28} {v}");
    }
    Ok(())
}
