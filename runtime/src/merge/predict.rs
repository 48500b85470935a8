//! `predict` shards: `predictions.tsv` concatenated; with masks, `masks.h5` rebuilt through the same
//! part files a single run merges (so its datasets are the single run's), then `mask.bw` written from
//! it as the single run writes it (windows of neighbouring genes in different shards overlap, so the
//! shards' bigWigs cannot simply be joined) and `elements.bed` as the shards' elements in the single
//! run's order (chromosome in store order, start, end, gene).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use seq2exp_store::StoreReader;
use serde_json::Value;

use super::tables::concat_table;
use super::{check_block_sizes, claim_out, invalid, unsharded_run, Kind, MergeError, MergeSummary, ShardDir};
use crate::output::bigwig::{write_mask_bigwig, BIGWIG_NAME};
use crate::output::elements::BED_NAME;
use crate::output::masks::{MaskFile, MaskParts, MASKS_NAME};
use crate::output::predictions::TSV_NAME;
use crate::output::{write_bytes, OutputError};

/// Genes per part file while rebuilding `masks.h5` (bounds memory: 64 × the window × 4 bytes).
const PART_GENES: usize = 64;

/// The mask options a shard recorded (`None`: no masks).
fn mask_options(s: &ShardDir) -> Result<Option<f32>, OutputError> {
    match s.run.get("masks") {
        None | Some(Value::Null) => Ok(None),
        Some(m) => m
            .get("bigwig_quantum")
            .and_then(Value::as_f64)
            .map(|q| Some(q as f32))
            .ok_or_else(|| invalid(&s.dir.join(crate::predict::RUN_FILE), "`masks` without `bigwig_quantum`")),
    }
}

pub(crate) fn merge_predict(reader: &StoreReader, shards: &[ShardDir], out: &Path) -> Result<MergeSummary, MergeError> {
    let table = concat_table(reader, shards, TSV_NAME, "gene_id")?;
    for (s, &rows) in shards.iter().zip(&table.rows) {
        if s.run.get("genes").and_then(Value::as_u64) != Some(rows as u64) {
            return Err(invalid(&s.dir, format!("{TSV_NAME} has {rows} genes, run.json records another number")).into());
        }
    }
    check_block_sizes(shards, &table.rows)?;
    let ids = |g: Option<&usize>| g.map(|&i| Value::from(reader.genes()[i].id.clone())).unwrap_or(Value::Null);
    let mut run = unsharded_run(&shards[0]);
    run["genes"] = Value::from(table.genes.len());
    run["first_gene"] = ids(table.genes.first());
    run["last_gene"] = ids(table.genes.last());
    let quantum = mask_options(&shards[0])?;
    let _lock = claim_out(Kind::Predict, out, &run)?;
    // The mask files first, predictions.tsv last, as a single run: its presence marks a finished job.
    let mut files = Vec::new();
    if let Some(quantum) = quantum {
        let h5 = merge_masks(reader, shards, &table.genes, out)?;
        let bed = out.join(BED_NAME);
        write_bytes(&bed, merge_elements(reader, shards)?)?;
        let bw = out.join(BIGWIG_NAME);
        write_mask_bigwig(MaskFile::open(&h5)?, &reader.meta().chrom_sizes, quantum, &bw)?;
        files.extend([h5, bw, bed]);
    }
    let tsv = out.join(TSV_NAME);
    write_bytes(&tsv, &table.text)?;
    files.insert(0, tsv);
    Ok(MergeSummary { kind: "predict", shards: shards.len(), genes: table.genes.len(), files })
}

/// `masks.h5` of `order` (store indices) from the shards' mask files.
fn merge_masks(reader: &StoreReader, shards: &[ShardDir], order: &[usize], out: &Path) -> Result<PathBuf, OutputError> {
    let index: HashMap<&str, usize> = reader.genes().iter().enumerate().map(|(i, g)| (g.id.as_str(), i)).collect();
    let mut window = None;
    let mut parts: Option<MaskParts> = None;
    for s in shards {
        let path = s.dir.join(MASKS_NAME);
        let file = MaskFile::open(&path)?;
        if *window.get_or_insert(file.window) != file.window {
            return Err(invalid(&path, format!("window {} differs from the other shards'", file.window)));
        }
        let parts = match &mut parts {
            Some(p) => p,
            None => parts.insert(MaskParts::open(out, file.window)?),
        };
        let rows: Vec<usize> = (0..file.len()).collect();
        for chunk in rows.chunks(PART_GENES) {
            let mut genes = Vec::with_capacity(chunk.len());
            let mut values = Vec::with_capacity(chunk.len() * file.window);
            for &r in chunk {
                let id = file.gene_ids[r].as_str();
                genes.push(*index.get(id).ok_or_else(|| invalid(&path, format!("gene {id} is not in the store")))?);
                values.extend(file.mask(r)?);
            }
            parts.write(&genes, &values)?;
        }
    }
    // `finish` checks that every gene of `order` has its mask.
    parts.expect("at least one shard").finish(reader, order, out)
}

/// (chromosome rank in the store, chromosome, start, end, gene): how `call_elements` sorts.
type ElementKey = (usize, String, u64, u64, String);

/// The shards' `elements.bed` rows in the single run's order.
fn merge_elements(reader: &StoreReader, shards: &[ShardDir]) -> Result<String, OutputError> {
    let rank: HashMap<&str, usize> =
        reader.meta().chrom_sizes.iter().enumerate().map(|(i, (c, _))| (c.as_str(), i)).collect();
    let mut rows: Vec<(ElementKey, String)> = Vec::new();
    for s in shards {
        let path = s.dir.join(BED_NAME);
        let text = std::fs::read_to_string(&path).map_err(|e| OutputError::io(&path, e))?;
        for (n, line) in text.lines().enumerate() {
            let f: Vec<&str> = line.split('\t').collect();
            let bad = || OutputError::invalid(format!("{}: line {}", path.display(), n + 1), "not an elements.bed row");
            let (Some(start), Some(end), Some(gene)) =
                (f.get(1).and_then(|v| v.parse().ok()), f.get(2).and_then(|v| v.parse().ok()), f.get(3))
            else {
                return Err(bad());
            };
            let chrom = f[0].to_string();
            let key = (rank.get(f[0]).copied().unwrap_or(usize::MAX), chrom, start, end, gene.to_string());
            rows.push((key, line.to_string()));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(rows.into_iter().map(|(_, l)| l + "\n").collect())
}
