//! The selective scan in a graph, in two flavours with the same inputs and the same result:
//! - fast: one `ai.seq2exp:SelectiveScan` node (this crate's kernel, see `scan_op`);
//! - portable: stock ONNX, an ONNX `Scan` over positions with the state `[B, D, N]` as its carry.
//!
//! Inputs (channel-major, as the rest of the graph): u, z `[B, D, L]`; x_dbl `[B, R + 2N, L]`, x_proj's
//! output, whose rows are delta_low `[B, R, L]`, b and c `[B, N, L]`; and the weights dt_weight `[D, R]`, dt_bias `[D]`, a_log `[D, N]`, d `[D]`.
//! Output y `[B, D, L]` = (scan(u; δ = softplus(dt_weight·delta_low + dt_bias)) + D·u) · silu(z).

use onnx_protobuf::tensor_proto::DataType;

use super::graph::{attr_graph, attr_int, attr_ints, attr_tensor, tensor_f32, Graph};
use super::meta::{Flavour, SCAN_DOMAIN, SCAN_OP};

/// Value names of one scan's inputs.
pub struct ScanValues<'a> {
    pub u: &'a str,
    /// x_proj(u) `[B, R + 2N, L]`: delta_low, B and C stacked.
    pub x_dbl: &'a str,
    pub dt_weight: &'a str,
    pub dt_bias: &'a str,
    pub a_log: &'a str,
    pub d: &'a str,
    pub z: &'a str,
    /// -exp(a_log) `[D, N]`; the portable flavour needs it.
    pub a: Option<&'a str>,
    pub d_inner: usize,
    pub d_state: usize,
    pub dt_rank: usize,
}

pub fn scan(g: &mut Graph, s: &ScanValues, flavour: Flavour) -> String {
    match flavour {
        Flavour::Fast => g.node_n(SCAN_OP, SCAN_DOMAIN, &[s.u, s.x_dbl, s.dt_weight, s.dt_bias, s.a_log, s.d, s.z], 1, vec![]).remove(0),
        Flavour::Portable => portable(g, s),
    }
}

/// δ, the recurrence as an ONNX `Scan`, then the D skip and the silu(z) gate.
fn portable(g: &mut Graph, s: &ScanValues) -> String {
    let a = s.a.expect("the portable scan is built with A");
    let (ax1, ax2) = (g.i64s(&[1]), g.i64s(&[2]));
    let (r, n) = (s.dt_rank as i64, s.d_state as i64);
    let rows = |g: &mut Graph, from: i64, to: i64| {
        let (start, end) = (g.i64s(&[from]), g.i64s(&[to]));
        g.op("Slice", &[s.x_dbl, &start, &end, &ax1], vec![])
    };
    let (delta_low, b, c) = (rows(g, 0, r), rows(g, r, r + n), rows(g, r + n, r + 2 * n));
    let dt_w = g.op("MatMul", &[s.dt_weight, &delta_low], vec![]); // [B, D, L]
    let dt_b = g.op("Unsqueeze", &[s.dt_bias, &ax1], vec![]); // [D, 1]
    let pre = g.op("Add", &[&dt_w, &dt_b], vec![]);
    let delta = g.op("Softplus", &[&pre], vec![]);
    let du = g.op("Mul", &[&delta, s.u], vec![]);
    let h0 = zero_state(g, s);
    let body = step_body(a, &ax1, &ax2);
    let attrs = vec![
        attr_graph("body", body),
        attr_int("num_scan_inputs", 4),
        attr_ints("scan_input_axes", &[2, 2, 2, 2]),
        attr_ints("scan_output_axes", &[2]),
    ];
    let outs = g.node_n("Scan", "", &[&h0, &delta, &du, &b, &c], 2, attrs);
    let y = &outs[1]; // [B, D, L]
    let d = g.op("Unsqueeze", &[s.d, &ax1], vec![]);
    let skip = g.op("Mul", &[s.u, &d], vec![]);
    let y = g.op("Add", &[y, &skip], vec![]);
    let gate = g.op("Sigmoid", &[s.z], vec![]);
    let gate = g.op("Mul", &[s.z, &gate], vec![]);
    g.op("Mul", &[&y, &gate], vec![])
}

/// Zeros `[B, D, N]`, B taken from u at run time.
fn zero_state(g: &mut Graph, s: &ScanValues) -> String {
    let shape = g.op("Shape", &[s.u], vec![]);
    let (start, end, axis) = (g.i64s(&[0]), g.i64s(&[1]), g.i64s(&[0]));
    let batch = g.op("Slice", &[&shape, &start, &end, &axis], vec![]);
    let dn = g.i64s(&[s.d_inner as i64, s.d_state as i64]);
    let full = g.op("Concat", &[&batch, &dn], vec![attr_int("axis", 0)]);
    g.op("ConstantOfShape", &[&full], vec![attr_tensor("value", tensor_f32("", &[1], &[0.0]))])
}

/// One position: h = exp(δ_t A) ⊙ h + (δ_t u_t) B_t; y_t = Σ_n C_t,n h_n. Reads A and the axes from the
/// outer graph.
fn step_body(a: &str, ax1: &str, ax2: &str) -> onnx_protobuf::GraphProto {
    let mut b = Graph::new("scan_body_");
    let h = b.untyped_shape_input(DataType::FLOAT); // [B, D, N]
    let delta = b.untyped_shape_input(DataType::FLOAT); // [B, D]
    let du = b.untyped_shape_input(DataType::FLOAT); // [B, D]
    let bt = b.untyped_shape_input(DataType::FLOAT); // [B, N]
    let ct = b.untyped_shape_input(DataType::FLOAT); // [B, N]
    let delta3 = b.op("Unsqueeze", &[&delta, ax2], vec![]);
    let da = b.op("Mul", &[&delta3, a], vec![]);
    let decay = b.op("Exp", &[&da], vec![]);
    let du3 = b.op("Unsqueeze", &[&du, ax2], vec![]);
    let bt3 = b.op("Unsqueeze", &[&bt, ax1], vec![]);
    let inject = b.op("Mul", &[&du3, &bt3], vec![]);
    let kept = b.op("Mul", &[&decay, &h], vec![]);
    let h_new = b.op("Add", &[&kept, &inject], vec![]);
    let ct3 = b.op("Unsqueeze", &[&ct, ax1], vec![]);
    let read = b.op("Mul", &[&h_new, &ct3], vec![]);
    let y = b.op("ReduceSum", &[&read, ax2], vec![attr_int("keepdims", 0)]);
    b.output(&h_new, &h_new, DataType::FLOAT, None);
    b.output(&y, &y, DataType::FLOAT, None);
    b.finish("selective_scan_step")
}
