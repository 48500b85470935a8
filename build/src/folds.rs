//! `--folds-csv`: EPInformer's leave-chromosome-out split table taken as given instead of the fold rule.
//!
//! The header must be exactly `ENSID,chrom,fold_1,…,fold_12,fold_enformer,Gene name` and every fold cell
//! one of `train`, `valid`, `test` (the values EPInformer compares against). ENSIDs are joined without
//! their version suffix, as the expression and feature tables are. `fold_enformer` is checked but not
//! stored: the store holds folds 1–12 only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use seq2exp_formats::chrom::normalise;
use seq2exp_formats::error::{InputError, Result};
use seq2exp_formats::tables::strip_version;
use seq2exp_store::{fold_split, GeneInfo, Split, N_FOLDS};

/// What to do with a store gene the table lacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FoldsMissing {
    /// Stop with an error naming the gene.
    #[default]
    Error,
    /// Give the gene no fold (stored as excluded in all 12).
    Exclude,
}

impl FoldsMissing {
    /// The command-line spellings, in the order `--help` lists them.
    pub const NAMES: [&'static str; 2] = ["error", "exclude"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "error" => Some(Self::Error),
            "exclude" => Some(Self::Exclude),
            _ => None,
        }
    }
}

/// The header of EPInformer's `leave_chrom_out_crossvalidation_split_18377genes.csv`.
pub fn folds_header() -> Vec<String> {
    let mut h = vec!["ENSID".to_string(), "chrom".to_string()];
    h.extend((1..=N_FOLDS).map(|k| format!("fold_{k}")));
    h.push("fold_enformer".into());
    h.push("Gene name".into());
    h
}

struct Row {
    line: u64,
    chrom: String,
    splits: [Split; N_FOLDS],
}

pub struct FoldTable {
    path: PathBuf,
    rows: HashMap<String, Row>,
}

fn parse_split(path: &Path, line: u64, col: usize, name: &str, id: &str, raw: &str) -> Result<Split> {
    match raw {
        "train" => Ok(Split::Train),
        "valid" => Ok(Split::Valid),
        "test" => Ok(Split::Test),
        _ => Err(InputError::at(
            path,
            format!("line {line}, column {} ({name}), gene {id}", col + 1),
            format!("'{raw}' is not a split (expected train, valid or test)"),
        )),
    }
}

impl FoldTable {
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| InputError::io(path, e))?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            return Err(InputError::new(path, "is gzipped; give the plain CSV (gunzip it first)"));
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes.as_slice());
        let expected = folds_header();
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| InputError::line(path, 1, format!("unreadable header: {e}")))?
            .iter()
            .map(|s| s.trim().to_string())
            .collect();
        if header != expected {
            let k = header.iter().zip(&expected).position(|(a, b)| a != b).unwrap_or(header.len().min(expected.len()));
            return Err(InputError::line(
                path,
                1,
                format!(
                    "unknown header for a folds table: expected '{}' (EPInformer's split table), found '{}' (first difference at column {})",
                    expected.join(","),
                    header.join(","),
                    k + 1
                ),
            ));
        }
        let mut rows: HashMap<String, Row> = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| InputError::new(path, e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != expected.len() {
                return Err(InputError::line(
                    path,
                    line as usize,
                    format!("{} fields where the header has {}", record.len(), expected.len()),
                ));
            }
            let raw_id = record[0].trim();
            if raw_id.is_empty() {
                return Err(InputError::at(path, format!("line {line}, column 1 (ENSID)"), "empty gene id"));
            }
            let id = strip_version(raw_id);
            let chrom = record[1].trim();
            if chrom.is_empty() {
                return Err(InputError::at(
                    path,
                    format!("line {line}, column 2 (chrom), gene {id}"),
                    "empty chromosome",
                ));
            }
            let mut splits = [Split::Excluded; N_FOLDS];
            for (k, s) in splits.iter_mut().enumerate() {
                *s = parse_split(path, line, k + 2, &expected[k + 2], &id, record[k + 2].trim())?;
            }
            // fold_enformer: checked, not stored.
            parse_split(path, line, N_FOLDS + 2, "fold_enformer", &id, record[N_FOLDS + 2].trim())?;
            if let Some(prev) = rows.get(&id) {
                return Err(InputError::line(
                    path,
                    line as usize,
                    format!(
                        "duplicate gene {id} (also on line {}; ids are compared without version suffixes)",
                        prev.line
                    ),
                ));
            }
            rows.insert(id, Row { line, chrom: normalise(chrom), splits });
        }
        if rows.is_empty() {
            return Err(InputError::new(path, "folds table has no data rows"));
        }
        Ok(Self { path: path.to_path_buf(), rows })
    }

    /// The split rows of `genes` (store order) and notes on what was matched.
    pub fn assign(&self, genes: &[GeneInfo], missing: FoldsMissing) -> Result<(Vec<[Split; N_FOLDS]>, Vec<String>)> {
        let mut out = Vec::with_capacity(genes.len());
        let mut absent: Vec<&GeneInfo> = Vec::new();
        let mut differs = 0usize;
        for g in genes {
            let id = strip_version(&g.id);
            match self.rows.get(&id) {
                Some(row) => {
                    if row.chrom != g.chrom {
                        return Err(InputError::at(
                            &self.path,
                            format!("line {}, gene {id} ({})", row.line, g.name),
                            format!("chromosome {} in the table, {} in the genes file", row.chrom, g.chrom),
                        ));
                    }
                    if (0..N_FOLDS).any(|k| row.splits[k] != fold_split(&g.chrom, k + 1)) {
                        differs += 1;
                    }
                    out.push(row.splits);
                }
                None => {
                    absent.push(g);
                    out.push([Split::Excluded; N_FOLDS]);
                }
            }
        }
        if let (FoldsMissing::Error, Some(first)) = (missing, absent.first()) {
            return Err(InputError::at(
                &self.path,
                format!("gene {} ({}, {})", strip_version(&first.id), first.name, first.chrom),
                format!(
                    "store gene not in the folds table ({} store gene(s) missing in all); use --folds-missing exclude to give them no fold",
                    absent.len()
                ),
            ));
        }
        let mut notes = vec![format!(
            "folds from {} (EPInformer split table): {} of {} gene(s) matched; fold_enformer checked but not stored (the store holds folds 1-12)",
            self.path.display(),
            genes.len() - absent.len(),
            genes.len()
        )];
        if !absent.is_empty() {
            notes.push(format!("{} gene(s) not in the folds table: excluded from every fold", absent.len()));
        }
        if differs > 0 {
            notes.push(format!("{differs} gene(s) have table splits that differ from the chromosome fold rule"));
        }
        let unused = self.rows.len() - (genes.len() - absent.len());
        if unused > 0 {
            notes.push(format!("{unused} folds-table gene(s) are not in the store"));
        }
        Ok((out, notes))
    }
}
