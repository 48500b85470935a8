//! Plain-text and JSON rendering of rows of metrics.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::RegressionMetrics;

/// The fixed leading columns; extra columns follow in order of first appearance.
const FIXED_HEADERS: [&str; 6] = ["label", "n", "MSE", "MAE", "Pearson", "R²"];

/// One labelled row: regression metrics plus values for some of the table's extra columns.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    label: String,
    metrics: RegressionMetrics,
    /// Indexed like `MetricsTable::extra_columns`; `None` where this row gave no value.
    extras: Vec<Option<f64>>,
}

/// Rows of (label, [`RegressionMetrics`], extra named values such as "mask ratio" or "AUPRC"),
/// rendered as an aligned plain-text table (via `Display`) or serialised as a JSON array of
/// objects.
///
/// Columns: label, n, MSE, MAE, Pearson, R², then each extra name in order of first appearance.
/// Numbers have 4 decimals (NaN prints as `NaN`); a row without a value for an extra column shows
/// `-`. The label column is left-aligned, the others right-aligned, two spaces apart, and a rule
/// of dashes follows the header. The output depends only on the rows pushed.
///
/// ```
/// use seq2exp_models::metrics::{regression_metrics, MetricsTable};
/// let m = regression_metrics(&[1.0f32, 2.0, 3.0], &[1.0f32, 2.0, 4.0]);
/// let mut table = MetricsTable::new();
/// table.push("test", m, &[("AUPRC", 0.5)]);
/// let expected = "\
/// label  n     MSE     MAE  Pearson      R²   AUPRC
/// -----  -  ------  ------  -------  ------  ------
/// test   3  0.3333  0.3333   0.9820  0.7857  0.5000
/// ";
/// assert_eq!(table.to_string(), expected);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsTable {
    extra_columns: Vec<String>,
    rows: Vec<Row>,
}

impl MetricsTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a row. An extra name not seen before adds a column (earlier rows show `-` there);
    /// a name repeated within `extras` keeps its last value.
    pub fn push(&mut self, label: impl Into<String>, metrics: RegressionMetrics, extras: &[(&str, f64)]) -> &mut Self {
        let mut values = vec![None; self.extra_columns.len()];
        for &(name, value) in extras {
            let col = match self.extra_columns.iter().position(|c| c == name) {
                Some(col) => col,
                None => {
                    self.extra_columns.push(name.to_owned());
                    values.push(None);
                    self.extra_columns.len() - 1
                }
            };
            values[col] = Some(value);
        }
        self.rows.push(Row { label: label.into(), metrics, extras: values });
        self
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The header and each row as cell strings, all of the same length.
    fn cells(&self) -> Vec<Vec<String>> {
        let header = FIXED_HEADERS.iter().map(|h| h.to_string()).chain(self.extra_columns.iter().cloned()).collect();
        let mut lines = vec![header];
        for row in &self.rows {
            let m = &row.metrics;
            let mut cells = vec![row.label.clone(), m.n.to_string()];
            cells.extend([m.mse, m.mae, m.pearson, m.r2].map(fmt_value));
            // Rows pushed before a column existed have fewer extras: pad with `-`.
            cells.extend(
                (0..self.extra_columns.len())
                    .map(|i| row.extras.get(i).copied().flatten().map_or("-".into(), fmt_value)),
            );
            lines.push(cells);
        }
        lines
    }
}

fn fmt_value(x: f64) -> String {
    format!("{x:.4}")
}

impl fmt::Display for MetricsTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.cells();
        // Widths in chars, not bytes: "R²" is 2 wide ("²" is 2 bytes), and `{:>w$}` pads by chars.
        let mut widths = vec![0usize; lines[0].len()];
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        let with_rule = std::iter::once(&lines[0]).chain([&rule]).chain(&lines[1..]);
        for line in with_rule {
            for (i, (cell, &w)) in line.iter().zip(&widths).enumerate() {
                match i {
                    0 => write!(f, "{cell:<w$}")?,
                    _ => write!(f, "  {cell:>w$}")?,
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// A JSON array with one object per row: `label`, the fields of [`RegressionMetrics`], then the
/// row's extra values under their column names (absent ones omitted; NaN becomes `null`).
impl Serialize for MetricsTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        for row in &self.rows {
            seq.serialize_element(&RowJson { table: self, row })?;
        }
        seq.end()
    }
}

struct RowJson<'a> {
    table: &'a MetricsTable,
    row: &'a Row,
}

impl Serialize for RowJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = &self.row.metrics;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("label", &self.row.label)?;
        map.serialize_entry("n", &m.n)?;
        map.serialize_entry("n_skipped", &m.n_skipped)?;
        map.serialize_entry("mse", &m.mse)?;
        map.serialize_entry("mae", &m.mae)?;
        map.serialize_entry("pearson", &m.pearson)?;
        map.serialize_entry("r2", &m.r2)?;
        for (name, value) in self.table.extra_columns.iter().zip(&self.row.extras) {
            if let Some(v) = value {
                map.serialize_entry(name, v)?;
            }
        }
        map.end()
    }
}
