//! BED3 … BED6+ and narrowPeak (BED6+4) intervals: blacklists, peak calls, gene bounds.
//!
//! Parsed by splitting on tabs rather than with noodles-bed: its reader skips comment lines internally
//! (so line numbers for errors are lost), fixes the column count at compile time, and only accepts
//! integer scores 0–65535, while real files carry float scores (MACS, bedGraph-like BEDs) and headers
//! such as ABC's `#chr start end …`. Lines starting with `#`, `track` or `browser` are skipped, as is a
//! first line whose start column is not a number (a header without `#`).
//!
//! A file whose name ends in `.narrowPeak` (optionally `.gz`) must have the 10 narrowPeak columns; they
//! land in [`Interval::peak`]. For other files, columns after the sixth are kept as text in
//! [`Interval::rest`].
//!
//! [`BedWriter`] writes rows the same way: tab-separated, 0-based half-open, extra columns as given.

use std::fmt::Display;
use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use crate::chrom::normalise;
use crate::error::{InputError, IoContext, Result};
use crate::genes::Strand;
use crate::text::{base_name_lower, open_text, trim_eol};

/// The four narrowPeak columns after BED6. `-1` means "not computed" in the format.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NarrowPeak {
    pub signal_value: f64,
    pub p_value: f64,
    pub q_value: f64,
    /// Summit offset from `start` (0-based), or −1.
    pub peak: i64,
}

/// One BED interval: 0-based, half-open, canonical chromosome name.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub chrom: String,
    pub start: u64,
    pub end: u64,
    pub name: Option<String>,
    /// Column 5 (`.` → `None`).
    pub score: Option<f64>,
    /// Column 6 (`.` or absent → `None`).
    pub strand: Option<Strand>,
    /// narrowPeak columns 7–10, for `.narrowPeak` files.
    pub peak: Option<NarrowPeak>,
    /// Columns after the sixth, as text, for files that are not narrowPeak.
    pub rest: Vec<String>,
}

/// Reads all intervals of a BED or narrowPeak file (gzip allowed), in file order.
/// Errors name the line: too few columns, non-integer coordinates, end < start, bad score or strand.
pub fn read_intervals(path: impl AsRef<Path>) -> Result<Vec<Interval>> {
    let path = path.as_ref();
    let narrow = base_name_lower(path).ends_with(".narrowpeak");
    let mut reader = open_text(path)?;
    let mut out = Vec::new();
    let (mut buf, mut line_no, mut seen_data) = (String::new(), 0usize, false);
    loop {
        buf.clear();
        if reader.read_line(&mut buf).file_ctx(path)? == 0 {
            break;
        }
        line_no += 1;
        let line = trim_eol(&buf);
        if is_skippable(line) {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if !seen_data && fields.len() >= 3 && fields[1].trim().parse::<u64>().is_err() {
            seen_data = true; // a header without '#'
            continue;
        }
        seen_data = true;
        out.push(parse_fields(&fields, narrow).map_err(|m| InputError::line(path, line_no, m))?);
    }
    Ok(out)
}

fn is_skippable(line: &str) -> bool {
    line.trim().is_empty() || line.starts_with('#') || line.starts_with("track") || line.starts_with("browser")
}

fn parse_fields(f: &[&str], narrow: bool) -> Result<Interval, String> {
    if f.len() < 3 {
        return Err(format!("expected at least 3 tab-separated columns (chrom, start, end), found {}", f.len()));
    }
    let start = parse_coord(f[1], "start")?;
    let end = parse_coord(f[2], "end")?;
    if end < start {
        return Err(format!("end {end} is before start {start}"));
    }
    let name = f.get(3).map(|s| s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
    let score = match f.get(4).map(|s| s.trim()) {
        None | Some(".") | Some("") => None,
        Some(s) => Some(s.parse::<f64>().map_err(|_| format!("score '{s}' is not a number"))?),
    };
    let strand = match f.get(5).map(|s| s.trim()) {
        None | Some(".") | Some("") => None,
        Some(s) => Some(Strand::parse(s).ok_or_else(|| format!("strand '{s}' is not +, - or ."))?),
    };
    let (peak, rest) = if narrow {
        (Some(parse_narrow_peak(f)?), Vec::new())
    } else {
        (None, f.iter().skip(6).map(|s| s.to_string()).collect())
    };
    Ok(Interval { chrom: normalise(f[0]), start, end, name, score, strand, peak, rest })
}

fn parse_coord(s: &str, what: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| format!("{what} '{s}' is not a non-negative integer"))
}

fn parse_narrow_peak(f: &[&str]) -> Result<NarrowPeak, String> {
    if f.len() < 10 {
        return Err(format!("narrowPeak needs 10 columns, found {}", f.len()));
    }
    let num =
        |i: usize, what: &str| f[i].trim().parse::<f64>().map_err(|_| format!("{what} '{}' is not a number", f[i]));
    let peak = f[9].trim().parse::<i64>().map_err(|_| format!("peak offset '{}' is not an integer", f[9]))?;
    Ok(NarrowPeak {
        signal_value: num(6, "signalValue")?,
        p_value: num(7, "pValue")?,
        q_value: num(8, "qValue")?,
        peak,
    })
}

/// Writes BED rows (chromosome, 0-based start, end, then any further columns) to `W`.
pub struct BedWriter<W: Write> {
    inner: W,
}

impl BedWriter<BufWriter<File>> {
    /// A buffered writer creating (or truncating) `path`.
    pub fn create(path: &Path) -> Result<Self> {
        Ok(Self::new(BufWriter::new(File::create(path).file_ctx(path)?)))
    }
}

impl<W: Write> BedWriter<W> {
    pub fn new(inner: W) -> Self {
        Self { inner }
    }

    /// One row; `rest` are the columns after `end`, in order.
    pub fn write_row(&mut self, chrom: &str, start: u64, end: u64, rest: &[&dyn Display]) -> std::io::Result<()> {
        write!(self.inner, "{chrom}\t{start}\t{end}")?;
        for field in rest {
            write!(self.inner, "\t{field}")?;
        }
        writeln!(self.inner)
    }

    /// Flushes and hands back the underlying writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.inner.flush()?;
        Ok(self.inner)
    }
}

/// A BED score (column 5): an integer 0–1000 as the spec requires.
pub fn score(x: f64) -> u32 {
    x.round().clamp(0.0, 1000.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bed3_and_bed6() {
        let i = parse_fields(&["1", "10", "20"], false).unwrap();
        assert_eq!((i.chrom.as_str(), i.start, i.end, i.name, i.score, i.strand), ("chr1", 10, 20, None, None, None));
        let i = parse_fields(&["chrX", "0", "5", "a", "1.5", "-", "x"], false).unwrap();
        assert_eq!((i.score, i.strand, i.rest), (Some(1.5), Some(Strand::Minus), vec!["x".to_string()]));
        assert!(parse_fields(&["chr1", "20", "10"], false).unwrap_err().contains("before start"));
        assert!(parse_fields(&["chr1", "x", "10"], false).unwrap_err().contains("start 'x'"));
        assert!(parse_fields(&["chr1", "1", "10", "n", "0", "."], true).unwrap_err().contains("10 columns"));
    }
}
