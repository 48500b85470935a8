//! `predictions.tsv` through the runtime's reader (the format's one home), as a map by gene id.

use std::collections::HashMap;
use std::path::Path;

use seq2exp_formats::error::InputError;

/// Prediction per gene id (version suffix kept as written). Errors name the file and the line.
pub fn read_predictions(path: &Path) -> anyhow::Result<HashMap<String, f64>> {
    let rows = seq2exp_runtime::output::predictions::read_predictions(path)?;
    let mut out = HashMap::with_capacity(rows.len());
    for (n, row) in rows.into_iter().enumerate() {
        if out.insert(row.gene_id.clone(), row.prediction).is_some() {
            // Rows follow the header: data row n is line n + 2.
            return Err(InputError::line(path, n + 2, format!("gene {} appears twice", row.gene_id)).into());
        }
    }
    Ok(out)
}
