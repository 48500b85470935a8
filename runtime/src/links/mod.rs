//! Enhancer–gene links: the ABC-shaped links table ([`table`]), CRISPRi screens and planted truth as
//! ground truth ([`crispr`]), and the evaluation of link scores against them ([`eval`]) as EngreitzLab's
//! CRISPR_comparison benchmark computes it (matching by cell type, chromosome, gene and closed-interval
//! overlap; aggregation per tested pair; fill for untested predictions; PR table, trapezoid AUPRC and
//! precision at 70% recall).
//!
//! Readers take plain or gzipped text and report problems as `FILE: line N: …` (or `FILE: column …`);
//! they never panic on bad input.

pub mod crispr;
pub mod delete;
pub mod eval;
pub mod table;

use std::io::Read;
use std::path::Path;

use crate::output::OutputError;

/// The text of `path`, gunzipped when it starts with the gzip magic bytes (multi-member files too).
pub fn read_text(path: &Path) -> Result<String, OutputError> {
    let bytes = std::fs::read(path).map_err(|e| OutputError::io(path, e))?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| OutputError::invalid(path.display(), format!("not a readable gzip file: {e}")))?;
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|e| OutputError::invalid(path.display(), format!("not UTF-8 text: {e}")))
}

/// Chromosome names as every seq2exp file spells them (`22` → `chr22`, `MT` → `chrM`).
pub use seq2exp_formats::chrom::normalise as normalise_chrom;

/// A gene id without its version suffix (`ENSG00000100012.9` → `ENSG00000100012`); symbols unchanged.
pub fn strip_version(id: &str) -> &str {
    match id.rsplit_once('.') {
        Some((base, v)) if !base.is_empty() && !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) => base,
        _ => id,
    }
}

/// Header-indexed, tab-separated lines of one file; errors name the file, the line and the column.
pub(crate) struct Tsv<'a> {
    pub path: &'a Path,
    pub header: Vec<&'a str>,
    /// (1-based line number, fields) of every non-empty, non-comment data line.
    pub rows: Vec<(usize, Vec<&'a str>)>,
}

impl<'a> Tsv<'a> {
    /// Splits `text` on tabs; the first non-empty line is the header (a leading `#` is dropped from it).
    /// Lines starting with `#` after the header are skipped.
    pub fn parse(path: &'a Path, text: &'a str) -> Result<Self, OutputError> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let (_, head) = lines.next().ok_or_else(|| OutputError::invalid(path.display(), "empty file"))?;
        let head = head.strip_prefix('#').unwrap_or(head);
        let header: Vec<&str> = head.trim_end_matches('\r').split('\t').map(str::trim).collect();
        let mut rows = Vec::new();
        for (i, line) in lines {
            if line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
            if fields.len() != header.len() {
                return Err(OutputError::invalid(
                    format!("{}: line {}", path.display(), i + 1),
                    format!("{} columns where the header has {}", fields.len(), header.len()),
                ));
            }
            rows.push((i + 1, fields));
        }
        Ok(Self { path, header, rows })
    }

    /// The index of each of `names` in the header; one error listing every missing column.
    pub fn columns<const N: usize>(&self, names: [&str; N]) -> Result<[usize; N], OutputError> {
        let missing: Vec<&str> = names.iter().copied().filter(|n| self.column(n).is_none()).collect();
        if !missing.is_empty() {
            return Err(OutputError::invalid(
                self.path.display(),
                format!("missing required column(s) {} (header: {})", missing.join(", "), self.header.join(" ")),
            ));
        }
        Ok(names.map(|n| self.column(n).unwrap_or(0)))
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| *h == name)
    }

    /// `FILE: line N, column NAME` for error messages.
    pub fn place(&self, line: usize, col: usize) -> String {
        format!("{}: line {line}, column {}", self.path.display(), self.header.get(col).copied().unwrap_or("?"))
    }
}

/// Parses one field, the error naming the file, line and column and quoting the value.
pub(crate) fn parse_field<T: std::str::FromStr>(
    t: &Tsv,
    line: usize,
    col: usize,
    value: &str,
    what: &str,
) -> Result<T, OutputError> {
    value
        .trim()
        .parse()
        .map_err(|_| OutputError::invalid(t.place(line, col), format!("{what}: cannot parse {value:?}")))
}

/// A score: a number, or `NA`/empty (missing, `None`).
pub(crate) fn parse_score(t: &Tsv, line: usize, col: usize, value: &str) -> Result<Option<f64>, OutputError> {
    match value.trim() {
        "" | "NA" | "NaN" | "nan" => Ok(None),
        v => parse_field(t, line, col, v, "expected a number").map(Some),
    }
}
