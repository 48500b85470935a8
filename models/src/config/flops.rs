//! Analytic cost of one gene's inference forward pass, for the benchmarks' GFLOP/s figures.
//!
//! Counted per position: 2 FLOPs per multiply-add of every projection (embeddings, in_proj, x_proj,
//! dt_proj, out_proj, mask head), 2 per tap of the depthwise conv, and the selective scan at 7 FLOPs per
//! state update (δ·A, exp, h·decay, δ·x·B, +, C·h, +; the exp counted once). Elementwise work (norms,
//! gates, softplus, the Beta mean) is counted at one FLOP per element and op. Both stacks run over the
//! whole window, except a hard model's predictor when a mask ratio is given (compaction,
//! [`inference_flops_at`]); the head MLP is negligible and left out. The signal-only baseline has no
//! stack: its cost is the two per-channel means.

use super::{CaduceusConfig, MaskMode, Seq2ExpConfig};

/// FLOPs of one gene, by kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InferenceFlops {
    /// Dense projections (what an SGEMM-bound implementation is limited by).
    pub matmul: f64,
    /// Selective-scan state updates × 7.
    pub scan: f64,
    pub elementwise: f64,
}

impl InferenceFlops {
    pub fn total(&self) -> f64 {
        self.matmul + self.scan + self.elementwise
    }
}

/// Per position, for one Caduceus stack.
fn stack(c: &CaduceusConfig) -> InferenceFlops {
    let m = &c.mamba;
    let (dm, d, n, r, k) = (m.d_model as f64, m.d_inner as f64, m.d_state as f64, m.dt_rank as f64, m.d_conv as f64);
    // One direction of one layer.
    let matmul = 2.0 * dm * 2.0 * d + 2.0 * d * (r + 2.0 * n) + 2.0 * r * d + 2.0 * d * dm + 2.0 * d * k;
    let scan = 7.0 * d * n;
    let elementwise = 8.0 * d; // softplus(δ), silu(x), silu(z)·y, D skip
    let layers = c.n_layer as f64;
    // Two directions per layer, plus RMSNorm (4·dm), the residual add and the sum of directions.
    InferenceFlops {
        matmul: layers * 2.0 * matmul,
        scan: layers * 2.0 * scan,
        elementwise: layers * (2.0 * elementwise + 6.0 * dm) + 4.0 * dm,
    }
}

/// FLOPs of the inference forward pass over one gene's window, every stack over all L positions (for a
/// hard model: as if every base were selected).
pub fn inference_flops(cfg: &Seq2ExpConfig) -> InferenceFlops {
    inference_flops_at(cfg, None)
}

/// As [`inference_flops`], with the hard variant's compaction: given the mask ratio r (selected bases /
/// L), a hard model's predictor runs over r·L positions; the embeddings, generator and mask stay at L.
/// Other modes, or `None`, ignore the ratio.
pub fn inference_flops_at(cfg: &Seq2ExpConfig, mask_ratio: Option<f64>) -> InferenceFlops {
    let l = cfg.window as f64;
    let dm = cfg.d_model() as f64;
    let c = cfg.signals.len() as f64;
    if cfg.mask.mode == MaskMode::Signal {
        // No sequence model: one add per channel and position for the window mean, one more in the centre.
        let pw = cfg.head.pool_width.min(cfg.window) as f64;
        return InferenceFlops { matmul: 0.0, scan: 0.0, elementwise: c * (l + pw) };
    }
    let learned = cfg.mask.learned();
    let ratio = match (cfg.mask.mode, mask_ratio) {
        // Discovery's signal readout has no predictor; its per-base terms are counted below.
        _ if cfg.signal_readout() => 0.0,
        (MaskMode::Hard, Some(r)) => r.clamp(0.0, 1.0),
        _ => 1.0,
    };
    let p = stack(&cfg.predictor);
    let mut full = InferenceFlops { matmul: 0.0, scan: 0.0, elementwise: 0.0 };
    // Embeddings (one-hot DNA as a 4-wide matmul, signals), the masked sum.
    full.matmul += 2.0 * 4.0 * dm + 2.0 * c * dm;
    full.elementwise += 2.0 * dm;
    if learned {
        let g = stack(&cfg.generator);
        full.matmul += g.matmul + 2.0 * dm * 2.0; // + mask head
        full.scan += g.scan;
        full.elementwise += g.elementwise + 2.0 * c + 10.0; // signal prior, softplus, Beta mean, overrides
    }
    if cfg.signal_readout() {
        // The pairwise products, then one multiply-add per term for the mask-weighted sum.
        let terms = super::Readout::signal_terms(cfg.signals.len()) as f64;
        full.elementwise += (terms - c) + 2.0 * terms;
    }
    let lp = l * ratio;
    InferenceFlops {
        matmul: full.matmul * l + p.matmul * lp,
        scan: full.scan * l + p.scan * lp,
        elementwise: full.elementwise * l + p.elementwise * lp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Preset;

    #[test]
    fn paper_preset_cost_matches_a_hand_count() {
        let cfg = Seq2ExpConfig::preset(Preset::Paper);
        let f = inference_flops(&cfg);
        // One direction of one layer, per position: in_proj 2·128·512 = 131072, x_proj 2·256·40 = 20480,
        // dt_proj 2·8·256 = 4096, out_proj 2·256·128 = 65536, conv 2·256·4 = 2048 → 223232; × 2 directions
        // × 8 layers = 3571712; + embeddings 2·4·128 + 2·3·128 = 1792; + mask head 512.
        let per_pos = 3_571_712.0 + 1792.0 + 512.0;
        assert_eq!(f.matmul, per_pos * 200_000.0);
        // 16 scans × 256 × 16 states × 7 FLOPs per update.
        assert_eq!(f.scan, 16.0 * 256.0 * 16.0 * 7.0 * 200_000.0);
        assert!(f.elementwise < 0.05 * f.total());
    }

    #[test]
    fn signal_has_no_sequence_model() {
        let mut cfg = Seq2ExpConfig::preset(Preset::Paper);
        cfg.mask.mode = MaskMode::Signal;
        let f = inference_flops(&cfg);
        assert_eq!((f.matmul, f.scan), (0.0, 0.0));
        let pw = cfg.head.pool_width.min(cfg.window) as f64;
        assert_eq!(f.elementwise, cfg.signals.len() as f64 * (cfg.window as f64 + pw));
    }

    #[test]
    fn nomask_has_no_generator() {
        let mut cfg = Seq2ExpConfig::preset(Preset::Paper);
        let soft = inference_flops(&cfg);
        cfg.mask.mode = MaskMode::Nomask;
        let nomask = inference_flops(&cfg);
        assert!((soft.scan / nomask.scan - 2.0).abs() < 1e-12);
    }

    #[test]
    fn hard_predictor_scales_with_the_mask_ratio() {
        let mut cfg = Seq2ExpConfig::preset(Preset::Paper);
        let soft = inference_flops(&cfg);
        assert_eq!(inference_flops_at(&cfg, Some(0.1)), soft, "soft models ignore the ratio");
        cfg.mask.mode = MaskMode::Hard;
        let full = inference_flops_at(&cfg, Some(1.0));
        assert_eq!(full, inference_flops(&cfg));
        let quarter = inference_flops_at(&cfg, Some(0.25));
        // Generator and predictor stacks are the same size: the scan falls to (1 + 0.25) / 2 of the full count.
        assert!((quarter.scan / full.scan - 0.625).abs() < 1e-12);
        let none = inference_flops_at(&cfg, Some(0.0));
        assert!(none.matmul < full.matmul / 1.9 && none.matmul > full.matmul / 2.1);
    }
}
