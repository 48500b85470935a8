//! Training objective: SmoothL1 (or MSE) on log10 expression + kl_weight · mean KL to the Beta prior.

use tch::{Kind, Reduction, Tensor};

use seq2exp_models::config::{Loss, Seq2ExpConfig};

use super::ModelOutput;

pub struct LossParts {
    pub total: Tensor,
    pub regression: Tensor,
    pub kl: Tensor,
}

pub fn loss(cfg: &Seq2ExpConfig, out: &ModelOutput, target: &Tensor) -> LossParts {
    let pred = out.pred.to_kind(Kind::Float);
    let regression = match cfg.loss {
        Loss::SmoothL1 { beta } => pred.smooth_l1_loss(target, Reduction::Mean, beta),
        Loss::Mse => pred.mse_loss(target, Reduction::Mean),
    };
    let kl = out.kl.shallow_clone();
    let total = if cfg.mask.learned() { &regression + &kl * cfg.mask.kl_weight } else { regression.shallow_clone() };
    LossParts { total, regression, kl }
}
