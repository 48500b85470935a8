//! The links table (`links.tsv`): one enhancer–gene link per row in the shape of ABC's
//! `EnhancerPredictions` files, so CRISPR_comparison and `runtime eval-links` read it unchanged, plus
//! three columns of ours:
//!
//! `chr start end name class TargetGene TargetGeneTSS CellType Score delta mask_mean distance TargetGeneEnsemblID`
//!
//! `start`/`end` are 0-based, half-open (BED) as ABC writes them; `Score` is the link score (higher =
//! stronger), `delta` the predicted change in expression when the element is removed, `mask_mean` the
//! mean mask over the element and `distance` the element midpoint minus the TSS (bases). Missing
//! numbers are written `NA`. [`write_links`] writes atomically; [`read_links`] reads it back exactly;
//! [`read_predictions`] reads any ABC-shaped table (plain or gzipped) for one score column.

use std::path::Path;

use super::{parse_field, parse_score, read_text, Tsv};
use crate::output::OutputError;

/// Columns of `links.tsv`, in order.
pub const LINK_COLUMNS: [&str; 13] = [
    "chr",
    "start",
    "end",
    "name",
    "class",
    "TargetGene",
    "TargetGeneTSS",
    "CellType",
    "Score",
    "delta",
    "mask_mean",
    "distance",
    "TargetGeneEnsemblID",
];

/// One row of `links.tsv`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRow {
    pub chr: String,
    pub start: u64,
    pub end: u64,
    pub name: String,
    pub class: String,
    pub target_gene: String,
    pub target_gene_tss: u64,
    pub cell_type: String,
    pub score: f64,
    pub delta: f64,
    pub mask_mean: f64,
    pub distance: i64,
    /// The gene's id (ABC's `TargetGeneEnsemblID`), which planted truth and expression tables use.
    pub target_gene_id: String,
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "NA".to_string()
    } else {
        format!("{x}")
    }
}

/// The text of a links table: header, then one line per row (no tabs or newlines allowed in names).
pub fn format_links(rows: &[LinkRow]) -> Result<String, OutputError> {
    let mut text = LINK_COLUMNS.join("\t") + "\n";
    for (i, r) in rows.iter().enumerate() {
        for (what, s) in [("chr", &r.chr), ("name", &r.name), ("class", &r.class), ("TargetGene", &r.target_gene)]
            .into_iter()
            .chain([("CellType", &r.cell_type)])
        {
            if s.is_empty() || s.contains(['\t', '\n', '\r']) {
                return Err(OutputError::invalid(
                    format!("link {}", i + 1),
                    format!("{what} {s:?} is empty or holds a tab or newline"),
                ));
            }
        }
        if r.start > r.end {
            return Err(OutputError::invalid(format!("link {} ({})", i + 1, r.name), "start > end"));
        }
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            r.chr,
            r.start,
            r.end,
            r.name,
            r.class,
            r.target_gene,
            r.target_gene_tss,
            r.cell_type,
            num(r.score),
            num(r.delta),
            num(r.mask_mean),
            r.distance,
            r.target_gene_id
        ));
    }
    Ok(text)
}

/// Writes `rows` to `path` atomically (temporary sibling, sync, rename): the file is absent or complete.
pub fn write_links(path: &Path, rows: &[LinkRow]) -> Result<(), OutputError> {
    let text = format_links(rows)?;
    seq2exp_store::output::write_file(path, text).map_err(|e| OutputError::io(path, e))
}

/// Reads a links table written by [`write_links`] (plain or gzipped); columns are found by name, so
/// extra columns are ignored. Errors name the file, line and column.
pub fn read_links(path: &Path) -> Result<Vec<LinkRow>, OutputError> {
    let text = read_text(path)?;
    let t = Tsv::parse(path, &text)?;
    let c = t.columns(LINK_COLUMNS)?;
    let mut rows = Vec::with_capacity(t.rows.len());
    for (line, f) in &t.rows {
        let line = *line;
        let float = |k: usize| parse_score(&t, line, c[k], f[c[k]]).map(|v| v.unwrap_or(f64::NAN));
        let int = |k: usize| parse_field::<u64>(&t, line, c[k], f[c[k]], "expected a non-negative integer");
        let (start, end) = (int(1)?, int(2)?);
        if start > end {
            return Err(OutputError::invalid(
                format!("{}: line {line}", path.display()),
                format!("start {start} > end {end}"),
            ));
        }
        rows.push(LinkRow {
            chr: f[c[0]].trim().to_string(),
            start,
            end,
            name: f[c[3]].trim().to_string(),
            class: f[c[4]].trim().to_string(),
            target_gene: f[c[5]].trim().to_string(),
            target_gene_tss: int(6)?,
            cell_type: f[c[7]].trim().to_string(),
            score: float(8)?,
            delta: float(9)?,
            mask_mean: float(10)?,
            distance: parse_field(&t, line, c[11], f[c[11]], "expected an integer")?,
            target_gene_id: f[c[12]].trim().to_string(),
        });
    }
    Ok(rows)
}

/// One predicted link of an ABC-shaped table, reduced to what the evaluation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// As written in the file (normalised only when matching).
    pub chr: String,
    pub start: i64,
    pub end: i64,
    pub name: String,
    pub target_gene: String,
    /// `TargetGeneEnsemblID` where the file has it (and not `NA`): planted truth names genes by id.
    pub target_gene_id: Option<String>,
    pub cell_type: String,
    /// `None` where the file says `NA` (CRISPR_comparison fills those with the fill value).
    pub score: Option<f64>,
}

/// Reads the predictions of an ABC-shaped table (`chr start end name TargetGene CellType` and
/// `score_col` required, any other columns ignored; plain or gzipped). `start > end`, a non-integer
/// coordinate or an unparsable score is an error naming the file, line and column.
pub fn read_predictions(path: &Path, score_col: &str) -> Result<Vec<Prediction>, OutputError> {
    let text = read_text(path)?;
    let t = Tsv::parse(path, &text)?;
    let c = t.columns(["chr", "start", "end", "name", "TargetGene", "CellType", score_col])?;
    let id_col = t.column("TargetGeneEnsemblID");
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, f) in &t.rows {
        let line = *line;
        let int = |k: usize| parse_field::<i64>(&t, line, c[k], f[c[k]], "expected an integer coordinate");
        let (start, end) = (int(1)?, int(2)?);
        if start > end {
            return Err(OutputError::invalid(
                format!("{}: line {line}", path.display()),
                format!("start {start} > end {end}"),
            ));
        }
        out.push(Prediction {
            chr: f[c[0]].trim().to_string(),
            start,
            end,
            name: f[c[3]].trim().to_string(),
            target_gene: f[c[4]].trim().to_string(),
            target_gene_id: id_col.map(|k| f[k].trim()).filter(|v| !v.is_empty() && *v != "NA").map(String::from),
            cell_type: f[c[5]].trim().to_string(),
            score: parse_score(&t, line, c[6], f[c[6]])?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: u64) -> LinkRow {
        LinkRow {
            chr: "chr22".into(),
            start: 100 * i,
            end: 100 * i + 50,
            name: format!("GENE{i}:causal"),
            class: "distal".into(),
            target_gene: format!("GENE{i}"),
            target_gene_tss: 5000 + i,
            cell_type: "K562".into(),
            score: 0.1 * i as f64 + 1e-17,
            delta: if i == 1 { f64::NAN } else { -0.25 * i as f64 },
            mask_mean: 1.0 / 3.0,
            distance: -(i as i64) * 1000,
            target_gene_id: format!("ENSG{i}"),
        }
    }

    #[test]
    fn links_round_trip_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("links.tsv");
        let rows: Vec<LinkRow> = (0..4).map(row).collect();
        write_links(&path, &rows).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().next().unwrap(), LINK_COLUMNS.join("\t"));
        assert!(text.lines().nth(2).unwrap().contains("\tNA\t"), "NaN delta is written NA");
        let back = read_links(&path).unwrap();
        assert_eq!(back.len(), 4);
        for (a, b) in rows.iter().zip(&back) {
            assert_eq!(a.score.to_bits(), b.score.to_bits());
            assert_eq!(a.delta.is_nan(), b.delta.is_nan());
            if !a.delta.is_nan() {
                assert_eq!(a.delta, b.delta);
            }
            assert_eq!((&a.chr, a.start, a.end, &a.name, a.distance), (&b.chr, b.start, b.end, &b.name, b.distance));
        }
        // The same file reads as predictions of its Score column.
        let p = read_predictions(&path, "Score").unwrap();
        assert_eq!(p[2].score, Some(rows[2].score));
        assert_eq!(p[3].target_gene, "GENE3");
    }

    #[test]
    fn bad_rows_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("links.tsv");
        let mut r = row(1);
        r.start = r.end + 1;
        assert!(write_links(&path, &[r]).is_err());
        let mut r = row(1);
        r.name = "a\tb".into();
        assert!(write_links(&path, &[r]).is_err());
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no temporary left behind");
    }

    #[test]
    fn reader_errors_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad_links.tsv");
        let mut text = format_links(&[row(1), row(2)]).unwrap();
        text = text.replacen("\t0.2", "\tzero.two", 1);
        std::fs::write(&path, &text).unwrap();
        let e = read_links(&path).unwrap_err().to_string();
        assert!(e.contains("bad_links.tsv") && e.contains("line 3") && e.contains("Score"), "{e}");
        std::fs::write(&path, "chr\tstart\tend\tname\n").unwrap();
        let e = read_links(&path).unwrap_err().to_string();
        assert!(e.contains("bad_links.tsv") && e.contains("TargetGene"), "{e}");
    }
}
