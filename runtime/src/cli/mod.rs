//! One module per `runtime` subcommand; the binary only parses and dispatches.

use clap::{Parser, Subcommand};

pub mod bench;
pub mod eval;
pub mod eval_links;
pub mod info;
pub mod links;
pub mod merge;
pub mod predict;
pub mod vep;

#[derive(Debug, Parser)]
#[command(name = "runtime", version, about = "Score genes with an exported Seq2Exp model (ONNX Runtime, no libtorch)")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Predict expression (and masks) for the genes of a store; rerun the same command to resume.
    Predict(predict::PredictArgs),
    /// Metrics of a predictions file against the store's targets.
    Eval(eval::EvalArgs),
    /// Enhancer–gene link scores against a CRISPRi screen or planted truth (AUPRC, precision at 70% recall).
    EvalLinks(eval_links::EvalLinksArgs),
    /// Inputs, outputs, metadata and flavour of an exported model.
    Info(info::InfoArgs),
    /// Enhancer–gene links by in-silico deletion of candidate elements (ABC-shaped links.tsv).
    Links(links::LinksArgs),
    /// Combines the output directories of a sharded predict, vep or links job (`--shard k/n`) into what
    /// one unsharded run writes.
    Merge(merge::MergeArgs),
    /// Effect on expression of each VCF allele, for every gene whose window contains it.
    Vep(vep::VepArgs),
    /// genes/s and GFLOP/s of a model at its window, beside this machine's SGEMM (prints figures).
    Bench(bench::BenchArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    seq2exp_cli_util::init_logging();
    match cli.command {
        Command::Predict(a) => predict::run(a),
        Command::Eval(a) => eval::run(a),
        Command::EvalLinks(a) => eval_links::run(a),
        Command::Info(a) => info::run(a),
        Command::Vep(a) => vep::run(a),
        Command::Links(a) => links::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Bench(a) => bench::run(a),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_subcommand_parses_and_its_examples_parse() {
        seq2exp_cli_util::assert_cli_and_examples::<super::Cli>();
    }
}
