//! Gene/transcript TSS readers against public GENCODE/Ensembl/ABC files (expected.json).

mod fixtures_common;

use std::io::{BufRead, BufReader, Write};

use fixtures_common::*;
use seq2exp_formats::{read_genes, read_transcripts, GeneOptions, GeneSet, Strand};

const GTF: &str = "genes/gencode_human.gtf.gz";
const GFF3: &str = "genes/gencode.gff3";
const MYC: &str = "genes/Ensembl_MYC-region.gff3";
const REFSEQ: &str = "genes/RefSeqCurated.170308.bed.CollapsedGeneBounds.chr22.hg38.bed";

fn all_types() -> GeneOptions {
    GeneOptions { protein_coding_only: false, ..GeneOptions::default() }
}

fn strand_str(s: Strand) -> String {
    s.as_char().to_string()
}

/// Every protein-coding gene of expected.json, with chrom/strand/TSS/type/name.
fn assert_protein_coding_tss(genes: &GeneSet) {
    let want = expected(GTF)["protein_coding_tss"].as_object().unwrap().clone();
    assert_eq!(genes.len() as u64, as_u64(&expected(GTF)["n_protein_coding"]));
    assert_eq!(genes.len(), want.len());
    for (id, w) in &want {
        let g = genes.get(id).unwrap_or_else(|| panic!("gene {id} missing"));
        assert_eq!(&g.id_versioned, id);
        assert_eq!(g.id, id.split('.').next().unwrap());
        assert_eq!(g.chrom, as_str(&w["chrom"]), "{id}");
        assert_eq!(strand_str(g.strand), as_str(&w["strand"]), "{id}");
        assert_eq!(g.tss, as_u64(&w["tss_0based"]), "{id}");
        assert_eq!(g.gene_type.as_deref(), Some(as_str(&w["gene_type"])), "{id}");
        assert_eq!(g.name, as_str(&w["gene_name"]), "{id}");
    }
}

#[test]
fn gencode_gtf_protein_coding_tss() {
    let genes = read_genes(fixture(GTF), &GeneOptions::default()).unwrap();
    assert_protein_coding_tss(&genes);
}

#[test]
fn gencode_gtf_all_gene_rows() {
    let genes = read_genes(fixture(GTF), &all_types()).unwrap();
    assert_eq!(genes.len() as u64, as_u64(&expected(GTF)["n_gene_rows"]));
}

#[test]
fn gtf_without_gene_rows_takes_tss_from_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("no_gene_rows.gtf");
    let mut out = std::fs::File::create(&out_path).unwrap();
    let src = flate2::read::MultiGzDecoder::new(std::fs::File::open(fixture(GTF)).unwrap());
    for line in BufReader::new(src).lines() {
        let line = line.unwrap();
        if line.split('\t').nth(2) != Some("gene") {
            writeln!(out, "{line}").unwrap();
        }
    }
    drop(out);
    let genes = read_genes(&out_path, &GeneOptions::default()).unwrap();
    assert_protein_coding_tss(&genes);
}

#[test]
fn gencode_gff3_transcript_tss() {
    let want = expected(GFF3);
    let txs = read_transcripts(fixture(GFF3)).unwrap();
    assert_eq!(txs.len() as u64, as_u64(&want["n_transcripts"]));
    let want = want["transcript_tss"].as_object().unwrap();
    assert_eq!(txs.len(), want.len());
    for t in &txs {
        let w = want.get(&t.id).unwrap_or_else(|| panic!("unexpected transcript {}", t.id));
        assert_eq!(t.chrom, as_str(&w["chrom"]), "{}", t.id);
        assert_eq!(strand_str(t.strand), as_str(&w["strand"]), "{}", t.id);
        assert_eq!(t.tss, as_u64(&w["tss_0based"]), "{}", t.id);
        assert_eq!(t.gene_id, as_str(&w["gene_id"]), "{}", t.id);
    }
}

#[test]
fn gff3_and_gtf_transcripts_agree() {
    // MANIFEST: the GFF3's transcripts have the same TSSs as in the GTF.
    let gtf = read_transcripts(fixture(GTF)).unwrap();
    let mut shared = 0;
    for t in read_transcripts(fixture(GFF3)).unwrap() {
        if let Some(g) = gtf.iter().find(|g| g.id == t.id) {
            assert_eq!((&g.chrom, g.strand, g.tss, &g.gene_id), (&t.chrom, t.strand, t.tss, &t.gene_id), "{}", t.id);
            shared += 1;
        }
    }
    assert!(shared >= 10, "only {shared} shared transcripts");
}

#[test]
fn gencode_gff3_genes() {
    let all = read_genes(fixture(GFF3), &all_types()).unwrap();
    assert_eq!(all.len(), 10);
    // OR4F5 is protein-coding in both files; its TSS must agree with the GTF's expected value.
    let pc = read_genes(fixture(GFF3), &GeneOptions::default()).unwrap();
    let want = &expected(GTF)["protein_coding_tss"];
    for g in pc.iter() {
        let w = &want[&g.id_versioned];
        assert_eq!(g.tss, as_u64(&w["tss_0based"]), "{}", g.id);
        assert_eq!(g.name, as_str(&w["gene_name"]));
    }
    assert!(!pc.is_empty());
}

#[test]
fn ensembl_gff3_myc() {
    let genes = read_genes(fixture(MYC), &GeneOptions::default()).unwrap();
    assert_eq!(genes.len(), 1);
    let g = &genes.as_slice()[0];
    assert_eq!((g.id.as_str(), g.name.as_str(), g.chrom.as_str()), ("ENSG00000136997", "MYC", "chr8"));
    assert_eq!(g.id_versioned, "ENSG00000136997.17"); // gene_id + Ensembl's separate version attribute
    assert_eq!(g.strand, Strand::Plus);
    assert_eq!(g.gene_type.as_deref(), Some("protein_coding"));
    // gene → mRNA → exon via Parent=: the gene's TSS is its earliest transcript's.
    let txs = read_transcripts(fixture(MYC)).unwrap();
    assert!(txs.len() >= 9, "{} transcripts", txs.len());
    assert!(txs.iter().all(|t| t.gene_id == g.id_versioned && t.chrom == "chr8"));
    assert_eq!(g.tss, txs.iter().map(|t| t.tss).min().unwrap());
}

/// Data rows of the RefSeq BED as text fields, with their 1-based line numbers.
fn refseq_rows() -> Vec<(usize, Vec<String>)> {
    let text = std::fs::read_to_string(fixture(REFSEQ)).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.is_empty())
        .map(|(i, l)| (i + 1, l.split('\t').map(str::to_string).collect()))
        .collect()
}

#[test]
fn refseq_gene_table_protein_coding() {
    let rows = refseq_rows();
    assert_eq!(rows.len() as u64, as_u64(&expected(REFSEQ)["records"]));
    let genes = read_genes(fixture(REFSEQ), &GeneOptions::default()).unwrap();
    let pc: Vec<_> = rows.iter().filter(|(_, f)| f[7] == "protein_coding").collect();
    assert_eq!(genes.len(), pc.len());
    for (_, f) in pc {
        let g = genes.get(&f[6]).unwrap_or_else(|| panic!("{} missing", f[6]));
        let (start, end): (u64, u64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
        let tss = if f[5] == "+" { start } else { end - 1 };
        assert_eq!(
            (g.chrom.as_str(), g.tss, g.name.as_str(), strand_str(g.strand)),
            (f[0].as_str(), tss, f[3].as_str(), f[5].clone())
        );
    }
}

#[test]
fn refseq_gene_table_all_types_has_a_real_duplicate_id() {
    // DGCR5, DGCR9 and DGCR10 share ENSG00000273032 in this file: keyed by Ensembl id that is an error
    // naming the gene and both lines; keyed by name, all 517 rows load.
    let rows = refseq_rows();
    let dup: Vec<usize> = rows.iter().filter(|(_, f)| f[6] == "ENSG00000273032").map(|(l, _)| *l).collect();
    let err = read_genes(fixture(REFSEQ), &all_types()).unwrap_err();
    assert_names(&err, &fixture(REFSEQ), &["gene ENSG00000273032", &format!("lines {} and {}", dup[0], dup[1])]);
    let by_name = GeneOptions { protein_coding_only: false, id_column: Some("name".into()) };
    let genes = read_genes(fixture(REFSEQ), &by_name).unwrap();
    assert_eq!(genes.len() as u64, as_u64(&expected(REFSEQ)["records"]));
    assert_eq!(
        genes.get("DGCR9").unwrap().tss,
        rows.iter().find(|(_, f)| f[3] == "DGCR9").unwrap().1[1].parse::<u64>().unwrap()
    );
}
