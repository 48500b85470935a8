//! Gene and transcript TSSs from format-independent annotation rows (rules in the [`genes`](super) docs).

use std::collections::HashMap;
use std::path::Path;

use super::{FeatureKind, FeatureRow, GeneOptions, GeneRecord, GeneSet, Strand, TranscriptRecord};
use crate::error::{InputError, Result};
use crate::tables::strip_version;

/// TSS of a group of rows: min start on `+`, max end − 1 on `−`.
fn tss_of(rows: &[&FeatureRow]) -> u64 {
    match rows[0].strand {
        Strand::Plus => rows.iter().map(|r| r.start).min().unwrap_or(0),
        Strand::Minus => rows.iter().map(|r| r.end).max().unwrap_or(1).saturating_sub(1),
    }
}

/// Errors when rows of one gene/transcript disagree on chromosome or strand.
fn check_consistent(path: &Path, what: &str, rows: &[&FeatureRow]) -> Result<()> {
    let first = rows[0];
    if let Some(bad) = rows.iter().find(|r| r.chrom != first.chrom || r.strand != first.strand) {
        return Err(InputError::at(
            path,
            what.to_string(),
            format!(
                "rows disagree on chromosome/strand: line {} has {} {}, line {} has {} {}",
                first.line,
                first.chrom,
                first.strand.as_char(),
                bad.line,
                bad.chrom,
                bad.strand.as_char()
            ),
        ));
    }
    Ok(())
}

/// Rows grouped by a key, keeping first-appearance order.
fn group_by<'a>(
    rows: impl Iterator<Item = &'a FeatureRow>,
    key: impl Fn(&FeatureRow) -> Option<&str>,
) -> Vec<(String, Vec<&'a FeatureRow>)> {
    let mut order: Vec<(String, Vec<&FeatureRow>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let Some(k) = key(r) else { continue };
        let i = *at.entry(k.to_string()).or_insert_with(|| {
            order.push((k.to_string(), Vec::new()));
            order.len() - 1
        });
        order[i].1.push(r);
    }
    order
}

/// The rows that define a group's TSS: its top-level row (`top`), else the next level down.
fn defining_rows<'a>(
    path: &Path,
    what: &str,
    rows: &[&'a FeatureRow],
    top: FeatureKind,
) -> Result<Vec<&'a FeatureRow>> {
    let tops: Vec<&FeatureRow> = rows.iter().copied().filter(|r| r.kind == top).collect();
    if tops.len() > 1 {
        return Err(InputError::at(
            path,
            what.to_string(),
            format!(
                "duplicate {} rows on lines {} and {}",
                if top == FeatureKind::Gene { "gene" } else { "transcript" },
                tops[0].line,
                tops[1].line
            ),
        ));
    }
    if !tops.is_empty() {
        return Ok(tops);
    }
    let transcripts: Vec<&FeatureRow> = rows.iter().copied().filter(|r| r.kind == FeatureKind::Transcript).collect();
    if !transcripts.is_empty() {
        return Ok(transcripts);
    }
    Ok(rows.iter().copied().filter(|r| r.kind == FeatureKind::Exon).collect())
}

/// Turns gene/transcript/exon rows into genes (see the module docs for the rules).
pub(crate) fn assemble_genes(path: &Path, rows: &[FeatureRow], options: &GeneOptions) -> Result<GeneSet> {
    let typed = rows.iter().any(|r| r.gene_type.is_some());
    if options.protein_coding_only && !typed && !rows.is_empty() {
        tracing::warn!("{}: no gene_type/gene_biotype/biotype attribute anywhere; keeping all genes", path.display());
    }
    let (mut genes, mut lines) = (Vec::new(), Vec::new());
    for (gene_id, group) in group_by(rows.iter(), |r| Some(r.gene_id.as_str())) {
        let what = format!("gene {gene_id}");
        let defining = defining_rows(path, &what, &group, FeatureKind::Gene)?;
        if defining.is_empty() {
            continue;
        }
        check_consistent(path, &what, &defining)?;
        let gene_type = defining.iter().chain(group.iter()).find_map(|r| r.gene_type.clone());
        if options.protein_coding_only && typed && gene_type.as_deref() != Some("protein_coding") {
            continue;
        }
        let name = group.iter().find_map(|r| r.gene_name.clone()).unwrap_or_else(|| gene_id.clone());
        lines.push(defining[0].line);
        genes.push(GeneRecord {
            id: strip_version(&gene_id),
            id_versioned: gene_id,
            name,
            chrom: defining[0].chrom.clone(),
            tss: tss_of(&defining),
            strand: defining[0].strand,
            gene_type,
        });
    }
    GeneSet::new(path, genes, &lines)
}

/// Turns transcript/exon rows into transcripts.
pub(crate) fn assemble_transcripts(path: &Path, rows: &[FeatureRow]) -> Result<Vec<TranscriptRecord>> {
    let level = rows.iter().filter(|r| r.kind != FeatureKind::Gene);
    let mut out = Vec::new();
    for (tx_id, group) in group_by(level, |r| r.transcript_id.as_deref()) {
        let what = format!("transcript {tx_id}");
        let defining = defining_rows(path, &what, &group, FeatureKind::Transcript)?;
        check_consistent(path, &what, &defining)?;
        out.push(TranscriptRecord {
            id: tx_id,
            gene_id: defining[0].gene_id.clone(),
            chrom: defining[0].chrom.clone(),
            tss: tss_of(&defining),
            strand: defining[0].strand,
            transcript_type: group.iter().find_map(|r| r.transcript_type.clone()),
        });
    }
    if out.is_empty() {
        return Err(InputError::new(path, "no transcripts found"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        line: usize,
        kind: FeatureKind,
        start: u64,
        end: u64,
        strand: Strand,
        gene: &str,
        tx: Option<&str>,
    ) -> FeatureRow {
        FeatureRow {
            line,
            kind,
            chrom: "chr1".into(),
            start,
            end,
            strand,
            gene_id: gene.into(),
            gene_name: None,
            gene_type: Some("protein_coding".into()),
            transcript_id: tx.map(str::to_string),
            transcript_type: None,
        }
    }

    #[test]
    fn tss_from_transcripts_when_no_gene_row() {
        let rows = vec![
            row(1, FeatureKind::Transcript, 100, 200, Strand::Minus, "G1.1", Some("T1")),
            row(2, FeatureKind::Transcript, 120, 260, Strand::Minus, "G1.1", Some("T2")),
            row(3, FeatureKind::Exon, 50, 60, Strand::Plus, "G2.3", Some("T3")),
            row(4, FeatureKind::Exon, 40, 45, Strand::Plus, "G2.3", Some("T3")),
        ];
        let set = assemble_genes(Path::new("x.gtf"), &rows, &GeneOptions::default()).unwrap();
        assert_eq!(set.get("G1").unwrap().tss, 259);
        assert_eq!(set.get("G2.3").unwrap().tss, 40);
        assert_eq!(set.get("G2").unwrap().id_versioned, "G2.3");
    }

    #[test]
    fn duplicate_gene_rows_name_both_lines() {
        let rows = vec![
            row(7, FeatureKind::Gene, 100, 200, Strand::Plus, "G1.1", None),
            row(9, FeatureKind::Gene, 100, 200, Strand::Plus, "G1.2", None),
        ];
        let e = assemble_genes(Path::new("x.gtf"), &rows, &GeneOptions::default()).unwrap_err().to_string();
        assert!(e.contains("gene G1") && e.contains("lines 7 and 9"), "{e}");
    }

    #[test]
    fn strand_disagreement_is_an_error() {
        let rows = vec![
            row(1, FeatureKind::Transcript, 100, 200, Strand::Minus, "G1", Some("T1")),
            row(5, FeatureKind::Transcript, 100, 200, Strand::Plus, "G1", Some("T2")),
        ];
        let e = assemble_genes(Path::new("x.gtf"), &rows, &GeneOptions::default()).unwrap_err().to_string();
        assert!(e.contains("gene G1") && e.contains("line 1") && e.contains("line 5"), "{e}");
    }
}
