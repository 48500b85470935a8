//! Embeddings (graph inputs → `[B, d, L]`), centre pooling and the expression head (standardised
//! features, MLP).

use seq2exp_models::config::Seq2ExpConfig;

use super::blocks::{column, weight};
use super::graph::{attr_int, attr_ints, Graph};
use super::weights::Weights;
use crate::error::GraphError;

/// `seq_embed(dna)` as `[B, d, L]`: a Gather on a `[5, d]` table whose rows 0..3 are the columns of
/// the Linear(4 → d) weight and row 4 is zero, plus the bias. Equal to Linear(one-hot) + bias, where
/// code 4 (N or anything else) has an all-zero one-hot row and so gets the bias only.
pub fn seq_embed(g: &mut Graph, w: &Weights, d: usize, dna: &str) -> Result<String, GraphError> {
    let lin = w.get("seq_embed.weight", &[d, 4])?;
    let mut table = vec![0f32; 5 * d];
    for k in 0..4 {
        for j in 0..d {
            table[k * d + j] = lin.data[j * 4 + k];
        }
    }
    let table = g.init_f32("seq_embed.table", &[5, d], || table);
    let idx = g.op("Cast", &[dna], vec![attr_int("to", onnx_protobuf::tensor_proto::DataType::INT64 as i64)]);
    let rows = g.op("Gather", &[&table, &idx], vec![attr_int("axis", 0)]); // [B, L, d]
    let rows = g.op("Transpose", &[&rows], vec![attr_ints("perm", &[0, 2, 1])]);
    let bias = column(g, w, "seq_embed.bias", d)?;
    Ok(g.op("Add", &[&rows, &bias], vec![]))
}

/// The hard variant's learned position embedding `pos_emb` (`[1, L, d]` in the state dict) as a
/// `[1, d, L]` initialiser, to add to the sequence embedding.
pub fn pos_emb(g: &mut Graph, w: &Weights, l: usize, d: usize) -> Result<String, GraphError> {
    let t = w.get("pos_emb", &[1, l, d])?;
    Ok(g.init_f32("pos_emb[:, d, L]", &[1, d, l], || {
        let mut out = vec![0f32; l * d];
        for p in 0..l {
            for j in 0..d {
                out[j * l + p] = t.data[p * d + j];
            }
        }
        out
    }))
}

/// `sig_embed(signals)` as `[B, d, L]`: W `[d, C]` × signalsᵀ `[B, C, L]` + bias.
pub fn sig_embed(g: &mut Graph, w: &Weights, d: usize, c: usize, signals: &str) -> Result<String, GraphError> {
    let weight = weight(g, w, "sig_embed.weight", &[d, c])?;
    let st = g.op("Transpose", &[signals], vec![attr_ints("perm", &[0, 2, 1])]);
    let y = g.op("MatMul", &[&weight, &st], vec![]);
    let bias = column(g, w, "sig_embed.bias", d)?;
    Ok(g.op("Add", &[&y, &bias], vec![]))
}

/// The pooled window in original positions: (start, width), `pool_width` centred (as the trainer's head).
pub fn pool_range(cfg: &Seq2ExpConfig) -> (usize, usize) {
    let pw = cfg.head.pool_width.min(cfg.window);
    ((cfg.window - pw) / 2, pw)
}

/// Mean of `hidden: [B, d, L]` over the central `pool_width` positions → `[B, d]`.
pub fn pool(g: &mut Graph, cfg: &Seq2ExpConfig, hidden: &str) -> String {
    let (start, pw) = pool_range(cfg);
    let (s, e, ax) = (g.i64s(&[start as i64]), g.i64s(&[(start + pw) as i64]), g.i64s(&[2]));
    let centre = g.op("Slice", &[hidden, &s, &e, &ax], vec![]);
    g.op("ReduceMean", &[&centre], vec![attr_ints("axes", &[2]), attr_int("keepdims", 0)])
}

/// The signal-only baseline's pooled vector: per channel of `signals: [B, L, C]`, the mean over the
/// central `pool_width` positions, then the mean over the whole window → `[B, 2C]` (as the trainer's).
pub fn signal_pool(g: &mut Graph, cfg: &Seq2ExpConfig, signals: &str) -> String {
    let (start, pw) = pool_range(cfg);
    let (s, e, ax) = (g.i64s(&[start as i64]), g.i64s(&[(start + pw) as i64]), g.i64s(&[1]));
    let centre = g.op("Slice", &[signals, &s, &e, &ax], vec![]);
    let centre = g.op("ReduceMean", &[&centre], vec![attr_ints("axes", &[1]), attr_int("keepdims", 0)]);
    let window = g.op("ReduceMean", &[signals], vec![attr_ints("axes", &[1]), attr_int("keepdims", 0)]);
    g.op("Concat", &[&centre, &window], vec![attr_int("axis", 1)])
}

/// Σ_l mask_l · hidden_l / `scale`: `hidden: [B, d, L]`, `mask: [B, 1, L]` → `[B, d]` (discovery).
pub fn mask_sum(g: &mut Graph, hidden: &str, mask: &str, scale: f64) -> String {
    let weighted = g.op("Mul", &[hidden, mask], vec![]);
    let axis = g.i64s(&[2]);
    let sum = g.op("ReduceSum", &[&weighted, &axis], vec![attr_int("keepdims", 0)]);
    let scale = g.scalar(scale as f32);
    g.op("Div", &[&sum, &scale], vec![])
}

/// `pooled: [B, pooled width]` with the standardised features appended, then Linear–ReLU–Linear–ReLU–Linear → `[B]`.
pub fn head(
    g: &mut Graph,
    w: &Weights,
    cfg: &Seq2ExpConfig,
    pooled: &str,
    features: &str,
) -> Result<String, GraphError> {
    let nf = cfg.head.n_features;
    let mean = weight(g, w, "head.feature_mean", &[nf])?;
    let std = weight(g, w, "head.feature_std", &[nf])?;
    let f = g.op("Sub", &[features, &mean], vec![]);
    let f = g.op("Div", &[&f, &std], vec![]);
    let mut x = g.op("Concat", &[pooled, &f], vec![attr_int("axis", 1)]);
    let d = cfg.pooled_width();
    let sizes = [(d + nf, cfg.head.hidden), (cfg.head.hidden, cfg.head.hidden), (cfg.head.hidden, 1)];
    for (i, &(inp, out)) in sizes.iter().enumerate() {
        let wt = weight(g, w, &format!("head.mlp.{}.weight", 2 * i), &[out, inp])?;
        let b = weight(g, w, &format!("head.mlp.{}.bias", 2 * i), &[out])?;
        x = g.op("Gemm", &[&x, &wt, &b], vec![attr_int("transB", 1)]);
        if i + 1 < sizes.len() {
            x = g.op("Relu", &[&x], vec![]);
        }
    }
    let ax1 = g.i64s(&[1]);
    Ok(g.op("Squeeze", &[&x, &ax1], vec![]))
}

/// The discovery signal readout (as the trainer's): log(1 + max(centre mean signal, 0)) `[B, C]` for the
/// head's MLP, and the linear distal term `[B]`: distal(Σ_l m_l·φ_l / `sum_scale`) over the bases outside
/// the promoter, φ_l = each signal, then each pair's product (i < j).
pub fn signal_readout(
    g: &mut Graph,
    w: &Weights,
    cfg: &Seq2ExpConfig,
    signals: &str,
    mask: &str,
) -> Result<(String, String), GraphError> {
    let c = cfg.signals.len();
    let (start, pw) = pool_range(cfg);
    let (s, e, ax) = (g.i64s(&[start as i64]), g.i64s(&[(start + pw) as i64]), g.i64s(&[1]));
    let centre = g.op("Slice", &[signals, &s, &e, &ax], vec![]);
    let centre = g.op("ReduceMean", &[&centre], vec![attr_ints("axes", &[1]), attr_int("keepdims", 0)]);
    let centre = g.op("Relu", &[&centre], vec![]);
    let one = g.scalar(1.0);
    let centre = g.op("Add", &[&centre, &one], vec![]);
    let centre = g.op("Log", &[&centre], vec![]);

    let mut terms = vec![signals.to_string()];
    let ax2 = g.i64s(&[2]);
    let channel = |g: &mut Graph, i: usize| {
        let (s, e) = (g.i64s(&[i as i64]), g.i64s(&[i as i64 + 1]));
        g.op("Slice", &[signals, &s, &e, &ax2], vec![])
    };
    for i in 0..c {
        for j in i + 1..c {
            let (a, b) = (channel(g, i), channel(g, j));
            terms.push(g.op("Mul", &[&a, &b], vec![]));
        }
    }
    let refs: Vec<&str> = terms.iter().map(String::as_str).collect();
    let phi = g.op("Concat", &refs, vec![attr_int("axis", 2)]); // [B, L, T]

    let (len, promoter) = (cfg.window, cfg.mask.promoter_range(cfg.window));
    let scale = cfg.mask.discovery.as_ref().map_or(1.0, |d| d.sum_scale);
    let distal: Vec<f32> = (0..len).map(|i| if promoter.contains(&i) { 0.0 } else { (1.0 / scale) as f32 }).collect();
    let distal = g.init_f32("readout.distal_weights", &[len], || distal);
    let weights = g.op("Mul", &[mask, &distal], vec![]);
    let weights = g.op("Unsqueeze", &[&weights, &ax], vec![]); // [B, 1, L]
    let summed = g.op("MatMul", &[&weights, &phi], vec![]);
    let summed = g.op("Squeeze", &[&summed, &ax], vec![]); // [B, T]
    let t = seq2exp_models::config::Readout::signal_terms(c);
    let wt = weight(g, w, "head.distal.weight", &[1, t])?;
    let b = weight(g, w, "head.distal.bias", &[1])?;
    let term = g.op("Gemm", &[&summed, &wt, &b], vec![attr_int("transB", 1)]);
    Ok((centre, g.op("Squeeze", &[&term, &ax], vec![])))
}
