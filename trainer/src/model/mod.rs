//! The Seq2Exp model in tch: Beta mask maths (`beta`), the mask head and overrides (`mask`), the
//! expression head (`head`), hard-mask compaction at inference (`compact`), the network (`seq2exp`) and its
//! loss.

mod beta;
mod compact;
mod head;
mod loss;
mod mask;
mod seq2exp;

pub use beta::{beta_mean, kl_beta, sample_beta, straight_through};
pub use compact::{compacted_pool, selected};
pub use head::Head;
pub use loss::{loss, LossParts};
pub use mask::{apply_overrides, signal_prior, Pass};
pub use seq2exp::{ModelInput, ModelOutput, Seq2Exp};
