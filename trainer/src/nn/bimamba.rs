use tch::nn::Path;
use tch::Tensor;

use seq2exp_models::config::MambaConfig;

use super::checkpoint::checkpoint;
use super::mamba::{Mamba, ScanImpl};

/// out = Mamba_fwd(x) + flip_L(Mamba_rev(flip_L(x))), in/out projections shared by both directions.
#[derive(Debug)]
pub struct BiMamba {
    pub fwd: Mamba,
    pub rev: Mamba,
    /// Recompute each direction in the backward pass instead of keeping its activations (default on).
    pub recompute: bool,
}

impl BiMamba {
    pub fn new(p: &Path, cfg: &MambaConfig, n_layer: usize) -> Self {
        let fwd = Mamba::new(&(p / "mamba_fwd"), cfg, n_layer, None);
        let rev = Mamba::new(&(p / "mamba_rev"), cfg, n_layer, Some((&fwd.in_proj, &fwd.out_proj)));
        Self { fwd, rev, recompute: true }
    }

    pub fn set_scan(&mut self, s: ScanImpl) {
        self.fwd.scan = s;
        self.rev.scan = s;
    }

    /// `x: [B, L, d_model]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let run = |m: &Mamba, x: &Tensor| if self.recompute { checkpoint(m, x) } else { m.forward(x) };
        run(&self.fwd, x) + run(&self.rev, &x.flip([1])).flip([1])
    }
}
