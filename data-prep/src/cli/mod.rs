//! One module per `data-prep` subcommand; the binary only parses and dispatches.

use clap::{Parser, Subcommand};

pub mod bench;
pub mod build;
pub mod inspect;
pub mod simulate;

#[derive(Debug, Parser)]
#[command(name = "data-prep", version, about = "Build, simulate and inspect seq2exp window stores")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Built once per process from argv; boxing the large `build` arguments would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a window store from FASTA, bigWigs, genes, Hi-C and tables.
    Build(build::BuildArgs),
    /// Write a small genome with planted regulatory elements, in real formats.
    Simulate(simulate::SimulateArgs),
    /// Print a store's schema, split counts, value ranges, or one gene's window.
    Inspect(inspect::InspectArgs),
    /// Measure store building speed and memory (genes/s, peak RSS) on simulated inputs, beside Python.
    Bench(bench::BenchArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build(a) => build::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Bench(a) => bench::run(a),
    }
}

pub use seq2exp_cli_util::{command_line, progress};

#[cfg(test)]
mod tests {
    #[test]
    fn every_subcommand_parses_and_its_examples_parse() {
        seq2exp_cli_util::assert_cli_and_examples::<super::Cli>();
    }
}
