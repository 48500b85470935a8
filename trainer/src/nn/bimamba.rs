use tch::nn::Path;
use tch::Tensor;

use seq2exp_models::config::MambaConfig;

use super::mamba::{Mamba, ScanImpl};

/// out = Mamba_fwd(x) + flip_L(Mamba_rev(flip_L(x))), in/out projections shared by both directions.
#[derive(Debug)]
pub struct BiMamba {
    pub fwd: Mamba,
    pub rev: Mamba,
}

impl BiMamba {
    pub fn new(p: &Path, cfg: &MambaConfig, n_layer: usize) -> Self {
        let fwd = Mamba::new(&(p / "mamba_fwd"), cfg, n_layer, None);
        let rev = Mamba::new(&(p / "mamba_rev"), cfg, n_layer, Some((&fwd.in_proj, &fwd.out_proj)));
        Self { fwd, rev }
    }

    pub fn set_scan(&mut self, s: ScanImpl) {
        self.fwd.scan = s;
        self.rev.scan = s;
    }

    /// `x: [B, L, d_model]`.
    /// `x: [B, L, d_model]`. (Inside a Caduceus stack, `CaduceusLayer` runs the two directions as
    /// separately recomputed segments instead.)
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.fwd.forward(x) + self.rev.forward(&x.flip([1])).flip([1])
    }
}
