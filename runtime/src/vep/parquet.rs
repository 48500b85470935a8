//! `vep.parquet`: the rows of `vep.tsv` as a typed Parquet table, for pandas/polars/DuckDB users who
//! would otherwise re-parse the TSV. Written from the TSV text itself, so the two files cannot disagree and
//! `runtime merge` writes exactly what a single process writes.
//!
//! Schema, column for column as [`super::COLUMNS`]: the text columns as required UTF-8 strings; `pos` and
//! `tss_distance` as INT64; the three predictions as FLOAT (the model's f32, bit for bit); `mask_ref`,
//! `mask_alt` as optional FLOAT and `in_element` as optional BOOLEAN, null where the TSV says `NA` (models
//! without a mask). One row group, Snappy-compressed, no timestamps: the bytes depend on the rows alone.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, FloatType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::COLUMNS;
use crate::output::{write_atomic, OutputError};

pub const PARQUET_NAME: &str = "vep.parquet";

const SCHEMA: &str = "message vep {
  REQUIRED BYTE_ARRAY chrom (UTF8);
  REQUIRED INT64 pos;
  REQUIRED BYTE_ARRAY ref (UTF8);
  REQUIRED BYTE_ARRAY alt (UTF8);
  REQUIRED BYTE_ARRAY variant_id (UTF8);
  REQUIRED BYTE_ARRAY gene_id (UTF8);
  REQUIRED BYTE_ARRAY gene_name (UTF8);
  REQUIRED BYTE_ARRAY strand (UTF8);
  REQUIRED INT64 tss_distance;
  REQUIRED FLOAT ref_prediction;
  REQUIRED FLOAT alt_prediction;
  REQUIRED FLOAT delta;
  OPTIONAL FLOAT mask_ref;
  OPTIONAL FLOAT mask_alt;
  OPTIONAL BOOLEAN in_element;
}";

/// One column's values, typed; `def` holds the definition levels of an optional column (1 = present).
enum Column {
    Text(Vec<ByteArray>),
    Int(Vec<i64>),
    Float(Vec<f32>),
    OptFloat(Vec<f32>, Vec<i16>),
    OptBool(Vec<bool>, Vec<i16>),
}

fn column_for(name: &str) -> Column {
    match name {
        "pos" | "tss_distance" => Column::Int(Vec::new()),
        "ref_prediction" | "alt_prediction" | "delta" => Column::Float(Vec::new()),
        "mask_ref" | "mask_alt" => Column::OptFloat(Vec::new(), Vec::new()),
        "in_element" => Column::OptBool(Vec::new(), Vec::new()),
        _ => Column::Text(Vec::new()),
    }
}

impl Column {
    fn push(&mut self, field: &str) -> Result<(), String> {
        let bad = |what: &str| format!("`{field}` is not {what}");
        match self {
            Column::Text(v) => v.push(ByteArray::from(field)),
            Column::Int(v) => v.push(field.parse().map_err(|_| bad("an integer"))?),
            Column::Float(v) => v.push(field.parse().map_err(|_| bad("a number"))?),
            Column::OptFloat(_, def) if field == "NA" => def.push(0),
            Column::OptFloat(v, def) => {
                v.push(field.parse().map_err(|_| bad("a number or NA"))?);
                def.push(1);
            }
            Column::OptBool(_, def) if field == "NA" => def.push(0),
            Column::OptBool(v, def) => {
                v.push(field.parse().map_err(|_| bad("true, false or NA"))?);
                def.push(1);
            }
        }
        Ok(())
    }
}

/// Parses the body of `vep.tsv` (header excluded, one row per line) into columns; `source` names the
/// file in errors.
fn columns(rows: &[&str], source: &Path) -> Result<Vec<Column>, OutputError> {
    let mut cols: Vec<Column> = COLUMNS.iter().map(|c| column_for(c)).collect();
    for (i, row) in rows.iter().enumerate() {
        let place = || format!("{}, row {}", source.display(), i + 2);
        let fields: Vec<&str> = row.split('\t').collect();
        if fields.len() != COLUMNS.len() {
            return Err(OutputError::invalid(place(), format!("{} fields, not {}", fields.len(), COLUMNS.len())));
        }
        for ((col, field), name) in cols.iter_mut().zip(&fields).zip(COLUMNS) {
            col.push(field).map_err(|m| OutputError::invalid(place(), format!("column {name}: {m}")))?;
        }
    }
    Ok(cols)
}

/// Writes `path` (atomically) from the rows of a `vep.tsv` (`source`, named in errors).
pub fn write_parquet(path: &Path, rows: &[&str], source: &Path) -> Result<(), OutputError> {
    let cols = columns(rows, source)?;
    write_atomic(path, |tmp| write_columns(tmp, cols).map_err(|e| OutputError::invalid(tmp.display(), e.to_string())))
}

fn write_columns(tmp: &Path, cols: Vec<Column>) -> parquet::errors::Result<()> {
    let schema = Arc::new(parse_message_type(SCHEMA)?);
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("seq2exp-runtime {}", env!("CARGO_PKG_VERSION")))
        .build();
    let file = File::create(tmp)?;
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(props))?;
    let mut group = writer.next_row_group()?;
    for col in cols {
        let mut w = group.next_column()?.expect("one writer per schema column");
        match &col {
            Column::Text(v) => w.typed::<ByteArrayType>().write_batch(v, None, None)?,
            Column::Int(v) => w.typed::<Int64Type>().write_batch(v, None, None)?,
            Column::Float(v) => w.typed::<FloatType>().write_batch(v, None, None)?,
            Column::OptFloat(v, def) => w.typed::<FloatType>().write_batch(v, Some(def), None)?,
            Column::OptBool(v, def) => w.typed::<BoolType>().write_batch(v, Some(def), None)?,
        };
        w.close()?;
    }
    group.close()?;
    writer.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mask: &str, element: &str) -> String {
        format!("chr1\t101\tA\tG\trs1\tG1\tGENE1\t+\t-5\t1.5\t1.25\t-0.25\t{mask}\t{mask}\t{element}")
    }

    #[test]
    fn every_row_parses_into_its_typed_columns() {
        let (a, b) = (row("0.5", "true"), row("NA", "NA"));
        let cols = columns(&[&a, &b], Path::new("vep.tsv")).unwrap();
        assert!(matches!(&cols[1], Column::Int(v) if v == &[101, 101]));
        assert!(matches!(&cols[8], Column::Int(v) if v == &[-5, -5]));
        assert!(matches!(&cols[11], Column::Float(v) if v == &[-0.25, -0.25]));
        assert!(matches!(&cols[12], Column::OptFloat(v, d) if v == &[0.5] && d == &[1, 0]));
        assert!(matches!(&cols[14], Column::OptBool(v, d) if v == &[true] && d == &[1, 0]));
    }

    #[test]
    fn a_malformed_row_names_the_file_row_and_column() {
        let bad = row("0.5", "true").replace("\t101\t", "\tx\t");
        let e = columns(&[&row("0.5", "true"), &bad], Path::new("out/vep.tsv")).err().unwrap().to_string();
        assert!(e.contains("out/vep.tsv, row 3") && e.contains("column pos"), "{e}");
        let short = columns(&["chr1\t1"], Path::new("vep.tsv")).err().unwrap().to_string();
        assert!(short.contains("2 fields, not 15"), "{short}");
    }
}
