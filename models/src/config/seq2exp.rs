//! The Seq2Exp network: embeddings, generator, Beta mask, predictor and head (docs/model.md).

use serde::{Deserialize, Serialize};

use super::{positive, positive_f, CaduceusConfig, ConfigError, Preset};

/// How the mask is sampled in training (inference always uses the Beta mean, thresholded for `Hard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskMode {
    /// Reparameterised Beta sample (Gamma ratio).
    Soft,
    /// The reference's Seq2Exp-hard: one Caduceus stack shared by generator and predictor, a learned
    /// position embedding, a mask thresholded at 0.5 (straight-through in training) and the predictor
    /// pass run on the selected bases only (compaction), in training as at inference.
    Hard,
    /// Ours, not the paper's: the loss reaches every base's mask directly (mask-weighted pooling over the
    /// whole window) and the generator's logits are averaged over an element-sized span; see
    /// [`DiscoveryConfig`] and docs/model.md.
    Discovery,
    /// The paper's Seq2Exp-retrain: a trained soft (or discovery) model's mask, frozen, keeps the top
    /// fraction of each gene's bases (binary); a fresh predictor is trained on them, without KL. See
    /// [`RetrainConfig`].
    Retrain,
    /// Baseline: no mask (Caduceus with signals).
    Nomask,
    /// Baseline: mask = bases inside given peaks.
    Peakmask,
    /// Baseline: no sequence model; an MLP on pooled signals and the features.
    Signal,
}

/// Posterior parameters from generator (α1, β1) and signal prior (α2, β2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Posterior {
    /// Beta(α1 + α2, β1 + β2): what the reference code does (default).
    Code,
    /// Beta(α1 + α2 − 1, β1 + β2 − 1): the paper's formula.
    Paper,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskConfig {
    pub mode: MaskMode,
    pub posterior: Posterior,
    /// Added to softplus(logit) for α1 and β1 (soft 1, hard 0).
    pub generator_offset: f64,
    /// Per-channel prior weights w (sum to 1), offsets b, scale s and shift m:
    /// α2 = Σ w_i (x_i + m) s, β2 = Σ w_i (b_i + m) s.
    pub prior_weights: Vec<f64>,
    pub prior_offsets: Vec<f64>,
    pub prior_scale: f64,
    pub prior_shift: f64,
    /// KL(posterior ‖ Beta(kl_alpha, kl_beta)) weighted by kl_weight.
    pub kl_alpha: f64,
    pub kl_beta: f64,
    pub kl_weight: f64,
    /// Mask threshold of the hard variant.
    pub threshold: f64,
    /// Bases TSS ± this are forced into the mask.
    pub promoter_half_width: usize,
    /// The discovery variant's settings (present exactly when `mode` is `discovery`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryConfig>,
    /// The retrain variant's frozen mask (present exactly when `mode` is `retrain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrain: Option<RetrainConfig>,
}

/// The frozen mask of the retrain variant. Per gene, the `source` model's inference mask (Beta mean,
/// blacklist → 0, promoter → 1) ranks the bases; the top k = ⌊top · L⌋ form a binary mask. Ties are
/// broken by position (the lower one is kept), as a stable descending sort or ONNX `TopK` does; the
/// forced promoter has the largest value, so it is always kept (k must hold it). Blacklisted bases have
/// mask 0 and are kept only if fewer than k bases are positive, as in the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrainConfig {
    /// Fraction of each window kept (the paper: 0.1).
    pub top: f64,
    /// The configuration of the trained model whose mask is frozen (soft or discovery; same window and
    /// signals). Only its embeddings, generator and mask head are used, stored under `mask_model.`.
    pub source: Box<Seq2ExpConfig>,
}

impl RetrainConfig {
    /// Bases kept per gene.
    pub fn kept(&self, window: usize) -> usize {
        (self.top * window as f64).floor() as usize
    }
}

/// What the discovery variant adds to the soft mask. The reference pools only the central promoter, so
/// the task loss reaches a distal base's mask only through the predictor's long-range mixing, which a
/// freshly initialised Caduceus barely has; and a per-base generator cannot raise a whole element from
/// the few bases that carry its motif. Two changes address exactly these, nothing else: the head also
/// reads Σ_l m_l·h_l / `sum_scale` over the whole window (so ∂loss/∂m_l is direct at every base), and the
/// generator's two logits are averaged over `smooth` bases centred on each base before the softplus (so an
/// element's motif bases decide the mask of the whole element, and their gradient is the element's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryConfig {
    /// Width of the centred moving average over the generator's logits (odd; 1 = none).
    pub smooth: usize,
    /// Divisor of the mask-weighted sum of predictor outputs (a fixed count of bases, like ABC's sums,
    /// not Σ m: a mean would hide how many elements are selected).
    pub sum_scale: f64,
    /// What the head reads besides the features (see [`Readout`]).
    #[serde(default)]
    pub readout: Readout,
    /// Whether the generator reads the signal embedding beside the DNA (as hard's does). With it the
    /// generator can copy accessibility into the mask; without it the signals reach the mask only through
    /// the prior, and the generator sees the DNA undiluted (see [`MaskConfig::generator_reads_signals`]).
    #[serde(default = "reads_signals")]
    pub generator_signals: bool,
}

fn reads_signals() -> bool {
    true
}

/// The discovery head's inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Readout {
    /// The predictor's centre pool and Σ_l m_l·h_l / `sum_scale` over the whole window.
    #[default]
    Hidden,
    /// No predictor: the head's MLP reads log(1 + mean signal) over the central pool and the features,
    /// and a linear term adds Σ_l m_l·φ_l / `sum_scale` over the bases outside the promoter, with φ_l each
    /// signal and each product of two signals at base l (ABC's activity × contact among them). Only the
    /// mask can tell two equally accessible elements apart, and the centre path sees no sequence it could
    /// memorise.
    Signals,
}

impl Readout {
    /// Per-base terms φ of the signal readout for `channels` signals: each signal, each pair's product.
    pub fn signal_terms(channels: usize) -> usize {
        channels + channels * (channels - 1) / 2
    }
}

impl MaskConfig {
    pub fn soft() -> Self {
        Self {
            mode: MaskMode::Soft,
            posterior: Posterior::Code,
            generator_offset: 1.0,
            prior_weights: vec![0.4, 0.4, 0.2],
            prior_offsets: vec![1.5, 0.2, 1.0],
            prior_scale: 10.0,
            prior_shift: 1.0,
            kl_alpha: 10.0,
            kl_beta: 90.0,
            kl_weight: 0.01,
            threshold: 0.5,
            promoter_half_width: 1000,
            discovery: None,
            retrain: None,
        }
    }

    /// The discovery variant: the soft mask's Beta posterior, signal prior and KL, a generator that reads
    /// sequence and signals (as the reference's hard variant does), a prior of scale 1 so the generator's
    /// pseudo-counts are not dwarfed by the signals', smoothed logits and the direct pooling path.
    pub fn discovery() -> Self {
        Self {
            mode: MaskMode::Discovery,
            prior_scale: 1.0,
            discovery: Some(DiscoveryConfig {
                smooth: 201,
                sum_scale: 1000.0,
                readout: Readout::Hidden,
                generator_signals: true,
            }),
            ..Self::soft()
        }
    }

    /// The retrain variant on `source`'s frozen mask, keeping the top `top` of each window.
    pub fn retrain(source: &Seq2ExpConfig, top: f64) -> Self {
        Self {
            mode: MaskMode::Retrain,
            discovery: None,
            retrain: Some(RetrainConfig { top, source: Box::new(source.clone()) }),
            ..source.mask.clone()
        }
    }

    /// The preset mask of `mode` (retrain needs its source: [`Self::retrain`]).
    pub fn for_mode(mode: MaskMode) -> Self {
        match mode {
            MaskMode::Hard => Self::hard(),
            MaskMode::Discovery => Self::discovery(),
            _ => Self { mode, ..Self::soft() },
        }
    }

    /// Whether a generator learns this mask (soft, hard, discovery).
    pub fn learned(&self) -> bool {
        matches!(self.mode, MaskMode::Soft | MaskMode::Hard | MaskMode::Discovery)
    }

    /// Whether the generator reads the signal embedding beside the DNA: hard's always does (its generator
    /// is also its predictor), the soft generator never does (the reference's), discovery's by default
    /// (`discovery.generator_signals`). Raw signal values sit an order of magnitude above the one-hot DNA
    /// embedding, so inside accessible elements they dominate the normalised residual exactly where the
    /// generator would have to read a motif (docs/model.md, "What the generator can learn").
    pub fn generator_reads_signals(&self) -> bool {
        match self.mode {
            MaskMode::Hard => true,
            MaskMode::Discovery => self.discovery.as_ref().is_none_or(|d| d.generator_signals),
            _ => false,
        }
    }

    /// The forced promoter's bases in a window of `window`: TSS ± `promoter_half_width` around the centre,
    /// clipped to the window (the one definition the trainer's overrides and the ONNX graphs share).
    pub fn promoter_range(&self, window: usize) -> std::ops::Range<usize> {
        let start = (window / 2).saturating_sub(self.promoter_half_width);
        start..(start + 2 * self.promoter_half_width).min(window)
    }

    /// The reference hard variant's constants: prior s = 1, m = 0, generator offset 0, and the KL target
    /// Beta(0.1, 0.1222…) (marginal mean 0.45 at scale 0.1: α = 0.1, β = 0.1 · 0.55 / 0.45).
    pub fn hard() -> Self {
        Self {
            mode: MaskMode::Hard,
            generator_offset: 0.0,
            prior_scale: 1.0,
            prior_shift: 0.0,
            kl_alpha: 0.1,
            kl_beta: 0.1 * (1.0 - 0.45) / 0.45,
            ..Self::soft()
        }
    }

    pub fn validate(&self, channels: usize) -> Result<(), ConfigError> {
        if self.prior_weights.len() != channels || self.prior_offsets.len() != channels {
            return Err(ConfigError::new(
                "mask.prior_weights",
                format!("need one weight and one offset per signal channel ({channels})"),
            ));
        }
        if self.prior_weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(ConfigError::new("mask.prior_weights", "weights must be non-negative"));
        }
        let sum: f64 = self.prior_weights.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(ConfigError::new("mask.prior_weights", format!("must sum to 1, they sum to {sum}")));
        }
        positive_f("mask.prior_scale", self.prior_scale)?;
        positive_f("mask.kl_alpha", self.kl_alpha)?;
        positive_f("mask.kl_beta", self.kl_beta)?;
        if !(self.kl_weight.is_finite() && self.kl_weight >= 0.0) {
            return Err(ConfigError::new("mask.kl_weight", "must be ≥ 0"));
        }
        if !(0.0..1.0).contains(&self.threshold) || self.threshold == 0.0 {
            return Err(ConfigError::new("mask.threshold", "must be in (0, 1)"));
        }
        match (&self.discovery, self.mode) {
            (Some(d), MaskMode::Discovery) => {
                if d.smooth == 0 || d.smooth % 2 == 0 {
                    return Err(ConfigError::new("mask.discovery.smooth", "must be odd (1 = no smoothing)"));
                }
                positive_f("mask.discovery.sum_scale", d.sum_scale)?;
            }
            (None, MaskMode::Discovery) => {
                return Err(ConfigError::new("mask.discovery", "the discovery mode needs its settings"))
            }
            (Some(_), _) => {
                return Err(ConfigError::new("mask.discovery", "only the discovery mode takes these settings"))
            }
            (None, _) => {}
        }
        match (&self.retrain, self.mode) {
            (Some(r), MaskMode::Retrain) => {
                if !(r.top > 0.0 && r.top <= 1.0) {
                    return Err(ConfigError::new("mask.retrain.top", format!("must be in (0, 1], got {}", r.top)));
                }
                if !matches!(r.source.mask.mode, MaskMode::Soft | MaskMode::Discovery) {
                    return Err(ConfigError::new(
                        "mask.retrain.source",
                        "the frozen mask must come from a soft or discovery model",
                    ));
                }
                r.source
                    .validate()
                    .map_err(|e| ConfigError::new(format!("mask.retrain.source.{}", e.field), e.message))?;
            }
            (None, MaskMode::Retrain) => {
                return Err(ConfigError::new("mask.retrain", "the retrain mode needs its source model (--mask-from)"))
            }
            (Some(_), _) => return Err(ConfigError::new("mask.retrain", "only the retrain mode takes a frozen mask")),
            (None, _) => {}
        }
        if self.generator_offset < 0.0 || self.prior_shift < 0.0 {
            return Err(ConfigError::new("mask.generator_offset", "offsets must be ≥ 0 (α, β must stay positive)"));
        }
        if self.posterior == Posterior::Paper && self.generator_offset + self.prior_shift * self.prior_scale < 1.0 {
            return Err(ConfigError::new(
                "mask.posterior",
                "the paper posterior subtracts 1 and needs offsets that keep α, β > 0",
            ));
        }
        Ok(())
    }
}

/// Centre pooling + 9 features + MLP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadConfig {
    /// Positions averaged around the window centre.
    pub pool_width: usize,
    pub n_features: usize,
    pub hidden: usize,
    /// Standardise the features with the training split's mean and std (saved with the weights). Off in
    /// the reference; on in `tiny`, whose simulated genome gives promoter activity on a ~100× larger scale.
    pub standardize_features: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Loss {
    SmoothL1 { beta: f64 },
    Mse,
}

/// The whole network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seq2ExpConfig {
    /// Window length the model was trained on.
    pub window: usize,
    /// Input signal channels, in order (store track names or `hic`).
    pub signals: Vec<String>,
    /// Index of the target column of the store to train on.
    pub target_index: usize,
    pub generator: CaduceusConfig,
    pub predictor: CaduceusConfig,
    pub mask: MaskConfig,
    pub head: HeadConfig,
    pub loss: Loss,
}

impl Seq2ExpConfig {
    pub fn preset(p: Preset) -> Self {
        match p {
            Preset::Paper => Self {
                window: 200_000,
                signals: vec!["h3k27ac".into(), "dnase".into(), "hic".into()],
                target_index: 0,
                generator: CaduceusConfig::paper(),
                predictor: CaduceusConfig::paper(),
                mask: MaskConfig::soft(),
                head: HeadConfig { pool_width: 2000, n_features: 9, hidden: 128, standardize_features: false },
                loss: Loss::SmoothL1 { beta: 1.0 },
            },
            Preset::Tiny => Self {
                window: 20_000,
                generator: CaduceusConfig::tiny(),
                predictor: CaduceusConfig::tiny(),
                head: HeadConfig { pool_width: 2000, n_features: 9, hidden: 32, standardize_features: true },
                ..Self::preset(Preset::Paper)
            },
        }
    }

    pub fn d_model(&self) -> usize {
        self.predictor.mamba.d_model
    }

    /// Every tensor of this model's state dict, with its shape: embeddings (and `pos_emb` for hard), the
    /// generator and mask head (learned masks only), the predictor (all but `signal` and hard, whose
    /// predictor is the generator), the head MLP and its feature-scaling
    /// buffers. Tied twins (`mamba_rev.{in,out}_proj`) are listed, as in a PyTorch state dict.
    pub fn weight_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let (d, c, nf, h) = (self.d_model(), self.signals.len(), self.head.n_features, self.head.hidden);
        let learned = self.mask.learned();
        let sequence_model = self.mask.mode != MaskMode::Signal;
        let mut out: Vec<(String, Vec<usize>)> = vec![
            ("seq_embed.weight".into(), vec![d, 4]),
            ("seq_embed.bias".into(), vec![d]),
            ("sig_embed.weight".into(), vec![d, c]),
            ("sig_embed.bias".into(), vec![d]),
        ];
        if self.shares_stack() {
            out.push(("pos_emb".into(), vec![1, self.window, d]));
        }
        if learned {
            out.extend(self.generator.parameter_shapes().into_iter().map(|(n, s)| (format!("generator.{n}"), s)));
            out.extend([("mask_head.weight".into(), vec![2, d]), ("mask_head.bias".into(), vec![2])]);
        }
        if let Some(r) = &self.mask.retrain {
            let frozen =
                |n: &str| ["seq_embed.", "sig_embed.", "generator.", "mask_head."].iter().any(|p| n.starts_with(p));
            out.extend(
                r.source
                    .weight_shapes()
                    .into_iter()
                    .filter(|(n, _)| frozen(n))
                    .map(|(n, s)| (format!("mask_model.{n}"), s)),
            );
        }
        if sequence_model && !self.shares_stack() && !self.signal_readout() {
            out.extend(self.predictor.parameter_shapes().into_iter().map(|(n, s)| (format!("predictor.{n}"), s)));
        }
        let pooled = self.pooled_width();
        for (i, (inp, o)) in [(pooled + nf, h), (h, h), (h, 1)].into_iter().enumerate() {
            out.extend([
                (format!("head.mlp.{}.weight", 2 * i), vec![o, inp]),
                (format!("head.mlp.{}.bias", 2 * i), vec![o]),
            ]);
        }
        if self.signal_readout() {
            let terms = Readout::signal_terms(c);
            out.extend([("head.distal.weight".into(), vec![1, terms]), ("head.distal.bias".into(), vec![1])]);
        }
        out.extend([("head.feature_mean".into(), vec![nf]), ("head.feature_std".into(), vec![nf])]);
        out
    }

    /// Whether this is a discovery model with the signal readout (no predictor stack).
    pub fn signal_readout(&self) -> bool {
        self.mask.discovery.as_ref().is_some_and(|d| d.readout == Readout::Signals)
    }

    /// Whether the predictor pass runs the generator's stack (the hard variant: one set of Caduceus
    /// weights, run twice, with a learned position embedding `pos_emb` added to the sequence embedding).
    pub fn shares_stack(&self) -> bool {
        self.mask.mode == MaskMode::Hard
    }

    /// Width of the vector the head's MLP reads before the features: the centre pool (d_model), plus the
    /// mask-weighted window sum for discovery, or two means per signal channel for `signal`.
    pub fn pooled_width(&self) -> usize {
        match self.mask.mode {
            MaskMode::Signal => 2 * self.signals.len(),
            MaskMode::Discovery if self.signal_readout() => self.signals.len(),
            MaskMode::Discovery => 2 * self.d_model(),
            _ => self.d_model(),
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        positive("window", self.window)?;
        positive("signals", self.signals.len())?;
        self.generator.validate("generator")?;
        self.predictor.validate("predictor")?;
        if self.generator.mamba.d_model != self.predictor.mamba.d_model {
            return Err(ConfigError::new(
                "generator.mamba.d_model",
                "generator and predictor share the embeddings: d_model must match",
            ));
        }
        if self.shares_stack() && self.predictor != self.generator {
            return Err(ConfigError::new(
                "predictor",
                "the hard variant runs the generator's stack as its predictor: predictor must equal generator",
            ));
        }
        self.mask.validate(self.signals.len())?;
        positive("head.pool_width", self.head.pool_width)?;
        positive("head.hidden", self.head.hidden)?;
        if self.head.pool_width > self.window {
            return Err(ConfigError::new(
                "head.pool_width",
                format!("{} exceeds the window {}", self.head.pool_width, self.window),
            ));
        }
        if 2 * self.mask.promoter_half_width > self.window {
            return Err(ConfigError::new("mask.promoter_half_width", "the promoter does not fit in the window"));
        }
        if let Some(r) = &self.mask.retrain {
            let (src, k) = (&r.source, r.kept(self.window));
            if src.window != self.window || src.signals != self.signals {
                return Err(ConfigError::new(
                    "mask.retrain.source",
                    format!(
                        "the frozen mask reads {} bp windows of {:?}; this model reads {} bp of {:?}",
                        src.window, src.signals, self.window, self.signals
                    ),
                ));
            }
            let promoter = (2 * src.mask.promoter_half_width).min(self.window);
            if k < promoter.max(1) {
                return Err(ConfigError::new(
                    "mask.retrain.top",
                    format!("keeps {k} of {} bases, fewer than the {promoter}-base promoter", self.window),
                ));
            }
        }
        if let Loss::SmoothL1 { beta } = self.loss {
            positive_f("loss.beta", beta)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trainable parameters: the state dict without tied twins and the head's buffers.
    fn trainable(cfg: &Seq2ExpConfig) -> usize {
        cfg.weight_shapes()
            .iter()
            .filter(|(n, _)| {
                !n.contains("mamba_rev.in_proj") && !n.contains("mamba_rev.out_proj") && !n.starts_with("head.feature_")
            })
            .map(|(_, s)| s.iter().product::<usize>())
            .sum()
    }

    #[test]
    fn paper_soft_has_the_reference_parameter_count() {
        // 1,114,243: what `trainer bench --preset paper` counts on the tch model (docs/model.md: ≈ 1.11 M).
        assert_eq!(trainable(&Seq2ExpConfig::preset(Preset::Paper)), 1_114_243);
    }

    #[test]
    fn baselines_drop_what_they_do_not_have() {
        let mut cfg = Seq2ExpConfig::preset(Preset::Tiny);
        cfg.mask.mode = MaskMode::Nomask;
        let names: Vec<String> = cfg.weight_shapes().into_iter().map(|(n, _)| n).collect();
        assert!(!names.iter().any(|n| n.starts_with("generator.") || n.starts_with("mask_head")));
        assert!(names.iter().any(|n| n.starts_with("predictor.")));
        cfg.mask.mode = MaskMode::Signal;
        let shapes = cfg.weight_shapes();
        assert!(!shapes.iter().any(|(n, _)| n.starts_with("predictor.")));
        let first = shapes.iter().find(|(n, _)| n == "head.mlp.0.weight").unwrap();
        assert_eq!(first.1, vec![cfg.head.hidden, 2 * cfg.signals.len() + cfg.head.n_features]);
    }

    #[test]
    fn discovery_settings_belong_to_the_discovery_mode_only() {
        let mut cfg = Seq2ExpConfig::preset(Preset::Tiny);
        cfg.mask = MaskConfig::for_mode(MaskMode::Discovery);
        cfg.validate().unwrap();
        assert_eq!(cfg.pooled_width(), 2 * cfg.d_model());
        let first = cfg.weight_shapes().into_iter().find(|(n, _)| n == "head.mlp.0.weight").unwrap();
        assert_eq!(first.1, vec![cfg.head.hidden, 2 * cfg.d_model() + cfg.head.n_features]);
        cfg.mask.discovery.as_mut().unwrap().smooth = 200;
        assert_eq!(cfg.validate().unwrap_err().field, "mask.discovery.smooth");
        cfg.mask.discovery = None;
        assert_eq!(cfg.validate().unwrap_err().field, "mask.discovery");
        let mut soft = MaskConfig::soft();
        soft.discovery = MaskConfig::discovery().discovery;
        assert_eq!(soft.validate(3).unwrap_err().field, "mask.discovery");
        // Older run configs, written before the field existed, still load.
        let json = serde_json::to_value(MaskConfig::soft()).unwrap();
        assert!(json.get("discovery").is_none());
        assert_eq!(serde_json::from_value::<MaskConfig>(json).unwrap(), MaskConfig::soft());
    }
}
