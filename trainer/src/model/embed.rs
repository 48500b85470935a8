//! The input embeddings (docs/model.md, "Network"): seq_embed = Linear(4 → d) on one-hot DNA (code 4,
//! N or anything else, is an all-zero row), sig_embed = Linear(C → d) on the signals, and for the hard
//! variant the learned position embedding `pos_emb` added to the sequence part.

use tch::nn::Path;
use tch::{Kind, Tensor};

use seq2exp_models::config::Seq2ExpConfig;

use super::seq2exp::ModelInput;
use crate::nn::linear;

#[derive(Debug)]
pub struct Embeddings {
    seq: (Tensor, Tensor),
    sig: (Tensor, Tensor),
    /// `[1, L, d]`, zeros at initialisation.
    pos: Option<Tensor>,
}

fn embed(p: &Path, name: &str, inp: usize, d: usize) -> (Tensor, Tensor) {
    let (w, b) = linear(p, name, inp, d, true);
    (w, b.expect("bias"))
}

impl Embeddings {
    /// `seq_embed`, `sig_embed` (and `pos_emb` when the model shares its stack) under `p`.
    pub fn new(p: &Path, cfg: &Seq2ExpConfig) -> Self {
        let d = cfg.d_model();
        let seq = embed(p, "seq_embed", 4, d);
        let sig = embed(p, "sig_embed", cfg.signals.len(), d);
        let pos = cfg.shares_stack().then(|| p.zeros("pos_emb", &[1, cfg.window as i64, d as i64]));
        Self { seq, sig, pos }
    }

    /// (seq + pos + sig, seq + pos), each `[B, L, d]`: what the predictor (and a generator that reads the
    /// signals) reads, and what the other generators read.
    pub fn forward(&self, x: &ModelInput) -> (Tensor, Tensor) {
        let seq = self.sequence(&x.dna);
        let sig = x.signals.to_kind(Kind::Float).linear(&self.sig.0, Some(&self.sig.1));
        (&seq + &sig, seq)
    }

    /// seq + pos for DNA codes `dna: [B, L]` (0–3 = A, C, G, T; 4 = N, which embeds as the bias alone).
    pub fn sequence(&self, dna: &Tensor) -> Tensor {
        let onehot = dna.one_hot(5).narrow(-1, 0, 4).to_kind(Kind::Float);
        let seq = onehot.linear(&self.seq.0, Some(&self.seq.1));
        match &self.pos {
            Some(pos) => seq + pos,
            None => seq,
        }
    }
}
