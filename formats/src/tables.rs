//! CSV/TSV tables keyed by a gene id: expression targets (e.g. EPInformer's
//! `GM12878_K562_18377_gene_expr_fromXpresso.csv`, id column `ENSID`) and the eight mRNA features
//! (`mRNA_halflife_features.csv`). Ids are joined without their version suffix ([`strip_version`]),
//! because annotations carry `ENSG….N` and tables usually do not.
//!
//! The delimiter is `,` for `.csv`, tab for `.tsv`, otherwise whichever of tab/comma the header line
//! has more of. Files may be gzipped. Values must be finite numbers (Rust `f64` syntax, e.g. `1e-3`):
//! anything else (`NA`, empty, `nan`, `inf`, or a feature beyond f32's range) is an error naming the
//! line, the gene and the column, so missing or broken values are never silently turned into numbers.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use crate::error::{InputError, IoContext, Result};
use crate::text::{base_name_lower, open_text};

/// A gene id without its version: `ENSG00000141510.17` → `ENSG00000141510`. GENCODE's PAR copies keep
/// their suffix (`ENSG00000182378.14_PAR_Y` → `ENSG00000182378_PAR_Y`) so they do not collide with the
/// chrX copy. Only accession-like ids (letters, optional `_`, digits, then `.digits`) are changed; names
/// such as `RP11-34P13.1` are returned as given.
pub fn strip_version(id: &str) -> String {
    let Some(dot) = id.find('.') else { return id.to_string() };
    let (stem, rest) = (&id[..dot], &id[dot + 1..]);
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = &rest[digits..];
    if digits == 0 || !(tail.is_empty() || tail.starts_with('_')) || !is_accession(stem) {
        return id.to_string();
    }
    format!("{stem}{tail}")
}

fn is_accession(stem: &str) -> bool {
    let letters = stem.bytes().take_while(u8::is_ascii_alphabetic).count();
    let rest = stem[letters..].strip_prefix('_').unwrap_or(&stem[letters..]);
    letters > 0 && !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
}

/// Reads one numeric column keyed by `id_col` (version stripped).
///
/// Errors: unknown column (the message lists the available ones), a row with the wrong number of
/// fields or a non-numeric value (line number), the same id twice (both lines), an empty table.
pub fn read_value_table(path: impl AsRef<Path>, id_col: &str, value_col: &str) -> Result<HashMap<String, f64>> {
    let rows = read_columns(path.as_ref(), id_col, &[value_col])?;
    Ok(rows.into_iter().map(|(id, v)| (id, v[0])).collect())
}

/// Reads several numeric columns keyed by `id_col` (version stripped), in the order given; e.g. the
/// eight mRNA features `UTR5LEN_log10zscore`, `CDSLEN_log10zscore`, `INTRONLEN_log10zscore`,
/// `UTR3LEN_log10zscore`, `UTR5GC`, `CDSGC`, `UTR3GC`, `ORFEXONDENSITY`. Errors as [`read_value_table`].
pub fn read_feature_table(path: impl AsRef<Path>, id_col: &str, columns: &[&str]) -> Result<HashMap<String, Vec<f32>>> {
    let path = path.as_ref();
    let rows = read_columns(path, id_col, columns)?;
    let mut out = HashMap::with_capacity(rows.len());
    for (id, v) in rows {
        let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        if let Some(k) = v32.iter().position(|x| !x.is_finite()) {
            return Err(InputError::at(
                path,
                format!("gene {id}, column {}", columns[k]),
                format!("value {} is beyond the range of a 32-bit float", v[k]),
            ));
        }
        out.insert(id, v32);
    }
    Ok(out)
}

/// The delimiter of a table: by extension, else by counting in the header line.
pub(crate) fn sniff_delimiter(path: &Path) -> Result<u8> {
    let name = base_name_lower(path);
    if name.ends_with(".csv") {
        return Ok(b',');
    }
    if name.ends_with(".tsv") {
        return Ok(b'\t');
    }
    let mut first = String::new();
    open_text(path)?.read_line(&mut first).file_ctx(path)?;
    let (tabs, commas) = (first.matches('\t').count(), first.matches(',').count());
    Ok(if commas > tabs { b',' } else { b'\t' })
}

/// Finds a column: exact name first, then case-insensitively. Unknown → error listing the columns.
pub(crate) fn find_column(path: &Path, headers: &[String], want: &str) -> Result<usize> {
    let exact = headers.iter().position(|h| h == want);
    let found = exact.or_else(|| headers.iter().position(|h| h.eq_ignore_ascii_case(want)));
    found.ok_or_else(|| {
        InputError::line(path, 1, format!("unknown column '{want}'; the header has: {}", headers.join(", ")))
    })
}

fn read_columns(path: &Path, id_col: &str, value_cols: &[&str]) -> Result<HashMap<String, Vec<f64>>> {
    let delimiter = sniff_delimiter(path)?;
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(open_text(path)?);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => return Err(csv_error(path, e)),
    };
    let id_idx = find_column(path, &headers, id_col)?;
    let idx: Vec<usize> = value_cols.iter().map(|c| find_column(path, &headers, c)).collect::<Result<_>>()?;

    let mut out: HashMap<String, Vec<f64>> = HashMap::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let raw_id = record.get(id_idx).unwrap_or("").trim();
        if raw_id.is_empty() {
            return Err(InputError::line(path, line as usize, format!("empty id in column '{}'", headers[id_idx])));
        }
        let id = strip_version(raw_id);
        let values = idx
            .iter()
            .map(|&i| parse_value(path, line, &id, &headers[i], record.get(i).unwrap_or("")))
            .collect::<Result<Vec<_>>>()?;
        if let Some(prev) = first_line.insert(id.clone(), line) {
            return Err(InputError::line(path, line as usize, format!("duplicate id {id} (also on line {prev})")));
        }
        out.insert(id, values);
    }
    if out.is_empty() {
        return Err(InputError::new(path, "table has no data rows"));
    }
    Ok(out)
}

fn parse_value(path: &Path, line: u64, id: &str, column: &str, raw: &str) -> Result<f64> {
    let raw = raw.trim();
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(InputError::line(
            path,
            line as usize,
            format!(
                "gene {id}: value '{raw}' in column '{column}' is not a finite number (non-finite values are refused)"
            ),
        )),
        Err(_) => Err(InputError::line(
            path,
            line as usize,
            format!("gene {id}: non-numeric value '{raw}' in column '{column}'"),
        )),
    }
}

/// A csv error as an `InputError` at its line (csv reports wrong field counts with a position).
pub(crate) fn csv_error(path: &Path, e: csv::Error) -> InputError {
    let line = match e.kind() {
        csv::ErrorKind::UnequalLengths { pos: Some(p), .. } => Some(p.line()),
        csv::ErrorKind::Utf8 { pos: Some(p), .. } => Some(p.line()),
        csv::ErrorKind::Deserialize { pos: Some(p), .. } => Some(p.line()),
        _ => None,
    };
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("row has {len} fields, the header has {expected_len}")
        }
        _ => e.to_string(),
    };
    match line {
        Some(l) => InputError::line(path, l as usize, message),
        None => InputError::wrap(path, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_versions_only_from_accessions() {
        for (given, want) in [
            ("ENSG00000141510.17", "ENSG00000141510"),
            ("ENSG00000141510", "ENSG00000141510"),
            ("ENSG00000182378.14_PAR_Y", "ENSG00000182378_PAR_Y"),
            ("NM_000546.6", "NM_000546"),
            ("ENSMUSG00000000001.4", "ENSMUSG00000000001"),
            ("RP11-34P13.1", "RP11-34P13.1"),
            ("TP53", "TP53"),
            ("ENSG1.x", "ENSG1.x"),
        ] {
            assert_eq!(strip_version(given), want, "{given}");
        }
    }
}
