//! Centre pooling + the 9 extra features + MLP → expression (docs/model.md, "Head and loss").

use tch::nn::Path;
use tch::{Kind, Tensor};

use seq2exp_models::config::HeadConfig;

use crate::nn::linear;

#[derive(Debug)]
pub struct Head {
    cfg: HeadConfig,
    layers: Vec<(Tensor, Tensor)>,
    /// Per-feature mean and std applied before the MLP (identity unless standardisation is configured;
    /// set from the training split by the trainer and saved with the weights).
    pub feature_mean: Tensor,
    pub feature_std: Tensor,
    /// The discovery signal readout's linear term (`distal.weight: [1, terms]`, `distal.bias: [1]`).
    distal: Option<(Tensor, Tensor)>,
}

impl Head {
    pub fn new(p: &Path, cfg: &HeadConfig, d_model: usize) -> Self {
        let sizes = [(d_model + cfg.n_features, cfg.hidden), (cfg.hidden, cfg.hidden), (cfg.hidden, 1)];
        let layers = sizes
            .iter()
            .enumerate()
            .map(|(i, &(inp, out))| {
                let (w, b) = linear(&(p / "mlp"), &(2 * i).to_string(), inp, out, true);
                (w, b.expect("bias"))
            })
            .collect();
        // Buffers, not parameters: saved with the weights, never updated by the optimiser.
        let n = cfg.n_features as i64;
        let feature_mean = p.add("feature_mean", Tensor::zeros([n], (Kind::Float, p.device())), false);
        let feature_std = p.add("feature_std", Tensor::ones([n], (Kind::Float, p.device())), false);
        Self { cfg: cfg.clone(), layers, feature_mean, feature_std, distal: None }
    }

    /// The pooled window of a sequence of `len` positions: (start, width), centred.
    pub fn pool_range(&self, len: i64) -> (i64, i64) {
        let w = (self.cfg.pool_width as i64).min(len);
        ((len - w) / 2, w)
    }

    /// Mean of `hidden: [B, L, d]` over the central `pool_width` positions.
    pub fn pool(&self, hidden: &Tensor) -> Tensor {
        let (start, w) = self.pool_range(hidden.size()[1]);
        hidden.narrow(1, start, w).mean_dim([1].as_slice(), false, Kind::Float)
    }

    /// The discovery variant's direct path: Σ_l mask_l · hidden_l / `scale` over the whole window,
    /// `hidden: [B, L, d]`, `mask: [B, L]` → `[B, d]`.
    pub fn mask_sum(&self, hidden: &Tensor, mask: &Tensor, scale: f64) -> Tensor {
        (hidden * mask.unsqueeze(-1)).sum_dim_intlist([1].as_slice(), false, Kind::Float) / scale
    }

    /// Adds the linear term of the discovery signal readout, reading `terms` summed per-base terms.
    pub fn with_distal(mut self, p: &Path, terms: usize) -> Self {
        // Zeros: the readout starts as the centre path alone, and the first steps set its scale.
        let q = p / "distal";
        let w = q.var("weight", &[1, terms as i64], tch::nn::Init::Const(0.0));
        let b = q.var("bias", &[1], tch::nn::Init::Const(0.0));
        self.distal = Some((w, b));
        self
    }

    /// The linear term of the discovery signal readout: `summed: [B, terms]` → `[B]`.
    pub fn distal(&self, summed: &Tensor) -> Tensor {
        let (w, b) = self.distal.as_ref().expect("a discovery head with the signal readout");
        summed.linear(w, Some(b)).squeeze_dim(1)
    }

    /// `pooled: [B, d]`, `features: [B, n_features]` → `[B]`.
    pub fn forward(&self, pooled: &Tensor, features: &Tensor) -> Tensor {
        let f = (features.to_kind(Kind::Float) - &self.feature_mean) / &self.feature_std;
        let mut x = Tensor::cat(&[pooled.to_kind(Kind::Float), f], 1);
        for (i, (w, b)) in self.layers.iter().enumerate() {
            x = x.linear(w, Some(b));
            if i + 1 < self.layers.len() {
                x = x.relu();
            }
        }
        x.squeeze_dim(1)
    }
}
