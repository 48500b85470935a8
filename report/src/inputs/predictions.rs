//! `predictions.tsv` as `runtime predict` writes it: a header naming at least `gene_id` and
//! `prediction`, one gene per line.

use std::collections::HashMap;
use std::path::Path;

use seq2exp_formats::error::InputError;

/// Prediction per gene id (version suffix kept as written). Errors name the file and the line.
pub fn read_predictions(path: &Path) -> anyhow::Result<HashMap<String, f64>> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, e))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<&str> = match lines.next() {
        Some((_, l)) => l.split('\t').map(str::trim).collect(),
        None => return Err(InputError::new(path, "empty file (expected a header with gene_id and prediction)").into()),
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| InputError::line(path, 1, format!("no `{name}` column (header: {})", header.join(" "))))
    };
    let (gi, pi) = (col("gene_id")?, col("prediction")?);
    let mut out = HashMap::new();
    for (n, line) in lines {
        let cols: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        let (Some(id), Some(p)) = (cols.get(gi), cols.get(pi)) else {
            return Err(InputError::line(
                path,
                n + 1,
                format!("expected {} columns, found {}", header.len(), cols.len()),
            )
            .into());
        };
        let v: f64 =
            p.trim().parse().map_err(|_| InputError::line(path, n + 1, format!("prediction '{p}' is not a number")))?;
        if out.insert(id.to_string(), v).is_some() {
            return Err(InputError::line(path, n + 1, format!("gene {id} appears twice")).into());
        }
    }
    if out.is_empty() {
        return Err(InputError::new(path, "no predictions").into());
    }
    Ok(out)
}
