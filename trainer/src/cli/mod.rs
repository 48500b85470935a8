//! One module per `trainer` subcommand; the binary only parses and dispatches.

use clap::{Parser, Subcommand};

pub mod bench;
pub mod eval;
pub mod export;
pub mod import;
pub mod train;

#[derive(Debug, Parser)]
#[command(name = "trainer", version, about = "Train and evaluate Seq2Exp models")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model on a window store (rerunning with the same --out resumes).
    Train(train::TrainArgs),
    /// Metrics of a trained run on a split; element recovery with a truth BED.
    Eval(eval::EvalArgs),
    /// Export a trained run to ONNX (validated against the trainer before it is written), or its weights
    /// as a state dict in the reference PyTorch model's naming.
    Export(export::ExportArgs),
    /// Turn a state dict in the reference PyTorch model's naming into a run directory.
    Import(import::ImportArgs),
    /// Training-step time and peak memory of a preset on synthetic batches (prints figures).
    Bench(bench::BenchArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(a) => train::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Export(a) => export::run(a),
        Command::Import(a) => import::run(a),
        Command::Bench(a) => bench::run(a),
    }
}

pub use seq2exp_cli_util::progress;

/// `cpu`, `cuda` or `auto` (CUDA when built with the `cuda` feature and a GPU is visible).
pub fn device(name: &str) -> anyhow::Result<tch::Device> {
    match name {
        "cpu" => Ok(tch::Device::Cpu),
        "cuda" if cfg!(feature = "cuda") => {
            anyhow::ensure!(tch::Cuda::is_available(), "--device cuda: no CUDA device is visible");
            Ok(tch::Device::Cuda(0))
        }
        "cuda" => anyhow::bail!("--device cuda: this trainer was built without the `cuda` feature"),
        "auto" if cfg!(feature = "cuda") && tch::Cuda::is_available() => Ok(tch::Device::Cuda(0)),
        "auto" => Ok(tch::Device::Cpu),
        other => anyhow::bail!("unknown --device '{other}' (cpu, cuda, auto)"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_subcommand_parses_and_its_examples_parse() {
        seq2exp_cli_util::assert_cli_and_examples::<super::Cli>();
    }
}
