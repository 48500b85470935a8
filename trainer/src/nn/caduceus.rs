use tch::nn::Path;
use tch::Tensor;

use seq2exp_models::config::CaduceusConfig;

use super::checkpoint::{checkpoint, Recompute};
use super::{BiMamba, RmsNorm, ScanImpl};

/// One Caduceus layer: `BiMamba(RMSNorm(residual))`.
#[derive(Debug)]
pub struct CaduceusLayer {
    pub norm: RmsNorm,
    pub mixer: BiMamba,
}

impl Recompute for CaduceusLayer {
    fn forward(&self, residual: &Tensor) -> Tensor {
        self.mixer.forward(&self.norm.forward(residual))
    }
}

/// A Caduceus stack fed embeddings: per layer `residual += hidden; hidden = BiMamba(RMSNorm(residual))`,
/// then `norm_f(residual + hidden)`.
///
/// Memory: with recomputation (default) each layer keeps only its residual input; its norm and both
/// directions are recomputed during the backward pass, one direction at a time.
#[derive(Debug)]
pub struct CaduceusStack {
    pub layers: Vec<CaduceusLayer>,
    pub norm_f: RmsNorm,
    pub recompute: bool,
}

impl CaduceusStack {
    pub fn new(p: &Path, cfg: &CaduceusConfig) -> Self {
        let d = cfg.mamba.d_model;
        let layers = (0..cfg.n_layer)
            .map(|i| {
                let lp = p / "layers" / i;
                CaduceusLayer {
                    norm: RmsNorm::new(&(&lp / "norm"), d, cfg.rms_norm_eps),
                    mixer: BiMamba::new(&(&lp / "mixer"), &cfg.mamba, cfg.n_layer),
                }
            })
            .collect();
        Self { layers, norm_f: RmsNorm::new(&(p / "norm_f"), d, cfg.rms_norm_eps), recompute: true }
    }

    pub fn set_scan(&mut self, s: ScanImpl) {
        self.layers.iter_mut().for_each(|l| l.mixer.set_scan(s));
    }

    /// Turns activation recomputation on (default) or off, for layers and directions.
    pub fn set_recompute(&mut self, on: bool) {
        self.recompute = on;
        self.layers.iter_mut().for_each(|l| l.mixer.recompute = on);
    }

    /// `x: [B, L, d_model]` → `[B, L, d_model]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mut hidden = x.shallow_clone();
        let mut residual: Option<Tensor> = None;
        for layer in &self.layers {
            let r = match residual {
                Some(r) => &hidden + r,
                None => hidden.shallow_clone(),
            };
            hidden = if self.recompute { checkpoint(layer, &r) } else { Recompute::forward(layer, &r) };
            residual = Some(r);
        }
        let r = residual.map_or_else(|| hidden.shallow_clone(), |r| &hidden + r);
        self.norm_f.forward(&r)
    }
}
