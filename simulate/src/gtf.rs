//! genes.gtf in GENCODE style: `##` header lines, gene / transcript / exon rows (1-based, inclusive),
//! versioned ids, gene_name, gene_type, and repeated `tag` attributes. Some genes have no gene row
//! (their TSS must come from their transcripts). Chromosomes are bare (`1`, `X`) unless configured.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use seq2exp_formats::error::{IoContext, Result};
use seq2exp_formats::genes::gtf::GtfRow;
use seq2exp_formats::Strand;

use super::genome::{Gene, SimGenome, Transcript};

/// The GTF spelling of a chromosome name.
pub fn gtf_chrom(genome: &SimGenome, name: &str) -> String {
    if genome.config.gtf_bare_chrom_names {
        name.strip_prefix("chr").unwrap_or(name).to_string()
    } else {
        name.to_string()
    }
}

/// Writes all genes, chromosome by chromosome in config order, genes by start.
pub fn write(genome: &SimGenome, path: &Path) -> Result<()> {
    let mut w = BufWriter::new(File::create(path).file_ctx(path)?);
    writeln!(w, "##description: seq2exp simulated genome (seed {})", genome.config.seed).file_ctx(path)?;
    writeln!(w, "##provider: seq2exp-data-prep simulate\n##format: gtf").file_ctx(path)?;
    for (c, chrom) in genome.chroms.iter().enumerate() {
        let name = gtf_chrom(genome, &chrom.name);
        let mut genes: Vec<&Gene> = genome.genes.iter().filter(|g| g.chrom == c).collect();
        genes.sort_by_key(|g| g.extent());
        for g in genes {
            write_gene(&mut w, &name, g).file_ctx(path)?;
        }
    }
    w.flush().file_ctx(path)
}

fn write_gene(w: &mut impl Write, chrom: &str, g: &Gene) -> std::io::Result<()> {
    let strand = g.strand;
    let gene_attrs =
        format!("gene_id \"{}\"; gene_type \"{}\"; gene_name \"{}\"; level 2;", g.id, g.gene_type.label(), g.name);
    if g.has_gene_row {
        let (s, e) = g.extent();
        row(w, chrom, "gene", s, e, strand, &gene_attrs)?;
    }
    for (t_idx, t) in g.transcripts.iter().enumerate() {
        let tags = if t_idx == 0 { " tag \"basic\"; tag \"Ensembl_canonical\";" } else { " tag \"basic\";" };
        let t_attrs = format!(
            "gene_id \"{}\"; transcript_id \"{}\"; gene_type \"{}\"; gene_name \"{}\"; transcript_type \"{}\"; transcript_name \"{}-{}\"; level 2;{tags}",
            g.id,
            t.id,
            g.gene_type.label(),
            g.name,
            g.gene_type.label(),
            g.name,
            201 + t_idx
        );
        row(w, chrom, "transcript", t.start, t.end, strand, &t_attrs)?;
        for (n, (s, e)) in exons_in_transcript_order(t, g.strand).into_iter().enumerate() {
            let exon_id = format!("ENSESIM{}{:03}.1", &t.id[7..t.id.len() - 2], n + 1);
            let attrs = format!("{} exon_number {}; exon_id \"{exon_id}\";", t_attrs, n + 1);
            row(w, chrom, "exon", s, e, strand, &attrs)?;
        }
    }
    Ok(())
}

/// Exons 5' → 3' (descending coordinates on the minus strand), as GENCODE lists them.
fn exons_in_transcript_order(t: &Transcript, strand: Strand) -> Vec<(u64, u64)> {
    let mut exons = t.exons.clone();
    if strand == Strand::Minus {
        exons.reverse();
    }
    exons
}

/// One row of the simulator's annotation (source `SIM`).
fn row(
    w: &mut impl Write,
    chrom: &str,
    feature: &str,
    start: u64,
    end: u64,
    strand: Strand,
    attributes: &str,
) -> std::io::Result<()> {
    GtfRow { chrom, source: "SIM", feature, start, end, strand, attributes }.write_to(w)
}
