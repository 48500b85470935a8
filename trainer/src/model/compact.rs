//! The hard variant's compaction (docs/model.md, "Mask"), in training as at inference: per gene, the
//! predictor reads only the selected bases (mask ≥ 0.5), gathered in order, so unselected bases cost
//! nothing and cannot influence the result. The gather is an index, so the loss reaches the embeddings
//! of the selected bases but not the mask. The reference pads a batch's compacted rows to the longest;
//! here each gene runs on its own, which equals the reference for a batch of one and never lets the
//! reverse direction read padding.
//!
//! Pooling: the head's window (`pool_width` centred at L/2, see [`Head::pool_range`]) is taken in the
//! original coordinates; its selected bases form one contiguous block of the compacted sequence, starting
//! at the number of selected bases before the window. The pooled vector is their mean. The promoter is
//! always selected, so when the window lies inside it (the presets) this is the plain centre mean; a wider
//! window averages over its selected bases only. A window with no selected base (possible only with
//! `promoter_half_width = 0`) pools to zeros.

use tch::{Kind, Tensor};

use super::head::Head;
use crate::nn::CaduceusStack;

/// `emb: [B, L, d]` predictor input before masking, binary `mask: [B, L]` → pooled `[B, d]`.
pub fn compacted_pool(predictor: &CaduceusStack, head: &Head, emb: &Tensor, mask: &Tensor) -> Tensor {
    let (b, len) = mask.size2().expect("mask is [B, L]");
    let window = head.pool_range(len);
    // Rows select different numbers of bases, so each runs on its own (inference batches are small).
    let rows: Vec<Tensor> = (0..b).map(|i| pool_row(predictor, &emb.get(i), &mask.get(i), window)).collect();
    Tensor::stack(&rows, 0)
}

/// The selected bases of one gene, in order: `mask: [L]` → indices `[K]`.
pub fn selected(mask: &Tensor) -> Tensor {
    mask.ge(0.5).nonzero().squeeze_dim(1)
}

/// One gene: `emb: [L, d]`, `mask: [L]` → `[d]`.
fn pool_row(predictor: &CaduceusStack, emb: &Tensor, mask: &Tensor, (start, width): (i64, i64)) -> Tensor {
    let on = mask.ge(0.5).to_kind(Kind::Int64);
    let before = on.narrow(0, 0, start).sum(Kind::Int64).int64_value(&[]);
    let count = on.narrow(0, start, width).sum(Kind::Int64).int64_value(&[]);
    if count == 0 {
        return Tensor::zeros([emb.size()[1]], (Kind::Float, emb.device()));
    }
    // Selected bases have mask 1, so the gathered rows equal the masked input there.
    let hidden = predictor.forward(&emb.index_select(0, &selected(mask)).unsqueeze(0)); // [1, K, d]
    hidden.get(0).narrow(0, before, count).mean_dim([0].as_slice(), false, Kind::Float)
}
