use tch::nn::Path;
use tch::Tensor;

use seq2exp_models::config::CaduceusConfig;

use super::{BiMamba, RmsNorm, ScanImpl};

/// A Caduceus stack fed embeddings: per layer `residual += hidden; hidden = BiMamba(RMSNorm(residual))`,
/// then `norm_f(residual + hidden)`.
#[derive(Debug)]
pub struct CaduceusStack {
    pub layers: Vec<(RmsNorm, BiMamba)>,
    pub norm_f: RmsNorm,
}

impl CaduceusStack {
    pub fn new(p: &Path, cfg: &CaduceusConfig) -> Self {
        let d = cfg.mamba.d_model;
        let layers = (0..cfg.n_layer)
            .map(|i| {
                let lp = p / "layers" / i;
                (RmsNorm::new(&(&lp / "norm"), d, cfg.rms_norm_eps), BiMamba::new(&(&lp / "mixer"), &cfg.mamba, cfg.n_layer))
            })
            .collect();
        Self { layers, norm_f: RmsNorm::new(&(p / "norm_f"), d, cfg.rms_norm_eps) }
    }

    pub fn set_scan(&mut self, s: ScanImpl) {
        self.layers.iter_mut().for_each(|(_, m)| m.set_scan(s));
    }

    /// Turns activation recomputation on (default) or off for every layer.
    pub fn set_recompute(&mut self, on: bool) {
        self.layers.iter_mut().for_each(|(_, m)| m.recompute = on);
    }

    /// `x: [B, L, d_model]` → `[B, L, d_model]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mut hidden = x.shallow_clone();
        let mut residual: Option<Tensor> = None;
        for (norm, mixer) in &self.layers {
            let r = match residual {
                Some(r) => &hidden + r,
                None => hidden.shallow_clone(),
            };
            hidden = mixer.forward(&norm.forward(&r));
            residual = Some(r);
        }
        let r = residual.map_or_else(|| hidden.shallow_clone(), |r| &hidden + r);
        self.norm_f.forward(&r)
    }
}
