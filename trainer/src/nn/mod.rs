//! The Caduceus backbone in tch: Mamba-1 mixers, BiMamba (tied in/out projections, outputs summed),
//! RMSNorm pre-norm residual blocks. Parameter names and initialisation follow docs/model.md exactly.

mod bimamba;
mod caduceus;
mod checkpoint;
mod init;
mod mamba;
mod rmsnorm;

pub use bimamba::BiMamba;
pub use caduceus::{CaduceusLayer, CaduceusStack};
pub use checkpoint::{checkpoint, Recompute};
pub use init::{kaiming_uniform_bound, linear};
pub use mamba::{Mamba, ScanImpl};
pub use rmsnorm::RmsNorm;
