//! The seq2exp window store: one HDF5 file holding, for every gene, the DNA window around its TSS, the
//! signals over it, its targets, features and fold labels. This crate is the single home of the schema:
//! `data-prep` writes through [`StoreWriter`], the trainer and the runtime read through [`StoreReader`].
//!
//! The layout is documented in `docs/store.md` and is readable with plain h5py (deflate/LZF + shuffle only).
//! [`output`] is how every tool writes its outputs (atomic files, the output-directory lock, plain
//! write errors); it lives here because every tool already depends on this crate.

mod error;
mod example;
mod folds;
mod meta;
pub mod output;
mod reader;
mod schema;
mod stream;
mod writer;

pub use error::{Result, StoreError};
pub use example::{Batch, Example, SignalSpec};
pub use folds::{fold_split, Split, N_FOLDS};
pub use meta::{GeneInfo, SourceFile, StoreMeta, Strand, Track};
pub use reader::{Selection, StoreReader};
pub use schema::{dna_code, hic_bin_count, Compression, DnaCode, FEATURE_NAMES, FORMAT, N_FEATURES, SCHEMA_VERSION};
pub use stream::BatchStream;
pub use writer::{GeneWindow, StoreWriter};
