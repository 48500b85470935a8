//! Ground truth for link evaluation, and the workflow's side files:
//!
//! - CRISPRi screens in the EPCrisprBenchmark format ([`read_crispr`]): `chrom chromStart chromEnd
//!   measuredGeneSymbol ValidConnection CellType Regulated` required (`name` used when present),
//!   coordinates taken as written (the benchmark's R code builds closed `IRanges(chromStart, chromEnd)`
//!   from them without converting the 0-based start);
//! - planted truth of simulated genomes ([`read_truth`]): data-prep's `truth.bed` (column 4 the gene,
//!   every row a positive) or `elements.bed` (column 4 `GENE:kind`, positives the `causal` ones);
//! - a TSS universe BED such as `CollapsedGeneBounds.hg38.TSS500bp.bed` ([`read_bed4`]);
//! - a cell-type map, two whitespace-separated columns `experiment predictions` ([`read_cell_type_map`]).

use std::collections::HashMap;
use std::path::Path;

use super::{parse_field, read_text, Tsv};
use crate::output::OutputError;

/// One row of a CRISPRi screen.
#[derive(Debug, Clone, PartialEq)]
pub struct CrisprPair {
    pub chrom: String,
    pub start: i64,
    pub end: i64,
    pub name: String,
    pub gene: String,
    pub cell_type: String,
    /// `ValidConnection == "TRUE"` (the R code reads the column as text and compares it so).
    pub valid: bool,
    /// `Regulated`; `None` for `NA` (the workflow drops those pairs).
    pub regulated: Option<bool>,
}

fn parse_bool(value: &str) -> Option<Option<bool>> {
    match value.trim() {
        "TRUE" | "True" | "true" | "T" | "1" => Some(Some(true)),
        "FALSE" | "False" | "false" | "F" | "0" => Some(Some(false)),
        "" | "NA" => Some(None),
        _ => None,
    }
}

/// Reads a CRISPRi screen (plain or gzipped TSV with a header).
pub fn read_crispr(path: &Path) -> Result<Vec<CrisprPair>, OutputError> {
    let text = read_text(path)?;
    let t = Tsv::parse(path, &text)?;
    let c = t.columns([
        "chrom",
        "chromStart",
        "chromEnd",
        "measuredGeneSymbol",
        "ValidConnection",
        "CellType",
        "Regulated",
    ])?;
    let name_col = t.column("name");
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, f) in &t.rows {
        let line = *line;
        let int = |k: usize| parse_field::<i64>(&t, line, c[k], f[c[k]], "expected an integer coordinate");
        let (start, end) = (int(1)?, int(2)?);
        if start > end {
            return Err(OutputError::invalid(
                format!("{}: line {line}", path.display()),
                format!("chromStart {start} > chromEnd {end}"),
            ));
        }
        let regulated = parse_bool(f[c[6]]).ok_or_else(|| {
            OutputError::invalid(t.place(line, c[6]), format!("expected TRUE/FALSE, not {:?}", f[c[6]]))
        })?;
        out.push(CrisprPair {
            chrom: f[c[0]].trim().to_string(),
            start,
            end,
            name: name_col.map_or_else(String::new, |k| f[k].trim().to_string()),
            gene: f[c[3]].trim().to_string(),
            cell_type: f[c[5]].trim().to_string(),
            valid: f[c[4]].trim() == "TRUE",
            regulated,
        });
    }
    Ok(out)
}

/// A BED row: chrom, 0-based start, end, name (column 4, empty for BED3) and the line number.
#[derive(Debug, Clone, PartialEq)]
pub struct BedRow {
    pub chrom: String,
    pub start: i64,
    pub end: i64,
    pub name: String,
    pub line: usize,
}

/// Reads the first four columns of a BED file (whitespace-separated; `#`, `track` and `browser` lines
/// skipped, so a `#chr start end …` header is fine). `start > end` or a non-integer coordinate is an
/// error naming the file and line.
pub fn read_bed4(path: &Path) -> Result<Vec<BedRow>, OutputError> {
    let text = read_text(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with("track") || l.starts_with("browser") {
            continue;
        }
        let place = || format!("{}: line {}", path.display(), i + 1);
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 3 {
            return Err(OutputError::invalid(place(), format!("{} columns; BED needs at least 3", f.len())));
        }
        let int = |k: usize, what: &str| {
            f[k].parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| OutputError::invalid(place(), format!("{what}: cannot parse {:?}", f[k])))
        };
        let (start, end) = (int(1, "column 2 (start)")?, int(2, "column 3 (end)")?);
        if start > end {
            return Err(OutputError::invalid(place(), format!("start {start} > end {end}")));
        }
        out.push(BedRow {
            chrom: f[0].to_string(),
            start,
            end,
            name: f.get(3).map_or_else(String::new, |s| s.to_string()),
            line: i + 1,
        });
    }
    Ok(out)
}

/// One planted pair: an element, its gene (version stripped) and whether it is causal for that gene.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthPair {
    pub chrom: String,
    pub start: i64,
    pub end: i64,
    pub name: String,
    pub gene: String,
    pub positive: bool,
}

/// Reads data-prep's `truth.bed` (column 4 the gene id: every row is a causal pair) or `elements.bed`
/// (column 4 `GENE:kind`: the element paired with its own gene, positive when kind is `causal`).
pub fn read_truth(path: &Path) -> Result<Vec<TruthPair>, OutputError> {
    let rows = read_bed4(path)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if r.name.is_empty() {
            return Err(OutputError::invalid(
                format!("{}: line {}", path.display(), r.line),
                "no column 4 (the gene, or GENE:kind)",
            ));
        }
        let (gene, positive) = match r.name.split_once(':') {
            Some((g, kind)) => (g, kind == "causal"),
            None => (r.name.as_str(), true),
        };
        out.push(TruthPair {
            gene: super::strip_version(gene).to_string(),
            chrom: r.chrom,
            start: r.start,
            end: r.end,
            positive,
            name: r.name.clone(),
        });
    }
    Ok(out)
}

/// Reads a cell-type map: whitespace-separated `experiment predictions` columns (a header naming them
/// is optional; by name when present). Returns prediction cell type → experiment cell type. As in the
/// workflow (`qcCellMapping`), each cell type may appear only once on either side.
pub fn read_cell_type_map(path: &Path) -> Result<HashMap<String, String>, OutputError> {
    let text = read_text(path)?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')).peekable();
    let (mut ie, mut ip) = (0, 1);
    if let Some((_, head)) = lines.peek() {
        let h: Vec<&str> = head.split_whitespace().collect();
        if let (Some(e), Some(p)) =
            (h.iter().position(|c| *c == "experiment"), h.iter().position(|c| *c == "predictions"))
        {
            (ie, ip) = (e, p);
            lines.next();
        }
    }
    let (mut map, mut seen_expt) = (HashMap::new(), std::collections::HashSet::new());
    for (i, line) in lines {
        let place = || format!("{}: line {}", path.display(), i + 1);
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(e), Some(p)) = (f.get(ie), f.get(ip)) else {
            return Err(OutputError::invalid(place(), "expected two columns: experiment predictions"));
        };
        if !seen_expt.insert(e.to_string()) || map.insert(p.to_string(), e.to_string()).is_some() {
            return Err(OutputError::invalid(place(), "only unique cell type mappings are allowed"));
        }
    }
    Ok(map)
}
