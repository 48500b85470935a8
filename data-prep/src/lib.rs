//! data-prep: turns public genomics files (FASTA, bigWig, GTF/GFF3, cooler, tables) into the seq2exp
//! window store, and simulates small genomes with planted regulatory elements in the same formats.
//!
//! Layout: the file formats themselves live in `seq2exp-formats`; `build/` assembles windows into the
//! store, `simulate/` writes a planted-truth genome, `cli/` holds one module per subcommand.

pub mod build;
pub mod checksum;
pub mod cli;
pub mod simulate;
