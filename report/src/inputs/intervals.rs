//! BED intervals by chromosome — planted truth, planted elements with their kind, DNase peaks, called
//! elements — and their view through one gene's window.

use std::collections::HashMap;
use std::path::Path;

use seq2exp_formats::bed::read_intervals;

/// One interval with a label: the BED name (truth: the gene; called elements: the gene), or the kind
/// after the last ':' of the name (planted elements: `GENE:causal|open_decoy|motif_decoy`).
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub start: u64,
    pub end: u64,
    pub label: String,
}

/// Intervals per (canonical) chromosome, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntervalSet {
    by_chrom: HashMap<String, Vec<Labelled>>,
    len: usize,
}

/// How to label each interval of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// The BED name (column 4), empty when absent.
    Name,
    /// The part of the name after its last ':' (the simulator's element kinds).
    Kind,
}

impl IntervalSet {
    /// Reads a BED or narrowPeak file (errors name the file and line).
    pub fn read(path: &Path, label: Label) -> anyhow::Result<Self> {
        let mut set = Self::default();
        for iv in read_intervals(path)? {
            let name = iv.name.unwrap_or_default();
            let label = match label {
                Label::Name => name,
                Label::Kind => name.rsplit(':').next().unwrap_or_default().to_string(),
            };
            set.by_chrom.entry(iv.chrom).or_default().push(Labelled { start: iv.start, end: iv.end, label });
            set.len += 1;
        }
        Ok(set)
    }

    /// Number of intervals.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The intervals of `chrom`.
    pub fn on(&self, chrom: &str) -> &[Labelled] {
        self.by_chrom.get(chrom).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Per base of the window `[start, start + len)`: whether an interval covers it (as `trainer eval`
    /// labels bases).
    pub fn flags(&self, chrom: &str, start: i64, len: usize) -> Vec<bool> {
        let mut v = vec![false; len];
        for (a, b, _) in self.clipped(chrom, start, len) {
            v[a..b].iter_mut().for_each(|x| *x = true);
        }
        v
    }

    /// The intervals overlapping the window, as window offsets `[a, b)` with their label.
    pub fn clipped<'a>(&'a self, chrom: &str, start: i64, len: usize) -> impl Iterator<Item = (usize, usize, &'a str)> {
        self.on(chrom).iter().filter_map(move |iv| {
            let a = (iv.start as i64 - start).clamp(0, len as i64) as usize;
            let b = (iv.end as i64 - start).clamp(0, len as i64) as usize;
            (b > a).then_some((a, b, iv.label.as_str()))
        })
    }
}
