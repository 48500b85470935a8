//! Gene tables: BED6(+) gene bounds (e.g. ABC's `RefSeqCurated…CollapsedGeneBounds.bed` with its
//! `#chr start end name score strand Ensembl_ID gene_type` header) and TSV/CSV gene lists.
//!
//! Columns are found by header name (case-insensitive; a leading `#` on the header is ignored):
//! chromosome `chr`/`chrom`/`chromosome`/`seqname`, `start`/`chromStart`, `end`/`chromEnd`, name
//! `name`/`gene_name`/`gene`/`symbol`, `strand`, optional `tss` (0-based), optional type
//! `gene_type`/`gene_biotype`/`biotype`, and the id column ([`GeneOptions::id_column`], else
//! `Ensembl_ID`/`gene_id`/`ENSID`/`id`, else the name). A file without a header is read as plain BED6
//! (id = name).
//!
//! TSS: the `tss` column when present, else `start` on `+` and `end − 1` on `−` (the last base of a
//! half-open interval, matching the GTF convention). Without a strand column a `tss` column is
//! required, and strand is then taken as `+` with a warning. With a type column the protein-coding
//! filter applies as for GTF.

use std::path::Path;

use crate::chrom::normalise;
use crate::error::{InputError, Result};
use crate::genes::{GeneOptions, GeneRecord, GeneSet, Strand};
use crate::tables::{csv_error, find_column, sniff_delimiter, strip_version};
use crate::text::open_text;

/// Header names of the chromosome column (a `#` line starting with one of these is the header; other
/// `#` lines are comments).
const CHROM_NAMES: [&str; 4] = ["chr", "chrom", "chromosome", "seqname"];

/// Where each field lives in a row.
#[derive(Debug)]
struct Columns {
    chrom: usize,
    start: Option<usize>,
    end: Option<usize>,
    name: Option<usize>,
    strand: Option<usize>,
    tss: Option<usize>,
    id: usize,
    gene_type: Option<usize>,
}

/// Reads a gene table (see the module docs).
pub(crate) fn read_gene_table(path: &Path, options: &GeneOptions) -> Result<GeneSet> {
    let delimiter = sniff_delimiter(path)?;
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(open_text(path)?);
    let (mut cols, mut genes, mut lines) = (None, Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let fields: Vec<&str> = record.iter().map(str::trim).collect();
        let first = fields.first().copied().unwrap_or("");
        let commented_header = first.starts_with('#')
            && CHROM_NAMES.iter().any(|n| first.trim_start_matches('#').trim().eq_ignore_ascii_case(n));
        if cols.is_none()
            && (commented_header
                || (!first.starts_with('#') && fields.get(1).is_some_and(|s| s.parse::<u64>().is_err())))
        {
            cols = Some(columns_from_header(path, &fields, options)?);
            continue;
        }
        if first.starts_with('#')
            || first.starts_with("track")
            || first.starts_with("browser")
            || fields.iter().all(|f| f.is_empty())
        {
            continue;
        }
        let c = match &cols {
            Some(c) => c,
            None => cols.insert(bed6_columns(path, options)?),
        };
        if let Some(g) = parse_row(&fields, c, options).map_err(|m| InputError::line(path, line, m))? {
            genes.push(g);
            lines.push(line);
        }
    }
    GeneSet::new(path, genes, &lines)
}

fn bed6_columns(path: &Path, options: &GeneOptions) -> Result<Columns> {
    if let Some(id) = &options.id_column {
        return Err(InputError::new(path, format!("id column '{id}' requested but the table has no header")));
    }
    Ok(Columns {
        chrom: 0,
        start: Some(1),
        end: Some(2),
        name: Some(3),
        strand: Some(5),
        tss: None,
        id: 3,
        gene_type: None,
    })
}

fn columns_from_header(path: &Path, fields: &[&str], options: &GeneOptions) -> Result<Columns> {
    let headers: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| if i == 0 { f.trim_start_matches('#').trim().to_string() } else { f.to_string() })
        .collect();
    let any = |names: &[&str]| names.iter().find_map(|n| headers.iter().position(|h| h.eq_ignore_ascii_case(n)));
    let missing =
        |what: &str| InputError::line(path, 1, format!("no {what} column; the header has: {}", headers.join(", ")));
    let chrom = any(&CHROM_NAMES).ok_or_else(|| missing("chromosome (chr/chrom)"))?;
    let name = any(&["name", "gene_name", "gene", "symbol", "gene name"]);
    let id = match &options.id_column {
        Some(c) => find_column(path, &headers, c)?,
        None => any(&["Ensembl_ID", "gene_id", "ENSID", "id"]).or(name).ok_or_else(|| missing("gene id or name"))?,
    };
    let cols = Columns {
        chrom,
        start: any(&["start", "chromStart"]),
        end: any(&["end", "chromEnd"]),
        name,
        strand: any(&["strand"]),
        tss: any(&["tss"]),
        id,
        gene_type: any(&["gene_type", "gene_biotype", "biotype"]),
    };
    if cols.tss.is_none() && (cols.start.is_none() || cols.end.is_none() || cols.strand.is_none()) {
        return Err(missing("tss column, and no start/end/strand"));
    }
    if cols.strand.is_none() {
        tracing::warn!("{}: no strand column; taking every gene as + (TSS from the tss column)", path.display());
    }
    Ok(cols)
}

fn parse_row(f: &[&str], c: &Columns, options: &GeneOptions) -> Result<Option<GeneRecord>, String> {
    let field =
        |i: usize| f.get(i).copied().ok_or_else(|| format!("row has {} fields, needs at least {}", f.len(), i + 1));
    let gene_type = match c.gene_type {
        Some(i) => Some(field(i)?.to_string()).filter(|t| !t.is_empty() && t != "."),
        None => None,
    };
    if options.protein_coding_only && c.gene_type.is_some() && gene_type.as_deref() != Some("protein_coding") {
        return Ok(None);
    }
    let strand = match c.strand {
        Some(i) => Strand::parse(field(i)?).ok_or_else(|| format!("strand '{}' is not + or -", f[i]))?,
        None => Strand::Plus,
    };
    let int = |i: usize, what: &str| -> Result<u64, String> {
        field(i)?.parse::<u64>().map_err(|_| format!("{what} '{}' is not a non-negative integer", f[i]))
    };
    let tss = match (c.tss, c.start, c.end, strand) {
        (Some(i), ..) => int(i, "tss")?,
        (None, Some(s), _, Strand::Plus) => int(s, "start")?,
        (None, _, Some(e), Strand::Minus) => int(e, "end")?.checked_sub(1).ok_or("end is 0 on the - strand")?,
        _ => return Err("no tss column and no start/end column for this strand".to_string()),
    };
    let raw_id = field(c.id)?;
    if raw_id.is_empty() || raw_id == "." {
        return Err("empty gene id".to_string());
    }
    let name = c.name.and_then(|i| f.get(i)).filter(|n| !n.is_empty()).map_or(raw_id, |n| n).to_string();
    Ok(Some(GeneRecord {
        id: strip_version(raw_id),
        id_versioned: raw_id.to_string(),
        name,
        chrom: normalise(field(c.chrom)?),
        tss,
        strand,
        gene_type,
    }))
}
