//! From generator output and signals to the mask the predictor reads (docs/model.md, "Mask").

use tch::nn::Path;
use tch::{Kind, Tensor};

use seq2exp_models::config::{MaskConfig, MaskMode, Posterior, Seq2ExpConfig};

use super::beta::{beta_mean, kl_beta, sample_beta, straight_through};
use super::seq2exp::ModelInput;
use crate::nn::{linear, CaduceusStack};

/// Training samples the mask; evaluation uses the deterministic Beta mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    Train,
    Eval,
}

/// Linear(d_model → 2): logits for β1 (index 0) and α1 (index 1).
#[derive(Debug)]
pub struct MaskHead {
    weight: Tensor,
    bias: Tensor,
}

/// The posterior Beta(α, β) of every base, and its KL to the prior (mean over bases and batch).
pub struct Posteriors {
    pub alpha: Tensor,
    pub beta: Tensor,
    pub kl: Tensor,
}

impl MaskHead {
    pub fn new(p: &Path, d_model: usize) -> Self {
        let (weight, bias) = linear(p, "mask_head", d_model, 2, true);
        Self { weight, bias: bias.expect("bias") }
    }

    /// `generated: [B, L, d]`, `signals: [B, L, C]` → posterior parameters `[B, L]`.
    pub fn posterior(&self, cfg: &MaskConfig, generated: &Tensor, signals: &Tensor) -> Posteriors {
        let mut logits = generated.linear(&self.weight, Some(&self.bias)).to_kind(Kind::Float);
        if let Some(d) = cfg.discovery.as_ref().filter(|d| d.smooth > 1) {
            logits = smooth_logits(&logits, d.smooth);
        }
        let alpha1 = logits.select(-1, 1).softplus() + cfg.generator_offset;
        let beta1 = logits.select(-1, 0).softplus() + cfg.generator_offset;
        let (alpha2, beta2) = signal_prior(cfg, signals);
        let shift = if cfg.posterior == Posterior::Paper { 1.0 } else { 0.0 };
        let alpha = alpha1 + alpha2 - shift;
        let beta = beta1 + beta2 - shift;
        let kl = kl_beta(&alpha, &beta, cfg.kl_alpha, cfg.kl_beta).mean(Kind::Float);
        Posteriors { alpha, beta, kl }
    }
}

/// A learned mask: the generator stack and its mask head.
pub struct Generator {
    pub stack: CaduceusStack,
    head: MaskHead,
}

impl Generator {
    /// `generator.*` and `mask_head.*` under `p`.
    pub fn new(p: &Path, cfg: &Seq2ExpConfig) -> Self {
        Self { stack: CaduceusStack::new(&(p / "generator"), &cfg.generator), head: MaskHead::new(p, cfg.d_model()) }
    }

    /// The mask after the overrides and the posterior's KL. `emb`, `seq`: the embeddings with and without
    /// the signals; which one the generator reads is [`MaskConfig::generator_reads_signals`].
    pub fn mask(
        &self,
        cfg: &Seq2ExpConfig,
        emb: &Tensor,
        seq: &Tensor,
        x: &ModelInput,
        pass: Pass,
    ) -> (Tensor, Tensor) {
        let m = &cfg.mask;
        let generated = self.stack.forward(if m.generator_reads_signals() { emb } else { seq });
        let post = self.head.posterior(m, &generated, &x.signals);
        let raw = draw(m, &post, pass);
        (apply_overrides(&raw, x.blacklist.as_ref(), m.promoter_half_width), post.kl)
    }
}

/// Centred moving average of `logits: [B, L, 2]` over `width` bases (odd); the window shrinks at the
/// sequence ends (only real bases are averaged).
pub fn smooth_logits(logits: &Tensor, width: usize) -> Tensor {
    let w = width as i64;
    logits.transpose(1, 2).avg_pool1d([w], [1], [w / 2], false, false).transpose(1, 2)
}

/// α2 = Σ_i w_i (x_i + m) s (per base) and β2 = Σ_i w_i (b_i + m) s (a constant).
pub fn signal_prior(cfg: &MaskConfig, signals: &Tensor) -> (Tensor, f64) {
    let w = Tensor::from_slice(&cfg.prior_weights.iter().map(|&v| v as f32).collect::<Vec<_>>())
        .to_device(signals.device());
    let alpha2 = (signals.to_kind(Kind::Float) + cfg.prior_shift).matmul(&w) * cfg.prior_scale;
    let beta2: f64 = cfg
        .prior_weights
        .iter()
        .zip(&cfg.prior_offsets)
        .map(|(w, b)| w * (b + cfg.prior_shift) * cfg.prior_scale)
        .sum();
    (alpha2, beta2)
}

/// The mask before the blacklist/promoter overrides: a sample in training, the mean in evaluation.
pub fn draw(cfg: &MaskConfig, post: &Posteriors, pass: Pass) -> Tensor {
    match (cfg.mode, pass) {
        (MaskMode::Hard, Pass::Train) => straight_through(&sample_beta(&post.alpha, &post.beta), cfg.threshold),
        (MaskMode::Hard, Pass::Eval) => beta_mean(&post.alpha, &post.beta).ge(cfg.threshold).to_kind(Kind::Float),
        (_, Pass::Train) => sample_beta(&post.alpha, &post.beta),
        (_, Pass::Eval) => beta_mean(&post.alpha, &post.beta),
    }
}

/// Blacklisted bases → 0, then the central promoter (TSS ± half width) → 1. `blacklist: [B, L]`, 1 = listed.
pub fn apply_overrides(mask: &Tensor, blacklist: Option<&Tensor>, promoter_half_width: usize) -> Tensor {
    let (_, len) = mask.size2().expect("mask is [B, L]");
    let m = match blacklist {
        Some(b) => mask * (1.0 - b.to_kind(mask.kind())),
        None => mask.shallow_clone(),
    };
    let hw = promoter_half_width as i64;
    let promoter = Tensor::zeros([len], (mask.kind(), mask.device()));
    let _ = promoter.narrow(0, (len / 2 - hw).max(0), (2 * hw).min(len)).fill_(1.0);
    &m * (1.0 - &promoter) + &promoter
}
