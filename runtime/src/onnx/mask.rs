//! The inference mask (docs/model.md, "Mask"): Beta posterior mean from the generator's logits and the
//! signal prior (logits smoothed first for `discovery`), thresholded for `hard`, then blacklist → 0 and promoter → 1.

use seq2exp_models::config::{MaskMode, Posterior, Seq2ExpConfig};

use super::blocks::weight;
use super::graph::{attr_int, attr_ints, Graph};
use super::weights::Weights;
use crate::error::GraphError;

/// Values the mask is computed from.
pub struct MaskInputs<'a> {
    /// Generator output `[B, d, L]`.
    pub generated: &'a str,
    /// `[B, L, C]` as given.
    pub signals: &'a str,
    /// `[B, L]` float, 1 = blacklisted.
    pub blacklist: &'a str,
}

/// The mask `[B, L]` the predictor reads.
pub fn mask(g: &mut Graph, w: &Weights, cfg: &Seq2ExpConfig, x: &MaskInputs) -> Result<String, GraphError> {
    let m = &cfg.mask;
    let d = cfg.d_model();
    let head_w = weight(g, w, "mask_head.weight", &[2, d])?;
    let bias = w.get("mask_head.bias", &[2])?;
    let head_b = g.init_f32("mask_head.bias[:, None]", &[2, 1], || bias.data.clone());
    let logits = g.op("MatMul", &[&head_w, x.generated], vec![]);
    let mut logits = g.op("Add", &[&logits, &head_b], vec![]); // [B, 2, L]
    if let Some(dc) = m.discovery.as_ref().filter(|dc| dc.smooth > 1) {
        // Centred moving average over real bases only (count_include_pad = 0), as the trainer's.
        let k = dc.smooth as i64;
        let attrs = vec![
            attr_ints("kernel_shape", &[k]),
            attr_ints("strides", &[1]),
            attr_ints("pads", &[k / 2, k / 2]),
            attr_int("count_include_pad", 0),
        ];
        logits = g.op("AveragePool", &[&logits], attrs);
    }
    let offset = g.scalar(m.generator_offset as f32);
    let mut part = |index: i64| {
        let i = g.i64s(&[index]);
        let sel = g.op("Gather", &[&logits, &i], vec![attr_int("axis", 1)]); // [B, 1, L]
        let ax = g.i64s(&[1]);
        let sel = g.op("Squeeze", &[&sel, &ax], vec![]);
        let sp = g.op("Softplus", &[&sel], vec![]);
        g.op("Add", &[&sp, &offset], vec![])
    };
    let alpha1 = part(1);
    let beta1 = part(0);
    // α2 = ((x + m) · w) · s per base; β2 = Σ w_i (b_i + m) s, a constant (as the trainer computes it).
    let c = cfg.signals.len();
    let shift = g.scalar(m.prior_shift as f32);
    let pw: Vec<f32> = m.prior_weights.iter().map(|&v| v as f32).collect();
    let prior_w = g.init_f32("mask.prior_weights", &[c], || pw);
    let shifted = g.op("Add", &[x.signals, &shift], vec![]);
    let alpha2 = g.op("MatMul", &[&shifted, &prior_w], vec![]); // [B, L]
    let scale = g.scalar(m.prior_scale as f32);
    let alpha2 = g.op("Mul", &[&alpha2, &scale], vec![]);
    let beta2: f64 =
        m.prior_weights.iter().zip(&m.prior_offsets).map(|(w, b)| w * (b + m.prior_shift) * m.prior_scale).sum();
    let beta2 = g.scalar(beta2 as f32);
    let mut alpha = g.op("Add", &[&alpha1, &alpha2], vec![]);
    let mut beta = g.op("Add", &[&beta1, &beta2], vec![]);
    if m.posterior == Posterior::Paper {
        let one = g.scalar(1.0);
        alpha = g.op("Sub", &[&alpha, &one], vec![]);
        beta = g.op("Sub", &[&beta, &one], vec![]);
    }
    let total = g.op("Add", &[&alpha, &beta], vec![]);
    let mut mean = g.op("Div", &[&alpha, &total], vec![]);
    if m.mode == MaskMode::Hard {
        let t = g.scalar(m.threshold as f32);
        let on = g.op("GreaterOrEqual", &[&mean, &t], vec![]);
        mean = g.op("Cast", &[&on], vec![attr_int("to", onnx_protobuf::tensor_proto::DataType::FLOAT as i64)]);
    }
    Ok(overrides(g, cfg, &mean, x.blacklist))
}

/// m · (1 − blacklist), then m · (1 − p) + p with p = 1 on the central promoter (as the trainer).
pub fn overrides(g: &mut Graph, cfg: &Seq2ExpConfig, m: &str, blacklist: &str) -> String {
    let one = g.scalar(1.0);
    let keep = g.op("Sub", &[&one, blacklist], vec![]);
    let m = g.op("Mul", &[m, &keep], vec![]);
    let len = cfg.window;
    let promoter = cfg.mask.promoter_range(len);
    let p: Vec<f32> = (0..len).map(|i| if promoter.contains(&i) { 1.0 } else { 0.0 }).collect();
    let not_p: Vec<f32> = p.iter().map(|v| 1.0 - v).collect();
    let p = g.init_f32("mask.promoter", &[len], || p);
    let not_p = g.init_f32("mask.not_promoter", &[len], || not_p);
    let m = g.op("Mul", &[&m, &not_p], vec![]);
    g.op("Add", &[&m, &p], vec![])
}

/// The retrain variant's binary mask: 1 at the `k` largest values of each row of `soft: [B, L]`, else 0
/// (`TopK` keeps the lower position among equal values, as the trainer's stable sort).
pub fn top_k(g: &mut Graph, soft: &str, k: usize) -> String {
    let kk = g.i64s(&[k as i64]);
    let top =
        g.node_n("TopK", "", &[soft, &kk], 2, vec![attr_int("axis", 1), attr_int("largest", 1), attr_int("sorted", 1)]);
    let zero = g.scalar(0.0);
    let one = g.scalar(1.0);
    let zeros = g.op("Mul", &[soft, &zero], vec![]);
    let ones = g.op("Mul", &[&top[0], &zero], vec![]);
    let ones = g.op("Add", &[&ones, &one], vec![]);
    g.op("ScatterElements", &[&zeros, &top[1], &ones], vec![attr_int("axis", 1)])
}
