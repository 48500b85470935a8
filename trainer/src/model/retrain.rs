//! The retrain variant's frozen mask (docs/model.md, "Retrain"): a trained soft or discovery model's
//! embeddings, generator and mask head under `mask_model.`, never updated; its inference mask (Beta
//! mean, overrides) ranks each gene's bases and the top k = ⌊top · L⌋ form the binary mask the fresh
//! predictor reads.

use std::collections::HashMap;

use tch::nn::VarStore;
use tch::{Kind, Tensor};

use seq2exp_models::config::Seq2ExpConfig;

use super::embed::Embeddings;
use super::mask::{Generator, Pass};
use super::seq2exp::ModelInput;

/// Variable-name prefix of the frozen mask model.
pub const PREFIX: &str = "mask_model";

pub struct FrozenMask {
    source: Seq2ExpConfig,
    embed: Embeddings,
    generator: Generator,
    kept: usize,
}

impl FrozenMask {
    /// Untrained `mask_model.*` variables for `source`, excluded from training.
    pub fn new(vs: &VarStore, source: &Seq2ExpConfig) -> Self {
        let p = vs.root() / PREFIX;
        let embed = Embeddings::new(&p, source);
        let generator = Generator::new(&p, source);
        for (name, t) in vs.variables() {
            if name.starts_with(&format!("{PREFIX}.")) {
                let _ = t.set_requires_grad(false);
            }
        }
        // `kept` comes from the retrain settings (`with_kept`).
        Self { source: source.clone(), embed, generator, kept: 0 }
    }

    pub(crate) fn with_kept(mut self, kept: usize) -> Self {
        self.kept = kept;
        self
    }

    /// Copies the source model's weights (a checkpoint's tensors by name: `seq_embed.*`, `generator.*`, …)
    /// into `mask_model.*` of `vs`; every frozen variable must be present with its shape.
    pub fn load(vs: &VarStore, source: &HashMap<String, Tensor>) -> Result<(), String> {
        for (name, mut var) in vs.variables() {
            let Some(src_name) = name.strip_prefix(&format!("{PREFIX}.")) else { continue };
            let t = source.get(src_name).ok_or_else(|| format!("no tensor {src_name}"))?;
            if t.size() != var.size() {
                return Err(format!(
                    "tensor {src_name} has shape {:?}, the mask model expects {:?}",
                    t.size(),
                    var.size()
                ));
            }
            tch::no_grad(|| var.copy_(t));
        }
        Ok(())
    }

    /// The source's inference mask `[B, L]` (Beta mean, blacklist → 0, promoter → 1), without gradient.
    pub fn soft_mask(&self, x: &ModelInput) -> Tensor {
        tch::no_grad(|| {
            let (emb, seq) = self.embed.forward(x);
            self.generator.mask(&self.source, &emb, &seq, x, Pass::Eval).0
        })
    }

    /// The binary mask: per gene, the `kept` bases with the largest frozen mask.
    pub fn top_mask(&self, x: &ModelInput) -> Tensor {
        top_k(&self.soft_mask(x), self.kept)
    }
}

/// 1 at the `k` largest values of each row of `mask: [B, L]`, else 0. Ties keep the lower position (a
/// stable descending sort), as ONNX `TopK` does.
pub fn top_k(mask: &Tensor, k: usize) -> Tensor {
    let order = mask.argsort_stable(true, 1, true).narrow(1, 0, k as i64);
    let ones = Tensor::ones(order.size(), (Kind::Float, mask.device()));
    mask.zeros_like().to_kind(Kind::Float).scatter(1, &order, &ones)
}
