//! Hard models: the predictor pass (the generator's stack, run a second time) reads only the selected
//! bases of each gene (gathered, in order), as the trainer's `model::compact` does. Genes select different numbers of bases, so an ONNX
//! `Loop` over the batch runs, per gene: NonZero(mask row) → Gather of the `[1, d, L]` input along the
//! positions → predictor stack at length K → mean over the compacted block of the pooled window.
//!
//! Pooling: the window (`pool_width` centred, original positions) holds a contiguous block of the
//! compacted sequence, from (selected bases before the window) for (selected bases inside it). The
//! promoter is always selected and overlaps the window when `promoter_half_width ≥ 1`, so neither K nor
//! the block is ever empty; hard models with `promoter_half_width = 0` are refused.

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::GraphProto;
use seq2exp_models::config::Seq2ExpConfig;

use super::blocks;
use super::graph::{attr_graph, attr_int, attr_ints, Graph};
use super::head::pool_range;
use super::meta::Flavour;
use super::weights::Weights;
use crate::error::GraphError;

/// `emb: [B, d, L]` predictor input before masking, binary `mask: [B, L]` → pooled `[B, d]`.
pub fn compacted_pool(
    g: &mut Graph,
    w: &Weights,
    cfg: &Seq2ExpConfig,
    emb: &str,
    mask: &str,
    flavour: Flavour,
) -> Result<String, GraphError> {
    if cfg.mask.promoter_half_width == 0 {
        return Err(GraphError::Unsupported(
            "a hard model with promoter_half_width 0 (compaction needs the promoter in the pooled window)".into(),
        ));
    }
    let shape = g.op("Shape", &[mask], vec![]);
    let (start, end, axis) = (g.i64s(&[0]), g.i64s(&[1]), g.i64s(&[0]));
    let batch = g.op("Slice", &[&shape, &start, &end, &axis], vec![]);
    let trips = g.op("Squeeze", &[&batch, &axis], vec![]); // scalar B
    let body = body(w, cfg, emb, mask, flavour)?;
    // No condition input: the loop runs exactly B times; its scan output stacks the rows → [B, d].
    Ok(g.node_n("Loop", "", &[&trips, ""], 1, vec![attr_graph("body", body)]).remove(0))
}

/// One gene: iteration i → pooled `[d]`. Reads `emb` and `mask` from the outer graph; the predictor's
/// weights are initialisers of the body (names are unique across scopes by the body's prefix).
fn body(w: &Weights, cfg: &Seq2ExpConfig, emb: &str, mask: &str, flavour: Flavour) -> Result<GraphProto, GraphError> {
    let mut b = Graph::new("loop_");
    let i = b.scalar_input(DataType::INT64); // iteration number
    let cond = b.scalar_input(DataType::BOOL);
    let ax0 = b.i64s(&[0]);
    let row = b.op("Gather", &[mask, &i], vec![attr_int("axis", 0)]); // [L]
    let idx = b.op("NonZero", &[&row], vec![]); // [1, K]
    let idx = b.op("Squeeze", &[&idx, &ax0], vec![]); // [K]
    let i1 = b.op("Unsqueeze", &[&i, &ax0], vec![]);
    let x = b.op("Gather", &[emb, &i1], vec![attr_int("axis", 0)]); // [1, d, L]
    let x = b.op("Gather", &[&x, &idx], vec![attr_int("axis", 2)]); // [1, d, K]
                                                                    // The hard variant's predictor is the generator's stack (one set of weights, run twice).
    let hidden = blocks::stack(&mut b, w, &cfg.generator, "generator", &x, flavour)?;
    let (start, width) = pool_range(cfg);
    let before = count(&mut b, cfg, &row, 0..start);
    let inside = count(&mut b, cfg, &row, start..start + width);
    let end = b.op("Add", &[&before, &inside], vec![]);
    let ax2 = b.i64s(&[2]);
    let block = b.op("Slice", &[&hidden, &before, &end, &ax2], vec![]);
    let pooled = b.op("ReduceMean", &[&block], vec![attr_ints("axes", &[2]), attr_int("keepdims", 0)]); // [1, d]
    let pooled = b.op("Squeeze", &[&pooled, &ax0], vec![]);
    let cond_out = b.op("Identity", &[&cond], vec![]);
    b.output(&cond_out, &cond_out, DataType::BOOL, None);
    b.output(&pooled, &pooled, DataType::FLOAT, None);
    Ok(b.finish("compacted_predictor"))
}

/// Selected bases of `row: [L]` within `range`, as int64 `[1]` (an indicator product: never an empty
/// reduction).
fn count(b: &mut Graph, cfg: &Seq2ExpConfig, row: &str, range: std::ops::Range<usize>) -> String {
    let key = format!("compact.indicator[{}..{}]", range.start, range.end);
    let ind = b.init_f32(&key, &[cfg.window], || {
        (0..cfg.window).map(|p| if range.contains(&p) { 1.0 } else { 0.0 }).collect()
    });
    let hits = b.op("Mul", &[row, &ind], vec![]);
    let n = b.op("ReduceSum", &[&hits], vec![attr_int("keepdims", 1)]); // [1]
    b.op("Cast", &[&n], vec![attr_int("to", DataType::INT64 as i64)])
}
