//! The Seq2Exp model in tch: input embeddings (`embed`), Beta mask maths (`beta`), the generator, mask
//! head and overrides (`mask`), the retrain variant's frozen mask (`retrain`), the expression head
//! (`head`), the hard variant's compaction (`compact`), the network (`seq2exp`) and its loss.

mod beta;
mod compact;
mod embed;
mod head;
mod loss;
mod mask;
pub mod retrain;
mod seq2exp;

pub use beta::{beta_mean, kl_beta, sample_beta, straight_through};
pub use compact::{compacted_pool, selected};
pub use embed::Embeddings;
pub use head::Head;
pub use loss::{loss, LossParts};
pub use mask::{apply_overrides, signal_prior, Generator, Pass};
pub use retrain::FrozenMask;
pub use seq2exp::{signal_terms, ModelInput, ModelOutput, Seq2Exp};
