//! Chooses the genes of the store and joins their targets and mRNA features by gene id (version
//! suffixes stripped on both sides). What could not be joined is counted and reported, never silently
//! dropped.

use std::collections::HashMap;

use seq2exp_store::{GeneInfo, FEATURE_NAMES};

use seq2exp_formats::error::{InputError, Result};
use seq2exp_formats::genes::{read_genes, GeneOptions, GeneRecord};
use seq2exp_formats::tables::{read_feature_table, read_value_table};

use super::{BuildConfig, Inputs};

/// The 8 mRNA feature columns read from the features table (promoter activity is computed).
pub const MRNA_FEATURES: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct JoinReport {
    pub genes_in_file: usize,
    pub dropped_missing_chrom: Vec<String>,
    pub without_expression: Vec<usize>,
    pub without_features: usize,
    pub notes: Vec<String>,
}

pub struct GeneJoin {
    pub genes: Vec<GeneInfo>,
    /// Per gene, one log10(x + 1) value per target column (NaN when the table lacks the gene).
    pub targets: Vec<Vec<f32>>,
    pub mrna: Vec<[f32; MRNA_FEATURES]>,
    pub report: JoinReport,
}

/// Chromosome sort key: chr1..chr22, chrX, chrY, chrM, then the rest by name.
fn chrom_key(c: &str) -> (u32, String) {
    let bare = c.strip_prefix("chr").unwrap_or(c);
    let n = match bare {
        "X" => 23,
        "Y" => 24,
        "M" => 25,
        b => b.parse::<u32>().unwrap_or(100),
    };
    (n, c.to_string())
}

fn to_info(g: &GeneRecord) -> GeneInfo {
    GeneInfo { id: g.id.clone(), name: g.name.clone(), chrom: g.chrom.clone(), tss: g.tss, strand: g.strand }
}

/// Reads the genes and joins expression and features.
pub fn join(cfg: &BuildConfig, inputs: &Inputs) -> Result<GeneJoin> {
    let opts = GeneOptions { protein_coding_only: !cfg.all_biotypes, ..Default::default() };
    let records = read_genes(&cfg.genes, &opts)?;
    let mut report = JoinReport { genes_in_file: records.len(), ..Default::default() };
    let mut genes = Vec::with_capacity(records.len());
    for g in records.iter() {
        match inputs.chrom_lengths.get(&g.chrom) {
            None if cfg.skip_missing_chroms => report.dropped_missing_chrom.push(g.id.clone()),
            None => {
                let mut have: Vec<_> = inputs.chrom_lengths.keys().cloned().collect();
                have.sort_by_key(|c| chrom_key(c));
                have.truncate(6);
                return Err(InputError::at(
                    &cfg.genes,
                    format!("gene {} ({})", g.id, g.name),
                    format!(
                        "chromosome {} is not in {} (it has {}…); use --skip-missing-chroms to drop such genes",
                        g.chrom,
                        cfg.fasta.display(),
                        have.join(", ")
                    ),
                ));
            }
            Some(&len) if g.tss >= len => {
                return Err(InputError::at(
                    &cfg.genes,
                    format!("gene {} ({})", g.id, g.name),
                    format!(
                        "TSS {} is outside chromosome {} (length {len} in {})",
                        g.tss,
                        g.chrom,
                        cfg.fasta.display()
                    ),
                ));
            }
            Some(_) => genes.push(to_info(g)),
        }
    }
    if let Some(n) = cfg.limit {
        genes.sort_by(|a, b| chrom_key(&a.chrom).cmp(&chrom_key(&b.chrom)).then(a.tss.cmp(&b.tss)));
        genes.truncate(n);
    }
    if genes.is_empty() {
        let what = if cfg.all_biotypes { "genes" } else { "protein-coding genes" };
        return Err(InputError::new(
            &cfg.genes,
            format!("no {what} left to build (after matching chromosomes with {})", cfg.fasta.display()),
        ));
    }
    genes.sort_by(|a, b| chrom_key(&a.chrom).cmp(&chrom_key(&b.chrom)).then(a.tss.cmp(&b.tss)).then(a.id.cmp(&b.id)));
    if !report.dropped_missing_chrom.is_empty() {
        report.notes.push(format!(
            "{} gene(s) on chromosomes missing from the FASTA were dropped",
            report.dropped_missing_chrom.len()
        ));
    }
    let targets = join_targets(cfg, &genes, &mut report)?;
    let mrna = join_features(cfg, &genes, &mut report)?;
    Ok(GeneJoin { genes, targets, mrna, report })
}

fn join_targets(cfg: &BuildConfig, genes: &[GeneInfo], report: &mut JoinReport) -> Result<Vec<Vec<f32>>> {
    let mut tables: Vec<HashMap<String, f64>> = Vec::new();
    for col in &cfg.value_cols {
        let t = read_value_table(&cfg.expression, &cfg.id_col, col)?;
        if let Some((id, v)) = t.iter().find(|(_, v)| v.is_nan() || **v < 0.0) {
            return Err(InputError::at(
                &cfg.expression,
                format!("gene {id}, column {col}"),
                format!("expression {v} is not a non-negative number (targets are log10(x+1))"),
            ));
        }
        tables.push(t);
    }
    let targets: Vec<Vec<f32>> = genes
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let row: Vec<f32> =
                tables.iter().map(|t| t.get(&g.id).map_or(f32::NAN, |x| (x + 1.0).log10() as f32)).collect();
            if row.iter().any(|v| v.is_nan()) {
                report.without_expression.push(i);
            }
            row
        })
        .collect();
    if !report.without_expression.is_empty() {
        report.notes.push(format!(
            "{} of {} gene(s) have no value in {} (target NaN; excluded from training and metrics)",
            report.without_expression.len(),
            genes.len(),
            cfg.expression.display()
        ));
    }
    if report.without_expression.len() == genes.len() {
        return Err(InputError::new(
            &cfg.expression,
            format!(
                "no gene id of {} matches column '{}' (ids are compared without version suffixes)",
                cfg.genes.display(),
                cfg.id_col
            ),
        ));
    }
    Ok(targets)
}

fn join_features(cfg: &BuildConfig, genes: &[GeneInfo], report: &mut JoinReport) -> Result<Vec<[f32; MRNA_FEATURES]>> {
    let Some(path) = &cfg.features else {
        report.notes.push("no features table: the 8 mRNA features are 0 (their z-score/GC means are not known)".into());
        return Ok(vec![[0.0; MRNA_FEATURES]; genes.len()]);
    };
    let table = read_feature_table(path, &cfg.feature_id_col, &FEATURE_NAMES[..MRNA_FEATURES])?;
    let rows = genes
        .iter()
        .map(|g| match table.get(&g.id) {
            Some(v) => std::array::from_fn(|k| v[k]),
            None => {
                report.without_features += 1;
                [0.0; MRNA_FEATURES]
            }
        })
        .collect();
    if report.without_features > 0 {
        report.notes.push(format!(
            "{} gene(s) missing from {}: mRNA features set to 0",
            report.without_features,
            path.display()
        ));
    }
    Ok(rows)
}
