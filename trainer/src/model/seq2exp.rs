//! The Seq2Exp network: embeddings → generator → Beta mask → masked predictor → head (docs/model.md), and
//! the baselines that share its code (no mask, peak mask, signal-only).

use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

use seq2exp_models::config::{MaskMode, Readout, Seq2ExpConfig};

use super::compact::compacted_pool;
use super::embed::Embeddings;
use super::head::Head;
use super::mask::{apply_overrides, Generator, Pass};
use super::retrain::FrozenMask;
use crate::nn::CaduceusStack;

/// One batch on the model's device. `dna`: `[B, L]` codes (A, C, G, T = 0..3, other = 4); `signals`:
/// `[B, L, C]`; `features`: `[B, 9]`; `blacklist`, `peaks`: `[B, L]`, 1 = in the set.
pub struct ModelInput {
    pub dna: Tensor,
    pub signals: Tensor,
    pub features: Tensor,
    pub blacklist: Option<Tensor>,
    pub peaks: Option<Tensor>,
}

impl ModelInput {
    /// Tensors of a store batch (`peaks`, for the peak-mask baseline, are added by the caller).
    pub fn from_batch(b: &seq2exp_store::Batch, device: Device) -> Self {
        let (n, l, c) = (b.len() as i64, b.window as i64, b.channels as i64);
        let blacklist = b
            .blacklist
            .iter()
            .any(|&v| v != 0)
            .then(|| Tensor::from_slice(&b.blacklist).reshape([n, l]).to_kind(Kind::Float).to_device(device));
        Self {
            dna: Tensor::from_slice(&b.dna).reshape([n, l]).to_kind(Kind::Int64).to_device(device),
            signals: Tensor::from_slice(&b.signals).reshape([n, l, c]).to_device(device),
            features: Tensor::from_slice(&b.features).reshape([n, -1]).to_device(device),
            blacklist,
            peaks: None,
        }
    }
}

pub struct ModelOutput {
    /// `[B]` log10 expression.
    pub pred: Tensor,
    /// `[B, L]` mask the predictor read (after overrides); None without a mask.
    pub mask: Option<Tensor>,
    /// Mean KL of the posterior to the prior (0 without a learned mask).
    pub kl: Tensor,
}

pub struct Seq2Exp {
    pub cfg: Seq2ExpConfig,
    pub vs: VarStore,
    embed: Embeddings,
    /// The generator and mask head of a learned mask (soft, hard, discovery).
    generator: Option<Generator>,
    /// The retrain variant's frozen mask model (`mask_model.*`).
    frozen: Option<FrozenMask>,
    /// None for `signal`, and for `hard`, whose predictor pass runs the generator's stack.
    predictor: Option<CaduceusStack>,
    pub head: Head,
}

impl Seq2Exp {
    /// A freshly initialised model (seed the RNG first for reproducible weights). A retrain model's
    /// frozen mask starts untrained: fill it with [`FrozenMask::load`] via [`Self::frozen_mask`].
    pub fn new(cfg: &Seq2ExpConfig, device: Device) -> Self {
        let vs = VarStore::new(device);
        let root = vs.root();
        let own_predictor = cfg.mask.mode != MaskMode::Signal && !cfg.shares_stack() && !cfg.signal_readout();
        let embed = Embeddings::new(&root, cfg);
        let generator = cfg.mask.learned().then(|| Generator::new(&root, cfg));
        let frozen = cfg.mask.retrain.as_ref().map(|r| FrozenMask::new(&vs, &r.source).with_kept(r.kept(cfg.window)));
        let predictor = own_predictor.then(|| CaduceusStack::new(&(&root / "predictor"), &cfg.predictor));
        let mut head = Head::new(&(&root / "head"), &cfg.head, cfg.pooled_width());
        if cfg.signal_readout() {
            head = head.with_distal(&(&root / "head"), Readout::signal_terms(cfg.signals.len()));
        }
        Self { cfg: cfg.clone(), vs, embed, generator, frozen, predictor, head }
    }

    /// State-dict aliases of tied weights (`prefix.layers.i.mixer.mamba_rev.{in,out}_proj.weight`).
    pub fn tied_names(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let source = self.cfg.mask.retrain.as_ref().map(|r| &r.source.generator);
        for (name, stack) in [
            ("generator", self.generator.as_ref().map(|_| &self.cfg.generator)),
            ("predictor", self.predictor.as_ref().map(|_| &self.cfg.predictor)),
            ("mask_model.generator", source),
        ] {
            if let Some(stack) = stack {
                out.extend(stack.tied_names().into_iter().map(|(a, b)| (format!("{name}.{a}"), format!("{name}.{b}"))));
            }
        }
        out
    }

    /// The predictor input before masking, `[B, L, d]`, and the sequence part alone (see [`Embeddings`]).
    pub fn embeddings(&self, x: &ModelInput) -> (Tensor, Tensor) {
        self.embed.forward(x)
    }

    /// The generator stack's output `[B, L, d]` for DNA codes alone, `dna: [B, L]` (None without a
    /// generator): what a generator that does not read the signals sees, for pretraining it.
    pub fn generator_hidden(&self, dna: &Tensor) -> Option<Tensor> {
        self.generator.as_ref().map(|g| g.stack.forward(&self.embed.sequence(dna)))
    }

    /// Whether parameter `name` belongs to the mask alone (`train.mask_warmup_steps`, `mask_lr_scale`): the
    /// generator stack and mask head, and with the signal readout, which has no predictor, the embeddings.
    pub fn is_mask_parameter(&self, name: &str) -> bool {
        name.starts_with("generator.")
            || name.starts_with("mask_head.")
            || (self.cfg.signal_readout() && (name.starts_with("seq_embed.") || name.starts_with("sig_embed.")))
    }

    /// The retrain variant's frozen mask model.
    pub fn frozen_mask(&self) -> Option<&FrozenMask> {
        self.frozen.as_ref()
    }

    pub fn forward(&self, x: &ModelInput, pass: Pass) -> ModelOutput {
        let zero = Tensor::zeros([], (Kind::Float, x.dna.device()));
        if self.cfg.mask.mode == MaskMode::Signal {
            return ModelOutput { pred: self.signal_only(x), mask: None, kl: zero };
        }
        let (emb, seq) = self.embeddings(x);
        let m = &self.cfg.mask;
        let (mask, kl) = match (m.mode, &self.generator, &self.frozen) {
            (MaskMode::Peakmask, _, _) => {
                let peaks = x.peaks.as_ref().expect("the peak-mask baseline needs peaks in its input");
                (Some(apply_overrides(peaks, x.blacklist.as_ref(), m.promoter_half_width)), zero)
            }
            (_, Some(g), _) => {
                let (mask, kl) = g.mask(&self.cfg, &emb, &seq, x, pass);
                (Some(mask), kl)
            }
            (_, _, Some(f)) => (Some(f.top_mask(x)), zero),
            _ => (None, zero),
        };
        let pred = match &mask {
            Some(mk) if self.cfg.signal_readout() => self.read_signals(x, mk),
            _ => self.predict_from(&emb, mask.as_ref(), &x.features),
        };
        ModelOutput { pred, mask, kl }
    }

    /// The predictor pass and head for a given mask: `emb` from [`Self::embeddings`], `mask: [B, L]`
    /// after the overrides (None: the unmasked input).
    pub fn predict_from(&self, emb: &Tensor, mask: Option<&Tensor>, features: &Tensor) -> Tensor {
        let predictor = self.predictor().expect("a sequence model");
        let m = &self.cfg.mask;
        let pooled = match mask {
            // Hard compacts in training as at inference: the predictor reads the selected bases only.
            // The selection is a boolean gather, so no task gradient reaches the mask (docs/model.md).
            Some(mk) if m.mode == MaskMode::Hard => compacted_pool(predictor, &self.head, emb, &mk.detach()),
            // Masked bases become zero vectors (biases included), as in the reference.
            Some(mk) if m.mode == MaskMode::Discovery => {
                let hidden = predictor.forward(&(emb * mk.unsqueeze(-1)));
                let scale = m.discovery.as_ref().expect("validated").sum_scale;
                Tensor::cat(&[self.head.pool(&hidden), self.head.mask_sum(&hidden, mk, scale)], 1)
            }
            Some(mk) => self.head.pool(&predictor.forward(&(emb * mk.unsqueeze(-1)))),
            None => self.head.pool(&predictor.forward(emb)),
        };
        self.head.forward(&pooled, features)
    }

    /// The stack of the predictor pass: the predictor's own, or the generator's for hard (None for the
    /// signal-only baseline).
    pub fn predictor(&self) -> Option<&CaduceusStack> {
        self.predictor.as_ref().or(self.generator.as_ref().filter(|_| self.cfg.shares_stack()).map(|g| &g.stack))
    }

    /// The discovery signal readout for `mask: [B, L]` (after the overrides): an MLP on log(1 + centre
    /// mean signal) and the features, plus a linear term in Σ_l m_l·φ_l / `sum_scale` over the bases
    /// outside the promoter (see [`Readout::Signals`]).
    fn read_signals(&self, x: &ModelInput, mask: &Tensor) -> Tensor {
        let m = &self.cfg.mask;
        let s = x.signals.to_kind(Kind::Float);
        let centre = (self.head.pool(&s).clamp_min(0.0) + 1.0).log();
        let promoter = m.promoter_range(s.size()[1] as usize);
        let distal = Tensor::ones([s.size()[1]], (Kind::Float, s.device()));
        let _ = distal.narrow(0, promoter.start as i64, promoter.len() as i64).fill_(0.0);
        let scale = m.discovery.as_ref().expect("validated").sum_scale;
        let terms = signal_terms(&s);
        let weighted = (mask * distal).unsqueeze(-1) * terms;
        let summed = weighted.sum_dim_intlist([1].as_slice(), false, Kind::Float) / scale;
        self.head.forward(&centre, &x.features) + self.head.distal(&summed)
    }

    /// Signal-only baseline: per channel, the mean over the pooled centre and over the whole window.
    fn signal_only(&self, x: &ModelInput) -> Tensor {
        let s = x.signals.to_kind(Kind::Float);
        let pooled = Tensor::cat(&[self.head.pool(&s), s.mean_dim([1].as_slice(), false, Kind::Float)], 1);
        self.head.forward(&pooled, &x.features)
    }
}

/// The per-base terms φ of the signal readout, `signals: [B, L, C]` → `[B, L, C + C(C−1)/2]`: each signal,
/// then the product of each pair (i < j) in channel order.
pub fn signal_terms(signals: &Tensor) -> Tensor {
    let c = signals.size()[2];
    let mut terms = vec![signals.shallow_clone()];
    for i in 0..c {
        for j in i + 1..c {
            terms.push(signals.narrow(2, i, 1) * signals.narrow(2, j, 1));
        }
    }
    Tensor::cat(&terms, 2)
}
