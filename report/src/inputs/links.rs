//! `links.tsv` (`runtime links`, ABC's EnhancerPredictions shape), kept as text: the report shows the
//! file's own columns. Rows are ranked by `Score`.

use std::path::Path;

use seq2exp_formats::error::InputError;

use super::intervals::IntervalSet;

/// The top rows of a links table.
#[derive(Debug, Clone, PartialEq)]
pub struct TopLinks {
    pub header: Vec<String>,
    /// The rows with the highest Score (NA last, ties in file order).
    pub rows: Vec<Vec<String>>,
    /// Rows in the file.
    pub total: usize,
    /// Per shown row, whether it is a planted causal pair (`None` without truth, or without the
    /// `chr`/`start`/`end` and gene columns to match on).
    pub causal: Option<Vec<bool>>,
}

/// Reads `path` and keeps its `top` rows by Score; with `truth`, marks each as planted causal when its
/// interval overlaps a truth interval named by its gene (`TargetGeneEnsemblID`, else `TargetGene`;
/// version suffixes ignored). Errors name the file and the line.
pub fn top_links(path: &Path, top: usize, truth: Option<&IntervalSet>) -> anyhow::Result<TopLinks> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, e))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with("##"));
    let Some((_, head)) = lines.next() else { return Err(InputError::new(path, "empty file").into()) };
    let header: Vec<String> = head.trim_start_matches('#').split('\t').map(|s| s.trim().to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let score = col("Score").ok_or_else(|| InputError::line(path, 1, "no `Score` column"))?;
    let mut rows: Vec<(f64, Vec<String>)> = Vec::new();
    for (n, line) in lines {
        let f: Vec<String> = line.trim_end_matches('\r').split('\t').map(str::to_string).collect();
        if f.len() != header.len() {
            let msg = format!("{} columns where the header has {}", f.len(), header.len());
            return Err(InputError::line(path, n + 1, msg).into());
        }
        let s = f[score].trim();
        let v = match s {
            "NA" | "nan" | "NaN" | "" => f64::NEG_INFINITY,
            _ => s.parse().map_err(|_| InputError::line(path, n + 1, format!("Score '{s}' is not a number")))?,
        };
        rows.push((v, f));
    }
    let total = rows.len();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0)); // stable: ties keep file order
    rows.truncate(top);
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, r)| r).collect();
    let gene = col("TargetGeneEnsemblID").or_else(|| col("TargetGene"));
    let causal = match (truth, col("chr"), col("start"), col("end"), gene) {
        (Some(t), Some(c), Some(s), Some(e), Some(g)) => {
            Some(rows.iter().map(|r| is_causal(t, r, [c, s, e, g])).collect())
        }
        _ => None,
    };
    Ok(TopLinks { header, rows, total, causal })
}

fn strip_version(id: &str) -> &str {
    match id.rsplit_once('.') {
        Some((base, v)) if !base.is_empty() && !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) => base,
        _ => id,
    }
}

/// Whether the link `[start, end)` on `chr` overlaps a truth interval of its gene (half-open).
fn is_causal(truth: &IntervalSet, row: &[String], [c, s, e, g]: [usize; 4]) -> bool {
    let (Ok(start), Ok(end)) = (row[s].trim().parse::<u64>(), row[e].trim().parse::<u64>()) else { return false };
    let chrom = seq2exp_formats::chrom::normalise(row[c].trim());
    let gene = strip_version(row[g].trim());
    truth.on(&chrom).iter().any(|t| strip_version(&t.label) == gene && t.start < end && start < t.end)
}
