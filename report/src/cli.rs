//! `report`: the command line. All logic lives in [`crate::report`].

use std::path::PathBuf;

use clap::Parser;
use seq2exp_store::Split;

use crate::inputs::{ModelSpec, SideFiles};
use crate::report::{write, ReportOptions};

#[derive(Debug, Parser)]
#[command(
    name = "report",
    version,
    about = "Draw the demo report: metrics, predicted vs observed, element recovery, track panels and top links, \
             as one self-contained HTML page",
    after_help = "Examples:
  report --store store.h5 --model soft=predict-soft --out report.html
  report --store store.h5 --truth sim/truth.bed --elements sim/elements.bed --peaks sim/dnase_peaks.narrowPeak \\
    --model soft=predict-soft --model discovery=predict-discovery --model nomask=predict-nomask \\
    --model signal=predict-signal --links links-discovery/links.tsv --split test --fold 11 --out demo/report.html
  report --store store.h5 --model soft=predict-soft --gene ENSG00000000001 --gene ENSG00000000002 --out report.html"
)]
pub struct Cli {
    /// The window store the models were run on.
    #[arg(long)]
    pub store: PathBuf,
    /// NAME=DIR: a `runtime predict` output directory (predictions.tsv; masks.h5 and elements.bed when the
    /// model has a mask). Repeat for each model; rows and colours follow this order.
    #[arg(long = "model", value_name = "NAME=DIR", required = true)]
    pub models: Vec<ModelSpec>,
    /// Planted causal elements (BED; the simulator's truth.bed): element recovery and causal links.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// All planted elements, kind after ':' in the name (the simulator's elements.bed).
    #[arg(long)]
    pub elements: Option<PathBuf>,
    /// DNase peaks (narrowPeak): the peak-mask baseline and the panels' peak row.
    #[arg(long)]
    pub peaks: Option<PathBuf>,
    /// `runtime links` output (links.tsv): its top rows by Score.
    #[arg(long)]
    pub links: Option<PathBuf>,
    /// Evaluate the genes of this split (train | valid | test) of --fold.
    #[arg(long, default_value = "test")]
    pub split: Split,
    #[arg(long, default_value_t = 11)]
    pub fold: usize,
    /// Target column of the store.
    #[arg(long, default_value_t = 0)]
    pub target: usize,
    /// Number of track panels: the evaluated genes with the most planted causal intervals.
    #[arg(long = "genes", value_name = "N", default_value_t = 3)]
    pub n_genes: usize,
    /// A gene (id or name) to draw as a track panel instead; repeat for several.
    #[arg(long = "gene", value_name = "ID")]
    pub genes: Vec<String>,
    /// Half width of the promoter every mask forces on, left out of element recovery (the models'
    /// mask.promoter_half_width; 1000 in the presets).
    #[arg(long, default_value_t = 1000)]
    pub promoter_half_width: usize,
    /// Rows of the links table shown.
    #[arg(long, default_value_t = 20)]
    pub top_links: usize,
    /// The page to write (atomically).
    #[arg(long)]
    pub out: PathBuf,
}

impl Cli {
    pub fn options(self) -> ReportOptions {
        ReportOptions {
            store: self.store,
            models: self.models,
            side: SideFiles { truth: self.truth, elements: self.elements, peaks: self.peaks, links: self.links },
            split: self.split,
            fold: self.fold,
            target: self.target,
            n_genes: self.n_genes,
            genes: self.genes,
            promoter_half_width: self.promoter_half_width,
            top_links: self.top_links,
            out: self.out,
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let out = write(&cli.options())?;
    println!("{}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cli_and_its_examples_parse() {
        seq2exp_cli_util::assert_cli_and_examples::<super::Cli>();
    }
}
