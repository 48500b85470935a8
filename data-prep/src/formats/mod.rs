//! One reader per input format. Every chromosome name leaving a reader is canonical (`crate::chrom`).
