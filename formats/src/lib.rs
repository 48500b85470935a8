//! The genomics file formats seq2exp reads and writes, one module per format, reader and writer side
//! by side. Every chromosome name leaving a reader is canonical ([`chrom`]), every coordinate is
//! 0-based and half-open, and every problem with a file comes back as one [`InputError`] naming the
//! file and the place (line, chromosome, gene).
//!
//! | module | reads | writes | library |
//! |---|---|---|---|
//! | [`fasta`] | plain or bgzipped FASTA with `.fai` (+ `.gzi`): windows of upper-case bases | FASTA + `.fai` | noodles-fasta / bgzf |
//! | [`bigwig`] | bigWig: per-base values, whole-file sum for RPM | run-length bigWig | bigtools |
//! | [`genes`] | gene TSSs from GTF ([`genes::gtf`]), GFF3 ([`genes::gff3`]) or BED/TSV gene tables ([`genes::gene_table`]) | GTF rows | noodles-gtf / gff, csv |
//! | [`bed`] | BED3–BED6+ and narrowPeak intervals | tab-separated BED rows | hand-split (see module docs) |
//! | [`cooler`] | `.cool` / `.mcool` Hi-C contact matrices, raw or balanced | cooler v3 groups | hdf5 |
//! | [`tables`] | CSV/TSV value tables (expression targets, mRNA features) keyed by gene id | — | csv |
//!
//! [`checksum`] streams a file's sha256 for provenance records (store sources, simulation manifests).
//!
//! Readers that the window builder calls from rayon workers ([`fasta::Genome`], [`bigwig::BigWig`],
//! [`cooler::Cooler`]) take `&self` and are `Send + Sync`.

pub mod bed;
pub mod bigwig;
pub mod checksum;
pub mod chrom;
pub mod cooler;
pub mod error;
pub mod fasta;
pub mod genes;
pub mod tables;
mod text;
pub mod vcf;

pub use bed::{read_intervals, Interval, NarrowPeak};
pub use bigwig::BigWig;
pub use cooler::Cooler;
pub use error::{InputError, IoContext, Result};
pub use fasta::Genome;
pub use genes::{read_genes, read_transcripts, GeneOptions, GeneRecord, GeneSet, Strand, TranscriptRecord};
pub use tables::{read_feature_table, read_value_table, strip_version};

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    /// The window builder shares these across rayon workers.
    #[test]
    fn shared_readers_are_send_and_sync() {
        assert_send_sync::<super::Genome>();
        assert_send_sync::<super::BigWig>();
        assert_send_sync::<super::Cooler>();
    }
}
