//! data-prep: the command that turns public genomics files (FASTA, bigWig, GTF/GFF3, cooler, tables)
//! into the seq2exp window store and simulates planted-truth genomes in the same formats.
//!
//! The work itself lives in libraries: the formats in `seq2exp-formats`, the store builder in
//! `seq2exp-build`, the simulator in `seq2exp-simulate`. This crate holds one module per subcommand.

pub mod cli;
