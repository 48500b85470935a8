//! `predictions.tsv` and the append-only log it is built from.
//!
//! While a run is in progress, each finished batch is appended to `predictions.log` in one write
//! (`store index \t gene id \t prediction`). A kill can only leave a torn last line, which the next run
//! drops; genes already logged are skipped. When every gene is logged, `predictions.tsv` is written in
//! selection order through a temporary file and a rename, so it is either absent or complete, and a
//! resumed run produces the same file as an uninterrupted one.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use seq2exp_store::StoreReader;

use super::{write_bytes, OutputError};

pub const LOG_NAME: &str = "predictions.log";
pub const TSV_NAME: &str = "predictions.tsv";
/// Columns of `predictions.tsv`; `target` only when the store has targets.
pub const COLUMNS: [&str; 7] = ["gene_id", "gene_name", "chrom", "tss", "strand", "prediction", "target"];

pub struct PredictionLog {
    path: PathBuf,
    file: File,
    done: HashMap<usize, f32>,
}

impl PredictionLog {
    /// Opens (or starts) the log in `dir`, keeping every complete line and cutting a torn last one.
    /// `genes` are the store's gene ids: a logged id that does not match its index means the log
    /// belongs to another store.
    pub fn open(dir: &Path, gene_ids: &[&str]) -> Result<Self, OutputError> {
        let path = dir.join(LOG_NAME);
        let text = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(OutputError::io(&path, e)),
        };
        let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let mut done = HashMap::new();
        for (n, line) in String::from_utf8_lossy(&text[..complete]).lines().enumerate() {
            let bad = |m: &str| OutputError::invalid(format!("{}: line {}", path.display(), n + 1), m.to_string());
            let mut cols = line.split('\t');
            let (Some(i), Some(id), Some(v)) = (cols.next(), cols.next(), cols.next()) else {
                return Err(bad("expected 3 columns"));
            };
            let i: usize = i.parse().map_err(|_| bad("bad store index"))?;
            if gene_ids.get(i) != Some(&id) {
                return Err(bad(&format!("gene {id} is not gene {i} of this store: the directory holds another run")));
            }
            done.insert(i, v.parse().map_err(|_| bad("bad prediction"))?);
        }
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| OutputError::io(&path, e))?;
        file.set_len(complete as u64).map_err(|e| OutputError::io(&path, e))?;
        file.seek(SeekFrom::End(0)).map_err(|e| OutputError::io(&path, e))?;
        Ok(Self { path, file, done })
    }

    pub fn is_done(&self, gene: usize) -> bool {
        self.done.contains_key(&gene)
    }

    pub fn n_done(&self) -> usize {
        self.done.len()
    }

    /// Appends one batch's predictions in a single write, then syncs.
    pub fn append(&mut self, rows: &[(usize, &str, f32)]) -> Result<(), OutputError> {
        let mut buf = String::new();
        for &(i, id, v) in rows {
            if self.done.insert(i, v).is_none() {
                buf.push_str(&format!("{i}\t{id}\t{v}\n"));
            }
        }
        self.file
            .write_all(buf.as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(|e| OutputError::io(&self.path, e))
    }

    /// Writes `dir/predictions.tsv` for `order` (every gene must be logged) and removes the log.
    /// `target` is the store's target column to report beside each prediction.
    pub fn finish(
        self,
        reader: &StoreReader,
        order: &[usize],
        target: Option<usize>,
        dir: &Path,
    ) -> Result<PathBuf, OutputError> {
        let out = dir.join(TSV_NAME);
        let ncol = if target.is_some() { 7 } else { 6 };
        let mut text = COLUMNS[..ncol].join("\t") + "\n";
        for &i in order {
            let v = self.done.get(&i).ok_or_else(|| {
                OutputError::invalid(self.path.display(), format!("gene {} was never predicted", reader.genes()[i].id))
            })?;
            let g = &reader.genes()[i];
            text.push_str(&format!("{}\t{}\t{}\t{}\t{}\t{v}", g.id, g.name, g.chrom, g.tss, g.strand.as_str()));
            if let Some(t) = target {
                match reader.targets(i).get(t) {
                    Some(x) if x.is_finite() => text.push_str(&format!("\t{x}")),
                    _ => text.push_str("\tNA"),
                }
            }
            text.push('\n');
        }
        write_bytes(&out, text)?;
        drop(self.file);
        std::fs::remove_file(&self.path).map_err(|e| OutputError::io(&self.path, e))?;
        Ok(out)
    }
}

/// One row of a `predictions.tsv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionRow {
    pub gene_id: String,
    pub prediction: f64,
}

/// Reads the `gene_id` and `prediction` columns of a predictions file (errors name the line).
pub fn read_predictions(path: &Path) -> Result<Vec<PredictionRow>, OutputError> {
    let text = std::fs::read_to_string(path).map_err(|e| OutputError::io(path, e))?;
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = lines.next().map(|(_, l)| l.split('\t').collect()).unwrap_or_default();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| OutputError::invalid(format!("{}: line 1", path.display()), format!("no `{name}` column")))
    };
    let (gi, pi) = (col("gene_id")?, col("prediction")?);
    let mut out = Vec::new();
    for (n, line) in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let place = || format!("{}: line {}", path.display(), n + 1);
        let (Some(id), Some(p)) = (cols.get(gi), cols.get(pi)) else {
            return Err(OutputError::invalid(place(), format!("expected {} columns", header.len())));
        };
        let prediction =
            p.parse::<f64>().map_err(|_| OutputError::invalid(place(), format!("prediction '{p}' is not a number")))?;
        out.push(PredictionRow { gene_id: id.to_string(), prediction });
    }
    if out.is_empty() {
        return Err(OutputError::invalid(path.display(), "no predictions"));
    }
    Ok(out)
}
