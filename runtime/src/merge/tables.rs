//! Per-gene tables (`predictions.tsv`, `vep.tsv`, `links.tsv`) and the vep and links summaries.
//!
//! A table's rows come gene by gene in store order, so the merged table is the shards' rows in shard
//! order; each row's gene is checked to be in the store, in order, and in one shard only.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use seq2exp_store::StoreReader;

use super::{check_block_sizes, claim_out, invalid, unsharded_run, Kind, MergeError, MergeSummary, ShardDir};
use crate::links::delete::{LinksSummary, LINKS_NAME, SUMMARY_NAME as LINKS_SUMMARY};
use crate::output::{write_bytes, OutputError};
use crate::vep::parquet::{write_parquet, PARQUET_NAME};
use crate::vep::{VepSummary, SUMMARY_NAME, TSV_NAME, WARNINGS_NAME};

/// The shards' rows of one table, concatenated.
pub(crate) struct Table {
    pub text: String,
    /// Store indices of the genes with rows, in order (one entry per gene).
    pub genes: Vec<usize>,
    /// Rows per shard.
    pub rows: Vec<usize>,
}

/// Reads `name` from every shard: same header everywhere, the genes of column `gene_col` in store
/// order and disjoint between shards.
pub(crate) fn concat_table(
    reader: &StoreReader,
    shards: &[ShardDir],
    name: &str,
    gene_col: &str,
) -> Result<Table, OutputError> {
    let index: HashMap<&str, usize> = reader.genes().iter().enumerate().map(|(i, g)| (g.id.as_str(), i)).collect();
    let mut owner: HashMap<usize, usize> = HashMap::new();
    let mut table = Table { text: String::new(), genes: Vec::new(), rows: Vec::new() };
    let mut header: Option<String> = None;
    for (k, s) in shards.iter().enumerate() {
        let path = s.dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| OutputError::io(&path, e))?;
        let mut lines = text.lines();
        let head = lines.next().ok_or_else(|| invalid(&path, "empty file"))?;
        match &header {
            None => {
                table.text.push_str(head);
                table.text.push('\n');
                header = Some(head.to_string());
            }
            Some(h) if h != head => {
                return Err(invalid(&path, format!("its header differs from {}", shards[0].dir.join(name).display())))
            }
            _ => {}
        }
        let col = head
            .split('\t')
            .position(|c| c == gene_col)
            .ok_or_else(|| invalid(&path, format!("no `{gene_col}` column")))?;
        let mut n = 0;
        for (line, row) in lines.enumerate() {
            let place = || format!("{}: line {}", path.display(), line + 2);
            let id =
                row.split('\t').nth(col).ok_or_else(|| OutputError::invalid(place(), format!("no `{gene_col}`")))?;
            let &g = index.get(id).ok_or_else(|| {
                OutputError::invalid(place(), format!("gene {id} is not in the store {}", reader.path().display()))
            })?;
            match owner.insert(g, k) {
                Some(other) if other != k => {
                    return Err(invalid(
                        &s.dir,
                        format!("overlaps {}: both hold gene {id}", shards[other].dir.display()),
                    ))
                }
                Some(_) if table.genes.last() != Some(&g) => {
                    return Err(OutputError::invalid(place(), format!("gene {id} again, after other genes")))
                }
                Some(_) => {}
                None => {
                    if table.genes.last().is_some_and(|&last| last > g) {
                        return Err(OutputError::invalid(place(), format!("gene {id} is out of store order")));
                    }
                    table.genes.push(g);
                }
            }
            table.text.push_str(row);
            table.text.push('\n');
            n += 1;
        }
        table.rows.push(n);
    }
    Ok(table)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, OutputError> {
    let text = std::fs::read_to_string(path).map_err(|e| OutputError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| invalid(path, e.to_string()))
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), OutputError> {
    write_bytes(path, serde_json::to_string_pretty(value).expect("json"))
}

pub(crate) fn merge_links(reader: &StoreReader, shards: &[ShardDir], out: &Path) -> Result<MergeSummary, MergeError> {
    let summaries: Vec<LinksSummary> =
        shards.iter().map(|s| read_json(&s.dir.join(LINKS_SUMMARY))).collect::<Result<_, _>>()?;
    let sizes: Vec<usize> = summaries.iter().map(|s| s.genes).collect();
    check_block_sizes(shards, &sizes)?;
    let table = concat_table(reader, shards, LINKS_NAME, "TargetGeneEnsemblID")?;
    for ((s, sum), &rows) in shards.iter().zip(&summaries).zip(&table.rows) {
        if sum.links != rows {
            return Err(invalid(
                &s.dir,
                format!("{LINKS_SUMMARY} counts {} links, {LINKS_NAME} has {rows}", sum.links),
            )
            .into());
        }
    }
    let _lock = claim_out(Kind::Links, out, &unsharded_run(&shards[0]))?;
    let tsv = out.join(LINKS_NAME);
    let summary = LinksSummary {
        genes: sizes.iter().sum(),
        links: table.rows.iter().sum(),
        seconds: summaries.iter().map(|s| s.seconds).sum(),
        out: tsv.clone(),
    };
    let files = vec![tsv.clone(), out.join(LINKS_SUMMARY)];
    write_json(&files[1], &summary)?;
    write_bytes(&tsv, &table.text)?;
    Ok(MergeSummary { kind: "links", shards: shards.len(), genes: summary.genes, files })
}

/// `vep.warnings.tsv` of one shard: (VCF-wide rows, gene rows), each as (sort key, line).
type Warnings = (Vec<String>, Vec<((usize, String, String), String)>);

fn read_warnings(path: &Path) -> Result<(String, Warnings), OutputError> {
    let text = std::fs::read_to_string(path).map_err(|e| OutputError::io(path, e))?;
    let mut lines = text.lines();
    let header = lines.next().ok_or_else(|| invalid(path, "empty file"))?.to_string();
    let (mut global, mut genes) = (Vec::new(), Vec::new());
    for (n, row) in lines.enumerate() {
        let f: Vec<&str> = row.split('\t').collect();
        let line = f.first().and_then(|l| l.parse::<usize>().ok());
        let (Some(line), 7) = (line, f.len()) else {
            return Err(OutputError::invalid(format!("{}: line {}", path.display(), n + 2), "not a warning row"));
        };
        if f[5] == "." {
            global.push(row.to_string());
        } else {
            genes.push(((line, f[4].to_string(), f[5].to_string()), row.to_string()));
        }
    }
    Ok((header, (global, genes)))
}

/// Per-reason counts of a shard's gene warnings.
fn gene_counts(rows: &[((usize, String, String), String)]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (_, row) in rows {
        *counts.entry(row.rsplit('\t').next().unwrap_or("").to_string()).or_default() += 1;
    }
    counts
}

pub(crate) fn merge_vep(reader: &StoreReader, shards: &[ShardDir], out: &Path) -> Result<MergeSummary, MergeError> {
    let summaries: Vec<VepSummary> =
        shards.iter().map(|s| read_json(&s.dir.join(SUMMARY_NAME))).collect::<Result<_, _>>()?;
    let sizes: Vec<usize> = summaries.iter().map(|s| s.genes).collect();
    check_block_sizes(shards, &sizes)?;
    let table = concat_table(reader, shards, TSV_NAME, "gene_id")?;
    let mut warning_text = String::new();
    let (mut global, mut gene_rows): (Option<Vec<String>>, Vec<_>) = (None, Vec::new());
    // Skips counted once per job (VCF-wide); the rest are per gene and add up.
    let mut job_wide: Option<BTreeMap<String, usize>> = None;
    let mut per_gene: BTreeMap<String, usize> = BTreeMap::new();
    for ((s, sum), &rows) in shards.iter().zip(&summaries).zip(&table.rows) {
        let path = s.dir.join(WARNINGS_NAME);
        let (header, (g, genes)) = read_warnings(&path)?;
        if sum.pairs != rows || sum.alleles != summaries[0].alleles {
            return Err(invalid(&s.dir, format!("{SUMMARY_NAME} does not match {TSV_NAME} or the other shards")).into());
        }
        let counts = gene_counts(&genes);
        let mut wide = sum.skipped.clone();
        for (reason, n) in &counts {
            let left = wide.get(reason).copied().unwrap_or(0).checked_sub(*n);
            let left = left.ok_or_else(|| invalid(&path, format!("more {reason} rows than {SUMMARY_NAME} counts")))?;
            wide.insert(reason.clone(), left);
            *per_gene.entry(reason.clone()).or_default() += n;
        }
        wide.retain(|_, n| *n > 0);
        if global.is_none() {
            warning_text = header + "\n";
        }
        if global.as_ref().is_some_and(|first| *first != g) || job_wide.as_ref().is_some_and(|first| *first != wide) {
            return Err(
                invalid(&s.dir, format!("its VCF-wide warnings differ from {}'s", shards[0].dir.display())).into()
            );
        }
        global.get_or_insert(g);
        job_wide.get_or_insert(wide);
        gene_rows.extend(genes);
    }
    // As the single run orders them: VCF-wide rows first, then by (VCF line, ALT, gene), stably.
    let mut all: Vec<((usize, String, String), String)> = Vec::new();
    for row in global.unwrap_or_default() {
        let f: Vec<&str> = row.split('\t').collect();
        all.push(((f[0].parse().unwrap_or(0), f[4].to_string(), f[5].to_string()), row));
    }
    all.extend(gene_rows);
    all.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, row) in &all {
        warning_text.push_str(row);
        warning_text.push('\n');
    }
    let mut skipped = job_wide.unwrap_or_default();
    for (reason, n) in per_gene {
        *skipped.entry(reason).or_default() += n;
    }
    let _lock = claim_out(Kind::Vep, out, &unsharded_run(&shards[0]))?;
    let files: Vec<PathBuf> =
        [TSV_NAME, WARNINGS_NAME, SUMMARY_NAME, PARQUET_NAME].iter().map(|f| out.join(f)).collect();
    let summary = VepSummary {
        alleles: summaries[0].alleles,
        genes: sizes.iter().sum(),
        pairs: table.rows.iter().sum(),
        skipped,
        seconds: summaries.iter().map(|s| s.seconds).sum(),
        files: files.clone(),
    };
    write_bytes(&files[1], &warning_text)?;
    write_json(&files[2], &summary)?;
    // From the merged rows, as `vep` writes it from its own (the header line is not a row).
    let rows: Vec<&str> = table.text.lines().skip(1).collect();
    write_parquet(&files[3], &rows, &files[0])?;
    write_bytes(&files[0], &table.text)?;
    Ok(MergeSummary { kind: "vep", shards: shards.len(), genes: summary.genes, files })
}
