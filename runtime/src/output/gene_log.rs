//! The append-only log a per-gene job (`vep`, `links`) is built from, so a killed job resumes where it
//! stopped.
//!
//! Each gene's results go in one write: its rows (`R`), its warnings (`W`), then `D` (done). A kill can
//! only leave a torn tail, which the next run drops together with any gene that has no `D` line.

use std::collections::{BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::OutputError;

/// One gene's results as logged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeneResult {
    /// TSV rows (no newline), in VCF order.
    pub rows: Vec<String>,
    /// (item index, reason) of items not scored in this gene's window (for vep: the allele's index).
    pub warnings: BTreeSet<(usize, String)>,
}

pub struct GeneLog {
    path: PathBuf,
    file: File,
    done: HashMap<usize, GeneResult>,
}

impl GeneLog {
    /// Opens (or starts) the log `dir/name`, keeping only genes logged to completion.
    pub fn open(dir: &Path, name: &str) -> Result<Self, OutputError> {
        let path = dir.join(name);
        let text = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(OutputError::io(&path, e)),
        };
        let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let text = String::from_utf8_lossy(&text[..complete]).into_owned();
        let mut pending: HashMap<usize, GeneResult> = HashMap::new();
        let mut done = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let bad = || OutputError::invalid(format!("{}: line {}", path.display(), n + 1), "not a per-gene log line");
            let mut f = line.splitn(3, '\t');
            let (kind, gene) = (f.next().ok_or_else(bad)?, f.next().ok_or_else(bad)?);
            let gene: usize = gene.parse().map_err(|_| bad())?;
            match kind {
                "R" => pending.entry(gene).or_default().rows.push(f.next().ok_or_else(bad)?.to_string()),
                "W" => {
                    let (l, reason) = f.next().and_then(|r| r.split_once('\t')).ok_or_else(bad)?;
                    pending.entry(gene).or_default().warnings.insert((l.parse().map_err(|_| bad())?, reason.into()));
                }
                "D" => {
                    done.insert(gene, pending.remove(&gene).unwrap_or_default());
                }
                _ => return Err(bad()),
            }
        }
        // Rewrite without the torn tail and unfinished genes, so appends start clean.
        let mut keep = String::new();
        for (gene, r) in &done {
            keep.push_str(&block(*gene, r));
        }
        std::fs::write(&path, keep).map_err(|e| OutputError::io(&path, e))?;
        let file = OpenOptions::new().append(true).open(&path).map_err(|e| OutputError::io(&path, e))?;
        Ok(Self { path, file, done })
    }

    pub fn is_done(&self, gene: usize) -> bool {
        self.done.contains_key(&gene)
    }

    pub fn append(&mut self, gene: usize, r: GeneResult) -> Result<(), OutputError> {
        self.file.write_all(block(gene, &r).as_bytes()).map_err(|e| OutputError::io(&self.path, e))?;
        self.done.insert(gene, r);
        Ok(())
    }

    pub fn result(&self, gene: usize) -> Option<&GeneResult> {
        self.done.get(&gene)
    }

    /// Removes the log once the outputs are written.
    pub fn remove(self) -> Result<(), OutputError> {
        std::fs::remove_file(&self.path).map_err(|e| OutputError::io(&self.path, e))
    }
}

fn block(gene: usize, r: &GeneResult) -> String {
    let mut s = String::new();
    for row in &r.rows {
        s.push_str(&format!("R\t{gene}\t{row}\n"));
    }
    for (line, reason) in &r.warnings {
        s.push_str(&format!("W\t{gene}\t{line}\t{reason}\n"));
    }
    s.push_str(&format!("D\t{gene}\n"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_finished_genes_and_drops_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = GeneLog::open(dir.path(), "job.log").unwrap();
        let r = GeneResult { rows: vec!["a\tb".into()], warnings: [(7, "ref_mismatch".into())].into() };
        log.append(3, r.clone()).unwrap();
        drop(log);
        let path = dir.path().join("job.log");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("R\t4\tx\ty\nR\t5\tto"); // gene 4 unfinished, then a torn line
        std::fs::write(&path, text).unwrap();
        let log = GeneLog::open(dir.path(), "job.log").unwrap();
        assert!(log.is_done(3) && !log.is_done(4) && !log.is_done(5));
        assert_eq!(log.result(3), Some(&r));
    }
}
