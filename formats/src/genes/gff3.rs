//! GFF3 (GENCODE, Ensembl) gene/transcript/exon rows via noodles-gff's lazy line reader.
//!
//! GFF3 links levels with `ID`/`Parent` rather than repeating `gene_id` on every row (Ensembl:
//! `gene:ENSG…` → `transcript:ENST…` (type `mRNA`, `lnc_RNA`, …) → exon), so rows are collected first
//! and resolved in a second pass:
//! - gene rows: type `gene`, `*_gene` or `pseudogene`; id = `gene_id` attribute, else `ID` without its
//!   `gene:` prefix; Ensembl's separate `version` attribute is appended (`ENSG….17`);
//! - transcripts: rows whose `Parent` is a gene row, or (when the gene row is missing) transcript-like
//!   types (`transcript`, `mRNA`, `*RNA`, `*_transcript`) carrying `gene_id` or a `Parent`;
//! - exons: type `exon`, gene found through the parent transcript (else their own `gene_id`).
//!
//! Reading stops at a `##FASTA` directive.

use std::collections::HashMap;
use std::path::Path;

use noodles::gff;
use noodles::gff::record::attributes::field::Value;

use crate::chrom::normalise;
use crate::error::{InputError, Result};
use crate::genes::gtf::convert_strand;
use crate::genes::{FeatureKind, FeatureRow, Strand, GENE_TYPE_KEYS, TRANSCRIPT_TYPE_KEYS};
use crate::text::open_text;

/// Sub-transcript or non-gene rows never needed for TSSs; skipped before their attributes are read.
const IGNORED_TYPES: [&str; 12] = [
    "CDS",
    "five_prime_UTR",
    "three_prime_UTR",
    "UTR",
    "start_codon",
    "stop_codon",
    "chromosome",
    "region",
    "biological_region",
    "supercontig",
    "scaffold",
    "stop_codon_redefined_as_selenocysteine",
];

/// One GFF3 row with the attributes needed to resolve it.
#[derive(Debug)]
struct RawRow {
    line: usize,
    ty: String,
    chrom: String,
    start: u64,
    end: u64,
    /// `None` for `.`/`?`: an error only if the row turns out to be a gene, transcript or exon.
    strand: Option<Strand>,
    id: Option<String>,
    parents: Vec<String>,
    attrs: HashMap<&'static str, String>,
}

/// Attributes kept per row.
const KEPT_ATTRS: [&str; 11] = [
    "gene_id",
    "gene_name",
    "Name",
    "gene_type",
    "gene_biotype",
    "biotype",
    "transcript_id",
    "transcript_type",
    "transcript_biotype",
    "version",
    "ID",
];

/// Reads the gene, transcript and exon rows of a GFF3 file (gzip allowed).
pub(crate) fn read_rows(path: &Path) -> Result<Vec<FeatureRow>> {
    let raw = read_raw(path)?;
    resolve(path, &raw)
}

fn read_raw(path: &Path) -> Result<Vec<RawRow>> {
    let mut reader = gff::io::Reader::new(open_text(path)?);
    let mut line = gff::Line::default();
    let (mut rows, mut line_no) = (Vec::new(), 0usize);
    loop {
        let n = reader
            .read_line(&mut line)
            .map_err(|e| InputError::line(path, line_no + 1, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let bytes: &[u8] = line.as_ref();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Some(directive) = line.as_directive() {
            let key: &[u8] = directive.key();
            if key == gff::directive_buf::key::FASTA {
                break;
            }
            continue;
        }
        let Some(record) = line.as_record() else { continue };
        let columns = bytes.split(|&b| b == b'\t').count();
        if columns < 9 {
            return Err(InputError::line(path, line_no, format!("expected 9 tab-separated columns, found {columns}")));
        }
        let record = record.map_err(|e| InputError::line(path, line_no, format!("malformed GFF3 row: {e}")))?;
        if let Some(row) = parse_record(&record, line_no).map_err(|m| InputError::line(path, line_no, m))? {
            rows.push(row);
        }
    }
    Ok(rows)
}

fn values_of(value: Value<'_>) -> Vec<String> {
    match value {
        Value::String(s) => vec![String::from_utf8_lossy(&s).into_owned()],
        Value::Array(a) => a.iter().map(|s| String::from_utf8_lossy(&s).into_owned()).collect(),
    }
}

fn parse_record(record: &gff::Record<'_>, line: usize) -> Result<Option<RawRow>, String> {
    let ty = String::from_utf8_lossy(&record.ty()).into_owned();
    if IGNORED_TYPES.contains(&ty.as_str()) {
        return Ok(None);
    }
    let attrs_raw = record.attributes();
    let mut attrs = HashMap::new();
    let mut parents = Vec::new();
    for result in attrs_raw.iter() {
        let (key, value) = result.map_err(|e| format!("malformed attributes: {e}"))?;
        let key: &[u8] = &key;
        if key == b"Parent" {
            parents = values_of(value);
        } else if let Some(k) = KEPT_ATTRS.iter().find(|k| k.as_bytes() == key) {
            attrs.insert(*k, values_of(value).join(","));
        }
    }
    let has_gene_link = attrs.contains_key("ID") || attrs.contains_key("gene_id") || !parents.is_empty();
    if !has_gene_link {
        return Ok(None);
    }
    let start = record.start().map_err(|e| format!("bad start: {e}"))?.get() as u64;
    let end = record.end().map_err(|e| format!("bad end: {e}"))?.get() as u64;
    if end < start {
        return Err(format!("end {end} is before start {start}"));
    }
    let strand = convert_strand(record.strand().map_err(|e| format!("bad strand: {e}"))?).ok();
    let chrom = normalise(&String::from_utf8_lossy(&record.reference_sequence_name()));
    let id = attrs.get("ID").cloned();
    Ok(Some(RawRow { line, ty, chrom, start: start - 1, end, strand, id, parents, attrs }))
}

fn is_gene_type(ty: &str) -> bool {
    ty == "gene" || ty == "pseudogene" || ty.ends_with("_gene")
}

fn is_transcript_type(ty: &str) -> bool {
    ty == "transcript" || ty == "mRNA" || ty.ends_with("RNA") || ty.ends_with("_transcript")
}

/// `gene:ENSG…` → `ENSG…`, `transcript:ENST…` → `ENST…` (Ensembl's typed ids).
fn untyped(id: &str) -> &str {
    id.split_once(':')
        .filter(|(prefix, _)| !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphabetic()))
        .map_or(id, |(_, rest)| rest)
}

/// `id` with Ensembl's separate `version` attribute appended when the id itself has none.
fn with_version(id: &str, row: &RawRow) -> String {
    match row.attrs.get("version") {
        Some(v) if !id.contains('.') && !v.is_empty() => format!("{id}.{v}"),
        _ => id.to_string(),
    }
}

/// What a resolved gene row contributes to its transcripts.
#[derive(Debug, Clone)]
struct GeneInfo {
    gene_id: String,
    name: Option<String>,
    gene_type: Option<String>,
}

fn gene_info(row: &RawRow) -> GeneInfo {
    let base = row.attrs.get("gene_id").cloned().or_else(|| row.id.as_deref().map(|i| untyped(i).to_string()));
    GeneInfo {
        gene_id: with_version(&base.unwrap_or_default(), row),
        name: row.attrs.get("gene_name").or_else(|| row.attrs.get("Name")).cloned(),
        gene_type: GENE_TYPE_KEYS.iter().find_map(|k| row.attrs.get(k).cloned()),
    }
}

/// A transcript as seen by its exons: gene info and the transcript id.
type TxInfo = (GeneInfo, String);

/// Second pass: links transcripts to genes and exons to transcripts through `Parent`.
fn resolve(path: &Path, raw: &[RawRow]) -> Result<Vec<FeatureRow>> {
    let mut genes: HashMap<&str, GeneInfo> = HashMap::new();
    let mut rows = Vec::new();
    for r in raw.iter().filter(|r| is_gene_type(&r.ty)) {
        let info = gene_info(r);
        if info.gene_id.is_empty() {
            return Err(InputError::line(path, r.line, "gene row has neither gene_id nor ID"));
        }
        rows.push(feature(path, r, FeatureKind::Gene, &info, None, None)?);
        if let Some(id) = r.id.as_deref() {
            genes.insert(id, info);
        }
    }
    let transcripts = resolve_transcripts(path, raw, &genes, &mut rows)?;
    for r in raw.iter().filter(|r| r.ty == "exon") {
        let linked = r.parents.iter().find_map(|p| transcripts.get(p.as_str()));
        let (info, tx_id) = match linked {
            Some((g, tx)) => (g.clone(), Some(tx.clone())),
            None => match own_gene_info(r) {
                Some(g) => (g, r.attrs.get("transcript_id").cloned()),
                None => continue,
            },
        };
        rows.push(feature(path, r, FeatureKind::Exon, &info, tx_id, None)?);
    }
    rows.sort_by_key(|r| r.line);
    Ok(rows)
}

/// A row's own `gene_id` (GENCODE repeats it on every row), when it has one.
fn own_gene_info(r: &RawRow) -> Option<GeneInfo> {
    Some(GeneInfo {
        gene_id: r.attrs.get("gene_id")?.clone(),
        name: r.attrs.get("gene_name").cloned(),
        gene_type: r.attrs.get("gene_type").cloned(),
    })
}

/// Transcript rows: children of gene rows, or transcript-like rows whose gene row is missing.
fn resolve_transcripts<'a>(
    path: &Path,
    raw: &'a [RawRow],
    genes: &HashMap<&str, GeneInfo>,
    rows: &mut Vec<FeatureRow>,
) -> Result<HashMap<&'a str, TxInfo>> {
    let mut transcripts = HashMap::new();
    for r in raw.iter().filter(|r| !is_gene_type(&r.ty) && r.ty != "exon") {
        let gene = match r.parents.iter().find_map(|p| genes.get(p.as_str())) {
            Some(g) => g.clone(),
            None if is_transcript_type(&r.ty) => {
                let from_parent = r.parents.first().map(|p| GeneInfo {
                    gene_id: untyped(p).to_string(),
                    name: None,
                    gene_type: None,
                });
                match own_gene_info(r).or(from_parent) {
                    Some(g) => g,
                    None => continue,
                }
            }
            None => continue,
        };
        let tx_base = r.attrs.get("transcript_id").cloned().or_else(|| r.id.as_deref().map(|i| untyped(i).to_string()));
        let Some(tx_base) = tx_base else { continue };
        let tx_id = with_version(&tx_base, r);
        let tx_type = TRANSCRIPT_TYPE_KEYS.iter().chain(["biotype"].iter()).find_map(|k| r.attrs.get(k).cloned());
        let gene_type = r.attrs.get("gene_type").cloned().or(gene.gene_type);
        let info = GeneInfo { gene_type, ..gene };
        rows.push(feature(path, r, FeatureKind::Transcript, &info, Some(tx_id.clone()), tx_type)?);
        if let Some(id) = r.id.as_deref() {
            transcripts.insert(id, (info, tx_id));
        }
    }
    Ok(transcripts)
}

fn feature(
    path: &Path,
    r: &RawRow,
    kind: FeatureKind,
    gene: &GeneInfo,
    transcript_id: Option<String>,
    transcript_type: Option<String>,
) -> Result<FeatureRow> {
    let strand =
        r.strand.ok_or_else(|| InputError::line(path, r.line, format!("{} row has no strand (+ or -)", r.ty)))?;
    Ok(FeatureRow {
        line: r.line,
        kind,
        chrom: r.chrom.clone(),
        start: r.start,
        end: r.end,
        strand,
        gene_id: gene.gene_id.clone(),
        gene_name: gene.name.clone(),
        gene_type: gene.gene_type.clone(),
        transcript_id,
        transcript_type,
    })
}
