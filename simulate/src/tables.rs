//! CSV/TSV tables: expression.csv (EPInformer-style target table), features.csv (half-life features)
//! and truth_genes.tsv (every term of the expression model per gene, for checking and for users).

use std::path::Path;

use rand::seq::SliceRandom;

use super::genome::{Gene, GeneType, SimGenome, FEATURE_NAMES};
use super::rng::{stream, Purpose};
use seq2exp_formats::error::{InputError, Result};

/// Name of the expression column that matches the simulated tracks.
pub const VALUE_COL: &str = "K562_CAGE_128*3_sum";
/// A second, noisier column with no tracks (for testing `--value-col`).
pub const SECOND_COL: &str = "GM12878_CAGE_128*3_sum";

fn writer(path: &Path, delimiter: u8) -> Result<csv::Writer<std::fs::File>> {
    csv::WriterBuilder::new().delimiter(delimiter).from_path(path).map_err(|e| InputError::wrap(path, e))
}

fn rows<I, R>(path: &Path, mut w: csv::Writer<std::fs::File>, header: &[&str], rows: I) -> Result<()>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let wrap = |e: csv::Error| InputError::wrap(path, e);
    w.write_record(header).map_err(wrap)?;
    for r in rows {
        w.write_record(r).map_err(wrap)?;
    }
    w.flush().map_err(|e| InputError::io(path, e))
}

/// expression.csv: `ENSID` (version stripped), raw CAGE for the simulated cell type and a second one.
/// Rows are in a shuffled order; lncRNAs are included (the builder filters by gene_type), and a few
/// protein-coding genes are missing.
pub fn write_expression(genome: &SimGenome, path: &Path) -> Result<()> {
    let mut genes: Vec<&Gene> = genome.genes.iter().filter(|g| g.in_expression).collect();
    genes.shuffle(&mut stream(genome.config.seed, None, Purpose::Tables));
    let data = genes.into_iter().map(|g| {
        vec![g.stripped_id().to_string(), format!("{:.3}", g.expr.cage), format!("{:.3}", g.expr.cage_second)]
    });
    rows(path, writer(path, b',')?, &["ENSID", VALUE_COL, SECOND_COL], data)
}

/// features.csv: protein-coding genes only, `gene_id` WITH its version suffix, `Gene name`, the 8
/// feature columns, then `chrom` and `TSS` (1-based), like EPInformer's mRNA_halflife_features.csv.
pub fn write_features(genome: &SimGenome, path: &Path) -> Result<()> {
    let mut header = vec!["gene_id", "Gene name"];
    header.extend(FEATURE_NAMES);
    header.extend(["chrom", "TSS"]);
    let data = genome.genes.iter().filter(|g| g.gene_type == GeneType::ProteinCoding).map(|g| {
        let mut r = vec![g.id.clone(), g.name.clone()];
        r.extend(g.features.iter().map(|f| format!("{f:.6}")));
        r.push(genome.chroms[g.chrom].name.clone());
        r.push((g.tss + 1).to_string());
        r
    });
    rows(path, writer(path, b',')?, &header, data)
}

/// Columns of truth_genes.tsv.
pub const TRUTH_GENE_COLUMNS: [&str; 20] = [
    "gene_id",
    "ENSID",
    "gene_name",
    "gene_type",
    "chrom",
    "tss",
    "strand",
    "has_gene_row",
    "in_expression",
    "n_causal_own",
    "promoter_activity",
    "promoter_h3k27ac",
    "promoter_term",
    "causal_term",
    "feature_term",
    "noise",
    "y",
    "cage",
    "y_second",
    "cage_second",
];

/// truth_genes.tsv: one row per gene with its 0-based TSS and every term of y (full precision).
pub fn write_truth_genes(genome: &SimGenome, path: &Path) -> Result<()> {
    let data = genome.genes.iter().map(|g| {
        let own = genome
            .elements
            .iter()
            .filter(|e| e.gene == g.index && e.kind == super::genome::ElementKind::Causal)
            .count();
        let t = &g.expr;
        vec![
            g.id.clone(),
            g.stripped_id().to_string(),
            g.name.clone(),
            g.gene_type.label().to_string(),
            genome.chroms[g.chrom].name.clone(),
            g.tss.to_string(),
            g.strand.to_string(),
            g.has_gene_row.to_string(),
            g.in_expression.to_string(),
            own.to_string(),
            g.promoter_activity.to_string(),
            g.promoter_h3k27ac.to_string(),
            t.promoter.to_string(),
            t.causal.to_string(),
            t.features.to_string(),
            t.noise.to_string(),
            t.y.to_string(),
            t.cage.to_string(),
            t.y_second.to_string(),
            t.cage_second.to_string(),
        ]
    });
    rows(path, writer(path, b'\t')?, &TRUTH_GENE_COLUMNS, data)
}
